/*
 * crypto_int.h: internals shared by the files of lib/crypto/ only (never
 * included outside the module): the library context, the pre-fetched
 * algorithm objects, and error recording.
 */
#ifndef OPENSG_CRYPTO_INT_H
#define OPENSG_CRYPTO_INT_H

#include <openssl/evp.h>

#include "cipher.h"
#include "crypto.h"

/* n rounded up to 16 bytes: the parts of a transform's block (esp.c,
 * ah.c) and an in-place cbc (cipher.c) start at 16-byte offsets, as
 * struct aes_ks's alignment needs. */
#define CRYPTO_ALIGN16(n) (((n) + 15) & ~(size_t)15)

/* NULL if crypto_init() failed. */
OSSL_LIB_CTX *crypto_libctx(void);

/* Pre-fetched algorithms (fetching per call is slow in OpenSSL 3); NULL if
 * unknown or unavailable, with the error recorded. */
const EVP_MD *crypto_evp_md(enum crypto_hash h);
const EVP_CIPHER *crypto_evp_cipher(enum crypto_cipher c);
EVP_MAC *crypto_evp_hmac(void);
const char *crypto_hash_ossl_name(enum crypto_hash h);

/* Record the failure of this thread's last call: the message, then the
 * reason OpenSSL queued (if any).  The OpenSSL error queue is cleared. */
void crypto_set_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Clear the recorded error (and OpenSSL's queue) at the start of a
 * control-plane entry point. */
void crypto_clear_error(void);

/* In place, for the transforms (esp.c, ah.c) that keep their cipher and
 * HMAC state in their own allocation, one block per SA: build into
 * memory of cbc_room() / gcm_size() / hmac_pre_size() bytes (aligned as malloc does);
 * 0, or -1 with the error recorded.  _wipe clears without freeing (the
 * key, and this thread's cipher slots holding it: cipher.c). */
struct cbc;
struct gcm;
struct hmac_pre;
/* cbc_init's memory: cbc_room(c, dir) bytes, asked just before (one AES
 * schedule per direction with AES-NI, the key otherwise). */
size_t cbc_room(enum crypto_cipher c, enum cbc_dir dir);
int cbc_init(struct cbc *cbc, size_t room, enum crypto_cipher c, enum cbc_dir dir,
             const uint8_t *key, size_t key_len);
void cbc_wipe(struct cbc *cbc);
int gcm_init(struct gcm *g, enum cbc_dir dir, const uint8_t *key, size_t key_len);
void gcm_wipe(struct gcm *g);
/* Bytes from the start of cbc / g that a packet reads (fwdd prefetches
 * them with the SA: esp_xform_hot_len). */
size_t cbc_hot_len(const struct cbc *cbc);
size_t gcm_hot_len(const struct gcm *g);
int hmac_pre_init(struct hmac_pre *m, enum crypto_hash h, const uint8_t *key, size_t key_len);

#endif
