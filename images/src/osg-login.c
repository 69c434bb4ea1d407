/*
 * osg-login: the console login of the appliance image (images/,
 * docs/image.md): a getty and login(1) in one, checking the accounts of
 * the committed configuration, then starting the CLI as the login shell.
 *
 *   osg-login [--tty NAME] [--root DIR] [--schema DIR] [--cli PATH]
 *             [--term TERM] [--issue FILE] [--motd FILE] [--shell PATH]
 *   osg-login [--shell PATH] [--etc DIR] --accounts FILE
 *
 * - With --tty (e.g. ttyS0) it opens /dev/NAME as its controlling terminal
 *   (init respawns it when the session ends).
 * - Prints "\nHOST (TTY)\n\n", the --issue file (the boot script puts the
 *   "changes will not persist" warning there), then "login: ".
 * - Accounts come from mgd at each attempt, through
 *   `cli -c 'show configuration system | display inheritance | display set'`:
 *   `root` is checked against `system root-authentication
 *   encrypted-password`, and logs in without a password while none is
 *   configured (the factory default, as on Junos); any other NAME must be a
 *   `system login user NAME` with `authentication encrypted-password`.
 *   Hashes are checked with crypt(3) (libxcrypt: $1$, $5$, $6$, $y$, ...).
 * - On success /etc/passwd, /etc/group and /etc/shadow are rewritten with
 *   root and every configured user (accounts.h: their `uid`, or the first
 *   free one from 2000 on), so that mgd maps the session's uid back to the
 *   user name and its login class; the process takes the user's uid and
 *   executes the CLI (argv[0] "-cli").  The accounts' login shell in
 *   /etc/passwd is --shell (/etc/osg/login-shell: what sshd runs the
 *   NETCONF subsystem through).
 * - --accounts FILE only rewrites those files from the `display set` lines
 *   of FILE ("-": standard input) and exits: the commit hook's use.
 */
#define _GNU_SOURCE
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "accounts.h"

static const char *opt_tty, *opt_root = "/var/opensg", *opt_schema = "/usr/share/opensg/schema",
                            *opt_cli = "/usr/sbin/cli", *opt_term = "vt100",
                            *opt_issue = "/run/osg/issue", *opt_motd = "/run/osg/motd",
                            *opt_shell = "/etc/osg/login-shell", *opt_accounts, *opt_etc = "/etc";

static void usage(void)
{
    fprintf(stderr, "usage: osg-login [--tty NAME] [--root DIR] [--schema DIR] [--cli PATH] "
                    "[--term TERM] [--issue FILE] [--motd FILE] [--shell PATH]\n"
                    "       osg-login [--shell PATH] [--etc DIR] --accounts FILE\n");
    exit(2);
}

static void open_tty(const char *name)
{
    char path[128];
    int fd;

    snprintf(path, sizeof(path), "%s%s", name[0] == '/' ? "" : "/dev/", name);
    setsid();
    if ((fd = open(path, O_RDWR)) < 0) {
        fprintf(stderr, "osg-login: %s: %s\n", path, strerror(errno));
        sleep(5); /* init respawns us: do not spin */
        exit(1);
    }
    ioctl(fd, TIOCSCTTY, 1);
    if (fchown(fd, 0, 0) < 0 || fchmod(fd, 0620) < 0) {
        /* a tty we cannot own still works for root */
    }
    dup2(fd, 0);
    dup2(fd, 1);
    dup2(fd, 2);
    if (fd > 2)
        close(fd);
}

/* A sane line discipline: what getty leaves for login. */
static void sane_tty(void)
{
    struct termios t;

    if (tcgetattr(0, &t) < 0)
        return;
    t.c_iflag = BRKINT | ICRNL | IXON | IMAXBEL | IUTF8;
    t.c_oflag = OPOST | ONLCR;
    t.c_cflag = (t.c_cflag & (CBAUD | CBAUDEX)) | CS8 | CREAD | HUPCL | CLOCAL;
    t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    t.c_cc[VINTR] = 3;
    t.c_cc[VQUIT] = 28;
    t.c_cc[VERASE] = 127;
    t.c_cc[VKILL] = 21;
    t.c_cc[VEOF] = 4;
    t.c_cc[VSTART] = 17;
    t.c_cc[VSTOP] = 19;
    t.c_cc[VSUSP] = 26;
    t.c_cc[VWERASE] = 23;
    t.c_cc[VLNEXT] = 22;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &t);
}

