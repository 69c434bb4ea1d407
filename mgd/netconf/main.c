/*
 * main.c: netconf [--root DIR] [--cli PATH] [--base 1.0]
 *
 * One NETCONF session on standard input and output (sshd's "netconf"
 * subsystem: `Subsystem netconf /usr/sbin/netconf --root /var/opensg`).
 * It connects to mgd first (the session-id of the hello is mgd's), sends
 * its hello, then answers the client's messages in order.  It ends on
 * <close-session>, end of input, or when mgd closes the connection
 * (kill-session, mgd stopping); its lock and uncommitted private changes
 * go with its mgd session.  `--base 1.0` leaves base:1.1 (chunked
 * framing) out of the hello, as Junos does by default.
 */
#include "netconf.h"

#include <libxml/parser.h>

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef CLI_PATH
#define CLI_PATH "/usr/sbin/cli"
#endif

/* The remote address of the SSH session (SSH_CONNECTION's first word). */
static void remote_address(char *out, size_t len)
{
    const char *c = getenv("SSH_CONNECTION");
    size_t n = c ? strcspn(c, " ") : 0;

    snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), c ? c : "");
}

static void open_session(struct nc *nc)
{
    char from[64], body[200], *p;

    remote_address(from, sizeof(from));
    snprintf(body, sizeof(body), "<open-session kind=\"netconf\" from=\"%s\"/>",
             strspn(from, "0123456789abcdefABCDEF.:") == strlen(from) ? from : "");
    p = mgd_call(nc, body);
    nc->session_id = (unsigned)getpid();
    if (p) {
        const char *s = strstr(p, "<session-id>");
        if (s && !strstr(p, "xnm:error"))
            nc->session_id = (unsigned)strtoul(s + 12, NULL, 10);
        free(p);
    }
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {{"root", required_argument, NULL, 'r'},
                                         {"cli", required_argument, NULL, 'c'},
                                         {"base", required_argument, NULL, 'b'},
                                         {NULL, 0, NULL, 0}};
    struct nc nc;
    struct buf hb, out;
    int o;

    memset(&nc, 0, sizeof(nc));
    nc.in = 0;
    nc.out = 1;
    nc.mgd = -1;
    nc.base11 = 1;
    nc.root = getenv("OPENSG_ROOT") ? getenv("OPENSG_ROOT") : "/var/opensg";
    nc.cli = CLI_PATH;
    while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        if (o == 'r')
            nc.root = optarg;
        else if (o == 'c')
            nc.cli = optarg;
        else if (o == 'b' && strcmp(optarg, "1.0") == 0)
            nc.base11 = 0;
        else if (o == 'b' && strcmp(optarg, "1.1") == 0)
            nc.base11 = 1;
        else {
            fprintf(stderr, "usage: netconf [--root DIR] [--cli PATH] [--base 1.0|1.1]\n");
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    xmlInitParser();
    if (mgd_connect(&nc, nc.root) < 0) {
        fprintf(stderr, "netconf: cannot connect to mgd at %s/mgd.sock: %s\n", nc.root,
                strerror(errno));
        return 1;
    }
    open_session(&nc);
    frame_init(&nc.fr);
    buf_init(&hb);
    buf_init(&out);
    hello_server(&hb, &nc);
    frame_put(&out, 0, hb.s, hb.len);
    if (write(nc.out, out.s, out.len) != (ssize_t)out.len)
        return 0;
    buf_free(&hb);
    buf_free(&out);
    while (!nc.done) {
        struct pollfd p[2] = {{nc.in, POLLIN, 0}, {nc.mgd, POLLIN, 0}};
        char tmp[65536], *msg;
        size_t len;
        const char *err;
        ssize_t n;
        int r;

        if (poll(p, nc.mgd >= 0 ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        if (nc.mgd >= 0 && (p[1].revents & (POLLIN | POLLHUP | POLLERR))) {
            /* mgd speaks only when asked: this is the end (kill-session) */
            fprintf(stderr, "netconf: session %u ended by mgd\n", nc.session_id);
            break;
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = read(nc.in, tmp, sizeof(tmp));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        frame_feed(&nc.fr, tmp, (size_t)n);
        while (!nc.done && (r = frame_next(&nc.fr, !nc.hello_done, &msg, &len, &err)) != 0) {
            if (r < 0) {
                fprintf(stderr, "netconf: framing error: %s\n", err);
                nc.done = 1;
                break;
            }
            session_message(&nc, msg, len);
            free(msg);
        }
    }
    frame_free(&nc.fr);
    if (nc.mgd >= 0)
        close(nc.mgd);
    xmlCleanupParser();
    return 0;
}
