/*
 * exec.c: running one command line.
 *
 * The line is split at its unquoted '|' (pipes.c).  In operational mode
 * the command goes to mgd as <command>; in configuration mode as
 * <edit-command> relative to the edit level, after the configuration-mode
 * command word (and the fixed keywords of commit, load, exit, wildcard)
 * has been expanded from a unique abbreviation; the error columns mgd
 * returns are mapped back to the line as typed.  Replies are rendered by
 * their root element (render.c), `| display xml|json` by xmlout.c; errors
 * print a caret under the offending word (junos.md 5.5), or one line with
 * -c.  mgd's questions (<confirm>) are asked and the command is sent again
 * with the answer; so is a password it asks for (<password-prompt/>,
 * password.c), as its crypt.
 */
#include "cli.h"
#include "words.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Word starts in the line as typed (o) and as sent (s). */
struct colmap {
    size_t n;
    size_t o[128], s[128];
    int replaced[128];
    size_t olen, slen;
};

static size_t map_col(const struct colmap *m, size_t col)
{
    size_t k;

    if (m == NULL || m->n == 0)
        return col;
    if (col >= m->slen)
        return m->olen + (col - m->slen);
    for (k = m->n; k-- > 0;)
        if (m->s[k] <= col)
            return m->replaced[k] ? m->o[k] : m->o[k] + (col - m->s[k]);
    return col;
}

/* Set by `commit confirmed` until the commit is confirmed or rolled back. */
static int confirm_pending;

/* "# commit confirmed will be rolled back in N minutes" (junos.md 5.1),
 * from the commit history, above the banner. */
static void confirmed_notice(void)
{
    struct buf b;
    struct reply r;
    xmlNodePtr ci, h = NULL;
    char comment[128], pending[64];
    long long when;
    time_t now = time(NULL);
    int mins = 0;

    if (!confirm_pending)
        return;
    buf_init(&b);
    req_command(&b, "show system commit", NULL, 0);
    if (rpc_call(b.s, &r, NULL, NULL) == 0 && (ci = xchild(r.root, "commit-information")))
        h = xchild(ci, "commit-history");
    if (h && *xtext(h, "commit-confirmed", pending, sizeof(pending)) &&
        sscanf(xtext(h, "comment", comment, sizeof(comment)),
               "commit confirmed, rollback in %dmins", &mins) == 1) {
        xmlChar *s = xmlGetProp(xchild(h, "date-time"), (const xmlChar *)"seconds");
        when = s ? atoll((const char *)s) : (long long)now;
        xmlFree(s);
        mins -= (int)((now - when) / 60);
        if (mins < 1)
            mins = 1;
        printf("# commit confirmed will be rolled back in %d minute%s\n", mins,
               mins == 1 ? "" : "s");
    } else {
        confirm_pending = 0;
    }
    reply_free(&r);
    buf_free(&b);
}

void print_banner(void)
{
    confirmed_notice();
    printf("[edit%s%s]\n", g_cli.edit_path[0] ? " " : "", g_cli.edit_path);
}

/* "'X' is ambiguous." with the candidates in the `?` format. */
static void ambiguous(struct buf *b, const char *line, size_t col, const char *msg)
{
    const char *q = strchr(msg + 1, '\'');
    struct clist l = {0}, k = {0};
    struct buf text;
    size_t poff;

    buf_init(&text);
    buf_add(&text, line, col < strlen(line) ? col : strlen(line));
    buf_add(&text, msg + 1, (size_t)(q - msg - 1));
    if (complete(text.s, &l, &poff) == 0)
        for (size_t i = 0; i < l.n; i++)
            if (l.v[i].kind == CI_KEYWORD || l.v[i].kind == CI_NAME)
                clist_add(&k, l.v[i].kind, l.v[i].marker, l.v[i].name, l.v[i].help);
    buf_printf(b, "%.*s\n", (int)(strchr(msg, '\n') ? strchr(msg, '\n') - msg : (int)strlen(msg)),
               msg);
    if (k.n)
        help_format(b, &k);
    else if (strchr(msg, '\n'))
        buf_printf(b, "%s\n", strchr(msg, '\n') + 1);
    clist_free(&l);
    clist_free(&k);
    buf_free(&text);
}