static void print_file(const char *path)
{
    char buf[4096];
    size_t n;
    FILE *f = fopen(path, "r");

    if (f == NULL)
        return;
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
        fwrite(buf, 1, n, stdout);
    fclose(f);
}

/* One line from the terminal without its newline; -1 at the end of input. */
static int read_line(char *buf, size_t len)
{
    size_t n;

    fflush(stdout);
    if (fgets(buf, (int)len, stdin) == NULL)
        return -1;
    n = strlen(buf);
    if (n && buf[n - 1] != '\n') {
        int c; /* too long: drop the rest */
        while ((c = getchar()) != EOF && c != '\n')
            ;
    }
    buf[strcspn(buf, "\r\n")] = '\0';
    return 0;
}

static int read_password(char *buf, size_t len)
{
    struct termios t, quiet;
    int rc, have = tcgetattr(0, &t) == 0;

    fputs("Password:", stdout);
    if (have) {
        quiet = t;
        quiet.c_lflag &= ~(tcflag_t)(ECHO | ECHOE | ECHOK | ECHONL);
        tcsetattr(0, TCSAFLUSH, &quiet);
    }
    rc = read_line(buf, len);
    if (have)
        tcsetattr(0, TCSAFLUSH, &t);
    fputs("\n", stdout);
    return rc;
}

