/*
 * msg_parse.c: ISAKMP message parser (RFC 2408 3, RFC 2407 4.6, RFC 3947 5).
 * Every length is checked against the bytes that remain before anything is
 * read; the chain, the proposals, the transforms and the attributes are
 * walked with loops over fixed-size arrays, never recursion.  Offsets in
 * errors and in msg_payload.off count from the start of the ISAKMP header,
 * a decrypted body being taken as sitting in place of the ciphertext.
 */
#include "msg.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

const char *msg_rc_name(enum msg_rc rc)
{
    static const char *const names[] = {
        [MSG_OK] = "ok",
        [MSG_E_SHORT] = "short datagram",
        [MSG_E_IKEV2] = "IKEv2 message",
        [MSG_E_VERSION] = "unsupported version",
        [MSG_E_LENGTH] = "length mismatch",
        [MSG_E_TRUNCATED] = "truncated payload",
        [MSG_E_PAYLOAD_LEN] = "bad payload length",
        [MSG_E_PAYLOAD_TYPE] = "misplaced payload",
        [MSG_E_TOO_MANY] = "too many elements",
        [MSG_E_PROPOSAL] = "bad proposal syntax",
        [MSG_E_DOI] = "unsupported DOI",
        [MSG_E_SITUATION] = "unsupported situation",
        [MSG_E_TRAILING] = "trailing bytes",
        [MSG_E_STATE] = "codec misuse",
        [MSG_E_BUILD] = "build error",
    };
    if ((unsigned)rc < sizeof(names) / sizeof(names[0]) && names[rc] != NULL)
        return names[rc];
    return "unknown error";
}

/* Where a fault is, for the reason string. */
struct where {
    struct msg_err *err;
    uint8_t type;  /* payload type, 0 = header */
    unsigned idx;  /* payload index */
    size_t pl_off; /* offset of the payload */
};

__attribute__((format(printf, 5, 6))) static enum msg_rc
fail(const struct where *w, enum msg_rc rc, uint16_t notify, size_t off, const char *fmt, ...)
{
    struct msg_err *e = w->err;
    va_list ap;
    int n = 0;

    if (e == NULL)
        return rc;
    e->rc = rc;
    e->notify = notify;
    e->payload = w->type;
    e->index = w->idx;
    e->offset = off;
    if (w->type != 0 || w->pl_off != 0) {
        char num[16];
        const char *name = isakmp_fmt(num, sizeof(num), isakmp_payload_name(w->type), w->type);
        n = snprintf(e->reason, sizeof(e->reason), "%s (payload %u, offset %zu): ", name, w->idx,
                     w->pl_off);
    }
    if (n < 0 || (size_t)n >= sizeof(e->reason))
        n = 0;
    va_start(ap, fmt);
    vsnprintf(e->reason + n, sizeof(e->reason) - (size_t)n, fmt, ap);
    va_end(ap);
    return rc;
}

enum msg_rc msg_parse_hdr(struct msg_hdr *h, const uint8_t *buf, size_t len, struct msg_err *err)
{
    struct where w = {err, 0, 0, 0};

    if (len < ISAKMP_HDR_LEN)
        return fail(&w, MSG_E_SHORT, 0, 0, "header: %zu bytes, the ISAKMP header needs %d", len,
                    ISAKMP_HDR_LEN);
    memcpy(h->icookie, buf, ISAKMP_COOKIE_LEN);
    memcpy(h->rcookie, buf + 8, ISAKMP_COOKIE_LEN);
    h->np = buf[16];
    h->major = buf[17] >> 4;
    h->minor = buf[17] & 0x0f;
    h->exch = buf[18];
    h->flags = buf[19];
    h->msgid = get32(buf + 20);
    h->length = get32(buf + 24);
    if (h->major == ISAKMP_IKEV2_MAJOR) {
        char num[16];
        return fail(&w, MSG_E_IKEV2, ISAKMP_N_INVALID_MAJOR_VERSION, 17,
                    "header: IKEv2 message (version 2.%u, exchange %s)", h->minor,
                    isakmp_fmt(num, sizeof(num), isakmp_exch_name(h->exch), h->exch));
    }
    if (h->major != ISAKMP_MAJOR)
        return fail(&w, MSG_E_VERSION, ISAKMP_N_INVALID_MAJOR_VERSION, 17,
                    "header: version %u.%u, only 1.0 is supported", h->major, h->minor);
    if (h->minor != ISAKMP_MINOR)
        return fail(&w, MSG_E_VERSION, ISAKMP_N_INVALID_MINOR_VERSION, 17,
                    "header: version %u.%u, only 1.0 is supported", h->major, h->minor);
    if (h->length != len)
        return fail(&w, MSG_E_LENGTH, 0, 24, "header: length field says %u bytes, datagram has %zu",
                    h->length, len);
    return MSG_OK;
}

