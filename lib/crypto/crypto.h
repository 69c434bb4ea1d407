/*
 * crypto.h: the base of OpenSG's cryptography module (lib/crypto/), the only
 * place that talks to OpenSSL for IKE and ESP.  kmd (IKEv1 key exchange) and
 * fwdd (ESP data plane) call it; nothing else should include OpenSSL headers
 * for these jobs.
 *
 * This file owns:
 *  - the module's private OpenSSL library context, with the "default" and
 *    "legacy" providers (single DES lives only in "legacy" in OpenSSL 3);
 *    it is set up once, lazily and thread-safely, by any entry point;
 *  - the algorithm identifiers (hashes, CBC ciphers) used by prf.h,
 *    cipher.h and esp.h;
 *  - secret handling: wiping, constant-time comparison, a heap container
 *    for variable-length secrets (PSK, g^xy), random bytes;
 *  - the last error message (per thread), for the caller to log: this
 *    module never logs, so secrets cannot leak through it.
 *
 * Contract: functions returning int give 0 on success and -1 on failure,
 * with crypto_strerror() describing the failure.  Keys are never printed.
 */
#ifndef OPENSG_CRYPTO_H
#define OPENSG_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CRYPTO_MAX_HASH 64  /* SHA-512 output, the longest PRF output */
#define CRYPTO_MAX_KEY 32   /* AES-256, the longest cipher key */
#define CRYPTO_MAX_BLOCK 16 /* AES block, the longest block */

/* Hash functions; in IKEv1 the PRF is HMAC of the negotiated hash. */
enum crypto_hash {
    CRYPTO_HASH_MD5,
    CRYPTO_HASH_SHA1,
    CRYPTO_HASH_SHA256,
    CRYPTO_HASH_SHA384,
    CRYPTO_HASH_SHA512,
    CRYPTO_HASH_COUNT
};

/* Block ciphers, always in CBC mode without padding (IKE and ESP pad). */
enum crypto_cipher {
    CRYPTO_CIPHER_DES_CBC, /* needs the OpenSSL legacy provider */
    CRYPTO_CIPHER_3DES_CBC,
    CRYPTO_CIPHER_AES128_CBC,
    CRYPTO_CIPHER_AES192_CBC,
    CRYPTO_CIPHER_AES256_CBC,
    CRYPTO_CIPHER_COUNT
};

/* Set up the library context and providers.  Called implicitly by every
 * entry point; call it at start-up to fail early.  -1 if the default
 * provider cannot be loaded (the legacy one is optional: only DES needs it). */
int crypto_init(void);

/* Text of the last failure in this thread ("" if none).  Never a key. */
const char *crypto_strerror(void);

/* Hash: output length in bytes (0 for an unknown value) and name. */
size_t crypto_hash_len(enum crypto_hash h);
const char *crypto_hash_name(enum crypto_hash h);

/* Cipher: key length, block length (= IV length in IKE and ESP), name, and
 * whether this OpenSSL can run it (false for DES without the legacy
 * provider: refuse such proposals instead of failing later). */
size_t crypto_cipher_key_len(enum crypto_cipher c);
size_t crypto_cipher_block_len(enum crypto_cipher c);
const char *crypto_cipher_name(enum crypto_cipher c);
bool crypto_cipher_available(enum crypto_cipher c);

/* Wipe memory that held a secret (not optimised away). */
void crypto_wipe(void *p, size_t len);

/* Constant-time equality of two buffers of the same length: true if equal. */
bool crypto_equal(const void *a, const void *b, size_t len);

/* Random bytes from the module's DRBG: for nonces, IVs, SPIs, cookies, and
 * (crypto_random_priv) for private values.  -1 if the DRBG failed. */
int crypto_random(void *buf, size_t len);
int crypto_random_priv(void *buf, size_t len);

/* A variable-length secret on the heap, wiped when freed. */
struct crypto_secret {
    size_t len;
    uint8_t data[];
};

struct crypto_secret *crypto_secret_new(size_t len); /* zero-filled; NULL on ENOMEM */
struct crypto_secret *crypto_secret_dup(const void *p, size_t len);
void crypto_secret_free(struct crypto_secret *s); /* wipes; NULL is fine */

/* One piece of a concatenation: prf(key, a | b | c) takes an array of these. */
struct crypto_iov {
    const void *base;
    size_t len;
};

#endif
