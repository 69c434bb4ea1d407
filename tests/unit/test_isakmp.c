/* test_isakmp.c: the ISAKMP codec (kmd/isakmp.c, msg_*.c) against the real
 * strongSwan and libreswan exchanges of shared/vectors/ikev1: plaintext
 * main mode messages checked field by field against decrypted.txt,
 * encrypted ones decrypted with the keys of keys.txt (OpenSSL) and parsed,
 * every message re-encoded by the builder to the same bytes; names, IDs,
 * IKEv2 detection, UDP 4500 demultiplexing and a built MM2 round trip. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isakmp.h"
#include "isakmp_vectors.h"
#include "msg.h"

/* What decrypted.txt and summary.txt say about each exchange. */
struct expect {
    const char *name;
    bool libreswan; /* initiator is libreswan 4.10 (else strongSwan 5.9.8) */
    uint8_t enc;
    uint16_t keylen;
    uint8_t hash, group;
    uint32_t life;
    size_t ke_len, hash_len, bs;
    unsigned nattrs;
    uint8_t esp_id, encap, aalg;
    bool pfs;
    const char *id_i, *proxy_i;
};

static const struct expect vectors[] = {
    {"strongswan-raw-esp", false, ISAKMP_ENC_AES_CBC, 128, ISAKMP_HASH_SHA, 2, 15840, 128, 20, 16,
     7, ISAKMP_ESP_AES, ISAKMP_ENCAP_TUNNEL, ISAKMP_AALG_HMAC_SHA, false, "198.18.0.2",
     "198.51.100.0/25"},
    {"libreswan-raw-esp", true, ISAKMP_ENC_AES_CBC, 128, ISAKMP_HASH_SHA, 14, 28800, 256, 20, 16, 7,
     ISAKMP_ESP_AES, ISAKMP_ENCAP_TUNNEL, ISAKMP_AALG_HMAC_SHA, false, "198.18.0.3",
     "198.51.100.128/25"},
    {"strongswan-natt", false, ISAKMP_ENC_AES_CBC, 128, ISAKMP_HASH_SHA, 2, 15840, 128, 20, 16, 7,
     ISAKMP_ESP_AES, ISAKMP_ENCAP_UDP_TUNNEL, ISAKMP_AALG_HMAC_SHA, false, "198.18.0.2",
     "198.51.100.0/25"},
    {"libreswan-natt-no-qm3", true, ISAKMP_ENC_AES_CBC, 128, ISAKMP_HASH_SHA, 14, 28800, 256, 20,
     16, 7, ISAKMP_ESP_AES, ISAKMP_ENCAP_UDP_TUNNEL, ISAKMP_AALG_HMAC_SHA, false, "198.18.0.3",
     "198.51.100.128/25"},
    {"strongswan-pfs-sha256", false, ISAKMP_ENC_AES_CBC, 256, ISAKMP_HASH_SHA2_256, 14, 15840, 256,
     32, 16, 7, ISAKMP_ESP_AES, ISAKMP_ENCAP_TUNNEL, ISAKMP_AALG_HMAC_SHA2_256, true, "198.18.0.2",
     "198.51.100.0/25"},
    {"strongswan-3des-md5", false, ISAKMP_ENC_3DES_CBC, 0, ISAKMP_HASH_MD5, 5, 15840, 192, 16, 8, 6,
     ISAKMP_ESP_3DES, ISAKMP_ENCAP_TUNNEL, ISAKMP_AALG_HMAC_MD5, false, "198.18.0.2",
     "198.51.100.0/25"},
    {"strongswan-fqdn-id", false, ISAKMP_ENC_AES_CBC, 128, ISAKMP_HASH_SHA, 14, 15840, 256, 20, 16,
     7, ISAKMP_ESP_AES, ISAKMP_ENCAP_TUNNEL, ISAKMP_AALG_HMAC_SHA, false, "sg2.example.net",
     "198.51.100.0/25"},
};

static struct msg M, M2; /* ~40 KB each: static, not on the stack */

static void load(const struct expect *e, struct vector *v)
{
    char err[256];

    if (vec_load(e->name, v, err, sizeof(err)) != 0)
        fail_msg("vector %s: %s", e->name, err);
    assert_true(v->npkt >= 9);
}

static void parse_ok(struct msg *m, const struct ike_pkt *k, const char *vec)
{
    struct msg_err err;

    if (msg_parse(m, k->data, k->len, &err) != MSG_OK)
        fail_msg("%s frame %u: %s", vec, k->frame, err.reason);
}

