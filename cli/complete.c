/*
 * complete.c: what may be typed next, for TAB, space and `?`.
 *
 * Operational mode walks schema/op (plus the CLI's own commands);
 * configuration mode knows the configuration-mode commands (no schema
 * describes them: their words and help texts are Junos's) and walks the
 * configuration schema for their statement paths, relative to the edit
 * level.  After an unquoted '|' the pipe commands of junos.md 5.8.
 * help_format() prints the junos.md 5.7 list.
 */
#include "cli.h"
#include "words.h"

#include <stdlib.h>
#include <string.h>

const struct verb cfg_verbs[] = {
    {"activate", "Remove the inactive tag from a statement"},
    {"annotate", "Annotate the statement with a comment"},
    {"commit", "Commit current set of changes"},
    {"copy", "Copy a statement"},
    {"deactivate", "Add the inactive tag to a statement"},
    {"delete", "Delete a data element"},
    {"edit", "Edit a sub-element"},
    {"exit", "Exit from this level"},
    {"insert", "Insert a new ordered data element"},
    {"load", "Load configuration from ASCII file"},
    {"quit", "Quit from this level"},
    {"rename", "Rename a statement"},
    {"rollback", "Roll back to previous committed configuration"},
    {"run", "Run an operational-mode command"},
    {"save", "Save configuration to ASCII file"},
    {"set", "Set a parameter"},
    {"show", "Show a parameter"},
    {"status", "Show users currently editing configuration"},
    {"top", "Exit to top level of configuration"},
    {"up", "Exit one level of configuration"},
    {"wildcard", "Wildcard operations"},
    {NULL, NULL},
};

struct opt {
    const char *name, *help;
};

static const struct opt commit_opts[] = {
    {"and-quit", "Quit configuration mode if commit succeeds"},
    {"check", "Check correctness of syntax; do not apply changes"},
    {"comment", "Message to write to commit log"},
    {"confirmed", "Automatically rollback if not confirmed"},
    {"synchronize", "Synchronize commit on both Routing Engines"},
    {NULL, NULL},
};
static const struct opt load_opts[] = {
    {"factory-default", "Override existing configuration with factory default"},
    {"merge", "Merge contents with existing configuration"},
    {"override", "Override existing configuration"},
    {"replace", "Replace configuration data"},
    {"set", "Execute set of commands on existing configuration"},
    {"update", "Update existing configuration"},
    {NULL, NULL},
};
static const struct opt pipe_opts[] = {
    {"append", "Append output text to file"},
    {"compare", "Compare configuration changes with prior version"},
    {"count", "Count occurrences"},
    {"display", "Show additional kinds of information"},
    {"except", "Show only text that does not match a pattern"},
    {"find", "Search for first occurrence of pattern"},
    {"hold", "Hold text without exiting the --More-- prompt"},
    {"last", "Display end of output only"},
    {"match", "Show only text that matches a pattern"},
    {"no-more", "Don't paginate output"},
    {"save", "Save output text to file"},
    {"tee", "Write to standard output and file"},
    {"trim", "Trim specified number of columns from start of line"},
    {NULL, NULL},
};
static const struct opt display_opts[] = {
    {"inheritance", "Show inherited configuration data and source group"},
    {"json", "Show JSON output"},
    {"set", "Show 'set' commands that create configuration"},
    {"xml", "Show XML output"},
    {NULL, NULL},
};

void clist_add(struct clist *l, enum ci_kind kind, char marker, const char *name, const char *help)
{
    for (size_t i = 0; i < l->n; i++)
        if (strcmp(l->v[i].name, name) == 0)
            return;
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 32;
        l->v = realloc(l->v, l->cap * sizeof(*l->v));
        if (l->v == NULL)
            abort();
    }
    l->v[l->n].kind = kind;
    l->v[l->n].marker = marker;
    l->v[l->n].name = strdup(name);
    l->v[l->n].help = strdup(help ? help : "");
    if (l->v[l->n].name == NULL || l->v[l->n].help == NULL)
        abort();
    l->n++;
}

void clist_free(struct clist *l)
{
    for (size_t i = 0; i < l->n; i++) {
        free(l->v[i].name);
        free(l->v[i].help);
    }
    free(l->v);
    memset(l, 0, sizeof(*l));
}

