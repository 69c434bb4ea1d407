/*
 * esp.h: ESP transforms (RFC 4303) for fwdd's data plane: a CBC cipher
 * (des, 3des, aes-128/192/256; RFC 2405, 2451, 3602) plus an HMAC
 * integrity check truncated for IPsec (hmac-md5-96 RFC 2403, hmac-sha1-96
 * RFC 2404, hmac-sha-256-128 RFC 4868), or AES-GCM with a 16-byte ICV
 * (RFC 4106; 128, 192 or 256-bit keys), a combined mode with no separate
 * integrity algorithm.  kmd computes the keys (KEYMAT, prf.h) and fwdd
 * builds one esp_xform per SA.
 *
 * An esp_xform is keyed once; per packet there is no allocation and no
 * OpenSSL context set-up (HMAC from precomputed states, hmac.h; CBC
 * contexts chained, cipher.c; CBC IVs from a per-thread batch of DRBG
 * output).  One SA is one direction, so a
 * transform is built for sealing (outbound) or opening (inbound).  Not
 * thread-safe per transform.
 *
 * Packet layout handled by esp_seal/esp_open (buffers start at the SPI):
 *   SPI(4) | Seq(4) | IV | payload | pad 1,2,3.. | padlen | NH | ICV
 * CBC: the IV is one cipher block, payload..NH fills whole blocks, the ICV
 * is the HMAC over SPI..NH.  AES-GCM (RFC 4106): the IV is 8 bytes (the
 * nonce is the 4-byte salt, the last 4 bytes of the key material, then
 * the IV), payload..NH is padded to 4 bytes, encrypted, and the ICV is the
 * 16-byte GCM tag with SPI | Seq as additional authenticated data.
 * Sequence numbers are 32-bit (no ESN); replay windows, SA lookup and UDP
 * encapsulation (RFC 3948) are fwdd's.
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
/* A CBC cipher without integrity (no ICV): only for the ESP inside an
 * AH+ESP bundle, where AH authenticates the whole ESP packet (RFC 4301
 * 4.4.1.2, RFC 4303 3.2: confidentiality-only ESP is to be paired with
 * AH).  fwdd refuses it alone. */
struct esp_xform *esp_xform_new_cipher_only(enum esp_dir dir, enum crypto_cipher cipher,
                                            const uint8_t *ekey, size_t ekey_len);
/* AES-GCM with a 16-byte ICV (RFC 4106): key is the AES key then the
 * 4-byte salt (RFC 4106 8.1), key_len 20, 28 or 36. */
#define ESP_GCM_SALT_LEN 4
#define ESP_GCM_IV_LEN 8
struct esp_xform *esp_xform_new_gcm(enum esp_dir dir, const uint8_t *key, size_t key_len);
void esp_xform_free(struct esp_xform *xf);

bool esp_xform_is_gcm(const struct esp_xform *xf);
/* Bytes this module allocated for xf (and, for DES, 3DES or a CPU
 * without AES-NI, not OpenSSL's per-thread cipher contexts). */
size_t esp_xform_size(const struct esp_xform *xf);
/* Bytes from xf's start that a packet reads: its header, the HMAC's
 * states, the key schedule in use (fwdd prefetches them). */
size_t esp_xform_hot_len(const struct esp_xform *xf);
size_t esp_xform_iv_len(const struct esp_xform *xf); /* cipher block; 8 for GCM */
size_t esp_xform_icv_len(const struct esp_xform *xf);
size_t esp_xform_block_len(const struct esp_xform *xf); /* padding unit: 4 for GCM */

/* Building blocks of the CBC + HMAC transforms (ESP_ERR_CRYPTO for GCM,
 * whose tag covers the ciphertext: esp_seal / esp_open only).  ICV over
 * data[0..len): compute writes icv_len bytes; verify compares in constant
 * time (0 if equal, ESP_ERR_ICV if not).  encrypt/decrypt work in place on
 * whole blocks with the given IV. */
int esp_icv_compute(struct esp_xform *xf, const uint8_t *data, size_t len, uint8_t *icv);
int esp_icv_verify(struct esp_xform *xf, const uint8_t *data, size_t len, const uint8_t *icv);
int esp_xform_encrypt(struct esp_xform *xf, const uint8_t *iv, uint8_t *buf, size_t len);
int esp_xform_decrypt(struct esp_xform *xf, const uint8_t *iv, uint8_t *buf, size_t len);

/* Where esp_seal expects the payload, and the most it adds after it. */
size_t esp_payload_offset(const struct esp_xform *xf);
size_t esp_trailer_max(const struct esp_xform *xf);

/* Seal in place: the payload_len bytes at pkt + esp_payload_offset() are
 * padded, encrypted and authenticated; SPI and seq (host order) are
 * written in front.  iv: esp_xform_iv_len() bytes, or NULL: a random IV
 * for CBC; for GCM the sequence number XOR a random 64-bit value drawn
 * when the transform was made, so that an IV never repeats under one
 * transform (RFC 4106 3.1; one SA never reuses a sequence number) and
 * transforms sharing a key (a bidirectional manual SA, a restart) do not
 * walk the same IVs.  cap is the size of pkt.  On success *pkt_len is the
 * ESP packet length. */
int esp_seal(struct esp_xform *xf, uint32_t spi, uint32_t seq, uint8_t next_header,
             const uint8_t *iv, uint8_t *pkt, size_t payload_len, size_t cap, size_t *pkt_len);

/* Open in place: check the ICV first (nothing is decrypted if it fails;
 * GCM decrypts and checks its tag in one pass, and wipes the ciphertext
 * area if the tag is wrong), decrypt, check the trailer.  On ESP_OK the payload is at pkt +
 * *payload_off, *payload_len bytes, of protocol *next_header.  The caller
 * reads SPI and sequence number before (replay check) as it needs. */
int esp_open(struct esp_xform *xf, uint8_t *pkt, size_t len, size_t *payload_off,
             size_t *payload_len, uint8_t *next_header);

#endif
