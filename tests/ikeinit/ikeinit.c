/*
 * ikeinit.c: the test initiator's main mode (ikeinit.h): MM1, MM3, MM5
 * out, MM2, MM4, MM6 checked (echoed transform, vendor IDs, NAT-D, HASH_R),
 * the shared encryption helpers and the dispatch of responses.
 */
#include "ikeinit.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ikei_fail(struct ikei *i, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(i->err, sizeof(i->err), fmt, ap);
    va_end(ap);
    return -1;
}

static void addr(struct fwd_addr *a, const char *s)
{
    memset(a, 0, sizeof(*a));
    a->af = strchr(s, ':') ? AF_INET6 : AF_INET;
    a->plen = a->af == AF_INET ? 32 : 128;
    inet_pton(a->af, s, a->a);
}

void ikei_defaults(struct ikei_conf *c, const char *local, const char *remote, const char *psk)
{
    memset(c, 0, sizeof(*c));
    c->psk = psk;
    c->enc = ISAKMP_ENC_AES_CBC;
    c->keylen = 128;
    c->hash = ISAKMP_HASH_SHA;
    c->group = ISAKMP_GROUP_MODP2048;
    c->life = 15840;
    c->prop_num = 1;
    c->natt_vid = c->dpd_vid = true;
    c->initial_contact = true;
    addr(&c->local, local);
    addr(&c->remote, remote);
    c->esp_id = ISAKMP_ESP_AES;
    c->esp_keylen = 128;
    c->aalg = ISAKMP_AALG_HMAC_SHA;
    c->p2_life = 3960;
    c->lnet = "10.2.2.0/24";
    c->rnet = "10.1.1.0/24";
}

struct ikei *ikei_new(const struct ikei_conf *c)
{
    struct ikei *i = calloc(1, sizeof(*i));

    if (i == NULL)
        return NULL;
    i->c = *c;
    i->lport = i->rport = 500;
    return i;
}

void ikei_free(struct ikei *i)
{
    if (i == NULL)
        return;
    dh_keypair_free(i->dh);
    dh_keypair_free(i->qm.dh);
    cbc_free(i->cbc);
    ikev1_keys_wipe(&i->keys);
    free(i);
}

void ikei_dgram(const struct ikei *i, struct fwd_dgram *d, size_t len)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->ingress, sizeof(d->ingress), "ge-0/0/1.0");
    d->src = i->c.local;
    d->dst = i->c.remote;
    d->sport = i->lport;
    d->dport = i->rport;
    d->len = (uint32_t)len;
}

static void hdr(struct ikei *i, struct msg_hdr *h, uint8_t exch, uint8_t flags, uint32_t msgid)
{
    memset(h, 0, sizeof(*h));
    memcpy(h->icookie, i->icky, 8);
    memcpy(h->rcookie, i->rcky, 8);
    h->major = ISAKMP_MAJOR;
    h->exch = exch;
    h->flags = flags;
    h->msgid = msgid;
}

int ikei_encrypt(struct ikei *i, uint8_t *iv, uint8_t exch, uint32_t msgid, struct msg_builder *b,
                 uint8_t *out, size_t cap, size_t *len)
{
    struct msg_hdr h;
    size_t bs = cbc_block_len(i->cbc), blen;

    mb_pad(b, bs);
    if (mb_finish(b, &blen) < 0 || 28 + blen > cap)
        return ikei_fail(i, "build: %s", b->why ? b->why : "too long");
    memcpy(out + 28, b->buf, blen);
    if (cbc_encrypt(i->cbc, iv, out + 28, blen) < 0)
        return ikei_fail(i, "encrypt");
    memcpy(iv, out + 28 + blen - bs, bs);
    hdr(i, &h, exch, ISAKMP_FLAG_ENC, msgid);
    h.np = mb_first(b);
    h.length = (uint32_t)(28 + blen);
    msg_hdr_write(out, &h);
    *len = 28 + blen;
    return 0;
}