/* An error about the word at col of line (the line as typed). */
void error_at(const char *line, size_t col, const char *msg)
{
    struct buf b;
    size_t len = strlen(msg);
    const char *amb = strstr(msg, "' is ambiguous.");

    buf_init(&b);
    while (len && msg[len - 1] == '\n')
        len--;
    if (col > strlen(line))
        col = strlen(line);
    if (g_cli.oneshot) {
        /* error: syntax error, expecting <command>: WORD */
        size_t end = col, first = strchr(msg, '\n') ? (size_t)(strchr(msg, '\n') - msg) : len;
        while (line[end] && line[end] != ' ' && line[end] != '\t')
            end++;
        if (first && msg[first - 1] == '.')
            first--;
        buf_printf(&b, "%s%.*s", strncmp(msg, "error: ", 7) ? "error: " : "", (int)first, msg);
        if (end > col)
            buf_printf(&b, ": %.*s", (int)(end - col), line + col);
        buf_putc(&b, '\n');
    } else {
        buf_indent(&b, (int)(strlen(cli_prompt()) + col));
        buf_puts(&b, "^\n");
        if (msg[0] == '\'' && amb && amb > msg)
            ambiguous(&b, line, col, msg);
        else
            buf_printf(&b, "%.*s\n", (int)len, msg);
    }
    out_text(b.s);
    buf_free(&b);
}

static void print_msg(const char *msg)
{
    out_text(msg); /* out_text ends an unfinished last line */
}

static void chunk(const char *text, size_t len, void *arg)
{
    pl_write(arg, text, len);
}

/* Render reply r of the command typed as `line`; col_extra is added to
 * mgd's error columns (commands after `run`). */
static void show_reply(struct reply *r, struct pipeline *pl, const char *line,
                       const struct colmap *cm, size_t col_extra)
{
    xmlNodePtr err, ec, out;
    char msg[2048], v[32];

    if (r->root == NULL) {
        print_msg("error: malformed reply from the management daemon");
        return;
    }
    if ((err = xchild(r->root, "error")) != NULL) {
        xtext(err, "message", msg, sizeof(msg));
        if (xchild(err, "column")) {
            error_at(line,
                     map_col(cm, (size_t)atol(xtext(err, "column", v, sizeof(v)))) + col_extra,
                     msg);
        } else if (strncmp(msg, "error: ", 7) != 0 && strncmp(msg, "warning: ", 9) != 0) {
            /* a daemon's <xnm:error> carries the bare message ("device X not
             * found"); the CLI says what it is, as Junos does */
            char full[sizeof(msg) + 8];
            snprintf(full, sizeof(full), "error: %s", msg);
            print_msg(full);
        } else {
            print_msg(msg);
        }
        return;
    }
    if (r->error && (ec = xchild(r->root, "error-column")) != NULL) {
        char *text = (out = xchild(r->root, "output")) ? xcontent(out) : strdup("error");
        error_at(line, map_col(cm, (size_t)atol(xtext(r->root, "error-column", v, sizeof(v)))),
                 text);
        free(text);
        return;
    }
    if (pl->xml) {
        struct buf b;
        char banner[sizeof(g_cli.edit_path) + 8] = "";
        if (g_cli.mode == MODE_CONFIG)
            snprintf(banner, sizeof(banner), "[edit%s%s]", g_cli.edit_path[0] ? " " : "",
                     g_cli.edit_path);
        buf_init(&b);
        xml_display(&b, r->root, banner);
        pl_puts(pl, b.s);
        buf_free(&b);
    } else if (pl->json && !xchild(r->root, "output") && !xchild(r->root, "configuration-json")) {
        struct buf b;
        buf_init(&b);
        json_display(&b, r->root);
        pl_puts(pl, b.s);
        buf_free(&b);
    } else {
        render_reply(r->root, pl);
    }
}

