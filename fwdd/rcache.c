/*
 * rcache.c: per routing instance, what ip4_input asks of every IPv4
 * destination - is it one of the appliance's addresses (inst_is_local4:
 * an exact lookup and a scan of the service sets' local gateways) and
 * which route it takes (rtable_lookup: one probe per prefix length in
 * use) - remembered for the destinations seen, so that a packet to a
 * known destination costs one probe of one cache line (docs/bench-esp.md).
 *
 * Four-way set-associative: a set is one 64-byte line of four 16-byte
 * entries; a destination not found goes in first, pushing the others
 * along and the last out.  Made at the first lookup with four times as
 * many entries as the instance's table has destinations (a power of two,
 * 1,024 to 131,072), and made again when the table has grown past a
 * quarter of it (kmd's routes come one per tunnel).  The set is chosen by
 * a full 32-bit mix of the address: kmd's remote networks differ in their
 * third byte, which a multiplicative hash spreads badly.
 *
 * An entry holds the answer of the route tables as they were when it was
 * made: the low 32 bits of rtable_changes + 1, its stamp (when the high
 * bits move, every entry is cleared; while the low ones are 0, the stamp
 * of an empty entry, nothing is cached), so any route added or removed anywhere invalidates every
 * entry, as it does sa_route's cache (espout.c).  The local gateways and interface addresses belong
 * to the generation, and so does the instance that holds the cache.
 */
#include "fwdd.h"
#include "rtable.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define RC4_MIN_BITS 10
#define RC4_MAX_BITS 17
#define RC4_WAYS 4

struct rc4_ent {
    uint32_t dst;
    uint32_t stamp;  /* low bits of rtable_changes + 1 when made; 0: empty */
    uintptr_t route; /* the rt_dest, | 1 if dst is local */
};

struct rc4 {
    unsigned bits;
    uint32_t hi; /* rtable_changes + 1 >> 32 of every stamp */
    void *mem;
    struct rc4_ent *s; /* 1 << bits, sets of RC4_WAYS aligned on 64 bytes */
};

_Static_assert(sizeof(struct rc4_ent) * RC4_WAYS == 64, "a set is a cache line");
_Static_assert(_Alignof(struct rt_dest) >= 2, "the low bit of a route pointer is free");

static uint32_t mix32(uint32_t x)
{
    x ^= x >> 16;
    x *= 0x7feb352du;
    x ^= x >> 15;
    x *= 0x846ca68bu;
    return x ^ (x >> 16);
}

static size_t want_bits(const struct instance *in)
{
    size_t dests = in->inet ? in->inet->ndest : 0;
    unsigned bits = RC4_MIN_BITS;

    while (bits < RC4_MAX_BITS && ((size_t)1 << bits) < 4 * dests)
        bits++;
    return bits;
}

/* A cache for the instance's table as it is now (NULL: no memory). */
static struct rc4 *rc4_fit(struct instance *in)
{
    unsigned bits = (unsigned)want_bits(in);
    struct rc4 *c = in->rc4;
    size_t size = ((size_t)1 << bits) * sizeof(struct rc4_ent);

    if (c != NULL && c->bits >= bits)
        return c;
    inst_cache_free(in);
    if ((c = calloc(1, sizeof(*c))) == NULL || (c->mem = calloc(1, size + 63)) == NULL) {
        free(c);
        return NULL; /* uncached */
    }
    c->bits = bits;
    c->s = (struct rc4_ent *)(((uintptr_t)c->mem + 63) & ~(uintptr_t)63);
    return in->rc4 = c;
}

static struct rc4_ent *rc4_set(const struct rc4 *c, uint32_t dst)
{
    return &c->s[(mix32(dst) >> (32 - c->bits)) & ~(uint32_t)(RC4_WAYS - 1)];
}

/* The stamp of an entry made now (0: do not cache now); the cache
 * cleared if the high bits of rtable_changes moved (once every 2^32
 * changes). */
static uint32_t rc4_stamp(struct rc4 *c)
{
    uint64_t now = rtable_changes + 1;

    if ((uint32_t)(now >> 32) != c->hi) {
        memset(c->s, 0, ((size_t)1 << c->bits) * sizeof(struct rc4_ent));
        c->hi = (uint32_t)(now >> 32);
    }
    return (uint32_t)now;
}

const struct rt_dest *inst_route4(const struct gen *g, struct instance *in, uint32_t dst,
                                  int *local)
{
    struct rc4_ent *e = NULL;
    struct rc4 *c = in->rc4;
    struct addr a;
    uint32_t stamp = 0;
    const struct rt_dest *d;

    if (c == NULL || (c->bits < RC4_MAX_BITS && ((size_t)1 << c->bits) < 4 * in->inet->ndest))
        c = rc4_fit(in);
    if (c != NULL && (stamp = rc4_stamp(c)) != 0) {
        e = rc4_set(c, dst);
        for (int w = 0; w < RC4_WAYS; w++)
            if (e[w].stamp == stamp && e[w].dst == dst) {
                *local = (int)(e[w].route & 1);
                return (const struct rt_dest *)(e[w].route & ~(uintptr_t)1);
            }
    }
    *local = inst_is_local4(g, in, dst);
    addr_set_v4(&a, dst, 32);
    d = rtable_lookup(in->inet, &a);
    if (e != NULL) {
        memmove(e + 1, e, (RC4_WAYS - 1) * sizeof(*e));
        e->dst = dst;
        e->stamp = stamp;
        e->route = (uintptr_t)d | (uintptr_t)(*local != 0);
    }
    return d;
}

void inst_route4_prefetch(const struct instance *in, uint32_t dst)
{
    if (in->rc4 != NULL)
        __builtin_prefetch(rc4_set(in->rc4, dst));
}

const struct rt_dest *inst_route4_peek(const struct instance *in, uint32_t dst)
{
    const struct rc4 *c = in->rc4;
    const struct rc4_ent *e;
    uint64_t now = rtable_changes + 1;

    if (c == NULL || (uint32_t)(now >> 32) != c->hi || (uint32_t)now == 0)
        return NULL;
    e = rc4_set(c, dst);
    for (int w = 0; w < RC4_WAYS; w++)
        if (e[w].stamp == (uint32_t)now && e[w].dst == dst)
            return (const struct rt_dest *)(e[w].route & ~(uintptr_t)1);
    return NULL;
}

void inst_cache_free(struct instance *in)
{
    if (in->rc4 != NULL)
        free(in->rc4->mem);
    free(in->rc4);
    in->rc4 = NULL;
}
