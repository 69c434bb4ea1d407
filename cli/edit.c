/*
 * edit.c: line editing on a terminal with libedit (emacs bindings,
 * history with the arrow keys), plus Junos's keys:
 *   TAB    completes a unique prefix (keywords and existing names), or the
 *          common prefix of several, or lists them;
 *   space  completes a unique keyword prefix, then inserts the space;
 *   ?      lists the possible completions of the word under the cursor
 *          (mid-word too) and redisplays the line; inside quotes it is a
 *          character like any other.
 */
#include "cli.h"

#include <histedit.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

static EditLine *el;
static History *hist;

static char *prompt_fn(EditLine *e)
{
    (void)e;
    return (char *)cli_prompt();
}

static char *before_cursor(EditLine *e, int *at_end)
{
    const LineInfo *li = el_line(e);
    char *s = strndup(li->buffer, (size_t)(li->cursor - li->buffer));

    if (s == NULL)
        abort();
    *at_end = li->cursor == li->lastchar;
    return s;
}

static void show_list(struct clist *l)
{
    struct buf b;

    buf_init(&b);
    help_format(&b, l);
    fputs(b.s, stdout);
    if (g_cli.mode == MODE_CONFIG)
        print_banner();
    fflush(stdout);
    buf_free(&b);
}

static unsigned char fn_help(EditLine *e, int ch)
{
    int at_end;
    char *text = before_cursor(e, &at_end);
    struct clist l = {0};
    size_t poff;

    (void)ch;
    if (complete(text, &l, &poff) < 0) {
        free(text);
        el_insertstr(e, "?");
        return CC_REFRESH;
    }
    fputs(at_end ? "?\n" : "\n", stdout);
    show_list(&l);
    clist_free(&l);
    free(text);
    names_invalidate();
    return CC_REDISPLAY;
}

/* Candidates that TAB (names too) or space (keywords only) may insert. */
static size_t candidates(struct clist *l, int names, const char **out, size_t max)
{
    size_t n = 0;

    for (size_t i = 0; i < l->n && n < max; i++)
        if (l->v[i].kind == CI_KEYWORD || (names && l->v[i].kind == CI_NAME))
            out[n++] = l->v[i].name;
    return n;
}

static unsigned char fn_tab(EditLine *e, int ch)
{
    int at_end;
    char *text = before_cursor(e, &at_end);
    struct clist l = {0};
    const char *c[256];
    size_t poff, plen, n, common;
    unsigned char rc = CC_REFRESH;

    (void)ch;
    if (complete(text, &l, &poff) < 0) {
        free(text);
        return CC_REFRESH_BEEP;
    }
    plen = strlen(text) - poff;
    n = candidates(&l, 1, c, 256);
    if (n == 1) {
        el_insertstr(e, c[0] + plen);
        el_insertstr(e, " ");
    } else if (n > 1) {
        common = strlen(c[0]);
        for (size_t i = 1; i < n; i++) {
            size_t k = 0;
            while (k < common && c[i][k] == c[0][k])
                k++;
            common = k;
        }
        if (common > plen) {
            char *ins = strndup(c[0] + plen, common - plen);
            el_insertstr(e, ins);
            free(ins);
        } else {
            fputs("\n", stdout);
            show_list(&l);
            rc = CC_REDISPLAY;
        }
    } else {
        rc = CC_REFRESH_BEEP;
    }
    clist_free(&l);
    free(text);
    names_invalidate();
    return rc;
}

static unsigned char fn_space(EditLine *e, int ch)
{
    int at_end;
    char *text = before_cursor(e, &at_end);
    size_t len = strlen(text), poff, plen;
    struct clist l = {0};
    const char *c[4];

    (void)ch;
    names_enable(0); /* keywords only: no request to mgd on each space */
    if (at_end && len > 0 && text[len - 1] != ' ' && complete(text, &l, &poff) == 0) {
        plen = len - poff;
        if (plen > 0 && candidates(&l, 0, c, 4) == 1 && strlen(c[0]) > plen)
            el_insertstr(e, c[0] + plen);
    }
    names_enable(1);
    el_insertstr(e, " ");
    clist_free(&l);
    free(text);
    return CC_REFRESH;
}

int edit_init(void)
{
    HistEvent ev;

    el = el_init("cli", stdin, stdout, stderr);
    if (el == NULL)
        return -1;
    hist = history_init();
    history(hist, &ev, H_SETSIZE, 1000);
    history(hist, &ev, H_SETUNIQUE, 1);
    el_set(el, EL_EDITOR, "emacs");
    el_set(el, EL_PROMPT, prompt_fn);
    el_set(el, EL_HIST, history, hist);
    el_set(el, EL_SIGNAL, 1);
    /* the wide call keeps our strings; the narrow one leaks copies */
    el_wset(el, EL_ADDFN, L"cli-help", L"List possible completions", fn_help);
    el_wset(el, EL_ADDFN, L"cli-complete", L"Complete the word", fn_tab);
    el_wset(el, EL_ADDFN, L"cli-space", L"Complete a keyword, insert a space", fn_space);
    el_set(el, EL_BIND, "?", "cli-help", NULL);
    el_set(el, EL_BIND, "^I", "cli-complete", NULL);
    el_set(el, EL_BIND, " ", "cli-space", NULL);
    return 0;
}

char *edit_readline(void)
{
    int count = 0;
    const char *s;
    char *line;
    size_t n;

    errno = 0;
    s = el_gets(el, &count);
    if (s == NULL || count <= 0) {
        if (count < 0 && errno == EINTR) {
            /* Ctrl-C: abandon the line */
            fputs("\n", stdout);
            g_cli.interrupted_line = 1;
            return strdup("");
        }
        return NULL;
    }
    line = strdup(s);
    if (line == NULL)
        abort();
    n = strlen(line);
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (n > 0) {
        HistEvent ev;
        history(hist, &ev, H_ENTER, line);
    }
    return line;
}

void edit_end(void)
{
    if (el)
        el_end(el);
    if (hist)
        history_end(hist);
    el = NULL;
    hist = NULL;
}
