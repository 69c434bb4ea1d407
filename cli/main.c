/*
 * main.c: cli [--root DIR] [--schema DIR] [-c COMMAND]
 *
 * Connects to mgd under ROOT (--root, $OPENSG_ROOT, /var/opensg) and runs:
 *  - with -c, one operational command, errors on one line;
 *  - on a terminal, the interactive CLI (libedit);
 *  - otherwise the lines of standard input, printing what the interactive
 *    CLI prints: banner, prompt and command, output, blank line.
 * The exit status is 1 when some command failed.
 */
#include "cli.h"

#include <libxml/parser.h>

#include <getopt.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef SCHEMA_DIR
#define SCHEMA_DIR "schema"
#endif

struct cli g_cli;
volatile sig_atomic_t g_interrupted;

static void on_sigint(int sig)
{
    (void)sig;
    g_interrupted = 1;
}

static void usage(void)
{
    fprintf(stderr, "usage: cli [--root DIR] [--schema DIR] [-c COMMAND]\n");
    exit(2);
}

/* A line ending with an unquoted '?' asks for help (standard input). */
static int help_request(const char *line)
{
    size_t n = strlen(line);
    int q = 0;

    if (n == 0 || line[n - 1] != '?')
        return 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (q && line[i] == '\\' && line[i + 1])
            i++;
        else if (line[i] == '"')
            q = !q;
    }
    return !q;
}

/* The next command line; on standard input the line is read first, so
 * that nothing is printed after the last one. */
static char *next_line(int blank)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if (g_cli.interactive) {
        if (blank)
            putchar('\n');
        if (g_cli.mode == MODE_CONFIG)
            print_banner();
        fflush(stdout);
        return edit_readline();
    }
    n = getline(&line, &cap, g_cli.in);
    if (n < 0) {
        free(line);
        return NULL;
    }
    while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    if (blank)
        putchar('\n');
    if (g_cli.mode == MODE_CONFIG)
        print_banner();
    printf("%s%s\n", cli_prompt(), line);
    return line;
}

static void run_loop(void)
{
    int blank = 0;

    while (!g_cli.quit) {
        char *line = next_line(blank);
        if (line == NULL) {
            if (!g_cli.interactive)
                break;
            putchar('\n');
            if (g_cli.mode == MODE_OPER)
                break;
            /* Ctrl-D in configuration mode leaves it */
            exec_line("exit configuration-mode");
            blank = 1;
            continue;
        }
        if (g_cli.interrupted_line) {
            g_cli.interrupted_line = 0;
            blank = 0;
        } else if (!g_cli.interactive && help_request(line)) {
            line[strlen(line) - 1] = '\0';
            exec_help(line);
            blank = 0;
        } else {
            exec_line(line);
            blank = 1;
        }
        free(line);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"root", required_argument, NULL, 'r'},
                                         {"schema", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    const char *command = NULL;
    struct passwd *pw = getpwuid(getuid());
    struct sigaction sa;
    char err[600];
    int c;

    g_cli.root = getenv("OPENSG_ROOT");
    g_cli.schema_dir = SCHEMA_DIR;
    while ((c = getopt_long(argc, argv, "c:r:s:h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            command = optarg;
            break;
        case 'r':
            g_cli.root = optarg;
            break;
        case 's':
            g_cli.schema_dir = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();
    if (g_cli.root == NULL || *g_cli.root == '\0')
        g_cli.root = "/var/opensg";
    snprintf(g_cli.user, sizeof(g_cli.user), "%s", pw ? pw->pw_name : "unknown");
    g_cli.fd = -1;
    g_cli.screen_length = g_cli.screen_width = -1;
    g_cli.in = stdin;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigint;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    LIBXML_TEST_VERSION

    if (conn_open(err, sizeof(err)) < 0) {
        fprintf(stderr, "error: %s\n", err);
        return 1;
    }
    if (command) {
        g_cli.oneshot = 1;
        exec_line(command);
    } else {
        refresh_host();
        g_cli.interactive = isatty(STDIN_FILENO) && edit_init() == 0;
        g_cli.tty_out = isatty(STDOUT_FILENO);
        run_loop();
        edit_end();
    }
    fflush(stdout);
    names_invalidate();
    schemas_free();
    conn_close();
    xmlCleanupParser();
    return g_cli.failed ? 1 : 0;
}