/* `show configuration | compare rollback N` in operational mode: mgd
 * answers it as `show system rollback 0 compare N` (base N, new 0).
 * Returns the line to send, or NULL after an error. */
static const char *op_compare(const char *cmd, char *sent, size_t len, struct words *ws,
                              struct pipeline *pl, const char **display)
{
    struct walk w;
    int ok;

    if (!pl->compare)
        return cmd;
    walk_init(&w, op_schema()->root, 1, NULL);
    for (size_t i = 0; i < ws->n && walk_word(&w, ws->w[i]) == 0; i++)
        ;
    ok = w.rpc && !strcmp(w.rpc->rpc, "get-configuration") && w.st != W_REST;
    walk_free(&w);
    if (!ok) {
        print_msg("error: in operational mode, compare applies to 'show configuration' "
                  "without a statement path");
        g_cli.failed = 1;
        return NULL;
    }
    snprintf(sent, len, "show system rollback 0 compare %d", pl->compare_n);
    *display = NULL;
    return sent;
}

static void exec_oper(const char *cmd, const char *line, struct pipeline *pl)
{
    struct words ws;
    struct buf b;
    struct reply r;
    const char *err, *display = pl->display;
    char sent[128];
    size_t eo;
    xmlNodePtr ep;

    words_init(&ws);
    if (words_split(&ws, cmd, strlen(cmd), &err, &eo) == 0 &&
        (ws.n == 0 || ws.w[0][0] == '#' || local_command(&ws, 0, line, pl))) {
        words_free(&ws);
        return;
    }
    cmd = op_compare(cmd, sent, sizeof(sent), &ws, pl, &display);
    words_free(&ws);
    if (cmd == NULL)
        return;
    buf_init(&b);
    req_command(&b, cmd, display, 1);
    while (rpc_call(b.s, &r, chunk, pl) == 0) {
        xmlNodePtr c = r.root && !r.error ? xchild(r.root, "confirm") : NULL;
        if (c) {
            /* mgd asks first (request system reboot): same protocol as
             * configuration mode */
            xmlChar *prompt = xmlGetProp(c, (const xmlChar *)"prompt");
            xmlChar *dflt = xmlGetProp(c, (const xmlChar *)"default");
            int yes = ask_confirm(prompt ? (const char *)prompt : "Continue? [yes,no] (no) ",
                                  dflt && !strcmp((const char *)dflt, "yes"));
            xmlFree(prompt);
            xmlFree(dflt);
            reply_free(&r);
            if (!yes)
                break;
            buf_reset(&b);
            req_command(&b, cmd, display, 0);
            /* <command ...> -> <command confirmed="yes" ...> */
            {
                struct buf t;
                buf_init(&t);
                buf_puts(&t, "<command confirmed=\"yes\"");
                buf_puts(&t, b.s + strlen("<command"));
                buf_free(&b);
                b = t;
            }
            continue;
        }
        show_reply(&r, pl, line, NULL, 0);
        if (r.error)
            g_cli.failed = 1;
        else if ((ep = xchild(r.root, "edit-path")) != NULL) {
            g_cli.mode = MODE_CONFIG;
            xtext(r.root, "edit-path", g_cli.edit_path, sizeof(g_cli.edit_path));
        }
        reply_free(&r);
        break;
    }
    buf_free(&b);
}

static const char *const commit_words[] = {"and-quit", "check",       "comment", "confirmed",
                                           "full",     "synchronize", "force",   NULL};
static const char *const load_words[] = {"factory-default", "merge", "override", "replace", "set",
                                         "update",          NULL};
