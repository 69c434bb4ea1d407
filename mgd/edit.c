/*
 * edit.c: configuration-mode commands of a session, relative to its edit
 * level (s->edit, words from the top).  The statement operations are
 * lib/conf's (path.h, ops.h); this file adds the session's view: which
 * candidate, the edit level, the locks, Junos's messages and questions.
 */
#include "diff.h"
#include "groups.h"
#include "log.h"
#include "mgd.h"
#include "ops.h"
#include "path.h"
#include "render.h"
#include "words.h"

#include <libxml/parser.h>

#include <errno.h>
#include <pwd.h>
#include <unistd.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

struct cmd {
    struct session *s;
    uint32_t id;
    struct words w;    /* the user's words */
    struct words full; /* edit level + the user's words after the command word */
    size_t nprefix;    /* words of the edit level in full */
    const char *line;
    const char *input;
    const char *display;
    const char *confirmed;
    struct buf out;
};

static void done(struct cmd *c, int error, long word)
{
    long col = -1;

    if (word >= 0 && (size_t)word < c->w.n)
        col = (long)c->w.off[word];
    else if (word >= 0)
        col = (long)strlen(c->line);
    session_output(c->s, c->id, error, c->out.s, col, NULL);
}

/* Index in the user's words of word i of the full path. */
static long user_word(const struct cmd *c, size_t i, size_t cmdwords)
{
    if (i < c->nprefix)
        return 0;
    return (long)(i - c->nprefix + cmdwords);
}

static void build_full(struct cmd *c, size_t skip)
{
    const char *err;
    size_t eo;

    words_init(&c->full);
    words_split(&c->full, c->s->edit, strlen(c->s->edit), &err, &eo);
    c->nprefix = c->full.n;
    for (size_t i = skip; i < c->w.n; i++)
        words_push(&c->full, c->w.w[i], c->w.off[i], c->w.quoted[i]);
}

static int may_modify(struct cmd *c)
{
    struct mgd *m = g_mgd;

    if (c->s->mode != CFG_PRIVATE && m->exclusive && m->exclusive != c->s) {
        buf_printf(&c->out, "error: configuration database locked by: %s\n", m->exclusive->user);
        return 0;
    }
    if (m->job) {
        buf_puts(&c->out, "error: commit in progress; try again\n");
        return 0;
    }
    return 1;
}

static struct cnode *edit_node(struct cmd *c, struct conf *cand)
{
    struct path p;
    struct cnode *n;

    if (c->nprefix == 0)
        return cand->root;
    if (path_parse(cand->schema->root, 0, c->full.w, c->nprefix, PATH_FIND, &p) < 0) {
        path_free(&p);
        return NULL;
    }
    n = path_find(cand->root, &p);
    path_free(&p);
    return n;
}

static void path_error(struct cmd *c, const struct path *p, size_t cmdwords)
{
    if (p->err == PE_AMBIGUOUS)
        buf_printf(&c->out, "%s\n", p->msg);
    else
        buf_printf(&c->out, "%s\n", p->msg);
    done(c, 1, user_word(c, p->bad_word, cmdwords));
}

/*
 * `set ... plain-text-password` (o:password-prompt): the CLI prompts for
 * the password, so the first request gets <password-prompt/> and changes
 * nothing; the CLI sends the line again with the password's crypt as
 * <input>, which becomes the sibling leaf the schema names
 * (encrypted-password).  The password itself never reaches mgd.
 */
