/*
 * rcache.c: per routing instance, what ip4_input asks of every IPv4
 * destination - is it one of the appliance's addresses (inst_is_local4:
 * an exact lookup and a scan of the service sets' local gateways) and
 * which route it takes (rtable_lookup: one probe per prefix length in
 * use) - remembered for the destinations seen, so that a packet to a
 * known destination costs one probe (docs/bench-esp.md).
 *
 * Two-way set-associative (a destination may be in either entry of its
 * pair; a new one goes first, pushing the other out), made at the first
 * lookup with twice as many entries as the instance's table has
 * destinations (a power of two, 1,024 to 65,536: 24 bytes each), and made
 * again larger when the table has grown past half of it (kmd's routes
 * come one per tunnel).  An entry holds the answer of the route tables as
 * they were when it was made (rtable_changes); any route added or removed
 * anywhere invalidates every entry, as it does sa_route's cache
 * (espout.c).  The local gateways and interface addresses belong to the
 * generation, and so does the instance that holds the cache.
 */
#include "fwdd.h"
#include "rtable.h"

#include <stdlib.h>
#include <sys/socket.h>

#define RC4_MIN_BITS 10
#define RC4_MAX_BITS 16

struct rc4_slot {
    uint64_t changes; /* rtable_changes when made; 0: empty */
    const struct rt_dest *d;
    uint32_t dst;
    uint8_t local;
};

struct rc4 {
    unsigned bits;
    struct rc4_slot s[];
};

/* A cache for the instance's table as it is now (NULL: no memory). */
static struct rc4 *rc4_fit(struct instance *in)
{
    size_t dests = in->inet ? in->inet->ndest : 0;
    unsigned bits = RC4_MIN_BITS;
    struct rc4 *c = in->rc4;

    while (bits < RC4_MAX_BITS && ((size_t)1 << bits) < 2 * dests)
        bits++;
    if (c != NULL && c->bits >= bits)
        return c;
    free(c);
    if ((c = calloc(1, sizeof(*c) + ((size_t)1 << bits) * sizeof(c->s[0]))) != NULL)
        c->bits = bits;
    return in->rc4 = c; /* without one, uncached */
}

const struct rt_dest *inst_route4(const struct gen *g, struct instance *in, uint32_t dst,
                                  int *local)
{
    struct rc4_slot *e = NULL;
    struct addr a;
    struct rc4 *c = in->rc4;
    uint64_t now = rtable_changes + 1; /* never 0 */

    if (c == NULL ||
        (c->bits < RC4_MAX_BITS && in->inet && ((size_t)1 << c->bits) < 2 * in->inet->ndest))
        c = rc4_fit(in);
    if (c != NULL) {
        e = &c->s[((uint32_t)(dst * 0x9e3779b1u) >> (32 - c->bits)) & ~1u];
        for (int w = 0; w < 2; w++)
            if (e[w].changes == now && e[w].dst == dst) {
                *local = e[w].local;
                return e[w].d;
            }
        if (e[0].changes == now)
            e[1] = e[0];
    }
    *local = inst_is_local4(g, in, dst);
    if (in->inet == NULL)
        return NULL;
    addr_set_v4(&a, dst, 32);
    if (e == NULL)
        return rtable_lookup(in->inet, &a);
    e->changes = now;
    e->dst = dst;
    e->local = (uint8_t)*local;
    e->d = rtable_lookup(in->inet, &a);
    return e->d;
}

void inst_cache_free(struct instance *in)
{
    free(in->rc4);
    in->rc4 = NULL;
}
