/*
 * ah.c: AH integrity transforms (see ah.h).  Per SA the HMAC's
 * precomputed inner and outer states (hmac.h, ESP's HMAC); per packet the
 * masked IP header, the AH header with a zero ICV and the payload are
 * hashed in turn (nothing is copied but the IP header).
 */
#include <string.h>

#include "ah.h"
#include "crypto_int.h"
#include "hmac.h"

struct ah_xform {
    enum esp_integ integ;
    size_t icv_len;
    struct hmac_pre *mac; /* in the same block, after the struct */
};

#define MAC_OFF CRYPTO_ALIGN16(sizeof(struct ah_xform))

static enum crypto_hash integ_hash(enum esp_integ i)
{
    return i == ESP_INTEG_HMAC_MD5_96    ? CRYPTO_HASH_MD5
           : i == ESP_INTEG_HMAC_SHA1_96 ? CRYPTO_HASH_SHA1
                                         : CRYPTO_HASH_SHA256;
}

struct ah_xform *ah_xform_new(enum esp_integ integ, const uint8_t *key, size_t key_len)
{
    struct ah_xform *xf;

    crypto_clear_error();
    if ((unsigned)integ >= ESP_INTEG_COUNT || key_len != esp_integ_key_len(integ)) {
        crypto_set_error("AH %s needs a %zu-byte key, not %zu", esp_integ_name(integ),
                         esp_integ_key_len(integ), key_len);
        return NULL;
    }
    if ((xf = OPENSSL_zalloc(MAC_OFF + hmac_pre_size())) == NULL) {
        crypto_set_error("out of memory");
        return NULL;
    }
    xf->integ = integ;
    xf->icv_len = esp_integ_icv_len(integ);
    xf->mac = (struct hmac_pre *)((uint8_t *)xf + MAC_OFF);
    if (hmac_pre_init(xf->mac, integ_hash(integ), key, key_len) != 0) {
        ah_xform_free(xf);
        return NULL;
    }
    return xf;
}

void ah_xform_free(struct ah_xform *xf)
{
    if (xf == NULL)
        return;
    OPENSSL_clear_free(xf, MAC_OFF + hmac_pre_size()); /* the states wiped */
}

size_t ah_xform_size(const struct ah_xform *xf)
{
    (void)xf;
    return MAC_OFF + hmac_pre_size();
}

size_t ah_xform_icv_len(const struct ah_xform *xf)
{
    return xf->icv_len;
}

size_t ah_xform_hdr_len(const struct ah_xform *xf)
{
    return AH_FIXED_LEN + xf->icv_len;
}

/* RFC 4302 appendix A1: the options included in the ICV as they are. */
static int option_immutable(uint8_t type)
{
    return type == 0 || type == 1 || type == 130 || type == 133 || type == 134 || type == 148 ||
           type == 149;
}

int ah_ip4_mask(const uint8_t *ip, size_t hlen, uint8_t *out)
{
    size_t i = 20;

    if (hlen < 20 || hlen > 60)
        return -1;
    memcpy(out, ip, hlen);
    out[1] = 0;            /* TOS */
    out[6] = out[7] = 0;   /* flags, fragment offset */
    out[8] = 0;            /* TTL */
    out[10] = out[11] = 0; /* header checksum */
    while (i < hlen) {
        uint8_t type = ip[i];
        size_t olen;
        if (type == 0) /* end of list: the rest is padding, included as it is */
            break;
        if (type == 1) {
            i++;
            continue;
        }
        if (i + 1 >= hlen || (olen = ip[i + 1]) < 2 || i + olen > hlen)
            return -1;
        if (!option_immutable(type))
            memset(out + i, 0, olen);
        i += olen;
    }
    return 0;
}

static int icv(const struct ah_xform *xf, const uint8_t *ip, size_t len, uint8_t *out)
{
    static const uint8_t zero[AH_MAX_ICV];
    uint8_t hdr[60], full[CRYPTO_MAX_HASH];
    size_t hlen, ahlen = ah_xform_hdr_len(xf);
    struct crypto_iov iov[4];

    if (len < 20 || (hlen = (ip[0] & 0x0fu) * 4u) < 20 || len < hlen + ahlen)
        return ESP_ERR_LENGTH;
    if (ah_ip4_mask(ip, hlen, hdr) != 0) {
        crypto_set_error("AH: malformed IPv4 options");
        return ESP_ERR_CRYPTO;
    }
    iov[0] = (struct crypto_iov){hdr, hlen};
    iov[1] = (struct crypto_iov){ip + hlen, AH_FIXED_LEN};
    iov[2] = (struct crypto_iov){zero, xf->icv_len};
    iov[3] = (struct crypto_iov){ip + hlen + ahlen, len - hlen - ahlen};
    hmac_pre_compute_v(xf->mac, iov, 4, full);
    memcpy(out, full, xf->icv_len);
    OPENSSL_cleanse(full, sizeof(full));
    return ESP_OK;
}

int ah_icv_compute(struct ah_xform *xf, const uint8_t *ip, size_t len, uint8_t *out)
{
    return icv(xf, ip, len, out);
}

int ah_icv_verify(struct ah_xform *xf, const uint8_t *ip, size_t len)
{
    uint8_t want[AH_MAX_ICV];
    int rc = icv(xf, ip, len, want);

    if (rc != ESP_OK)
        return rc;
    return crypto_equal(want, ip + (ip[0] & 0x0fu) * 4u + AH_FIXED_LEN, xf->icv_len) ? ESP_OK
                                                                                     : ESP_ERR_ICV;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

int ah_seal(struct ah_xform *xf, uint32_t spi, uint32_t seq, uint8_t next_header, uint8_t *ip,
            size_t len)
{
    size_t hlen = (ip[0] & 0x0fu) * 4u, ahlen = ah_xform_hdr_len(xf);
    uint8_t *ah = ip + hlen;

    if (len < 20 || hlen < 20 || len < hlen + ahlen)
        return ESP_ERR_LENGTH;
    ah[0] = next_header;
    ah[1] = (uint8_t)(ahlen / 4 - 2); /* RFC 4302 2.2 */
    ah[2] = ah[3] = 0;
    put32(ah + 4, spi);
    put32(ah + 8, seq);
    return icv(xf, ip, len, ah + AH_FIXED_LEN);
}
