/*
 * aesni.h: AES (FIPS 197) in CBC mode (SP 800-38A) and GCM (SP 800-38D)
 * with the x86-64 AES-NI and PCLMULQDQ instructions, on key schedules the
 * caller keeps in its own memory.  Internal to lib/crypto: cipher.c uses
 * it for the AES ciphers when the CPU has the instructions, and OpenSSL
 * otherwise (docs/crypto.md, "AES without OpenSSL's contexts").
 *
 * Why: an OpenSSL 3.0 context keeps its key schedule inside the provider's
 * private allocation.  One context per SA is 650 to 1,170 bytes nobody can
 * prefetch; one per thread must be re-keyed whenever the next packet is
 * another tunnel's (110 ns for AES-CBC, 210 to 270 for GCM).  Here a
 * schedule is 176 to 240 bytes inside the SA's own block, expanded once
 * when the SA is made, and fwdd prefetches it with the SA.
 */
#ifndef OPENSG_CRYPTO_AESNI_H
#define OPENSG_CRYPTO_AESNI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define AES_MAX_ROUNDS 14

/* Round keys 0..rounds (10, 12 or 14), for encryption or, made by
 * aes_expand's dec argument, for the equivalent inverse cipher. */
struct aes_ks {
    uint32_t rounds; /* first: in the lines a call reads */
    uint8_t rk[AES_MAX_ROUNDS + 1][16] __attribute__((aligned(16)));
};

/* Bytes from the start of ks that a call reads (rounds and the round
 * keys in use: fwdd prefetches them). */
static inline size_t aes_ks_used(const struct aes_ks *ks)
{
    return offsetof(struct aes_ks, rk) + 16 * (ks->rounds + 1);
}

/* GCM: the cipher's schedule and H^1..H^8 (H = AES_K(0^128)), each kept
 * byte-reversed, the form the multiplication works in. */
#define AES_GCM_POWERS 8
struct aes_gcm {
    uint8_t h[AES_GCM_POWERS][16] __attribute__((aligned(16)));
    struct aes_ks ks;
};

/* True if this CPU has AES-NI, PCLMULQDQ and SSE4.1 (asked once). */
bool aesni_present(void);

/* key_len 16, 24 or 32.  enc gets the encryption schedule; dec, if not
 * NULL, the decryption one.  Only call when aesni_present(). */
void aes_expand(const uint8_t *key, size_t key_len, struct aes_ks *enc, struct aes_ks *dec);

/* In place, len a multiple of 16 (0 allowed); iv one block (may point
 * into buf). */
void aes_cbc_encrypt(const struct aes_ks *enc, const uint8_t *iv, uint8_t *buf, size_t len);
void aes_cbc_decrypt(const struct aes_ks *dec, const uint8_t *iv, uint8_t *buf, size_t len);

void aes_gcm_init(struct aes_gcm *g, const uint8_t *key, size_t key_len);
/* 12-byte nonce, 16-byte tag; buf in place.  aes_gcm_open returns 0, or
 * -1 for a wrong tag, having then wiped the len bytes of buf. */
void aes_gcm_seal(const struct aes_gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                  uint8_t *buf, size_t len, uint8_t *tag);
int aes_gcm_open(const struct aes_gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                 uint8_t *buf, size_t len, const uint8_t *tag);

#endif