static const char *const terminal_word[] = {"terminal", NULL};
static const char *const relative_word[] = {"relative", NULL};
static const char *const exit_words[] = {"configuration-mode", NULL};
static const char *const delete_word[] = {"delete", NULL};

/* Expand the abbreviated command words of a configuration-mode line into
 * `sent`.  *verb: the command (after `top`).  -1 after an error. */
static int expand(struct words *ws, const char *cmd, const char *line, struct buf *sent,
                  struct colmap *cm, const char **verb, size_t *verb_at)
{
    const char *rep[128] = {0}, *v = NULL, *o;
    size_t i = 0, pos = 0, n = ws->n < 128 ? ws->n : 128;
    int amb;

    *verb = NULL;
    while (i < n) {
        v = verb_match(ws->w[i], &amb);
        if (v == NULL) {
            if (amb) {
                char msg[300];
                snprintf(msg, sizeof(msg), "'%s' is ambiguous.", ws->w[i]);
                error_at(line, ws->off[i], msg);
                return -1;
            }
            break;
        }
        rep[i] = v;
        *verb = v;
        *verb_at = i;
        if (strcmp(v, "top") || i + 1 >= n)
            break;
        i++;
    }
    if (*verb && v) {
        if (!strcmp(v, "commit")) {
            for (size_t j = i + 1; j < n; j++) {
                if ((o = prefix_match(commit_words, ws->w[j], &amb)) != NULL)
                    rep[j] = o;
                if (o && !strcmp(o, "comment"))
                    j++;
            }
        } else if (!strcmp(v, "load")) {
            if (i + 1 < n)
                rep[i + 1] = prefix_match(load_words, ws->w[i + 1], &amb);
            if (i + 2 < n)
                rep[i + 2] = prefix_match(terminal_word, ws->w[i + 2], &amb);
            if (i + 3 < n)
                rep[i + 3] = prefix_match(relative_word, ws->w[i + 3], &amb);
        } else if ((!strcmp(v, "exit") || !strcmp(v, "quit")) && i + 1 < n) {
            rep[i + 1] = prefix_match(exit_words, ws->w[i + 1], &amb);
        } else if (!strcmp(v, "wildcard") && i + 1 < n) {
            rep[i + 1] = prefix_match(delete_word, ws->w[i + 1], &amb);
        }
    }
    memset(cm, 0, sizeof(*cm));
    for (size_t k = 0; k < n; k++) {
        buf_add(sent, cmd + pos, ws->off[k] - pos);
        cm->o[k] = ws->off[k];
        cm->s[k] = sent->len;
        pos = ws->off[k];
        if (rep[k] && !ws->quoted[k]) {
            buf_puts(sent, rep[k]);
            cm->replaced[k] = 1;
            pos += strlen(ws->w[k]);
        }
    }
    buf_puts(sent, cmd + pos);
    cm->n = n;
    cm->olen = strlen(cmd);
    cm->slen = sent->len;
    return 0;
}

