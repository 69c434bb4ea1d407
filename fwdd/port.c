/*
 * port.c: AF_PACKET ports (port.h).
 */
#include "port.h"
#include "arp.h"
#include "nd.h"
#include "log.h"
#include "pic.h"

#include <event2/event.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/ethtool.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <linux/virtio_net.h>
#include <net/ethernet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#define RX_BUDGET 256 /* frames per read callback */
#define RCVBUF (8 << 20)
#define SNDBUF (4 << 20)

static void port_flush(struct fwdd *fw, struct port *p);

struct port_rx {
    struct virtio_net_hdr vh;
    uint8_t frame[FWD_FRAME_MAX];
};

static int ifreq_ioctl(const char *ifname, unsigned long req, struct ifreq *ifr)
{
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), r;

    if (s < 0)
        return -1;
    snprintf(ifr->ifr_name, sizeof(ifr->ifr_name), "%s", ifname);
    r = ioctl(s, req, ifr);
    close(s);
    return r;
}

static int write_sysctl(const char *path, const char *value)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC), r;

    if (fd < 0)
        return -1;
    r = write(fd, value, strlen(value)) == (ssize_t)strlen(value) ? 0 : -1;
    close(fd);
    return r;
}

/* Offloads off on our end (docs/fwdd.md): failures are not fatal. */
static void offloads_off(const char *ifname)
{
    static const struct {
        uint32_t cmd;
        const char *name;
    } knobs[] = {{ETHTOOL_SRXCSUM, "rx-checksum"},
                 {ETHTOOL_STXCSUM, "tx-checksum"},
                 {ETHTOOL_STSO, "tso"},
                 {ETHTOOL_SGSO, "gso"},
                 {ETHTOOL_SGRO, "gro"}};

    for (size_t i = 0; i < sizeof(knobs) / sizeof(knobs[0]); i++) {
        struct ethtool_value ev = {.cmd = knobs[i].cmd, .data = 0};
        struct ifreq ifr = {0};
        ifr.ifr_data = (void *)&ev;
        if (ifreq_ioctl(ifname, SIOCETHTOOL, &ifr) < 0)
            log_debug("%s: %s off: %s", ifname, knobs[i].name, strerror(errno));
    }
}

/* The kernel must not own an address on a port. */
static int has_ipv4(const char *ifname, char *err, size_t errlen)
{
    struct ifaddrs *ifa, *i;
    int found = 0;

    if (getifaddrs(&ifa) < 0)
        return 0;
    for (i = ifa; i && !found; i = i->ifa_next)
        if (i->ifa_addr && i->ifa_addr->sa_family == AF_INET && strcmp(i->ifa_name, ifname) == 0) {
            char a[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &((struct sockaddr_in *)(void *)i->ifa_addr)->sin_addr, a,
                      sizeof(a));
            snprintf(err, errlen, "%s holds the kernel address %s: a port carries none", ifname, a);
            found = 1;
        }
    freeifaddrs(ifa);
    return found;
}

/* A burst of frames (recvmmsg) for fwd_frames_input.  Frame i goes into
 * receive job i (pic.h) when it fits there, else on into big frame i,
 * where it is made whole (GSO frames, up to 64 KB). */
