/*
 * load_text.c: loaders for brace text ("load merge terminal", stored
 * configurations) and for set/delete/activate/deactivate/annotate lines
 * ("load set").
 *
 * Brace text is read as statements: the words up to ';' or '{'.  A block
 * opener names a node (container or list entry) that the statements inside
 * are relative to; an opener that names a block list without keys
 * ("allowed-proxy-pair {") makes its words a prefix of the inner ones.
 * "/ * text * /" annotates the next statement, "inactive:" and "replace:"
 * tag it, '#' starts a comment to the end of the line (## SECRET-DATA).
 */
#include "log.h"
#include "path.h"
#include "render.h"
#include "words.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void load_error_add(struct load_result *r, int line, int col, const char *fmt, ...)
{
    va_list ap;
    struct load_error *e;

    r->errs = realloc(r->errs, (r->nerrs + 1) * sizeof(*r->errs));
    if (r->errs == NULL)
        fatal("realloc");
    e = &r->errs[r->nerrs++];
    e->line = line;
    e->col = col;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
    va_end(ap);
}

void load_result_free(struct load_result *r)
{
    free(r->errs);
    r->errs = NULL;
    r->nerrs = 0;
}

struct frame {
    struct cnode *node;
    struct words prefix;
};

struct lexer {
    const char *s;
    size_t i, len;
    int line;
    size_t line_start;
};

enum tok { T_EOF, T_WORD, T_SEMI, T_OPEN, T_CLOSE, T_COMMENT, T_ERROR };

/* Next token; words go to w (with quoting) and annotation text to *text. */
static enum tok lex(struct lexer *lx, struct words *w, char **text, int *tline, int *tcol)
{
    const char *s = lx->s;

    for (;;) {
        while (lx->i < lx->len && strchr(" \t\r\n", s[lx->i])) {
            if (s[lx->i] == '\n') {
                lx->line++;
                lx->line_start = lx->i + 1;
            }
            lx->i++;
        }
        if (lx->i < lx->len && s[lx->i] == '#') {
            while (lx->i < lx->len && s[lx->i] != '\n')
                lx->i++;
            continue;
        }
        break;
    }
    *tline = lx->line;
    *tcol = (int)(lx->i - lx->line_start);
    if (lx->i >= lx->len)
        return T_EOF;
    switch (s[lx->i]) {
    case ';':
        lx->i++;
        return T_SEMI;
    case '{':
        lx->i++;
        return T_OPEN;
    case '}':
        lx->i++;
        return T_CLOSE;
    }
    if (s[lx->i] == '/' && lx->i + 1 < lx->len && s[lx->i + 1] == '*') {
        const char *end = strstr(s + lx->i + 2, "*/");
        size_t a = lx->i + 2, z;
        if (end == NULL)
            return T_ERROR;
        z = (size_t)(end - s);
        for (size_t k = lx->i; k < z; k++)
            if (s[k] == '\n')
                lx->line++;
        while (a < z && strchr(" \t\r\n", s[a]))
            a++;
        while (z > a && strchr(" \t\r\n", s[z - 1]))
            z--;
        *text = strndup(s + a, z - a);
        lx->i = (size_t)(end - s) + 2;
        return T_COMMENT;
    }
    if (s[lx->i] == '"') {
        struct buf b;
        size_t start = lx->i++;
        buf_init(&b);
        while (lx->i < lx->len && s[lx->i] != '"') {
            if (s[lx->i] == '\\' && lx->i + 1 < lx->len)
                lx->i++;
            if (s[lx->i] == '\n')
                lx->line++;
            buf_putc(&b, s[lx->i++]);
        }
        if (lx->i >= lx->len) {
            buf_free(&b);
            return T_ERROR;
        }
        lx->i++;
        words_push(w, b.s ? b.s : "", start, 1);
        buf_free(&b);
        return T_WORD;
    }
    {
        size_t start = lx->i;
        char *word;
        while (lx->i < lx->len && !strchr(" \t\r\n;{}\"#", s[lx->i]))
            lx->i++;
        word = strndup(s + start, lx->i - start);
        words_push(w, word, start, 0);
        free(word);
    }
    return T_WORD;
}

static void frame_push(struct frame **st, size_t *n, struct cnode *node, const struct words *pre)
{
    struct frame *f;

    *st = realloc(*st, (*n + 1) * sizeof(**st));
    if (*st == NULL)
        fatal("realloc");
    f = &(*st)[(*n)++];
    f->node = node;
    words_init(&f->prefix);
    for (size_t i = 0; pre && i < pre->n; i++)
        words_push(&f->prefix, pre->w[i], pre->off[i], pre->quoted[i]);
}