const char *prefix_match(const char *const *names, const char *word, int *ambiguous)
{
    const char *hit = NULL;
    int n = 0;

    *ambiguous = 0;
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], word) == 0)
            return names[i];
    for (size_t i = 0; names[i]; i++)
        if (strncmp(names[i], word, strlen(word)) == 0) {
            hit = names[i];
            n++;
        }
    *ambiguous = n > 1;
    return n == 1 ? hit : NULL;
}

static const char *opt_match(const struct opt *o, const char *word, int *ambiguous)
{
    const char *names[32];
    size_t n = 0;

    for (; o[n].name && n < 31; n++)
        names[n] = o[n].name;
    names[n] = NULL;
    return prefix_match(names, word, ambiguous);
}

const char *verb_match(const char *word, int *ambiguous)
{
    return opt_match((const struct opt *)cfg_verbs, word, ambiguous);
}

static void opts_items(const struct opt *o, const char *partial, struct clist *out)
{
    for (; o->name; o++)
        if (strncmp(o->name, partial, strlen(partial)) == 0)
            clist_add(out, CI_KEYWORD, ' ', o->name, o->help);
}

/* Options not given yet among words [from, n). */
static void opts_left(const struct opt *o, const char *partial, struct clist *out, struct words *ws,
                      size_t from)
{
    for (; o->name; o++) {
        size_t i;
        for (i = from; i < ws->n; i++)
            if (*ws->w[i] && strncmp(o->name, ws->w[i], strlen(ws->w[i])) == 0)
                break;
        if (i == ws->n && strncmp(o->name, partial, strlen(partial)) == 0)
            clist_add(out, CI_KEYWORD, ' ', o->name, o->help);
    }
}

static void enter_item(struct clist *out)
{
    clist_add(out, CI_ENTER, ' ', "<[Enter]>", "Execute this command");
}

static void pipe_item(struct clist *out)
{
    clist_add(out, CI_PIPE, ' ', "|", "Pipe through a command");
}

/* Commit history for `rollback ?`: "N  DATE by USER via CLIENT". */
static void rollback_items(const char *partial, struct clist *out)
{
    struct buf b;
    struct reply r;
    xmlNodePtr ci;

    buf_init(&b);
    req_command(&b, "show system commit", NULL, 0);
    if (rpc_call(b.s, &r, NULL, NULL) == 0 && (ci = xchild(r.root, "commit-information"))) {
        for (xmlNodePtr h = ci->children; h; h = h->next) {
            char seq[16], when[64], user[64], client[32], help[256];
            if (h->type != XML_ELEMENT_NODE || strcmp((const char *)h->name, "commit-history"))
                continue;
            xtext(h, "sequence-number", seq, sizeof(seq));
            snprintf(help, sizeof(help), "%s by %s via %s", xtext(h, "date-time", when, 64),
                     xtext(h, "user", user, 64), xtext(h, "client", client, 32));
            if (strncmp(seq, partial, strlen(partial)) == 0)
                clist_add(out, CI_NAME, ' ', seq, help);
        }
    }
    reply_free(&r);
    buf_free(&b);
}

/* Walk words [from, n) of a statement path; 0 or -1. */
static int walk_path(struct walk *w, struct words *ws, size_t from, size_t n, int top)
{
    walk_init(w, conf_schema()->root, 0, NULL);
    if (!top && walk_edit_level(w) < 0)
        return -1;
    for (size_t i = from; i < n; i++)
        if (walk_word(w, ws->w[i]) < 0)
            return -1;
    return 0;
}

/* Enter is possible after a statement path (keys and values may be
 * omitted by the commands that only look things up). */
static int path_complete(const struct walk *w, int lookup)
{
    if (w->st == W_KEYWORD || w->st == W_END)
        return 1;
    if (lookup && (w->st == W_VALUE || (w->st == W_KEYVAL && w->nkeys == 0)))
        return 1;
    return 0;
}

static void op_items(struct words *ws, size_t from, const char *partial, struct clist *out)
{
    struct walk w;

    walk_init(&w, op_schema()->root, 1, conf_schema()->root);
    for (size_t i = from; i < ws->n; i++)
        if (walk_word(&w, ws->w[i]) < 0) {
            walk_free(&w);
            return;
        }
    walk_items(&w, partial, out);
    if (w.rpc && (path_complete(&w, w.rest) || w.st == W_REST)) {
        enter_item(out);
        if (strncmp(w.rpc->rpc, "cli-", 4) != 0)
            pipe_item(out);
    }
    walk_free(&w);
}