static void port_read(evutil_socket_t fd, short what, void *arg)
{
    struct port *p = arg;
    struct fwdd *fw = p->fw;
    static struct port_rx *rx; /* FWD_BURST_MAX of them */

    (void)what;
    if (rx == NULL && (rx = calloc(FWD_BURST_MAX, sizeof(*rx))) == NULL)
        fatal("calloc");
    for (int done = 0; done < RX_BUDGET;) {
        struct sockaddr_ll sll[FWD_BURST_MAX];
        struct iovec iov[FWD_BURST_MAX][3];
        struct mmsghdr mm[FWD_BURST_MAX];
        uint8_t *buf[FWD_BURST_MAX], *frames[FWD_BURST_MAX];
        const void *vh[FWD_BURST_MAX];
        size_t room[FWD_BURST_MAX], lens[FWD_BURST_MAX], k = 0;
        int n;

        memset(mm, 0, sizeof(mm));
        for (int i = 0; i < FWD_BURST_MAX; i++) {
            buf[i] = fwd_rx_frame(fw, (size_t)i, &room[i]);
            iov[i][0] = (struct iovec){&rx[i].vh, sizeof(rx[i].vh)};
            iov[i][1] = (struct iovec){buf[i], room[i]};
            iov[i][2] = (struct iovec){rx[i].frame + room[i], sizeof(rx[i].frame) - room[i]};
            mm[i].msg_hdr.msg_name = &sll[i];
            mm[i].msg_hdr.msg_namelen = sizeof(sll[i]);
            mm[i].msg_hdr.msg_iov = iov[i];
            mm[i].msg_hdr.msg_iovlen = 3;
        }
        if ((n = recvmmsg(fd, mm, FWD_BURST_MAX, MSG_TRUNC, NULL)) <= 0) {
            if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                log_warn("%s: recvmmsg", p->ifname);
            return;
        }
        done += n;
        for (int i = 0; i < n; i++) {
            size_t len = mm[i].msg_len;

            if (sll[i].sll_pkttype == PACKET_OUTGOING || len < sizeof(rx[i].vh))
                continue;
            p->in_packets++;
            p->in_bytes += len - sizeof(rx[i].vh);
            if (len > sizeof(rx[i]) || (mm[i].msg_hdr.msg_flags & MSG_TRUNC)) {
                p->in_errors++;
                fwd_drop(fw, DROP_FRAME_TRUNC);
                continue;
            }
            if (sll[i].sll_pkttype == PACKET_OTHERHOST) {
                fwd_drop(fw, DROP_OTHERHOST);
                continue;
            }
            len -= sizeof(rx[i].vh);
            frames[k] = buf[i];
            if (len > room[i]) {
                memcpy(rx[i].frame, buf[i], room[i]);
                frames[k] = rx[i].frame;
            }
            lens[k] = len;
            vh[k++] = &rx[i].vh;
        }
        fwd_frames_input(fw, p, frames, lens, k, vh);
        if (n < FWD_BURST_MAX)
            return;
    }
}

