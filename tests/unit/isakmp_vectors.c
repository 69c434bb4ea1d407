/*
 * isakmp_vectors.c: see isakmp_vectors.h.  The capture reader understands
 * what the vector captures use (pcapng, Ethernet, IPv4, UDP) and classic
 * pcap, Linux cooked and raw IP besides; anything else is counted, not
 * guessed at.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "isakmp_vectors.h"

#ifndef SOURCE_DIR
#error "SOURCE_DIR must name the source tree"
#endif

const char *vec_root(void)
{
    static const char root[] = SOURCE_DIR "/../shared/vectors/ikev1";
    DIR *d = opendir(root);

    if (d == NULL) {
        fprintf(stderr,
                "ISAKMP test vectors not found at %s: these tests need the captures of "
                "shared/vectors/ikev1 next to the source tree\n",
                root);
        return NULL;
    }
    closedir(d);
    return root;
}

uint8_t *vec_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    long n;

    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        buf = malloc((size_t)n + 1);
        if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
            free(buf);
            buf = NULL;
        }
        *len = (size_t)n;
    }
    fclose(f);
    return buf;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int vec_unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;

    while (n < cap && hexval(s[0]) >= 0 && hexval(s[1]) >= 0) {
        out[n++] = (uint8_t)(hexval(s[0]) << 4 | hexval(s[1]));
        s += 2;
    }
    return (int)n;
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p, bool swap)
{
    uint32_t v = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
    return swap ? __builtin_bswap32(v) : v;
}

static uint16_t rd16(const uint8_t *p, bool swap)
{
    uint16_t v = (uint16_t)(p[0] | p[1] << 8);
    return swap ? __builtin_bswap16(v) : v;
}

static void add_ike(struct vector *v, const uint8_t *ip4src, const uint8_t *ip4dst, uint16_t sp,
                    uint16_t dp, const uint8_t *p, size_t n)
{
    struct ike_pkt *k;
    bool natt = sp == ISAKMP_NATT_PORT || dp == ISAKMP_NATT_PORT;

    if (natt) {
        switch (msg_udp4500_classify(p, n)) {
        case MSG_UDP4500_IKE:
            p += ISAKMP_NON_ESP_MARKER_LEN;
            n -= ISAKMP_NON_ESP_MARKER_LEN;
            break;
        case MSG_UDP4500_ESP:
            v->nesp++;
            return;
        case MSG_UDP4500_KEEPALIVE:
            v->nkeepalive++;
            return;
        default:
            v->nother++;
            return;
        }
    } else if (sp != ISAKMP_PORT && dp != ISAKMP_PORT) {
        v->nother++;
        return;
    }
    if (v->npkt == VEC_MAX_PKTS) {
        v->nother++;
        return;
    }
    k = &v->pkt[v->npkt++];
    k->frame = v->nframes;
    k->sport = sp;
    k->dport = dp;
    k->natt = natt;
    if (ip4src != NULL) {
        memcpy(k->src, ip4src, 4);
        memcpy(k->dst, ip4dst, 4);
    }
    k->len = n;
    k->data = malloc(n > 0 ? n : 1);
    memcpy(k->data, p, n);
}

/* One captured frame of the given link type. */
static void frame(struct vector *v, unsigned linktype, const uint8_t *p, size_t n)
{
    size_t off = 0;
    uint16_t et = 0;

    v->nframes++;
    if (linktype == 1) { /* Ethernet, VLAN tags skipped */
        if (n < 14)
            goto other;
        et = be16(p + 12);
        off = 14;
        while (et == 0x8100 && n >= off + 4) {
            et = be16(p + off + 2);
            off += 4;
        }
    } else if (linktype == 113) { /* Linux cooked */
        if (n < 16)
            goto other;
        et = be16(p + 14);
        off = 16;
    } else if (linktype == 101 || linktype == 228) { /* raw IP */
        et = n > 0 && (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
    } else {
        goto other;
    }
    p += off;
    n -= off;
    if (et == 0x0800 && n >= 20 && (p[0] >> 4) == 4) {
        size_t ihl = (size_t)(p[0] & 15) * 4, tot = be16(p + 2);
        if (ihl < 20 || tot < ihl || tot > n || (be16(p + 6) & 0x3fff) != 0)
            goto other;
        if (p[9] == 50) {
            v->nesp++;
            return;
        }
        if (p[9] != 17 || tot - ihl < 8)
            goto other;
        size_t ulen = be16(p + ihl + 4);
        if (ulen < 8 || ulen > tot - ihl)
            goto other;
        add_ike(v, p + 12, p + 16, be16(p + ihl), be16(p + ihl + 2), p + ihl + 8, ulen - 8);
        return;
    }
    if (et == 0x86dd && n >= 48 && p[6] == 17) {
        size_t ulen = be16(p + 44);
        if (ulen < 8 || ulen > n - 40)
            goto other;
        add_ike(v, NULL, NULL, be16(p + 40), be16(p + 42), p + 48, ulen - 8);
        return;
    }
    if (et == 0x86dd && n >= 40 && p[6] == 50) {
        v->nesp++;
        return;
    }
other:
    v->nother++;
}

static int read_pcapng(struct vector *v, const uint8_t *b, size_t len, char *err, size_t el)
{
    unsigned link[16];
    unsigned nif = 0;
    bool swap = false;
    size_t off = 0;

    while (off + 12 <= len) {
        uint32_t type, blen;
        if (rd32(b + off, false) == 0x0a0d0d0a) { /* SHB: byte order magic decides */
            swap = rd32(b + off + 8, false) != 0x1a2b3c4d;
            nif = 0;
        }
        type = rd32(b + off, swap);
        blen = rd32(b + off + 4, swap);
        if (blen < 12 || blen % 4 != 0 || blen > len - off) {
            snprintf(err, el, "pcapng block at %zu: bad length %u", off, blen);
            return -1;
        }
        if (type == 1 && blen >= 20 && nif < 16) { /* IDB */
            link[nif++] = rd16(b + off + 8, swap);
        } else if (type == 6 && blen >= 32) { /* EPB */
            uint32_t ifid = rd32(b + off + 8, swap), cap = rd32(b + off + 20, swap);
            if (ifid >= nif || cap > blen - 32) {
                snprintf(err, el, "pcapng EPB at %zu: interface %u, caplen %u", off, ifid, cap);
                return -1;
            }
            frame(v, link[ifid], b + off + 28, cap);
        } else if (type == 3 && blen >= 16 && nif > 0) { /* SPB */
            uint32_t orig = rd32(b + off + 8, swap);
            frame(v, link[0], b + off + 12, orig < blen - 16 ? orig : blen - 16);
        }
        off += blen;
    }
    return 0;
}

static int read_pcap(struct vector *v, const uint8_t *b, size_t len, char *err, size_t el)
{
    uint32_t magic = rd32(b, false);
    bool swap = magic == 0xd4c3b2a1 || magic == 0x4d3cb2a1;
    unsigned linktype = rd32(b + 20, swap);
    size_t off = 24;

    while (off + 16 <= len) {
        uint32_t cap = rd32(b + off + 8, swap);
        if (cap > len - off - 16) {
            snprintf(err, el, "pcap record at %zu: caplen %u past the end", off, cap);
            return -1;
        }
        frame(v, linktype, b + off + 16, cap);
        off += 16 + (size_t)cap;
    }
    return 0;
}

/* The value after "label ... = " in keys.txt, as bytes. */
static size_t key_field(const char *text, const char *label, uint8_t *out, size_t cap)
{
    const char *p = strstr(text, label);
    int n;

    if (p == NULL || (p = strchr(p, '=')) == NULL)
        return 0;
    p++;
    p += strspn(p, " ");
    n = vec_unhex(p, out, cap);
    return n > 0 ? (size_t)n : 0;
}

static void read_keys(struct vector *v, const char *text)
{
    v->ka_len = key_field(text, "encryption key Ka", v->ka, sizeof(v->ka));
    v->iv_len = key_field(text, "initial IV", v->iv, sizeof(v->iv));
}

int vec_load(const char *name, struct vector *v, char *err, size_t el)
{
    const char *root = vec_root();
    char path[600];
    uint8_t *b;
    size_t len;
    int rc;

    memset(v, 0, sizeof(*v));
    if (root == NULL) {
        snprintf(err, el, "vectors absent (%s/../shared/vectors/ikev1)", SOURCE_DIR);
        return -1;
    }
    snprintf(v->name, sizeof(v->name), "%s", name);
    snprintf(v->dir, sizeof(v->dir), "%s/%s", root, name);
    snprintf(path, sizeof(path), "%s/ikev1-mm-qm.pcap", v->dir);
    b = vec_read_file(path, &len);
    if (b == NULL || len < 24) {
        snprintf(err, el, "cannot read %s", path);
        free(b);
        return -1;
    }
    if (rd32(b, false) == 0x0a0d0d0a)
        rc = read_pcapng(v, b, len, err, el);
    else if (rd32(b, false) == 0xa1b2c3d4 || rd32(b, false) == 0xa1b23c4d ||
             rd32(b, false) == 0xd4c3b2a1 || rd32(b, false) == 0x4d3cb2a1)
        rc = read_pcap(v, b, len, err, el);
    else {
        snprintf(err, el, "%s: neither pcap nor pcapng", path);
        rc = -1;
    }
    free(b);
    if (rc != 0)
        return rc;
    snprintf(path, sizeof(path), "%s/keys.txt", v->dir);
    b = vec_read_file(path, &len);
    if (b != NULL) {
        b[len] = '\0';
        read_keys(v, (const char *)b);
        free(b);
    }
    return 0;
}

void vec_free(struct vector *v)
{
    for (unsigned i = 0; i < v->npkt; i++)
        free(v->pkt[i].data);
    v->npkt = 0;
}

static void rebuild_sa(const struct msg *m, const struct msg_sa *sa, struct msg_builder *b)
{
    mb_sa_begin(b, sa->doi, sa->situation);
    for (unsigned i = 0; i < sa->nprops; i++) {
        const struct msg_proposal *p = msg_sa_prop(m, sa, i);
        mb_proposal_begin(b, p->num, p->proto, p->spi, p->spi_size);
        for (unsigned j = 0; j < p->nxforms; j++) {
            const struct msg_transform *t = msg_prop_xform(m, p, j);
            mb_transform_begin(b, t->num, t->id);
            for (unsigned k = 0; k < t->nattrs; k++) {
                const struct msg_attr *a = msg_xform_attr_at(m, t, k);
                if (a->tv)
                    mb_attr_tv(b, a->type, (uint16_t)a->value);
                else
                    mb_attr_tlv(b, a->type, a->data, a->len);
            }
        }
    }
    mb_sa_end(b);
}

void vec_rebuild(const struct msg *m, struct msg_builder *b)
{
    for (unsigned i = 0; i < m->npl; i++) {
        const struct msg_payload *pl = &m->pl[i];
        switch (pl->type) {
        case ISAKMP_PL_SA:
            rebuild_sa(m, &pl->u.sa, b);
            break;
        case ISAKMP_PL_KE:
            mb_ke(b, pl->body, pl->body_len, pl->body_len);
            break;
        case ISAKMP_PL_ID:
            mb_id(b, pl->u.id.type, pl->u.id.proto, pl->u.id.port, pl->u.id.data, pl->u.id.len);
            break;
        case ISAKMP_PL_HASH:
            mb_hash(b, pl->body, pl->body_len);
            break;
        case ISAKMP_PL_NONCE:
            mb_nonce(b, pl->body, pl->body_len);
            break;
        case ISAKMP_PL_N:
            mb_notify(b, pl->u.n.doi, pl->u.n.proto, pl->u.n.spi, pl->u.n.spi_size, pl->u.n.type,
                      pl->u.n.data, pl->u.n.len);
            break;
        case ISAKMP_PL_D:
            mb_delete(b, pl->u.d.doi, pl->u.d.proto, pl->u.d.spi_size, pl->u.d.spis, pl->u.d.nspis);
            break;
        case ISAKMP_PL_VID:
            mb_vid(b, pl->body, pl->body_len);
            break;
        case ISAKMP_PL_NATD:
        case ISAKMP_PL_NATD_DRAFT:
            mb_natd(b, pl->type, pl->body, pl->body_len);
            break;
        case ISAKMP_PL_NATOA:
        case ISAKMP_PL_NATOA_DRAFT:
            mb_natoa(b, pl->type, pl->u.natoa.family, pl->u.natoa.addr);
            break;
        default:
            mb_raw(b, pl->type, pl->body, pl->body_len);
            break;
        }
    }
}

static void in(const void *p, size_t n, const uint8_t *lo, const uint8_t *hi)
{
    const uint8_t *q = p;

    assert_true(q >= lo && q <= hi);
    assert_true(n <= (size_t)(hi - q));
}

void vec_check_bounds(const struct msg *m, const uint8_t *lo, const uint8_t *hi)
{
    char text[300];

    assert_true(m->nprop <= MSG_MAX_PROPOSALS && m->nxform <= MSG_MAX_TRANSFORMS &&
                m->nattr <= MSG_MAX_ATTRS && m->npl <= MSG_MAX_PAYLOADS);
    for (unsigned i = 0; i < m->npl; i++) {
        const struct msg_payload *pl = &m->pl[i];
        struct msg_idval idv;
        const char *why;

        in(pl->raw, pl->len, lo, hi);
        in(pl->body, pl->body_len, lo, hi);
        switch (pl->type) {
        case ISAKMP_PL_SA:
            assert_true(pl->u.sa.first_prop + pl->u.sa.nprops <= m->nprop);
            for (unsigned j = 0; j < pl->u.sa.nprops; j++) {
                const struct msg_proposal *p = msg_sa_prop(m, &pl->u.sa, j);
                in(p->spi, p->spi_size, lo, hi);
                assert_true(p->first_xform + p->nxforms <= m->nxform);
                assert_true(p->group < pl->u.sa.ngroups);
                for (unsigned k = 0; k < p->nxforms; k++) {
                    const struct msg_transform *t = msg_prop_xform(m, p, k);
                    assert_true(t->first_attr + t->nattrs <= m->nattr);
                    for (unsigned a = 0; a < t->nattrs; a++)
                        in(msg_xform_attr_at(m, t, a)->data, msg_xform_attr_at(m, t, a)->len, lo,
                           hi);
                }
            }
            break;
        case ISAKMP_PL_ID:
            in(pl->u.id.data, pl->u.id.len, lo, hi);
            if (msg_id_decode(&pl->u.id, &idv, &why) == 0) {
                msg_id_format(&idv, text, sizeof(text));
                assert_true(strlen(text) < sizeof(text));
            } else {
                assert_non_null(why);
            }
            break;
        case ISAKMP_PL_N:
            in(pl->u.n.spi, pl->u.n.spi_size, lo, hi);
            in(pl->u.n.data, pl->u.n.len, lo, hi);
            break;
        case ISAKMP_PL_D:
            in(pl->u.d.spis, (size_t)pl->u.d.spi_size * pl->u.d.nspis, lo, hi);
            break;
        case ISAKMP_PL_CERT:
        case ISAKMP_PL_CR:
            in(pl->u.cert.data, pl->u.cert.len, lo, hi);
            break;
        default:
            break;
        }
    }
}