static void set_prompted(struct cmd *c, struct conf *cand, struct path *p)
{
    struct path_step *st = &p->steps[p->nsteps - 1];
    const struct sch_node *to = sch_child(st->sch->parent, st->sch->prompt_to);
    char msg[400];

    if (c->input == NULL) {
        session_output(c->s, c->id, 0, "", -1, "<password-prompt/>\n");
        return;
    }
    if (to == NULL || to->kind != SCH_LEAF || to->type == NULL) {
        buf_printf(&c->out, "error: %s: no leaf '%s' to set\n", st->sch->name, st->sch->prompt_to);
        return done(c, 1, -1);
    }
    if (sch_check_value(to->type, c->input, msg, sizeof(msg)) < 0) {
        buf_printf(&c->out, "error: %s: %s\n", to->name, msg);
        return done(c, 1, -1);
    }
    st->sch = to;
    st->vals = malloc(sizeof(*st->vals));
    if (st->vals == NULL || (st->vals[0] = strdup(c->input)) == NULL)
        fatal("malloc");
    st->nvals = 1;
    if (path_apply_set(cand->root, p, NULL) < 0) {
        buf_printf(&c->out, "error: %s\n", p->msg);
        return done(c, 1, -1);
    }
    done(c, 0, -1);
}

static void cmd_set(struct cmd *c, struct conf *cand)
{
    struct path p;

    if (!may_modify(c))
        return done(c, 1, -1);
    if (c->w.n < 2) {
        buf_puts(&c->out, "missing argument.\n");
        return done(c, 1, 1);
    }
    if (path_parse(cand->schema->root, 0, c->full.w, c->full.n, PATH_SET, &p) < 0) {
        path_error(c, &p, 1);
    } else if (p.nsteps && (p.steps[p.nsteps - 1].sch->flags & SCHF_PASSWORD_PROMPT)) {
        set_prompted(c, cand, &p);
    } else if (path_apply_set(cand->root, &p, NULL) < 0) {
        buf_printf(&c->out, "error: %s\n", p.msg);
        done(c, 1, (long)c->w.n - 1);
    } else {
        done(c, 0, -1);
    }
    path_free(&p);
}

static void cmd_delete(struct cmd *c, struct conf *cand)
{
    struct path p;
    struct cnode *at;

    if (!may_modify(c))
        return done(c, 1, -1);
    if (c->w.n == 1) {
        /* everything under this level */
        if (c->confirmed == NULL) {
            buf_puts(&c->out, c->nprefix ? "" : "This will delete the entire configuration\n");
            session_output(c->s, c->id, 0, c->out.s, -1,
                           "<confirm prompt=\"Delete everything under this level? [yes,no] (no) \" "
                           "default=\"no\"/>\n");
            return;
        }
        if (strcmp(c->confirmed, "yes") == 0 && (at = edit_node(c, cand)) != NULL) {
            struct cnode *ch, *next;
            for (ch = at->child; ch; ch = next) {
                next = ch->next;
                if (!(ch->sch->flags & SCHF_KEY))
                    cnode_free(ch);
            }
        }
        return done(c, 0, -1);
    }
    if (path_parse(cand->schema->root, 0, c->full.w, c->full.n, PATH_FIND, &p) < 0) {
        path_error(c, &p, 1);
    } else {
        at = edit_node(c, cand);
        if (at == NULL || path_apply_delete(cand->root, &p) < 0)
            buf_puts(&c->out, "warning: statement not found\n");
        done(c, 0, -1);
    }
    path_free(&p);
}

void session_edit_forget(struct session *s)
{
    while (s->nedit_prev > 0)
        free(s->edit_prev[--s->nedit_prev]);
}

/* `edit` moves to level to: the level it leaves is remembered for `exit`
 * (Junos: "returning to the level prior to the last edit command"). */
static void edit_to(struct session *s, const char *to)
{
    if (s->nedit_prev == MGD_EDIT_DEPTH) {
        free(s->edit_prev[0]);
        memmove(s->edit_prev, s->edit_prev + 1, sizeof(s->edit_prev[0]) * (MGD_EDIT_DEPTH - 1));
        s->nedit_prev--;
    }
    s->edit_prev[s->nedit_prev++] = s->edit;
    if ((s->edit = strdup(to)) == NULL)
        fatal("strdup");
}

