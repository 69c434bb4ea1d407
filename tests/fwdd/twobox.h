/*
 * twobox.h: helpers of the IPsec unit tests (test_esp.c, test_kmdreq.c):
 * fwdd instances in one process whose ports are socketpairs.  Port 0 is a
 * LAN whose other end the test reads and writes; port 1 is a WAN that
 * pump() joins to the WAN of another box (frames read from one are fed
 * into the other, ARP included), so two appliances talk ESP to each other
 * without a network.  Header-only: each test includes it once.
 */
#ifndef TESTS_FWDD_TWOBOX_H
#define TESTS_FWDD_TWOBOX_H

#include "../schema_fixture.h"
#include "arp.h"
#include "fwdd.h"
#include "ipsec.h"
#include "nd.h"
#include "port.h"
#include "pic.h"
#include "pktutil.h"
#include "render.h"
#include "svc.h"

#include <fcntl.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VNET 10 /* sizeof(struct virtio_net_hdr) before each frame */

struct box {
    struct fwdd *fw;
    int peer[2]; /* the test's end of port 0 (LAN) and port 1 (WAN) */
};

static struct conf *load(const char *text)
{
    struct conf *c = conf_new(sch);
    struct load_result r = {0};

    if (load_text(c->root, text, &r) != 0)
        fail_msg("line %d: %s", r.errs[0].line, r.errs[0].msg);
    load_result_free(&r);
    return c;
}

static void commit(struct fwdd *fw, const char *text)
{
    struct conf *c = load(text);
    char err[256];

    assert_int_equal(fw_prepare(fw, c, err, sizeof(err)), 0);
    fw_apply(fw);
    conf_free(c);
}

static struct port *port_new(struct fwdd *fw, size_t i, const char *name, int *peer)
{
    struct port *p = calloc(1, sizeof(*p));
    int sv[2], big = 4 << 20;
    static uint8_t nport;

    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    fcntl(sv[0], F_SETFL, O_NONBLOCK);
    fcntl(sv[1], F_SETFL, O_NONBLOCK);
    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->ifname, sizeof(p->ifname), "sp%zu", i);
    p->index = i;
    p->fd = sv[0];
    p->fw = fw;
    p->linux_mtu = 1500;
    memcpy(p->mac, "\x02\0\0\0\0\x01", 6);
    p->mac[5] = ++nport;
    p->arp = arp_new();
    p->nd = nd_new();
    *peer = sv[1];
    return p;
}

static struct box *box_new(const char *conf)
{
    struct box *b = calloc(1, sizeof(*b));
    struct fwdd *fw = calloc(1, sizeof(*fw));

    fw->root = "/nonexistent";
    fw->sch = sch;
    fw->ports = calloc(2, sizeof(*fw->ports));
    fw->ports[0] = port_new(fw, 0, "ge-0/0/0", &b->peer[0]);
    fw->ports[1] = port_new(fw, 1, "ge-0/0/1", &b->peer[1]);
    fw->nports = 2;
    fw->burst_hints = 1; /* burst.c's passes with a handful of tunnels too */
    b->fw = fw;
    if (conf)
        commit(fw, conf);
    return b;
}

static void box_free(struct box *b)
{
    struct fwdd *fw = b->fw;

    fw_kroute_flush(fw);
    gen_free(fw->cur);
    gen_free(fw->next);
    fw->cur = fw->next = NULL;
    svc_rt_free_all(fw);
    for (size_t i = 0; i < fw->nports; i++) {
        close(b->peer[i]);
        port_close(fw->ports[i]);
    }
    free(fw->ports);
    free(fw);
    free(b);
}

/* One frame the box sent on port i (virtio header stripped): its length,
 * 0 when none is waiting. */
static size_t out_frame(struct box *b, int i, uint8_t *f, size_t cap)
{
    static uint8_t buf[FWD_FRAME_MAX + VNET];
    ssize_t n = recv(b->peer[i], buf, sizeof(buf), MSG_DONTWAIT);

    if (n <= VNET)
        return 0;
    assert_true((size_t)n - VNET <= cap);
    memcpy(f, buf + VNET, (size_t)n - VNET);
    return (size_t)n - VNET;
}

