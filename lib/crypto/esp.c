/*
 * esp.c: ESP transforms (see esp.h).  Per SA: one keyed CBC context for
 * its direction (cipher.h: chained, no IV set per packet) and the HMAC's
 * precomputed inner and outer states (hmac.h); or one keyed AES-GCM
 * context (cipher.h) with the SA's salt and IV mask.
 *
 * CBC IVs (RFC 4303 3.3.2 / RFC 3602 2.4: unpredictable) are random bytes
 * from the module's DRBG drawn IV_POOL bytes at a time into a buffer of
 * the calling thread, so that one DRBG call (and OpenSSL's getpid() fork
 * check) serves 256 AES IVs; docs/crypto.md says why this rather than an
 * encrypted counter.  A forked child discards the rest of its buffer.
 */
#include <pthread.h>
#include <string.h>

#include "cipher.h"
#include "crypto_int.h"
#include "esp.h"
#include "hmac.h"

#define IV_POOL 4096

struct integ_info {
    const char *name;
    enum crypto_hash hash;
    size_t key_len, icv_len;
};

static const struct integ_info integs[ESP_INTEG_COUNT] = {
    [ESP_INTEG_HMAC_MD5_96] = {"hmac-md5-96", CRYPTO_HASH_MD5, 16, 12},
    [ESP_INTEG_HMAC_SHA1_96] = {"hmac-sha1-96", CRYPTO_HASH_SHA1, 20, 12},
    [ESP_INTEG_HMAC_SHA256_128] = {"hmac-sha-256-128", CRYPTO_HASH_SHA256, 32, 16},
};

/* One allocation per transform: the struct, then the HMAC states and
 * the CBC key (cbc_init, hmac_pre_init), each at a 16-byte offset. */

/* 64 bytes: with 10,000 tunnels each line a packet reads is a miss. */
struct esp_xform {
    enum esp_dir dir;
    uint16_t block, iv_len, icv_len; /* 16 at most */
    uint32_t size;                   /* bytes of the block */
    const struct integ_info *integ;  /* NULL for GCM */
    struct cbc *cbc;
    struct hmac_pre *mac;
    struct gcm *gcm;
    uint8_t salt[ESP_GCM_SALT_LEN], iv_mask[ESP_GCM_IV_LEN];
};

size_t esp_integ_key_len(enum esp_integ i)
{
    return (unsigned)i < ESP_INTEG_COUNT ? integs[i].key_len : 0;
}

size_t esp_integ_icv_len(enum esp_integ i)
{
    return (unsigned)i < ESP_INTEG_COUNT ? integs[i].icv_len : 0;
}

const char *esp_integ_name(enum esp_integ i)
{
    return (unsigned)i < ESP_INTEG_COUNT ? integs[i].name : "unknown";
}

static size_t cbc_xform_size(int with_mac, size_t cbc_room)
{
    return CRYPTO_ALIGN16(sizeof(struct esp_xform)) +
           (with_mac ? CRYPTO_ALIGN16(hmac_pre_size()) : 0) + cbc_room;
}

/* The CBC part of a transform, in one block with room for the HMAC's
 * states when with_mac (esp_xform_new sets them up). */
static struct esp_xform *cbc_xform_new(enum esp_dir dir, enum crypto_cipher cipher,
                                       const uint8_t *ekey, size_t ekey_len, int with_mac)
{
    enum cbc_dir cdir = dir == ESP_OUTBOUND ? CBC_ENCRYPT : CBC_DECRYPT;
    struct esp_xform *xf;
    size_t room;
    uint8_t *p;

    if (crypto_init() != 0)
        return NULL;
    room = cbc_room(cipher, cdir);
    if ((xf = OPENSSL_zalloc(cbc_xform_size(with_mac, room))) == NULL) {
        crypto_set_error("out of memory");
        return NULL;
    }
    p = (uint8_t *)xf + CRYPTO_ALIGN16(sizeof(*xf));
    if (with_mac) {
        xf->mac = (struct hmac_pre *)p;
        p += CRYPTO_ALIGN16(hmac_pre_size());
    }
    xf->dir = dir;
    xf->size = (uint32_t)cbc_xform_size(with_mac, room);
    xf->block = xf->iv_len = (uint16_t)crypto_cipher_block_len(cipher);
    if (cbc_init((struct cbc *)p, room, cipher, cdir, ekey, ekey_len) != 0) {
        xf->mac = NULL;
        esp_xform_free(xf);
        return NULL;
    }
    xf->cbc = (struct cbc *)p;
    return xf;
}

