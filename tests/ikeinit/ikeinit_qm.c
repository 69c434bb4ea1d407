/*
 * ikeinit_qm.c: the test initiator's quick mode (QM1 out: ESP, AH or an
 * AH+ESP bundle under one proposal number; QM2 checked:
 * HASH(2), echoed IDs, RESPONDER-LIFETIME, PFS; KEYMAT of both SAs; QM3)
 * and informational exchanges (DELETE, R-U-THERE out; notifies and
 * deletes in, protected or not).
 */
#include "ikeinit.h"

#include "config.h"

#include <arpa/inet.h>
#include <string.h>

static void u32be(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void add_id(struct msg_builder *b, const char *net)
{
    struct kmd_prefix p;
    uint8_t data[32];
    size_t al;

    kmd_prefix_parse(net, &p);
    al = p.af == AF_INET6 ? 16 : 4;
    memcpy(data, p.addr, al);
    memset(data + al, 0, al);
    for (int bit = 0; bit < p.plen; bit++)
        data[al + bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
    mb_id(b, al == 16 ? ISAKMP_ID_IPV6_ADDR_SUBNET : ISAKMP_ID_IPV4_ADDR_SUBNET, 0, 0, data,
          2 * al);
}

static uint8_t ah_id(const struct ikei_conf *c)
{
    if (c->ah_id)
        return c->ah_id;
    return c->aalg == ISAKMP_AALG_HMAC_MD5   ? ISAKMP_AH_MD5
           : c->aalg == ISAKMP_AALG_HMAC_SHA ? ISAKMP_AH_SHA
                                             : ISAKMP_AH_SHA2_256;
}

/* One protocol's proposal with one transform and the SA attributes. */
static void add_proposal(struct ikei *i, struct msg_builder *b, uint8_t proto, uint32_t spi)
{
    uint8_t s[4];
    bool bundle = i->c.p2_proto == IKEI_BUNDLE;

    u32be(s, spi);
    mb_proposal_begin(b, i->c.prop_num, proto, s, 4);
    if (proto == ISAKMP_PROTO_IPSEC_AH) {
        mb_transform_begin(b, i->c.prop_num, ah_id(&i->c));
        mb_attr(b, ISAKMP_A2_AUTH, i->c.aalg);
    } else {
        mb_transform_begin(b, i->c.prop_num, i->c.esp_id);
        if (i->c.esp_keylen)
            mb_attr(b, ISAKMP_A2_KEY_LENGTH, i->c.esp_keylen);
        if (bundle ? i->c.bundle_esp_aalg : i->c.aalg) /* none with AES-GCM or in a bundle */
            mb_attr(b, ISAKMP_A2_AUTH, bundle ? i->c.bundle_esp_aalg : i->c.aalg);
    }
    mb_attr(b, ISAKMP_A2_ENCAP, i->qm.encap);
    if (i->c.pfs_group)
        mb_attr(b, ISAKMP_A2_GROUP, i->c.pfs_group);
    mb_attr(b, ISAKMP_A2_LIFE_TYPE, ISAKMP_LIFE_SECONDS);
    mb_attr(b, ISAKMP_A2_LIFE_DURATION, i->c.p2_life);
}

int ikei_qm1(struct ikei *i, uint8_t *out, size_t cap, size_t *len)
{
    struct ikei_qm *q = &i->qm;
    uint8_t body[4096], *hp;
    struct msg_builder b;
    size_t hl = i->keys.len;
    uint8_t proto = i->c.p2_proto ? i->c.p2_proto : ISAKMP_PROTO_IPSEC_ESP;

    if (i->step != 6)
        return ikei_fail(i, "main mode not done");
    dh_keypair_free(q->dh);
    memset(q, 0, sizeof(*q));
    while (q->msgid == 0)
        crypto_random(&q->msgid, 4);
    crypto_random(&q->spi_i, 4);
    q->spi_i |= 0x1000;
    if (proto == IKEI_BUNDLE) {
        crypto_random(&q->aux_i, 4);
        q->aux_i |= 0x1000;
    }
    crypto_random(q->ni, sizeof(q->ni));
    q->encap = i->nat ? ISAKMP_ENCAP_UDP_TUNNEL : ISAKMP_ENCAP_TUNNEL;
    if (ikev1_phase2_iv(i->hashalg, i->p1_last, i->keys.iv_len, q->msgid, q->iv) < 0)
        return ikei_fail(i, "IV");
    mb_init(&b, body, sizeof(body));
    hp = mb_hash(&b, NULL, hl);
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    if (proto != IKEI_BUNDLE) {
        add_proposal(i, &b, proto, q->spi_i);
    } else if (i->c.esp_first) {
        add_proposal(i, &b, ISAKMP_PROTO_IPSEC_ESP, q->aux_i);
        add_proposal(i, &b, ISAKMP_PROTO_IPSEC_AH, q->spi_i);
    } else {
        add_proposal(i, &b, ISAKMP_PROTO_IPSEC_AH, q->spi_i);
        add_proposal(i, &b, ISAKMP_PROTO_IPSEC_ESP, q->aux_i);
    }
    mb_sa_end(&b);
    mb_nonce(&b, q->ni, sizeof(q->ni));
    if (i->c.pfs_group) {
        const struct dh_group *g = dh_group_find(i->c.pfs_group);
        if (g == NULL || (q->dh = dh_keypair(g, 0)) == NULL)
            return ikei_fail(i, "PFS group");
        mb_ke(&b, dh_public(q->dh), dh_group_len(g), dh_group_len(g));
    }
    if (!i->c.no_ids) {
        add_id(&b, i->c.lnet);
        add_id(&b, i->c.rnet);
    }
    if (b.err || ikev1_qm_hash1(&i->keys, q->msgid, body + 4 + hl, b.len - 4 - hl, hp) < 0)
        return ikei_fail(i, "QM1: %s", b.why ? b.why : "hash");
    return ikei_encrypt(i, q->iv, ISAKMP_EXCH_QUICK, q->msgid, &b, out, cap, len);
}

/* RFC 2409 5.5, per protocol and SPI: ESP's cipher then integrity key;
 * AH's integrity key; a bundle: AH's under spi, ESP's cipher under aux. */
static int keymat(struct ikei *i, const struct ikev1_qm_input *qi, uint32_t spi, uint32_t aux,
                  uint8_t *ekey, uint8_t *akey)
{
    struct ikei_qm *q = &i->qm;
    uint8_t km[128];

    if (i->c.p2_proto == 0 || i->c.p2_proto == ISAKMP_PROTO_IPSEC_ESP) {
        if (ikev1_keymat(&i->keys, qi, ISAKMP_PROTO_IPSEC_ESP, spi, km, q->ekey_len + q->akey_len) <
            0)
            return -1;
        memcpy(ekey, km, q->ekey_len);
        memcpy(akey, km + q->ekey_len, q->akey_len);
        return 0;
    }
    if (ikev1_keymat(&i->keys, qi, ISAKMP_PROTO_IPSEC_AH, spi, km, q->akey_len) < 0)
        return -1;
    memcpy(akey, km, q->akey_len);
    if (i->c.p2_proto == IKEI_BUNDLE) {
        if (ikev1_keymat(&i->keys, qi, ISAKMP_PROTO_IPSEC_ESP, aux, km, q->ekey_len) < 0)
            return -1;
        memcpy(ekey, km, q->ekey_len);
    }
    return 0;
}

int ikei_qm2(struct ikei *i, const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *olen)
{
    struct ikei_qm *q = &i->qm;
    uint8_t next[CRYPTO_MAX_BLOCK], hash[CRYPTO_MAX_HASH], body[256], *hp, gqm[1024];
    const struct msg_payload *sa, *nonce, *ke;
    const struct msg_proposal *p;
    const uint8_t *rest;
    size_t rl, gl = 0;
    struct msg_builder b;
    struct ikev1_qm_input qi;

    if (ikei_open(i, q->iv, in, len, next) < 0)
        return -1;
    if (i->m.npl == 0 || i->m.pl[0].type != ISAKMP_PL_HASH)
        return ikei_fail(i, "QM2 does not start with HASH");
    rest = i->m.pl[0].raw + i->m.pl[0].len;
    rl = i->m.chain_len - (size_t)(rest - i->m.chain);
    if (ikev1_qm_hash2(&i->keys, q->msgid, q->ni, sizeof(q->ni), rest, rl, hash) < 0 ||
        i->m.pl[0].body_len != i->keys.len || memcmp(hash, i->m.pl[0].body, i->keys.len) != 0) {
        return ikei_fail(i, "HASH(2) mismatch");
    }
    memcpy(q->iv, next, i->keys.iv_len);
    sa = msg_find(&i->m, ISAKMP_PL_SA, 0);
    nonce = msg_find(&i->m, ISAKMP_PL_NONCE, 0);
    ke = msg_find(&i->m, ISAKMP_PL_KE, 0);
    if (sa == NULL || nonce == NULL ||
        sa->u.sa.nprops != (i->c.p2_proto == IKEI_BUNDLE ? 2u : 1u) || sa->u.sa.ngroups != 1)
        return ikei_fail(i, "QM2 without SA/nonce, or not one proposal of our protocols");
    for (unsigned n = 0; n < sa->u.sa.nprops; n++) {
        uint8_t want =
            i->c.p2_proto == IKEI_BUNDLE
                ? (n == 0) == i->c.esp_first ? ISAKMP_PROTO_IPSEC_ESP : ISAKMP_PROTO_IPSEC_AH
            : i->c.p2_proto ? i->c.p2_proto
                            : ISAKMP_PROTO_IPSEC_ESP;
        p = msg_sa_prop(&i->m, &sa->u.sa, n);
        if (p->spi_size != 4 || p->num != i->c.prop_num || p->proto != want || p->nxforms != 1)
            return ikei_fail(i, "QM2 proposal %u: protocol %u, number %u (we offered %u, %u)", n,
                             p->proto, p->num, want, i->c.prop_num);
        if (i->c.p2_proto == IKEI_BUNDLE && want == ISAKMP_PROTO_IPSEC_ESP)
            q->aux_r = be32(p->spi);
        else
            q->spi_r = be32(p->spi);
    }
    memcpy(q->nr, nonce->body, q->nr_len = nonce->body_len);
    if (!i->c.no_ids && msg_count(&i->m, ISAKMP_PL_ID) != 2)
        return ikei_fail(i, "QM2 does not echo the IDs");
    for (unsigned n = 0; n < msg_count(&i->m, ISAKMP_PL_N); n++) {
        const struct msg_notify *nt = &msg_find(&i->m, ISAKMP_PL_N, n)->u.n;
        if (nt->type == ISAKMP_N_RESPONDER_LIFETIME && nt->len >= 8)
            q->resp_lifetime =
                nt->len == 8 ? (uint32_t)(nt->data[6] << 8 | nt->data[7]) : be32(nt->data + 8);
    }
    if (q->dh) {
        gl = dh_group_len(dh_keypair_group(q->dh));
        if (ke == NULL || ke->body_len != gl || dh_shared(q->dh, ke->body, gl, gqm) < 0)
            return ikei_fail(i, "QM2 PFS KE");
    }
    q->ekey_len = i->c.p2_proto == ISAKMP_PROTO_IPSEC_AH ? 0
                  : i->c.esp_id == ISAKMP_ESP_3DES       ? 24
                  : i->c.esp_id == ISAKMP_ESP_DES        ? 8
                  : i->c.esp_id >= ISAKMP_ESP_AES_GCM_8 && i->c.esp_id <= ISAKMP_ESP_AES_GCM_16
                      ? i->c.esp_keylen / 8 + 4 /* RFC 4106 8.1: and the salt */
                      : i->c.esp_keylen / 8;
    q->akey_len = i->c.p2_proto == IKEI_BUNDLE && i->c.bundle_esp_aalg ? 0 /* refused anyway */
                  : i->c.aalg == 0                                     ? 0
                  : i->c.aalg == ISAKMP_AALG_HMAC_MD5                  ? 16
                  : i->c.aalg == ISAKMP_AALG_HMAC_SHA                  ? 20
                                                                       : 32;
    qi = (struct ikev1_qm_input){q->ni, q->nr, sizeof(q->ni), q->nr_len, q->dh ? gqm : NULL, gl};
    if (keymat(i, &qi, q->spi_r, q->aux_r, q->ekey_ir, q->akey_ir) < 0 ||
        keymat(i, &qi, q->spi_i, q->aux_i, q->ekey_ri, q->akey_ri) < 0)
        return ikei_fail(i, "KEYMAT");
    mb_init(&b, body, sizeof(body));
    hp = mb_hash(&b, NULL, i->keys.len);
    if (hp == NULL ||
        ikev1_qm_hash3(&i->keys, q->msgid, q->ni, sizeof(q->ni), q->nr, q->nr_len, hp) < 0)
        return ikei_fail(i, "HASH(3)");
    if (ikei_encrypt(i, q->iv, ISAKMP_EXCH_QUICK, q->msgid, &b, out, cap, olen) < 0)
        return -1;
    q->done = true;
    return 1;
}

/* HASH(1) + one payload added by add(), fresh message ID. */
static int protected(struct ikei *i, int kind, uint32_t arg, uint8_t *out, size_t cap, size_t *len)
{
    uint8_t body[512], iv[CRYPTO_MAX_BLOCK], *hp, spi[16], seq[4];
    struct msg_builder b;
    uint32_t msgid = 0;
    size_t hl = i->keys.len;

    if (i->step != 6)
        return ikei_fail(i, "main mode not done");
    while (msgid == 0)
        crypto_random(&msgid, 4);
    ikev1_phase2_iv(i->hashalg, i->p1_last, i->keys.iv_len, msgid, iv);
    memcpy(spi, i->icky, 8);
    memcpy(spi + 8, i->rcky, 8);
    mb_init(&b, body, sizeof(body));
    hp = mb_hash(&b, NULL, hl);
    if (kind == 0) { /* D(ESP), or D(AH) for AH and bundles: our inbound SPI */
        u32be(seq, i->qm.spi_i);
        mb_delete(&b, ISAKMP_DOI_IPSEC,
                  i->c.p2_proto && i->c.p2_proto != ISAKMP_PROTO_IPSEC_ESP ? ISAKMP_PROTO_IPSEC_AH
                                                                           : ISAKMP_PROTO_IPSEC_ESP,
                  4, seq, 1);
    } else if (kind == 1) {
        mb_delete(&b, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, 16, spi, 1);
    } else {
        u32be(seq, arg);
        mb_notify(&b, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, spi, 16, ISAKMP_N_R_U_THERE, seq, 4);
    }
    if (b.err || ikev1_qm_hash1(&i->keys, msgid, body + 4 + hl, b.len - 4 - hl, hp) < 0)
        return ikei_fail(i, "informational");
    return ikei_encrypt(i, iv, ISAKMP_EXCH_INFO, msgid, &b, out, cap, len);
}

int ikei_delete_esp(struct ikei *i, uint8_t *out, size_t cap, size_t *len)
{
    return protected(i, 0, 0, out, cap, len);
}

int ikei_delete_ike(struct ikei *i, uint8_t *out, size_t cap, size_t *len)
{
    return protected(i, 1, 0, out, cap, len);
}

int ikei_dpd(struct ikei *i, uint32_t seq, uint8_t *out, size_t cap, size_t *len)
{
    return protected(i, 2, seq, out, cap, len);
}

int ikei_info(struct ikei *i, const uint8_t *in, size_t len)
{
    struct msg_err err;
    uint8_t iv[CRYPTO_MAX_BLOCK], next[CRYPTO_MAX_BLOCK], hash[CRYPTO_MAX_HASH];
    const uint8_t *rest;
    size_t rl;

    if (msg_parse(&i->m, in, len, &err) != MSG_OK)
        return ikei_fail(i, "info: %s", err.reason);
    if (i->m.encrypted) {
        if (i->cbc == NULL || i->step != 6)
            return ikei_fail(i, "encrypted informational before keys");
        ikev1_phase2_iv(i->hashalg, i->p1_last, i->keys.iv_len, i->m.hdr.msgid, iv);
        if (ikei_open(i, iv, in, len, next) < 0)
            return -1;
        if (i->m.npl == 0 || i->m.pl[0].type != ISAKMP_PL_HASH)
            return ikei_fail(i, "informational without HASH");
        rest = i->m.pl[0].raw + i->m.pl[0].len;
        rl = i->m.chain_len - (size_t)(rest - i->m.chain);
        if (ikev1_qm_hash1(&i->keys, i->m.hdr.msgid, rest, rl, hash) < 0 ||
            memcmp(hash, i->m.pl[0].body, i->keys.len) != 0)
            return ikei_fail(i, "informational HASH(1) mismatch");
    }
    for (unsigned n = 0; n < i->m.npl; n++) {
        const struct msg_payload *p = &i->m.pl[n];
        if (p->type == ISAKMP_PL_N) {
            i->notifies++;
            i->last_notify = p->u.n.type;
            i->last_notify_len = p->u.n.len < 16 ? p->u.n.len : 16;
            memcpy(i->last_notify_data, p->u.n.data, i->last_notify_len);
        } else if (p->type == ISAKMP_PL_D) {
            i->deletes++;
            i->last_delete_proto = p->u.d.proto;
            if (p->u.d.spi_size == 4 && p->u.d.nspis)
                i->last_delete_spi = be32(msg_delete_spi(&p->u.d, 0));
        }
    }
    return 0;
}