/* The accounts of the committed configuration; -1 when mgd cannot say. */
static int load_accounts(struct accounts *a)
{
    int pfd[2], st;
    pid_t pid;
    FILE *f;

    memset(a, 0, sizeof(*a));
    if (pipe(pfd) < 0)
        return -1;
    if ((pid = fork()) < 0)
        return -1;
    if (pid == 0) {
        int null = open("/dev/null", O_RDWR);
        dup2(null, 0);
        dup2(pfd[1], 1);
        dup2(null, 2);
        close(pfd[0]);
        execl(opt_cli, "cli", "--root", opt_root, "--schema", opt_schema, "-c",
              "show configuration system | display inheritance | display set", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    f = fdopen(pfd[0], "r");
    accounts_parse(a, f);
    if (f)
        fclose(f);
    else
        close(pfd[0]);
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int write_passwd(struct accounts *a)
{
    return accounts_write(a, opt_etc, opt_shell);
}

/* --accounts FILE: the accounts files from the `display set` lines of FILE
 * (the commit hook's copy of the committed configuration). */
static int write_accounts_from(const char *path)
{
    struct accounts a;
    FILE *f = strcmp(path, "-") ? fopen(path, "r") : stdin;

    if (f == NULL) {
        fprintf(stderr, "osg-login: %s: %s\n", path, strerror(errno));
        return 1;
    }
    accounts_parse(&a, f);
    if (f != stdin)
        fclose(f);
    if (write_passwd(&a) < 0) {
        fprintf(stderr,
                "osg-login: cannot write %s/passwd, group, shadow, ssh/authorized_keys: %s\n",
                opt_etc, strerror(errno));
        accounts_free(&a);
        return 1;
    }
    accounts_free(&a);
    return 0;
}

static int hash_ok(const char *password, const char *hash)
{
    struct crypt_data cd;
    const char *h;
    size_t n;
    unsigned char diff = 0;

    memset(&cd, 0, sizeof(cd));
    if (hash[0] == '\0' || hash[0] == '*' || hash[0] == '!')
        return 0;
    h = crypt_r(password, hash, &cd);
    if (h == NULL || h[0] == '*' || (n = strlen(h)) != strlen(hash))
        return 0;
    for (size_t i = 0; i < n; i++)
        diff |= (unsigned char)(h[i] ^ hash[i]);
    return diff == 0;
}

static int valid_name(const char *s)
{
    if (!*s || strlen(s) > 64 || !(((*s | 32) >= 'a' && (*s | 32) <= 'z') || *s == '_'))
        return 0;
    for (; *s; s++)
        if (!(((*s | 32) >= 'a' && (*s | 32) <= 'z') || (*s >= '0' && *s <= '9') || *s == '_' ||
              *s == '.' || *s == '-'))
            return 0;
    return 1;
}

static void start_cli(const char *name, int uid)
{
    char *argv[] = {"-cli", "--root", (char *)opt_root, "--schema", (char *)opt_schema, NULL};

    print_file(opt_motd);
    fflush(stdout);
    if (uid != 0) {
        if (fchown(0, (uid_t)uid, 0) < 0) {
            /* the tty stays root's: the CLI can still use it */
        }
        if (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 || setuid((uid_t)uid) < 0) {
            perror("osg-login: setuid");
            exit(1);
        }
    }
    if (chdir("/") < 0)
        perror("osg-login: chdir");
    clearenv();
    setenv("PATH", "/usr/sbin:/usr/bin:/sbin:/bin", 1);
    setenv("HOME", "/", 1);
    setenv("USER", name, 1);
    setenv("LOGNAME", name, 1);
    setenv("SHELL", opt_cli, 1);
    setenv("TERM", opt_term, 1);
    setenv("OPENSG_ROOT", opt_root, 1);
    signal(SIGINT, SIG_DFL);
    signal(SIGQUIT, SIG_DFL);
    execv(opt_cli, argv);
    fprintf(stderr, "osg-login: %s: %s\n", opt_cli, strerror(errno));
    exit(1);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"tty", required_argument, NULL, 't'},
        {"root", required_argument, NULL, 'r'},
        {"schema", required_argument, NULL, 's'},
        {"cli", required_argument, NULL, 'c'},
        {"term", required_argument, NULL, 'T'},
        {"issue", required_argument, NULL, 'i'},
        {"motd", required_argument, NULL, 'm'},
        {"shell", required_argument, NULL, 'S'},
        {"accounts", required_argument, NULL, 'a'},
        {"etc", required_argument, NULL, 'e'},
        {NULL, 0, NULL, 0},
    };
    char host[256], name[128], password[256];
    const char *tty;
    int c, failures = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            opt_tty = optarg;
            break;
        case 'r':
            opt_root = optarg;
            break;
        case 's':
            opt_schema = optarg;
            break;
        case 'c':
            opt_cli = optarg;
            break;
        case 'T':
            opt_term = optarg;
            break;
        case 'i':
            opt_issue = optarg;
            break;
        case 'm':
            opt_motd = optarg;
            break;
        case 'S':
            opt_shell = optarg;
            break;
        case 'a':
            opt_accounts = optarg;
            break;
        case 'e':
            opt_etc = optarg;
            break;
        default:
            usage();
        }
    }
    if (optind != argc)
        usage();
    if (opt_accounts)
        return write_accounts_from(opt_accounts);
    if (opt_tty)
        open_tty(opt_tty);
    signal(SIGINT, SIG_IGN);
    signal(SIGQUIT, SIG_IGN);
    sane_tty();
    tty = ttyname(0);
    tty = tty && strrchr(tty, '/') ? strrchr(tty, '/') + 1 : "console";
    for (;;) {
        struct accounts a;
        const char *hash = NULL;
        int uid = -1, ok = 0;

        if (gethostname(host, sizeof(host)) < 0)
            snprintf(host, sizeof(host), "opensg");
        host[sizeof(host) - 1] = '\0';
        printf("\n\n%s (%s)\n\n", host, tty);
        print_file(opt_issue);
        fputs("login: ", stdout);
        if (read_line(name, sizeof(name)) < 0)
            return 0;
        if (name[0] == '\0')
            continue;
        if (load_accounts(&a) < 0) {
            printf("\nThe configuration is not available (mgd is not running); try again.\n");
            accounts_free(&a);
            continue;
        }
        if (!valid_name(name)) {
            read_password(password, sizeof(password));
        } else if (strcmp(name, "root") == 0) {
            uid = 0;
            if (a.root_hash[0] == '\0' && a.root_keys == NULL)
                ok = 1; /* factory default: no password (nor key) */
            else
                hash = a.root_hash;
        } else {
            struct user *u = NULL;
            for (int i = 0; i < a.n; i++)
                if (strcmp(a.users[i].name, name) == 0)
                    u = &a.users[i];
            hash = u ? u->hash : "";
            if (u && write_passwd(&a) == 0)
                uid = u->uid;
        }
        if (hash) {
            if (read_password(password, sizeof(password)) < 0)
                return 0;
            ok = uid >= 0 && hash_ok(password, hash);
            memset(password, 0, sizeof(password));
        }
        if (ok) {
            if (uid == 0)
                write_passwd(&a);
            start_cli(name, uid);
        }
        accounts_free(&a);
        sleep(1);
        printf("Login incorrect\n");
        if (++failures >= 5)
            return 1; /* init starts a fresh one */
    }
}
