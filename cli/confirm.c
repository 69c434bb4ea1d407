/*
 * confirm.c: what the CLI reads besides command lines, and its own
 * commands.
 *
 *  - yes/no questions of mgd (<confirm prompt default>): on a terminal the
 *    answer is typed after the prompt; from standard input the next line
 *    is the answer (echoed, as a terminal would show it) and the end of
 *    input takes the default;
 *  - passwords (`set ... plain-text-password`, password.c): read without
 *    echo on a terminal (termios), as plain lines from standard input;
 *  - the text of `load ... terminal`: lines up to a line `^D`, a 0x04 byte
 *    or the end of input (Ctrl-D at a new line on a terminal); Ctrl-C
 *    abandons the load (nothing is sent to mgd);
 *  - CLI-local operational commands: exit, quit, set cli screen-length N,
 *    set cli screen-width N, show cli.
 */
#include "cli.h"
#include "words.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <signal.h>
#include <unistd.h>

extern volatile sig_atomic_t g_interrupted;

/* One line of input without its newline, malloc'ed; NULL at the end. */
static char *input_line(void)
{
    FILE *f = g_cli.interactive ? stdin : g_cli.in;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n = getline(&line, &cap, f);

    if (n < 0) {
        free(line);
        if (g_cli.interactive)
            clearerr(stdin);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    return line;
}

int ask_confirm(const char *prompt, int dflt)
{
    for (;;) {
        char *line, *p;
        size_t len;
        fputs(prompt, stdout);
        fflush(stdout);
        line = input_line();
        if (line == NULL) {
            putchar('\n');
            return dflt;
        }
        if (!g_cli.interactive)
            printf("%s\n", line);
        for (p = line; *p == ' ' || *p == '\t'; p++)
            ;
        len = strcspn(p, " \t");
        p[len] = '\0';
        if (len == 0) {
            free(line);
            return dflt;
        }
        if (strncmp("yes", p, len) == 0 || strncmp("no", p, len) == 0) {
            int yes = p[0] == 'y';
            free(line);
            return yes;
        }
        free(line);
    }
}

char *ask_secret(const char *prompt, char *buf, size_t len)
{
    FILE *f = g_cli.interactive ? stdin : g_cli.in;
    struct termios old, quiet;
    int tty = g_cli.interactive && tcgetattr(STDIN_FILENO, &old) == 0;
    char *got;
    size_t n;

    fputs(prompt, stdout);
    fflush(stdout);
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        quiet.c_lflag |= ICANON;
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    /* a fixed buffer: getline's reallocations would leave copies behind */
    got = fgets(buf, (int)len, f);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSANOW, &old);
        if (got == NULL)
            clearerr(stdin);
    }
    putchar('\n'); /* the newline that was not echoed */
    fflush(stdout);
    if (got == NULL)
        return NULL;
    n = strcspn(buf, "\n");
    if (buf[n] != '\n' && n + 1 == len) {
        /* longer than the buffer: drop the rest of the line */
        int ch;
        while ((ch = fgetc(f)) != EOF && ch != '\n')
            ;
    }
    buf[n] = '\0';
    if (n && buf[n - 1] == '\r')
        buf[n - 1] = '\0';
    return buf;
}

char *read_terminal_input(void)
{
    struct buf b;
    char *line;

    g_interrupted = 0;
    buf_init(&b);
    out_text("[Type ^D at a new line to end input]\n");
    fflush(stdout);
    while ((line = input_line()) != NULL) {
        char *eot = strchr(line, '\x04');
        int end = eot != NULL || (!g_cli.interactive && strcmp(line, "^D") == 0);
        if (eot)
            *eot = '\0';
        if (!g_cli.interactive && !end)
            printf("%s\n", line);
        if (end) {
            if (*line && eot)
                buf_printf(&b, "%s\n", line);
            if (!g_cli.interactive)
                printf("%s^D\n", eot ? line : "");
            free(line);
            break;
        }
        buf_printf(&b, "%s\n", line);
        free(line);
    }
    if (g_interrupted) { /* Ctrl-C: the load is abandoned, nothing sent */
        g_interrupted = 0;
        buf_free(&b);
        out_text("\n");
        fflush(stdout);
        return NULL;
    }
    fflush(stdout);
    return buf_steal(&b);
}

static int number_arg(const char *s, long max, long *v)
{
    char *end;

    errno = 0;
    *v = strtol(s, &end, 10);
    return *s && *end == '\0' && errno == 0 && *v >= 0 && *v <= max ? 0 : -1;
}

int local_command(struct words *ws, size_t from, const char *line, struct pipeline *pl)
{
    struct walk w;
    size_t i;
    int local = 0;
    const char *rpc;
    char msg[256];

    if (from >= ws->n)
        return 0;
    walk_init(&w, op_schema()->root, 1, NULL);
    for (i = from; i < ws->n; i++) {
        if (walk_word(&w, ws->w[i]) < 0)
            break;
        if (w.nsteps && w.steps[0].sch->parent == NULL)
            local = 1; /* a command of our own at the top (set ...) */
        if (w.rpc && !strncmp(w.rpc->rpc, "cli-", 4))
            local = 1;
    }
    rpc = w.rpc ? w.rpc->rpc : "";
    walk_free(&w);
    if (!local)
        return 0;
    if (i < ws->n) {
        error_at(line, ws->off[i], "syntax error, expecting <command>.");
        g_cli.failed = 1;
        return 1;
    }
    if (w.st != W_KEYWORD && w.st != W_END && w.st != W_ERROR && w.st != W_VALUE) {
        error_at(line, strlen(line), "syntax error, expecting <command>.");
        g_cli.failed = 1;
        return 1;
    }
    if (!strcmp(rpc, "cli-exit")) {
        g_cli.quit = 1;
    } else if (!strcmp(rpc, "cli-show")) {
        const char *term = getenv("TERM");
        snprintf(msg, sizeof(msg),
                 "CLI complete-on-space set to on\nCLI screen-length set to %d\n"
                 "CLI screen-width set to %d\nCLI terminal is '%s'\n",
                 term_rows(), term_cols(), term ? term : "unknown");
        pl_puts(pl, msg);
    } else if (!strcmp(rpc, "cli-screen-length") || !strcmp(rpc, "cli-screen-width")) {
        int length = !strcmp(rpc, "cli-screen-length");
        long max = length ? 100000 : 1024, v;
        if (w.st == W_VALUE) {
            error_at(line, strlen(line), "missing argument.");
            g_cli.failed = 1;
        } else if (number_arg(ws->w[ws->n - 1], max, &v) < 0) {
            snprintf(msg, sizeof(msg), "invalid value '%s' (0..%ld)", ws->w[ws->n - 1], max);
            error_at(line, ws->off[ws->n - 1], msg);
            g_cli.failed = 1;
        } else {
            if (length)
                g_cli.screen_length = (int)v;
            else
                g_cli.screen_width = (int)v;
            snprintf(msg, sizeof(msg), "Screen %s set to %ld\n", length ? "length" : "width", v);
            pl_puts(pl, msg);
        }
    } else {
        /* `set` or `set cli` alone */
        error_at(line, strlen(line), "syntax error, expecting <command>.");
        g_cli.failed = 1;
    }
    return 1;
}
