/*
 * walk.c: following typed words through a schema tree, for completion and
 * help.  The walk mirrors lib/conf/path.c's grammar (keywords and unique
 * prefixes, list keys, leaf values, leaf-lists in brackets, flat and
 * one-liner containers, operational arguments in any order) but tolerates
 * an unfinished line and says what may come next.
 *
 * The operational tree gets the CLI's own commands merged in (exit, quit,
 * set cli ..., show cli).  Existing names for list keys come from the
 * candidate (configuration mode: `show | display set` at the edit level)
 * or the committed configuration (operational mode), fetched from mgd when
 * first needed after each command.
 */
#include "cli.h"
#include "path.h"
#include "words.h"

#include <stdlib.h>
#include <string.h>

/* ---------- the CLI's own commands, merged into the op tree ---------- */

struct extra {
    const struct sch_node *parent;
    struct sch_node **kids; /* merged: the schema's children, then ours */
    size_t n;
};
static struct extra extras[4];
static size_t nextras;
static struct sch_node *own[16];
static size_t nown;

static struct sch_node *mk(const char *name, const char *help, enum sch_kind kind, const char *rpc,
                           const char *vh)
{
    struct sch_node *n = calloc(1, sizeof(*n));

    if (n == NULL || nown == sizeof(own) / sizeof(own[0]))
        abort();
    n->name = strdup(name);
    n->help = strdup(help);
    n->kind = kind;
    if (rpc) {
        n->rpc = strdup(rpc);
        n->flags |= SCHF_RPC;
    }
    if (vh)
        n->value_help = strdup(vh);
    own[nown++] = n;
    return n;
}

static void add_kid(struct sch_node *parent, struct sch_node *kid)
{
    parent->children = realloc(parent->children, (parent->nchildren + 1) * sizeof(kid));
    if (parent->children == NULL)
        abort();
    parent->children[parent->nchildren++] = kid;
    kid->parent = parent;
}

/* Graft our node under an op-tree node (merging by name). */
static void graft(const struct sch_node *at, struct sch_node *n)
{
    struct extra *e = NULL;

    for (size_t i = 0; i < at->nchildren; i++)
        if (strcmp(at->children[i]->name, n->name) == 0 && n->nchildren) {
            for (size_t k = 0; k < n->nchildren; k++)
                graft(at->children[i], n->children[k]);
            return;
        }
    for (size_t i = 0; i < nextras; i++)
        if (extras[i].parent == at)
            e = &extras[i];
    if (e == NULL) {
        if (nextras == sizeof(extras) / sizeof(extras[0]))
            abort();
        e = &extras[nextras++];
        e->parent = at;
        e->n = at->nchildren;
        e->kids = malloc((e->n + 1) * sizeof(*e->kids));
        if (e->kids == NULL)
            abort();
        memcpy(e->kids, at->children, e->n * sizeof(*e->kids));
    }
    e->kids = realloc(e->kids, (e->n + 1) * sizeof(*e->kids));
    if (e->kids == NULL)
        abort();
    e->kids[e->n++] = n;
}

void local_tree_init(struct schema *op)
{
    struct sch_node *set = mk("set", "Set CLI properties, date/time, craft interface message",
                              SCH_CONTAINER, NULL, NULL);
    struct sch_node *cli = mk("cli", "CLI properties", SCH_CONTAINER, NULL, NULL);
    struct sch_node *show = mk("show", "Show system information", SCH_CONTAINER, NULL, NULL);

    add_kid(cli, mk("screen-length", "Set number of lines on screen (0..100000)", SCH_LEAF,
                    "cli-screen-length", "screen-length"));
    add_kid(cli, mk("screen-width", "Set width of screen (0..1024)", SCH_LEAF, "cli-screen-width",
                    "screen-width"));
    add_kid(set, cli);
    add_kid(show,
            mk("cli", "Show command-line interface settings", SCH_CONTAINER, "cli-show", NULL));
    graft(op->root, mk("exit", "Exit the management session", SCH_CONTAINER, "cli-exit", NULL));
    graft(op->root, mk("quit", "Exit the management session", SCH_CONTAINER, "cli-exit", NULL));
    graft(op->root, set);
    graft(op->root, show);
}

