/*
 * addr.c: address parsing, masking and text forms; the clock of route ages
 * (addr.h).
 */
#include "addr.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

unsigned addr_maxlen(int af)
{
    return af == AF_INET6 ? 128 : 32;
}

int addr_parse(const char *s, struct addr *a)
{
    char tmp[ADDR_STRLEN];
    const char *slash = strchr(s, '/');
    size_t n = slash ? (size_t)(slash - s) : strlen(s);
    unsigned long plen;
    char *end;

    memset(a, 0, sizeof(*a));
    if (n == 0 || n >= sizeof(tmp))
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    if (inet_pton(AF_INET, tmp, a->a) == 1)
        a->af = AF_INET;
    else if (inet_pton(AF_INET6, tmp, a->a) == 1)
        a->af = AF_INET6;
    else
        return -1;
    a->plen = (uint8_t)addr_maxlen(a->af);
    if (slash == NULL)
        return 0;
    if (slash[1] < '0' || slash[1] > '9')
        return -1;
    plen = strtoul(slash + 1, &end, 10);
    if (*end != '\0' || plen > addr_maxlen(a->af))
        return -1;
    a->plen = (uint8_t)plen;
    return 0;
}

int prefix_parse(const char *s, struct addr *p)
{
    if (addr_parse(s, p) < 0)
        return -1;
    addr_mask(p, p->plen);
    return 0;
}

void addr_mask(struct addr *a, unsigned plen)
{
    unsigned max = addr_maxlen(a->af), full;

    if (plen > max)
        plen = max;
    a->plen = (uint8_t)plen;
    full = plen / 8;
    if (plen % 8)
        a->a[full++] &= (uint8_t)(0xff << (8 - plen % 8));
    if (full < 16)
        memset(a->a + full, 0, 16 - full);
}

int prefix_contains(const struct addr *p, const struct addr *x)
{
    unsigned full = p->plen / 8, rest = p->plen % 8;

    if (p->af != x->af || x->plen < p->plen)
        return 0;
    if (p->af == AF_INET && p->plen <= 32) { /* one word: the per-packet case */
        uint32_t a, b, m = addr_mask4(p->plen);
        memcpy(&a, p->a, 4);
        memcpy(&b, x->a, 4);
        return ((ntohl(a) ^ ntohl(b)) & m) == 0;
    }
    if (memcmp(p->a, x->a, full) != 0)
        return 0;
    if (rest == 0)
        return 1;
    return ((p->a[full] ^ x->a[full]) & (uint8_t)(0xff << (8 - rest))) == 0;
}

int addr_eq(const struct addr *a, const struct addr *b)
{
    return a->af == b->af && memcmp(a->a, b->a, 16) == 0;
}

int prefix_cmp(const struct addr *a, const struct addr *b)
{
    int c;

    if (a->af != b->af)
        return a->af == AF_INET ? -1 : 1;
    if ((c = memcmp(a->a, b->a, 16)) != 0)
        return c;
    return (int)a->plen - (int)b->plen;
}

char *addr_str(const struct addr *a, char *buf, size_t len)
{
    if (inet_ntop(a->af == AF_INET6 ? AF_INET6 : AF_INET, a->a, buf, (socklen_t)len) == NULL)
        snprintf(buf, len, "?");
    return buf;
}

char *prefix_str(const struct addr *p, char *buf, size_t len)
{
    char a[ADDR_STRLEN];

    snprintf(buf, len, "%s/%u", addr_str(p, a, sizeof(a)), p->plen);
    return buf;
}

char *prefix_abbrev(const struct addr *p, char *buf, size_t len)
{
    unsigned octets;

    if (p->af != AF_INET)
        return prefix_str(p, buf, len);
    octets = (p->plen + 7) / 8;
    if (octets == 0)
        octets = 1;
    switch (octets) {
    case 1:
        snprintf(buf, len, "%u/%u", p->a[0], p->plen);
        break;
    case 2:
        snprintf(buf, len, "%u.%u/%u", p->a[0], p->a[1], p->plen);
        break;
    case 3:
        snprintf(buf, len, "%u.%u.%u/%u", p->a[0], p->a[1], p->a[2], p->plen);
        break;
    default:
        snprintf(buf, len, "%u.%u.%u.%u/%u", p->a[0], p->a[1], p->a[2], p->a[3], p->plen);
    }
    return buf;
}

uint32_t addr_v4(const struct addr *a)
{
    return (uint32_t)a->a[0] << 24 | (uint32_t)a->a[1] << 16 | (uint32_t)a->a[2] << 8 | a->a[3];
}

void addr_set_v4(struct addr *a, uint32_t v, unsigned plen)
{
    memset(a, 0, sizeof(*a));
    a->af = AF_INET;
    a->plen = (uint8_t)plen;
    a->a[0] = (uint8_t)(v >> 24);
    a->a[1] = (uint8_t)(v >> 16);
    a->a[2] = (uint8_t)(v >> 8);
    a->a[3] = (uint8_t)v;
}

void addr_set_v6(struct addr *a, const uint8_t v[16], unsigned plen)
{
    memset(a, 0, sizeof(*a));
    a->af = AF_INET6;
    a->plen = (uint8_t)plen;
    memcpy(a->a, v, 16);
}

/* --- clock ------------------------------------------------------------ */

static int64_t clock_real(void)
{
    static int checked;
    static int64_t fixed = -1;

    if (!checked) {
        const char *s = getenv("OPENSG_CLOCK_FIXED");
        checked = 1;
        if (s && *s)
            fixed = strtoll(s, NULL, 10);
    }
    return fixed >= 0 ? fixed : (int64_t)time(NULL);
}

static int64_t (*clock_fn)(void) = clock_real;

int64_t fwd_clock(void)
{
    return clock_fn();
}

void fwd_clock_set(int64_t (*fn)(void))
{
    clock_fn = fn ? fn : clock_real;
}

char *age_str(int64_t s, char *buf, size_t len)
{
    int64_t w, d, h, m;

    if (s < 0)
        s = 0;
    w = s / 604800;
    d = s / 86400 % 7;
    h = s / 3600 % 24;
    m = s / 60 % 60;
    s %= 60;
    if (w)
        snprintf(buf, len, "%lldw%lldd %02lld:%02lld:%02lld", (long long)w, (long long)d,
                 (long long)h, (long long)m, (long long)s);
    else if (d)
        snprintf(buf, len, "%lldd %02lld:%02lld:%02lld", (long long)d, (long long)h, (long long)m,
                 (long long)s);
    else
        snprintf(buf, len, "%02lld:%02lld:%02lld", (long long)h, (long long)m, (long long)s);
    return buf;
}
