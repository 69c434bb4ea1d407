/*
 * osg-watch: the appliance's file watcher (images/, docs/image.md).
 *
 *   osg-watch run ROOT HOOK
 *       Runs for ever (started by init, respawned): when mgd writes
 *       ROOT/halt-request (`request system reboot | power-off`), runs
 *       `HOOK halt reboot|power-off`; when a commit replaces
 *       ROOT/db/history/index, runs `HOOK commit`.
 *
 *   osg-watch wait [-t SECONDS] PATH [TEXT]
 *       Waits until PATH exists (and, with TEXT, until it contains TEXT);
 *       exit 0, or 1 when the deadline (default 30 s) passes.  The boot
 *       script waits for mgd's socket and the daemons' logs with it.
 *
 * Both use inotify: no polling, nothing is missed.  mgd writes
 * halt-request atomically (temporary file, rename) and, for a reboot,
 * removes it again 200 ms later before it re-executes itself: a file that
 * is already gone when the event is handled therefore means "reboot".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
    fprintf(stderr, "usage: osg-watch run ROOT HOOK\n"
                    "       osg-watch wait [-t SECONDS] PATH [TEXT]\n");
    exit(2);
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* 1 when PATH exists (and holds TEXT, if TEXT is not NULL). */
static int present(const char *path, const char *text)
{
    FILE *f;
    char *buf;
    long n;
    int found;

    if (text == NULL)
        return access(path, F_OK) == 0;
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    if (fseek(f, 0, SEEK_END) < 0 || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) < 0 ||
        (buf = malloc((size_t)n + 1)) == NULL) {
        fclose(f);
        return 0;
    }
    n = (long)fread(buf, 1, (size_t)n, f);
    buf[n] = '\0';
    fclose(f);
    found = memmem(buf, (size_t)n, text, strlen(text)) != NULL;
    free(buf);
    return found;
}

static int cmd_wait(int argc, char **argv)
{
    double timeout = 30, deadline;
    const char *path, *text;
    char dir[PATH_MAX], *slash;
    int fd, c;

    while ((c = getopt(argc, argv, "t:")) != -1) {
        if (c != 't')
            usage();
        timeout = atof(optarg);
    }
    if (argc - optind < 1 || argc - optind > 2)
        usage();
    path = argv[optind];
    text = argc - optind == 2 ? argv[optind + 1] : NULL;
    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    deadline = now() + timeout;
    fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
    /* the directory: creation, renames; the file itself (once it exists):
     * appends.  A missing directory is polled for (rare: ROOT/log). */
    for (;;) {
        int wd_dir = -1, wd_file = -1;
        struct pollfd p = {fd, POLLIN, 0};
        double left;
        char ev[4096];

        if (fd >= 0) {
            wd_dir = inotify_add_watch(fd, dir, IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE);
            if (text)
                wd_file = inotify_add_watch(fd, path, IN_MODIFY | IN_CLOSE_WRITE);
        }
        if (present(path, text))
            return 0;
        left = deadline - now();
        if (left <= 0) {
            fprintf(stderr, "osg-watch: %s%s%s%s not there after %g s\n", path, text ? " (\"" : "",
                    text ? text : "", text ? "\")" : "", timeout);
            return 1;
        }
        if (fd < 0 || wd_dir < 0)
            left = left < 0.05 ? left : 0.05;
        if (poll(&p, 1, (int)(left * 1000) + 1) > 0)
            while (read(fd, ev, sizeof(ev)) > 0)
                ;
        if (wd_file >= 0)
            inotify_rm_watch(fd, wd_file);
        if (wd_dir >= 0)
            inotify_rm_watch(fd, wd_dir);
    }
}

/* Run HOOK WORD [ARG] and wait for it. */
static void hook(const char *prog, const char *word, const char *arg)
{
    pid_t pid = fork();
    int st;

    if (pid < 0) {
        perror("osg-watch: fork");
        return;
    }
    if (pid == 0) {
        execl(prog, prog, word, arg, (char *)NULL);
        fprintf(stderr, "osg-watch: %s: %s\n", prog, strerror(errno));
        _exit(127);
    }
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
}

static int cmd_run(const char *root, const char *prog)
{
    char hist[PATH_MAX], halt[PATH_MAX];
    int fd, wd_root, wd_hist;
    char buf[8192] __attribute__((aligned(__alignof__(struct inotify_event))));

    snprintf(hist, sizeof(hist), "%s/db/history", root);
    snprintf(halt, sizeof(halt), "%s/halt-request", root);
    if ((fd = inotify_init1(IN_CLOEXEC)) < 0) {
        perror("osg-watch: inotify_init1");
        return 1;
    }
    wd_root = inotify_add_watch(fd, root, IN_MOVED_TO | IN_CLOSE_WRITE);
    wd_hist = inotify_add_watch(fd, hist, IN_MOVED_TO | IN_CLOSE_WRITE);
    if (wd_root < 0 || wd_hist < 0) {
        fprintf(stderr, "osg-watch: cannot watch %s: %s\n", wd_root < 0 ? root : hist,
                strerror(errno));
        sleep(2); /* mgd not up: init starts us again, not in a tight loop */
        return 1;
    }
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        int commit = 0, halted = 0;

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            perror("osg-watch: read");
            return 1;
        }
        for (char *p = buf; p < buf + n;) {
            const struct inotify_event *e = (const struct inotify_event *)p;
            if (e->len && e->wd == wd_root && strcmp(e->name, "halt-request") == 0)
                halted = 1;
            else if (e->len && e->wd == wd_hist && strcmp(e->name, "index") == 0)
                commit = 1;
            p += sizeof(*e) + e->len;
        }
        if (halted) {
            char what[32] = "";
            FILE *f = fopen(halt, "r");
            if (f) {
                if (fgets(what, sizeof(what), f) == NULL)
                    what[0] = '\0';
                fclose(f);
                what[strcspn(what, "\r\n")] = '\0';
            }
            /* gone already: mgd removes it only before re-executing for a
             * reboot */
            hook(prog, "halt", strcmp(what, "power-off") == 0 ? "power-off" : "reboot");
        } else if (commit) {
            hook(prog, "commit", NULL);
        }
    }
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    if (argc >= 2 && strcmp(argv[1], "wait") == 0)
        return cmd_wait(argc - 1, argv + 1);
    if (argc == 4 && strcmp(argv[1], "run") == 0)
        return cmd_run(argv[2], argv[3]);
    usage();
    return 2;
}
