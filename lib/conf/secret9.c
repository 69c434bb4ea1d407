/* secret9.c: Junos "$9$" codec (junos.md section 6). Contract in secret9.h. */
#include "secret9.h"
#include "schema.h"

#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#define PREFIX "$9$"
#define PREFIX_LEN 3
#define NALPHA 65
#define MAX_GROUP 4

/* The four families, concatenated; position = numeric value. */
static const char num_alpha[NALPHA + 1] = "QzF3n6/9CAtpu0O"
                                          "B1IREhcSyrleKvMW8LXx"
                                          "7N-dVbwsY2g4oaJZGUDj"
                                          "iHkq.mPf5T";

/* Start of families 2, 3 and 4 in num_alpha; EXTRA = 3 - family index. */
static const int family_start[3] = {15, 35, 55};

/* Multipliers per plaintext position mod 7; 0 ends a group. */
static const int encoding[7][MAX_GROUP] = {
    {1, 4, 32}, {1, 16, 32}, {1, 8, 32}, {1, 64}, {1, 32}, {1, 4, 16, 128}, {1, 32, 64},
};

static void default_rand(void *ctx, uint8_t *buf, size_t n)
{
    (void)ctx;
    /* The salt carries no secrecy ($9$ is reversible by design), so a
     * failing CSPRNG degrades to a fixed salt rather than failing the set. */
    if (RAND_bytes(buf, (int)n) != 1)
        memset(buf, 0, n);
}

static secret9_rand_fn rand_fn = default_rand;
static void *rand_ctx;

void secret9_set_rand(secret9_rand_fn fn, void *ctx)
{
    rand_fn = fn != NULL ? fn : default_rand;
    rand_ctx = fn != NULL ? ctx : NULL;
}

void secret9_seeded_rand(void *ctx, uint8_t *buf, size_t n)
{
    uint64_t *state = ctx;
    uint64_t x = *state != 0 ? *state : 0x9e3779b97f4a7c15ULL; /* 0 is a fixed point */

    for (size_t i = 0; i < n; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        buf[i] = (uint8_t)(x >> 56);
    }
    *state = x;
}

int secret9_is_encoded(const char *s)
{
    return s != NULL && strncmp(s, PREFIX, PREFIX_LEN) == 0;
}

static int group_len(size_t pos)
{
    int n = 0;

    while (n < MAX_GROUP && encoding[pos % 7][n] != 0)
        n++;
    return n;
}

/* Index of c in num_alpha, or -1. */
static int alpha_num(unsigned char c)
{
    const char *p;

    if (c == 0)
        return -1;
    p = strchr(num_alpha, c);
    return p != NULL ? (int)(p - num_alpha) : -1;
}

static int extra(int idx)
{
    int fam = 0;

    while (fam < 3 && idx >= family_start[fam])
        fam++;
    return 3 - fam;
}

/* Unbiased: accept bytes below 3 * 65 = 195 and reduce mod 65. */
static int random_index(void)
{
    uint8_t b;

    do {
        rand_fn(rand_ctx, &b, 1);
    } while (b >= 3 * NALPHA);
    return b % NALPHA;
}

char *secret9_encode(const char *plain, size_t len)
{
    int salt, prev, gaps[MAX_GROUP] = {0};
    size_t cap, n;
    char *out;

    if (len > (SIZE_MAX - 16) / MAX_GROUP)
        return NULL;
    cap = PREFIX_LEN + 1 + 3 + len * MAX_GROUP + 1;
    if ((out = malloc(cap)) == NULL)
        return NULL;

    memcpy(out, PREFIX, PREFIX_LEN);
    n = PREFIX_LEN;
    salt = random_index();
    out[n++] = num_alpha[salt];
    for (int i = extra(salt); i > 0; i--)
        out[n++] = num_alpha[random_index()];

    prev = salt;
    for (size_t i = 0; i < len; i++) {
        const int *enc = encoding[i % 7];
        int k = group_len(i), v = (unsigned char)plain[i];

        for (int j = k - 1; j >= 0; j--) {
            gaps[j] = v / enc[j];
            v %= enc[j];
        }
        for (int j = 0; j < k; j++) {
            prev = (prev + gaps[j] + 1) % NALPHA;
            out[n++] = num_alpha[prev];
        }
    }
    out[n] = '\0';
    OPENSSL_cleanse(gaps, sizeof(gaps));
    return out;
}

int secret9_decode(const char *enc, char **out, size_t *outlen)
{
    const unsigned char *p;
    size_t n = 0;
    int prev;
    char *buf;

    *out = NULL;
    if (!secret9_is_encoded(enc))
        return -1;
    p = (const unsigned char *)enc + PREFIX_LEN;
    if ((prev = alpha_num(*p++)) < 0)
        return -1;
    for (int i = extra(prev); i > 0; i--)
        if (alpha_num(*p++) < 0)
            return -1;

    /* Every plaintext byte takes at least two characters. */
    if ((buf = malloc(strlen((const char *)p) / 2 + 1)) == NULL)
        return -1;
    while (*p != '\0') {
        const int *mul = encoding[n % 7];
        int k = group_len(n), v = 0;

        for (int j = 0; j < k; j++) {
            int c = alpha_num(*p++);

            if (c < 0)
                goto bad; /* outside the alphabet, or NUL: truncated group */
            v += (((c - prev) % NALPHA + NALPHA) % NALPHA - 1) * mul[j];
            prev = c;
        }
        v = (v % 256 + 256) % 256;
        if (v == 0)
            goto bad;
        buf[n++] = (char)v;
    }
    buf[n] = '\0';
    *out = buf;
    if (outlen != NULL)
        *outlen = n;
    return 0;

bad:
    OPENSSL_cleanse(buf, n);
    free(buf);
    return -1;
}

int secret_key_bytes(const char *v, int hex, uint8_t **out, size_t *len)
{
    char *plain = NULL;
    const char *h;
    size_t n = 0, digits;
    int rc = 0;

    *out = NULL;
    *len = 0;
    if (secret9_is_encoded(v)) {
        if (secret9_decode(v, &plain, &n) < 0)
            return -1;
    } else if ((plain = strdup(v)) != NULL) {
        n = strlen(plain);
    } else {
        return -1;
    }
    if (!hex) {
        *out = (uint8_t *)plain;
        *len = n;
        return 0;
    }
    h = plain;
    if (h[0] == '0' && (h[1] == 'x' || h[1] == 'X'))
        h += 2;
    digits = strlen(h);
    if (digits == 0 || digits % 2 || (*out = malloc(digits / 2)) == NULL) {
        rc = -1;
    } else {
        for (size_t i = 0; i < digits / 2 && rc == 0; i++) {
            int hi = OPENSSL_hexchar2int((unsigned char)h[2 * i]),
                lo = OPENSSL_hexchar2int((unsigned char)h[2 * i + 1]);
            if (hi < 0 || lo < 0)
                rc = -1;
            else
                (*out)[i] = (uint8_t)(hi << 4 | lo);
        }
        if (rc < 0) {
            OPENSSL_cleanse(*out, digits / 2);
            free(*out);
            *out = NULL;
        } else {
            *len = digits / 2;
        }
    }
    OPENSSL_cleanse(plain, n);
    free(plain);
    return rc;
}

int secret9_valid(const char *enc, const struct sch_type *t)
{
    char *plain, msg[400];
    size_t len;
    int rc = 0;

    if (secret9_decode(enc, &plain, &len) < 0)
        return -1;
    if (t && sch_check_value(t, plain, msg, sizeof(msg)) < 0)
        rc = -2;
    OPENSSL_cleanse(plain, len);
    free(plain);
    return rc;
}