struct port *port_open(struct fwdd *fw, size_t index, const char *name, const char *ifname,
                       char *err, size_t errlen)
{
    struct port *p;
    struct ifreq ifr = {0};
    struct sockaddr_ll sll = {0};
    char path[128];
    int one = 1, rcv = RCVBUF, snd = SNDBUF;

    if (strlen(ifname) >= IFNAMSIZ || strchr(ifname, '/')) {
        snprintf(err, errlen, "%s: invalid interface name", ifname);
        return NULL;
    }
    if ((p = calloc(1, sizeof(*p))) == NULL)
        fatal("calloc");
    p->fw = fw;
    p->index = index;
    p->fd = -1;
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->ifname, sizeof(p->ifname), "%s", ifname);
    if ((p->ifindex = (int)if_nametoindex(ifname)) == 0) {
        snprintf(err, errlen, "%s: %s", ifname, strerror(errno));
        goto fail;
    }
    snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", ifname);
    if (write_sysctl(path, "1") < 0 && errno != ENOENT)
        log_warn("%s", path);
    if (has_ipv4(ifname, err, errlen))
        goto fail;
    offloads_off(ifname);
    if (ifreq_ioctl(ifname, SIOCGIFHWADDR, &ifr) < 0) {
        snprintf(err, errlen, "%s: SIOCGIFHWADDR: %s", ifname, strerror(errno));
        goto fail;
    }
    memcpy(p->mac, ifr.ifr_hwaddr.sa_data, 6);
    if (ifreq_ioctl(ifname, SIOCGIFMTU, &ifr) == 0)
        p->linux_mtu = (unsigned)ifr.ifr_mtu;
    if (ifreq_ioctl(ifname, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags |= IFF_UP;
        if (ifreq_ioctl(ifname, SIOCSIFFLAGS, &ifr) < 0)
            log_warn("%s: cannot bring it up", ifname);
    }
    p->fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(ETH_P_ALL));
    if (p->fd < 0) {
        snprintf(err, errlen, "AF_PACKET socket: %s", strerror(errno));
        goto fail;
    }
    if (setsockopt(p->fd, SOL_PACKET, PACKET_VNET_HDR, &one, sizeof(one)) < 0) {
        snprintf(err, errlen, "%s: PACKET_VNET_HDR: %s", ifname, strerror(errno));
        goto fail;
    }
    if (setsockopt(p->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof(one)) < 0)
        log_debug("%s: PACKET_IGNORE_OUTGOING: %s", ifname, strerror(errno));
    if (setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcv, sizeof(rcv)) < 0)
        setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
    if (setsockopt(p->fd, SOL_SOCKET, SO_SNDBUFFORCE, &snd, sizeof(snd)) < 0)
        setsockopt(p->fd, SOL_SOCKET, SO_SNDBUF, &snd, sizeof(snd));
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_P_ALL);
    sll.sll_ifindex = p->ifindex;
    if (bind(p->fd, (struct sockaddr *)&sll, sizeof(sll)) < 0) {
        snprintf(err, errlen, "%s: bind: %s", ifname, strerror(errno));
        goto fail;
    }
    {
        /* IPv6 neighbour solicitations go to multicast groups the kernel
         * does not join for us (the port has IPv6 disabled) */
        struct packet_mreq mr = {.mr_ifindex = p->ifindex, .mr_type = PACKET_MR_ALLMULTI};
        if (setsockopt(p->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof(mr)) < 0)
            log_warn("%s: PACKET_MR_ALLMULTI", ifname);
    }
    p->arp = arp_new();
    p->nd = nd_new();
    if ((p->ev = event_new(fw->eb, p->fd, EV_READ | EV_PERSIST, port_read, p)) == NULL ||
        event_add(p->ev, NULL) < 0)
        fatalx("event_new");
    log_info("port %s is %s (index %d, mtu %u)", name, ifname, p->ifindex, p->linux_mtu);
    return p;
fail:
    port_close(p);
    return NULL;
}

void port_close(struct port *p)
{
    if (p == NULL)
        return;
    if (p->ev)
        event_free(p->ev);
    if (p->fd >= 0 && p->txq)
        port_flush(p->fw, p);
    free(p->txq);
    if (p->fd >= 0)
        close(p->fd);
    arp_free(p->arp);
    nd_free(p->nd);
    free(p);
}

/* Frames held for one sendmmsg: PORT_TXQ slots of PORT_TX_SLOT bytes
 * (an MTU-sized frame; bigger ones are not held). */
#define PORT_TXQ FWD_BURST_MAX
#define PORT_TX_SLOT 2048

struct port_txq {
    size_t n;
    struct virtio_net_hdr vh; /* the same (zero) header for every frame */
    struct iovec iov[PORT_TXQ][2];
    struct mmsghdr mm[PORT_TXQ];
    uint8_t slot[PORT_TXQ][PORT_TX_SLOT];
};

static void tx_failed(struct fwdd *fw, struct port *p, size_t len, const char *call)
{
    p->out_drops++;
    fwd_drop(fw, DROP_TX);
    log_debug("%s: %s %zu bytes: %s", p->ifname, call, len, strerror(errno));
}

/* Everything held for p, in order; a frame the kernel refuses is
 * counted and the rest still go. */
static void port_flush(struct fwdd *fw, struct port *p)
{
    struct port_txq *q = p->txq;
    size_t i = 0;

    if (q == NULL)
        return;
    while (i < q->n) {
        int r = sendmmsg(p->fd, q->mm + i, (unsigned)(q->n - i), 0);

        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS)) {
            /* the socket is full: the rest of the queue waits for no one */
            for (; i < q->n; i++)
                tx_failed(fw, p, q->iov[i][1].iov_len, "sendmmsg");
            break;
        }
        if (r <= 0) { /* this frame is refused (EMSGSIZE, ...): the others still go */
            if (r == 0)
                errno = EIO;
            tx_failed(fw, p, q->iov[i][1].iov_len, "sendmmsg");
            i++;
            continue;
        }
        for (int k = 0; k < r; k++, i++) {
            p->out_packets++;
            p->out_bytes += q->iov[i][1].iov_len;
        }
    }
    q->n = 0;
}

