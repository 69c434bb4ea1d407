/* groups.c: see groups.h */
#include "groups.h"
#include "log.h"
#include "path.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

int wildcard_match(const char *pat, const char *name)
{
    char inner[256];
    size_t n = strlen(pat);

    if (!is_wildcard_name(pat) || n - 2 >= sizeof(inner))
        return 0;
    memcpy(inner, pat + 1, n - 2);
    inner[n - 2] = '\0';
    return fnmatch(inner, name, 0) == 0;
}

static int has_wildcard_key(const struct cnode *g)
{
    if (g->sch->kind != SCH_LIST)
        return 0;
    for (size_t i = 0; i < g->sch->nkeys; i++) {
        const char *k = cnode_key(g, i);
        if (k && is_wildcard_name(k))
            return 1;
    }
    return 0;
}

static int keys_match(const struct cnode *g, const struct cnode *d)
{
    for (size_t i = 0; i < g->sch->nkeys; i++) {
        const char *gk = cnode_key(g, i), *dk = cnode_key(d, i);
        if (gk == NULL || dk == NULL)
            return 0;
        if (is_wildcard_name(gk) ? !wildcard_match(gk, dk) : strcmp(gk, dk) != 0)
            return 0;
    }
    return 1;
}

static void mark(struct cnode *n, const char *group)
{
    free(n->group);
    n->group = strdup(group);
    if (n->group == NULL)
        fatal("strdup");
    for (struct cnode *c = n->child; c; c = c->next)
        mark(c, group);
}

/* Entries with wildcard keys only apply to what exists: drop them from a
 * subtree being copied in whole. */
static void drop_wildcards(struct cnode *n)
{
    struct cnode *c, *next;

    for (c = n->child; c; c = next) {
        next = c->next;
        if (has_wildcard_key(c))
            cnode_free(c);
        else
            drop_wildcards(c);
    }
}

/* Is a statement of another branch of g's choice already in dst? */
static int choice_taken(const struct cnode *dst, const struct sch_node *s)
{
    if (s->choice == 0)
        return 0;
    for (const struct cnode *c = dst->child; c; c = c->next)
        if (c->sch->choice == s->choice && c->sch->branch != s->branch)
            return 1;
    return 0;
}

static void merge_group(struct cnode *dst, const struct cnode *grp, const char *gname,
                        unsigned flags)
{
    for (const struct cnode *g = grp->child; g; g = g->next) {
        struct cnode *d;

        if ((g->sch->flags & SCHF_KEY) || (g->inactive && !(flags & EXPAND_KEEP_INACTIVE)))
            continue;
        if (has_wildcard_key(g)) {
            for (d = cnode_first(dst, g->sch); d; d = cnode_next_same(d))
                if (keys_match(g, d))
                    merge_group(d, g, gname, flags);
            continue;
        }
        if (g->sch->kind == SCH_LEAFLIST) {
            /* a leaf-list configured in dst is not extended by groups */
            const struct cnode *first = g;
            if (g->prev && g->prev->sch == g->sch)
                continue;
            if (cnode_first(dst, g->sch))
                continue;
            for (; g && g->sch == first->sch; g = g->next) {
                struct cnode *copy = cnode_dup(g);
                if (flags & EXPAND_MARK)
                    mark(copy, gname);
                cnode_insert(dst, copy);
                if (g->next == NULL || g->next->sch != first->sch)
                    break;
            }
            continue;
        }
        d = cnode_find_like(dst, g);
        if (d == NULL) {
            struct cnode *copy;
            if (choice_taken(dst, g->sch))
                continue;
            copy = cnode_dup(g);
            drop_wildcards(copy);
            if (flags & EXPAND_MARK)
                mark(copy, gname);
            cnode_insert(dst, copy);
        } else if (g->sch->kind == SCH_CONTAINER || g->sch->kind == SCH_LIST) {
            merge_group(d, g, gname, flags);
        }
        /* leaves and flags already in dst win */
    }
}

void conf_drop_inactive(struct cnode *n)
{
    struct cnode *c, *next;

    for (c = n->child; c; c = next) {
        next = c->next;
        if (c->inactive)
            cnode_free(c);
        else
            conf_drop_inactive(c);
    }
}

struct conf *conf_expand(const struct conf *c, unsigned flags)
{
    struct conf *e = conf_dup(c);
    struct cnode *n, *next;

    for (n = c->root->child; n; n = n->next) {
        const struct cnode *g;
        if (!(n->sch->flags & SCHF_APPLY_GROUPS) || n->inactive)
            continue;
        for (g = c->root->child; g; g = g->next)
            if ((g->sch->flags & SCHF_GROUPS) && !g->inactive && cnode_key(g, 0) &&
                strcmp(cnode_key(g, 0), n->value) == 0)
                break;
        if (g)
            merge_group(e->root, g, n->value, flags);
    }
    for (n = e->root->child; n; n = next) {
        next = n->next;
        if (n->sch->flags & (SCHF_GROUPS | SCHF_APPLY_GROUPS))
            cnode_free(n);
    }
    if (!(flags & EXPAND_KEEP_INACTIVE))
        conf_drop_inactive(e->root);
    return e;
}

static int any_inactive(const struct cnode *n)
{
    for (const struct cnode *c = n->child; c; c = c->next)
        if (c->inactive || any_inactive(c))
            return 1;
    return 0;
}

int conf_expands_to_itself(const struct conf *c)
{
    for (const struct cnode *n = c->root->child; n; n = n->next)
        if (n->sch->flags & (SCHF_GROUPS | SCHF_APPLY_GROUPS))
            return 0;
    return !any_inactive(c->root);
}