/* Frames for port i of b, received as port_read receives a burst: into
 * the receive jobs (fwd_rx_frame) when they fit, else into buffers of
 * their own; then fwd_frames_input, with burst.c's prefetch passes on
 * (box_new), as with many tunnels. */
struct burst {
    size_t n, lens[FWD_BURST_MAX];
    uint8_t *frames[FWD_BURST_MAX];
    uint8_t big[FWD_BURST_MAX][FWD_FRAME_MAX];
};

static void burst_add(struct burst *u, struct box *b, const uint8_t *f, size_t len)
{
    size_t room;
    uint8_t *rx = fwd_rx_frame(b->fw, u->n, &room);

    u->frames[u->n] = len <= room ? rx : u->big[u->n];
    memcpy(u->frames[u->n], f, len);
    u->lens[u->n++] = len;
}

static void burst_run(struct burst *u, struct box *b, int i)
{
    fwd_frames_input(b->fw, b->fw->ports[i], u->frames, u->lens, u->n, NULL);
    u->n = 0;
}

/* Feed a frame into port i (copied: the path writes in place). */
static void in_frame(struct box *b, int i, const uint8_t *f, size_t len)
{
    static struct burst u;

    burst_add(&u, b, f, len);
    burst_run(&u, b, i);
}

/* Carry frames between the WANs of a and b until both are quiet, in
 * bursts of up to FWD_BURST_MAX; returns how many moved.  Frames from a
 * are also copied to tap when given. */
static int pump_tap(struct box *a, struct box *b, void (*tap)(const uint8_t *, size_t))
{
    static uint8_t f[FWD_FRAME_MAX];
    static struct burst u;
    int moved = 0, more = 1;
    size_t n;

    while (more) {
        more = 0;
        while ((n = out_frame(a, 1, f, sizeof(f))) > 0) {
            if (tap)
                tap(f, n);
            burst_add(&u, b, f, n);
            if (u.n == FWD_BURST_MAX)
                burst_run(&u, b, 1);
            moved++;
            more = 1;
        }
        burst_run(&u, b, 1);
        while ((n = out_frame(b, 1, f, sizeof(f))) > 0) {
            burst_add(&u, a, f, n);
            if (u.n == FWD_BURST_MAX)
                burst_run(&u, a, 1);
            moved++;
            more = 1;
        }
        burst_run(&u, a, 1);
    }
    return moved;
}

static int pump(struct box *a, struct box *b)
{
    return pump_tap(a, b, NULL);
}

static const uint8_t host_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};

/* An Ethernet frame from the LAN host carrying l3 to the box on port i. */
static size_t eth(struct box *b, int i, uint8_t *f, uint16_t type, const uint8_t *l3, size_t len)
{
    memcpy(f, b->fw->ports[i]->mac, 6);
    memcpy(f + 6, host_mac, 6);
    put16(f + 12, type);
    memcpy(f + 14, l3, len);
    return len + 14;
}

/* Teach box b's LAN port that host (host order) is at host_mac. */
static void lan_host(struct box *b, uint32_t host, uint32_t gw)
{
    uint8_t f[64];
    const uint8_t zero[6] = {0};
    size_t n = arp_build(f, sizeof(f), 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", host_mac,
                         host, zero, gw);

    in_frame(b, 0, f, n);
    while (out_frame(b, 0, f, sizeof(f)))
        ; /* the ARP reply */
}

/* A UDP packet of size payload bytes (pattern), DF as asked. */
static size_t udp_pkt(uint8_t *p, uint32_t src, uint32_t dst, size_t size, int df, uint16_t id)
{
    size_t n = udp4_build(p, 65535, src, dst, 40000, 9, size, 64, id);

    if (df) {
        p[6] |= 0x40;
        ip4_set_csum(p);
    }
    return n;
}

#endif
