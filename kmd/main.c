/*
 * main.c: the kmd daemon.
 *
 *   kmd --root DIR [--schema DIR] [--debug] [--key-log] [--daemon]
 *
 * Glue only: a lib/daemon client named "kmd" (prepare/apply/abort of the
 * configuration, operational RPCs), a client of fwdd (kmd/fwd.h: punted
 * IKE in, datagrams and forwarding state out), a one-second tick, and a
 * libevent loop; everything else is kmdcore (kmd/kmd.h).  --key-log
 * records IKE and ESP keys in ROOT/log/kmd-keys.log (mode 0600) for
 * tshark; without it no secret is written anywhere.  kmd's log lines also
 * go to ROOT/log/kmd (events), or to the file `services ipsec-vpn
 * traceoptions` names (kmd/trace.c), switched when a commit applies.
 * SIGTERM or SIGINT sends DELETE to every peer, releases everything in
 * fwdd and exits 0.
 */
#include "crypto/crypto.h"
#include "daemon.h"
#include "fwd.h"
#include "kmd.h"
#include "log.h"

#include <event2/event.h>

#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>

#ifndef SCHEMA_DIR
#define SCHEMA_DIR "schema"
#endif

static struct kmd *g_kmd;
static struct fwd *g_fwd;
static struct dmn *g_dmn;
static char g_logdir[4096];
static struct kmd_trace_conf g_trace_pending;

/* ---- kmd_io over fwd.h ---- */

static void io_send(void *arg, const struct fwd_dgram *d, const uint8_t *pkt, size_t len)
{
    (void)arg;
    if (g_fwd == NULL || fwd_send_dgram(g_fwd, d, pkt, len) < 0)
        log_debug("cannot send a datagram: fwdd is not connected");
}

static void on_fwd_reply(void *arg, uint32_t status, const char *msg, const void *data, size_t len)
{
    uint64_t tag = (uint64_t)(uintptr_t)arg;

    /* fwd.c fails pending requests after it marked the connection down */
    if (!fwd_is_up(g_fwd))
        status = KMD_FWD_LOST;
    if (g_kmd)
        kmd_fwd_reply(g_kmd, tag, status, msg, data, len);
}

static int io_request(void *arg, uint16_t type, const void *msg, size_t len, uint64_t tag)
{
    (void)arg;
    if (g_fwd == NULL)
        return -1;
    return fwd_request(g_fwd, type, msg, len, NULL, 0, on_fwd_reply, (void *)(uintptr_t)tag);
}

static time_t io_now(void *arg)
{
    struct timespec ts;

    (void)arg;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec;
}

static const struct kmd_io io = {io_send, io_request, io_now};

/* ---- fwd.h callbacks ---- */

static void fwd_up(void *arg)
{
    (void)arg;
    kmd_fwd_up(g_kmd);
}

static void fwd_down(void *arg)
{
    (void)arg;
    kmd_fwd_down(g_kmd);
}

static void fwd_punt(void *arg, const struct fwd_dgram *d, const uint8_t *pkt, size_t len)
{
    (void)arg;
    kmd_input(g_kmd, d, pkt, len);
}

static void fwd_sa_event(void *arg, const struct fwd_sa_event *ev)
{
    (void)arg;
    kmd_fwd_sa_event(g_kmd, ev);
}

static void fwd_sa_gone(void *arg, const struct fwd_sa_ref *ref)
{
    (void)arg;
    kmd_fwd_sa_gone(g_kmd, ref);
}

static const struct fwd_ops fwd_ops = {fwd_up, fwd_down, fwd_punt, fwd_sa_event, fwd_sa_gone};

/* ---- lib/daemon callbacks ---- */

static int d_prepare(void *arg, const struct conf *newc, const struct conf *old, char *err,
                     size_t errlen)
{
    (void)arg;
    (void)old;
    kmd_trace_parse(newc->root, &g_trace_pending);
    return kmd_prepare(g_kmd, newc->root, err, errlen);
}

static void trace_open(const struct kmd_trace_conf *c)
{
    if (kmd_trace_open(g_logdir, c) < 0)
        log_warn("trace file %s/%s", g_logdir, c->file);
}

static void d_apply(void *arg)
{
    (void)arg;
    kmd_apply(g_kmd);
    trace_open(&g_trace_pending);
}

static void d_abort(void *arg)
{
    (void)arg;
    kmd_abort(g_kmd);
}

