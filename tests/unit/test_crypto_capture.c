/* test_crypto_capture.c: helpers for test_crypto_ikev1.c, which #includes
 * this file (it is not a test of its own and has no main): read one folder
 * of shared/vectors/ikev1/ -- keys.txt, and the pcapng capture with a small
 * reader (Ethernet, IPv4, UDP 500/4500 with the RFC 3948 non-ESP marker,
 * raw or UDP-encapsulated ESP) -- and walk ISAKMP messages: payload chains,
 * SA proposals, decryption of encrypted bodies with lib/crypto's CBC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cipher.h"
#include "crypto/esp.h"
#include "crypto/prf.h"

#define VECTORS SOURCE_DIR "/../shared/vectors/ikev1"
#define MAXPKT 128

/* IKE hash attribute values (RFC 2409 appendix A, IANA). */
static const enum crypto_hash hashes[] = {
    [1] = CRYPTO_HASH_MD5,    [2] = CRYPTO_HASH_SHA1,   [4] = CRYPTO_HASH_SHA256,
    [5] = CRYPTO_HASH_SHA384, [6] = CRYPTO_HASH_SHA512,
};

struct pkt {
    uint32_t src, dst;
    int esp; /* 1: ESP (data at the SPI), 0: ISAKMP (data at the header) */
    uint8_t *data;
    size_t len;
};

