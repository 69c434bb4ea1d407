/*
 * cipher.h: keyed CBC contexts for des-cbc, 3des-cbc and aes-128/192/256-cbc,
 * encrypting and decrypting in place with a caller-given IV and no padding
 * (IKE and ESP pad themselves), and keyed AES-GCM contexts (NIST SP
 * 800-38D: 96-bit nonce, 16-byte tag) for ESP's RFC 4106.  Called by kmd
 * (IKE payload encryption with Ka) and by esp.c (fwdd's ESP transforms).
 *
 * AES (CBC and GCM) on a CPU with AES-NI and PCLMULQDQ: a struct cbc /
 * gcm holds the key schedule (and GCM's powers of H), expanded once, and
 * each call runs aesni.c on it.  Otherwise, and for DES and 3DES, it
 * holds the key; the OpenSSL context that runs it is the calling
 * thread's, one per cipher and direction, re-keyed only when a call comes
 * with another key than its last (cipher.c).  Either way no allocation
 * per call, and no OpenSSL context per key (650 to 1,170 bytes each).
 * Not thread-safe per struct (one SA belongs to one thread at a time).
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
 * crypto_strerror()).  The key is kept in the struct (wiped by cbc_free). */
struct cbc *cbc_new(enum crypto_cipher c, enum cbc_dir dir, const uint8_t *key, size_t key_len);

/* len must be a multiple of the block size (0 is allowed); iv is one block. */
int cbc_encrypt(struct cbc *cbc, const uint8_t *iv, uint8_t *buf, size_t len);
int cbc_decrypt(struct cbc *cbc, const uint8_t *iv, uint8_t *buf, size_t len);

enum crypto_cipher cbc_cipher(const struct cbc *cbc);
size_t cbc_block_len(const struct cbc *cbc);

void cbc_free(struct cbc *cbc); /* wipes the key, and this thread's schedule of it */

/* AES-GCM with a 16-byte tag.  key_len 16, 24 or 32 (the AES key alone:
 * RFC 4106's salt is part of the nonce, esp.c's business).  dir says which
 * of gcm_seal / gcm_open the context serves.  Per call: the 12-byte nonce,
 * the additional authenticated data (may be empty), and len bytes of buf
 * encrypted or decrypted in place (0 is allowed).  gcm_open decrypts, then
 * checks the tag: on GCM_ERR_TAG the len bytes are wiped (never use them).
 * No allocation per call.  NULL / -1 on failure (crypto_strerror()). */
#define GCM_NONCE_LEN 12
#define GCM_TAG_LEN 16
#define GCM_ERR_TAG (-2)

struct gcm;

struct gcm *gcm_new(enum cbc_dir dir, const uint8_t *key, size_t key_len);
int gcm_seal(struct gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, uint8_t *buf,
             size_t len, uint8_t *tag);
int gcm_open(struct gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, uint8_t *buf,
             size_t len, const uint8_t *tag);
void gcm_free(struct gcm *g); /* wipes the key, and this thread's schedule of it */
size_t gcm_size(void);        /* bytes of a struct gcm (not the threads' contexts) */

/* Keys freed while another thread may still hold their schedule in its
 * contexts (fwdd's PIC workers: the freeing thread drops its own at once).
 * cipher_retired() counts the keys freed so far; a thread that has seen
 * *seen of them calls cipher_forget_retired(&seen) to drop the schedules
 * it holds of the ones freed since (all of its contexts when more keys
 * were freed than the record of the last CIPHER_RETIRED_RING holds), as
 * soon as it notices the count moved. */
#define CIPHER_RETIRED_RING 256
/* Tests and benches: AES through aesni.c (on 1, if the CPU has it) or
 * OpenSSL's contexts (0) for the keys made from now on, or nothing
 * changed (-1); returns whether aesni.c was in use before.  The default
 * is aesni.c where present. */
int cipher_aesni(int on);
uint64_t cipher_retired(void);
void cipher_forget_retired(uint64_t *seen);
/* The number naming a key (tests: cipher_thread_holds). */
uint64_t cbc_key_id(const struct cbc *cbc);
uint64_t gcm_key_id(const struct gcm *g);
/* 1 if one of the calling thread's contexts holds the schedule of key id. */
int cipher_thread_holds(uint64_t id);

#endif
