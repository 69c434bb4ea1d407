/*
 * cipher.c: keyed, reusable CBC and AES-GCM contexts (see cipher.h).  Each
 * direction has its own EVP_CIPHER_CTX keyed at creation; a call only sets
 * the IV or nonce (EVP_CipherInit_ex2 with no cipher and no key keeps the
 * key schedule) for the first message; after that a CBC context is not
 * re-initialised at all: its chaining value (the last ciphertext block it
 * processed) is known, so the first block is corrected by XOR with
 * (IV ^ chaining value) instead - before encryption, after decryption -
 * which gives exactly CBC under the caller's IV.  Setting an IV costs
 * about 85 ns in OpenSSL 3.0 (OSSL_PARAM lookups); the XOR costs nothing.
 */
#include <limits.h>
#include <string.h>

#include <openssl/err.h>

#include "cipher.h"
#include "crypto_int.h"

struct chain {
    uint8_t v[CRYPTO_MAX_BLOCK]; /* the context's IV: its last ciphertext block */
    bool known;
};

struct cbc {
    enum crypto_cipher cipher;
    size_t block;
    EVP_CIPHER_CTX *enc, *dec;
    struct chain cenc, cdec;
};

static EVP_CIPHER_CTX *keyed_ctx(const EVP_CIPHER *evp, const uint8_t *key, int enc)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

    if (ctx == NULL || !EVP_CipherInit_ex2(ctx, evp, key, NULL, enc, NULL) ||
        !EVP_CIPHER_CTX_set_padding(ctx, 0)) {
        EVP_CIPHER_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

struct cbc *cbc_new(enum crypto_cipher c, enum cbc_dir dir, const uint8_t *key, size_t key_len)
{
    const EVP_CIPHER *evp;
    struct cbc *cbc;

    crypto_clear_error();
    if ((evp = crypto_evp_cipher(c)) == NULL)
        return NULL;
    if (key_len != crypto_cipher_key_len(c)) {
        crypto_set_error("%s needs a %zu-byte key, not %zu", crypto_cipher_name(c),
                         crypto_cipher_key_len(c), key_len);
        return NULL;
    }
    if ((cbc = OPENSSL_zalloc(sizeof(*cbc))) == NULL) {
        crypto_set_error("out of memory");
        return NULL;
    }
    cbc->cipher = c;
    cbc->block = crypto_cipher_block_len(c);
    if (((dir & CBC_ENCRYPT) && (cbc->enc = keyed_ctx(evp, key, 1)) == NULL) ||
        ((dir & CBC_DECRYPT) && (cbc->dec = keyed_ctx(evp, key, 0)) == NULL)) {
        crypto_set_error("%s: cannot set up the key", crypto_cipher_name(c));
        cbc_free(cbc);
        return NULL;
    }
    return cbc;
}

static void xor_block(uint8_t *b, const uint8_t *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] ^= x[i];
}

static int run(struct cbc *cbc, EVP_CIPHER_CTX *ctx, struct chain *ch, const uint8_t *iv,
               uint8_t *buf, size_t len)
{
    uint8_t fix[CRYPTO_MAX_BLOCK], last[CRYPTO_MAX_BLOCK];
    size_t bl = cbc->block;
    int outl = 0, enc = ch == &cbc->cenc, known = ch->known;

    if (ctx == NULL) {
        crypto_set_error("%s context not keyed for this direction",
                         crypto_cipher_name(cbc->cipher));
        return -1;
    }
    if (len % bl != 0 || len > INT_MAX) {
        crypto_set_error("%s: %zu bytes is not a whole number of blocks",
                         crypto_cipher_name(cbc->cipher), len);
        return -1;
    }
    if (len == 0)
        return 0;
    if (!known && !EVP_CipherInit_ex2(ctx, NULL, NULL, iv, -1, NULL)) {
        crypto_set_error("%s: cannot set the IV", crypto_cipher_name(cbc->cipher));
        return -1;
    }
    if (known) { /* fix = IV ^ chaining value (iv may point into buf) */
        memcpy(fix, iv, bl);
        xor_block(fix, ch->v, bl);
        if (enc)
            xor_block(buf, fix, bl);
    }
    memcpy(last, buf + len - bl, bl); /* decryption: the next chaining value */
    ch->known = false;
    /* In place is allowed: in and out are the same buffer exactly. */
    if (!EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) || (size_t)outl != len) {
        crypto_set_error("%s failed", crypto_cipher_name(cbc->cipher));
        return -1;
    }
    if (known && !enc)
        xor_block(buf, fix, bl);
    memcpy(ch->v, enc ? buf + len - bl : last, bl);
    ch->known = true;
    return 0;
}

int cbc_encrypt(struct cbc *cbc, const uint8_t *iv, uint8_t *buf, size_t len)
{
    return run(cbc, cbc->enc, &cbc->cenc, iv, buf, len);
}

