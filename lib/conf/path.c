/* path.c: see path.h */
#include "path.h"
#include "buf.h"
#include "log.h"
#include "secret9.h"
#include "words.h"

#include <openssl/crypto.h>

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *xstrdup(const char *s)
{
    char *p = strdup(s);

    if (p == NULL)
        fatal("strdup");
    return p;
}

int is_wildcard_name(const char *s)
{
    size_t n = strlen(s);

    return n >= 3 && s[0] == '<' && s[n - 1] == '>';
}

int cnode_in_group(const struct cnode *n)
{
    for (; n; n = n->parent)
        if (n->sch->flags & SCHF_GROUPS)
            return 1;
    return 0;
}

static void set_err(struct path *p, enum path_err e, size_t word, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_err(struct path *p, enum path_err e, size_t word, const char *fmt, ...)
{
    va_list ap;

    p->err = e;
    p->bad_word = word;
    va_start(ap, fmt);
    vsnprintf(p->msg, sizeof(p->msg), fmt, ap);
    va_end(ap);
}

static struct path_step *add_step(struct path *p, const struct sch_node *sch, int descend)
{
    struct path_step *s;

    p->steps = realloc(p->steps, (p->nsteps + 1) * sizeof(*p->steps));
    if (p->steps == NULL)
        fatal("realloc");
    s = &p->steps[p->nsteps++];
    memset(s, 0, sizeof(*s));
    s->sch = sch;
    s->descend = descend;
    return s;
}

static void step_val(struct path_step *s, const char *v)
{
    s->vals = realloc(s->vals, (s->nvals + 1) * sizeof(*s->vals));
    if (s->vals == NULL)
        fatal("realloc");
    s->vals[s->nvals++] = xstrdup(v);
}

void path_free(struct path *p)
{
    for (size_t i = 0; i < p->nsteps; i++) {
        for (size_t j = 0; j < p->steps[i].nvals; j++) {
            if (p->steps[i].sch->flags & SCHF_SECRET)
                OPENSSL_cleanse(p->steps[i].vals[j], strlen(p->steps[i].vals[j]));
            free(p->steps[i].vals[j]);
        }
        free(p->steps[i].vals);
    }
    free(p->steps);
    p->steps = NULL;
    p->nsteps = 0;
}

/* A keyword child of n matching word: exact name, or a unique prefix.
 * Keys and no-keyword children are not keywords. */
static const struct sch_node *match_keyword(const struct sch_node *n, const char *word,
                                            struct path *p, size_t wi)
{
    const struct sch_node *hit = NULL;
    int count = 0;
    char cands[400] = "";

    for (size_t i = 0; i < n->nchildren; i++) {
        const struct sch_node *c = n->children[i];
        if (c->flags & (SCHF_KEY | SCHF_NO_KEYWORD))
            continue;
        if (strcmp(c->name, word) == 0)
            return c;
    }
    for (size_t i = 0; i < n->nchildren; i++) {
        const struct sch_node *c = n->children[i];
        if (c->flags & (SCHF_KEY | SCHF_NO_KEYWORD))
            continue;
        if (strncmp(c->name, word, strlen(word)) == 0) {
            hit = c;
            count++;
            if (strlen(cands) + strlen(c->name) + 2 < sizeof(cands)) {
                strcat(cands, " ");
                strcat(cands, c->name);
            }
        }
    }
    if (count > 1) {
        set_err(p, PE_AMBIGUOUS, wi, "'%s' is ambiguous.\nPossible completions:%s", word, cands);
        return NULL;
    }
    return hit;
}

/* Value of a leaf: enumeration keywords may be abbreviated. */
static int take_value(const struct sch_node *leaf, const char *word, int in_group, char **out,
                      struct path *p, size_t wi)
{
    const struct sch_type *t = leaf->type;
    char msg[400];

    if (t == NULL) {
        set_err(p, PE_SYNTAX, wi, "syntax error.");
        return -1;
    }
    if (in_group && (leaf->flags & SCHF_KEY) && is_wildcard_name(word)) {
        *out = xstrdup(word);
        return 0;
    }
    if (sch_type_valid(t, word)) {
        *out = xstrdup(word);
        return 0;
    }
    if (sch_type_is_enum(t)) {
        const struct sch_type *e = t;
        const char *hit = NULL;
        int count = 0;
        while (e && e->nenums == 0)
            e = e->base;
        for (size_t i = 0; e && i < e->nenums; i++)
            if (strncmp(e->enums[i], word, strlen(word)) == 0) {
                hit = e->enums[i];
                count++;
            }
        if (count == 1 && sch_type_valid(t, hit)) {
            *out = xstrdup(hit);
            return 0;
        }
        set_err(p, PE_SYNTAX, wi, "syntax error.");
        return -1;
    }
    if ((leaf->flags & SCHF_SECRET9) && secret9_is_encoded(word)) {
        *out = xstrdup(word); /* checked when applied */
        return 0;
    }
    sch_check_value(t, word, msg, sizeof(msg));
    set_err(p, PE_VALUE, wi, "%s", msg);
    return -1;
}

static int parse_keys(const struct sch_node *list, int in_group, char *const *words, size_t n,
                      size_t *i, enum path_mode mode, struct path_step *st, struct path *p)
{
    char **vals = calloc(list->nkeys, sizeof(char *));
    size_t filled = 0;
    int rc = -1;

    if (vals == NULL)
        fatal("calloc");
    while (filled < list->nkeys) {
        size_t k;
        if (*i >= n) {
            if (mode == PATH_FIND && filled == 0) {
                st->all = 1;
                rc = 0;
                goto out;
            }
            set_err(p, PE_MISSING, n, "missing argument.");
            goto out;
        }
        if (list->nkeys == 1 && strcmp(list->keys[0]->name, "name") == 0) {
            k = 0;
        } else {
            for (k = 0; k < list->nkeys; k++)
                if (vals[k] == NULL && strcmp(list->keys[k]->name, words[*i]) == 0)
                    break;
            if (k == list->nkeys) {
                set_err(p, PE_SYNTAX, *i, "syntax error.");
                goto out;
            }
            (*i)++;
            if (*i >= n) {
                set_err(p, PE_MISSING, n, "missing argument.");
                goto out;
            }
        }
        if (take_value(list->keys[k], words[*i], in_group, &vals[k], p, *i) < 0)
            goto out;
        (*i)++;
        filled++;
    }
    for (size_t k = 0; k < list->nkeys; k++)
        step_val(st, vals[k]);
    rc = 0;
out:
    for (size_t k = 0; k < list->nkeys; k++)
        free(vals[k]);
    free(vals);
    return rc;
}

/* May parsing continue at cur after a value-carrying statement?  In a
 * set, as in Junos, further statements of the same level may follow
 * ("set system login user u uid 2001 class super-user"); a lookup names
 * one statement, except in flat and oneliner containers and RPCs. */
static int continues(const struct sch_node *cur, enum path_mode mode)
{
    return mode == PATH_SET || (cur->flags & (SCHF_FLAT | SCHF_ONELINER | SCHF_RPC)) != 0;
}

/* An operational argument that takes the rest of the line (a
 * configuration path after "show configuration"). */
static void rest_value(struct path_step *st, char *const *words, size_t n, size_t *i)
{
    struct buf b;

    buf_init(&b);
    for (; *i < n; (*i)++) {
        if (b.len)
            buf_putc(&b, ' ');
        if (word_needs_quotes(words[*i]))
            buf_printf(&b, "\"%s\"", words[*i]);
        else
            buf_puts(&b, words[*i]);
    }
    step_val(st, b.s ? b.s : "");
    buf_free(&b);
}

int path_parse(const struct sch_node *at, int in_group, char *const *words, size_t n,
               enum path_mode mode, struct path *p)
{
    const struct sch_node *cur = at;
    size_t i = 0;

    memset(p, 0, sizeof(*p));
    while (i < n) {
        const struct sch_node *c;
        struct path_step *st;

        if (cur->kind != SCH_CONTAINER && cur->kind != SCH_LIST) {
            set_err(p, PE_SYNTAX, i, "syntax error.");
            return -1;
        }
        c = match_keyword(cur, words[i], p, i);
        if (c == NULL && p->err)
            return -1;
        if (c)
            i++;
        else if ((c = sch_nokeyword_child(cur)) == NULL) {
            set_err(p, PE_SYNTAX, i, "syntax error.");
            return -1;
        }
        switch (c->kind) {
        case SCH_CONTAINER:
            add_step(p, c, 1);
            cur = c;
            break;
        case SCH_LIST:
            st = add_step(p, c, 1);
            if (parse_keys(c, in_group, words, n, &i, mode, st, p) < 0)
                return -1;
            if (c->flags & SCHF_GROUPS)
                in_group = 1;
            if (st->all)
                return 0;
            cur = c;
            break;
        case SCH_FLAG:
            add_step(p, c, 0);
            if (i < n && !continues(cur, mode)) {
                set_err(p, PE_SYNTAX, i, "syntax error.");
                return -1;
            }
            break;
        case SCH_LEAF:
        case SCH_LEAFLIST: {
            char *v;
            st = add_step(p, c, 0);
            if (c->flags & SCHF_REST) {
                rest_value(st, words, n, &i);
                break;
            }
            if (i >= n) {
                if (mode == PATH_FIND)
                    return 0;
                set_err(p, PE_MISSING, i, "missing argument.");
                return -1;
            }
            if (c->kind == SCH_LEAFLIST && strcmp(words[i], "[") == 0) {
                i++;
                while (i < n && strcmp(words[i], "]") != 0) {
                    if (take_value(c, words[i], in_group, &v, p, i) < 0)
                        return -1;
                    step_val(st, v);
                    free(v);
                    i++;
                }
                if (i >= n) {
                    set_err(p, PE_MISSING, i, "missing argument.");
                    return -1;
                }
                i++;
                if (st->nvals == 0) {
                    set_err(p, PE_MISSING, i - 1, "missing argument.");
                    return -1;
                }
            } else {
                if (take_value(c, words[i], in_group, &v, p, i) < 0)
                    return -1;
                step_val(st, v);
                free(v);
                i++;
            }
            if (i < n && !continues(cur, mode)) {
                set_err(p, PE_SYNTAX, i, "syntax error.");
                return -1;
            }
            break;
        }
        }
    }
    return 0;
}

/* Store a secret leaf's value: $9$ must decode, plain text is encoded. */
static int secret_value(const struct sch_node *leaf, const char *v, char **out, struct path *p)
{
    if (!(leaf->flags & SCHF_SECRET9)) {
        *out = xstrdup(v);
        return 0;
    }
    if (secret9_is_encoded(v)) {
        /* it must decode, to a value of the leaf's type (the digits of a
         * hexadecimal key), which is not echoed */
        int bad = secret9_valid(v, leaf->type);
        if (bad < 0) {
            set_err(p, PE_VALUE, 0,
                    bad == -1 ? "invalid encrypted value '%s'"
                              : "invalid encrypted value '%s': not a valid "
                                "key once decoded",
                    v);
            return -1;
        }
        *out = xstrdup(v);
        return 0;
    }
    *out = secret9_encode(v, strlen(v));
    if (*out == NULL)
        fatal("secret9_encode");
    return 0;
}

int path_apply_set(struct cnode *at, struct path *p, struct cnode **last)
{
    struct cnode *cur = at, *n = at;

    /* prompting statements exist for the CLI's completion and help only:
     * loaders refuse them before creating anything (mgd's `set` answers
     * them with a prompt) */
    for (size_t i = 0; i < p->nsteps; i++)
        if (p->steps[i].sch->flags & SCHF_PASSWORD_PROMPT) {
            p->err = PE_VALUE;
            p->bad_word = 0;
            snprintf(p->msg, sizeof(p->msg),
                     "%s is typed in the CLI only (it prompts for the password); give %s "
                     "instead",
                     p->steps[i].sch->name, p->steps[i].sch->prompt_to);
            return -1;
        }
    for (size_t i = 0; i < p->nsteps; i++) {
        struct path_step *s = &p->steps[i];
        char *v;

        switch (s->sch->kind) {
        case SCH_CONTAINER:
        case SCH_FLAG:
            n = cnode_get(cur, s->sch, NULL);
            break;
        case SCH_LIST:
            n = cnode_get(cur, s->sch, (const char *const *)s->vals);
            break;
        case SCH_LEAF:
            if (secret_value(s->sch, s->vals[0], &v, p) < 0)
                return -1;
            n = cnode_set_leaf(cur, s->sch, v);
            free(v);
            break;
        case SCH_LEAFLIST:
            for (size_t j = 0; j < s->nvals; j++)
                n = cnode_get(cur, s->sch, (const char *const *)&s->vals[j]);
            break;
        }
        if (s->descend)
            cur = n;
    }
    if (last)
        *last = n;
    return 0;
}

struct cnode *path_find(struct cnode *at, const struct path *p)
{
    struct cnode *cur = at, *n = at;

    for (size_t i = 0; i < p->nsteps; i++) {
        const struct path_step *s = &p->steps[i];

        if (s->all || (s->sch->kind == SCH_LEAFLIST && s->nvals == 0))
            n = cnode_first(cur, s->sch);
        else if (s->sch->kind == SCH_LIST || s->sch->kind == SCH_LEAFLIST)
            n = cnode_find(cur, s->sch, (const char *const *)s->vals);
        else
            n = cnode_find(cur, s->sch, NULL);
        if (n == NULL)
            return NULL;
        if (s->descend)
            cur = n;
    }
    return n;
}

int path_apply_delete(struct cnode *at, const struct path *p)
{
    const struct path_step *s;
    struct cnode *n, *parent;
    int removed = 0;

    if (p->nsteps == 0)
        return -1;
    s = &p->steps[p->nsteps - 1];
    n = path_find(at, p);
    if (n == NULL)
        return -1;
    parent = n->parent;
    if (s->all || (s->sch->kind == SCH_LEAFLIST && s->nvals == 0)) {
        struct cnode *c, *next;
        for (c = cnode_first(parent, s->sch); c; c = next) {
            next = cnode_next_same(c);
            cnode_free(c);
            removed++;
        }
    } else if (s->sch->kind == SCH_LEAFLIST) {
        for (size_t j = 0; j < s->nvals; j++) {
            struct cnode *e = cnode_find(parent, s->sch, (const char *const *)&s->vals[j]);
            if (e) {
                cnode_free(e);
                removed++;
            }
        }
    } else {
        cnode_free(n);
        removed = 1;
    }
    /* containers left empty by the delete go too */
    while (parent && parent != at && parent->sch->kind == SCH_CONTAINER && parent->child == NULL) {
        struct cnode *up = parent->parent;
        cnode_free(parent);
        parent = up;
    }
    return removed ? 0 : -1;
}

static int line_op(struct cnode *at, const char *line, char *err, size_t errlen, int del)
{
    struct words w;
    struct path p;
    const char *e;
    size_t eo;
    int rc = -1;

    words_init(&w);
    if (words_split(&w, line, strlen(line), &e, &eo) < 0) {
        snprintf(err, errlen, "%s", e);
        words_free(&w);
        return -1;
    }
    if (path_parse(at->sch, cnode_in_group(at), w.w, w.n, del ? PATH_FIND : PATH_SET, &p) < 0) {
        snprintf(err, errlen, "%s", p.msg);
    } else if (del) {
        rc = path_apply_delete(at, &p);
        if (rc < 0)
            snprintf(err, errlen, "statement not found");
    } else {
        rc = path_apply_set(at, &p, NULL);
        if (rc < 0)
            snprintf(err, errlen, "%s", p.msg);
    }
    path_free(&p);
    words_free(&w);
    return rc;
}

int conf_set_line(struct cnode *at, const char *line, char *err, size_t errlen)
{
    return line_op(at, line, err, errlen, 0);
}

int conf_delete_line(struct cnode *at, const char *line, char *err, size_t errlen)
{
    return line_op(at, line, err, errlen, 1);
}