static uint64_t attr(const struct msg *m, const struct msg_transform *t, uint16_t type)
{
    const struct msg_attr *a = msg_xform_attr(m, t, type);

    if (a == NULL)
        fail_msg("attribute %u missing", type);
    assert_true(a->value_ok);
    return a->value;
}

/* The builder re-encodes the parsed chain to the same bytes. */
static void check_rebuild(const struct msg *m)
{
    uint8_t out[2048];
    struct msg_builder b;
    size_t len;

    mb_init(&b, out, sizeof(out));
    vec_rebuild(m, &b);
    assert_int_equal(mb_finish(&b, &len), 0);
    assert_int_equal(mb_first(&b), m->hdr.np);
    assert_int_equal(len, m->chain_len);
    assert_memory_equal(out, m->chain, len);
}

static void check_mm1(const struct expect *e, const struct msg *m)
{
    const struct msg_payload *sa = msg_find(m, ISAKMP_PL_SA, 0);
    const struct msg_proposal *p;
    const struct msg_transform *t;
    static const uint8_t zero[8];

    assert_int_equal(m->hdr.exch, ISAKMP_EXCH_IDPROT);
    assert_int_equal(m->hdr.flags, 0);
    assert_int_equal(m->hdr.msgid, 0);
    assert_memory_equal(m->hdr.rcookie, zero, 8);
    assert_non_null(sa);
    assert_int_equal(m->pl[0].type, ISAKMP_PL_SA);
    assert_int_equal(sa->u.sa.doi, ISAKMP_DOI_IPSEC);
    assert_int_equal(sa->u.sa.situation, ISAKMP_SIT_IDENTITY_ONLY);
    assert_int_equal(sa->u.sa.nprops, 1);
    assert_int_equal(sa->u.sa.ngroups, 1);
    p = msg_sa_prop(m, &sa->u.sa, 0);
    assert_int_equal(p->num, e->libreswan ? 0 : 1); /* libreswan numbers from 0 */
    assert_int_equal(p->proto, ISAKMP_PROTO_ISAKMP);
    assert_int_equal(p->spi_size, 0);
    assert_int_equal(p->nxforms, 1);
    t = msg_prop_xform(m, p, 0);
    assert_int_equal(t->id, ISAKMP_XF_KEY_IKE);
    assert_int_equal(t->num, e->libreswan ? 0 : 1);
    assert_int_equal(t->nattrs, e->nattrs);
    assert_int_equal(attr(m, t, ISAKMP_A1_ENC), e->enc);
    assert_int_equal(attr(m, t, ISAKMP_A1_HASH), e->hash);
    assert_int_equal(attr(m, t, ISAKMP_A1_AUTH), ISAKMP_AUTH_PSK);
    assert_int_equal(attr(m, t, ISAKMP_A1_GROUP), e->group);
    assert_int_equal(attr(m, t, ISAKMP_A1_LIFE_TYPE), ISAKMP_LIFE_SECONDS);
    assert_int_equal(attr(m, t, ISAKMP_A1_LIFE_DURATION), e->life);
    if (e->keylen != 0)
        assert_int_equal(attr(m, t, ISAKMP_A1_KEY_LENGTH), e->keylen);
    else
        assert_null(msg_xform_attr(m, t, ISAKMP_A1_KEY_LENGTH));
    for (unsigned i = 0; i < t->nattrs; i++) /* both peers send every attribute as TV */
        assert_true(msg_xform_attr_at(m, t, i)->tv);
    assert_true(msg_has_vid(m, ISAKMP_VID_NATT_RFC3947));
    assert_true(msg_has_vid(m, ISAKMP_VID_DPD));
    if (e->libreswan) {
        assert_int_equal(msg_count(m, ISAKMP_PL_VID), 2);
        assert_int_equal(m->vids, 1u << ISAKMP_VID_NATT_RFC3947 | 1u << ISAKMP_VID_DPD);
    } else {
        assert_int_equal(msg_count(m, ISAKMP_PL_VID), 5);
        assert_int_equal(m->vids, 1u << ISAKMP_VID_NATT_RFC3947 | 1u << ISAKMP_VID_DPD |
                                      1u << ISAKMP_VID_XAUTH | 1u << ISAKMP_VID_CISCO_FRAG |
                                      1u << ISAKMP_VID_NATT_DRAFT_02N);
    }
}

