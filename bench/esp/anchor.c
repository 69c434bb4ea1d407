/*
 * anchor.c: the OpenSSL anchor (bench.h), measured in the same process
 * and run as fwdd's ESP transform: the same EVP calls as lib/crypto
 * (cipher.c, esp.c) on the same sizes, through OpenSSL's default library
 * context and provider (lib/crypto has a private context with the same
 * default provider), one key, hot in cache, nothing else:
 *
 *   cipher  EVP_CipherInit_ex2(ctx, NULL, NULL, iv, -1, NULL) and one
 *           in-place EVP_CipherUpdate over the encrypted part of the ESP
 *           packet (payload, padding, pad length, next header);
 *   HMAC    EVP_MAC_init(ctx, NULL, 0, NULL) (the key is kept),
 *           EVP_MAC_update over SPI .. next header, EVP_MAC_final;
 *   AH      no cipher; the HMAC over what AH's ICV covers (outer IPv4
 *           header, AH header, inner packet: ah_authlen) in one buffer
 *           (ah.c hashes the same bytes in four pieces);
 *   AEAD    (aes-128-gcm, RFC 4106, as cipher.c's gcm_run) the 12-byte
 *           nonce, 8 bytes of additional data (SPI, sequence number), the
 *           encrypted part, final and the tag (decrypt: out of place, so
 *           that the tag it checks is right every time).
 *
 * Not in the ceiling but measured beside it: RAND_bytes of one IV, which
 * esp_seal draws per packet (lib/crypto's crypto_random: RAND_bytes_ex on
 * its own context, the same DRBG).
 *
 * `openssl speed -evp aes-128-cbc` and `openssl speed -hmac sha1` time the
 * same primitives (docs/bench-esp.md compares them once).
 *
 * The tight ceiling: what the same work costs with the calls fwdd now
 * makes, cheaper than the ones above: CBC without an IV set per packet
 * (lib/crypto chains its contexts: one EVP_CipherUpdate, as `openssl speed
 * -evp` runs it) and HMAC from precomputed inner and outer states
 * (lib/crypto/hmac.h).  For AEAD it is the AEAD figure.
 */
#include "bench.h"
#include "crypto/hmac.h"
#include "fwdipc.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <stdio.h>
#include <string.h>

size_t esp_clen(const struct xfm *x, size_t inner)
{
    return (inner + 2 + x->block - 1) / x->block * x->block;
}

size_t esp_authlen(const struct xfm *x, size_t inner)
{
    return 8 + x->iv + esp_clen(x, inner);
}

size_t ah_authlen(const struct xfm *x, size_t inner)
{
    return 20 + 12 + x->icv + inner;
}

static double cipher_run(EVP_CIPHER_CTX *cc, int aead, int encrypt, uint8_t *buf, size_t len,
                         size_t n, const uint8_t *tag0)
{
    static uint8_t out[4096];
    uint8_t iv[16] = {1, 2, 3}, tag[16];
    double t0 = cpu_ns();
    int ol;

    for (size_t i = 0; i < n; i++) {
        if (!aead) {
            iv[15] = (uint8_t)i;
            EVP_CipherInit_ex2(cc, NULL, NULL, iv, -1, NULL);
            EVP_CipherUpdate(cc, buf + 16, &ol, buf + 16, (int)len);
            continue;
        }
        EVP_CipherInit_ex2(cc, NULL, NULL, iv, -1, NULL);
        EVP_CipherUpdate(cc, NULL, &ol, buf, 8); /* SPI | sequence number */
        if (encrypt) {
            EVP_CipherUpdate(cc, buf + 16, &ol, buf + 16, (int)len);
            EVP_CipherFinal_ex(cc, buf + 16 + len, &ol);
            EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_AEAD_GET_TAG, 16, tag);
        } else {
            EVP_CipherUpdate(cc, out, &ol, buf + 16, (int)len);
            EVP_CIPHER_CTX_ctrl(cc, EVP_CTRL_AEAD_SET_TAG, 16, (void *)tag0);
            if (EVP_CipherFinal_ex(cc, out + len, &ol) != 1)
                return -1;
        }
    }
    return (cpu_ns() - t0) / (double)n;
}

/* CBC as lib/crypto runs it after the first packet: no IV set. */
static double chained_run(EVP_CIPHER_CTX *cc, uint8_t *buf, size_t len, size_t n)
{
    double t0 = cpu_ns();
    int ol;

    for (size_t i = 0; i < n; i++)
        EVP_CipherUpdate(cc, buf + 16, &ol, buf + 16, (int)len);
    return (cpu_ns() - t0) / (double)n;
}

static double hmac_pre_run(const struct hmac_pre *m, const uint8_t *buf, size_t len, size_t n)
{
    uint8_t out[64];
    double t0 = cpu_ns();

    for (size_t i = 0; i < n; i++)
        hmac_pre_compute(m, buf, len, out);
    return (cpu_ns() - t0) / (double)n;
}

static enum crypto_hash hash_id(const char *digest)
{
    return strcmp(digest, "MD5") == 0    ? CRYPTO_HASH_MD5
           : strcmp(digest, "SHA1") == 0 ? CRYPTO_HASH_SHA1
                                         : CRYPTO_HASH_SHA256;
}