static void cmd_edit(struct cmd *c, struct conf *cand)
{
    struct path p;
    struct cnode *last;

    if (c->w.n < 2) {
        buf_puts(&c->out, "missing argument.\n");
        return done(c, 1, 1);
    }
    if (path_parse(cand->schema->root, 0, c->full.w, c->full.n, PATH_SET, &p) < 0 &&
        p.err != PE_MISSING) {
        path_error(c, &p, 1);
    } else if (p.err == PE_MISSING || p.nsteps == 0 || !p.steps[p.nsteps - 1].descend) {
        buf_puts(&c->out, "syntax error.\n");
        done(c, 1, (long)c->w.n - 1);
    } else if (may_modify(c) && path_apply_set(cand->root, &p, &last) == 0) {
        /* "edit" creates the level in the candidate, as Junos does */
        char tmp[2048];
        cnode_path(last, tmp, sizeof(tmp));
        edit_to(c->s, tmp);
        done(c, 0, -1);
    } else {
        done(c, 1, -1);
    }
    path_free(&p);
}

/* The edit level n levels up (0: itself), if it is still there; else the
 * top. */
static void edit_level_up(struct session *s, int n)
{
    struct words w;
    const char *err;
    size_t eo;
    struct path p;
    struct cnode *node = NULL;

    words_init(&w);
    words_split(&w, s->edit, strlen(s->edit), &err, &eo);
    if (path_parse(g_mgd->schema->root, 0, w.w, w.n, PATH_FIND, &p) == 0) {
        struct conf *cand = session_candidate(s);
        node = path_find(cand->root, &p);
    }
    path_free(&p);
    while (node && node->parent && n-- > 0)
        node = node->parent;
    free(s->edit);
    if (node && node->parent) {
        char tmp[2048];
        cnode_path(node, tmp, sizeof(tmp));
        s->edit = strdup(tmp);
    } else {
        s->edit = strdup("");
    }
    words_free(&w);
}

/* `up N`, and `exit` with no `edit` to go back through: what `edit`
 * remembered is forgotten. */
static void go_up(struct session *s, int n)
{
    session_edit_forget(s);
    edit_level_up(s, n);
}

static void cmd_show(struct cmd *c, struct conf *cand)
{
    struct path p;
    struct cnode *at = cand->root;
    struct conf *shown = cand, *expanded = NULL;
    const char *d = c->display ? c->display : "";

    if (strcmp(d, "inheritance") == 0) {
        expanded = conf_expand(cand, EXPAND_MARK | EXPAND_KEEP_INACTIVE);
        shown = expanded;
    }
    if (c->full.n) {
        if (path_parse(cand->schema->root, 0, c->full.w, c->full.n, PATH_FIND, &p) < 0) {
            path_error(c, &p, 1);
            path_free(&p);
            conf_free(expanded);
            return;
        }
        at = path_find(shown->root, &p);
        path_free(&p);
    }
    if (strncmp(d, "compare", 7) == 0) {
        size_t n = (size_t)atoi(d + 7);
        char *text = db_read(&g_mgd->db, n);
        struct conf *old = conf_new(cand->schema);
        struct load_result r = {0};
        struct cnode *o;
        if (text)
            load_text(old->root, text, &r);
        load_result_free(&r);
        o = at ? cnode_locate(old->root, at) : NULL;
        if (text == NULL && n > 0)
            buf_printf(&c->out, "error: invalid rollback value: %zu\n", n);
        else
            conf_diff(&c->out, o, at, 0);
        free(text);
        conf_free(old);
    } else if (strcmp(d, "set-top") == 0) {
        /* the CLI's completion: every statement of the candidate, whatever
         * the edit level (names of list entries and of references) */
        render_set(&c->out, cand->root, 0);
    } else if (at == NULL) {
        /* nothing at that path: Junos prints nothing */
    } else if (strcmp(d, "set") == 0 || strcmp(d, "set-relative") == 0) {
        render_set(&c->out, at, strcmp(d, "set-relative") == 0);
    } else if (strcmp(d, "xml") == 0) {
        render_xml(&c->out, cand->root, 0, NULL);
    } else if (strcmp(d, "json") == 0) {
        render_json(&c->out, cand->root, NULL);
    } else {
        if (at == cand->root && c->full.n == 0 && g_mgd->db.nhist) {
            char when[64];
            strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S %Z",
                     localtime(&g_mgd->db.hist[0].when));
            buf_printf(&c->out, "## Last changed: %s\n", when);
        }
        unsigned f = strcmp(d, "inheritance") == 0 ? RENDER_INHERITANCE : 0;
        if (at->sch->kind == SCH_CONTAINER || at->sch->kind == SCH_LIST)
            render_text(&c->out, at, 0, f);
        else
            render_text_stmt(&c->out, at, 0, f);
    }
    conf_free(expanded);
    done(c, 0, -1);
}

