/*
 * index.h: kmd's lookup structures, so that no datagram or fwdd reply
 * walks every IKE SA or tunnel.
 *
 *   struct kidx   a multimap from a 64-bit key to pointers: lib/ptab.h's
 *                 table (several values per key and several keys per
 *                 value are fine) with a per-kmd random seed, so a peer
 *                 choosing cookies or SPIs cannot choose slots.
 *   atoms         strings kept once for kmd's life: names that come from
 *                 the configuration or from fwdd (service sets, profiles,
 *                 pools, units, routing instances, interfaces); a tunnel
 *                 holds pointers, not copies.  Bounded by the names ever
 *                 configured.
 *   identities    peers' identities (MM5), reference-counted and shared by
 *                 an IKE SA and its tunnels; freed with the last user.
 *
 * Used by ikesa.c, tunnel.c, main_mode.c and informational.c.
 */
#ifndef OPENSG_KMD_INDEX_H
#define OPENSG_KMD_INDEX_H

#include <stddef.h>
#include <stdint.h>

#include "ptab.h"

struct kidx {
    struct ptab t; /* its seed: kmd's */
};

void kidx_init(struct kidx *x, uint64_t seed);
void kidx_free(struct kidx *x);
void kidx_add(struct kidx *x, uint64_t key, void *val);
/* Removes the pair (key, val) if present. */
void kidx_del(struct kidx *x, uint64_t key, const void *val);
/* The values under key, one per call: *it starts at 0; NULL at the end.
 * The index must not change during an iteration. */
void *kidx_next(const struct kidx *x, uint64_t key, size_t *it);

/* Keys of byte strings: ptab_hash_bytes (lib/ptab.h; the index mixes in
 * its seed). */

/* A string kept once: an atom (ref unused, kept for kmd's life) or a
 * peer identity (s: the formatted identity, reference-counted). */
struct kstr {
    struct kstr *next; /* hash chain */
    uint64_t h;
    unsigned ref;
    char s[];
};
struct kstrtab {
    struct kstr **b;
    size_t nb, n;
};
void kstrtab_free(struct kstrtab *t);

/* The atom equal to s (created on first use); never NULL. */
const char *katom(struct kstrtab *atoms, const char *s);

typedef struct kstr kident;
/* A reference to the identity equal to s (created on first use). */
kident *kident_get(struct kstrtab *ids, const char *s);
kident *kident_ref(kident *id);
void kident_put(struct kstrtab *ids, kident *id); /* NULL is fine */

#endif