void local_tree_free(void)
{
    for (size_t i = 0; i < nextras; i++)
        free(extras[i].kids);
    for (size_t i = 0; i < nown; i++) {
        free(own[i]->name);
        free(own[i]->help);
        free(own[i]->rpc);
        free(own[i]->value_help);
        free(own[i]->children);
        free(own[i]);
    }
    nextras = nown = 0;
}

size_t walk_kids(const struct sch_node *n, struct sch_node *const **out)
{
    for (size_t i = 0; i < nextras; i++)
        if (extras[i].parent == n) {
            *out = extras[i].kids;
            return extras[i].n;
        }
    *out = n->children;
    return n->nchildren;
}

/* ---------- existing names ---------- */

static struct path *names;
static size_t nnames;
static int names_valid;
static int names_off;

void names_enable(int on)
{
    names_off = !on;
}

void names_invalidate(void)
{
    for (size_t i = 0; i < nnames; i++)
        path_free(&names[i]);
    free(names);
    names = NULL;
    nnames = 0;
    names_valid = 0;
}

static void names_load(void)
{
    struct buf b;
    struct reply r;
    xmlNodePtr t;
    char *text = NULL;

    names_valid = 1;
    buf_init(&b);
    if (g_cli.mode == MODE_CONFIG)
        req_edit(&b, "show", "set-top", NULL, NULL, 0);
    else
        req_command(&b, "show configuration", "set", 0);
    if (rpc_call(b.s, &r, NULL, NULL) == 0 && !r.error) {
        if ((t = xchild(r.root, "output")) || (t = xchild(r.root, "configuration-set")))
            text = xcontent(t);
    }
    buf_free(&b);
    if (r.raw)
        reply_free(&r);
    for (char *line = text, *nl; line && *line; line = nl ? nl + 1 : line + strlen(line)) {
        struct words w;
        const char *err;
        size_t eo;
        nl = strchr(line, '\n');
        words_init(&w);
        if (words_split(&w, line, nl ? (size_t)(nl - line) : strlen(line), &err, &eo) == 0 &&
            w.n > 1 && strcmp(w.w[0], "set") == 0) {
            names = realloc(names, (nnames + 1) * sizeof(*names));
            if (names == NULL)
                abort();
            if (path_parse(conf_schema()->root, 0, w.w + 1, w.n - 1, PATH_SET, &names[nnames]) == 0)
                nnames++;
            else
                path_free(&names[nnames]);
        }
        words_free(&w);
    }
    free(text);
}

/* Key values (index key) of list `list` under the walk's steps [0, depth). */
static void add_names(const struct walk *w, size_t depth, const struct sch_node *list, size_t key,
                      const char *partial, struct clist *out)
{
    if (names_off)
        return;
    if (!names_valid)
        names_load();
    for (size_t i = 0; i < nnames; i++) {
        const struct path *p = &names[i];
        size_t k = 0, j;
        for (j = 0; j < p->nsteps && k < depth; j++) {
            const struct path_step *s = &p->steps[j];
            const struct wstep *ws = &w->steps[k];
            size_t v;
            if (s->sch != ws->sch || s->nvals != ws->nvals)
                break;
            for (v = 0; v < s->nvals && strcmp(s->vals[v], ws->vals[v]) == 0; v++)
                ;
            if (v < s->nvals)
                break;
            k++;
        }
        if (k == depth && j < p->nsteps && p->steps[j].sch == list && key < p->steps[j].nvals &&
            strncmp(p->steps[j].vals[key], partial, strlen(partial)) == 0)
            clist_add(out, CI_NAME, ' ', p->steps[j].vals[key], "");
    }
}

/* The names of the entries of the list a leaf refers to (o:ref: "access
 * profile"), wherever the candidate has them, each once. */