static void path_error(struct load_result *r, int line, int col, const struct cnode *at,
                       const struct words *w, const struct path *p)
{
    char where[512];
    const char *word = p->bad_word < w->n ? w->w[p->bad_word] : "";

    cnode_path(at, where, sizeof(where));
    load_error_add(r, line, col, "[edit%s%s] '%s': %s", *where ? " " : "", where, word, p->msg);
}

/* Apply one statement (prefix + words) at f; returns the node it names. */
static struct cnode *statement(struct frame *f, struct words *w, int line, int col,
                               struct load_result *r, int opener, int *prefix_only)
{
    struct words all;
    struct path p;
    struct cnode *last = NULL;

    words_init(&all);
    for (size_t i = 0; i < f->prefix.n; i++)
        words_push(&all, f->prefix.w[i], 0, f->prefix.quoted[i]);
    for (size_t i = 0; i < w->n; i++)
        words_push(&all, w->w[i], w->off[i], w->quoted[i]);
    *prefix_only = 0;
    if (path_parse(f->node->sch, cnode_in_group(f->node), all.w, all.n, PATH_SET, &p) < 0) {
        struct path q;
        /* "allowed-proxy-pair {": a block list opened without keys */
        if (opener && p.err == PE_MISSING &&
            path_parse(f->node->sch, cnode_in_group(f->node), all.w, all.n, PATH_FIND, &q) == 0 &&
            q.nsteps && q.steps[q.nsteps - 1].all &&
            (q.steps[q.nsteps - 1].sch->flags & SCHF_BLOCK)) {
            *prefix_only = 1;
            path_free(&q);
            path_free(&p);
            words_free(&all);
            return f->node;
        }
        path_error(r, line, col, f->node, &all, &p);
    } else if (opener && (p.nsteps == 0 || !p.steps[p.nsteps - 1].descend)) {
        load_error_add(r, line, col, "syntax error: '%s' does not open a block",
                       w->n ? w->w[0] : "");
    } else if (path_apply_set(f->node, &p, &last) < 0) {
        path_error(r, line, col, f->node, &all, &p);
        last = NULL;
    }
    path_free(&p);
    words_free(&all);
    return last;
}

static void tag(struct cnode *n, char **comment, int inactive, int replace)
{
    if (n == NULL)
        return;
    if (*comment) {
        free(n->comment);
        n->comment = *comment;
        *comment = NULL;
    }
    if (inactive)
        n->inactive = 1;
    if (replace)
        n->replace = 1;
    cnode_touch(n);
}

int load_text(struct cnode *at, const char *text, struct load_result *r)
{
    struct lexer lx = {text, 0, strlen(text), 1, 0};
    struct frame *st = NULL;
    size_t nst = 0;
    struct words w;
    char *comment = NULL, *t = NULL;
    int inactive = 0, replace = 0, sline = 0, scol = 0, line, col, depth_err = 0;
    size_t before = r->nerrs;
    enum tok k;

    words_init(&w);
    frame_push(&st, &nst, at, NULL);
    while ((k = lex(&lx, &w, &t, &line, &col)) != T_EOF) {
        int prefix_only;
        struct cnode *n;

        if (k == T_ERROR) {
            load_error_add(r, line, col, "syntax error: unterminated quote or comment");
            break;
        }
        if (k == T_COMMENT) {
            free(comment);
            comment = t;
            t = NULL;
            continue;
        }
        if (k == T_WORD) {
            const char *last = w.w[w.n - 1];
            if (w.n == 1) {
                sline = line;
                scol = col;
            }
            if (w.n == 1 && !w.quoted[0] &&
                (strcmp(last, "inactive:") == 0 || strcmp(last, "replace:") == 0 ||
                 strcmp(last, "protect:") == 0)) {
                inactive |= last[0] == 'i';
                replace |= last[0] == 'r';
                words_free(&w);
                words_init(&w);
            }
            continue;
        }
        if (k == T_CLOSE) {
            if (w.n)
                load_error_add(r, sline, scol, "syntax error: missing ';' before '}'");
            if (nst <= 1) {
                load_error_add(r, line, col, "syntax error: unbalanced '}'");
                depth_err = 1;
                break;
            }
            words_free(&st[--nst].prefix);
        } else if (w.n == 0) {
            if (k == T_OPEN) {
                load_error_add(r, line, col, "syntax error: '{' without a statement");
                frame_push(&st, &nst, NULL, NULL); /* skipped, braces stay balanced */
            }
        } else if (st[nst - 1].node == NULL) {
            /* inside a block whose opener failed: skip, keep braces balanced */
            if (k == T_OPEN)
                frame_push(&st, &nst, NULL, NULL);
        } else {
            n = statement(&st[nst - 1], &w, sline, scol, r, k == T_OPEN, &prefix_only);
            if (k == T_OPEN) {
                if (prefix_only) {
                    struct words pre;
                    words_init(&pre);
                    for (size_t i = 0; i < st[nst - 1].prefix.n; i++)
                        words_push(&pre, st[nst - 1].prefix.w[i], 0, st[nst - 1].prefix.quoted[i]);
                    for (size_t i = 0; i < w.n; i++)
                        words_push(&pre, w.w[i], w.off[i], w.quoted[i]);
                    frame_push(&st, &nst, st[nst - 1].node, &pre);
                    words_free(&pre);
                } else {
                    /* on error the block is skipped (node NULL) */
                    frame_push(&st, &nst, n, NULL);
                }
            }
            if (!prefix_only)
                tag(n, &comment, inactive, replace);
        }
        free(comment);
        comment = NULL;
        inactive = replace = 0;
        words_free(&w);
        words_init(&w);
    }
    if (!depth_err && w.n)
        load_error_add(r, sline, scol, "syntax error: missing ';' at end of input");
    if (!depth_err && nst > 1)
        load_error_add(r, lx.line, -1, "syntax error: missing '}' at end of input");
    while (nst > 0)
        words_free(&st[--nst].prefix);
    free(st);
    free(comment);
    words_free(&w);
    return (int)(r->nerrs - before);
}