/* A 1..8-byte big-endian TLV value, or more with leading zeros. */
static bool tlv_value(const uint8_t *p, size_t len, uint64_t *v)
{
    *v = 0;
    for (size_t i = 0; i < len; i++) {
        if (len - i > 8 && p[i] != 0)
            return false;
        *v = *v << 8 | p[i];
    }
    return true;
}

/* The data attributes of one transform: a, alen (RFC 2408 3.3). */
static enum msg_rc parse_attrs(struct msg *m, struct msg_transform *t, const uint8_t *a,
                               size_t alen, size_t abs, const struct where *w)
{
    size_t off = 0;

    t->first_attr = (uint16_t)m->nattr;
    t->nattrs = 0;
    while (off < alen) {
        struct msg_attr *at;
        uint16_t type;

        if (alen - off < 4)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "transform %u: attribute header at offset %zu truncated (%zu bytes left)",
                        t->num, abs + off, alen - off);
        if (t->nattrs == MSG_MAX_XFORM_ATTRS || m->nattr == MSG_MAX_ATTRS)
            return fail(w, MSG_E_TOO_MANY, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "transform %u: more than %u attributes (%u in the message)", t->num,
                        MSG_MAX_XFORM_ATTRS, MSG_MAX_ATTRS);
        at = &m->attr[m->nattr];
        type = get16(a + off);
        at->type = type & ISAKMP_ATTR_TYPE;
        at->tv = (type & ISAKMP_ATTR_AF) != 0;
        if (at->tv) {
            at->len = 2;
            at->data = a + off + 2;
            at->value = get16(a + off + 2);
            at->value_ok = true;
            off += 4;
        } else {
            at->len = get16(a + off + 2);
            if (at->len > alen - off - 4)
                return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                            "transform %u: attribute type %u length %u at offset %zu runs past "
                            "the transform (%zu bytes left)",
                            t->num, at->type, at->len, abs + off, alen - off - 4);
            at->data = a + off + 4;
            at->value_ok = tlv_value(at->data, at->len, &at->value);
            off += 4 + (size_t)at->len;
        }
        m->nattr++;
        t->nattrs++;
    }
    return MSG_OK;
}

/* The transforms of proposal p: q[off..plen) (RFC 2408 3.6). */
static enum msg_rc parse_xforms(struct msg *m, struct msg_proposal *p, const uint8_t *q, size_t off,
                                size_t plen, size_t abs, const struct where *w)
{
    uint8_t np = ISAKMP_PL_T;
    enum msg_rc rc;

    p->first_xform = (uint16_t)m->nxform;
    p->nxforms = 0;
    while (np == ISAKMP_PL_T) {
        struct msg_transform *t;
        uint16_t tlen;

        if (plen - off < 8)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "proposal %u: transform at offset %zu truncated (%zu bytes left)", p->num,
                        abs + off, plen - off);
        np = q[off];
        tlen = get16(q + off + 2);
        if (np != ISAKMP_PL_T && np != ISAKMP_PL_NONE)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "proposal %u: transform next payload %u, must be 3 or 0", p->num, np);
        if (tlen < 8 || tlen > plen - off)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "proposal %u: transform length %u at offset %zu (%zu bytes left)", p->num,
                        tlen, abs + off, plen - off);
        if (m->nxform == MSG_MAX_TRANSFORMS)
            return fail(w, MSG_E_TOO_MANY, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "more than %u transforms", MSG_MAX_TRANSFORMS);
        t = &m->xform[m->nxform++];
        t->num = q[off + 4];
        t->id = q[off + 5];
        rc = parse_attrs(m, t, q + off + 8, tlen - 8u, abs + off + 8, w);
        if (rc != MSG_OK)
            return rc;
        p->nxforms++;
        off += tlen;
    }
    if (off != plen)
        return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                    "proposal %u: %zu bytes after its last transform", p->num, plen - off);
    if (p->nxforms != p->ntransforms)
        return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs,
                    "proposal %u declares %u transforms, carries %u", p->num, p->ntransforms,
                    p->nxforms);
    return MSG_OK;
}

