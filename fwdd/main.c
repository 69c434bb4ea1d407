/*
 * fwdd: the forwarding daemon.
 *
 *   fwdd --root DIR [--schema DIR] [--port ge-F/P/N=IFNAME]... [--daemon] [--debug]
 *
 * Connects to mgd as daemon "fwdd" (lib/daemon.h) for its configuration
 * view (interfaces, routing-options, routing-instances, services
 * service-set and ipsec-vpn rule) and the operational requests of
 * schema/op/fwdd.xsd; owns the ports named with --port; listens for kmd on
 * ROOT/fwdd.sock.  SIGTERM and SIGINT stop it cleanly; SIGUSR1 logs the
 * drop counters.  Design: docs/fwdd.md.
 */
#include "arp.h"
#include "daemon.h"
#include "fwdd.h"
#include "ipsec.h"
#include "kmdsock.h"
#include "nd.h"
#include "log.h"
#include "pic.h"
#include "ping.h"
#include "port.h"
#include "rpc.h"
#include "svc.h"

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SCHEMA_DIR
#define SCHEMA_DIR "/usr/share/opensg/schema"
#endif
#define MAX_PORTS 64

static int on_prepare(void *arg, const struct conf *newc, const struct conf *old, char *err,
                      size_t errlen)
{
    (void)old;
    return fw_prepare(arg, newc, err, errlen);
}

static void on_apply(void *arg)
{
    fw_apply(arg);
}

static void on_abort(void *arg)
{
    fw_abort(arg);
}

static const struct dmn_ops fw_ops = {on_prepare, on_apply, on_abort, fw_rpc, fw_cancel};

static void log_stats(const struct fwdd *fw)
{
    log_info("forwarded %llu, to the appliance %llu, ICMP sent %llu, partial checksums %llu, "
             "GSO frames %llu (%llu segments)",
             (unsigned long long)fw->st.forwarded, (unsigned long long)fw->st.local_in,
             (unsigned long long)fw->st.icmp_out, (unsigned long long)fw->st.csum_partial,
             (unsigned long long)fw->st.gso_frames, (unsigned long long)fw->st.gso_segments);
    for (int i = 0; i < DROP_MAX; i++)
        if (fw->st.drop[i])
            log_info("dropped, %s: %llu", fwd_drop_name((enum fwd_drop)i),
                     (unsigned long long)fw->st.drop[i]);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct fwdd *fw = arg;

    (void)what;
    if (sig == SIGUSR1) {
        log_stats(fw);
        return;
    }
    log_info("signal %d: exiting", (int)sig);
    event_base_loopexit(fw->eb, NULL);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
    (void)fd;
    (void)what;
    arp_tick(arg);
    nd_tick(arg);
    sa_tick(arg);
    reasm_tick(arg);
    pic_tick(arg);
}

static void usage(void)
{
    fprintf(stderr, "usage: fwdd --root DIR [--schema DIR] [--port ge-F/P/N=IFNAME]...\n"
                    "            [--daemon] [--debug]\n");
    exit(2);
}