static int parse_uint_arg(const char *s, long max, long *v)
{
    char *end;

    *v = strtol(s, &end, 10);
    return *s && *end == '\0' && *v >= 0 && *v <= max ? 0 : -1;
}

static void cmd_commit(struct cmd *c, struct conf *cand)
{
    struct commit_req req;

    memset(&req, 0, sizeof(req));
    req.user = c->s->user;
    req.method = c->s->method;
    for (size_t i = 1; i < c->w.n; i++) {
        const char *a = c->w.w[i];
        long v;
        if (strcmp(a, "check") == 0)
            req.check = 1;
        else if (strcmp(a, "full") == 0)
            req.full = 1;
        else if (strcmp(a, "and-quit") == 0)
            req.and_quit = 1;
        else if (strcmp(a, "synchronize") == 0 || strcmp(a, "force") == 0)
            ; /* single routing engine: nothing to synchronize */
        else if (strcmp(a, "confirmed") == 0) {
            req.confirm_minutes = 10;
            if (i + 1 < c->w.n && parse_uint_arg(c->w.w[i + 1], 65535, &v) == 0) {
                if (v < 1) {
                    buf_printf(&c->out, "error: invalid value '%s' (1..65535)\n", c->w.w[i + 1]);
                    return done(c, 1, (long)i + 1);
                }
                req.confirm_minutes = (int)v;
                i++;
            }
        } else if (strcmp(a, "comment") == 0 && i + 1 < c->w.n) {
            snprintf(req.comment, sizeof(req.comment), "%s", c->w.w[++i]);
        } else {
            buf_puts(&c->out, "syntax error.\n");
            return done(c, 1, (long)i);
        }
    }
    if (!req.check && !may_modify(c))
        return done(c, 1, -1);
    if (c->s->mode == CFG_PRIVATE && !req.check && g_mgd->db.nhist &&
        c->s->priv_base != g_mgd->db.hist[0].seq) {
        buf_puts(&c->out, "error: configuration database modified\n"
                          "error: commit failed: (private candidate is based on an older "
                          "configuration; exit and re-enter configure private)\n");
        return done(c, 1, -1);
    }
    commit_start(g_mgd, c->s, c->id, cand, &req);
}

static void replace_tree(struct conf *cand, const char *text, struct buf *out)
{
    struct conf *n = conf_new(cand->schema);
    struct load_result r = {0};
    struct cnode *ch, *next;

    load_text(n->root, text, &r);
    load_result_free(&r);
    for (ch = cand->root->child; ch; ch = next) {
        next = ch->next;
        cnode_free(ch);
    }
    cnode_merge(cand->root, n->root);
    conf_free(n);
    buf_puts(out, "load complete\n");
}

static void cmd_rollback(struct cmd *c, struct conf *cand)
{
    long n = 0;
    char *text;

    if (!may_modify(c))
        return done(c, 1, -1);
    if (c->w.n > 1 && strcmp(c->w.w[1], "rescue") == 0) {
        text = db_rescue_read(&g_mgd->db);
        if (text == NULL) {
            buf_puts(&c->out, "error: rescue configuration is not set\n");
            return done(c, 1, 1);
        }
    } else {
        if (c->w.n > 1 && parse_uint_arg(c->w.w[1], 49, &n) < 0) {
            buf_printf(&c->out, "error: invalid rollback value: %s\n", c->w.w[1]);
            return done(c, 1, 1);
        }
        text = db_read(&g_mgd->db, (size_t)n);
        if (text == NULL) {
            buf_printf(&c->out, "error: invalid rollback value: %ld\n", n);
            return done(c, 1, 1);
        }
    }
    replace_tree(cand, text, &c->out);
    free(text);
    done(c, 0, -1);
}

