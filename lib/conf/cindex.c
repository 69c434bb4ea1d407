/*
 * cindex.c: an index of a node's children, so that configurations with
 * tens of thousands of entries in one list (service sets, profiles, units)
 * load, diff and commit in time linear in their size.
 *
 * A parent gets an index once it has more than CIDX_MIN children (built
 * lazily by the first lookup).  It maps (schema node, keys) of list and
 * leaf-list entries to the entry, and each schema node to the first and
 * last of its children (the children of one schema node are contiguous).
 * tree.c keeps it up to date on insert and unlink; a key leaf must not be
 * changed while its entry is linked.
 */
#include "cindex.h"
#include "log.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define CIDX_MIN 16

struct cgroup {
    const struct sch_node *sch;
    struct cnode *first, *last;
};

struct cindex {
    struct cnode **slots; /* open addressing, NULL = empty, TOMB = deleted */
    size_t cap, used;     /* used counts live and deleted slots */
    struct cgroup *groups;
    size_t ngroups;
};

static struct cnode tomb_node;
#define TOMB (&tomb_node)

static uint64_t mix(uint64_t h, const char *s)
{
    for (; s && *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return (h ^ 0x1f) * 1099511628211ULL;
}

static const char *key_of(const struct cnode *entry, size_t i)
{
    if (entry->sch->kind == SCH_LEAFLIST)
        return i == 0 ? entry->value : NULL;
    for (const struct cnode *c = entry->child; c; c = c->next)
        if (c->sch == entry->sch->keys[i])
            return c->value;
    return NULL;
}

static size_t nkeys(const struct sch_node *s)
{
    return s->kind == SCH_LEAFLIST ? 1 : s->kind == SCH_LIST ? s->nkeys : 0;
}

static uint64_t hash_keys(const struct sch_node *s, const char *const *keys)
{
    uint64_t h = 14695981039346656037ULL ^ (uint64_t)(uintptr_t)s;

    for (size_t i = 0; i < nkeys(s); i++)
        h = mix(h, keys[i]);
    return h;
}

static uint64_t hash_node(const struct cnode *n)
{
    const char *keys[16];

    for (size_t i = 0; i < nkeys(n->sch) && i < 16; i++)
        keys[i] = key_of(n, i);
    return hash_keys(n->sch, keys);
}

static int matches(const struct cnode *n, const struct sch_node *s, const char *const *keys)
{
    if (n->sch != s)
        return 0;
    for (size_t i = 0; i < nkeys(s); i++) {
        const char *k = key_of(n, i);
        if (k == NULL || keys[i] == NULL || strcmp(k, keys[i]) != 0)
            return 0;
    }
    return 1;
}

static void slot_add(struct cindex *x, struct cnode *n);

static void grow(struct cindex *x)
{
    struct cnode **old = x->slots;
    size_t oldcap = x->cap;

    x->cap = x->cap ? x->cap * 2 : 64;
    x->slots = calloc(x->cap, sizeof(*x->slots));
    if (x->slots == NULL)
        fatal("calloc");
    x->used = 0;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i] && old[i] != TOMB)
            slot_add(x, old[i]);
    free(old);
}

static void slot_add(struct cindex *x, struct cnode *n)
{
    size_t i;

    if (nkeys(n->sch) == 0)
        return;
    if ((x->used + 1) * 2 > x->cap)
        grow(x);
    for (i = hash_node(n) & (x->cap - 1); x->slots[i] && x->slots[i] != TOMB;
         i = (i + 1) & (x->cap - 1))
        ;
    if (x->slots[i] == NULL)
        x->used++;
    x->slots[i] = n;
}

static void slot_del(struct cindex *x, struct cnode *n)
{
    if (nkeys(n->sch) == 0 || x->cap == 0)
        return;
    for (size_t i = hash_node(n) & (x->cap - 1); x->slots[i]; i = (i + 1) & (x->cap - 1))
        if (x->slots[i] == n) {
            x->slots[i] = TOMB;
            return;
        }
}

static struct cgroup *group(struct cindex *x, const struct sch_node *s, int create)
{
    for (size_t i = 0; i < x->ngroups; i++)
        if (x->groups[i].sch == s)
            return &x->groups[i];
    if (!create)
        return NULL;
    x->groups = realloc(x->groups, (x->ngroups + 1) * sizeof(*x->groups));
    if (x->groups == NULL)
        fatal("realloc");
    memset(&x->groups[x->ngroups], 0, sizeof(x->groups[0]));
    x->groups[x->ngroups].sch = s;
    return &x->groups[x->ngroups++];
}

void cidx_free(struct cnode *parent)
{
    struct cindex *x = parent->idx;

    if (x == NULL)
        return;
    free(x->slots);
    free(x->groups);
    free(x);
    parent->idx = NULL;
}

static struct cindex *ensure(struct cnode *parent)
{
    size_t n = 0;
    struct cindex *x;

    if (parent->idx)
        return parent->idx;
    for (struct cnode *c = parent->child; c && n <= CIDX_MIN; c = c->next)
        n++;
    if (n <= CIDX_MIN)
        return NULL;
    x = calloc(1, sizeof(*x));
    if (x == NULL)
        fatal("calloc");
    parent->idx = x;
    for (struct cnode *c = parent->child; c; c = c->next)
        cidx_added(parent, c);
    return x;
}

void cidx_added(struct cnode *parent, struct cnode *n)
{
    struct cindex *x = parent->idx;
    struct cgroup *g;

    if (x == NULL)
        return;
    slot_add(x, n);
    g = group(x, n->sch, 1);
    if (g->first == NULL || n->next == g->first)
        g->first = n;
    if (g->last == NULL || n->prev == g->last)
        g->last = n;
}

void cidx_removed(struct cnode *parent, struct cnode *n)
{
    struct cindex *x = parent->idx;
    struct cgroup *g;

    if (x == NULL)
        return;
    slot_del(x, n);
    g = group(x, n->sch, 0);
    if (g == NULL)
        return;
    if (g->first == n)
        g->first = n->next && n->next->sch == n->sch ? n->next : NULL;
    if (g->last == n)
        g->last = n->prev && n->prev->sch == n->sch ? n->prev : NULL;
    if (g->first == NULL || g->last == NULL)
        g->first = g->last = NULL;
}

int cidx_first_last(const struct cnode *parent, const struct sch_node *s, struct cnode **first,
                    struct cnode **last)
{
    struct cindex *x = ensure((struct cnode *)parent);
    struct cgroup *g;

    if (x == NULL)
        return -1;
    g = group(x, s, 0);
    *first = g ? g->first : NULL;
    *last = g ? g->last : NULL;
    return 0;
}

int cidx_find(const struct cnode *parent, const struct sch_node *s, const char *const *keys,
              struct cnode **out)
{
    struct cindex *x = ensure((struct cnode *)parent);

    if (x == NULL)
        return -1;
    *out = NULL;
    if (x->cap == 0)
        return 0;
    for (size_t i = hash_keys(s, keys) & (x->cap - 1); x->slots[i]; i = (i + 1) & (x->cap - 1))
        if (x->slots[i] != TOMB && matches(x->slots[i], s, keys)) {
            *out = x->slots[i];
            break;
        }
    return 0;
}
