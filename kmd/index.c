/*
 * index.c: the multimap, atoms and identities of index.h.
 */
#include "index.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void kidx_init(struct kidx *x, uint64_t seed)
{
    memset(x, 0, sizeof(*x));
    x->t.seed = seed;
}

void kidx_free(struct kidx *x)
{
    ptab_free(&x->t);
}

void kidx_add(struct kidx *x, uint64_t key, void *val)
{
    ptab_add(&x->t, key, val);
}

void kidx_del(struct kidx *x, uint64_t key, const void *val)
{
    ptab_del(&x->t, key, val);
}

void *kidx_next(const struct kidx *x, uint64_t key, size_t *it)
{
    return ptab_next(&x->t, key, it);
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

    return lookup(atoms, s, len, ptab_hash_bytes(s, len, PTAB_FNV_INIT))->s;
}

kident *kident_get(struct kstrtab *ids, const char *s)
{
    size_t len = strlen(s);

    return kident_ref(lookup(ids, s, len, ptab_hash_bytes(s, len, PTAB_FNV_INIT)));
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