/* A file of the user's directory under the root: ROOT/home/USER/NAME. */
static int user_file(struct cmd *c, const char *name, char *path, size_t len)
{
    char dir[PATH_MAX];

    if (strstr(name, "..") || name[0] == '/' || name[0] == '\0') {
        buf_printf(&c->out, "error: invalid file name '%s'\n", name);
        return -1;
    }
    snprintf(dir, sizeof(dir), "%s/home", g_mgd->root);
    mkdir(dir, 0711);
    snprintf(dir, sizeof(dir), "%s/home/%s", g_mgd->root, c->s->user);
    if (mkdir(dir, 0700) == 0 && c->s->uid != 0) {
        /* the user's own directory: the CLI saves pipe output there too */
        struct passwd *pw = getpwuid(c->s->uid);
        if (chown(dir, c->s->uid, pw ? pw->pw_gid : (gid_t)-1) < 0)
            log_warn("chown %s", dir);
    }
    if (snprintf(path, len, "%s/%s", dir, name) >= (int)len) {
        buf_puts(&c->out, "error: file name too long\n");
        return -1;
    }
    return 0;
}

static void cmd_load(struct cmd *c, struct conf *cand)
{
    enum load_mode mode;
    enum load_format fmt = LOADF_TEXT;
    struct load_result r = {0};
    struct cnode *at = cand->root;
    char path[PATH_MAX], *text = NULL;
    const char *t;
    size_t i;
    int relative = c->w.n > 3 && strcmp(c->w.w[3], "relative") == 0, nerr;

    if (!may_modify(c))
        return done(c, 1, -1);
    if (c->w.n < 3) {
        buf_puts(&c->out, "missing argument.\n");
        return done(c, 1, (long)c->w.n);
    }
    if (strcmp(c->w.w[1], "factory-default") == 0) {
        struct conf *f = mgd_factory_default(g_mgd);
        char *ft = conf_text(f);
        replace_tree(cand, ft, &c->out);
        free(ft);
        conf_free(f);
        return done(c, 0, -1);
    }
    if (load_mode_parse(c->w.w[1], &mode) < 0) {
        buf_puts(&c->out, "syntax error.\n");
        return done(c, 1, 1);
    }
    if (strcmp(c->w.w[2], "terminal") == 0) {
        text = strdup(c->input ? c->input : "");
    } else if (user_file(c, c->w.w[2], path, sizeof(path)) == 0) {
        text = buf_read_file(path);
        if (text == NULL)
            buf_printf(&c->out, "error: could not read '%s': %s\n", c->w.w[2], strerror(errno));
    }
    if (text == NULL)
        return done(c, 1, 2);
    if (relative)
        at = edit_node(c, cand);
    if (at == NULL)
        at = cand->root;
    for (t = text; *t == ' ' || *t == '\n' || *t == '\t'; t++)
        ;
    if (mode == LOAD_SET)
        fmt = LOADF_SET;
    else if (*t == '<')
        fmt = LOADF_XML;
    else if (*t == '{')
        fmt = LOADF_JSON;
    nerr = op_load(cand, at, mode, fmt, text, &r);
    for (i = 0; i < r.nerrs; i++)
        buf_printf(&c->out, "%s:%d:(%d) %s\n",
                   strcmp(c->w.w[2], "terminal") == 0 ? "terminal" : c->w.w[2], r.errs[i].line,
                   r.errs[i].col < 0 ? 0 : r.errs[i].col, r.errs[i].msg);
    if (nerr && mode != LOAD_SET)
        buf_printf(&c->out,
                   "error: configuration not loaded (%d errors); the candidate is "
                   "unchanged\n",
                   nerr);
    else if (nerr)
        buf_printf(&c->out, "load complete (%d errors)\n", nerr);
    else
        buf_puts(&c->out, "load complete\n");
    load_result_free(&r);
    free(text);
    done(c, nerr != 0, -1);
}

