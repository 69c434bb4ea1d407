/*
 * crypto_int.h: internals shared by the files of lib/crypto/ only (never
 * included outside the module): the library context, the pre-fetched
 * algorithm objects, and error recording.
 */
#ifndef OPENSG_CRYPTO_INT_H
#define OPENSG_CRYPTO_INT_H

#include <openssl/evp.h>

#include "crypto.h"

/* NULL if crypto_init() failed. */
OSSL_LIB_CTX *crypto_libctx(void);

/* Pre-fetched algorithms (fetching per call is slow in OpenSSL 3); NULL if
 * unknown or unavailable, with the error recorded. */
const EVP_MD *crypto_evp_md(enum crypto_hash h);
const EVP_CIPHER *crypto_evp_cipher(enum crypto_cipher c);
EVP_MAC *crypto_evp_hmac(void);
const char *crypto_hash_ossl_name(enum crypto_hash h);
/* A keyed HMAC context of hash h (the keyed state is kept across
 * EVP_MAC_init(ctx, NULL, 0, NULL)); NULL with the error recorded. */
EVP_MAC_CTX *crypto_hmac_new(enum crypto_hash h, const uint8_t *key, size_t key_len);

/* Record the failure of this thread's last call: the message, then the
 * reason OpenSSL queued (if any).  The OpenSSL error queue is cleared. */
void crypto_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Clear the recorded error (and OpenSSL's queue) at the start of a
 * control-plane entry point. */
void crypto_clear_error(void);

#endif