struct vec {
    char *keys; /* keys.txt */
    uint8_t *file;
    struct pkt p[MAXPKT];
    size_t n;
};

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return be16(p) << 16 | be16(p + 2);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf;
    long n;

    if (f == NULL)
        fail_msg("cannot open %s: the vectors live in shared/ beside the repository", path);
    assert_int_equal(fseek(f, 0, SEEK_END), 0);
    n = ftell(f);
    assert_true(n > 0);
    rewind(f);
    buf = malloc((size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = 0;
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static void add_frame(struct vec *v, uint8_t *f, size_t caplen)
{
    size_t off = 14, ihl, tot;
    uint8_t *ip, *l4;
    struct pkt *p = &v->p[v->n];

    if (caplen < 34 || be16(f + 12) != 0x0800)
        return;
    ip = f + off;
    ihl = (ip[0] & 15u) * 4;
    tot = be16(ip + 2);
    assert_true((ip[0] >> 4) == 4 && ihl >= 20 && tot >= ihl && off + tot <= caplen);
    l4 = ip + ihl;
    p->src = be32(ip + 12);
    p->dst = be32(ip + 16);
    if (ip[9] == 50) { /* raw ESP */
        p->esp = 1;
        p->data = l4;
        p->len = tot - ihl;
    } else if (ip[9] == 17) {
        uint32_t sport = be16(l4), dport = be16(l4 + 2), ulen = be16(l4 + 4);

        assert_true(ulen >= 8 && ulen <= tot - ihl);
        p->data = l4 + 8;
        p->len = ulen - 8;
        if (sport == 4500 || dport == 4500) {
            if (p->len == 1 && p->data[0] == 0xff)
                return; /* NAT keepalive */
            assert_true(p->len >= 4);
            p->esp = be32(p->data) != 0; /* RFC 3948: zero marker = IKE */
            if (!p->esp) {
                p->data += 4;
                p->len -= 4;
            }
        } else if (sport != 500 && dport != 500) {
            return;
        }
    } else {
        return;
    }
    assert_true(v->n + 1 < MAXPKT);
    v->n++;
}

/* pcapng: section header, interface description (Ethernet), enhanced packets. */
static void load(struct vec *v, const char *folder)
{
    char path[512];
    size_t len, off = 0;

    snprintf(path, sizeof(path), "%s/%s/keys.txt", VECTORS, folder);
    v->keys = (char *)slurp(path, &len);
    snprintf(path, sizeof(path), "%s/%s/ikev1-mm-qm.pcap", VECTORS, folder);
    v->file = slurp(path, &len);
    assert_int_equal(le32(v->file), 0x0A0D0D0A);
    assert_int_equal(le32(v->file + 8), 0x1A2B3C4D); /* little-endian section */
    while (off + 12 <= len) {
        uint32_t type = le32(v->file + off), blen = le32(v->file + off + 4);

        assert_true(blen >= 12 && blen % 4 == 0 && off + blen <= len);
        if (type == 1) /* link type */
            assert_int_equal(v->file[off + 8] | v->file[off + 9] << 8, 1);
        if (type == 6) {
            uint32_t caplen = le32(v->file + off + 20);

            assert_true(28 + caplen <= blen);
            add_frame(v, v->file + off + 28, caplen);
        }
        off += blen;
    }
}

/* The value of "NAME = value" in keys.txt, NULL if absent. */
static const char *key_value(const struct vec *v, const char *name)
{
    const char *line = v->keys;

    while (line != NULL && *line != '\0') {
        const char *eq = strchr(line, '='), *nl = strchr(line, '\n');
        const char *end = eq;

        if (eq != NULL && (nl == NULL || eq < nl)) {
            while (end > line && end[-1] == ' ')
                end--;
            if ((size_t)(end - line) == strlen(name) && strncmp(line, name, end - line) == 0)
                return eq + 1 + strspn(eq + 1, " ");
        }
        line = nl != NULL ? nl + 1 : NULL;
    }
    return NULL;
}

static size_t key_hex(const struct vec *v, const char *name, uint8_t *out, size_t cap)
{
    const char *s = key_value(v, name);
    size_t n = 0;
    unsigned x;

    if (s == NULL)
        fail_msg("keys.txt has no \"%s\"", name);
    for (; isxdigit((unsigned char)s[0]) && isxdigit((unsigned char)s[1]); s += 2) {
        assert_true(n < cap && sscanf(s, "%2x", &x) == 1);
        out[n++] = (uint8_t)x;
    }
    assert_true(n > 0);
    return n;
}

/* got[0..len) must equal the hex value of name in keys.txt. */
static void expect(const struct vec *v, const char *name, const uint8_t *got, size_t len)
{
    uint8_t want[512];

    assert_int_equal(key_hex(v, name, want, sizeof(want)), len);
    assert_memory_equal(got, want, len);
}

/* Walk a payload chain; return the first payload of type (NULL if none) and
 * set *end to the chain's length (where the padding starts). */
static const uint8_t *payload(const uint8_t *b, size_t len, uint8_t np, uint8_t type, size_t *plen,
                              size_t *end)
{
    const uint8_t *found = NULL;
    size_t off = 0;

    while (np != 0) {
        size_t l;

        assert_true(off + 4 <= len);
        l = be16(b + off + 2);
        assert_true(l >= 4 && off + l <= len);
        if (np == type && found == NULL) {
            found = b + off;
            *plen = l;
        }
        np = b[off];
        off += l;
    }
    if (end != NULL)
        *end = off;
    return found;
}

/* Body (after the generic header) of a payload that must be there. */
static const uint8_t *body(const uint8_t *b, size_t len, uint8_t np, uint8_t type, size_t *blen)
{
    size_t l = 0;
    const uint8_t *p = payload(b, len, np, type, &l, NULL);

    if (p == NULL)
        fail_msg("payload type %u missing", type);
    *blen = l - 4;
    return p + 4;
}

/* First transform of the first proposal of an SA body: id, SPI, attributes. */
struct sa_info {
    uint8_t tid;
    uint32_t spi;
    int attr[16];
};

static void parse_sa(const uint8_t *sa, size_t len, struct sa_info *si)
{
    size_t prop = 8, spisz, tr, trlen, a;

    for (int i = 0; i < 16; i++)
        si->attr[i] = -1;
    assert_true(len >= prop + 8);
    spisz = sa[prop + 6];
    si->spi = spisz == 4 ? be32(sa + prop + 8) : 0;
    tr = prop + 8 + spisz;
    assert_true(tr + 8 <= len);
    trlen = be16(sa + tr + 2);
    assert_true(tr + trlen <= len);
    si->tid = sa[tr + 5];
    for (a = tr + 8; a + 4 <= tr + trlen;) {
        uint32_t t = be16(sa + a);

        if (t & 0x8000) { /* TV */
            if ((t & 0x7fff) < 16)
                si->attr[t & 0x7fff] = (int)be16(sa + a + 2);
            a += 4;
        } else {
            a += 4 + be16(sa + a + 2);
        }
    }
}

struct msg {
    uint32_t msgid;
    uint8_t np;
    uint8_t clear[2048]; /* decrypted body */
    size_t len;
    uint8_t last[16];    /* last ciphertext block */
    const uint8_t *rest; /* when HASH comes first: what follows it, to the padding */
    size_t rest_len;
};

/* Decrypt the body of an encrypted ISAKMP message with iv. */
static void decrypt(struct cbc *cbc, const struct pkt *p, const uint8_t *iv, struct msg *m)
{
    size_t bl = cbc_block_len(cbc), len = be32(p->data + 24);

    assert_true(p->data[19] & 1); /* encryption flag */
    assert_true(len <= p->len && len > 28 && (len - 28) % bl == 0 && len - 28 <= sizeof(m->clear));
    m->np = p->data[16];
    m->msgid = be32(p->data + 20);
    m->len = len - 28;
    memcpy(m->clear, p->data + 28, m->len);
    memcpy(m->last, m->clear + m->len - bl, bl);
    assert_int_equal(cbc_decrypt(cbc, iv, m->clear, m->len), 0);
    if (m->np == 8) {
        payload(m->clear, m->len, m->np, 0, &len, &m->rest_len);
        m->rest = m->clear + be16(m->clear + 2);
        m->rest_len -= be16(m->clear + 2);
    }
}

/* The HASH payload (first) of a decrypted message equals got. */
static void hash_is(const struct msg *m, const uint8_t *got, size_t len)
{
    assert_int_equal(m->np, 8);
    assert_int_equal(be16(m->clear + 2), 4 + len);
    assert_memory_equal(m->clear + 4, got, len);
}

/* The n-th distinct ISAKMP message of an exchange type from (or not from) ip. */
static const struct pkt *isakmp(const struct vec *v, uint8_t exch, uint32_t msgid, int nth,
                                uint32_t ip, int from)
{
    const struct pkt *prev = NULL;

    for (size_t i = 0; i < v->n; i++) {
        const struct pkt *p = &v->p[i];

        if (p->esp || p->len < 28 || p->data[18] != exch || (p->src == ip) != from ||
            (msgid != 0xffffffff && be32(p->data + 20) != msgid))
            continue;
        if (prev != NULL && prev->len == p->len && memcmp(prev->data, p->data, p->len) == 0)
            continue; /* retransmission */
        if (nth-- == 0)
            return p;
        prev = p;
    }
    return NULL;
}

/* IKE ciphers (attribute 1: 1 DES, 5 3DES, 7 AES) and ESP transforms
 * (2 DES, 3 3DES, 12 AES) with the key length attribute. */
static enum crypto_cipher cipher_of(int alg, int key_bits)
{
    assert_true(alg == 1 || alg == 2 || alg == 3 || alg == 5 || alg == 7 || alg == 12);
    if (alg == 1 || alg == 2)
        return CRYPTO_CIPHER_DES_CBC;
    if (alg == 3 || alg == 5)
        return CRYPTO_CIPHER_3DES_CBC;
    return key_bits == 256   ? CRYPTO_CIPHER_AES256_CBC
           : key_bits == 192 ? CRYPTO_CIPHER_AES192_CBC
                             : CRYPTO_CIPHER_AES128_CBC;
}

static enum esp_integ esp_auth(int a)
{
    assert_true(a == 1 || a == 2 || a == 5);
    return a == 1   ? ESP_INTEG_HMAC_MD5_96
           : a == 2 ? ESP_INTEG_HMAC_SHA1_96
                    : ESP_INTEG_HMAC_SHA256_128;
}