struct esp_xform *esp_xform_new_cipher_only(enum esp_dir dir, enum crypto_cipher cipher,
                                            const uint8_t *ekey, size_t ekey_len)
{
    crypto_clear_error();
    return cbc_xform_new(dir, cipher, ekey, ekey_len, 0);
}

struct esp_xform *esp_xform_new(enum esp_dir dir, enum crypto_cipher cipher, const uint8_t *ekey,
                                size_t ekey_len, enum esp_integ integ, const uint8_t *akey,
                                size_t akey_len)
{
    struct esp_xform *xf;

    crypto_clear_error();
    if ((unsigned)integ >= ESP_INTEG_COUNT || akey_len != integs[integ].key_len) {
        crypto_set_error("%s needs a %zu-byte key, not %zu", esp_integ_name(integ),
                         esp_integ_key_len(integ), akey_len);
        return NULL;
    }
    if ((xf = cbc_xform_new(dir, cipher, ekey, ekey_len, 1)) == NULL)
        return NULL;
    xf->integ = &integs[integ];
    xf->icv_len = (uint16_t)xf->integ->icv_len;
    if (hmac_pre_init(xf->mac, xf->integ->hash, akey, akey_len) != 0) {
        esp_xform_free(xf);
        return NULL;
    }
    return xf;
}

struct esp_xform *esp_xform_new_gcm(enum esp_dir dir, const uint8_t *key, size_t key_len)
{
    struct esp_xform *xf;
    struct gcm *gcm;

    crypto_clear_error();
    if (key_len != 16 + ESP_GCM_SALT_LEN && key_len != 24 + ESP_GCM_SALT_LEN &&
        key_len != 32 + ESP_GCM_SALT_LEN) {
        crypto_set_error("AES-GCM needs a key and a 4-byte salt (20, 28 or 36 bytes), not %zu",
                         key_len);
        return NULL;
    }
    if ((xf = OPENSSL_zalloc(CRYPTO_ALIGN16(sizeof(*xf)) + gcm_size())) == NULL) {
        crypto_set_error("out of memory");
        return NULL;
    }
    xf->size = (uint32_t)(CRYPTO_ALIGN16(sizeof(*xf)) + gcm_size());
    gcm = (struct gcm *)((uint8_t *)xf + CRYPTO_ALIGN16(sizeof(*xf))); /* in xf's block */
    xf->dir = dir;
    xf->block = 4; /* RFC 4303 2.4: the trailer ends on a 4-byte boundary */
    xf->iv_len = ESP_GCM_IV_LEN;
    xf->icv_len = GCM_TAG_LEN;
    memcpy(xf->salt, key + key_len - ESP_GCM_SALT_LEN, ESP_GCM_SALT_LEN);
    if (gcm_init(gcm, dir == ESP_OUTBOUND ? CBC_ENCRYPT : CBC_DECRYPT, key,
                 key_len - ESP_GCM_SALT_LEN) != 0) {
        esp_xform_free(xf);
        return NULL;
    }
    xf->gcm = gcm;
    if (dir == ESP_OUTBOUND && crypto_random(xf->iv_mask, sizeof(xf->iv_mask)) != 0) {
        esp_xform_free(xf);
        return NULL;
    }
    return xf;
}

void esp_xform_free(struct esp_xform *xf)
{
    if (xf == NULL)
        return;
    /* the parts keyed in xf's block give up what they hold (a thread's
     * OpenSSL slot); the whole block is wiped with it */
    if (xf->cbc)
        cbc_wipe(xf->cbc);
    if (xf->gcm)
        gcm_wipe(xf->gcm);
    OPENSSL_clear_free(xf, xf->size);
}

bool esp_xform_is_gcm(const struct esp_xform *xf)
{
    return xf->gcm != NULL;
}

size_t esp_xform_size(const struct esp_xform *xf)
{
    return xf->size;
}

size_t esp_xform_hot_len(const struct esp_xform *xf)
{
    return xf->cbc ? (size_t)((uint8_t *)xf->cbc - (uint8_t *)xf) + cbc_hot_len(xf->cbc)
                   : (size_t)((uint8_t *)xf->gcm - (uint8_t *)xf) + gcm_hot_len(xf->gcm);
}