/* RFC 2408 3.4, 3.5; RFC 2407 4.6.1 */
static enum msg_rc parse_sa(struct msg *m, struct msg_payload *pl, const struct where *w)
{
    struct msg_sa *sa = &pl->u.sa;
    const uint8_t *b = pl->body;
    size_t n = pl->body_len, off = 8, abs = pl->off + ISAKMP_GENERIC_LEN;
    uint8_t np = ISAKMP_PL_P;
    int last = -1;
    enum msg_rc rc;

    /* min_body() guaranteed the 8 bytes of DOI and situation */
    sa->doi = get32(b);
    sa->situation = get32(b + 4);
    if (sa->doi != ISAKMP_DOI_IPSEC)
        return fail(w, MSG_E_DOI, ISAKMP_N_DOI_NOT_SUPPORTED, abs, "DOI %u, only IPSEC (1)",
                    sa->doi);
    if ((sa->situation & ~(uint32_t)ISAKMP_SIT_IDENTITY_ONLY) != 0)
        return fail(w, MSG_E_SITUATION, ISAKMP_N_SITUATION_NOT_SUPPORTED, abs + 4,
                    "situation 0x%x, only SIT_IDENTITY_ONLY", sa->situation);
    sa->first_prop = (uint16_t)m->nprop;
    sa->nprops = 0;
    sa->ngroups = 0;
    while (np == ISAKMP_PL_P) {
        struct msg_proposal *p;
        const uint8_t *q = b + off;
        uint16_t plen;

        if (n - off < 8)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "proposal at offset %zu truncated (%zu bytes left)", abs + off, n - off);
        np = q[0];
        plen = get16(q + 2);
        if (np != ISAKMP_PL_P && np != ISAKMP_PL_NONE)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "proposal next payload %u, must be 2 or 0", np);
        if (plen < 8u + q[6] || plen > n - off)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "proposal length %u at offset %zu (SPI size %u, %zu bytes left)", plen,
                        abs + off, q[6], n - off);
        if (m->nprop == MSG_MAX_PROPOSALS)
            return fail(w, MSG_E_TOO_MANY, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "more than %u proposals", MSG_MAX_PROPOSALS);
        p = &m->prop[m->nprop++];
        p->num = q[4];
        p->proto = q[5];
        p->spi_size = q[6];
        p->ntransforms = q[7];
        p->spi = q + 8;
        if (last > p->num)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "proposal number %u after %d (RFC 2408 4.2: must not decrease)", p->num,
                        last);
        if (p->num != last)
            sa->ngroups++;
        p->group = (uint16_t)(sa->ngroups - 1);
        last = p->num;
        if (p->ntransforms == 0)
            return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                        "proposal %u has no transforms", p->num);
        rc = parse_xforms(m, p, q, 8u + p->spi_size, plen, abs + off, w);
        if (rc != MSG_OK)
            return rc;
        sa->nprops++;
        off += plen;
    }
    if (off != n)
        return fail(w, MSG_E_PROPOSAL, ISAKMP_N_BAD_PROPOSAL_SYNTAX, abs + off,
                    "%zu bytes after the last proposal", n - off);
    return MSG_OK;
}