/* rename|copy PATH to IDENTIFIER, insert PATH (before|after) IDENTIFIER:
 * the identifier is relative to the list of PATH's last entry. */
static void two_part(struct words *ws, size_t from, const char *partial, struct clist *out, int top,
                     const char *v)
{
    size_t n = ws->n, sep = 0;
    struct walk w, w2;
    const struct sch_node *list = NULL;
    struct clist all = {0};

    for (size_t i = from + 2; i < n; i++)
        if (!strcmp(ws->w[i], v[0] == 'i' ? "before" : "to") ||
            (v[0] == 'i' && !strcmp(ws->w[i], "after")))
            sep = i;
    if (walk_path(&w, ws, from + 1, sep ? sep : n, top) < 0) {
        walk_free(&w);
        return;
    }
    if (w.nsteps && w.steps[w.nsteps - 1].sch->kind == SCH_LIST && w.st == W_KEYWORD)
        list = w.steps[w.nsteps - 1].sch;
    if (sep == 0) {
        walk_items(&w, partial, out);
        if (list && w.cur == list && v[0] == 'i') {
            clist_add(out, CI_KEYWORD, ' ', "before", "Insert before given data element");
            clist_add(out, CI_KEYWORD, ' ', "after", "Insert after given data element");
        } else if (list && w.cur == list) {
            clist_add(out, CI_KEYWORD, ' ', "to", v[0] == 'r' ? "New name" : "Copy to");
        }
        walk_free(&w);
        return;
    }
    walk_free(&w);
    if (list == NULL || list->parent == NULL)
        return;
    walk_init(&w2, list->parent, 0, NULL);
    for (size_t i = sep + 1; i < n; i++)
        if (walk_word(&w2, ws->w[i]) < 0)
            return;
    walk_items(&w2, partial, &all);
    for (size_t i = 0; i < all.n; i++)
        if (sep + 1 < n || all.v[i].kind != CI_KEYWORD || !strcmp(all.v[i].name, list->name))
            clist_add(out, all.v[i].kind, all.v[i].marker, all.v[i].name, all.v[i].help);
    if (sep + 1 < n && w2.cur == list && w2.st == W_KEYWORD)
        enter_item(out);
    clist_free(&all);
    walk_free(&w2);
}