static void check_mm2(const struct expect *e, const struct msg *m)
{
    const struct msg_payload *sa = msg_find(m, ISAKMP_PL_SA, 0);
    const struct msg_proposal *p = msg_sa_prop(m, &sa->u.sa, 0);
    const struct msg_transform *t = msg_prop_xform(m, p, 0);
    static const uint8_t zero[8];

    assert_memory_not_equal(m->hdr.rcookie, zero, 8);
    /* strongSwan answers proposal 1 even to libreswan's proposal 0 */
    assert_int_equal(p->num, 1);
    assert_int_equal(p->nxforms, 1);
    assert_int_equal(attr(m, t, ISAKMP_A1_GROUP), e->group);
    assert_true(msg_has_vid(m, ISAKMP_VID_NATT_RFC3947));
    assert_true(msg_has_vid(m, ISAKMP_VID_DPD));
    assert_true(msg_has_vid(m, ISAKMP_VID_XAUTH));
    assert_false(msg_has_vid(m, ISAKMP_VID_NATT_DRAFT_02N));
    /* Cisco fragmentation is echoed only to a peer that offered it */
    assert_int_equal(msg_has_vid(m, ISAKMP_VID_CISCO_FRAG), !e->libreswan);
}

static void check_mm34(const struct expect *e, const struct msg *m3, const struct msg *m4)
{
    const struct msg *mm[2] = {m3, m4};

    for (int i = 0; i < 2; i++) {
        const struct msg *m = mm[i];
        assert_int_equal(m->npl, 4);
        assert_int_equal(m->pl[0].type, ISAKMP_PL_KE);
        assert_int_equal(m->pl[0].body_len, e->ke_len);
        assert_int_equal(m->pl[1].type, ISAKMP_PL_NONCE);
        assert_int_equal(m->pl[1].body_len, 32);
        assert_int_equal(msg_count(m, ISAKMP_PL_NATD), 2);
        assert_int_equal(msg_find(m, ISAKMP_PL_NATD, 0)->body_len, e->hash_len);
        assert_int_equal(msg_find(m, ISAKMP_PL_NATD, 1)->body_len, e->hash_len);
    }
    /* RFC 3947 3.2: the first NAT-D hashes the other end, the next ones the
     * sender.  Without NAT, MM3's first is MM4's second and vice versa, but
     * strongSwan with kernel-libipsec sends a bogus hash for itself to force
     * NAT-T: the responder in both natt vectors, the initiator too in
     * strongswan-natt. */
    bool natt = strstr(e->name, "natt") != NULL;
    bool same_r = memcmp(msg_find(m3, ISAKMP_PL_NATD, 0)->body,
                         msg_find(m4, ISAKMP_PL_NATD, 1)->body, e->hash_len) == 0;
    bool same_i = memcmp(msg_find(m3, ISAKMP_PL_NATD, 1)->body,
                         msg_find(m4, ISAKMP_PL_NATD, 0)->body, e->hash_len) == 0;
    assert_int_equal(same_r, !natt);
    assert_int_equal(same_i, !(natt && !e->libreswan));
}

static void test_vectors_plain(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct expect *e = &vectors[i];
        static struct vector v;
        unsigned nenc = 0;

        load(e, &v);
        for (unsigned j = 0; j < v.npkt; j++) {
            parse_ok(&M, &v.pkt[j], e->name);
            assert_int_equal(M.hdr.major, 1);
            assert_int_equal(M.hdr.length, v.pkt[j].len);
            if (j < 4) { /* main mode 1-4: plaintext, port 500 */
                assert_false(M.encrypted);
                assert_false(v.pkt[j].natt);
                assert_int_equal(M.nunknown, 0);
                check_rebuild(&M);
                continue;
            }
            /* the rest is encrypted: header only, body in whole blocks */
            assert_true(M.encrypted);
            assert_true(M.hdr.flags & ISAKMP_FLAG_ENC);
            assert_int_equal(M.body_len % e->bs, 0);
            assert_true(M.hdr.exch == ISAKMP_EXCH_IDPROT || M.hdr.exch == ISAKMP_EXCH_QUICK ||
                        M.hdr.exch == ISAKMP_EXCH_INFO);
            assert_int_equal(v.pkt[j].natt, strstr(e->name, "natt") != NULL);
            nenc++;
        }
        assert_true(nenc >= 5);
        parse_ok(&M, &v.pkt[0], e->name);
        check_mm1(e, &M);
        parse_ok(&M, &v.pkt[1], e->name);
        check_mm2(e, &M);
        parse_ok(&M, &v.pkt[2], e->name);
        parse_ok(&M2, &v.pkt[3], e->name);
        check_mm34(e, &M, &M2);
        /* raw ESP (protocol 50) or ESP in UDP 4500 was seen and skipped */
        assert_true(v.nesp > 0 || strstr(e->name, "no-qm3") != NULL);
        vec_free(&v);
    }
}