int cbc_decrypt(struct cbc *cbc, const uint8_t *iv, uint8_t *buf, size_t len)
{
    return run(cbc, cbc->dec, &cbc->cdec, iv, buf, len);
}

enum crypto_cipher cbc_cipher(const struct cbc *cbc)
{
    return cbc->cipher;
}

size_t cbc_block_len(const struct cbc *cbc)
{
    return cbc->block;
}

size_t cbc_size(void)
{
    return sizeof(struct cbc);
}

void cbc_free(struct cbc *cbc)
{
    if (cbc == NULL)
        return;
    EVP_CIPHER_CTX_free(cbc->enc);
    EVP_CIPHER_CTX_free(cbc->dec);
    OPENSSL_free(cbc);
}

/* --- AES-GCM ---------------------------------------------------------- */

struct gcm {
    const char *name;
    EVP_CIPHER_CTX *enc, *dec;
};

struct gcm *gcm_new(enum cbc_dir dir, const uint8_t *key, size_t key_len)
{
    static const char *const names[] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"};
    OSSL_LIB_CTX *lib;
    EVP_CIPHER *evp;
    struct gcm *g;

    crypto_clear_error();
    if (key_len != 16 && key_len != 24 && key_len != 32) {
        crypto_set_error("AES-GCM needs a 16, 24 or 32-byte key, not %zu", key_len);
        return NULL;
    }
    if ((lib = crypto_libctx()) == NULL)
        return NULL;
    /* Fetched per context (per SA), not per packet; the contexts keep
     * their own reference. */
    if ((evp = EVP_CIPHER_fetch(lib, names[(key_len - 16) / 8], NULL)) == NULL) {
        crypto_set_error("%s is not available", names[(key_len - 16) / 8]);
        return NULL;
    }
    if ((g = OPENSSL_zalloc(sizeof(*g))) == NULL) {
        crypto_set_error("out of memory");
        EVP_CIPHER_free(evp);
        return NULL;
    }
    g->name = names[(key_len - 16) / 8];
    if (((dir & CBC_ENCRYPT) && (g->enc = keyed_ctx(evp, key, 1)) == NULL) ||
        ((dir & CBC_DECRYPT) && (g->dec = keyed_ctx(evp, key, 0)) == NULL)) {
        crypto_set_error("%s: cannot set up the key", g->name);
        gcm_free(g);
        g = NULL;
    }
    EVP_CIPHER_free(evp);
    return g;
}

static int gcm_run(struct gcm *g, EVP_CIPHER_CTX *ctx, const uint8_t *nonce, const uint8_t *aad,
                   size_t aad_len, uint8_t *buf, size_t len, uint8_t *tag)
{
    int outl = 0, enc;

    if (ctx == NULL) {
        crypto_set_error("%s context not keyed for this direction", g->name);
        return -1;
    }
    enc = ctx == g->enc;
    if (len > INT_MAX || aad_len > INT_MAX) {
        crypto_set_error("%s: %zu bytes is too long", g->name, len > aad_len ? len : aad_len);
        return -1;
    }
    if (!EVP_CipherInit_ex2(ctx, NULL, NULL, nonce, -1, NULL) ||
        (aad_len && !EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len)) ||
        (len && (!EVP_CipherUpdate(ctx, buf, &outl, buf, (int)len) || (size_t)outl != len)) ||
        (!enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, GCM_TAG_LEN, tag))) {
        crypto_set_error("%s failed", g->name);
        return -1;
    }
    if (!EVP_CipherFinal_ex(ctx, buf + len, &outl)) {
        if (enc) {
            crypto_set_error("%s failed", g->name);
            return -1;
        }
        crypto_wipe(buf, len); /* unauthenticated plaintext never leaves */
        ERR_clear_error();
        return GCM_ERR_TAG;
    }
    if (enc && !EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, GCM_TAG_LEN, tag)) {
        crypto_set_error("%s: cannot read the tag", g->name);
        return -1;
    }
    return 0;
}

int gcm_seal(struct gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, uint8_t *buf,
             size_t len, uint8_t *tag)
{
    return gcm_run(g, g->enc, nonce, aad, aad_len, buf, len, tag);
}

int gcm_open(struct gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, uint8_t *buf,
             size_t len, const uint8_t *tag)
{
    return gcm_run(g, g->dec, nonce, aad, aad_len, buf, len, (uint8_t *)tag);
}

void gcm_free(struct gcm *g)
{
    if (g == NULL)
        return;
    EVP_CIPHER_CTX_free(g->enc);
    EVP_CIPHER_CTX_free(g->dec);
    OPENSSL_free(g);
}

size_t gcm_size(void)
{
    return sizeof(struct gcm);
}