int ikei_open(struct ikei *i, const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *next)
{
    struct msg_err err;
    size_t bs = cbc_block_len(i->cbc);

    if (msg_parse(&i->m, in, len, &err) != MSG_OK)
        return ikei_fail(i, "parse: %s", err.reason);
    if (!i->m.encrypted || i->m.body_len % bs || i->m.body_len == 0 ||
        i->m.body_len > sizeof(i->plain))
        return ikei_fail(i, "not an encrypted message");
    memcpy(i->plain, i->m.body, i->m.body_len);
    memcpy(next, i->m.body + i->m.body_len - bs, bs);
    if (cbc_decrypt(i->cbc, iv, i->plain, i->m.body_len) < 0)
        return ikei_fail(i, "decrypt");
    if (msg_parse_decrypted(&i->m, i->plain, i->m.body_len, &err) != MSG_OK)
        return ikei_fail(i, "decrypted: %s", err.reason);
    return 0;
}

int ikei_mm1(struct ikei *i, uint8_t *out, size_t cap, size_t *len)
{
    struct msg_builder b;
    struct msg_hdr h;
    const struct msg_payload *sa;
    struct msg_err err;

    crypto_random(i->icky, 8);
    memset(i->rcky, 0, 8);
    mb_init_msg(&b, out, cap);
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    mb_proposal_begin(&b, i->c.prop_num, ISAKMP_PROTO_ISAKMP, NULL, 0);
    mb_transform_begin(&b, i->c.prop_num, ISAKMP_XF_KEY_IKE);
    mb_attr(&b, ISAKMP_A1_ENC, i->c.enc);
    if (i->c.keylen)
        mb_attr(&b, ISAKMP_A1_KEY_LENGTH, i->c.keylen);
    mb_attr(&b, ISAKMP_A1_HASH, i->c.hash);
    mb_attr(&b, ISAKMP_A1_GROUP, i->c.group);
    mb_attr(&b, ISAKMP_A1_AUTH, i->c.auth ? i->c.auth : ISAKMP_AUTH_PSK);
    mb_attr(&b, ISAKMP_A1_LIFE_TYPE, ISAKMP_LIFE_SECONDS);
    mb_attr(&b, ISAKMP_A1_LIFE_DURATION, i->c.life);
    mb_sa_end(&b);
    if (i->c.natt_vid)
        mb_vid_known(&b, ISAKMP_VID_NATT_RFC3947);
    if (i->c.dpd_vid)
        mb_vid_known(&b, ISAKMP_VID_DPD);
    hdr(i, &h, ISAKMP_EXCH_IDPROT, 0, 0);
    if (mb_finish_msg(&b, &h, len) < 0)
        return ikei_fail(i, "MM1: %s", b.why);
    if (msg_parse(&i->m, out, *len, &err) != MSG_OK ||
        (sa = msg_find(&i->m, ISAKMP_PL_SA, 0)) == NULL || sa->body_len > sizeof(i->sai_b))
        return ikei_fail(i, "MM1 does not parse");
    memcpy(i->sai_b, sa->body, i->sai_len = sa->body_len);
    i->step = 1;
    return 0;
}

static int natd(const struct ikei *i, const struct fwd_addr *a, uint16_t port, uint8_t *out)
{
    uint8_t p[2] = {(uint8_t)(port >> 8), (uint8_t)port};
    struct crypto_iov iov[4] = {
        {i->icky, 8}, {i->rcky, 8}, {a->a, a->af == AF_INET6 ? 16 : 4}, {p, 2}};

    return crypto_hash_v(i->hashalg, iov, 4, out);
}