size_t esp_xform_iv_len(const struct esp_xform *xf)
{
    return xf->iv_len;
}

size_t esp_xform_icv_len(const struct esp_xform *xf)
{
    return xf->icv_len;
}

size_t esp_xform_block_len(const struct esp_xform *xf)
{
    return xf->block;
}

/* Full HMAC output into out (CRYPTO_MAX_HASH bytes). */
static int mac(struct esp_xform *xf, const uint8_t *data, size_t len, uint8_t *out)
{
    if (xf->mac == NULL) {
        crypto_set_error("no HMAC in this transform (AES-GCM, or cipher only)");
        return -1;
    }
    hmac_pre_compute(xf->mac, data, len, out);
    return 0;
}

int esp_icv_compute(struct esp_xform *xf, const uint8_t *data, size_t len, uint8_t *icv)
{
    uint8_t full[CRYPTO_MAX_HASH];

    if (mac(xf, data, len, full) != 0)
        return ESP_ERR_CRYPTO;
    memcpy(icv, full, xf->integ->icv_len);
    return ESP_OK;
}

int esp_icv_verify(struct esp_xform *xf, const uint8_t *data, size_t len, const uint8_t *icv)
{
    uint8_t full[CRYPTO_MAX_HASH];

    if (mac(xf, data, len, full) != 0)
        return ESP_ERR_CRYPTO;
    return crypto_equal(full, icv, xf->integ->icv_len) ? ESP_OK : ESP_ERR_ICV;
}

int esp_xform_encrypt(struct esp_xform *xf, const uint8_t *iv, uint8_t *buf, size_t len)
{
    if (xf->cbc == NULL) {
        crypto_set_error("AES-GCM: use esp_seal");
        return ESP_ERR_CRYPTO;
    }
    return cbc_encrypt(xf->cbc, iv, buf, len) == 0 ? ESP_OK : ESP_ERR_CRYPTO;
}

int esp_xform_decrypt(struct esp_xform *xf, const uint8_t *iv, uint8_t *buf, size_t len)
{
    if (xf->cbc == NULL) {
        crypto_set_error("AES-GCM: use esp_open");
        return ESP_ERR_CRYPTO;
    }
    return cbc_decrypt(xf->cbc, iv, buf, len) == 0 ? ESP_OK : ESP_ERR_CRYPTO;
}

size_t esp_payload_offset(const struct esp_xform *xf)
{
    return ESP_HDR_LEN + xf->iv_len;
}

