/*
 * cipher.h: keyed CBC contexts for des-cbc, 3des-cbc and aes-128/192/256-cbc,
 * encrypting and decrypting in place with a caller-given IV and no padding
 * (IKE and ESP pad themselves).  Called by kmd (IKE payload encryption
 * with Ka) and by esp.c (fwdd's ESP transforms).
 *
 * A context is keyed once and reused for every message: no allocation per
 * call.  Not thread-safe per context (one SA belongs to one thread).
 *
 * IV chaining in IKEv1 is the caller's: after encrypting, the next IV is
 * the last ciphertext block (buf + len - block); before decrypting in
 * place, copy that block out first.
 */
#ifndef OPENSG_CRYPTO_CIPHER_H
#define OPENSG_CRYPTO_CIPHER_H

#include "crypto.h"

enum cbc_dir {
    CBC_ENCRYPT = 1,
    CBC_DECRYPT = 2,
    CBC_BOTH = 3,
};

struct cbc;

/* key_len must be crypto_cipher_key_len(c).  NULL on failure (unknown or
 * unavailable cipher, e.g. DES without the legacy provider: see
 * crypto_strerror()).  The key is not kept outside OpenSSL's context. */
struct cbc *cbc_new(enum crypto_cipher c, enum cbc_dir dir, const uint8_t *key, size_t key_len);

/* len must be a multiple of the block size (0 is allowed); iv is one block. */
int cbc_encrypt(struct cbc *cbc, const uint8_t *iv, uint8_t *buf, size_t len);
int cbc_decrypt(struct cbc *cbc, const uint8_t *iv, uint8_t *buf, size_t len);

enum crypto_cipher cbc_cipher(const struct cbc *cbc);
size_t cbc_block_len(const struct cbc *cbc);

void cbc_free(struct cbc *cbc); /* OpenSSL clears the key schedule */

#endif
