/*
 * hmac.h: HMAC (RFC 2104) with MD5, SHA-1 and SHA-256 from precomputed
 * inner and outer states, for ESP's ICVs (esp.c) and AH's (ah.c).
 *
 * Keying hashes the key XOR ipad and the key XOR opad once and keeps the
 * chaining values (16 to 32 bytes each); per message the two contexts are
 * rebuilt from them on the stack, so a computation costs
 * the message's blocks plus two finalisations, with no allocation and no
 * provider dispatch.  OpenSSL 3.0's EVP_MAC re-initialisation duplicates
 * its digest state through the provider (two malloc/free pairs per
 * packet, about 150 ns at 104 bytes); the low-level MD5_, SHA1_ and
 * SHA256_ functions used here are deprecated in 3.0 but run the same
 * assembly (docs/crypto.md).  The states are key-equivalent: they are
 * wiped when the transform is freed, and the copies after each use.
 */
#ifndef OPENSG_CRYPTO_HMAC_H
#define OPENSG_CRYPTO_HMAC_H

#include "crypto.h"

struct hmac_pre;

/* MD5, SHA1 or SHA256 only; NULL otherwise (crypto_strerror()). */
struct hmac_pre *hmac_pre_new(enum crypto_hash h, const uint8_t *key, size_t key_len);
/* The full HMAC of data into out (crypto_hash_len() bytes). */
void hmac_pre_compute(const struct hmac_pre *m, const uint8_t *data, size_t len, uint8_t *out);
/* The same over the concatenation of n pieces (AH: masked IP header, AH
 * header, zero ICV, payload), nothing copied. */
void hmac_pre_compute_v(const struct hmac_pre *m, const struct crypto_iov *iov, size_t n,
                        uint8_t *out);
void hmac_pre_free(struct hmac_pre *m);
size_t hmac_pre_size(void);

#endif
