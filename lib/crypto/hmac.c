/*
 * hmac.c: HMAC from precomputed inner and outer states (hmac.h).
 */
#define OPENSSL_SUPPRESS_DEPRECATED /* MD5_, SHA1_, SHA256_: see hmac.h */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/md5.h>
#include <openssl/sha.h>

#include "crypto_int.h"
#include "hmac.h"

#define HMAC_BLOCK 64 /* MD5, SHA-1 and SHA-256 */

union hstate {
    MD5_CTX md5;
    SHA_CTX sha1;
    SHA256_CTX sha256;
};

/* Only the chaining values after the ipad / opad block are kept (MD5 4
 * words, SHA-1 5, SHA-256 8): the rest of a hash context after exactly
 * one 64-byte block is known (restore).  68 bytes instead of 228, which
 * fwdd prefetches per packet with the SA's transform. */
struct hmac_pre {
    enum crypto_hash hash;
    uint32_t in[8], out[8];
};

static void save(enum crypto_hash h, const union hstate *s, uint32_t *v)
{
    if (h == CRYPTO_HASH_MD5) {
        v[0] = s->md5.A, v[1] = s->md5.B, v[2] = s->md5.C, v[3] = s->md5.D;
    } else if (h == CRYPTO_HASH_SHA1) {
        v[0] = s->sha1.h0, v[1] = s->sha1.h1, v[2] = s->sha1.h2, v[3] = s->sha1.h3;
        v[4] = s->sha1.h4;
    } else {
        memcpy(v, s->sha256.h, sizeof(s->sha256.h));
    }
}

/* The context after one 64-byte block whose chaining values are v
 * (the data buffer is empty: num 0; 512 bits counted). */
static void restore(enum crypto_hash h, union hstate *s, const uint32_t *v)
{
    if (h == CRYPTO_HASH_MD5) {
        s->md5.A = v[0], s->md5.B = v[1], s->md5.C = v[2], s->md5.D = v[3];
        s->md5.Nl = 512, s->md5.Nh = 0, s->md5.num = 0;
    } else if (h == CRYPTO_HASH_SHA1) {
        s->sha1.h0 = v[0], s->sha1.h1 = v[1], s->sha1.h2 = v[2], s->sha1.h3 = v[3];
        s->sha1.h4 = v[4];
        s->sha1.Nl = 512, s->sha1.Nh = 0, s->sha1.num = 0;
    } else {
        memcpy(s->sha256.h, v, sizeof(s->sha256.h));
        s->sha256.Nl = 512, s->sha256.Nh = 0, s->sha256.num = 0;
        s->sha256.md_len = SHA256_DIGEST_LENGTH;
    }
}

static void h_init(enum crypto_hash h, union hstate *s)
{
    if (h == CRYPTO_HASH_MD5)
        MD5_Init(&s->md5);
    else if (h == CRYPTO_HASH_SHA1)
        SHA1_Init(&s->sha1);
    else
        SHA256_Init(&s->sha256);
}

static void h_update(enum crypto_hash h, union hstate *s, const uint8_t *p, size_t n)
{
    if (h == CRYPTO_HASH_MD5)
        MD5_Update(&s->md5, p, n);
    else if (h == CRYPTO_HASH_SHA1)
        SHA1_Update(&s->sha1, p, n);
    else
        SHA256_Update(&s->sha256, p, n);
}

static void h_final(enum crypto_hash h, union hstate *s, uint8_t *out)
{
    if (h == CRYPTO_HASH_MD5)
        MD5_Final(out, &s->md5);
    else if (h == CRYPTO_HASH_SHA1)
        SHA1_Final(out, &s->sha1);
    else
        SHA256_Final(out, &s->sha256);
}

int hmac_pre_init(struct hmac_pre *m, enum crypto_hash h, const uint8_t *key, size_t key_len)
{
    uint8_t k[HMAC_BLOCK] = {0}, pad[HMAC_BLOCK];
    union hstate s;

    memset(m, 0, sizeof(*m));
    if (h != CRYPTO_HASH_MD5 && h != CRYPTO_HASH_SHA1 && h != CRYPTO_HASH_SHA256) {
        crypto_set_error("HMAC-%s: not an ESP integrity hash", crypto_hash_name(h));
        return -1;
    }
    m->hash = h;
    if (key_len > HMAC_BLOCK) { /* RFC 2104 2: a longer key is hashed first */
        h_init(h, &s);
        h_update(h, &s, key, key_len);
        h_final(h, &s, k);
    } else {
        memcpy(k, key, key_len);
    }
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x36;
    h_init(h, &s);
    h_update(h, &s, pad, HMAC_BLOCK);
    save(h, &s, m->in);
    for (size_t i = 0; i < HMAC_BLOCK; i++)
        pad[i] = k[i] ^ 0x5c;
    h_init(h, &s);
    h_update(h, &s, pad, HMAC_BLOCK);
    save(h, &s, m->out);
    OPENSSL_cleanse(k, sizeof(k));
    OPENSSL_cleanse(pad, sizeof(pad));
    OPENSSL_cleanse(&s, sizeof(s));
    return 0;
}

struct hmac_pre *hmac_pre_new(enum crypto_hash h, const uint8_t *key, size_t key_len)
{
    struct hmac_pre *m;

    if ((m = OPENSSL_zalloc(sizeof(*m))) == NULL) {
        crypto_set_error("out of memory");
        return NULL;
    }
    if (hmac_pre_init(m, h, key, key_len) != 0) {
        OPENSSL_free(m);
        return NULL;
    }
    return m;
}

void hmac_pre_compute_v(const struct hmac_pre *m, const struct crypto_iov *iov, size_t n,
                        uint8_t *out)
{
    uint8_t inner[32];
    union hstate s;

    restore(m->hash, &s, m->in);
    for (size_t i = 0; i < n; i++)
        h_update(m->hash, &s, iov[i].base, iov[i].len);
    h_final(m->hash, &s, inner);
    restore(m->hash, &s, m->out);
    h_update(m->hash, &s, inner, crypto_hash_len(m->hash));
    h_final(m->hash, &s, out);
    OPENSSL_cleanse(&s, sizeof(s));
}

void hmac_pre_compute(const struct hmac_pre *m, const uint8_t *data, size_t len, uint8_t *out)
{
    struct crypto_iov iov = {data, len};

    hmac_pre_compute_v(m, &iov, 1, out);
}

void hmac_pre_free(struct hmac_pre *m)
{
    if (m != NULL)
        OPENSSL_clear_free(m, sizeof(*m));
}

size_t hmac_pre_size(void)
{
    return sizeof(struct hmac_pre);
}