/* ---------- set lines ---------- */

static int set_command(struct cnode *at, struct words *w, int line, struct load_result *r)
{
    struct path p;
    const char *verb = w->w[0];
    int find = strcmp(verb, "set") != 0;
    size_t n = w->n - 1;
    char *note = NULL;
    int rc = 0;

    if (strcmp(verb, "annotate") == 0) {
        if (n < 2) {
            load_error_add(r, line, -1, "missing argument.");
            return -1;
        }
        note = w->w[w->n - 1];
        n--;
    }
    if (path_parse(at->sch, cnode_in_group(at), w->w + 1, n, find ? PATH_FIND : PATH_SET, &p) < 0) {
        const char *word = p.bad_word < n ? w->w[1 + p.bad_word] : "";
        load_error_add(r, line, (int)(p.bad_word < n ? w->off[1 + p.bad_word] : 0), "'%s': %s",
                       word, p.msg);
        path_free(&p);
        return -1;
    }
    if (!find) {
        if (path_apply_set(at, &p, NULL) < 0) {
            load_error_add(r, line, -1, "%s", p.msg);
            rc = -1;
        }
    } else if (strcmp(verb, "delete") == 0) {
        if (path_apply_delete(at, &p) < 0)
            load_error_add(r, line, -1, "warning: statement not found"), rc = -1;
    } else {
        struct cnode *node = path_find(at, &p);
        if (node == NULL) {
            load_error_add(r, line, -1, "statement not found");
            rc = -1;
        } else if (note) {
            free(node->comment);
            node->comment = strdup(note);
        } else {
            node->inactive = strcmp(verb, "deactivate") == 0;
        }
        if (node)
            cnode_touch(node);
    }
    path_free(&p);
    return rc;
}

int load_set(struct cnode *at, const char *text, struct load_result *r)
{
    size_t before = r->nerrs;
    int line = 0;
    const char *s = text;

    while (*s) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        struct words w;
        const char *err;
        size_t eo;

        line++;
        words_init(&w);
        if (words_split(&w, s, len, &err, &eo) < 0) {
            load_error_add(r, line, (int)eo, "syntax error: %s", err);
        } else if (w.n == 0 || w.w[0][0] == '#') {
            /* blank or comment */
        } else if (strcmp(w.w[0], "set") == 0 || strcmp(w.w[0], "delete") == 0 ||
                   strcmp(w.w[0], "activate") == 0 || strcmp(w.w[0], "deactivate") == 0 ||
                   strcmp(w.w[0], "annotate") == 0) {
            set_command(at, &w, line, r);
        } else {
            load_error_add(r, line, 0,
                           "syntax error, expecting set, delete, activate, "
                           "deactivate or annotate: '%s'",
                           w.w[0]);
        }
        words_free(&w);
        s += len;
        if (*s == '\n')
            s++;
    }
    return (int)(r->nerrs - before);
}
