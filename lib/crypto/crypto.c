/*
 * crypto.c: the module's OpenSSL library context and providers, algorithm
 * tables, error text, and secret-handling helpers (see crypto.h).
 *
 * A private OSSL_LIB_CTX keeps our provider choice (default + legacy) from
 * changing what the rest of the process gets from OpenSSL's default context:
 * loading "legacy" explicitly into the default context would stop OpenSSL
 * from loading "default" implicitly there.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/provider.h>
#include <openssl/rand.h>

#include "crypto_int.h"

struct hash_info {
    const char *ossl; /* OpenSSL fetch name */
    const char *name; /* our (Junos-like) name */
    size_t len;
};

static const struct hash_info hashes[CRYPTO_HASH_COUNT] = {
    [CRYPTO_HASH_MD5] = {"MD5", "md5", 16},
    [CRYPTO_HASH_SHA1] = {"SHA1", "sha1", 20},
    [CRYPTO_HASH_SHA256] = {"SHA2-256", "sha-256", 32},
    [CRYPTO_HASH_SHA384] = {"SHA2-384", "sha-384", 48},
    [CRYPTO_HASH_SHA512] = {"SHA2-512", "sha-512", 64},
};

struct cipher_info {
    const char *ossl;
    const char *name;
    size_t key_len, block_len;
};

static const struct cipher_info ciphers[CRYPTO_CIPHER_COUNT] = {
    [CRYPTO_CIPHER_DES_CBC] = {"DES-CBC", "des-cbc", 8, 8},
    [CRYPTO_CIPHER_3DES_CBC] = {"DES-EDE3-CBC", "3des-cbc", 24, 8},
    [CRYPTO_CIPHER_AES128_CBC] = {"AES-128-CBC", "aes-128-cbc", 16, 16},
    [CRYPTO_CIPHER_AES192_CBC] = {"AES-192-CBC", "aes-192-cbc", 24, 16},
    [CRYPTO_CIPHER_AES256_CBC] = {"AES-256-CBC", "aes-256-cbc", 32, 16},
};

static CRYPTO_ONCE init_once = CRYPTO_ONCE_STATIC_INIT;
static int init_status = -1;
static OSSL_LIB_CTX *libctx;
static OSSL_PROVIDER *prov_default, *prov_legacy;
static EVP_MD *mds[CRYPTO_HASH_COUNT];
static EVP_CIPHER *evp_ciphers[CRYPTO_CIPHER_COUNT];
static EVP_MAC *hmac;
static char legacy_error[200];

static _Thread_local char errbuf[256];

void crypto_clear_error(void)
{
    errbuf[0] = '\0';
    ERR_clear_error(); /* so a stale OpenSSL reason is not blamed on us */
}

void crypto_set_error(const char *fmt, ...)
{
    va_list ap;
    int n;
    unsigned long e;

    va_start(ap, fmt);
    n = vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    e = ERR_peek_last_error();
    if (e != 0 && n >= 0 && (size_t)n < sizeof(errbuf) - 3) {
        memcpy(errbuf + n, ": ", 3);
        ERR_error_string_n(e, errbuf + n + 2, sizeof(errbuf) - (size_t)n - 2);
    }
    ERR_clear_error();
}

const char *crypto_strerror(void)
{
    return errbuf;
}

static void do_init(void)
{
    libctx = OSSL_LIB_CTX_new();
    if (libctx == NULL)
        return;
    prov_default = OSSL_PROVIDER_load(libctx, "default");
    if (prov_default == NULL)
        return;
    prov_legacy = OSSL_PROVIDER_load(libctx, "legacy");
    if (prov_legacy == NULL) {
        unsigned long e = ERR_peek_last_error();

        snprintf(legacy_error, sizeof(legacy_error),
                 "des-cbc needs the OpenSSL legacy provider, which could not be loaded (%s)",
                 e != 0 ? ERR_reason_error_string(e) : "unknown reason");
        ERR_clear_error();
    }
    for (int h = 0; h < CRYPTO_HASH_COUNT; h++) {
        mds[h] = EVP_MD_fetch(libctx, hashes[h].ossl, NULL);
        if (mds[h] == NULL)
            return;
    }
    for (int c = 0; c < CRYPTO_CIPHER_COUNT; c++) {
        evp_ciphers[c] = EVP_CIPHER_fetch(libctx, ciphers[c].ossl, NULL);
        if (evp_ciphers[c] == NULL && c != CRYPTO_CIPHER_DES_CBC)
            return;
    }
    ERR_clear_error(); /* a failed DES fetch is expected without "legacy" */
    if (evp_ciphers[CRYPTO_CIPHER_DES_CBC] == NULL && legacy_error[0] == '\0')
        snprintf(legacy_error, sizeof(legacy_error),
                 "des-cbc is not available from the OpenSSL legacy provider");
    hmac = EVP_MAC_fetch(libctx, "HMAC", NULL);
    if (hmac == NULL)
        return;
    init_status = 0;
}

