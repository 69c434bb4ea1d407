/*
 * ptab.h: a growing hash table of pointers under 64-bit keys, for the
 * per-packet and per-datagram lookups that must not walk lists (fwdd's
 * SAs by SPI, tunnels by index, kmd's dynamic rules by unit and prefix;
 * kmd's IKE SAs and tunnels through kmd/index.h).
 *
 * Open addressing with linear probing, at most half full (it doubles
 * when it gets there), deletion by backward shift (no tombstones).  Each
 * slot holds the key beside the pointer, so a probe that misses reads
 * the table's own cache lines, not the objects.  Several entries may
 * share a key: ptab_next() visits each, and the caller checks the object
 * (the key is a hash of what identifies it).  A table's seed (0 unless
 * set before the first add) is mixed into every key's slot, so a peer
 * that picks keys (cookies, SPIs) cannot pick slots.  Not thread-safe.
 */
#ifndef OPENSG_PTAB_H
#define OPENSG_PTAB_H

#include <stddef.h>
#include <stdint.h>

struct ptab_slot {
    uint64_t key;
    void *p; /* NULL: free */
};

struct ptab {
    struct ptab_slot *v;
    size_t cap, n; /* cap: 0 or a power of two */
    uint64_t seed;
};

void ptab_add(struct ptab *t, uint64_t key, void *p);
/* Remove the entry (key, p); 0, or -1 if there is none. */
int ptab_del(struct ptab *t, uint64_t key, const void *p);
/* The entries under key: start with *it = 0, NULL after the last. */
void *ptab_next(const struct ptab *t, uint64_t key, size_t *it);
void ptab_free(struct ptab *t);
/* Prefetch key's home slot; or the first size bytes of the objects of
 * its entries (the slots read, not the objects). */
void ptab_prefetch(const struct ptab *t, uint64_t key);
void ptab_prefetch_entries(const struct ptab *t, uint64_t key, size_t size);

/* Prefetch the cache lines of size bytes at p. */
static inline void prefetch_obj(const void *p, size_t size)
{
    for (size_t off = 0; off < size; off += 64)
        __builtin_prefetch((const char *)p + off);
}

/* Mixing helpers for keys. */
static inline uint64_t ptab_mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ull;
    return x ^ (x >> 33);
}

/* FNV-1a: len bytes at p hashed on from h (start: PTAB_FNV_INIT). */
#define PTAB_FNV_INIT 14695981039346656037ull
uint64_t ptab_hash_bytes(const void *p, size_t len, uint64_t h);
/* A string's (seed 0 for the plain FNV-1a). */
uint64_t ptab_hash_str(const char *s, uint64_t seed);

#endif