static void cfg_items(struct words *ws, size_t from, const char *partial, struct clist *out,
                      int top)
{
    int amb;
    const char *v, *o;
    size_t n = ws->n, args = n - from - 1;
    struct walk w;

    if (from == n) {
        opts_items((const struct opt *)cfg_verbs, partial, out);
        return;
    }
    if ((v = verb_match(ws->w[from], &amb)) == NULL)
        return;
    if (!strcmp(v, "run")) {
        op_items(ws, from + 1, partial, out);
    } else if (!strcmp(v, "top")) {
        if (args == 0)
            enter_item(out);
        cfg_items(ws, from + 1, partial, out, 1);
    } else if (!strcmp(v, "commit")) {
        const char *last = args ? ws->w[n - 1] : "";
        if (args && (o = opt_match(commit_opts, last, &amb)) && !strcmp(o, "comment")) {
            clist_add(out, CI_VALUE, ' ', "<comment>", "Message to write to commit log");
            return;
        }
        if (args && (o = opt_match(commit_opts, last, &amb)) && !strcmp(o, "confirmed"))
            clist_add(out, CI_VALUE, ' ', "<minutes>",
                      "Number of minutes until rollback (1..65535)");
        opts_left(commit_opts, partial, out, ws, from + 1);
        enter_item(out);
        pipe_item(out);
    } else if (!strcmp(v, "load")) {
        if (args == 0) {
            opts_items(load_opts, partial, out);
        } else if (args == 1 && (o = opt_match(load_opts, ws->w[from + 1], &amb)) &&
                   strcmp(o, "factory-default")) {
            clist_add(out, CI_VALUE, ' ', "<filename>", "Filename (URL, local, remote, or floppy)");
            if (!strncmp("terminal", partial, strlen(partial)))
                clist_add(out, CI_KEYWORD, ' ', "terminal", "Use login terminal");
        } else if (args == 2 && !strncmp("relative", partial, strlen(partial))) {
            clist_add(out, CI_KEYWORD, ' ', "relative",
                      "Load configuration relative to current edit level");
            enter_item(out);
        } else {
            enter_item(out);
        }
    } else if (!strcmp(v, "rollback")) {
        enter_item(out);
        if (args == 0)
            rollback_items(partial, out);
    } else if (!strcmp(v, "save")) {
        if (args == 0)
            clist_add(out, CI_VALUE, ' ', "<filename>", "Filename (URL, local, remote, or floppy)");
        else
            enter_item(out);
    } else if (!strcmp(v, "up")) {
        enter_item(out);
        if (args == 0)
            clist_add(out, CI_VALUE, ' ', "<count>", "Number of levels to move up");
    } else if (!strcmp(v, "exit") || !strcmp(v, "quit")) {
        enter_item(out);
        if (args == 0 && !strncmp("configuration-mode", partial, strlen(partial)))
            clist_add(out, CI_KEYWORD, ' ', "configuration-mode", "Exit from configuration mode");
    } else if (!strcmp(v, "status")) {
        enter_item(out);
    } else if (!strcmp(v, "wildcard")) {
        const char *const del[] = {"delete", NULL};
        if (args == 0) {
            if (!strncmp("delete", partial, strlen(partial)))
                clist_add(out, CI_KEYWORD, ' ', "delete", "Delete matching data elements");
        } else if (prefix_match(del, ws->w[from + 1], &amb) &&
                   walk_path(&w, ws, from + 2, n, top) == 0) {
            struct clist all = {0};
            walk_items(&w, partial, &all);
            for (size_t i = 0; i < all.n; i++)
                if (all.v[i].kind == CI_KEYWORD && w.st == W_KEYWORD)
                    clist_add(out, all.v[i].kind, all.v[i].marker, all.v[i].name, all.v[i].help);
                else if (all.v[i].kind == CI_VALUE)
                    clist_add(out, CI_VALUE, ' ', "<regexp>", "Regular expression for the names");
            clist_free(&all);
            walk_free(&w);
        } else {
            walk_free(&w);
        }
    } else if (!strcmp(v, "rename") || !strcmp(v, "copy") || !strcmp(v, "insert")) {
        two_part(ws, from, partial, out, top, v);
    } else {
        /* statement paths: set, delete, edit, show, activate, deactivate, annotate */
        int lookup = strcmp(v, "set") && strcmp(v, "edit");
        if (walk_path(&w, ws, from + 1, n, top) < 0) {
            walk_free(&w);
            return;
        }
        walk_items(&w, partial, out);
        if (!strcmp(v, "annotate")) {
            if (args > 0 && path_complete(&w, 1))
                clist_add(out, CI_VALUE, ' ', "<comment>", "Comment text");
        } else if ((args > 0 || !strcmp(v, "show") || !strcmp(v, "delete")) &&
                   path_complete(&w, lookup)) {
            enter_item(out);
            if (!strcmp(v, "show"))
                pipe_item(out);
        }
        walk_free(&w);
    }
}

/* After a '|': the pipe commands and their arguments. */
static void pipe_items(struct words *ws, const char *partial, struct clist *out, int compare)
{
    int amb;
    const char *p = ws->n ? opt_match(pipe_opts, ws->w[0], &amb) : NULL;

    if (ws->n == 0) {
        for (const struct opt *o = pipe_opts; o->name; o++)
            if ((compare || strcmp(o->name, "compare")) &&
                strncmp(o->name, partial, strlen(partial)) == 0)
                clist_add(out, CI_KEYWORD, ' ', o->name, o->help);
        return;
    }
    if (p == NULL)
        return;
    if (!strcmp(p, "display")) {
        if (ws->n == 1) {
            opts_items(display_opts, partial, out);
            return;
        }
        if (ws->n == 2 && opt_match(display_opts, ws->w[1], &amb) &&
            !strcmp(opt_match(display_opts, ws->w[1], &amb), "set") &&
            !strncmp("relative", partial, strlen(partial)))
            clist_add(out, CI_KEYWORD, ' ', "relative", "Show set commands relative to level");
    } else if (!strcmp(p, "compare")) {
        if (ws->n == 1 && !strncmp("rollback", partial, strlen(partial)))
            clist_add(out, CI_KEYWORD, ' ', "rollback", "Compare with a rollback configuration");
        if (ws->n == 2) {
            clist_add(out, CI_VALUE, ' ', "<number>", "Index of rollback configuration (0..49)");
            return;
        }
    } else if (ws->n == 1 && (!strcmp(p, "match") || !strcmp(p, "except") || !strcmp(p, "find"))) {
        clist_add(out, CI_VALUE, ' ', "<pattern>", "Pattern to match against");
        return;
    } else if (ws->n == 1 && (!strcmp(p, "save") || !strcmp(p, "append") || !strcmp(p, "tee"))) {
        clist_add(out, CI_VALUE, ' ', "<filename>", "Output file name");
        return;
    } else if (ws->n == 1 && !strcmp(p, "trim")) {
        clist_add(out, CI_VALUE, ' ', "<columns>", "Number of columns to trim (0..100000)");
        return;
    } else if (ws->n == 1 && !strcmp(p, "last")) {
        clist_add(out, CI_VALUE, ' ', "<lines>", "Number of lines to display from end of output");
    }
    enter_item(out);
    pipe_item(out);
}

