/*
 * prf.c: hashes, HMAC-based PRF and the IKEv1 key schedule (see prf.h).
 * Control-plane code: one EVP context per call is fine here.
 */
#include <string.h>

#include <openssl/core_names.h>

#include "crypto_int.h"
#include "prf.h"

int crypto_hash_v(enum crypto_hash h, const struct crypto_iov *iov, size_t n, uint8_t *out)
{
    const EVP_MD *md = crypto_evp_md(h);
    EVP_MD_CTX *ctx;
    int ok;

    if (md == NULL)
        return -1;
    ctx = EVP_MD_CTX_new();
    ok = ctx != NULL && EVP_DigestInit_ex2(ctx, md, NULL);
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_DigestUpdate(ctx, iov[i].base, iov[i].len);
    ok = ok && EVP_DigestFinal_ex(ctx, out, NULL);
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        crypto_set_error("%s hash failed", crypto_hash_name(h));
        return -1;
    }
    return 0;
}

int crypto_prf_v(enum crypto_hash h, const void *key, size_t key_len, const struct crypto_iov *iov,
                 size_t n, uint8_t *out)
{
    static const uint8_t empty[1];
    EVP_MAC *mac = crypto_evp_hmac();
    const char *md = crypto_hash_ossl_name(h);
    size_t outlen = 0, want = crypto_hash_len(h);
    EVP_MAC_CTX *ctx;
    OSSL_PARAM params[2];
    int ok;

    if (mac == NULL)
        return -1;
    if (md == NULL) {
        crypto_set_error("unknown hash %d", (int)h);
        return -1;
    }
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)md, 0);
    params[1] = OSSL_PARAM_construct_end();
    ctx = EVP_MAC_CTX_new(mac);
    ok = ctx != NULL && EVP_MAC_init(ctx, key_len > 0 ? key : empty, key_len, params);
    for (size_t i = 0; ok && i < n; i++)
        ok = EVP_MAC_update(ctx, iov[i].base, iov[i].len);
    ok = ok && EVP_MAC_final(ctx, out, &outlen, want) && outlen == want;
    EVP_MAC_CTX_free(ctx);
    if (!ok) {
        crypto_set_error("hmac-%s failed", crypto_hash_name(h));
        return -1;
    }
    return 0;
}

