/*
 * sshkey.c: the reason an OpenSSH public key line is refused (sshkey.h).
 */
#include "sshkey.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Key blobs are a few hundred bytes (RSA 16384 bits: ~2 KiB). */
#define BLOB_MAX 4096

static int b64_value(char c)
{
    static const char alphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    const char *p = c ? strchr(alphabet, c) : NULL;

    return p ? (int)(p - alphabet) : -1;
}

/* Strict base64 (RFC 4648 4: padded, no blanks) of n characters at s.
 * Returns the decoded length, or -1. */
static long b64_decode(const char *s, size_t n, unsigned char *out, size_t cap)
{
    size_t o = 0;

    if (n == 0 || n % 4)
        return -1;
    for (size_t i = 0; i < n; i += 4) {
        int v[4], pad = 0;
        for (int k = 0; k < 4; k++) {
            if (s[i + k] == '=' && i + 4 == n && k >= 2) {
                v[k] = 0;
                pad++;
            } else if (pad || (v[k] = b64_value(s[i + k])) < 0) {
                return -1;
            }
        }
        if (o + 3 > cap)
            return -1;
        out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
        if (pad < 2)
            out[o++] = (unsigned char)((v[1] & 15) << 4 | v[2] >> 2);
        if (pad < 1)
            out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
    }
    return (long)o;
}

/* RFC 4251 5 `string`: a 32-bit length and that many bytes. */
struct reader {
    const unsigned char *p;
    size_t left;
};

static int read_string(struct reader *r, const unsigned char **s, size_t *n)
{
    uint32_t len;

    if (r->left < 4)
        return -1;
    len = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 | (uint32_t)r->p[2] << 8 | r->p[3];
    if (len > r->left - 4)
        return -1;
    *s = r->p + 4;
    *n = len;
    r->p += 4 + len;
    r->left -= 4 + len;
    return 0;
}

static int str_is(const unsigned char *s, size_t n, const char *want)
{
    return n == strlen(want) && memcmp(s, want, n) == 0;
}

/* Whether word (n bytes) is one of the space-separated types. */
static int type_allowed(const char *types, const char *word, size_t n)
{
    for (const char *t = types; *t;) {
        size_t k = strcspn(t, " ");
        if (k == n && strncmp(t, word, n) == 0)
            return 1;
        t += k;
        t += strspn(t, " ");
    }
    return 0;
}

/* The key material after the type name in the blob. */
static const char *check_material(const char *type, struct reader *r)
{
    const unsigned char *a, *b;
    size_t na, nb;

    if (strcmp(type, "ssh-rsa") == 0) {
        /* mpint e, mpint n */
        if (read_string(r, &a, &na) < 0 || read_string(r, &b, &nb) < 0)
            return "the key data is truncated";
        if (na == 0 || nb < 64)
            return "the key data holds no RSA key";
    } else if (strcmp(type, "ssh-ed25519") == 0) {
        if (read_string(r, &a, &na) < 0)
            return "the key data is truncated";
        if (na != 32)
            return "an ssh-ed25519 key is 32 bytes";
    } else {
        /* ecdsa-sha2-CURVE: string CURVE, string Q (uncompressed point) */
        static const struct {
            const char *curve;
            size_t qlen;
        } curves[] = {{"nistp256", 65}, {"nistp384", 97}, {"nistp521", 133}};
        const char *curve = type + strlen("ecdsa-sha2-");
        size_t i;
        if (read_string(r, &a, &na) < 0 || read_string(r, &b, &nb) < 0)
            return "the key data is truncated";
        if (!str_is(a, na, curve))
            return "the key data names another curve";
        for (i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
            if (strcmp(curves[i].curve, curve) == 0)
                break;
        if (i == sizeof(curves) / sizeof(curves[0]) || nb != curves[i].qlen || b[0] != 4)
            return "the key data holds no point of the curve";
    }
    if (r->left)
        return "the key data has bytes after the key";
    return NULL;
}

int sshkey_explain(const char *types, const char *line, char *msg, size_t msglen)
{
    unsigned char *blob = malloc(BLOB_MAX);
    size_t tlen = strcspn(line, " \t"), dlen;
    const char *data = line + tlen, *why = NULL, *rest;
    char type[64];
    long n;
    struct reader r;
    const unsigned char *name;
    size_t nname;

    if (blob == NULL)
        return snprintf(msg, msglen, "invalid public key: out of memory"), -1;
    if (tlen == 0 || tlen >= sizeof(type) || !type_allowed(types, line, tlen)) {
        snprintf(msg, msglen, "invalid public key: the line must start with %s%s",
                 strchr(types, ' ') ? "one of " : "", types);
        goto fail;
    }
    memcpy(type, line, tlen);
    type[tlen] = '\0';
    if (*data != ' ' || data[1] == '\0' || data[1] == ' ') {
        why = "one space and the key data (base64) must follow the key type";
        goto why;
    }
    data++;
    dlen = strcspn(data, " \t\r\n");
    rest = data + dlen;
    n = b64_decode(data, dlen, blob, BLOB_MAX);
    if (n < 0) {
        why = "the key data is not base64";
        goto why;
    }
    r.p = blob;
    r.left = (size_t)n;
    if (read_string(&r, &name, &nname) < 0) {
        why = "the key data is truncated";
        goto why;
    }
    if (!str_is(name, nname, type)) {
        snprintf(msg, msglen, "invalid public key: the key data is not an %s key", type);
        goto fail;
    }
    if ((why = check_material(type, &r)) != NULL)
        goto why;
    if (*rest && (*rest != ' ' || rest[1] == '\0' || strpbrk(rest, "\r\n"))) {
        why = "only a comment may follow the key data, after one space, on the same line";
        goto why;
    }
    free(blob);
    return 0;
why:
    snprintf(msg, msglen, "invalid public key: %s", why);
fail:
    free(blob);
    return -1;
}