/* ---- decryption with the keys of keys.txt (RFC 2409 appendix B IVs) ---- */

struct ivs {
    uint32_t msgid[16];
    uint8_t iv[16][16];
    unsigned n;
    uint8_t p1_last[16];
};

static const EVP_CIPHER *cipher(const struct expect *e)
{
    if (e->enc == ISAKMP_ENC_3DES_CBC)
        return EVP_des_ede3_cbc();
    return e->keylen == 256 ? EVP_aes_256_cbc() : EVP_aes_128_cbc();
}

static const EVP_MD *md(const struct expect *e)
{
    return e->hash == ISAKMP_HASH_MD5   ? EVP_md5()
           : e->hash == ISAKMP_HASH_SHA ? EVP_sha1()
                                        : EVP_sha256();
}

static uint8_t *iv_for(struct ivs *s, const struct expect *e, const struct vector *v,
                       uint32_t msgid)
{
    uint8_t in[20], out[EVP_MAX_MD_SIZE];
    unsigned n;

    for (unsigned i = 0; i < s->n; i++)
        if (s->msgid[i] == msgid)
            return s->iv[i];
    assert_true(s->n < 16);
    s->msgid[s->n] = msgid;
    if (msgid == 0) {
        memcpy(s->iv[s->n], v->iv, e->bs);
    } else { /* IV = hash(last phase 1 CBC block | M-ID) */
        uint32_t be = htonl(msgid);
        memcpy(in, s->p1_last, e->bs);
        memcpy(in + e->bs, &be, 4);
        assert_int_equal(EVP_Digest(in, e->bs + 4, out, &n, md(e), NULL), 1);
        memcpy(s->iv[s->n], out, e->bs);
    }
    return s->iv[s->n++];
}

static void decrypt(const struct expect *e, const struct vector *v, const uint8_t *iv,
                    const uint8_t *in, size_t len, uint8_t *out)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n1 = 0, n2 = 0;

    assert_int_equal(v->ka_len, (size_t)EVP_CIPHER_key_length(cipher(e)));
    assert_int_equal(EVP_DecryptInit_ex(c, cipher(e), NULL, v->ka, iv), 1);
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_int_equal(EVP_DecryptUpdate(c, out, &n1, in, (int)len), 1);
    assert_int_equal(EVP_DecryptFinal_ex(c, out + n1, &n2), 1);
    assert_int_equal((size_t)(n1 + n2), len);
    EVP_CIPHER_CTX_free(c);
}

static void check_proxy(const struct msg_payload *pl, const char *want)
{
    struct msg_idval idv;
    char text[128];
    const char *why = NULL;

    assert_non_null(pl);
    assert_int_equal(pl->u.id.type, ISAKMP_ID_IPV4_ADDR_SUBNET);
    assert_int_equal(msg_id_decode(&pl->u.id, &idv, &why), 0);
    assert_string_equal(msg_id_format(&idv, text, sizeof(text)), want);
}