size_t esp_trailer_max(const struct esp_xform *xf)
{
    return xf->block - 1 + 2 + xf->icv_len;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* This thread's random bytes for CBC IVs (see the top of the file). */
static _Thread_local struct {
    uint8_t b[IV_POOL];
    size_t pos;
    int fresh; /* pos was initialised (0 in a new thread: empty pool) */
} ivp;
static pthread_once_t ivp_once = PTHREAD_ONCE_INIT;

static void ivp_forget(void)
{
    ivp.fresh = 0; /* the child draws its own */
}

static void ivp_atfork(void)
{
    pthread_atfork(NULL, NULL, ivp_forget);
}

static int random_iv(uint8_t *iv, size_t len)
{
    if (!ivp.fresh || ivp.pos + len > IV_POOL) {
        pthread_once(&ivp_once, ivp_atfork);
        if (crypto_random(ivp.b, IV_POOL) != 0)
            return -1;
        ivp.pos = 0;
        ivp.fresh = 1;
    }
    memcpy(iv, ivp.b + ivp.pos, len);
    ivp.pos += len;
    return 0;
}

/* RFC 4106 4: the salt, then the packet's IV. */
static void gcm_nonce(const struct esp_xform *xf, const uint8_t *pkt, uint8_t *nonce)
{
    memcpy(nonce, xf->salt, ESP_GCM_SALT_LEN);
    memcpy(nonce + ESP_GCM_SALT_LEN, pkt + ESP_HDR_LEN, ESP_GCM_IV_LEN);
}

int esp_seal(struct esp_xform *xf, uint32_t spi, uint32_t seq, uint8_t next_header,
             const uint8_t *iv, uint8_t *pkt, size_t payload_len, size_t cap, size_t *pkt_len)
{
    size_t off = esp_payload_offset(xf), pad, clen, total;
    uint8_t *ct = pkt + off, *trailer;

    if (xf->dir != ESP_OUTBOUND) {
        crypto_set_error("esp_seal on an inbound transform");
        return ESP_ERR_CRYPTO;
    }
    /* Pad so that payload | pad | padlen | NH fills whole blocks (RFC 4303 2.4). */
    pad = (xf->block - (payload_len + 2) % xf->block) % xf->block;
    clen = payload_len + pad + 2;
    total = off + clen + xf->icv_len;
    if (cap < off || total > cap || total < payload_len) {
        crypto_set_error("ESP packet of %zu bytes does not fit in %zu", total, cap);
        return ESP_ERR_LENGTH;
    }
    put32(pkt, spi);
    put32(pkt + 4, seq);
    if (iv != NULL) {
        memcpy(pkt + ESP_HDR_LEN, iv, xf->iv_len);
    } else if (xf->gcm) { /* mask XOR (0^32 | seq): unique per transform */
        memcpy(pkt + ESP_HDR_LEN, xf->iv_mask, ESP_GCM_IV_LEN);
        for (int i = 0; i < 4; i++)
            pkt[ESP_HDR_LEN + 4 + i] ^= (uint8_t)(seq >> (24 - 8 * i));
    } else if (random_iv(pkt + ESP_HDR_LEN, xf->iv_len) != 0) {
        return ESP_ERR_CRYPTO;
    }
    trailer = ct + payload_len;
    for (size_t i = 0; i < pad; i++)
        trailer[i] = (uint8_t)(i + 1);
    trailer[pad] = (uint8_t)pad;
    trailer[pad + 1] = next_header;
    if (xf->gcm) { /* RFC 4106: nonce = salt | IV, AAD = SPI | seq */
        uint8_t nonce[GCM_NONCE_LEN];
        gcm_nonce(xf, pkt, nonce);
        if (gcm_seal(xf->gcm, nonce, pkt, ESP_HDR_LEN, ct, clen, ct + clen) != 0)
            return ESP_ERR_CRYPTO;
    } else if (cbc_encrypt(xf->cbc, pkt + ESP_HDR_LEN, ct, clen) != 0 ||
               (xf->mac && esp_icv_compute(xf, pkt, off + clen, ct + clen) != ESP_OK)) {
        return ESP_ERR_CRYPTO;
    }
    *pkt_len = total;
    return ESP_OK;
}

int esp_open(struct esp_xform *xf, uint8_t *pkt, size_t len, size_t *payload_off,
             size_t *payload_len, uint8_t *next_header)
{
    size_t off = esp_payload_offset(xf), icv = xf->icv_len, clen, padlen;
    uint8_t *ct = pkt + off;
    unsigned bad = 0;
    int rc;

    if (xf->dir != ESP_INBOUND) {
        crypto_set_error("esp_open on an outbound transform");
        return ESP_ERR_CRYPTO;
    }
    if (len < off + xf->block + icv || (len - off - icv) % xf->block != 0)
        return ESP_ERR_LENGTH;
    clen = len - off - icv;
    if (xf->gcm) {
        uint8_t nonce[GCM_NONCE_LEN];
        gcm_nonce(xf, pkt, nonce);
        rc = gcm_open(xf->gcm, nonce, pkt, ESP_HDR_LEN, ct, clen, ct + clen);
        if (rc != 0)
            return rc == GCM_ERR_TAG ? ESP_ERR_ICV : ESP_ERR_CRYPTO;
    } else if (xf->mac && (rc = esp_icv_verify(xf, pkt, off + clen, ct + clen)) != ESP_OK) {
        return rc;
    } else if (cbc_decrypt(xf->cbc, pkt + ESP_HDR_LEN, ct, clen) != 0) {
        return ESP_ERR_CRYPTO;
    }
    padlen = ct[clen - 2];
    if (padlen + 2 > clen)
        return ESP_ERR_PADDING;
    /* Default padding is 1, 2, 3, ... (RFC 4303 2.4); the ICV already
     * authenticated it, so this only catches broken peers. */
    for (size_t i = 0; i < padlen; i++)
        bad |= ct[clen - 2 - padlen + i] ^ (uint8_t)(i + 1);
    if (bad != 0)
        return ESP_ERR_PADDING;
    *payload_off = off;
    *payload_len = clen - padlen - 2;
    *next_header = ct[clen - 1];
    return ESP_OK;
}
