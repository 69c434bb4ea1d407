/*
 * prf.h: hashes, the IKEv1 PRF (HMAC of the negotiated hash) and the
 * RFC 2409 key schedule for pre-shared-key main mode and quick mode.
 * Called by kmd (main_mode.c, quick_mode.c, informational.c); fwdd only
 * receives the KEYMAT results.
 *
 * Notation (RFC 2409 section 3.2): "_b" is a payload body without its
 * generic header; "|" is concatenation; prf(k, m) = HMAC-hash(k, m).
 *
 *   SKEYID   = prf(pre-shared-key, Ni_b | Nr_b)
 *   SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0)
 *   SKEYID_a = prf(SKEYID, SKEYID_d | g^xy | CKY-I | CKY-R | 1)
 *   SKEYID_e = prf(SKEYID, SKEYID_a | g^xy | CKY-I | CKY-R | 2)
 *   Ka       = SKEYID_e truncated, or when SKEYID_e is too short
 *              (appendix B) the first bytes of K1 | K2 | ... with
 *              K1 = prf(SKEYID_e, 0), Kn = prf(SKEYID_e, Kn-1)
 *   IV (phase 1) = hash(g^xi | g^xr) truncated to the block size
 *   IV (phase 2) = hash(last CBC block of phase 1 | M-ID)
 *   HASH_I   = prf(SKEYID, g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b)
 *   HASH_R   = prf(SKEYID, g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b)
 *   HASH(1)  = prf(SKEYID_a, M-ID | rest of message after HASH)
 *   HASH(2)  = prf(SKEYID_a, M-ID | Ni_b | rest of message after HASH)
 *   HASH(3)  = prf(SKEYID_a, 0 | M-ID | Ni_b | Nr_b)
 *   KEYMAT   = K1 | K2 | ...,  K1 = prf(SKEYID_d, [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b),
 *              Kn = prf(SKEYID_d, Kn-1 | [g(qm)^xy |] protocol | SPI | Ni_b | Nr_b)
 *
 * g^xi, g^xr and g^xy are always the modulus length (dh.h pads them).
 * M-ID and SPI are passed in host order and hashed in network order.
 * Outputs are hash-length (crypto_hash_len) unless a length is given.
 */
#ifndef OPENSG_CRYPTO_PRF_H
#define OPENSG_CRYPTO_PRF_H

#include "crypto.h"

/* out = hash(iov[0] | iov[1] | ...), crypto_hash_len(h) bytes. */
int crypto_hash_v(enum crypto_hash h, const struct crypto_iov *iov, size_t n, uint8_t *out);

/* out = HMAC-h(key, iov[0] | iov[1] | ...), crypto_hash_len(h) bytes. */
int crypto_prf_v(enum crypto_hash h, const void *key, size_t key_len, const struct crypto_iov *iov,
                 size_t n, uint8_t *out);
int crypto_prf(enum crypto_hash h, const void *key, size_t key_len, const void *data, size_t len,
               uint8_t *out);

/* Phase-1 key material of one IKE SA.  Plain arrays, no allocation: embed
 * it in the SA and call ikev1_keys_wipe() when the SA goes away. */
struct ikev1_keys {
    enum crypto_hash hash;
    enum crypto_cipher cipher;
    size_t len; /* of each SKEYID*, = crypto_hash_len(hash) */
    uint8_t skeyid[CRYPTO_MAX_HASH];
    uint8_t skeyid_d[CRYPTO_MAX_HASH];
    uint8_t skeyid_a[CRYPTO_MAX_HASH];
    uint8_t skeyid_e[CRYPTO_MAX_HASH];
    size_t ka_len; /* = crypto_cipher_key_len(cipher) */
    uint8_t ka[CRYPTO_MAX_KEY];
    size_t iv_len;                /* = crypto_cipher_block_len(cipher) */
    uint8_t iv[CRYPTO_MAX_BLOCK]; /* phase-1 IV, for MM5 */
};

