/* ops.c: see ops.h */
#include "ops.h"
#include "log.h"
#include "path.h"

#include <regex.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(struct op_err *e, size_t word, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail(struct op_err *e, size_t word, const char *fmt, ...)
{
    va_list ap;

    e->word = word;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
    return -1;
}

static int path_fail(struct op_err *e, const struct path *p, size_t base)
{
    return fail(e, base + p->bad_word, "%s", p->msg);
}

/* Resolve words to an existing node. */
static struct cnode *find_words(struct cnode *at, char *const *w, size_t n, struct op_err *e,
                                size_t base)
{
    struct path p;
    struct cnode *node;

    if (n == 0) {
        fail(e, base, "missing argument.");
        return NULL;
    }
    if (path_parse(at->sch, cnode_in_group(at), w, n, PATH_FIND, &p) < 0) {
        path_fail(e, &p, base);
        path_free(&p);
        return NULL;
    }
    node = path_find(at, &p);
    if (node == NULL)
        fail(e, (size_t)-1, "statement not found");
    path_free(&p);
    return node;
}

int op_activate(struct cnode *at, char *const *w, size_t n, int active, struct op_err *e)
{
    struct cnode *node = find_words(at, w, n, e, 0);

    if (node == NULL)
        return -1;
    if (node->sch->flags & SCHF_KEY)
        return fail(e, n - 1, "syntax error.");
    node->inactive = !active;
    cnode_touch(node);
    return 0;
}

int op_annotate(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    struct cnode *node;
    const char *text;

    if (n < 2)
        return fail(e, n, "missing argument.");
    text = w[n - 1];
    node = find_words(at, w, n - 1, e, 0);
    if (node == NULL)
        return -1;
    if (strstr(text, "*/"))
        return fail(e, n - 1, "invalid annotation: '*/' is not allowed");
    free(node->comment);
    node->comment = NULL;
    cnode_touch(node);
    /* Junos accepts the text with or without its delimiters */
    if (strncmp(text, "/*", 2) == 0)
        text += 2;
    while (*text == ' ')
        text++;
    if (*text) {
        node->comment = strdup(text);
        if (node->comment == NULL)
            fatal("strdup");
    }
    return 0;
}

static size_t find_word(char *const *w, size_t n, const char *word)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(w[i], word) == 0)
            return i;
    return n;
}

/* Parse "keyword keys" (or bare keys) naming an entry of the same list as
 * like, under like's parent.  Fills keys (malloc'ed strings). */
static int parse_identifier(const struct cnode *like, char *const *w, size_t n, char ***keys,
                            struct op_err *e, size_t base)
{
    struct path p;
    const struct sch_node *parent = like->parent->sch;
    int rc = -1;

    if (n == 0)
        return fail(e, base, "missing argument.");
    if (path_parse(parent, cnode_in_group(like->parent), w, n, PATH_SET, &p) < 0) {
        rc = path_fail(e, &p, base);
    } else if (p.nsteps != 1 || p.steps[0].sch != like->sch) {
        rc = fail(e, base, "syntax error.");
    } else {
        *keys = p.steps[0].vals;
        p.steps[0].vals = NULL;
        p.steps[0].nvals = 0;
        rc = 0;
    }
    path_free(&p);
    return rc;
}

static void free_keys(char **keys, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(keys[i]);
    free(keys);
}

