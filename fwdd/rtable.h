/*
 * rtable.h: one route table (inet.0, inet6.0, NAME.inet.0, ...): the
 * destinations it holds, the routes to each (several protocols, chosen by
 * preference) and longest-prefix match.
 *
 * Destinations live in one hash table keyed by (prefix, length); a count
 * per prefix length says which lengths hold anything.  A lookup probes the
 * lengths in use from the longest down, one hash probe each: its cost
 * depends on the number of distinct lengths (at most 33 or 129), never on
 * the number of routes.
 *
 * Routes to a destination are kept sorted by preference (then protocol,
 * then age of insertion); the active route is the first one not hidden
 * (a static route whose gateway is not on a connected subnet is hidden, as
 * in Junos).  The table knows nothing about interfaces: a next hop names
 * its logical unit (via) and carries an opaque pointer the caller resolves.
 *
 * Who calls it: routes.c builds whole tables for each configuration
 * generation (prepare) and adds kmd's reverse routes (Static, preference 1,
 * origin RTO_KMD); forward.c looks up; show_route.c lists.
 */
#ifndef FWDD_RTABLE_H
#define FWDD_RTABLE_H

#include "addr.h"

#include <stddef.h>
#include <stdint.h>

#define RT_NAMELEN 64   /* logical unit names (via) */
#define RT_TABLELEN 160 /* NAME.inet6.0 with a 128-character instance name */
#define RT_MAX_NH 4

enum rt_proto { RTP_DIRECT, RTP_LOCAL, RTP_STATIC };
enum rt_origin { RTO_CONF, RTO_KMD };

enum nh_kind {
    NH_ATTACHED, /* a connected subnet: the destination is the next hop */
    NH_GATEWAY,  /* to gw via unit */
    NH_LOCAL,    /* the appliance's own address */
    NH_UNIT,     /* via a unit with no resolution (services unit ms-F/P/0.N) */
    NH_DISCARD,  /* dropped silently */
};

struct unit;

struct rt_nh {
    enum nh_kind kind;
    struct addr gw;       /* NH_GATEWAY */
    struct unit *unit;    /* resolved unit of the generation that built it */
    char via[RT_NAMELEN]; /* its name, for show and for rebuilding */
};

struct route {
    struct route *next; /* in its destination, by preference */
    enum rt_proto proto;
    enum rt_origin origin;
    uint32_t pref;
    uint32_t tunnel; /* kmd's tunnel index (RTO_KMD) */
    int64_t since;   /* fwd_clock() when it appeared */
    unsigned hidden : 1;
    unsigned nnh;
    int sel; /* selected next hop, -1 when none */
    struct rt_nh nh[RT_MAX_NH];
};

struct rt_dest {
    struct addr prefix; /* host bits clear */
    struct route *routes;
    struct rt_dest *hnext;
};

struct rtable {
    char name[RT_TABLELEN];
    int af;
    struct rt_dest **bucket;
    size_t nbucket, ndest, nroutes, nhidden;
    uint32_t nplen[129]; /* destinations per prefix length */
};

/* Bumped by every rtable_add and rtable_del of the process: what caches a
 * lookup result (espout.c) keys on it and on the generation. */
extern uint64_t rtable_changes;

struct rtable *rtable_new(const char *name, int af);
void rtable_free(struct rtable *t);

/* Insert a copy of r at prefix (host bits cleared here).  r->since 0 means
 * now.  Returns the stored route (valid until it is deleted). */
struct route *rtable_add(struct rtable *t, const struct addr *prefix, const struct route *r);
/* Delete the routes at prefix for which match(route, arg) is nonzero;
 * the destination goes when its last route does.  Returns how many. */
int rtable_del(struct rtable *t, const struct addr *prefix,
               int (*match)(const struct route *, const void *), const void *arg);

/* Longest-prefix match: the most specific destination covering a that has
 * an active route; NULL if none. */
const struct rt_dest *rtable_lookup(const struct rtable *t, const struct addr *a);
/* The destination of exactly this prefix, or NULL. */
struct rt_dest *rtable_exact(const struct rtable *t, const struct addr *prefix);
/* The active route of d (first not hidden), or NULL. */
const struct route *rt_active(const struct rt_dest *d);
/* Every destination, sorted by prefix (malloc'ed array; *n entries). */
const struct rt_dest **rtable_sorted(const struct rtable *t, size_t *n);
size_t rtable_active_count(const struct rtable *t);
/* Copy the age of each route of t from the same route in old (same
 * destination, protocol, preference, origin and next hops): a rebuilt
 * table keeps the ages of routes that did not change. */
void rtable_inherit_ages(struct rtable *t, const struct rtable *old);

const char *rt_proto_name(enum rt_proto p);

#endif
