/*
 * ptab.c: open-addressing pointer table (ptab.h).
 */
#include "ptab.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define PTAB_MIN 16

static size_t home(const struct ptab *t, uint64_t key)
{
    return (size_t)ptab_mix(key ^ t->seed) & (t->cap - 1);
}

static void put(struct ptab *t, uint64_t key, void *p)
{
    size_t i = home(t, key);

    while (t->v[i].p)
        i = (i + 1) & (t->cap - 1);
    t->v[i].key = key;
    t->v[i].p = p;
    t->n++;
}

static void resize(struct ptab *t, size_t cap)
{
    struct ptab old = *t;

    if ((t->v = calloc(cap, sizeof(*t->v))) == NULL)
        fatal("calloc");
    t->cap = cap;
    t->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.v[i].p)
            put(t, old.v[i].key, old.v[i].p);
    free(old.v);
}

void ptab_add(struct ptab *t, uint64_t key, void *p)
{
    if ((t->n + 1) * 2 > t->cap)
        resize(t, t->cap ? t->cap * 2 : PTAB_MIN);
    put(t, key, p);
}

int ptab_del(struct ptab *t, uint64_t key, const void *p)
{
    size_t i, j, mask = t->cap - 1;

    if (t->cap == 0)
        return -1;
    for (i = home(t, key); t->v[i].p != p || t->v[i].key != key; i = (i + 1) & mask)
        if (t->v[i].p == NULL)
            return -1;
    /* backward shift: pull later entries of the cluster into the hole */
    for (j = (i + 1) & mask; t->v[j].p; j = (j + 1) & mask) {
        size_t h = home(t, t->v[j].key);
        /* move j to i unless its home lies cyclically in (i, j] */
        if (((j - h) & mask) >= ((j - i) & mask)) {
            t->v[i] = t->v[j];
            i = j;
        }
    }
    t->v[i].p = NULL;
    t->v[i].key = 0;
    t->n--;
    if (t->n == 0) {
        free(t->v);
        t->v = NULL;
        t->cap = 0;
    }
    return 0;
}

void *ptab_next(const struct ptab *t, uint64_t key, size_t *it)
{
    size_t mask = t->cap - 1, i;

    if (t->cap == 0)
        return NULL;
    /* *it counts the slots already looked at from the home slot */
    for (i = (home(t, key) + *it) & mask; t->v[i].p; i = (i + 1) & mask) {
        ++*it;
        if (t->v[i].key == key)
            return t->v[i].p;
    }
    return NULL;
}

void ptab_prefetch(const struct ptab *t, uint64_t key)
{
    if (t->cap)
        __builtin_prefetch(&t->v[home(t, key)]);
}

void ptab_prefetch_entries(const struct ptab *t, uint64_t key, size_t size)
{
    size_t mask = t->cap - 1;

    if (t->cap == 0)
        return;
    for (size_t i = home(t, key), n = 0; t->v[i].p && n < 4; i = (i + 1) & mask, n++)
        if (t->v[i].key == key)
            prefetch_obj(t->v[i].p, size);
}

void ptab_free(struct ptab *t)
{
    free(t->v);
    t->v = NULL;
    t->cap = t->n = 0;
}

uint64_t ptab_hash_bytes(const void *p, size_t len, uint64_t h)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < len; i++)
        h = (h ^ b[i]) * 1099511628211ull; /* FNV-1a */
    return h;
}

uint64_t ptab_hash_str(const char *s, uint64_t seed)
{
    return ptab_hash_bytes(s, strlen(s), PTAB_FNV_INIT ^ seed);
}
