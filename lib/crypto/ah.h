/*
 * ah.h: AH integrity transforms (RFC 4302) for fwdd's data plane: the ICV
 * of an IPv4 packet that carries an AH header right after its IP header
 * (tunnel mode, or the AH outside ESP of an AH+ESP bundle), with the HMACs
 * of esp.h (hmac-md5-96 RFC 2403, hmac-sha1-96 RFC 2404, hmac-sha-256-128
 * RFC 4868).
 *
 * The ICV covers (RFC 4302 3.3.3.1.1): the IPv4 header with its mutable
 * fields zeroed - TOS, flags and fragment offset, TTL, header checksum,
 * and every option not listed as immutable in appendix A1 (the whole
 * option, type and length included) - then the AH header with its ICV
 * field zeroed, then the payload.  Immutable options: end of list, no
 * operation, security (130), extended security (133), commercial
 * security (134), router alert (148), sender-directed multi-destination
 * delivery (149).  The destination address is used as it is (fwdd never
 * source-routes the outer packet).
 *
 * AH header (RFC 4302 2): next header (1), payload length (1: the AH
 * length in 32-bit words minus 2), reserved (2, zero), SPI (4), sequence
 * number (4), ICV (12 or 16: already a multiple of 4, no padding).
 * An ah_xform is keyed once (the HMAC's precomputed states, hmac.h); per
 * packet there is no allocation and the transform is only read, but fwdd
 * still uses each SA's from one thread (its PIC's worker).
 */
#ifndef OPENSG_CRYPTO_AH_H
#define OPENSG_CRYPTO_AH_H

#include "crypto.h"
#include "esp.h"

#define AH_FIXED_LEN 12 /* next header, payload length, reserved, SPI, sequence */
#define AH_MAX_ICV 16

struct ah_xform;

/* NULL on failure (crypto_strerror()): unknown algorithm, wrong key length. */
struct ah_xform *ah_xform_new(enum esp_integ integ, const uint8_t *key, size_t key_len);
void ah_xform_free(struct ah_xform *xf);
/* Bytes held for the transform (the summary's memory per PIC). */
size_t ah_xform_size(const struct ah_xform *xf);
size_t ah_xform_icv_len(const struct ah_xform *xf);
/* The AH header's length: AH_FIXED_LEN + ICV. */
size_t ah_xform_hdr_len(const struct ah_xform *xf);

/* Copy the IPv4 header ip (hlen bytes, options included) into out with
 * its mutable fields zeroed as above; -1 if an option is malformed
 * (length past the header, or below 2). */
int ah_ip4_mask(const uint8_t *ip, size_t hlen, uint8_t *out);

/* The ICV of IPv4 packet ip (len bytes) whose AH header starts right
 * after the IP header: computed into icv (ah_xform_icv_len bytes; the ICV
 * field of the packet is read as zero, so it may already hold anything).
 * ESP_ERR_LENGTH if the packet cannot hold the header, ESP_ERR_CRYPTO on
 * an OpenSSL failure or malformed options. */
int ah_icv_compute(struct ah_xform *xf, const uint8_t *ip, size_t len, uint8_t *icv);
/* Check the ICV in the packet: ESP_OK, ESP_ERR_ICV (constant-time
 * comparison), or the errors of ah_icv_compute. */
int ah_icv_verify(struct ah_xform *xf, const uint8_t *ip, size_t len);

/* Write the AH header at ip + IHL (the IP header must be complete: total
 * length, identification, protocol 51, addresses) and its ICV. */
int ah_seal(struct ah_xform *xf, uint32_t spi, uint32_t seq, uint8_t next_header, uint8_t *ip,
            size_t len);

#endif