static void cmd_save(struct cmd *c, struct conf *cand)
{
    char path[PATH_MAX];
    struct cnode *at = edit_node(c, cand);
    struct buf b;
    size_t lines = 0;

    if (c->w.n < 2) {
        buf_puts(&c->out, "missing argument.\n");
        return done(c, 1, 1);
    }
    if (user_file(c, c->w.w[1], path, sizeof(path)) < 0)
        return done(c, 1, 1);
    buf_init(&b);
    if (at)
        render_text(&b, at, 0, 0);
    for (size_t i = 0; i < b.len; i++)
        lines += b.s[i] == '\n';
    if (db_write_atomic(path, b.s ? b.s : "", b.len) < 0) {
        buf_printf(&c->out, "error: could not write '%s': %s\n", c->w.w[1], strerror(errno));
        buf_free(&b);
        return done(c, 1, 1);
    }
    buf_printf(&c->out, "Wrote %zu lines of configuration to '%s'\n", lines, c->w.w[1]);
    buf_free(&b);
    done(c, 0, -1);
}

typedef int (*opfn)(struct cnode *, char *const *, size_t, struct op_err *);

static int op_deactivate(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_activate(at, w, n, 0, e);
}
static int op_activate_(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_activate(at, w, n, 1, e);
}
static int op_rename_(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_rename(at, w, n, 0, e);
}
static int op_copy_(struct cnode *at, char *const *w, size_t n, struct op_err *e)
{
    return op_rename(at, w, n, 1, e);
}

static void cmd_op(struct cmd *c, struct conf *cand, opfn fn)
{
    struct op_err e = {0};
    struct cnode *at;

    if (!may_modify(c))
        return done(c, 1, -1);
    at = edit_node(c, cand);
    if (at == NULL) {
        buf_puts(&c->out, "error: edit level no longer exists\n");
        return done(c, 1, -1);
    }
    if (fn(at, c->w.w + 1, c->w.n - 1, &e) < 0) {
        buf_printf(&c->out, "%s\n", e.msg);
        return done(c, 1, e.word == (size_t)-1 ? -1 : (long)e.word + 1);
    }
    done(c, 0, -1);
}

static void cmd_wildcard(struct cmd *c, struct conf *cand)
{
    struct op_err e = {0};
    struct cnode *at = edit_node(c, cand);
    struct buf m;
    int n;

    if (c->w.n < 4 || strcmp(c->w.w[1], "delete") != 0) {
        buf_puts(&c->out, c->w.n < 2 ? "missing argument.\n" : "syntax error.\n");
        return done(c, 1, c->w.n < 2 ? 1 : 1);
    }
    if (!may_modify(c) || at == NULL)
        return done(c, 1, -1);
    buf_init(&m);
    n = op_wildcard_delete(at, c->w.w + 2, c->w.n - 2, &m, &e);
    if (n < 0) {
        buf_printf(&c->out, "%s\n", e.msg);
    } else if (c->confirmed == NULL) {
        char prompt[128];
        buf_puts(&c->out, m.s);
        snprintf(prompt, sizeof(prompt),
                 "<confirm prompt=\"Delete %d objects? [yes,no] (no) \" default=\"no\"/>\n", n);
        session_output(c->s, c->id, 0, c->out.s, -1, prompt);
        buf_free(&m);
        return;
    } else if (strcmp(c->confirmed, "yes") == 0) {
        op_wildcard_delete(at, c->w.w + 2, c->w.n - 2, NULL, &e);
    }
    buf_free(&m);
    done(c, n < 0, -1);
}