static void ref_names(const char *ref, const char *partial, struct clist *out)
{
    const struct schema *sc = conf_schema();
    const struct sch_node *list = sc ? sc->root : NULL;
    char buf[256], *save = NULL;

    snprintf(buf, sizeof(buf), "%s", ref);
    for (char *t = strtok_r(buf, " ", &save); t && list; t = strtok_r(NULL, " ", &save))
        list = sch_child(list, t);
    if (list == NULL || list->kind != SCH_LIST || names_off)
        return;
    if (!names_valid)
        names_load();
    for (size_t i = 0; i < nnames; i++)
        for (size_t j = 0; j < names[i].nsteps; j++) {
            const struct path_step *s = &names[i].steps[j];
            size_t k;
            if (s->sch != list || s->nvals == 0 ||
                strncmp(s->vals[0], partial, strlen(partial)) != 0)
                continue;
            for (k = 0; k < out->n && strcmp(out->v[k].name, s->vals[0]) != 0; k++)
                ;
            if (k == out->n)
                clist_add(out, CI_NAME, ' ', s->vals[0], "");
        }
}

/* ---------- the walk ---------- */

void walk_init(struct walk *w, const struct sch_node *at, int op, const struct sch_node *conf)
{
    memset(w, 0, sizeof(*w));
    w->cur = at;
    w->op = op;
    w->conf = conf;
    w->st = W_KEYWORD;
}

void walk_free(struct walk *w)
{
    for (size_t i = 0; i < w->nsteps; i++)
        for (size_t k = 0; k < w->steps[i].nvals; k++)
            free(w->steps[i].vals[k]);
    w->nsteps = 0;
}

static int keyword(const struct sch_node *c)
{
    return !(c->flags & (SCHF_KEY | SCHF_NO_KEYWORD));
}

static const struct sch_node *nokw_child(const struct sch_node *n)
{
    struct sch_node *const *k;
    size_t cnt = walk_kids(n, &k);

    for (size_t i = 0; i < cnt; i++)
        if (k[i]->flags & SCHF_NO_KEYWORD)
            return k[i];
    return NULL;
}

static const struct sch_node *match_kw(const struct sch_node *n, const char *word)
{
    struct sch_node *const *k;
    size_t cnt = walk_kids(n, &k), hits = 0;
    const struct sch_node *hit = NULL;

    for (size_t i = 0; i < cnt; i++)
        if (keyword(k[i]) && strcmp(k[i]->name, word) == 0)
            return k[i];
    for (size_t i = 0; i < cnt; i++)
        if (keyword(k[i]) && strncmp(k[i]->name, word, strlen(word)) == 0) {
            hit = k[i];
            hits++;
        }
    return hits == 1 ? hit : NULL;
}

static void push_step(struct walk *w, const struct sch_node *n)
{
    if (w->nsteps < WALK_MAX) {
        memset(&w->steps[w->nsteps], 0, sizeof(w->steps[0]));
        w->steps[w->nsteps++].sch = n;
    }
}

static int continues(const struct sch_node *cur)
{
    return (cur->flags & (SCHF_FLAT | SCHF_ONELINER | SCHF_RPC)) != 0;
}

static void after_value(struct walk *w)
{
    w->st = continues(w->cur) ? W_KEYWORD : W_END;
}

static int is_statement_path(const struct sch_node *n)
{
    return (n->flags & SCHF_REST) && n->value_help && !strcmp(n->value_help, "statement-path");
}