static void write_pid(const char *root)
{
    char path[PATH_MAX], line[32];
    int fd;

    snprintf(path, sizeof(path), "%s/fwdd.pid", root);
    snprintf(line, sizeof(line), "%d\n", (int)getpid());
    if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) < 0)
        return;
    if (write(fd, line, strlen(line)) < 0)
        log_warn("%s", path);
    close(fd);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'}, {"schema", required_argument, NULL, 's'},
        {"port", required_argument, NULL, 'p'}, {"daemon", no_argument, NULL, 'd'},
        {"debug", no_argument, NULL, 'D'},      {NULL, 0, NULL, 0},
    };
    const char *schema_dir = SCHEMA_DIR, *portargs[MAX_PORTS];
    struct event *sigs[3];
    const int signos[3] = {SIGTERM, SIGINT, SIGUSR1};
    struct timeval second = {1, 0};
    struct fwdd fw = {0};
    struct schema *sch;
    size_t nports = 0;
    int daemonize = 0, debug = 0, c;
    char err[512];

    fw.root = getenv("OPENSG_ROOT");
    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            fw.root = optarg;
            break;
        case 's':
            schema_dir = optarg;
            break;
        case 'p':
            if (nports == MAX_PORTS || strchr(optarg, '=') == NULL)
                usage();
            portargs[nports++] = optarg;
            break;
        case 'd':
            daemonize = 1;
            break;
        case 'D':
            debug = 1;
            break;
        default:
            usage();
        }
    }
    if (optind != argc || fw.root == NULL)
        usage();
    log_init("fwdd", 0, debug);
    if ((sch = schema_load(schema_dir, err, sizeof(err))) == NULL)
        fatalx("schema %s: %s", schema_dir, err);
    fw.sch = sch;
    fw.pic_threads = 1; /* one worker thread per service PIC (pic.h) */
    if ((fw.eb = event_base_new()) == NULL)
        fatalx("event_base_new");
    if ((fw.ports = calloc(nports + 1, sizeof(*fw.ports))) == NULL)
        fatal("calloc");
    for (size_t i = 0; i < nports; i++) {
        char name[FWD_IFNAMELEN];
        const char *eq = strchr(portargs[i], '=');
        size_t n = (size_t)(eq - portargs[i]);
        if (n == 0 || n >= sizeof(name) ||
            (strncmp(portargs[i], "ge-", 3) != 0 && strncmp(portargs[i], "xe-", 3) != 0 &&
             strncmp(portargs[i], "et-", 3) != 0))
            fatalx("--port %s: expected ge-F/P/N=IFNAME", portargs[i]);
        memcpy(name, portargs[i], n);
        name[n] = '\0';
        for (size_t k = 0; k < fw.nports; k++)
            if (strcmp(fw.ports[k]->name, name) == 0)
                fatalx("--port %s given twice", name);
        if ((fw.ports[fw.nports] = port_open(&fw, fw.nports, name, eq + 1, err, sizeof(err))) ==
            NULL)
            fatalx("--port %s: %s", portargs[i], err);
        fw.nports++;
    }
    if (kmdsock_open(&fw) < 0)
        fatal("%s/fwdd.sock", fw.root);
    for (int i = 0; i < 3; i++)
        if ((sigs[i] = evsignal_new(fw.eb, signos[i], on_signal, &fw)) == NULL ||
            evsignal_add(sigs[i], NULL) < 0)
            fatalx("evsignal");
    if ((fw.tick = event_new(fw.eb, -1, EV_PERSIST, on_tick, &fw)) == NULL ||
        event_add(fw.tick, &second) < 0)
        fatalx("event_new");
    if (daemonize) {
        if (daemon(1, 0) < 0)
            fatal("daemon");
        event_reinit(fw.eb);
    }
    if ((fw.dmn = dmn_new(fw.eb, fw.root, "fwdd", sch, &fw_ops, &fw)) == NULL)
        fatalx("cannot reach mgd under %s", fw.root);
    write_pid(fw.root);
    log_info("ready: %zu ports, kmd socket %s/fwdd.sock", fw.nports, fw.root);
    event_base_dispatch(fw.eb);

    pic_drain(&fw); /* packets still with the PICs' workers come back first */
    log_stats(&fw);
    probe_free_all(&fw);
    dmn_free(fw.dmn);
    kmdsock_close(&fw);
    fw_kroute_flush(&fw);
    gen_free(fw.cur);
    gen_free(fw.next);
    svc_rt_free_all(&fw);
    for (size_t i = 0; i < fw.nports; i++)
        port_close(fw.ports[i]);
    free(fw.ports);
    for (int i = 0; i < 3; i++)
        event_free(sigs[i]);
    event_free(fw.tick);
    event_base_free(fw.eb);
    schema_free(sch);
    snprintf(err, sizeof(err), "%s/fwdd.pid", fw.root);
    unlink(err);
    return 0;
}