/* What main mode has exchanged by MM4, plus the secrets. */
struct ikev1_mm_input {
    enum crypto_hash hash;     /* negotiated hash (PRF = HMAC of it) */
    enum crypto_cipher cipher; /* negotiated cipher */
    const uint8_t *psk;
    size_t psk_len;
    const uint8_t *ni_b, *nr_b; /* nonce payload bodies */
    size_t ni_len, nr_len;
    const uint8_t *gxi, *gxr; /* KE payload bodies (modulus length) */
    size_t g_len;
    const uint8_t *gxy; /* dh_shared() output (modulus length) */
    size_t gxy_len;
    const uint8_t *cky_i, *cky_r; /* 8 bytes each */
    const uint8_t *sai_b;         /* initiator's SA payload body (from MM1) */
    size_t sai_len;
};

/* The whole phase-1 schedule: SKEYID, SKEYID_d/a/e, Ka, phase-1 IV. */
int ikev1_phase1_psk(const struct ikev1_mm_input *in, struct ikev1_keys *k);

/* The steps, for callers and tests that need one of them. */
int ikev1_skeyid_psk(enum crypto_hash h, const void *psk, size_t psk_len, const uint8_t *ni_b,
                     size_t ni_len, const uint8_t *nr_b, size_t nr_len, uint8_t *skeyid);
/* k->hash, k->len and k->skeyid set; fills skeyid_d, skeyid_a, skeyid_e. */
int ikev1_skeyid_dae(struct ikev1_keys *k, const uint8_t *gxy, size_t gxy_len, const uint8_t *cky_i,
                     const uint8_t *cky_r);
/* Ka of key_len bytes from SKEYID_e (appendix B expansion if needed). */
int ikev1_enc_key(enum crypto_hash h, const uint8_t *skeyid_e, size_t len, uint8_t *ka,
                  size_t key_len);
int ikev1_phase1_iv(enum crypto_hash h, const uint8_t *gxi, const uint8_t *gxr, size_t g_len,
                    uint8_t *iv, size_t iv_len);

/* Phase-2 (and informational) IV from the last CBC block of phase 1. */
int ikev1_phase2_iv(enum crypto_hash h, const uint8_t *last_block, size_t block_len, uint32_t msgid,
                    uint8_t *iv);

/* HASH_I / HASH_R of main mode (id_b: the sender's ID payload body). */
int ikev1_hash_i(const struct ikev1_keys *k, const struct ikev1_mm_input *in, const uint8_t *idii_b,
                 size_t id_len, uint8_t *out);
int ikev1_hash_r(const struct ikev1_keys *k, const struct ikev1_mm_input *in, const uint8_t *idir_b,
                 size_t id_len, uint8_t *out);

/* Quick mode.  "rest" is every payload after the HASH payload, generic
 * headers included, up to the end of the last payload (not the padding).
 * ikev1_qm_hash1 also computes the HASH(1) of informational exchanges. */
int ikev1_qm_hash1(const struct ikev1_keys *k, uint32_t msgid, const uint8_t *rest, size_t len,
                   uint8_t *out);
int ikev1_qm_hash2(const struct ikev1_keys *k, uint32_t msgid, const uint8_t *ni_b, size_t ni_len,
                   const uint8_t *rest, size_t len, uint8_t *out);
int ikev1_qm_hash3(const struct ikev1_keys *k, uint32_t msgid, const uint8_t *ni_b, size_t ni_len,
                   const uint8_t *nr_b, size_t nr_len, uint8_t *out);

/* What quick mode has exchanged, for KEYMAT. */
struct ikev1_qm_input {
    const uint8_t *ni_b, *nr_b; /* QM nonce bodies */
    size_t ni_len, nr_len;
    const uint8_t *gqm; /* PFS: the QM dh_shared() output; NULL without PFS */
    size_t gqm_len;
};

/* KEYMAT for the SA whose SPI is spi (chosen by the SA's receiver):
 * len bytes, encryption key first then integrity key.  protocol is the
 * IPsec protocol id (3 = ESP, RFC 2407 section 4.4.1). */
int ikev1_keymat(const struct ikev1_keys *k, const struct ikev1_qm_input *in, uint8_t protocol,
                 uint32_t spi, uint8_t *out, size_t len);

void ikev1_keys_wipe(struct ikev1_keys *k);

#endif
