/*
 * dh.h: Diffie-Hellman over the IKE MODP groups 1 and 2 (RFC 2409 section
 * 6) and 5, 14, 15, 16 (RFC 3526), generator 2.  Called by kmd for the
 * main-mode KE exchange and quick-mode PFS.
 *
 * OpenSSL facts handled here (docs/crypto.md):
 *  - groups 1 and 2 are not OpenSSL named groups, so every group is built
 *    from its explicit prime (EVP_PKEY_fromdata), never by name;
 *  - OpenSSL's DH derive strips leading zero bytes unless told to pad
 *    (EVP_PKEY_CTX_set_dh_pad): IKE hashes g^xy at the modulus length, so
 *    without padding about one exchange in 256 computes wrong keys;
 *  - private exponents may be short (RFC 3526 section 8): at least twice
 *    the group's strength, which makes key pairs much cheaper.
 *
 * Public values and shared secrets are always exactly dh_group_len() bytes,
 * left-padded with zeros, as RFC 2409 section 5 requires on the wire.
 */
#ifndef OPENSG_CRYPTO_DH_H
#define OPENSG_CRYPTO_DH_H

#include <stddef.h>
#include <stdint.h>

struct dh_group {
    unsigned id;            /* IKE group number (IANA "Group Description") */
    const char *name;       /* "group2" style, as in Junos dh-group */
    unsigned bits;          /* modulus size */
    unsigned min_priv_bits; /* 2 x strength; also the default exponent size */
    const char *prime_hex;  /* the RFC's prime */
};

/* The group with IKE number id, or NULL if OpenSG does not support it. */
const struct dh_group *dh_group_find(unsigned id);

/* Modulus length in bytes: the length of public values and of g^xy. */
size_t dh_group_len(const struct dh_group *g);

struct dh_keypair; /* private exponent inside; wiped by dh_keypair_free() */

/* A fresh key pair.  priv_bits = 0 uses g->min_priv_bits; otherwise it
 * must lie in [g->min_priv_bits, g->bits - 1].  NULL on failure. */
struct dh_keypair *dh_keypair(const struct dh_group *g, unsigned priv_bits);

/* The public value g^x mod p, dh_group_len() bytes. */
const uint8_t *dh_public(const struct dh_keypair *kp);
const struct dh_group *dh_keypair_group(const struct dh_keypair *kp);

/* out = peer^x mod p, dh_group_len() bytes, left-padded.  The peer value
 * must be exactly dh_group_len() bytes and lie in [2, p - 2]; anything else
 * is refused (-1) before any exponentiation. */
int dh_shared(struct dh_keypair *kp, const uint8_t *peer, size_t len, uint8_t *out);

void dh_keypair_free(struct dh_keypair *kp);

#endif