/* Enter statement c (a keyword just typed, or the no-keyword child). */
static void enter(struct walk *w, const struct sch_node *c)
{
    if (w->op && (c->flags & SCHF_RPC))
        w->rpc = c;
    if (w->op && w->ngiven < sizeof(w->given) / sizeof(w->given[0]))
        w->given[w->ngiven++] = c;
    switch (c->kind) {
    case SCH_CONTAINER:
        push_step(w, c);
        w->cur = c;
        w->ngiven = 0;
        w->st = W_KEYWORD;
        break;
    case SCH_LIST:
        push_step(w, c);
        w->pend = c;
        w->nkeys = 0;
        w->keymask = 0;
        w->key = 0;
        w->st = c->nkeys == 1 && !strcmp(c->keys[0]->name, "name") ? W_KEYVAL : W_KEYNAME;
        break;
    case SCH_FLAG:
        after_value(w);
        break;
    case SCH_LEAF:
    case SCH_LEAFLIST:
        w->pend = c;
        if (is_statement_path(c) && w->conf) {
            /* show configuration PATH: the configuration's statements */
            w->op = 0;
            w->rest = 1;
            w->cur = w->conf;
            w->st = W_KEYWORD;
            walk_free(w);
        } else {
            w->st = (c->flags & SCHF_REST) ? W_REST : W_VALUE;
        }
        break;
    }
}

int walk_word(struct walk *w, const char *word)
{
    const struct sch_node *c;

    w->words++;
    switch (w->st) {
    case W_KEYWORD:
        if (w->cur->kind != SCH_CONTAINER && w->cur->kind != SCH_LIST)
            break;
        if ((c = match_kw(w->cur, word)) != NULL) {
            enter(w, c);
            return 0;
        }
        if ((c = nokw_child(w->cur)) == NULL)
            break;
        enter(w, c);
        w->words--;
        return w->st == W_KEYWORD && w->rest ? walk_word(w, word)
               : w->st == W_KEYWORD          ? -1
                                             : walk_word(w, word);
    case W_KEYNAME:
        for (size_t k = 0; k < w->pend->nkeys; k++)
            if (!(w->keymask & (1u << k)) &&
                strncmp(w->pend->keys[k]->name, word, strlen(word)) == 0) {
                w->key = k;
                w->st = W_KEYVAL;
                return 0;
            }
        break;
    case W_KEYVAL: {
        struct wstep *s = &w->steps[w->nsteps ? w->nsteps - 1 : 0];
        if (w->nsteps && s->nvals < 4 && (s->vals[s->nvals] = strdup(word)) != NULL)
            s->nvals++;
        w->keymask |= 1u << w->key;
        if (++w->nkeys < w->pend->nkeys) {
            w->st = W_KEYNAME;
        } else {
            w->cur = w->pend;
            w->ngiven = 0;
            w->st = W_KEYWORD;
        }
        return 0;
    }
    case W_VALUE:
        if (w->pend->kind == SCH_LEAFLIST && strcmp(word, "[") == 0)
            w->st = W_LLVALUE;
        else
            after_value(w);
        return 0;
    case W_LLVALUE:
        if (strcmp(word, "]") == 0)
            after_value(w);
        return 0;
    case W_REST:
        return 0;
    case W_END:
    case W_ERROR:
        break;
    }
    w->st = W_ERROR;
    return -1;
}

int walk_edit_level(struct walk *w)
{
    struct words ws;
    const char *err;
    size_t eo;
    int rc = 0;

    words_init(&ws);
    words_split(&ws, g_cli.edit_path, strlen(g_cli.edit_path), &err, &eo);
    for (size_t i = 0; i < ws.n && rc == 0; i++)
        rc = walk_word(w, ws.w[i]);
    words_free(&ws);
    w->words = 0;
    return rc;
}

/* ---------- what may come next ---------- */

static char marker(const struct walk *w, const struct sch_node *c)
{
    if (w->op)
        return ' ';
    if (c->kind == SCH_CONTAINER || c->kind == SCH_LIST)
        return '>';
    return c->kind == SCH_LEAFLIST ? '+' : ' ';
}

static int excluded(const struct walk *w, const struct sch_node *c)
{
    if (!w->op)
        return 0;
    for (size_t i = 0; i < w->ngiven; i++)
        if (w->given[i] == c ||
            (c->choice && w->given[i]->choice == c->choice && w->given[i]->parent == c->parent))
            return 1;
    return 0;
}

/* A value: enumerations as keywords, otherwise "<value-help>" and the help. */
static void value_items(const struct sch_node *n, const char *help, const char *partial,
                        struct clist *out)
{
    const struct sch_type *t = n->type, *e;
    char name[128], h[512];