/* Configuration mode: <edit-command>, with mgd's confirm protocol. */
static void exec_config(const char *cmd, const char *line, struct pipeline *pl)
{
    struct words ws;
    struct buf sent, b;
    struct colmap cm;
    struct reply r;
    const char *err, *verb = NULL, *confirmed = NULL;
    char *input = NULL;
    size_t eo, run_off = 0, verb_at = 0;
    int split;

    words_init(&ws);
    buf_init(&sent);
    memset(&cm, 0, sizeof(cm));
    split = words_split(&ws, cmd, strlen(cmd), &err, &eo);
    if (split == 0 && (ws.n == 0 || ws.w[0][0] == '#'))
        goto out;
    if (split < 0)
        buf_puts(&sent, cmd);
    else if (expand(&ws, cmd, line, &sent, &cm, &verb, &verb_at) < 0) {
        g_cli.failed = 1;
        goto out;
    }
    if (verb && !strcmp(verb, "run") && verb_at + 1 < ws.n) {
        run_off = ws.off[verb_at + 1];
        if (local_command(&ws, verb_at + 1, line, pl))
            goto out;
    }
    if (verb && !strcmp(verb, "load") && verb_at + 2 < ws.n &&
        prefix_match(terminal_word, ws.w[verb_at + 2], &split) != NULL &&
        (input = read_terminal_input()) == NULL)
        goto out; /* Ctrl-C: abandoned, as a line is */
    buf_init(&b);
    for (int first = 1;; first = 0) {
        xmlNodePtr c;
        buf_reset(&b);
        req_edit(&b, sent.s, pl->display, confirmed, input, first);
        if (rpc_call(b.s, &r, chunk, pl) < 0)
            break;
        if (r.root && !r.error && xchild(r.root, "password-prompt") && input == NULL) {
            /* set ... plain-text-password: the line again with the crypt */
            reply_free(&r);
            if ((input = read_new_password()) == NULL) {
                g_cli.failed = 1;
                break;
            }
            continue;
        }
        if (r.root && (c = xchild(r.root, "confirm")) != NULL && !r.error) {
            xmlChar *prompt = xmlGetProp(c, (const xmlChar *)"prompt");
            xmlChar *dflt = xmlGetProp(c, (const xmlChar *)"default");
            xmlNodePtr o = xchild(r.root, "output");
            char *text = o ? xcontent(o) : NULL;
            int yes;
            if (text)
                out_text(text);
            free(text);
            yes = ask_confirm(prompt ? (const char *)prompt : "Continue? [yes,no] (no) ",
                              dflt && !strcmp((const char *)dflt, "yes"));
            xmlFree(prompt);
            xmlFree(dflt);
            reply_free(&r);
            if (!yes)
                break;
            confirmed = "yes";
            continue;
        }
        /* mgd's columns after `run` are relative to the operational command */
        if (run_off && xchild(r.root, "error"))
            show_reply(&r, pl, line, NULL, run_off);
        else
            show_reply(&r, pl, line, &cm, 0);
        if (r.error)
            g_cli.failed = 1;
        if (xchild(r.root, "edit-path"))
            xtext(r.root, "edit-path", g_cli.edit_path, sizeof(g_cli.edit_path));
        if (xchild(r.root, "mode")) {
            g_cli.mode = MODE_OPER;
            g_cli.edit_path[0] = '\0';
        }
        if (!r.error && verb && !strcmp(verb, "commit")) {
            refresh_host();
            confirm_pending = strstr(sent.s, " confirmed") != NULL;
        }
        reply_free(&r);
        break;
    }
    buf_free(&b);
out:
    free(input);
    buf_free(&sent);
    words_free(&ws);
}

void exec_line(const char *line)
{
    size_t cut = pipe_split(line), ecol = 0;
    struct pipeline pl;
    char err[512], *cmd;

    pl_init(&pl);
    if (line[cut] == '|' && pipes_parse(line, cut, &pl, err, sizeof(err), &ecol) < 0) {
        out_begin(0);
        error_at(line, ecol, err);
        g_cli.failed = 1;
        pl_free(&pl);
        return;
    }
    out_begin(g_cli.interactive && g_cli.tty_out && !pl.no_more);
    cmd = strndup(line, cut);
    if (cmd == NULL)
        abort();
    if (g_cli.mode == MODE_OPER)
        exec_oper(cmd, line, &pl);
    else
        exec_config(cmd, line, &pl);
    pl_finish(&pl);
    pl_free(&pl);
    free(cmd);
    names_invalidate();
    fflush(stdout);
}

void exec_help(const char *text)
{
    struct clist l = {0};
    struct buf b;
    size_t poff;

    buf_init(&b);
    if (complete(text, &l, &poff) == 0)
        help_format(&b, &l);
    out_begin(0);
    out_text(b.s ? b.s : "");
    clist_free(&l);
    buf_free(&b);
    names_invalidate();
}
