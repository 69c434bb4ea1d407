/*
 * index.c: the multimap, atoms and identities of index.h.
 */
#include "index.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

static uint64_t mix(uint64_t x) /* splitmix64's finaliser */
{
    x ^= x >> 30;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 27;
    x *= 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

static size_t home(const struct kidx *x, uint64_t key)
{
    return (size_t)mix(key ^ x->seed) & (x->cap - 1);
}

void kidx_init(struct kidx *x, uint64_t seed)
{
    memset(x, 0, sizeof(*x));
    x->seed = seed;
}

void kidx_free(struct kidx *x)
{
    free(x->s);
    x->s = NULL;
    x->cap = x->n = 0;
}

static void put(struct kidx *x, uint64_t key, void *val)
{
    size_t i = home(x, key);

    while (x->s[i].val)
        i = (i + 1) & (x->cap - 1);
    x->s[i].key = key;
    x->s[i].val = val;
}

static void grow(struct kidx *x)
{
    struct kidx_slot *old = x->s;
    size_t ocap = x->cap;

    x->cap = ocap ? ocap * 2 : 16;
    x->s = calloc(x->cap, sizeof(*x->s));
    if (x->s == NULL)
        fatal("calloc");
    for (size_t i = 0; i < ocap; i++)
        if (old[i].val)
            put(x, old[i].key, old[i].val);
    free(old);
}

void kidx_add(struct kidx *x, uint64_t key, void *val)
{
    if ((x->n + 1) * 4 > x->cap * 3) /* load at most 3/4 */
        grow(x);
    put(x, key, val);
    x->n++;
}

void kidx_del(struct kidx *x, uint64_t key, const void *val)
{
    size_t i, j, mask = x->cap - 1;

    if (x->cap == 0)
        return;
    for (i = home(x, key); x->s[i].val; i = (i + 1) & mask)
        if (x->s[i].key == key && x->s[i].val == val)
            break;
    if (x->s[i].val == NULL)
        return;
    /* backward shift: move up every following entry that may live at i */
    for (j = (i + 1) & mask; x->s[j].val; j = (j + 1) & mask) {
        size_t h = home(x, x->s[j].key);
        if (((j - h) & mask) >= ((j - i) & mask)) {
            x->s[i] = x->s[j];
            i = j;
        }
    }
    x->s[i].val = NULL;
    x->n--;
}

void *kidx_next(const struct kidx *x, uint64_t key, size_t *it)
{
    size_t mask = x->cap - 1, i;

    if (x->cap == 0)
        return NULL;
    /* *it counts the slots already looked at from the home slot */
    for (i = (home(x, key) + *it) & mask; x->s[i].val && *it <= mask; i = (i + 1) & mask) {
        ++*it;
        if (x->s[i].key == key)
            return x->s[i].val;
    }
    return NULL;
}

uint64_t kidx_bytes(const void *p, size_t len, uint64_t h)
{
    const uint8_t *b = p;

    for (size_t i = 0; i < len; i++) {
        h ^= b[i];
        h *= 1099511628211ull;
    }
    return h;
}

/* ---- chained string tables (atoms, identities) ---- */

static struct kstr *lookup(struct kstrtab *t, const char *s, size_t len, uint64_t h)
{
    struct kstr *e;

    for (e = t->nb ? t->b[h & (t->nb - 1)] : NULL; e; e = e->next)
        if (e->h == h && strcmp(e->s, s) == 0)
            return e;
    if (t->n >= t->nb) { /* grow to keep chains short */
        size_t nnb = t->nb ? t->nb * 2 : 16;
        struct kstr **nw = calloc(nnb, sizeof(*nw));
        if (nw == NULL)
            fatal("calloc");
        for (size_t i = 0; i < t->nb; i++)
            while (t->b[i]) {
                struct kstr *m = t->b[i];
                t->b[i] = m->next;
                m->next = nw[m->h & (nnb - 1)];
                nw[m->h & (nnb - 1)] = m;
            }
        free(t->b);
        t->b = nw;
        t->nb = nnb;
    }
    e = malloc(sizeof(*e) + len + 1);
    if (e == NULL)
        fatal("malloc");
    e->h = h;
    e->ref = 0;
    memcpy(e->s, s, len + 1);
    e->next = t->b[h & (t->nb - 1)];
    t->b[h & (t->nb - 1)] = e;
    t->n++;
    return e;
}

const char *katom(struct kstrtab *atoms, const char *s)
{
    size_t len = strlen(s);

    return lookup(atoms, s, len, kidx_bytes(s, len, KIDX_BYTES_INIT))->s;
}

kident *kident_get(struct kstrtab *ids, const char *s)
{
    size_t len = strlen(s);

    return kident_ref(lookup(ids, s, len, kidx_bytes(s, len, KIDX_BYTES_INIT)));
}

kident *kident_ref(kident *id)
{
    if (id)
        id->ref++;
    return id;
}

void kident_put(struct kstrtab *ids, kident *id)
{
    struct kstr **pp;

    if (id == NULL || --id->ref > 0)
        return;
    for (pp = &ids->b[id->h & (ids->nb - 1)]; *pp; pp = &(*pp)->next)
        if (*pp == id) {
            *pp = id->next;
            break;
        }
    ids->n--;
    free(id);
}

void kstrtab_free(struct kstrtab *t)
{
    for (size_t i = 0; i < t->nb; i++)
        while (t->b[i]) {
            struct kstr *e = t->b[i];
            t->b[i] = e->next;
            free(e);
        }
    free(t->b);
    memset(t, 0, sizeof(*t));
}