static void d_rpc(void *arg, uint32_t id, const char *name, const char *xml)
{
    struct buf out;

    (void)arg;
    buf_init(&out);
    if (kmd_rpc(g_kmd, name, xml, &out) < 0)
        dmn_reply_error(g_dmn, id, out.s ? out.s : "error");
    else
        dmn_reply(g_dmn, id, 0, out.s);
    buf_free(&out);
}

static const struct dmn_ops dmn_ops = {d_prepare, d_apply, d_abort, d_rpc, NULL};

/* ---- main ---- */

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    (void)arg;
    kmd_tick(g_kmd);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    (void)what;
    kmd_trace_log(LOG_INFO, "signal %d: exiting", (int)sig);
    event_base_loopexit(arg, NULL);
}

static void usage(void)
{
    fprintf(stderr, "usage: kmd --root DIR [--schema DIR] [--debug] [--key-log] [--daemon]\n");
    exit(2);
}

static void open_key_log(void)
{
    char path[4200];

    if (mkdir(g_logdir, 0750) < 0 && errno != EEXIST)
        fatal("mkdir %s", g_logdir);
    snprintf(path, sizeof(path), "%s/kmd-keys.log", g_logdir);
    if (kmd_keylog_open(g_kmd, path) < 0)
        fatal("key log %s", path);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'}, {"schema", required_argument, NULL, 's'},
        {"debug", no_argument, NULL, 'd'},      {"key-log", no_argument, NULL, 'k'},
        {"daemon", no_argument, NULL, 'D'},     {NULL, 0, NULL, 0},
    };
    const char *root = getenv("OPENSG_ROOT"), *schema_dir = SCHEMA_DIR;
    int debug = 0, key_log = 0, daemonize = 0, c;
    struct event_base *eb;
    struct event *sigterm, *sigint, *tick;
    struct timeval one = {1, 0};
    struct schema *sch;
    char err[512];

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            root = optarg;
            break;
        case 's':
            schema_dir = optarg;
            break;
        case 'd':
            debug = 1;
            break;
        case 'k':
            key_log = 1;
            break;
        case 'D':
            daemonize = 1;
            break;
        default:
            usage();
        }
    }
    if (optind != argc || root == NULL)
        usage();
    log_init("kmd", daemonize, debug);
    if (daemonize && daemon(1, 0) < 0)
        fatal("daemon");
    if (crypto_init() < 0)
        fatalx("OpenSSL: cannot load the default provider");
    if ((sch = schema_load(schema_dir, err, sizeof(err))) == NULL)
        fatalx("schema %s: %s", schema_dir, err);
    if ((eb = event_base_new()) == NULL)
        fatalx("event_base_new");
    if (snprintf(g_logdir, sizeof(g_logdir), "%s/log", root) >= (int)sizeof(g_logdir))
        fatalx("%s: path too long", root);
    kmd_trace_parse(NULL, &g_trace_pending); /* ROOT/log/kmd until a commit says otherwise */
    trace_open(&g_trace_pending);
    g_kmd = kmd_new(&io, NULL);
    if (key_log)
        open_key_log();
    sigterm = evsignal_new(eb, SIGTERM, on_signal, eb);
    sigint = evsignal_new(eb, SIGINT, on_signal, eb);
    tick = event_new(eb, -1, EV_PERSIST, on_tick, NULL);
    if (sigterm == NULL || sigint == NULL || tick == NULL || evsignal_add(sigterm, NULL) < 0 ||
        evsignal_add(sigint, NULL) < 0 || event_add(tick, &one) < 0)
        fatalx("libevent");
    if ((g_fwd = fwd_new(eb, root, &fwd_ops, NULL)) == NULL)
        fatalx("%s/fwdd.sock: path too long", root);
    if ((g_dmn = dmn_new(eb, root, "kmd", sch, &dmn_ops, NULL)) == NULL)
        fatalx("cannot reach mgd under %s", root);
    kmd_trace_log(LOG_INFO, "started (root %s)", root);
    event_base_dispatch(eb);

    kmd_shutdown(g_kmd);
    for (int i = 0; i < 10; i++) /* let the DELETEs and releases reach fwdd */
        event_base_loop(eb, EVLOOP_NONBLOCK);
    dmn_free(g_dmn);
    fwd_free(g_fwd);
    g_fwd = NULL;
    kmd_free(g_kmd);
    g_kmd = NULL;
    event_free(tick);
    event_free(sigterm);
    event_free(sigint);
    event_base_free(eb);
    schema_free(sch);
    kmd_trace_log(LOG_INFO, "stopped");
    kmd_trace_close();
    return 0;
}
