/*
 * addr.h: IPv4 and IPv6 addresses and prefixes as fwdd handles them, and
 * fwdd's clock for route ages.  Pure functions: used by the route tables,
 * the configuration builder, the packet path and the unit tests.
 *
 * A struct addr is an address family, a prefix length (the full length
 * for a plain address) and 16 bytes in network order (IPv4 in the first
 * 4, the rest zero).  Its layout is that of struct fwd_addr (fwdipc.h), so
 * kmd's messages convert with a copy.
 */
#ifndef FWDD_ADDR_H
#define FWDD_ADDR_H

#include <stddef.h>
#include <stdint.h>

struct addr {
    uint8_t af;   /* AF_INET or AF_INET6 */
    uint8_t plen; /* prefix length; 32 or 128 for an address */
    uint8_t pad[2];
    uint8_t a[16];
};

#define ADDR_STRLEN 64 /* an IPv6 prefix with its length, NUL included */

/* "10.1.1.1", "10.1.1.0/24", "2001:db8::1/64".  A missing length is the
 * full length.  Host bits are kept (an interface address).  0 or -1. */
int addr_parse(const char *s, struct addr *a);
/* Same, then host bits cleared (a route destination). */
int prefix_parse(const char *s, struct addr *p);
unsigned addr_maxlen(int af);
/* Clear the bits beyond plen; a->plen = plen. */
void addr_mask(struct addr *a, unsigned plen);
/* The IPv4 netmask of a prefix length 0..32, host order. */
static inline uint32_t addr_mask4(unsigned plen)
{
    return plen ? 0xffffffffu << (32 - plen) : 0;
}
/* 1 if x lies within p (p->plen bits equal; same family). */
int prefix_contains(const struct addr *p, const struct addr *x);
/* Same family and bytes (plen ignored). */
int addr_eq(const struct addr *a, const struct addr *b);
/* Ordering for listings: family, bytes, then plen. */
int prefix_cmp(const struct addr *a, const struct addr *b);

/* Text forms: "10.1.1.1"; "10.1.1.0/24"; Junos's abbreviated destination
 * "10.1.1/24" (IPv4 trailing zero octets beyond the length dropped). */
char *addr_str(const struct addr *a, char *buf, size_t len);
char *prefix_str(const struct addr *p, char *buf, size_t len);
char *prefix_abbrev(const struct addr *p, char *buf, size_t len);

/* IPv4 helpers (host byte order). */
uint32_t addr_v4(const struct addr *a);
void addr_set_v4(struct addr *a, uint32_t v, unsigned plen);
void addr_set_v6(struct addr *a, const uint8_t v[16], unsigned plen);

/* The clock of route ages (seconds since the epoch).  OPENSG_CLOCK_FIXED=T
 * (read at the first call) freezes it at T so that golden outputs do not
 * depend on time; tests may also replace it with fwd_clock_set(). */
int64_t fwd_clock(void);
void fwd_clock_set(int64_t (*fn)(void));
/* Junos age text: "00:04:17", "2d 02:51:09", "1w2d 03:00:00". */
char *age_str(int64_t seconds, char *buf, size_t len);

#endif