static int mm2(struct ikei *i, uint8_t *out, size_t cap, size_t *len)
{
    const struct msg_payload *sa = msg_find(&i->m, ISAKMP_PL_SA, 0);
    const struct msg_proposal *p;
    const struct dh_group *g = dh_group_find(i->c.group);
    struct msg_builder b;
    struct msg_hdr h;

    if (sa == NULL || sa->u.sa.nprops != 1)
        return ikei_fail(i, "MM2 without one proposal");
    p = msg_sa_prop(&i->m, &sa->u.sa, 0);
    i->mm2_prop = p->num;
    i->mm2_xform = msg_prop_xform(&i->m, p, 0)->num;
    if (i->mm2_prop != i->c.prop_num || i->mm2_xform != i->c.prop_num)
        return ikei_fail(i, "MM2 numbers %u/%u, offered %u", i->mm2_prop, i->mm2_xform,
                         i->c.prop_num);
    i->vids = i->m.vids;
    i->natt = i->c.natt_vid && msg_has_vid(&i->m, ISAKMP_VID_NATT_RFC3947);
    memcpy(i->rcky, i->m.hdr.rcookie, 8);
    i->hashalg = i->c.hash == ISAKMP_HASH_MD5        ? CRYPTO_HASH_MD5
                 : i->c.hash == ISAKMP_HASH_SHA2_256 ? CRYPTO_HASH_SHA256
                                                     : CRYPTO_HASH_SHA1;
    i->cipher = i->c.enc == ISAKMP_ENC_3DES_CBC  ? CRYPTO_CIPHER_3DES_CBC
                : i->c.enc == ISAKMP_ENC_DES_CBC ? CRYPTO_CIPHER_DES_CBC
                : i->c.keylen == 256             ? CRYPTO_CIPHER_AES256_CBC
                : i->c.keylen == 192             ? CRYPTO_CIPHER_AES192_CBC
                                                 : CRYPTO_CIPHER_AES128_CBC;
    if (g == NULL || (i->dh = dh_keypair(g, 0)) == NULL)
        return ikei_fail(i, "DH group %u", i->c.group);
    i->glen = dh_group_len(g);
    memcpy(i->gxi, dh_public(i->dh), i->glen);
    crypto_random(i->ni, sizeof(i->ni));
    mb_init_msg(&b, out, cap);
    mb_ke(&b, i->gxi, i->glen, i->glen);
    mb_nonce(&b, i->ni, sizeof(i->ni));
    if (i->natt) {
        uint8_t hh[CRYPTO_MAX_HASH];
        size_t hl = crypto_hash_len(i->hashalg);
        natd(i, &i->c.remote, i->rport, hh);
        mb_natd(&b, ISAKMP_PL_NATD, hh, hl);
        natd(i, &i->c.local, i->lport, hh);
        if (i->c.force_natt) /* strongSwan + kernel-libipsec: a wrong hash of itself */
            hh[0] ^= 0xff;
        mb_natd(&b, ISAKMP_PL_NATD, hh, hl);
    }
    hdr(i, &h, ISAKMP_EXCH_IDPROT, 0, 0);
    if (mb_finish_msg(&b, &h, len) < 0)
        return ikei_fail(i, "MM3: %s", b.why);
    i->step = 3;
    return 1;
}

static int mm4(struct ikei *i, uint8_t *out, size_t cap, size_t *len)
{
    const struct msg_payload *ke = msg_find(&i->m, ISAKMP_PL_KE, 0),
                             *nonce = msg_find(&i->m, ISAKMP_PL_NONCE, 0);
    uint8_t gxy[1024], body[2048], idb[300], hash[CRYPTO_MAX_HASH];
    struct ikev1_mm_input in;
    struct msg_builder b;
    size_t idlen;
    uint8_t idtype = i->c.id_type ? i->c.id_type : ISAKMP_ID_IPV4_ADDR;

    if (ke == NULL || nonce == NULL || ke->body_len != i->glen || nonce->body_len > 256)
        return ikei_fail(i, "MM4 without KE/nonce");
    memcpy(i->gxr, ke->body, i->glen);
    memcpy(i->nr, nonce->body, i->nr_len = nonce->body_len);
    if (i->natt) {
        uint8_t me[CRYPTO_MAX_HASH], peer[CRYPTO_MAX_HASH];
        size_t hl = crypto_hash_len(i->hashalg);
        const struct msg_payload *n0 = msg_find(&i->m, ISAKMP_PL_NATD, 0),
                                 *n1 = msg_find(&i->m, ISAKMP_PL_NATD, 1);
        if (n0 == NULL || n1 == NULL || n0->body_len != hl || n1->body_len != hl)
            return ikei_fail(i, "MM4 NAT-D missing");
        natd(i, &i->c.local, i->lport, me);
        natd(i, &i->c.remote, i->rport, peer);
        if (memcmp(n0->body, me, hl) != 0 || memcmp(n1->body, peer, hl) != 0) {
            if (!i->c.natd_lax)
                return ikei_fail(i, "MM4 NAT-D hashes are wrong");
            i->nat = true;
        }
        i->nat = i->nat || i->c.force_natt;
    }
    if (dh_shared(i->dh, i->gxr, i->glen, gxy) < 0)
        return ikei_fail(i, "DH");
    in = (struct ikev1_mm_input){i->hashalg,       i->cipher, (const uint8_t *)i->c.psk,
                                 strlen(i->c.psk), i->ni,     i->nr,
                                 sizeof(i->ni),    i->nr_len, i->gxi,
                                 i->gxr,           i->glen,   gxy,
                                 i->glen,          i->icky,   i->rcky,
                                 i->sai_b,         i->sai_len};
    if (ikev1_phase1_psk(&in, &i->keys) < 0 ||
        (i->cbc = cbc_new(i->cipher, CBC_BOTH, i->keys.ka, i->keys.ka_len)) == NULL)
        return ikei_fail(i, "keys");
    memcpy(i->iv, i->keys.iv, i->keys.iv_len);
    memset(idb, 0, sizeof(idb));
    idb[0] = idtype;
    if (idtype == ISAKMP_ID_IPV4_ADDR) {
        memcpy(idb + 4, i->c.local.a, 4);
        idlen = 8;
    } else {
        idlen = 4 + strlen(i->c.id);
        memcpy(idb + 4, i->c.id, strlen(i->c.id));
    }
    if (ikev1_hash_i(&i->keys, &in, idb, idlen, hash) < 0)
        return ikei_fail(i, "HASH_I");
    mb_init(&b, body, sizeof(body));
    mb_id(&b, idtype, 0, 0, idb + 4, idlen - 4);
    mb_hash(&b, hash, i->keys.len);
    if (i->c.initial_contact) {
        uint8_t spi[16];
        memcpy(spi, i->icky, 8);
        memcpy(spi + 8, i->rcky, 8);
        mb_notify(&b, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, spi, 16, ISAKMP_N_INITIAL_CONTACT,
                  NULL, 0);
    }
    if (i->natt && i->nat) /* RFC 3947 4: float to 4500 from MM5 on */
        i->lport = i->rport = 4500;
    if (ikei_encrypt(i, i->iv, ISAKMP_EXCH_IDPROT, 0, &b, out, cap, len) < 0)
        return -1;
    i->step = 5;
    crypto_wipe(gxy, sizeof(gxy));
    return 1;
}