static double hmac_run(EVP_MAC_CTX *mc, const uint8_t *buf, size_t len, size_t n)
{
    uint8_t out[EVP_MAX_MD_SIZE];
    size_t ol;
    double t0 = cpu_ns();

    for (size_t i = 0; i < n; i++) {
        EVP_MAC_init(mc, NULL, 0, NULL);
        EVP_MAC_update(mc, buf, len);
        EVP_MAC_final(mc, out, &ol, sizeof(out));
    }
    return (cpu_ns() - t0) / (double)n;
}

/* AEAD decrypt: seal buf (AAD, then the encrypted part) once with the IV
 * cipher_run uses, so that opening it verifies; tag out. */
static int anchor_tag(EVP_CIPHER *c, const uint8_t *key, uint8_t *buf, size_t len, uint8_t *tag)
{
    EVP_CIPHER_CTX *e = EVP_CIPHER_CTX_new();
    uint8_t iv[16] = {1, 2, 3};
    int ol, ok = e && EVP_CipherInit_ex2(e, c, key, iv, 1, NULL) &&
                 EVP_CipherUpdate(e, NULL, &ol, buf, 8) &&
                 EVP_CipherUpdate(e, buf + 16, &ol, buf + 16, (int)len) &&
                 EVP_CipherFinal_ex(e, buf + 16 + len, &ol) &&
                 EVP_CIPHER_CTX_ctrl(e, EVP_CTRL_AEAD_GET_TAG, 16, tag);

    EVP_CIPHER_CTX_free(e);
    return ok ? 0 : -1;
}

int anchor_measure(const struct xfm *x, size_t inner, int encrypt, size_t n, int reps,
                   struct anchor *a, char *err, size_t errlen)
{
    static uint8_t buf[4096];
    uint8_t key[64], iv[16] = {0}, tag[16] = {0};
    int aead = x->digest[0] == '\0', ah = x->proto == FWD_PROTO_AH;
    size_t authlen = ah ? ah_authlen(x, inner) : esp_authlen(x, inner);
    EVP_CIPHER *c = ah ? NULL : EVP_CIPHER_fetch(NULL, x->evp, NULL);
    EVP_CIPHER_CTX *cc = EVP_CIPHER_CTX_new();
    EVP_MAC *m = aead ? NULL : EVP_MAC_fetch(NULL, "HMAC", NULL);
    EVP_MAC_CTX *mc = m ? EVP_MAC_CTX_new(m) : NULL;
    OSSL_PARAM params[2];
    struct hmac_pre *hp = NULL;
    int rc = -1;

    for (size_t i = 0; i < sizeof(key); i++)
        key[i] = (uint8_t)(i * 37 + 11);
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)i;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)x->digest, 0);
    params[1] = OSSL_PARAM_construct_end();
    a->cipher_ns = a->hmac_ns = a->tight_ns = -1;
    if ((c == NULL && !ah) || cc == NULL ||
        (!aead && (mc == NULL || !EVP_MAC_init(mc, key, x->akey_len, params)))) {
        snprintf(err, errlen, "OpenSSL has no %s%s%s", x->evp, aead ? "" : " or HMAC-", x->digest);
        goto out;
    }
    if (!ah && !EVP_CipherInit_ex2(cc, c, key, iv, encrypt, NULL)) {
        snprintf(err, errlen, "%s: cannot key it", x->evp);
        goto out;
    }
    if (!aead && (hp = hmac_pre_new(hash_id(x->digest), key, x->akey_len)) == NULL) {
        snprintf(err, errlen, "HMAC-%s: cannot precompute", x->digest);
        goto out;
    }
    if (!aead && !ah)
        EVP_CIPHER_CTX_set_padding(cc, 0);
    else if (aead && !encrypt && anchor_tag(c, key, buf, esp_clen(x, inner), tag) < 0) {
        snprintf(err, errlen, "%s: cannot seal", x->evp);
        goto out;
    }
    for (int r = 0; r < reps; r++) {
        double cn = ah ? 0 : cipher_run(cc, aead, encrypt, buf, esp_clen(x, inner), n, tag);
        double hn = aead ? 0 : hmac_run(mc, buf, authlen, n);
        if (cn < 0) {
            snprintf(err, errlen, "%s: the tag does not verify", x->evp);
            goto out;
        }
        if (a->cipher_ns < 0 || cn < a->cipher_ns)
            a->cipher_ns = cn;
        double tn = aead ? cn
                         : (ah ? 0 : chained_run(cc, buf, esp_clen(x, inner), n)) +
                               hmac_pre_run(hp, buf, authlen, n);
        if (a->hmac_ns < 0 || hn < a->hmac_ns)
            a->hmac_ns = hn;
        if (a->tight_ns < 0 || tn < a->tight_ns)
            a->tight_ns = tn;
    }
    rc = 0;
out:
    hmac_pre_free(hp);
    EVP_MAC_CTX_free(mc);
    EVP_MAC_free(m);
    EVP_CIPHER_CTX_free(cc);
    EVP_CIPHER_free(c);
    return rc;
}

double anchor_rand(size_t len, size_t n, int reps)
{
    uint8_t buf[64];
    double best = -1;

    if (len > sizeof(buf))
        return -1;
    for (int r = 0; r < reps; r++) {
        double t0 = cpu_ns(), ns;
        for (size_t i = 0; i < n; i++)
            if (RAND_bytes(buf, (int)len) != 1)
                return -1;
        ns = (cpu_ns() - t0) / (double)n;
        if (best < 0 || ns < best)
            best = ns;
    }
    return best;
}