void port_tx_hold(struct fwdd *fw)
{
    fw->tx_hold++;
}

void port_tx_release(struct fwdd *fw)
{
    if (--fw->tx_hold > 0)
        return;
    for (size_t i = 0; i < fw->nports; i++)
        if (fw->ports[i])
            port_flush(fw, fw->ports[i]);
}

/* A queue whose messages point at their slots once and for all. */
static struct port_txq *txq_new(void)
{
    struct port_txq *q = calloc(1, sizeof(*q));

    for (size_t i = 0; q && i < PORT_TXQ; i++) {
        q->iov[i][0] = (struct iovec){&q->vh, sizeof(q->vh)};
        q->iov[i][1].iov_base = q->slot[i];
        q->mm[i].msg_hdr = (struct msghdr){.msg_iov = q->iov[i], .msg_iovlen = 2};
    }
    return q;
}

/* iov[1 .. n-1] copied into a slot of p's queue; 0 if it does not fit. */
static int port_hold(struct port *p, const struct iovec *iov, int n, size_t len)
{
    struct port_txq *q = p->txq;
    uint8_t *d;

    if (len > PORT_TX_SLOT || (q == NULL && (q = p->txq = txq_new()) == NULL))
        return 0;
    d = q->slot[q->n];
    for (int i = 1; i < n; i++) {
        memcpy(d, iov[i].iov_base, iov[i].iov_len);
        d += iov[i].iov_len;
    }
    q->iov[q->n++][1].iov_len = len;
    return 1;
}

static void port_sendv(struct fwdd *fw, struct port *p, struct iovec *iov, int n)
{
    struct virtio_net_hdr vh = {0};
    struct msghdr mh = {0};
    size_t len = 0;

    for (int i = 1; i < n; i++)
        len += iov[i].iov_len;
    if (fw->tx_hold > 0) {
        if (p->txq && p->txq->n == PORT_TXQ)
            port_flush(fw, p);
        if (port_hold(p, iov, n, len))
            return;
    }
    port_flush(fw, p); /* what was held goes first */
    iov[0].iov_base = &vh;
    iov[0].iov_len = sizeof(vh);
    mh.msg_iov = iov;
    mh.msg_iovlen = (size_t)n;
    if (sendmsg(p->fd, &mh, 0) < 0) {
        tx_failed(fw, p, len, "sendmsg");
        return;
    }
    p->out_packets++;
    p->out_bytes += len;
}

void port_send_frame(struct fwdd *fw, struct port *p, const uint8_t *frame, size_t len)
{
    struct iovec iov[2] = {{0}, {(void *)frame, len}};

    port_sendv(fw, p, iov, 2);
}

void port_send_ip(struct fwdd *fw, struct port *p, const uint8_t dst[6], uint16_t type,
                  const uint8_t *l3, size_t len)
{
    uint8_t eth[ETH_HLEN_];
    struct iovec iov[3] = {{0}, {eth, sizeof(eth)}, {(void *)l3, len}};

    memcpy(eth, dst, 6);
    memcpy(eth + 6, p->mac, 6);
    eth[12] = (uint8_t)(type >> 8);
    eth[13] = (uint8_t)type;
    port_sendv(fw, p, iov, 3);
}

int port_oper_up(const struct port *p)
{
    struct ifreq ifr = {0};

    if (ifreq_ioctl(p->ifname, SIOCGIFFLAGS, &ifr) < 0)
        return 0;
    return (ifr.ifr_flags & IFF_UP) && (ifr.ifr_flags & IFF_RUNNING);
}