int op_rename(struct cnode *at, char *const *w, size_t n, int copy, struct op_err *e)
{
    size_t to = find_word(w, n, "to");
    struct cnode *node, *target, *parent;
    char **keys = NULL;
    size_t nk;

    if (to == n)
        return fail(e, n, "syntax error, expecting 'to'.");
    node = find_words(at, w, to, e, 0);
    if (node == NULL)
        return -1;
    parent = node->parent;
    if (node->sch->kind != SCH_LIST && node->sch->kind != SCH_LEAFLIST)
        return fail(e, to - 1, "syntax error: only identifiers can be %s",
                    copy ? "copied" : "renamed");
    if (node->sch->kind == SCH_LEAFLIST) {
        /* rename proposals a to proposals b: words after "to" repeat the name */
        size_t v = to + 1 < n && strcmp(w[to + 1], node->sch->name) == 0 ? to + 2 : to + 1;
        if (v >= n)
            return fail(e, n, "missing argument.");
        if (cnode_find(parent, node->sch, (const char *const *)&w[v]))
            return fail(e, v, "error: target statement already exists");
        /* a key changes only while its entry is unlinked (cindex.c) */
        target = copy ? cnode_dup(node) : node;
        if (!copy)
            cnode_unlink(target);
        free(target->value);
        target->value = strdup(w[v]);
        if (target->value == NULL)
            fatal("strdup");
        cnode_insert(parent, target);
        return 0;
    }
    nk = node->sch->nkeys;
    if (parse_identifier(node, w + to + 1, n - to - 1, &keys, e, to + 1) < 0)
        return -1;
    if (cnode_find(parent, node->sch, (const char *const *)keys)) {
        free_keys(keys, nk);
        return fail(e, (size_t)-1, "error: target statement already exists");
    }
    target = copy ? cnode_dup(node) : node;
    if (!copy)
        cnode_unlink(node);
    for (struct cnode *c = target->child; c; c = c->next)
        for (size_t i = 0; i < nk; i++)
            if (c->sch == node->sch->keys[i]) {
                free(c->value);
                c->value = keys[i];
                keys[i] = NULL;
            }
    free_keys(keys, nk);
    cnode_insert(parent, target);
    return 0;
}

int op_insert(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    size_t pos = find_word(w, n, "before");
    int after = 0;
    struct cnode *node, *ref;
    char **keys = NULL;

    if (pos == n) {
        pos = find_word(w, n, "after");
        after = 1;
    }
    if (pos == n)
        return fail(e, n, "syntax error, expecting 'before' or 'after'.");
    node = find_words(at, w, pos, e, 0);
    if (node == NULL)
        return -1;
    if (!(node->sch->flags & SCHF_ORDERED_BY_USER))
        return fail(e, pos - 1, "error: '%s' is not an ordered list", node->sch->name);
    if (node->sch->kind == SCH_LEAFLIST) {
        size_t v = pos + 1 < n && strcmp(w[pos + 1], node->sch->name) == 0 ? pos + 2 : pos + 1;
        if (v >= n)
            return fail(e, n, "missing argument.");
        ref = cnode_find(node->parent, node->sch, (const char *const *)&w[v]);
    } else {
        if (parse_identifier(node, w + pos + 1, n - pos - 1, &keys, e, pos + 1) < 0)
            return -1;
        ref = cnode_find(node->parent, node->sch, (const char *const *)keys);
        free_keys(keys, node->sch->nkeys);
    }
    if (ref == NULL)
        return fail(e, (size_t)-1, "error: referenced statement not found");
    cnode_move(node, ref, after);
    return 0;
}

int op_wildcard_delete(struct cnode *at, char *const *w, size_t n, struct buf *matches,
                       struct op_err *e)
{
    struct path p;
    regex_t re;
    struct cnode *parent, *c, *next;
    const struct sch_node *list;
    int count = 0;

    if (n < 2)
        return fail(e, n, "missing argument.");
    if (path_parse(at->sch, cnode_in_group(at), w, n - 1, PATH_FIND, &p) < 0)
        return path_fail(e, &p, 0), path_free(&p), -1;
    if (p.nsteps && p.steps[p.nsteps - 1].all) {
        list = p.steps[p.nsteps - 1].sch;
        p.nsteps--; /* the list's parent */
        parent = p.nsteps ? path_find(at, &p) : at;
        p.nsteps++;
    } else if (p.nsteps && p.steps[p.nsteps - 1].sch->kind == SCH_CONTAINER &&
               (list = sch_nokeyword_child(p.steps[p.nsteps - 1].sch)) != NULL &&
               list->kind == SCH_LIST) {
        /* "interfaces REGEX": the list typed without its keyword */
        parent = path_find(at, &p);
    } else {
        path_free(&p);
        return fail(e, n - 2, "syntax error: the path must name a list");
    }
    path_free(&p);
    if (regcomp(&re, w[n - 1], REG_EXTENDED | REG_NOSUB) != 0)
        return fail(e, n - 1, "invalid regular expression '%s'", w[n - 1]);
    for (c = parent ? cnode_first(parent, list) : NULL; c; c = next) {
        const char *key = cnode_key(c, 0);
        next = cnode_next_same(c);
        if (key == NULL || regexec(&re, key, 0, NULL, 0) != 0)
            continue;
        count++;
        if (matches) {
            buf_printf(matches, "  matched: %s\n", key);
        } else {
            cnode_free(c);
        }
    }
    regfree(&re);
    if (count == 0)
        return fail(e, (size_t)-1, "warning: no matches found");
    return count;
}