/* Smallest body (after the generic header) each payload type may have. */
static size_t min_body(uint8_t type)
{
    switch (type) {
    case ISAKMP_PL_ID:
    case ISAKMP_PL_NATOA:
    case ISAKMP_PL_NATOA_DRAFT:
        return 4; /* type, protocol/reserved, port/reserved */
    case ISAKMP_PL_CERT:
        return 2; /* encoding and at least one byte */
    case ISAKMP_PL_N:
    case ISAKMP_PL_D:
        return 8; /* DOI, protocol, SPI size, type or count */
    case ISAKMP_PL_NONCE:
        return ISAKMP_NONCE_MIN;
    case ISAKMP_PL_SA:
    case ISAKMP_PL_CR:
        return type == ISAKMP_PL_SA ? 8 : 1;
    case ISAKMP_PL_KE:
    case ISAKMP_PL_HASH:
    case ISAKMP_PL_SIG:
    case ISAKMP_PL_VID:
    case ISAKMP_PL_NATD:
    case ISAKMP_PL_NATD_DRAFT:
        return 1;
    default:
        return 0;
    }
}

static enum msg_rc parse_payload(struct msg *m, struct msg_payload *pl, const struct where *w)
{
    const uint8_t *b = pl->body;
    size_t n = pl->body_len, abs = pl->off + ISAKMP_GENERIC_LEN;

    pl->known = true;
    if (n < min_body(pl->type))
        return fail(w, MSG_E_PAYLOAD_LEN, ISAKMP_N_PAYLOAD_MALFORMED, pl->off,
                    "length %u, at least %zu needed", pl->len, min_body(pl->type) + 4);
    switch (pl->type) {
    case ISAKMP_PL_SA:
        return parse_sa(m, pl, w);
    case ISAKMP_PL_P:
    case ISAKMP_PL_T:
        return fail(w, MSG_E_PAYLOAD_TYPE, ISAKMP_N_INVALID_PAYLOAD_TYPE, pl->off,
                    "proposal or transform outside an SA payload");
    case ISAKMP_PL_ID:
        pl->u.id.type = b[0];
        pl->u.id.proto = b[1];
        pl->u.id.port = get16(b + 2);
        pl->u.id.data = b + 4;
        pl->u.id.len = n - 4;
        return MSG_OK;
    case ISAKMP_PL_CERT:
    case ISAKMP_PL_CR:
        pl->u.cert.encoding = b[0];
        pl->u.cert.data = b + 1;
        pl->u.cert.len = n - 1;
        return MSG_OK;
    case ISAKMP_PL_NONCE:
        if (n > ISAKMP_NONCE_MAX)
            return fail(w, MSG_E_PAYLOAD_LEN, ISAKMP_N_PAYLOAD_MALFORMED, pl->off,
                        "nonce of %zu bytes, RFC 2409 allows %d to %d", n, ISAKMP_NONCE_MIN,
                        ISAKMP_NONCE_MAX);
        return MSG_OK;
    case ISAKMP_PL_N: {
        struct msg_notify *no = &pl->u.n;
        no->doi = get32(b);
        no->proto = b[4];
        no->spi_size = b[5];
        no->type = get16(b + 6);
        if (no->spi_size > n - 8)
            return fail(w, MSG_E_PAYLOAD_LEN, ISAKMP_N_PAYLOAD_MALFORMED, abs + 5,
                        "SPI size %u, only %zu bytes left", no->spi_size, n - 8);
        no->spi = b + 8;
        no->data = b + 8 + no->spi_size;
        no->len = n - 8 - no->spi_size;
        return MSG_OK;
    }
    case ISAKMP_PL_D: {
        struct msg_delete *d = &pl->u.d;
        d->doi = get32(b);
        d->proto = b[4];
        d->spi_size = b[5];
        d->nspis = get16(b + 6);
        d->spis = b + 8;
        if ((size_t)d->spi_size * d->nspis != n - 8)
            return fail(w, MSG_E_PAYLOAD_LEN, ISAKMP_N_PAYLOAD_MALFORMED, abs + 5,
                        "%u SPIs of %u bytes in %zu bytes", d->nspis, d->spi_size, n - 8);
        return MSG_OK;
    }
    case ISAKMP_PL_VID:
        pl->u.vid = isakmp_vid_lookup(b, n);
        if (pl->u.vid != ISAKMP_VID_UNKNOWN)
            m->vids |= 1u << pl->u.vid;
        return MSG_OK;
    case ISAKMP_PL_NATOA:
    case ISAKMP_PL_NATOA_DRAFT: {
        struct msg_natoa *oa = &pl->u.natoa;
        size_t want = b[0] == ISAKMP_ID_IPV4_ADDR ? 4 : b[0] == ISAKMP_ID_IPV6_ADDR ? 16 : 0;
        if (want == 0 || n - 4 != want)
            return fail(w, MSG_E_PAYLOAD_LEN, ISAKMP_N_PAYLOAD_MALFORMED, abs,
                        "ID type %u with %zu address bytes", b[0], n - 4);
        oa->id_type = b[0];
        oa->family = want == 4 ? AF_INET : AF_INET6;
        memcpy(oa->addr, b + 4, want);
        return MSG_OK;
    }
    case ISAKMP_PL_KE:
    case ISAKMP_PL_HASH:
    case ISAKMP_PL_SIG:
    case ISAKMP_PL_NATD:
    case ISAKMP_PL_NATD_DRAFT:
    case ISAKMP_PL_ATTR:
        return MSG_OK;
    default:
        /* RFC 2408 5.1 would answer INVALID-PAYLOAD-TYPE; the length is sound
         * so the chain goes on and kmd decides (the critical bit is IKEv2). */
        pl->known = false;
        m->nunknown++;
        return MSG_OK;
    }
}