/* May `| compare` follow the command part? (show in configuration
 * mode, show configuration in operational mode) */
static int compare_ok(struct words *cw)
{
    int amb;
    struct walk w;
    int ok;
    size_t i = 0;

    if (cw->n == 0)
        return 0;
    if (g_cli.mode == MODE_CONFIG) {
        const char *v = verb_match(cw->w[0], &amb);
        if (v && !strcmp(v, "show"))
            return 1;
        if (!v || strcmp(v, "run"))
            return 0;
        i = 1;
    }
    walk_init(&w, op_schema()->root, 1, NULL);
    for (; i < cw->n; i++)
        walk_word(&w, cw->w[i]);
    ok = w.rpc && w.rpc->rpc && !strcmp(w.rpc->rpc, "get-configuration");
    walk_free(&w);
    return ok;
}

int complete(const char *text, struct clist *out, size_t *poff)
{
    size_t len = strlen(text), cut = pipe_split(text), start = 0, eo;
    struct words ws, cw;
    const char *err;
    char *partial = NULL;
    int q = 0;

    /* inside an open quote? */
    for (size_t i = 0; i < len; i++) {
        if (q && text[i] == '\\' && text[i + 1])
            i++;
        else if (text[i] == '"')
            q = !q;
    }
    if (q)
        return -1;
    /* the segment being typed: after the last unquoted '|' */
    for (size_t at = cut; at < len; at += 1 + pipe_split(text + at + 1))
        start = at + 1;
    words_init(&ws);
    if (words_split(&ws, text + start, len - start, &err, &eo) < 0) {
        words_free(&ws);
        return -1;
    }
    *poff = len;
    if (ws.n > 0 && len > start && !strchr(" \t", text[len - 1])) {
        partial = ws.w[--ws.n];
        *poff = start + ws.off[ws.n];
    }
    if (start > 0) {
        words_init(&cw);
        words_split(&cw, text, cut, &err, &eo);
        pipe_items(&ws, partial ? partial : "", out, compare_ok(&cw));
        words_free(&cw);
    } else if (g_cli.mode == MODE_CONFIG) {
        cfg_items(&ws, 0, partial ? partial : "", out, 0);
    } else {
        op_items(&ws, 0, partial ? partial : "", out);
    }
    free(partial);
    words_free(&ws);
    return 0;
}

static int rank(enum ci_kind k)
{
    return k == CI_ENTER ? 0 : k == CI_VALUE ? 1 : k == CI_PIPE ? 3 : 2;
}

static int cmp_items(const void *a, const void *b)
{
    const struct citem *x = a, *y = b;

    if (rank(x->kind) != rank(y->kind))
        return rank(x->kind) - rank(y->kind);
    return strcmp(x->name, y->name);
}

void help_format(struct buf *b, struct clist *l)
{
    if (l->n == 0) {
        buf_puts(b, "No valid completions\n");
        return;
    }
    qsort(l->v, l->n, sizeof(*l->v), cmp_items);
    buf_puts(b, "Possible completions:\n");
    for (size_t i = 0; i < l->n; i++) {
        size_t start = b->len;
        buf_printf(b, "%c %-20s %s", l->v[i].marker, l->v[i].name, l->v[i].help);
        while (b->len > start && b->s[b->len - 1] == ' ')
            b->s[--b->len] = '\0';
        buf_putc(b, '\n');
    }
}
