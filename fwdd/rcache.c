/*
 * rcache.c: per routing instance, what ip4_input asks of every IPv4
 * destination - is it one of the appliance's addresses (inst_is_local4:
 * an exact lookup and a scan of the service sets' local gateways) and
 * which route it takes (rtable_lookup: one probe per prefix length in
 * use) - remembered for the destinations seen, so that a packet to a
 * known destination costs one probe (docs/bench-esp.md).
 *
 * Direct-mapped, RC4_SLOTS entries per instance, made at the first
 * lookup.  An entry holds the answer of the route tables as they were
 * when it was made (rtable_changes); any route added or removed anywhere
 * invalidates every entry, as it does sa_route's cache (espout.c).  The
 * local gateways and interface addresses belong to the generation, and
 * so does the instance that holds the cache.
 */
#include "fwdd.h"
#include "rtable.h"

#include <stdlib.h>
#include <sys/socket.h>

#define RC4_BITS 12
#define RC4_SLOTS (1u << RC4_BITS)

struct rc4_slot {
    uint64_t changes; /* rtable_changes when made; 0: empty */
    const struct rt_dest *d;
    uint32_t dst;
    uint8_t local;
};

struct rc4 {
    struct rc4_slot s[RC4_SLOTS];
};

const struct rt_dest *inst_route4(const struct gen *g, struct instance *in, uint32_t dst, int *local)
{
    struct rc4_slot *e = NULL;
    struct addr a;

    if (in->rc4 == NULL)
        in->rc4 = calloc(1, sizeof(*in->rc4)); /* without it, uncached */
    if (in->rc4 != NULL) {
        e = &in->rc4->s[(uint32_t)(dst * 0x9e3779b1u) >> (32 - RC4_BITS)];
        if (e->changes == rtable_changes + 1 && e->dst == dst) {
            *local = e->local;
            return e->d;
        }
    }
    *local = inst_is_local4(g, in, dst);
    if (in->inet == NULL)
        return NULL;
    addr_set_v4(&a, dst, 32);
    if (e != NULL) {
        e->changes = rtable_changes + 1; /* never 0 */
        e->dst = dst;
        e->local = (uint8_t)*local;
        e->d = rtable_lookup(in->inet, &a);
        return e->d;
    }
    return rtable_lookup(in->inet, &a);
}

void inst_cache_free(struct instance *in)
{
    free(in->rc4);
    in->rc4 = NULL;
}