static enum msg_rc parse_chain(struct msg *m, const uint8_t *p, size_t len, bool padding_ok,
                               struct msg_err *err)
{
    uint8_t np = m->hdr.np;
    size_t off = 0;
    enum msg_rc rc;

    m->npl = m->nprop = m->nxform = m->nattr = 0;
    m->vids = 0;
    m->nunknown = 0;
    m->padding = 0;
    while (np != ISAKMP_PL_NONE) {
        struct where w = {err, np, m->npl, ISAKMP_HDR_LEN + off};
        struct msg_payload *pl;
        uint16_t plen;

        if (m->npl == MSG_MAX_PAYLOADS)
            return fail(&w, MSG_E_TOO_MANY, ISAKMP_N_PAYLOAD_MALFORMED, w.pl_off,
                        "more than %u payloads", MSG_MAX_PAYLOADS);
        if (len - off < ISAKMP_GENERIC_LEN)
            return fail(&w, MSG_E_TRUNCATED, ISAKMP_N_PAYLOAD_MALFORMED, w.pl_off,
                        "generic header truncated, %zu bytes left", len - off);
        plen = get16(p + off + 2);
        if (plen < ISAKMP_GENERIC_LEN)
            return fail(&w, MSG_E_PAYLOAD_LEN, ISAKMP_N_PAYLOAD_MALFORMED, w.pl_off + 2,
                        "length %u, below the 4-byte generic header", plen);
        if (plen > len - off)
            return fail(&w, MSG_E_TRUNCATED, ISAKMP_N_PAYLOAD_MALFORMED, w.pl_off + 2,
                        "length %u runs past the end (%zu bytes left)", plen, len - off);
        pl = &m->pl[m->npl];
        memset(pl, 0, sizeof(*pl));
        pl->type = np;
        pl->len = plen;
        pl->off = w.pl_off;
        pl->raw = p + off;
        pl->body = p + off + ISAKMP_GENERIC_LEN;
        pl->body_len = plen - ISAKMP_GENERIC_LEN;
        rc = parse_payload(m, pl, &w);
        if (rc != MSG_OK)
            return rc;
        m->npl++;
        np = p[off];
        off += plen;
    }
    m->chain = p;
    m->chain_len = off;
    if (off < len) {
        struct where w = {err, 0, m->npl, 0};
        if (!padding_ok)
            return fail(&w, MSG_E_TRAILING, ISAKMP_N_PAYLOAD_MALFORMED, ISAKMP_HDR_LEN + off,
                        "%zu bytes after the last payload at offset %zu", len - off,
                        ISAKMP_HDR_LEN + off);
        m->padding = len - off;
    }
    m->parsed = true;
    return MSG_OK;
}

