/*
 * ikeload: N dynamic IKEv1 peers at once, for bench/ike (docs/bench-ike.md).
 * Each peer is the test initiator of tests/ikeinit (main mode with a
 * pre-shared key, aes128-sha1-modp2048, NAT-D showing a NAT so that IKE
 * floats to UDP 4500, quick mode ESP aes128-sha1 in UDP-encapsulated tunnel
 * mode) with an address of its own and a remote proxy of its own:
 *
 *   ikeload --gw ADDR --first ADDR --count N --psk KEY [--window W]
 *           [--timeout S] [--lnet ADDR] [--rnet PREFIX]
 *
 * Peer i uses address FIRST + i and proxy LNET + i (/32, default
 * 10.128.0.0) toward RNET (default 10.1.1.0/24).  The addresses must be
 * local (a prefix on lo makes them all local); two UDP sockets, bound to
 * the wildcard address on 500 and 4500, carry every peer's datagrams: the
 * source address is set per datagram (IP_PKTINFO) and the destination of a
 * datagram received names its peer.  At most W peers negotiate at once
 * (default 32); a peer is done when its QM3 is sent.  Unanswered messages
 * are sent again after 2 s (5 times at most); a datagram the responder
 * sends again is answered with the peer's last message, a quick mode
 * message to a peer that is done with its QM3.  The last line of the
 * output is JSON: peers, established, failed, retransmits, answered
 * repeats, wall seconds and the first errors.
 */
#include "ikeinit.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RETRANSMIT_S 2.0
#define MAX_TRIES 5
#define MAX_ERRORS 8

struct peer {
    struct ikei *ike; /* while negotiating */
    uint8_t last[1024];
    size_t last_len;
    uint16_t last_port;
    uint64_t rx_hash; /* of the last datagram received */
    char lnet[24];    /* ikei keeps a pointer to it */
    double sent_at;
    int tries;
    bool started, done, failed;
};

static struct peer *peers;
static uint32_t first_addr, lnet_addr, gw_addr;
static unsigned npeers, active, established, failed;
static unsigned long retransmits, repeats;
static int s500 = -1, s4500 = -1;
static const char *psk, *rnet = "10.1.1.0/24";
static char errors[MAX_ERRORS][300];
static unsigned nerrors;

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t fnv(const uint8_t *p, size_t n)
{
    uint64_t h = 1469598103934665603ULL;

    while (n--)
        h = (h ^ *p++) * 1099511628211ULL;
    return h;
}

static void fail(unsigned idx, const char *why)
{
    struct peer *p = &peers[idx];
    struct in_addr a = {htonl(first_addr + idx)};

    if (nerrors < MAX_ERRORS)
        snprintf(errors[nerrors++], sizeof(errors[0]), "%s: %s", inet_ntoa(a), why);
    ikei_free(p->ike);
    p->ike = NULL;
    p->failed = true;
    failed++;
    active--;
}

static int udp_socket(uint16_t port)
{
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0), on = 1, buf = 8 << 20;

    if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) < 0 ||
        bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        perror("ikeload: socket");
        exit(1);
    }
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    return fd;
}

/* One datagram from peer idx to the responder's port; 4500 gets the
 * non-ESP marker (RFC 3948 2.2). */
static void xmit(unsigned idx, const uint8_t *msg, size_t len, uint16_t port)
{
    uint8_t buf[2048] = {0};
    size_t off = port == 4500 ? 4 : 0;
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons(port)};
    union {
        struct cmsghdr h;
        uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } cm;
    struct iovec iov = {buf, off + len};
    struct msghdr mh = {&dst, sizeof(dst), &iov, 1, cm.b, sizeof(cm.b), 0};
    struct cmsghdr *c;
    struct in_pktinfo *pi;

    if (off + len > sizeof(buf))
        return;
    memcpy(buf + off, msg, len);
    dst.sin_addr.s_addr = htonl(gw_addr);
    memset(&cm, 0, sizeof(cm));
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = IPPROTO_IP;
    c->cmsg_type = IP_PKTINFO;
    c->cmsg_len = CMSG_LEN(sizeof(*pi));
    pi = (struct in_pktinfo *)CMSG_DATA(c);
    pi->ipi_spec_dst.s_addr = htonl(first_addr + idx);
    if (sendmsg(port == 4500 ? s4500 : s500, &mh, 0) < 0 && errno != EAGAIN)
        perror("ikeload: sendmsg");
}