    for (e = t; e && e->nenums == 0; e = e->base)
        ;
    if (t && sch_type_is_enum(t) && e) {
        for (size_t i = 0; i < e->nenums; i++)
            if (strncmp(e->enums[i], partial, strlen(partial)) == 0)
                clist_add(out, CI_KEYWORD, ' ', e->enums[i], "");
        return;
    }
    snprintf(name, sizeof(name), "<%s>", sch_value_help(n));
    snprintf(h, sizeof(h), "%s", help && *help ? help : n->help ? n->help : "");
    for (e = t; e && !strstr(h, ".."); e = e->base)
        if (e->has_min && e->has_max) {
            size_t l = strlen(h);
            if (e->builtin == SB_SIGNED)
                snprintf(h + l, sizeof(h) - l, " (%lld..%lld)", (long long)e->min,
                         (long long)e->max);
            else
                snprintf(h + l, sizeof(h) - l, " (%llu..%llu)", (unsigned long long)e->umin,
                         (unsigned long long)e->umax);
            break;
        }
    clist_add(out, CI_VALUE, ' ', name, h);
}

static void keyword_items(const struct walk *w, const struct sch_node *n, const char *partial,
                          struct clist *out)
{
    struct sch_node *const *k;
    size_t cnt = walk_kids(n, &k);

    for (size_t i = 0; i < cnt; i++)
        if (keyword(k[i]) && !excluded(w, k[i]) &&
            strncmp(k[i]->name, partial, strlen(partial)) == 0)
            clist_add(out, CI_KEYWORD, marker(w, k[i]), k[i]->name, k[i]->help);
}

void walk_items(const struct walk *w, const char *partial, struct clist *out)
{
    const struct sch_node *nk, *key;

    switch (w->st) {
    case W_KEYWORD:
        if (w->cur->kind != SCH_CONTAINER && w->cur->kind != SCH_LIST)
            return;
        keyword_items(w, w->cur, partial, out);
        nk = nokw_child(w->cur);
        if (nk == NULL || excluded(w, nk))
            return;
        if (is_statement_path(nk) && w->conf) {
            struct walk sub;
            walk_init(&sub, w->conf, 0, NULL);
            keyword_items(&sub, w->conf, partial, out);
        } else if (nk->kind == SCH_LIST && nk->nkeys) {
            value_items(nk->keys[0], nk->keys[0]->help, partial, out);
            add_names(w, w->nsteps, nk, 0, partial, out);
        } else if (nk->kind == SCH_LEAF || nk->kind == SCH_LEAFLIST) {
            value_items(nk, NULL, partial, out);
        }
        break;
    case W_KEYNAME:
        for (size_t k = 0; k < w->pend->nkeys; k++) {
            key = w->pend->keys[k];
            if (!(w->keymask & (1u << k)) && strncmp(key->name, partial, strlen(partial)) == 0)
                clist_add(out, CI_KEYWORD, ' ', key->name, key->help);
        }
        break;
    case W_KEYVAL:
        key = w->pend->keys[w->key];
        value_items(key, key->help, partial, out);
        if (w->nsteps)
            add_names(w, w->nsteps - 1, w->pend, w->key, partial, out);
        break;
    case W_VALUE:
    case W_REST:
        value_items(w->pend, NULL, partial, out);
        if (w->pend->ref && !w->op)
            ref_names(w->pend->ref, partial, out);
        if (w->st == W_VALUE && w->pend->kind == SCH_LEAFLIST &&
            !strncmp("[", partial, strlen(partial)))
            clist_add(out, CI_KEYWORD, ' ', "[", "Open a set of values");
        break;
    case W_LLVALUE:
        value_items(w->pend, NULL, partial, out);
        if (w->pend->ref && !w->op)
            ref_names(w->pend->ref, partial, out);
        clist_add(out, CI_KEYWORD, ' ', "]", "Close a set of values");
        break;
    case W_END:
    case W_ERROR:
        break;
    }
}
