/*
 * veth.c: the reference row (bench.h): the same appliance, but its ports
 * are AF_PACKET sockets on veth pairs (port_open, read from the libevent
 * loop by port.c as the fwdd binary does), in a network namespace of its
 * own (unshare(CLONE_NEWNET): the veths vanish with it; the process goes
 * back to its namespace afterwards).
 *
 *   sender thread --AF_PACKET--> osgbl1 ==veth== osgbl0 (ge-0/0/0, LAN)
 *   fwdd (this thread)            encrypts        osgbw0 (ge-0/0/1, WAN)
 *                                                   ==veth== osgbw1 (dropped)
 *
 * The sender sends the LAN frame of tunnel 0 (sendmmsg, 64 at a time)
 * while fwdd's receive queue holds less than QUEUED bytes; the figure is
 * what fwdd encrypted and sent per second over the window, after a
 * warm-up, and the CPU time of fwdd's thread per packet (user and system:
 * the system calls and the kernel work done in its context), which does
 * not depend on which side was the limit.  Needs root; skipped with a
 * message otherwise, or when the namespace or the veths cannot be made.
 */
#include "bench.h"

#include "fwdd.h"
#include "port.h"

#include <event2/event.h>

#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/sock_diag.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define BURST 64
#define QUEUED (1u << 20) /* bytes in fwdd's receive queue before the sender waits */

struct sender {
    uint8_t frame[2048];
    size_t len;
    int fd, port_fd; /* ours; fwdd's LAN port (to read its queue) */
    atomic_int stop;
    uint64_t sent;
};

static void *send_loop(void *arg)
{
    struct sender *s = arg;
    struct mmsghdr mm[BURST];
    struct iovec iov = {s->frame, s->len};

    memset(mm, 0, sizeof(mm));
    for (int i = 0; i < BURST; i++) {
        mm[i].msg_hdr.msg_iov = &iov;
        mm[i].msg_hdr.msg_iovlen = 1;
    }
    while (!atomic_load(&s->stop)) {
        uint32_t mem[SK_MEMINFO_VARS];
        socklen_t ml = sizeof(mem);
        int n;
        /* keep fwdd's receive queue full but not overflowing: frames the
         * kernel drops before fwdd's socket would cost CPU for nothing */
        if (getsockopt(s->port_fd, SOL_SOCKET, SO_MEMINFO, mem, &ml) == 0 &&
            mem[SK_MEMINFO_RMEM_ALLOC] > QUEUED) {
            sched_yield();
            continue;
        }
        n = sendmmsg(s->fd, mm, BURST, 0);
        if (n > 0)
            s->sent += (uint64_t)n;
        else if (errno != ENOBUFS && errno != EAGAIN && errno != EINTR)
            break;
    }
    return NULL;
}

static double cpu_s(const struct rusage *r)
{
    return (double)(r->ru_utime.tv_sec + r->ru_stime.tv_sec) +
           (double)(r->ru_utime.tv_usec + r->ru_stime.tv_usec) / 1e6;
}

static int sh(const char *cmd)
{
    char line[512];

    snprintf(line, sizeof(line), "%s >/dev/null 2>&1", cmd);
    return system(line);
}

