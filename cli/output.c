/*
 * output.c: where command output goes.  On a terminal, long output stops
 * every screen at a `---(more)---` prompt (space: next screen, enter: next
 * line, q: stop), unless `| no-more` or `set cli screen-length 0`.
 */
#include "cli.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

extern volatile sig_atomic_t g_interrupted;

static struct {
    int paginate;
    int rows_left; /* screen rows before the next more prompt */
    int stopped;
} o;

int term_rows(void)
{
    struct winsize ws;

    if (g_cli.screen_length >= 0)
        return g_cli.screen_length;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0)
        return ws.ws_row;
    return 24;
}

int term_cols(void)
{
    struct winsize ws;

    if (g_cli.screen_width >= 0)
        return g_cli.screen_width;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    return 80;
}

void out_begin(int paginate)
{
    int rows = term_rows();

    o.paginate = paginate && rows > 1;
    o.rows_left = rows - 1;
    o.stopped = 0;
}

int out_stopped(void)
{
    return o.stopped;
}

/* One key from the terminal, without echo. */
static int read_key(void)
{
    struct termios saved, raw;
    unsigned char c = 0;
    int have = tcgetattr(STDIN_FILENO, &saved) == 0;
    ssize_t n;

    g_interrupted = 0;
    if (have) {
        raw = saved;
        raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
        raw.c_cc[VMIN] = 1;
        raw.c_cc[VTIME] = 0;
        tcsetattr(STDIN_FILENO, TCSANOW, &raw);
    }
    do
        n = read(STDIN_FILENO, &c, 1);
    while (n < 0 && errno == EINTR && !g_interrupted);
    if (have)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    return n == 1 ? c : 'q';
}

/* The more prompt: returns how many rows may follow. */
static int more(void)
{
    static const char prompt[] = "---(more)---";

    for (;;) {
        int c;
        fputs(prompt, stdout);
        fflush(stdout);
        c = read_key();
        /* erase the prompt, as Junos does */
        printf("\r%*s\r", (int)sizeof(prompt) - 1, "");
        switch (c) {
        case ' ':
            return term_rows() - 1;
        case '\r':
        case '\n':
        case 'j':
            return 1;
        case 'q':
        case 'Q':
        case 3: /* ^C */
            o.stopped = 1;
            return 0;
        case 'N': /* no more paging for this output */
            o.paginate = 0;
            return 1;
        default:
            break;
        }
    }
}

void out_line(const char *s, size_t len)
{
    if (o.stopped)
        return;
    if (o.paginate) {
        int cols = term_cols(), rows = cols > 0 && len > 0 ? (int)((len + cols - 1) / cols) : 1;
        if (o.rows_left <= 0 && (o.rows_left = more()) <= 0)
            return;
        o.rows_left -= rows;
    }
    fwrite(s, 1, len, stdout);
    fputc('\n', stdout);
}

void out_text(const char *s)
{
    while (*s && !o.stopped) {
        const char *nl = strchr(s, '\n');
        size_t len = nl ? (size_t)(nl - s) : strlen(s);
        out_line(s, len);
        s += len + (nl != NULL);
    }
    fflush(stdout);
}