void edit_command(struct session *s, uint32_t id, const char *line, const char *input,
                  const char *display, const char *confirmed)
{
    struct cmd c;
    struct conf *cand = session_candidate(s);
    const char *err, *v;
    size_t eo;

    memset(&c, 0, sizeof(c));
    c.s = s;
    c.id = id;
    c.line = line;
    c.input = input;
    c.display = display;
    c.confirmed = confirmed;
    buf_init(&c.out);
    words_init(&c.w);
    if (words_split(&c.w, line, strlen(line), &err, &eo) < 0) {
        buf_printf(&c.out, "syntax error: %s\n", err);
        session_output(s, id, 1, c.out.s, (long)eo, NULL);
        goto out;
    }
    if (c.w.n == 0 || c.w.w[0][0] == '#') {
        done(&c, 0, -1);
        goto out;
    }
    build_full(&c, 1);
    v = c.w.w[0];
    if (strcmp(v, "set") == 0)
        cmd_set(&c, cand);
    else if (strcmp(v, "delete") == 0)
        cmd_delete(&c, cand);
    else if (strcmp(v, "edit") == 0)
        cmd_edit(&c, cand);
    else if (strcmp(v, "show") == 0)
        cmd_show(&c, cand);
    else if (strcmp(v, "up") == 0) {
        long n = 1;
        if (c.w.n > 1 && parse_uint_arg(c.w.w[1], 1000, &n) < 0) {
            buf_puts(&c.out, "syntax error.\n");
            done(&c, 1, 1);
        } else {
            go_up(s, (int)n);
            done(&c, 0, -1);
        }
    } else if (strcmp(v, "top") == 0) {
        session_edit_forget(s);
        free(s->edit);
        s->edit = strdup("");
        if (c.w.n > 1) {
            /* top CMD: run CMD from the top */
            const char *rest = line + c.w.off[1];
            words_free(&c.w);
            words_free(&c.full);
            buf_free(&c.out);
            edit_command(s, id, rest, input, display, confirmed);
            return;
        }
        done(&c, 0, -1);
    } else if (strcmp(v, "exit") == 0 || strcmp(v, "quit") == 0) {
        if (c.w.n > 1 && strcmp(c.w.w[1], "configuration-mode") == 0)
            session_close_configuration(s, id, confirmed && strcmp(confirmed, "yes") == 0);
        else if (s->nedit_prev > 0) { /* back to where the last edit was typed */
            unsigned k = --s->nedit_prev;
            free(s->edit);
            s->edit = s->edit_prev[k];
            edit_level_up(s, 0); /* unless it was deleted since */
            done(&c, 0, -1);
        } else if (*s->edit) {
            go_up(s, 1);
            done(&c, 0, -1);
        } else
            session_close_configuration(s, id, confirmed && strcmp(confirmed, "yes") == 0);
    } else if (strcmp(v, "status") == 0) {
        session_users_editing(NULL, &c.out);
        done(&c, 0, -1);
    } else if (strcmp(v, "commit") == 0)
        cmd_commit(&c, cand);
    else if (strcmp(v, "rollback") == 0)
        cmd_rollback(&c, cand);
    else if (strcmp(v, "load") == 0)
        cmd_load(&c, cand);
    else if (strcmp(v, "save") == 0)
        cmd_save(&c, cand);
    else if (strcmp(v, "annotate") == 0)
        cmd_op(&c, cand, op_annotate);
    else if (strcmp(v, "activate") == 0)
        cmd_op(&c, cand, op_activate_);
    else if (strcmp(v, "deactivate") == 0)
        cmd_op(&c, cand, op_deactivate);
    else if (strcmp(v, "rename") == 0)
        cmd_op(&c, cand, op_rename_);
    else if (strcmp(v, "copy") == 0)
        cmd_op(&c, cand, op_copy_);
    else if (strcmp(v, "insert") == 0)
        cmd_op(&c, cand, op_insert);
    else if (strcmp(v, "wildcard") == 0)
        cmd_wildcard(&c, cand);
    else if (strcmp(v, "run") == 0) {
        if (c.w.n < 2) {
            buf_puts(&c.out, "missing argument.\n");
            done(&c, 1, 1);
        } else {
            oper_command(s, id, line + c.w.off[1], display);
        }
    } else {
        buf_puts(&c.out, "syntax error, expecting <command>.\n");
        done(&c, 1, 0);
    }
out:
    words_free(&c.w);
    words_free(&c.full);
    buf_free(&c.out);
}