static void msg_reset(struct msg *m)
{
    memset(m, 0, offsetof(struct msg, pl));
}

enum msg_rc msg_parse(struct msg *m, const uint8_t *buf, size_t len, struct msg_err *err)
{
    enum msg_rc rc;

    msg_reset(m);
    rc = msg_parse_hdr(&m->hdr, buf, len, err);
    if (rc != MSG_OK)
        return rc;
    m->buf = buf;
    m->len = len;
    m->body = buf + ISAKMP_HDR_LEN;
    m->body_len = len - ISAKMP_HDR_LEN;
    if (m->hdr.flags & ISAKMP_FLAG_ENC) {
        struct where w = {err, 0, 0, 0};
        m->encrypted = true;
        if (m->body_len == 0)
            return fail(&w, MSG_E_TRUNCATED, ISAKMP_N_PAYLOAD_MALFORMED, ISAKMP_HDR_LEN,
                        "header: encrypted message without a body");
        return MSG_OK;
    }
    return parse_chain(m, m->body, m->body_len, false, err);
}

enum msg_rc msg_parse_decrypted(struct msg *m, const uint8_t *plain, size_t len,
                                struct msg_err *err)
{
    struct where w = {err, 0, 0, 0};

    if (!m->encrypted || m->buf == NULL)
        return fail(&w, MSG_E_STATE, 0, 0, "msg_parse_decrypted on a message not encrypted");
    return parse_chain(m, plain, len, true, err);
}

enum msg_udp4500 msg_udp4500_classify(const uint8_t *buf, size_t len)
{
    if (len == 1 && buf[0] == 0xff)
        return MSG_UDP4500_KEEPALIVE;
    if (len >= ISAKMP_NON_ESP_MARKER_LEN && get32(buf) == 0)
        return MSG_UDP4500_IKE;
    if (len >= 8) /* RFC 3948 2.1: SPI and sequence number at least */
        return MSG_UDP4500_ESP;
    return MSG_UDP4500_INVALID;
}

const struct msg_payload *msg_find(const struct msg *m, uint8_t type, unsigned nth)
{
    for (unsigned i = 0; i < m->npl; i++) {
        if (m->pl[i].type != type)
            continue;
        if (nth == 0)
            return &m->pl[i];
        nth--;
    }
    return NULL;
}

unsigned msg_count(const struct msg *m, uint8_t type)
{
    unsigned n = 0;

    for (unsigned i = 0; i < m->npl; i++)
        n += m->pl[i].type == type;
    return n;
}

const struct msg_proposal *msg_sa_prop(const struct msg *m, const struct msg_sa *sa, unsigned i)
{
    return i < sa->nprops ? &m->prop[sa->first_prop + i] : NULL;
}

const struct msg_transform *msg_prop_xform(const struct msg *m, const struct msg_proposal *p,
                                           unsigned i)
{
    return i < p->nxforms ? &m->xform[p->first_xform + i] : NULL;
}

const struct msg_attr *msg_xform_attr_at(const struct msg *m, const struct msg_transform *t,
                                         unsigned i)
{
    return i < t->nattrs ? &m->attr[t->first_attr + i] : NULL;
}

const struct msg_attr *msg_xform_attr(const struct msg *m, const struct msg_transform *t,
                                      uint16_t type)
{
    for (unsigned i = 0; i < t->nattrs; i++)
        if (m->attr[t->first_attr + i].type == type)
            return &m->attr[t->first_attr + i];
    return NULL;
}

const uint8_t *msg_delete_spi(const struct msg_delete *d, unsigned i)
{
    return i < d->nspis ? d->spis + (size_t)i * d->spi_size : NULL;
}