int crypto_prf(enum crypto_hash h, const void *key, size_t key_len, const void *data, size_t len,
               uint8_t *out)
{
    struct crypto_iov iov = {data, len};

    return crypto_prf_v(h, key, key_len, &iov, 1, out);
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int ikev1_skeyid_psk(enum crypto_hash h, const void *psk, size_t psk_len, const uint8_t *ni_b,
                     size_t ni_len, const uint8_t *nr_b, size_t nr_len, uint8_t *skeyid)
{
    struct crypto_iov iov[] = {{ni_b, ni_len}, {nr_b, nr_len}};

    return crypto_prf_v(h, psk, psk_len, iov, 2, skeyid);
}

int ikev1_skeyid_dae(struct ikev1_keys *k, const uint8_t *gxy, size_t gxy_len, const uint8_t *cky_i,
                     const uint8_t *cky_r)
{
    static const uint8_t n0 = 0, n1 = 1, n2 = 2;
    struct crypto_iov iov[] = {
        {NULL, 0}, {gxy, gxy_len}, {cky_i, 8}, {cky_r, 8}, {&n0, 1},
    };

    k->len = crypto_hash_len(k->hash);
    if (crypto_prf_v(k->hash, k->skeyid, k->len, iov + 1, 4, k->skeyid_d) != 0)
        return -1;
    iov[0] = (struct crypto_iov){k->skeyid_d, k->len};
    iov[4].base = &n1;
    if (crypto_prf_v(k->hash, k->skeyid, k->len, iov, 5, k->skeyid_a) != 0)
        return -1;
    iov[0] = (struct crypto_iov){k->skeyid_a, k->len};
    iov[4].base = &n2;
    return crypto_prf_v(k->hash, k->skeyid, k->len, iov, 5, k->skeyid_e);
}

int ikev1_enc_key(enum crypto_hash h, const uint8_t *skeyid_e, size_t len, uint8_t *ka,
                  size_t key_len)
{
    static const uint8_t zero = 0;
    uint8_t block[CRYPTO_MAX_HASH];
    size_t done = 0, hl = crypto_hash_len(h);
    struct crypto_iov iov = {&zero, 1};

    if (hl == 0 || len != hl) {
        crypto_set_error("SKEYID_e length %zu does not match %s", len, crypto_hash_name(h));
        return -1;
    }
    if (len >= key_len) {
        memcpy(ka, skeyid_e, key_len);
        return 0;
    }
    /* RFC 2409 appendix B: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1), ... */
    while (done < key_len) {
        size_t n = key_len - done < hl ? key_len - done : hl;

        if (crypto_prf_v(h, skeyid_e, len, &iov, 1, block) != 0) {
            crypto_wipe(block, sizeof(block));
            return -1;
        }
        memcpy(ka + done, block, n);
        done += n;
        iov = (struct crypto_iov){block, hl};
    }
    crypto_wipe(block, sizeof(block));
    return 0;
}

int ikev1_phase1_iv(enum crypto_hash h, const uint8_t *gxi, const uint8_t *gxr, size_t g_len,
                    uint8_t *iv, size_t iv_len)
{
    uint8_t d[CRYPTO_MAX_HASH];
    struct crypto_iov iov[] = {{gxi, g_len}, {gxr, g_len}};

    if (iv_len > crypto_hash_len(h)) {
        crypto_set_error("IV of %zu bytes is longer than %s", iv_len, crypto_hash_name(h));
        return -1;
    }
    if (crypto_hash_v(h, iov, 2, d) != 0)
        return -1;
    memcpy(iv, d, iv_len);
    return 0;
}

int ikev1_phase2_iv(enum crypto_hash h, const uint8_t *last_block, size_t block_len, uint32_t msgid,
                    uint8_t *iv)
{
    uint8_t mid[4], d[CRYPTO_MAX_HASH];
    struct crypto_iov iov[] = {{last_block, block_len}, {mid, 4}};

    if (block_len > crypto_hash_len(h)) {
        crypto_set_error("IV of %zu bytes is longer than %s", block_len, crypto_hash_name(h));
        return -1;
    }
    put32(mid, msgid);
    if (crypto_hash_v(h, iov, 2, d) != 0)
        return -1;
    memcpy(iv, d, block_len);
    return 0;
}

int ikev1_phase1_psk(const struct ikev1_mm_input *in, struct ikev1_keys *k)
{
    size_t kl = crypto_cipher_key_len(in->cipher), bl = crypto_cipher_block_len(in->cipher);

    crypto_clear_error();
    memset(k, 0, sizeof(*k));
    k->hash = in->hash;
    k->cipher = in->cipher;
    k->len = crypto_hash_len(in->hash);
    if (k->len == 0 || kl == 0) {
        crypto_set_error("unknown hash or cipher");
        return -1;
    }
    if (in->gxy_len == 0 || in->gxy_len != in->g_len) {
        crypto_set_error("g^xy (%zu bytes) and KE values (%zu bytes) must have the modulus length",
                         in->gxy_len, in->g_len);
        return -1;
    }
    k->ka_len = kl;
    k->iv_len = bl;
    if (ikev1_skeyid_psk(in->hash, in->psk, in->psk_len, in->ni_b, in->ni_len, in->nr_b, in->nr_len,
                         k->skeyid) != 0 ||
        ikev1_skeyid_dae(k, in->gxy, in->gxy_len, in->cky_i, in->cky_r) != 0 ||
        ikev1_enc_key(in->hash, k->skeyid_e, k->len, k->ka, kl) != 0 ||
        ikev1_phase1_iv(in->hash, in->gxi, in->gxr, in->g_len, k->iv, bl) != 0) {
        ikev1_keys_wipe(k);
        return -1;
    }
    return 0;
}

static int mm_hash(const struct ikev1_keys *k, const struct ikev1_mm_input *in, bool responder,
                   const uint8_t *id_b, size_t id_len, uint8_t *out)
{
    const uint8_t *g1 = responder ? in->gxr : in->gxi, *g2 = responder ? in->gxi : in->gxr;
    const uint8_t *c1 = responder ? in->cky_r : in->cky_i, *c2 = responder ? in->cky_i : in->cky_r;
    struct crypto_iov iov[] = {
        {g1, in->g_len}, {g2, in->g_len},          {c1, 8},
        {c2, 8},         {in->sai_b, in->sai_len}, {id_b, id_len},
    };

    return crypto_prf_v(k->hash, k->skeyid, k->len, iov, 6, out);
}

int ikev1_hash_i(const struct ikev1_keys *k, const struct ikev1_mm_input *in, const uint8_t *idii_b,
                 size_t id_len, uint8_t *out)
{
    return mm_hash(k, in, false, idii_b, id_len, out);
}

int ikev1_hash_r(const struct ikev1_keys *k, const struct ikev1_mm_input *in, const uint8_t *idir_b,
                 size_t id_len, uint8_t *out)
{
    return mm_hash(k, in, true, idir_b, id_len, out);
}

int ikev1_qm_hash1(const struct ikev1_keys *k, uint32_t msgid, const uint8_t *rest, size_t len,
                   uint8_t *out)
{
    uint8_t mid[4];
    struct crypto_iov iov[] = {{mid, 4}, {rest, len}};

    put32(mid, msgid);
    return crypto_prf_v(k->hash, k->skeyid_a, k->len, iov, 2, out);
}

int ikev1_qm_hash2(const struct ikev1_keys *k, uint32_t msgid, const uint8_t *ni_b, size_t ni_len,
                   const uint8_t *rest, size_t len, uint8_t *out)
{
    uint8_t mid[4];
    struct crypto_iov iov[] = {{mid, 4}, {ni_b, ni_len}, {rest, len}};

    put32(mid, msgid);
    return crypto_prf_v(k->hash, k->skeyid_a, k->len, iov, 3, out);
}

int ikev1_qm_hash3(const struct ikev1_keys *k, uint32_t msgid, const uint8_t *ni_b, size_t ni_len,
                   const uint8_t *nr_b, size_t nr_len, uint8_t *out)
{
    static const uint8_t zero = 0;
    uint8_t mid[4];
    struct crypto_iov iov[] = {{&zero, 1}, {mid, 4}, {ni_b, ni_len}, {nr_b, nr_len}};

    put32(mid, msgid);
    return crypto_prf_v(k->hash, k->skeyid_a, k->len, iov, 4, out);
}

int ikev1_keymat(const struct ikev1_keys *k, const struct ikev1_qm_input *in, uint8_t protocol,
                 uint32_t spi, uint8_t *out, size_t len)
{
    uint8_t spi_b[4], block[CRYPTO_MAX_HASH];
    size_t done = 0;
    struct crypto_iov iov[] = {
        {NULL, 0},
        {in->gqm, in->gqm != NULL ? in->gqm_len : 0},
        {&protocol, 1},
        {spi_b, 4},
        {in->ni_b, in->ni_len},
        {in->nr_b, in->nr_len},
    };

    if (k->len == 0 || k->len != crypto_hash_len(k->hash)) {
        crypto_set_error("KEYMAT from keys that were never derived");
        return -1;
    }
    put32(spi_b, spi);
    /* K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b), Kn adds Kn-1 in front. */
    while (done < len) {
        size_t n = len - done < k->len ? len - done : k->len;

        if (crypto_prf_v(k->hash, k->skeyid_d, k->len, iov, 6, block) != 0) {
            crypto_wipe(block, sizeof(block));
            return -1;
        }
        memcpy(out + done, block, n);
        done += n;
        iov[0] = (struct crypto_iov){block, k->len};
    }
    crypto_wipe(block, sizeof(block));
    return 0;
}

void ikev1_keys_wipe(struct ikev1_keys *k)
{
    crypto_wipe(k, sizeof(*k));
}