static int mm6(struct ikei *i, const uint8_t *in, size_t len)
{
    uint8_t next[CRYPTO_MAX_BLOCK], hash[CRYPTO_MAX_HASH];
    const struct msg_payload *id, *hp;
    struct ikev1_mm_input mi = {0};

    if (ikei_open(i, i->iv, in, len, next) < 0)
        return -1;
    id = msg_find(&i->m, ISAKMP_PL_ID, 0);
    hp = msg_find(&i->m, ISAKMP_PL_HASH, 0);
    if (id == NULL || hp == NULL)
        return ikei_fail(i, "MM6 without ID/HASH");
    mi.gxi = i->gxi;
    mi.gxr = i->gxr;
    mi.g_len = i->glen;
    mi.cky_i = i->icky;
    mi.cky_r = i->rcky;
    mi.sai_b = i->sai_b;
    mi.sai_len = i->sai_len;
    if (ikev1_hash_r(&i->keys, &mi, id->body, id->body_len, hash) < 0 ||
        hp->body_len != i->keys.len || memcmp(hash, hp->body, i->keys.len) != 0)
        return ikei_fail(i, "HASH_R mismatch");
    memcpy(i->iv, next, i->keys.iv_len);
    memcpy(i->p1_last, next, i->keys.iv_len);
    i->step = 6;
    return 0;
}

int ikei_input(struct ikei *i, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
               size_t *olen)
{
    struct msg_hdr h;
    struct msg_err err;

    if (msg_parse_hdr(&h, in, len, &err) != MSG_OK)
        return ikei_fail(i, "header: %s", err.reason);
    if (memcmp(h.icookie, i->icky, 8) != 0)
        return ikei_fail(i, "not for us");
    if (h.exch == ISAKMP_EXCH_INFO)
        return ikei_info(i, in, len);
    if (h.exch == ISAKMP_EXCH_QUICK)
        return ikei_qm2(i, in, len, out, cap, olen);
    if (h.exch != ISAKMP_EXCH_IDPROT)
        return ikei_fail(i, "exchange %u", h.exch);
    if (i->step == 5)
        return mm6(i, in, len);
    if (msg_parse(&i->m, in, len, &err) != MSG_OK)
        return ikei_fail(i, "parse: %s", err.reason);
    if (i->step == 1)
        return mm2(i, out, cap, olen);
    if (i->step == 3)
        return mm4(i, out, cap, olen);
    return ikei_fail(i, "unexpected main mode message at step %d", i->step);
}