/* ---------- load ---------- */

/* The node at like's position in root's tree, creating the path. */
static struct cnode *mirror(struct cnode *root, const struct cnode *like)
{
    struct cnode *p;
    const char *keys[8];

    if (like->parent == NULL)
        return root;
    p = mirror(root, like->parent);
    if (like->sch->kind == SCH_LIST) {
        for (size_t i = 0; i < like->sch->nkeys && i < 8; i++)
            keys[i] = cnode_key(like, i);
        return cnode_get(p, like->sch, keys);
    }
    return cnode_get(p, like->sch, NULL);
}

struct cnode *cnode_locate(struct cnode *root, const struct cnode *like)
{
    struct cnode *p;

    if (like->parent == NULL)
        return root;
    p = cnode_locate(root, like->parent);
    return p ? cnode_find_like(p, like) : NULL;
}

static void clear_replace(struct cnode *n)
{
    n->replace = 0;
    for (struct cnode *c = n->child; c; c = c->next)
        clear_replace(c);
}

/* Merge src into dst; a src statement tagged replace replaces dst's. */
static void merge_replace(struct cnode *dst, const struct cnode *src)
{
    for (const struct cnode *s = src->child; s; s = s->next) {
        struct cnode *d = NULL;
        if (s->sch->flags & SCHF_KEY)
            continue;
        d = cnode_find_like(dst, s);
        if (d && s->replace) {
            cnode_free(d);
            d = NULL;
        }
        if (d == NULL) {
            struct cnode tmp = {0};
            tmp.sch = dst->sch;
            cnode_insert(&tmp, cnode_dup(s)); /* clear_choice via merge below */
            cnode_merge(dst, &tmp);
            cnode_free(tmp.child);
        } else if (s->sch->kind == SCH_CONTAINER || s->sch->kind == SCH_LIST) {
            if (s->comment) {
                free(d->comment);
                d->comment = strdup(s->comment);
            }
            d->inactive = s->inactive;
            cnode_touch(d);
            merge_replace(d, s);
        } else {
            cnode_merge(d, s);
        }
    }
}

int load_mode_parse(const char *name, enum load_mode *mode) /* LOAD_MODE_NAMES too */
{
    static const struct {
        const char *name;
        enum load_mode mode;
    } modes[] = {{"merge", LOAD_MERGE},
                 {"override", LOAD_OVERRIDE},
                 {"replace", LOAD_REPLACE},
                 {"update", LOAD_UPDATE},
                 {"set", LOAD_SET}};

    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
        if (strcmp(name, modes[i].name) == 0) {
            *mode = modes[i].mode;
            return 0;
        }
    return -1;
}

int op_load(struct conf *c, struct cnode *at, enum load_mode mode, enum load_format fmt,
            const char *text, struct load_result *r)
{
    struct conf *scratch;
    struct cnode *sat, *child, *next;
    int nerr;

    if (mode == LOAD_SET)
        return load_set(at, text, r);
    scratch = conf_new(c->schema);
    sat = mirror(scratch->root, at);
    switch (fmt) {
    case LOADF_TEXT:
        nerr = load_text(sat, text, r);
        break;
    case LOADF_SET:
        nerr = load_set(sat, text, r);
        break;
    case LOADF_XML:
        nerr = load_xml(sat, text, r);
        break;
    default:
        nerr = load_json(sat, text, r);
        break;
    }
    if (nerr == 0) {
        if (mode == LOAD_OVERRIDE || mode == LOAD_UPDATE) {
            for (child = at->child; child; child = next) {
                next = child->next;
                if (!(child->sch->flags & SCHF_KEY))
                    cnode_free(child);
            }
            clear_replace(sat);
            cnode_merge(at, sat);
        } else if (mode == LOAD_REPLACE) {
            merge_replace(at, sat);
            clear_replace(at);
        } else {
            clear_replace(sat);
            cnode_merge(at, sat);
        }
    }
    conf_free(scratch);
    return nerr;
}
