/*
 * esp.h: ESP transforms (RFC 4303) for fwdd's data plane: a CBC cipher
 * (des, 3des, aes-128/192/256; RFC 2405, 2451, 3602) plus an HMAC
 * integrity check truncated for IPsec (hmac-md5-96 RFC 2403, hmac-sha1-96
 * RFC 2404, hmac-sha-256-128 RFC 4868).  kmd computes the keys (KEYMAT,
 * prf.h) and fwdd builds one esp_xform per SA.
 *
 * An esp_xform is keyed once; per packet there is no allocation in OpenSG
 * code (OpenSSL 3.0's HMAC re-initialisation still duplicates its digest
 * state internally; see docs/crypto.md).  One SA is one direction, so a
 * transform is built for sealing (outbound) or opening (inbound).  Not
 * thread-safe per transform.
 *
 * Packet layout handled by esp_seal/esp_open (buffers start at the SPI):
 *   SPI(4) | Seq(4) | IV(block) | payload | pad 1,2,3.. | padlen | NH | ICV
 * The ICV covers SPI..NH.  Sequence numbers are 32-bit (no ESN); replay
 * windows, SA lookup and UDP encapsulation (RFC 3948) are fwdd's.
 */
#ifndef OPENSG_CRYPTO_ESP_H
#define OPENSG_CRYPTO_ESP_H

#include "crypto.h"

#define ESP_HDR_LEN 8 /* SPI + sequence number */
#define ESP_MAX_ICV 16

enum esp_integ {
    ESP_INTEG_HMAC_MD5_96,
    ESP_INTEG_HMAC_SHA1_96,
    ESP_INTEG_HMAC_SHA256_128,
    ESP_INTEG_COUNT
};

/* Results of esp_open (negative: the counter fwdd increments). */
enum esp_status {
    ESP_OK = 0,
    ESP_ERR_LENGTH = -1,  /* too short, or not whole cipher blocks */
    ESP_ERR_ICV = -2,     /* integrity check failed: nothing was decrypted */
    ESP_ERR_PADDING = -3, /* trailer inconsistent after decryption */
    ESP_ERR_CRYPTO = -4,  /* OpenSSL failure (crypto_strerror()) */
};

enum esp_dir {
    ESP_OUTBOUND, /* esp_seal */
    ESP_INBOUND,  /* esp_open */
};

size_t esp_integ_key_len(enum esp_integ i); /* 16, 20, 32 */
size_t esp_integ_icv_len(enum esp_integ i); /* 12, 12, 16 */
const char *esp_integ_name(enum esp_integ i);

struct esp_xform;

/* Key lengths must match the algorithms.  NULL on failure (crypto_strerror()). */
struct esp_xform *esp_xform_new(enum esp_dir dir, enum crypto_cipher cipher, const uint8_t *ekey,
                                size_t ekey_len, enum esp_integ integ, const uint8_t *akey,
                                size_t akey_len);
void esp_xform_free(struct esp_xform *xf);

size_t esp_xform_iv_len(const struct esp_xform *xf); /* = cipher block */
size_t esp_xform_icv_len(const struct esp_xform *xf);
size_t esp_xform_block_len(const struct esp_xform *xf);

/* Building blocks.  ICV over data[0..len): compute writes icv_len bytes;
 * verify compares in constant time (0 if equal, ESP_ERR_ICV if not).
 * encrypt/decrypt work in place on whole blocks with the given IV. */
int esp_icv_compute(struct esp_xform *xf, const uint8_t *data, size_t len, uint8_t *icv);
int esp_icv_verify(struct esp_xform *xf, const uint8_t *data, size_t len, const uint8_t *icv);
int esp_xform_encrypt(struct esp_xform *xf, const uint8_t *iv, uint8_t *buf, size_t len);
int esp_xform_decrypt(struct esp_xform *xf, const uint8_t *iv, uint8_t *buf, size_t len);

/* Where esp_seal expects the payload, and the most it adds after it. */
size_t esp_payload_offset(const struct esp_xform *xf);
size_t esp_trailer_max(const struct esp_xform *xf);

/* Seal in place: the payload_len bytes at pkt + esp_payload_offset() are
 * padded, encrypted and authenticated; SPI and seq (host order) are
 * written in front.  iv: one block, or NULL for a random IV.  cap is the
 * size of pkt.  On success *pkt_len is the ESP packet length. */
int esp_seal(struct esp_xform *xf, uint32_t spi, uint32_t seq, uint8_t next_header,
             const uint8_t *iv, uint8_t *pkt, size_t payload_len, size_t cap, size_t *pkt_len);

/* Open in place: check the ICV first (nothing is decrypted if it fails),
 * decrypt, check the trailer.  On ESP_OK the payload is at pkt +
 * *payload_off, *payload_len bytes, of protocol *next_header.  The caller
 * reads SPI and sequence number before (replay check) as it needs. */
int esp_open(struct esp_xform *xf, uint8_t *pkt, size_t len, size_t *payload_off,
             size_t *payload_len, uint8_t *next_header);

#endif