static void check_decrypted(const struct expect *e, const struct msg *m, bool from_init,
                            unsigned *seen)
{
    const struct msg_payload *id = msg_find(m, ISAKMP_PL_ID, 0);
    const struct msg_payload *sa = msg_find(m, ISAKMP_PL_SA, 0);
    struct msg_idval idv;
    char text[128];

    /* strongSwan pads 1..bs zero bytes, libreswan 0..bs-1 */
    if (from_init && e->libreswan)
        assert_true(m->padding < e->bs);
    else
        assert_true(m->padding >= 1 && m->padding <= e->bs);
    for (size_t i = 0; i < m->padding; i++)
        assert_int_equal(m->chain[m->chain_len + i], 0);
    if (m->hdr.exch == ISAKMP_EXCH_IDPROT) { /* MM5 / MM6: ID, HASH [, N] */
        assert_int_equal(m->pl[0].type, ISAKMP_PL_ID);
        assert_int_equal(m->pl[1].type, ISAKMP_PL_HASH);
        assert_int_equal(m->pl[1].body_len, e->hash_len);
        assert_int_equal(msg_id_decode(&id->u.id, &idv, NULL), 0);
        msg_id_format(&idv, text, sizeof(text));
        assert_string_equal(text, from_init ? e->id_i : "198.18.0.1");
        if (from_init && !e->libreswan) { /* strongSwan: INITIAL-CONTACT */
            const struct msg_payload *n = msg_find(m, ISAKMP_PL_N, 0);
            assert_non_null(n);
            assert_int_equal(n->u.n.type, ISAKMP_N_INITIAL_CONTACT);
            assert_int_equal(n->u.n.proto, ISAKMP_PROTO_ISAKMP);
            assert_int_equal(n->u.n.spi_size, 16);
            assert_memory_equal(n->u.n.spi, m->hdr.icookie, 8);
            assert_memory_equal(n->u.n.spi + 8, m->hdr.rcookie, 8);
            assert_int_equal(n->u.n.len, 0);
        }
        seen[0]++;
    } else if (m->hdr.exch == ISAKMP_EXCH_QUICK && sa != NULL) { /* QM1 / QM2 */
        const struct msg_proposal *p = msg_sa_prop(m, &sa->u.sa, 0);
        const struct msg_transform *t = msg_prop_xform(m, p, 0);
        assert_int_equal(m->pl[0].type, ISAKMP_PL_HASH);
        assert_int_equal(p->proto, ISAKMP_PROTO_IPSEC_ESP);
        assert_int_equal(p->spi_size, 4);
        assert_int_equal(t->id, e->esp_id);
        assert_int_equal(attr(m, t, ISAKMP_A2_ENCAP), e->encap);
        assert_int_equal(attr(m, t, ISAKMP_A2_AUTH), e->aalg);
        assert_int_equal(attr(m, t, ISAKMP_A2_LIFE_TYPE), ISAKMP_LIFE_SECONDS);
        assert_int_equal(msg_xform_attr(m, t, ISAKMP_A2_GROUP) != NULL, e->pfs);
        assert_int_equal(msg_count(m, ISAKMP_PL_KE), e->pfs ? 1 : 0);
        if (e->pfs)
            assert_int_equal(msg_find(m, ISAKMP_PL_KE, 0)->body_len, 256);
        assert_int_equal(msg_count(m, ISAKMP_PL_ID), 2);
        check_proxy(msg_find(m, ISAKMP_PL_ID, 0), e->proxy_i);
        check_proxy(msg_find(m, ISAKMP_PL_ID, 1), "203.0.113.0/24");
        seen[1]++;
    } else if (m->hdr.exch == ISAKMP_EXCH_INFO) { /* HASH, D */
        const struct msg_payload *d = msg_find(m, ISAKMP_PL_D, 0);
        assert_int_equal(m->pl[0].type, ISAKMP_PL_HASH);
        assert_non_null(d);
        assert_int_equal(d->u.d.nspis, 1);
        if (d->u.d.proto == ISAKMP_PROTO_ISAKMP) {
            assert_int_equal(d->u.d.spi_size, 16);
            assert_memory_equal(msg_delete_spi(&d->u.d, 0), m->hdr.icookie, 8);
        } else {
            assert_int_equal(d->u.d.proto, ISAKMP_PROTO_IPSEC_ESP);
            assert_int_equal(d->u.d.spi_size, 4);
        }
        seen[2]++;
    } else { /* QM3: HASH(3) alone */
        assert_int_equal(m->npl, 1);
        assert_int_equal(m->pl[0].type, ISAKMP_PL_HASH);
        seen[3]++;
    }
}