static int sender_socket(const char *ifname, char *why, size_t whylen)
{
    struct sockaddr_ll sll = {0};
    int fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), one = 1;

    if (fd < 0) {
        snprintf(why, whylen, "AF_PACKET socket: %s", strerror(errno));
        return -1;
    }
    setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof(one));
    sll.sll_family = AF_PACKET;
    sll.sll_ifindex = (int)if_nametoindex(ifname);
    if (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        snprintf(why, whylen, "%s: bind: %s", ifname, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

/* In the new namespace: the appliance on its veths, the sender, the run. */
static int run(const struct schema *sch, const struct xfm *x, size_t inner, double seconds,
               double *pps, double *cpu_ns, char *why, size_t whylen)
{
    static struct sender s;
    struct fwdd *fw = calloc(1, sizeof(*fw));
    struct event_base *eb = event_base_new();
    struct appl *a = NULL;
    struct timeval warm = {0, 200000}, tv;
    struct rusage r0, r1;
    pthread_t th;
    uint64_t e0, e1;
    double t0, t1, busy;
    int rc = -1;

    memset(&s, 0, sizeof(s));
    s.fd = -1;
    if (fw == NULL || eb == NULL || (fw->ports = calloc(2, sizeof(*fw->ports))) == NULL) {
        snprintf(why, whylen, "out of memory");
        goto out;
    }
    fw->eb = eb;
    fw->root = "/nonexistent";
    if ((fw->ports[0] = port_open(fw, 0, "ge-0/0/0", "osgbl0", why, whylen)) == NULL)
        goto out;
    fw->nports = 1;
    if ((fw->ports[1] = port_open(fw, 1, "ge-0/0/1", "osgbw0", why, whylen)) == NULL)
        goto out;
    fw->nports = 2;
    s.port_fd = fw->ports[0]->fd;
    a = appl_new(sch, x, 1, fw, why, whylen); /* owns fw from here */
    fw = NULL;
    if (a == NULL)
        goto out;
    s.len = appl_lan_frame(a, 0, inner, s.frame, sizeof(s.frame));
    if ((s.fd = sender_socket("osgbl1", why, whylen)) < 0)
        goto out;
    if (pthread_create(&th, NULL, send_loop, &s) != 0) {
        snprintf(why, whylen, "pthread_create failed");
        goto out;
    }
    event_base_loopexit(eb, &warm);
    event_base_dispatch(eb);
    e0 = appl_encrypted(a);
    t0 = now_ns();
    getrusage(RUSAGE_THREAD, &r0);
    tv.tv_sec = (time_t)seconds;
    tv.tv_usec = (suseconds_t)((seconds - (double)tv.tv_sec) * 1e6);
    event_base_loopexit(eb, &tv);
    event_base_dispatch(eb);
    e1 = appl_encrypted(a);
    t1 = now_ns();
    getrusage(RUSAGE_THREAD, &r1);
    atomic_store(&s.stop, 1);
    pthread_join(th, NULL);
    busy = (cpu_s(&r1) - cpu_s(&r0)) / ((t1 - t0) / 1e9);
    *pps = (double)(e1 - e0) / ((t1 - t0) / 1e9);
    *cpu_ns = e1 > e0 ? (cpu_s(&r1) - cpu_s(&r0)) * 1e9 / (double)(e1 - e0) : 0;
    snprintf(why, whylen, "fwdd's thread busy %.0f %%%s", 100 * busy,
             busy < 0.9 ? ": the sender's side was the limit" : "");
    rc = e1 > e0 ? 0 : -1;
    if (rc < 0)
        snprintf(why, whylen, "fwdd encrypted nothing (%llu frames sent)",
                 (unsigned long long)s.sent);
out:
    if (s.fd >= 0)
        close(s.fd);
    if (fw) {
        for (size_t i = 0; i < fw->nports; i++)
            port_close(fw->ports[i]);
        free(fw->ports);
        free(fw);
    }
    appl_free(a);
    if (eb)
        event_base_free(eb);
    return rc;
}

int veth_measure(const struct schema *sch, const struct xfm *x, size_t inner, double seconds,
                 double *pps, double *cpu_ns, char *why, size_t whylen)
{
    int home, rc;

    if (geteuid() != 0) {
        snprintf(why, whylen, "needs root (a network namespace and veth pairs)");
        return 1;
    }
    if ((home = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC)) < 0) {
        snprintf(why, whylen, "/proc/self/ns/net: %s", strerror(errno));
        return 1;
    }
    if (unshare(CLONE_NEWNET) < 0) {
        snprintf(why, whylen, "unshare(CLONE_NEWNET): %s", strerror(errno));
        close(home);
        return 1;
    }
    if (sh("ip link add name osgbl0 type veth peer name osgbl1") != 0 ||
        sh("ip link add name osgbw0 type veth peer name osgbw1") != 0 ||
        sh("ip link set osgbl1 up") != 0 || sh("ip link set osgbw1 up") != 0) {
        snprintf(why, whylen, "cannot make veth pairs with ip(8)");
        rc = 1;
    } else {
        sh("sysctl -qw net.ipv6.conf.osgbl1.disable_ipv6=1 net.ipv6.conf.osgbw1.disable_ipv6=1");
        rc = run(sch, x, inner, seconds, pps, cpu_ns, why, whylen);
    }
    if (setns(home, CLONE_NEWNET) < 0) {
        snprintf(why, whylen, "setns back: %s", strerror(errno));
        rc = -1;
    }
    close(home);
    return rc;
}
