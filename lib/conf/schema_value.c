/*
 * schema_value.c: checking a value against its simple type with the XSD
 * facets (the verdict is xmllint's: patterns run in libxml2's own XSD
 * regular-expression engine), Junos-style messages, and key collation.
 */
#include "schema.h"
#include "sshkey.h"

#include <libxml/xmlregexp.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>

/* Lexical form of an integer as libxml2 2.9 checks it after whitespace
 * collapse: digits, with a '-' sign for signed types only (it refuses
 * "+1" and, for unsigned types, "-0"). */
static int lex_integer(const char *v, int sign_ok, int *neg, const char **digits)
{
    *neg = 0;
    if (*v == '-' && sign_ok) {
        *neg = 1;
        v++;
    }
    if (!isdigit((unsigned char)*v))
        return -1;
    *digits = v;
    for (; *v; v++)
        if (!isdigit((unsigned char)*v))
            return -1;
    return 0;
}

static long utf8_len(const char *s)
{
    long n = 0;

    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            n++;
    return n;
}

/* Collapse whitespace for non-string types (XSD whiteSpace="collapse"). */
static char *collapse(const char *v)
{
    size_t n = strlen(v);
    char *out = malloc(n + 1), *o = out;
    int space = 0;

    if (out == NULL)
        return NULL;
    while (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r')
        v++;
    for (; *v; v++) {
        if (*v == ' ' || *v == '\t' || *v == '\n' || *v == '\r') {
            space = 1;
            continue;
        }
        if (space && o != out)
            *o++ = ' ';
        space = 0;
        *o++ = *v;
    }
    *o = '\0';
    return out;
}

enum verdict { V_OK, V_LEXICAL, V_RANGE, V_PATTERN, V_ENUM, V_LENGTH };

static enum verdict check_step(const struct sch_type *t, const char *v);

static enum verdict check_range(const struct sch_type *t, const char *v)
{
    int neg;
    const char *d;

    if (lex_integer(v, t->builtin == SB_SIGNED, &neg, &d) < 0)
        return V_LEXICAL;
    if (t->builtin == SB_UNSIGNED) {
        uint64_t u;
        errno = 0;
        u = strtoull(d, NULL, 10);
        if (errno)
            return V_RANGE;
        if (neg && u != 0)
            return V_RANGE;
        if ((t->has_min && u < t->umin) || (t->has_max && u > t->umax))
            return V_RANGE;
    } else {
        long long i;
        errno = 0;
        i = strtoll(v, NULL, 10);
        if (errno)
            return V_RANGE;
        if ((t->has_min && i < t->min) || (t->has_max && i > t->max))
            return V_RANGE;
    }
    return V_OK;
}

static enum verdict check_step(const struct sch_type *t, const char *v)
{
    enum verdict r;

    if (t->builtin == SB_UNION) {
        for (size_t i = 0; i < t->nmembers; i++)
            if (sch_type_valid(t->members[i], v))
                return V_OK;
        return V_PATTERN;
    }
    if (t->base && (r = check_step(t->base, v)) != V_OK)
        return r;
    if (t->base == NULL && t->builtin != SB_STRING)
        return check_range(t, v);
    if (t->builtin != SB_STRING && (t->has_min || t->has_max)) {
        if ((r = check_range(t, v)) != V_OK)
            return r;
    }
    if (t->minlen >= 0 && utf8_len(v) < t->minlen)
        return V_LENGTH;
    if (t->maxlen >= 0 && utf8_len(v) > t->maxlen)
        return V_LENGTH;
    if (t->npatterns) {
        size_t i;
        for (i = 0; i < t->npatterns; i++)
            if (xmlRegexpExec(t->patterns[i], (const xmlChar *)v) == 1)
                break;
        if (i == t->npatterns)
            return V_PATTERN;
    }
    if (t->nenums) {
        size_t i;
        for (i = 0; i < t->nenums; i++)
            if (strcmp(t->enums[i], v) == 0)
                break;
        if (i == t->nenums)
            return V_ENUM;
    }
    return V_OK;
}

static enum verdict check(const struct sch_type *t, const char *value)
{
    enum verdict r;
    char *v;

    if (t->builtin == SB_STRING || t->builtin == SB_UNION)
        return check_step(t, value);
    v = collapse(value);
    if (v == NULL)
        return V_LEXICAL;
    r = check_step(t, v);
    free(v);
    return r;
}

int sch_type_valid(const struct sch_type *t, const char *value)
{
    return check(t, value) == V_OK;
}

int sch_type_is_enum(const struct sch_type *t)
{
    for (; t; t = t->base)
        if (t->nenums)
            return 1;
    return 0;
}

/* The effective range of a numeric type, for messages. */
static void range_text(const struct sch_type *t, char *out, size_t len)
{
    if (t->builtin == SB_UNSIGNED)
        snprintf(out, len, "(%llu..%llu)", (unsigned long long)t->umin,
                 (unsigned long long)t->umax);
    else
        snprintf(out, len, "(%lld..%lld)", (long long)t->min, (long long)t->max);
}

/* Junos's detailed address messages for the o:check types. */
static int check_ipv4(const char *v, const char *what, char *msg, size_t len)
{
    const char *p = v;
    char part[16];

    for (int i = 0; i < 4; i++) {
        size_t n = strspn(p, "0123456789");
        if (n == 0 || n >= sizeof(part)) {
            snprintf(msg, len, "invalid %s '%s'", what, v);
            return -1;
        }
        memcpy(part, p, n);
        part[n] = '\0';
        if (atol(part) > 255) {
            snprintf(msg, len, "invalid value '%s' in ip address: '%s' at '%s'", part, v, v);
            return -1;
        }
        p += n;
        if (i < 3) {
            if (*p != '.') {
                snprintf(msg, len, "invalid %s '%s'", what, v);
                return -1;
            }
            p++;
        }
    }
    return (*p == '\0' || *p == '/') ? 0 : (snprintf(msg, len, "invalid %s '%s'", what, v), -1);
}

static void detail(const struct sch_type *t, const char *v, char *msg, size_t len)
{
    const char *slash = strchr(v, '/');
    const char *chk = t->check;

    if (chk && strcmp(chk, "ipv4-address") == 0) {
        if (check_ipv4(v, "ip address", msg, len) == 0)
            snprintf(msg, len, "invalid ip address '%s'", v);
    } else if (chk && strcmp(chk, "ipv4-prefix") == 0) {
        if (slash == NULL)
            snprintf(msg, len, "missing or invalid prefix length in address '%s'", v);
        else if (check_ipv4(v, "prefix", msg, len) == 0)
            snprintf(msg, len, "missing or invalid prefix length '%s' in address '%s' at '%s'",
                     slash + 1, v, v);
    } else if (chk && strcmp(chk, "ipv6-address") == 0) {
        snprintf(msg, len, "invalid ipv6 address '%s'", v);
    } else if (chk && strcmp(chk, "ipv6-prefix") == 0) {
        if (slash == NULL)
            snprintf(msg, len, "missing or invalid prefix length in address '%s'", v);
        else
            snprintf(msg, len, "invalid ipv6 prefix '%s'", v);
    } else if (chk && strncmp(chk, "ssh-key ", 8) == 0) {
        if (sshkey_explain(chk + 8, v, msg, len) == 0)
            snprintf(msg, len, "invalid public key");
    } else if (t->message) {
        snprintf(msg, len, "invalid value '%s': %s", v, t->message);
    } else {
        snprintf(msg, len, "invalid value '%s'", v);
    }
}

/* First type along the chain that carries a check or a message. */
static const struct sch_type *describing(const struct sch_type *t)
{
    for (const struct sch_type *p = t; p; p = p->base)
        if (p->check || p->message)
            return p;
    return t;
}

int sch_check_value(const struct sch_type *t, const char *value, char *msg, size_t msglen)
{
    char range[64];

    switch (check(t, value)) {
    case V_OK:
        return 0;
    case V_LEXICAL:
        snprintf(msg, msglen, "invalid numeric value '%s'", value);
        break;
    case V_RANGE: {
        const struct sch_type *r = t;
        /* report the narrowest range along the chain (this type's) */
        range_text(r, range, sizeof(range));
        snprintf(msg, msglen, "Value %s is not within range %s", value, range);
        break;
    }
    case V_LENGTH:
        if (t->maxlen >= 0 && utf8_len(value) > t->maxlen)
            snprintf(msg, msglen, "'%s': value too long (at most %ld characters)", value,
                     t->maxlen);
        else
            snprintf(msg, msglen, "'%s': value too short (at least %ld characters)", value,
                     t->minlen < 1 ? 1 : t->minlen);
        break;
    case V_ENUM:
        snprintf(msg, msglen, "invalid value '%s'", value);
        break;
    case V_PATTERN:
        if (t->builtin == SB_UNION) {
            /* a union reads best with its own help, else its first member's */
            if (t->message)
                snprintf(msg, msglen, "invalid value '%s': %s", value, t->message);
            else if (t->value_help)
                snprintf(msg, msglen, "invalid %s '%s'", t->value_help, value);
            else
                snprintf(msg, msglen, "invalid value '%s'", value);
        } else {
            detail(describing(t), value, msg, msglen);
        }
        break;
    }
    return -1;
}

/* ---------- collation ---------- */

/* Natural order: runs of digits compare as numbers. */
static int natural_cmp(const char *a, const char *b)
{
    while (*a && *b) {
        if (isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
            unsigned long long x = strtoull(a, (char **)&a, 10);
            unsigned long long y = strtoull(b, (char **)&b, 10);
            if (x != y)
                return x < y ? -1 : 1;
            continue;
        }
        if (*a != *b)
            return (unsigned char)*a < (unsigned char)*b ? -1 : 1;
        a++, b++;
    }
    return *a ? 1 : *b ? -1 : 0;
}

static int inet_cmp(const char *a, const char *b)
{
    unsigned char x[17] = {0}, y[17] = {0};
    char ta[64], tb[64];
    const char *sa = strchr(a, '/'), *sb = strchr(b, '/');
    int fa, fb, r;

    snprintf(ta, sizeof(ta), "%.*s", sa ? (int)(sa - a) : (int)strlen(a), a);
    snprintf(tb, sizeof(tb), "%.*s", sb ? (int)(sb - b) : (int)strlen(b), b);
    fa = strchr(ta, ':') ? AF_INET6 : AF_INET;
    fb = strchr(tb, ':') ? AF_INET6 : AF_INET;
    if (fa != fb)
        return fa == AF_INET ? -1 : 1;
    if (inet_pton(fa, ta, x + 1) != 1 || inet_pton(fb, tb, y + 1) != 1)
        return strcmp(a, b);
    r = memcmp(x + 1, y + 1, fa == AF_INET ? 4 : 16);
    if (r)
        return r < 0 ? -1 : 1;
    return natural_cmp(sa ? sa : "", sb ? sb : "");
}

static const char *collation(const struct sch_type *t)
{
    for (; t; t = t->base)
        if (t->collate)
            return t->collate;
    return NULL;
}

int sch_collate(const struct sch_type *t, const char *a, const char *b)
{
    const char *c = t ? collation(t) : NULL;

    if (c && strcmp(c, "inet") == 0)
        return inet_cmp(a, b);
    if ((c && strcmp(c, "interface") == 0) || (t && t->builtin != SB_STRING))
        return natural_cmp(a, b);
    return strcmp(a, b);
}