int crypto_init(void)
{
    if (!CRYPTO_THREAD_run_once(&init_once, do_init) || init_status != 0) {
        crypto_set_error("cannot initialise OpenSSL (default provider and algorithms)");
        return -1;
    }
    return 0;
}

OSSL_LIB_CTX *crypto_libctx(void)
{
    return crypto_init() == 0 ? libctx : NULL;
}

const EVP_MD *crypto_evp_md(enum crypto_hash h)
{
    if (crypto_init() != 0)
        return NULL;
    if ((unsigned)h >= CRYPTO_HASH_COUNT) {
        crypto_set_error("unknown hash %d", (int)h);
        return NULL;
    }
    return mds[h];
}

const EVP_CIPHER *crypto_evp_cipher(enum crypto_cipher c)
{
    if (crypto_init() != 0)
        return NULL;
    if ((unsigned)c >= CRYPTO_CIPHER_COUNT) {
        crypto_set_error("unknown cipher %d", (int)c);
        return NULL;
    }
    if (evp_ciphers[c] == NULL)
        crypto_set_error("%s", legacy_error);
    return evp_ciphers[c];
}

EVP_MAC *crypto_evp_hmac(void)
{
    return crypto_init() == 0 ? hmac : NULL;
}

const char *crypto_hash_ossl_name(enum crypto_hash h)
{
    return (unsigned)h < CRYPTO_HASH_COUNT ? hashes[h].ossl : NULL;
}

EVP_MAC_CTX *crypto_hmac_new(enum crypto_hash h, const uint8_t *key, size_t key_len)
{
    EVP_MAC *mac = crypto_evp_hmac();
    EVP_MAC_CTX *ctx;
    OSSL_PARAM params[2];

    if (mac == NULL || (unsigned)h >= CRYPTO_HASH_COUNT)
        return NULL;
    params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)hashes[h].ossl, 0);
    params[1] = OSSL_PARAM_construct_end();
    if ((ctx = EVP_MAC_CTX_new(mac)) == NULL || !EVP_MAC_init(ctx, key, key_len, params)) {
        EVP_MAC_CTX_free(ctx);
        crypto_set_error("HMAC-%s: cannot set up the key", hashes[h].name);
        return NULL;
    }
    return ctx;
}

size_t crypto_hash_len(enum crypto_hash h)
{
    return (unsigned)h < CRYPTO_HASH_COUNT ? hashes[h].len : 0;
}

const char *crypto_hash_name(enum crypto_hash h)
{
    return (unsigned)h < CRYPTO_HASH_COUNT ? hashes[h].name : "unknown";
}

size_t crypto_cipher_key_len(enum crypto_cipher c)
{
    return (unsigned)c < CRYPTO_CIPHER_COUNT ? ciphers[c].key_len : 0;
}

size_t crypto_cipher_block_len(enum crypto_cipher c)
{
    return (unsigned)c < CRYPTO_CIPHER_COUNT ? ciphers[c].block_len : 0;
}

const char *crypto_cipher_name(enum crypto_cipher c)
{
    return (unsigned)c < CRYPTO_CIPHER_COUNT ? ciphers[c].name : "unknown";
}

bool crypto_cipher_available(enum crypto_cipher c)
{
    return crypto_init() == 0 && (unsigned)c < CRYPTO_CIPHER_COUNT && evp_ciphers[c] != NULL;
}

void crypto_wipe(void *p, size_t len)
{
    if (p != NULL && len > 0)
        OPENSSL_cleanse(p, len);
}

bool crypto_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}

static int random_bytes(void *buf, size_t len, bool priv)
{
    OSSL_LIB_CTX *ctx = crypto_libctx();
    int ok;

    if (ctx == NULL)
        return -1;
    ok = priv ? RAND_priv_bytes_ex(ctx, buf, len, 0) : RAND_bytes_ex(ctx, buf, len, 0);
    if (ok != 1) {
        crypto_set_error("random generator failed");
        return -1;
    }
    return 0;
}

int crypto_random(void *buf, size_t len)
{
    return random_bytes(buf, len, false);
}

int crypto_random_priv(void *buf, size_t len)
{
    return random_bytes(buf, len, true);
}

struct crypto_secret *crypto_secret_new(size_t len)
{
    struct crypto_secret *s = OPENSSL_zalloc(sizeof(*s) + len);

    if (s == NULL) {
        crypto_set_error("out of memory");
        return NULL;
    }
    s->len = len;
    return s;
}

struct crypto_secret *crypto_secret_dup(const void *p, size_t len)
{
    struct crypto_secret *s = crypto_secret_new(len);

    if (s != NULL && len > 0)
        memcpy(s->data, p, len);
    return s;
}

void crypto_secret_free(struct crypto_secret *s)
{
    if (s != NULL)
        OPENSSL_clear_free(s, sizeof(*s) + s->len);
}