static void send_msg(unsigned idx, const uint8_t *msg, size_t len)
{
    struct peer *p = &peers[idx];

    if (len > sizeof(p->last))
        return;
    memcpy(p->last, msg, len);
    p->last_len = len;
    p->last_port = p->ike->rport;
    p->sent_at = now();
    p->tries = 0;
    xmit(idx, msg, len, p->last_port);
}

static void start(unsigned idx)
{
    struct peer *p = &peers[idx];
    struct ikei_conf c;
    char local[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
    struct in_addr a;
    uint8_t out[1024];
    size_t len;

    a.s_addr = htonl(first_addr + idx);
    inet_ntop(AF_INET, &a, local, sizeof(local));
    a.s_addr = htonl(gw_addr);
    inet_ntop(AF_INET, &a, gw, sizeof(gw));
    a.s_addr = htonl(lnet_addr + idx);
    inet_ntop(AF_INET, &a, p->lnet, sizeof(p->lnet) - 3);
    strcat(p->lnet, "/32");
    ikei_defaults(&c, local, gw, psk);
    c.force_natt = true; /* a NAT between us: IKE floats to 4500, ESP in UDP */
    c.natd_lax = true;   /* charon with kernel-libipsec fakes its own NAT-D too */
    c.lnet = p->lnet;
    c.rnet = rnet;
    p->started = true;
    active++;
    if ((p->ike = ikei_new(&c)) == NULL) {
        fail(idx, "out of memory");
        return;
    }
    if (ikei_mm1(p->ike, out, sizeof(out), &len) < 0) {
        fail(idx, p->ike->err);
        return;
    }
    send_msg(idx, out, len);
}

static void input(unsigned idx, const uint8_t *msg, size_t len)
{
    struct peer *p = &peers[idx];
    uint64_t h = fnv(msg, len);
    uint8_t out[1024];
    size_t olen;
    int r;

    if (!p->started || p->failed)
        return;
    if (p->done) { /* QM2 again: our QM3 was lost */
        if (len > 18 && msg[18] == ISAKMP_EXCH_QUICK) {
            repeats++;
            xmit(idx, p->last, p->last_len, p->last_port);
        }
        return;
    }
    if (h == p->rx_hash) { /* the responder's retransmission */
        repeats++;
        xmit(idx, p->last, p->last_len, p->last_port);
        return;
    }
    p->rx_hash = h;
    r = ikei_input(p->ike, msg, len, out, sizeof(out), &olen);
    if (r < 0) {
        fail(idx, p->ike->err);
        return;
    }
    if (p->ike->notifies) {
        char why[64];
        snprintf(why, sizeof(why), "notify %u from the responder", p->ike->last_notify);
        fail(idx, why);
        return;
    }
    if (r == 1)
        send_msg(idx, out, olen);
    if (p->ike->qm.done) {
        p->done = true;
        established++;
        active--;
        ikei_free(p->ike);
        p->ike = NULL;
        return;
    }
    if (p->ike->step == 6 && r == 0) { /* MM6 checked: quick mode */
        if (ikei_qm1(p->ike, out, sizeof(out), &olen) < 0) {
            fail(idx, p->ike->err);
            return;
        }
        send_msg(idx, out, olen);
    }
}

static void drain(int fd)
{
    uint8_t buf[4096];
    union {
        struct cmsghdr h;
        uint8_t b[CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
    } cm;

    for (;;) {
        struct sockaddr_in src;
        struct iovec iov = {buf, sizeof(buf)};
        struct msghdr mh = {&src, sizeof(src), &iov, 1, cm.b, sizeof(cm.b), 0};
        ssize_t n = recvmsg(fd, &mh, 0);
        uint32_t dst = 0;
        size_t off = fd == s4500 ? 4 : 0;

        if (n < 0)
            return;
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
            if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
                dst = ntohl(((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr.s_addr);
        if ((size_t)n < off + 28 || (off && memcmp(buf, "\0\0\0\0", 4) != 0))
            continue; /* not IKE (ESP in UDP: nothing sends any here) */
        if (dst - first_addr < npeers && src.sin_addr.s_addr == htonl(gw_addr))
            input(dst - first_addr, buf + off, (size_t)n - off);
    }
}

static void timers(unsigned lo, unsigned hi)
{
    double t = now();

    for (unsigned i = lo; i < hi; i++) {
        struct peer *p = &peers[i];
        if (!p->started || p->done || p->failed || t - p->sent_at < RETRANSMIT_S)
            continue;
        if (++p->tries > MAX_TRIES) {
            fail(i, p->ike->step < 6 ? "main mode timed out" : "quick mode timed out");
            continue;
        }
        retransmits++;
        p->sent_at = t;
        xmit(i, p->last, p->last_len, p->last_port);
    }
}

static uint32_t addr4(const char *s)
{
    struct in_addr a;

    if (inet_pton(AF_INET, s, &a) != 1) {
        fprintf(stderr, "ikeload: not an IPv4 address: %s\n", s);
        exit(2);
    }
    return ntohl(a.s_addr);
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"gw", required_argument, NULL, 'g'},
        {"first", required_argument, NULL, 'f'},
        {"count", required_argument, NULL, 'n'},
        {"psk", required_argument, NULL, 'k'},
        {"window", required_argument, NULL, 'w'},
        {"timeout", required_argument, NULL, 't'},
        {"lnet", required_argument, NULL, 'l'},
        {"rnet", required_argument, NULL, 'r'},
        {NULL, 0, NULL, 0},
    };
    unsigned window = 32, next = 0, lo = 0;
    double timeout = 600, t0, t_end, last_timers = 0;
    int ch;

    lnet_addr = addr4("10.128.0.0");
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'g':
            gw_addr = addr4(optarg);
            break;
        case 'f':
            first_addr = addr4(optarg);
            break;
        case 'n':
            npeers = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 'k':
            psk = optarg;
            break;
        case 'w':
            window = (unsigned)strtoul(optarg, NULL, 10);
            break;
        case 't':
            timeout = strtod(optarg, NULL);
            break;
        case 'l':
            lnet_addr = addr4(optarg);
            break;
        case 'r':
            rnet = optarg;
            break;
        default:
            return 2;
        }
    }
    if (!gw_addr || !first_addr || !npeers || !psk || !window) {
        fprintf(stderr, "usage: ikeload --gw ADDR --first ADDR --count N --psk KEY "
                        "[--window W] [--timeout S] [--lnet ADDR] [--rnet PREFIX]\n");
        return 2;
    }
    if ((peers = calloc(npeers, sizeof(*peers))) == NULL)
        return 1;
    s500 = udp_socket(500);
    s4500 = udp_socket(4500);
    t0 = t_end = now();
    while (established + failed < npeers && now() - t0 < timeout) {
        struct pollfd pf[2] = {{s500, POLLIN, 0}, {s4500, POLLIN, 0}};

        while (active < window && next < npeers)
            start(next++);
        if (poll(pf, 2, 20) > 0) {
            drain(s500);
            drain(s4500);
        }
        if (now() - last_timers > 0.1) {
            while (lo < next && (peers[lo].done || peers[lo].failed))
                lo++;
            timers(lo, next);
            last_timers = now();
        }
        if (established + failed == npeers)
            t_end = now();
    }
    printf("{\"peers\": %u, \"established\": %u, \"failed\": %u, \"unfinished\": %u, "
           "\"retransmits\": %lu, \"repeats\": %lu, \"wall\": %.3f, \"errors\": [",
           npeers, established, failed, npeers - established - failed, retransmits, repeats,
           (established + failed == npeers ? t_end : now()) - t0);
    for (unsigned i = 0; i < nerrors; i++)
        printf("%s\"%s\"", i ? ", " : "", errors[i]);
    printf("]}\n");
    for (unsigned i = 0; i < npeers; i++)
        ikei_free(peers[i].ike);
    free(peers);
    close(s500);
    close(s4500);
    return established == npeers ? 0 : 1;
}