static void test_vectors_decrypt(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        const struct expect *e = &vectors[i];
        static struct vector v;
        struct ivs s = {.n = 0};
        unsigned seen[4] = {0}, dups = 0;
        uint8_t plain[1024];
        struct msg_err err;

        load(e, &v);
        assert_int_equal(v.iv_len, e->bs);
        for (unsigned j = 4; j < v.npkt; j++) {
            const struct ike_pkt *k = &v.pkt[j];
            bool dup = false;
            uint8_t *iv;

            for (unsigned p = 0; p < j; p++) /* retransmissions are byte-identical */
                dup |= v.pkt[p].len == k->len && memcmp(v.pkt[p].data, k->data, k->len) == 0;
            if (dup) {
                dups++;
                continue;
            }
            parse_ok(&M, k, e->name);
            assert_true(M.body_len <= sizeof(plain));
            iv = iv_for(&s, e, &v, M.hdr.msgid);
            decrypt(e, &v, iv, M.body, M.body_len, plain);
            memcpy(iv, M.body + M.body_len - e->bs, e->bs); /* CBC chains on */
            if (M.hdr.msgid == 0)
                memcpy(s.p1_last, iv, e->bs);
            if (msg_parse_decrypted(&M, plain, M.body_len, &err) != MSG_OK)
                fail_msg("%s frame %u: %s", e->name, k->frame, err.reason);
            assert_true(M.parsed);
            assert_int_equal(M.chain_len + M.padding, M.body_len);
            check_rebuild(&M);
            vec_check_bounds(&M, plain, plain + M.body_len);
            check_decrypted(e, &M, memcmp(k->src, v.pkt[0].src, 4) == 0, seen);
        }
        assert_int_equal(seen[0], 2); /* MM5, MM6 */
        assert_int_equal(seen[1], 2); /* QM1, QM2 */
        assert_int_equal(seen[3], e->libreswan && strstr(e->name, "no-qm3") ? 0 : 1);
        assert_true(seen[2] >= 1); /* deletes */
        assert_int_equal(dups > 0, strstr(e->name, "no-qm3") != NULL);
        vec_free(&v);
    }
}

/* tests/unit/data/isakmp/ holds the same bytes as the captures. */
static void test_data_files(void **state)
{
    static const struct {
        const char *file, *vec;
        unsigned idx;
    } files[] = {
        {"strongswan-raw-esp-mm1", "strongswan-raw-esp", 0},
        {"strongswan-raw-esp-mm2", "strongswan-raw-esp", 1},
        {"strongswan-raw-esp-mm3", "strongswan-raw-esp", 2},
        {"strongswan-raw-esp-mm4", "strongswan-raw-esp", 3},
        {"libreswan-raw-esp-mm1", "libreswan-raw-esp", 0},
        {"libreswan-raw-esp-mm2", "libreswan-raw-esp", 1},
        {"libreswan-raw-esp-mm3", "libreswan-raw-esp", 2},
        {"strongswan-natt-mm5-encrypted", "strongswan-natt", 4},
        {"strongswan-3des-md5-mm1", "strongswan-3des-md5", 0},
    };
    (void)state;
    for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        static struct vector v;
        char path[512], err[256];
        size_t len;
        uint8_t *b;

        snprintf(path, sizeof(path), "%s/tests/unit/data/isakmp/%s.bin", SOURCE_DIR, files[i].file);
        b = vec_read_file(path, &len);
        if (b == NULL)
            fail_msg("cannot read %s", path);
        if (vec_load(files[i].vec, &v, err, sizeof(err)) != 0)
            fail_msg("%s", err);
        assert_int_equal(len, v.pkt[files[i].idx].len);
        assert_memory_equal(b, v.pkt[files[i].idx].data, len);
        free(b);
        vec_free(&v);
    }
}

/* The reader itself: frames, ESP and NAT-T counts of one capture. */
static void test_capture_reader(void **state)
{
    static struct vector v;
    char err[256];

    (void)state;
    if (vec_load("strongswan-natt", &v, err, sizeof(err)) != 0)
        fail_msg("%s", err);
    assert_int_equal(v.nframes, 17);
    assert_int_equal(v.npkt, 11); /* 9 MM/QM + 2 informational */
    assert_int_equal(v.nesp, 6);  /* pings in ESP-in-UDP */
    assert_int_equal(v.nother, 0);
    assert_false(v.pkt[3].natt); /* MM4 on 500 */
    assert_true(v.pkt[4].natt);  /* MM5 floated to 4500 (RFC 3947 4) */
    assert_int_equal(v.pkt[4].frame, 5);
    assert_int_equal(v.ka_len, 16);
    vec_free(&v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_capture_reader),
        cmocka_unit_test(test_data_files),
        cmocka_unit_test(test_vectors_plain),
        cmocka_unit_test(test_vectors_decrypt),
    };

    if (vec_root() == NULL) {
        fprintf(stderr, "test_isakmp: FAIL: vectors absent\n");
        return 1;
    }
    return cmocka_run_group_tests(tests, NULL, NULL);
}
