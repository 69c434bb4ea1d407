/*
 * path.c: one appliance driven in process (bench.h).
 *
 * The appliance (fwddcore, as fwdd runs it minus main.c) has a LAN port
 * ge-0/0/0 (10.1.1.254/24, host 10.1.1.1), a WAN port ge-0/0/1
 * (192.0.2.1/24, router 192.0.2.254 toward 198.18.0.0/15), and service
 * set SS1 on ms-1/0/0 with local gateway 192.0.2.1 and a shared pool unit
 * ms-1/0/0.10.  Tunnel t (0-based) is installed as kmd installs one
 * (FWD_POOL_RESERVE, inbound FWD_SA_ADD, outbound FWD_SA_ADD,
 * FWD_RULE_ADD, FWD_ROUTE_ADD through kmdreq_handle): remote gateway
 * 198.18.0.0 + t + 1, remote LAN 10.128.0.0 + 256 t /24, keys of its own.
 *
 * Ports are in-process: their fds are fake, and the sendmsg() and
 * sendmmsg() calls of port.c are wrapped at link time (-Wl,--wrap=...,
 * meson.build): a frame to a fake fd is copied into memory (as the kernel
 * copies it) and counted, so "frame out" costs a copy and no system call.
 * Real fds (the veth reference, veth.c) go to the real calls.  Since
 * fwdd holds the frames of a burst for one sendmmsg (port.h), a frame's
 * timed path ends with the burst's.
 *
 * Encrypt: a LAN frame to the remote LAN of tunnel t is copied into the
 * receive buffers (fwd_rx_frame, as port_read receives a burst) and
 * bench_burst of them at a time handed to fwd_frames_input(); fwdd routes it to the
 * pool unit, picks the tunnel by kmd's rule, seals it and sends it to the
 * router.  Decrypt: ESP from remote gateway t, sealed by a peer (the same
 * lib/crypto, the SA's mirror keys, sequence numbers in order) in batches
 * of BATCH frames made just before they are timed, goes in on the WAN
 * port; fwdd opens it, routes the inner packet and sends it to the host.
 * An AH transform (x->proto FWD_PROTO_AH) does the same with AH in tunnel
 * mode: the peer seals and checks with lib/crypto/ah.h.
 */
#include "bench.h"

#include "arp.h"
#include "crypto/ah.h"
#include "crypto/esp.h"
#include "fwdd.h"
#include "ipsec.h"
#include "log.h"
#include "nd.h"
#include "pic.h"
#include "pktutil.h"
#include "port.h"
#include "render.h"
#include "svc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>

#define FAKE_FD 0x3ff00000 /* + port index: never a real descriptor */
#define BATCH 256          /* decrypt: frames made, then timed */
#define SLOT 2048          /* bytes per frame of a batch */

int bench_burst = BENCH_BURST_MAX; /* frames per fwd_frames_input (--burst) */
unsigned bench_hot;                /* --hot */
_Static_assert(BENCH_BURST_MAX <= FWD_BURST_MAX, "a burst fits fwdd's");
#define LAN_HOST 0x0a010101u
#define WAN_GW 0xc0000201u     /* 192.0.2.1, the local gateway */
#define WAN_ROUTER 0xc00002feu /* 192.0.2.254 */
#define PEER_GW(t) (0xc6120000u + (t) + 1u)
#define PEER_NET(t) (0x0a800000u + ((uint32_t)(t) << 8))
#define SPI_OUT(t) (0x10000000u + (t))
#define SPI_IN(t) (0x20000000u + (t))
#define MAX_TUNNELS 32768u /* 10.128.0.0/9 */

static const uint8_t host_mac[6] = {0x02, 0x11, 0x22, 0x33, 0x44, 0x55};
static const uint8_t router_mac[6] = {0x02, 0x66, 0x77, 0x88, 0x99, 0xaa};

static const char *conf_text =
    "interfaces {\n"
    "  ge-0/0/0 { unit 0 { family inet { address 10.1.1.254/24; } } }\n"
    "  ge-0/0/1 { unit 0 { family inet { address 192.0.2.1/24; } } }\n"
    "  ms-1/0/0 { unit 1 { family inet; service-domain inside; }\n"
    "             unit 2 { family inet; service-domain outside; }\n"
    "             unit 10 { family inet; service-domain inside;\n"
    "                       dial-options { ipsec-interface-id pool1; shared; } } }\n"
    "}\n"
    "routing-options { static { route 198.18.0.0/15 next-hop 192.0.2.254; } }\n"
    "services { service-set SS1 { next-hop-service { inside-service-interface ms-1/0/0.1;\n"
    "  outside-service-interface ms-1/0/0.2; } ipsec-vpn-options { local-gateway 192.0.2.1; } "
    "} }\n";

struct appl {
    struct fwdd *fw;
    int fake; /* in-process ports (else real ones: port_close) */
    const struct xfm *x;
    unsigned nt;
    char unit[FWD_UNITNAMELEN]; /* the shared pool unit */
    unsigned *order;            /* packet i goes to tunnel order[i % nt] */
    struct esp_xform **peer;    /* per tunnel: the peer's outbound transform */
    struct ah_xform **peer_ah;  /* the same for AH */
    uint32_t *peer_seq;
    uint8_t *batch; /* decrypt: BATCH frames */
};

/* --- frames out: port.c's sendmsg() on a fake fd --------------------------- */

static struct {
    uint64_t frames[2];
    uint8_t last[FWD_FRAME_MAX];
    size_t last_len;
} sink;

ssize_t __real_sendmsg(int fd, const struct msghdr *m, int flags);
ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags);
int __real_sendmmsg(int fd, struct mmsghdr *mm, unsigned n, int flags);
int __wrap_sendmmsg(int fd, struct mmsghdr *mm, unsigned n, int flags);

/* One frame to a fake fd: iov[0] is the virtio_net_hdr (PACKET_VNET_HDR),
 * then the frame. */
static ssize_t sink_frame(int fd, const struct msghdr *m)
{
    size_t n = 0;

    for (size_t i = 1; i < m->msg_iovlen; i++) {
        size_t l = m->msg_iov[i].iov_len;
        if (n + l > sizeof(sink.last))
            return -1;
        memcpy(sink.last + n, m->msg_iov[i].iov_base, l);
        n += l;
    }
    sink.last_len = n;
    sink.frames[fd - FAKE_FD]++;
    return (ssize_t)(n + m->msg_iov[0].iov_len);
}

ssize_t __wrap_sendmsg(int fd, const struct msghdr *m, int flags)
{
    if (fd != FAKE_FD && fd != FAKE_FD + 1)
        return __real_sendmsg(fd, m, flags);
    return sink_frame(fd, m);
}

int __wrap_sendmmsg(int fd, struct mmsghdr *mm, unsigned n, int flags)
{
    unsigned i;

    if (fd != FAKE_FD && fd != FAKE_FD + 1)
        return __real_sendmmsg(fd, mm, n, flags);
    for (i = 0; i < n; i++) {
        ssize_t r = sink_frame(fd, &mm[i].msg_hdr);
        if (r < 0)
            return i > 0 ? (int)i : -1;
        mm[i].msg_len = (unsigned)r;
    }
    return (int)n;
}

/* --- set-up ------------------------------------------------------------------ */

static uint8_t key_byte(unsigned t, int dir, unsigned j)
{
    uint32_t v = (t + 1) * 2654435761u ^ (uint32_t)dir * 0x9e3779b9u ^ j * 0x85ebca6bu;

    return (uint8_t)(v >> 13 ^ v >> 24);
}

static void keys(unsigned t, int dir, const struct xfm *x, uint8_t *ek, uint8_t *ak)
{
    for (unsigned j = 0; j < x->ekey_len; j++)
        ek[j] = key_byte(t, dir, j);
    for (unsigned j = 0; j < x->akey_len; j++)
        ak[j] = key_byte(t, dir, 100 + j);
}

static void v4(struct fwd_addr *a, uint32_t host, unsigned plen)
{
    memset(a, 0, sizeof(*a));
    a->af = AF_INET;
    a->plen = (uint8_t)plen;
    put32(a->a, host);
}

static int req(struct appl *a, uint16_t type, const void *m, size_t len, void *extra, char *err,
               size_t errlen)
{
    static uint8_t buf[1024], x[1024];
    char msg[128];
    size_t xl;
    int st;

    memcpy(buf, m, len);
    st = kmdreq_handle(a->fw, type, buf, len, msg, sizeof(msg), x, &xl);
    if (st != FWD_OK)
        snprintf(err, errlen, "kmd request %u: status %d: %s", type, st, msg);
    else if (extra)
        memcpy(extra, x, xl);
    return st;
}

static void sa_of(struct appl *a, struct fwd_sa *s, unsigned t, uint8_t dir, const struct xfm *x)
{
    memset(s, 0, sizeof(*s));
    snprintf(s->service_set, sizeof(s->service_set), "SS1");
    snprintf(s->inside_unit, sizeof(s->inside_unit), "%s", a->unit);
    s->tunnel = t + 1;
    s->spi = htonl(dir == FWD_DIR_OUT ? SPI_OUT(t) : SPI_IN(t));
    s->dir = dir;
    s->proto = x->proto;
    s->cipher = x->cipher;
    s->auth = x->auth;
    s->cipher_key_len = x->ekey_len;
    s->auth_key_len = x->akey_len;
    keys(t, dir, x, s->cipher_key, s->auth_key);
    v4(&s->local, WAN_GW, 32);
    v4(&s->remote, PEER_GW(t), 32);
    v4(&s->sel.src, LAN_HOST & 0xffffff00u, 24);
    v4(&s->sel.dst, PEER_NET(t), 24);
}

static int tunnel_add(struct appl *a, unsigned t, char *err, size_t errlen)
{
    struct fwd_pool p, r;
    struct fwd_sa s;
    struct fwd_rule rule;
    struct fwd_route route;

    memset(&p, 0, sizeof(p));
    snprintf(p.service_set, sizeof(p.service_set), "SS1");
    snprintf(p.pool, sizeof(p.pool), "pool1");
    p.tunnel = t + 1;
    if (req(a, FWD_POOL_RESERVE, &p, sizeof(p), &r, err, errlen) != FWD_OK)
        return -1;
    snprintf(a->unit, sizeof(a->unit), "%.47s", r.unit);
    sa_of(a, &s, t, FWD_DIR_IN, a->x);
    if (req(a, FWD_SA_ADD, &s, sizeof(s), NULL, err, errlen) != FWD_OK)
        return -1;
    sa_of(a, &s, t, FWD_DIR_OUT, a->x);
    if (req(a, FWD_SA_ADD, &s, sizeof(s), NULL, err, errlen) != FWD_OK)
        return -1;
    memset(&rule, 0, sizeof(rule));
    snprintf(rule.service_set, sizeof(rule.service_set), "SS1");
    snprintf(rule.inside_unit, sizeof(rule.inside_unit), "%s", a->unit);
    rule.tunnel = t + 1;
    rule.sel = s.sel;
    if (req(a, FWD_RULE_ADD, &rule, sizeof(rule), NULL, err, errlen) != FWD_OK)
        return -1;
    memset(&route, 0, sizeof(route));
    snprintf(route.next_hop_unit, sizeof(route.next_hop_unit), "%s", a->unit);
    v4(&route.prefix, PEER_NET(t), 24);
    route.tunnel = t + 1;
    route.preference = 1;
    return req(a, FWD_ROUTE_ADD, &route, sizeof(route), NULL, err, errlen) == FWD_OK ? 0 : -1;
}

/* The peer's transform of tunnel t: sealing what the appliance's inbound
 * SA opens (dir FWD_DIR_IN), or opening what its outbound SA seals. */
static struct esp_xform *peer_xform(const struct xfm *x, unsigned t, int dir)
{
    enum esp_dir d = dir == FWD_DIR_IN ? ESP_OUTBOUND : ESP_INBOUND;
    uint8_t ek[FWD_KEY_MAX], ak[FWD_KEY_MAX];

    keys(t, dir, x, ek, ak);
    if (x->cipher == FWD_CIPHER_AES_GCM_16)
        return esp_xform_new_gcm(d, ek, x->ekey_len); /* the key, then the salt */
    return esp_xform_new(
        d, x->cipher == FWD_CIPHER_3DES_CBC ? CRYPTO_CIPHER_3DES_CBC : CRYPTO_CIPHER_AES128_CBC, ek,
        x->ekey_len, ESP_INTEG_HMAC_SHA1_96, ak, x->akey_len);
}

static struct ah_xform *peer_ah_xform(const struct xfm *x, unsigned t, int dir)
{
    uint8_t ek[FWD_KEY_MAX], ak[FWD_KEY_MAX];

    keys(t, dir, x, ek, ak);
    return ah_xform_new(ESP_INTEG_HMAC_SHA1_96, ak, x->akey_len);
}

/* An ARP request from (mac, ip) for the appliance's address on port i: it
 * learns the sender (and answers). */
static void learn(struct fwdd *fw, size_t i, const uint8_t *mac, uint32_t ip, uint32_t ours)
{
    static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, zero[6] = {0};
    uint8_t f[64];
    size_t n = arp_build(f, sizeof(f), 1, bcast, mac, ip, zero, ours);

    fwd_frame_input(fw, fw->ports[i], f, n, NULL);
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);

    if (p == NULL)
        fatal("calloc");
    return p;
}

static struct port *fake_port(struct fwdd *fw, size_t i, const char *name)
{
    struct port *p = xcalloc(1, sizeof(*p));

    snprintf(p->name, sizeof(p->name), "%s", name);
    snprintf(p->ifname, sizeof(p->ifname), "bench%zu", i);
    p->fw = fw;
    p->index = i;
    p->fd = FAKE_FD + (int)i;
    p->linux_mtu = 1500;
    memcpy(p->mac, "\x02\0\0\0\0\x01", 6);
    p->mac[5] = (uint8_t)(i + 1);
    p->arp = arp_new();
    p->nd = nd_new();
    return p;
}

struct appl *appl_new(const struct schema *sch, const struct xfm *x, unsigned tunnels,
                      struct fwdd *fw, char *err, size_t errlen)
{
    struct appl *a = xcalloc(1, sizeof(*a));
    struct load_result lr = {0};
    struct conf *c;
    uint32_t rnd = 12345;
    int rc;

    a->x = x;
    a->nt = tunnels;
    a->fake = fw == NULL;
    if (fw == NULL) {
        fw = xcalloc(1, sizeof(*fw));
        fw->ports = xcalloc(2, sizeof(*fw->ports));
        fw->ports[0] = fake_port(fw, 0, "ge-0/0/0");
        fw->ports[1] = fake_port(fw, 1, "ge-0/0/1");
        fw->nports = 2;
        fw->root = "/nonexistent";
    }
    a->fw = fw;
    fw->sch = sch;
    if (tunnels == 0 || tunnels > MAX_TUNNELS) {
        snprintf(err, errlen, "%u tunnels: 1 to %u", tunnels, MAX_TUNNELS);
        appl_free(a);
        return NULL;
    }
    a->order = xcalloc(tunnels, sizeof(*a->order));
    a->peer = xcalloc(tunnels, sizeof(*a->peer));
    a->peer_ah = xcalloc(tunnels, sizeof(*a->peer_ah));
    a->peer_seq = xcalloc(tunnels, sizeof(*a->peer_seq));
    a->batch = xcalloc(BATCH, SLOT);
    c = conf_new(sch);
    rc = load_text(c->root, conf_text, &lr);
    if (rc != 0)
        snprintf(err, errlen, "configuration line %d: %s", lr.errs[0].line, lr.errs[0].msg);
    load_result_free(&lr);
    if (rc == 0 && (rc = fw_prepare(fw, c, err, errlen)) == 0)
        fw_apply(fw);
    conf_free(c);
    for (unsigned t = 0; rc == 0 && t < tunnels; t++) {
        rc = tunnel_add(a, t, err, errlen);
        if (rc == 0 &&
            (x->proto == FWD_PROTO_AH ? (a->peer_ah[t] = peer_ah_xform(x, t, FWD_DIR_IN)) == NULL
                                      : (a->peer[t] = peer_xform(x, t, FWD_DIR_IN)) == NULL)) {
            snprintf(err, errlen, "peer transform: %s", crypto_strerror());
            rc = -1;
        }
    }
    if (rc != 0) {
        appl_free(a);
        return NULL;
    }
    /* every tunnel once per round, in an order that is not memory order */
    for (unsigned t = 0; t < tunnels; t++)
        a->order[t] = t;
    for (unsigned t = tunnels - 1; t > 0; t--) {
        unsigned k, tmp;
        rnd ^= rnd << 13;
        rnd ^= rnd >> 17;
        rnd ^= rnd << 5;
        k = rnd % (t + 1);
        tmp = a->order[t];
        a->order[t] = a->order[k];
        a->order[k] = tmp;
    }
    if (bench_hot > 0 && bench_hot < tunnels) /* the order's first bench_hot, over and over */
        for (unsigned t = bench_hot; t < tunnels; t++)
            a->order[t] = a->order[t % bench_hot];
    learn(fw, 0, host_mac, LAN_HOST, (LAN_HOST & ~0xffu) | 0xfe);
    learn(fw, 1, router_mac, WAN_ROUTER, WAN_GW);
    return a;
}

void appl_free(struct appl *a)
{
    struct fwdd *fw;

    if (a == NULL)
        return;
    if ((fw = a->fw) != NULL) {
        fw_kroute_flush(fw);
        gen_free(fw->cur);
        gen_free(fw->next);
        fw->cur = fw->next = NULL;
        svc_rt_free_all(fw);
        for (size_t i = 0; i < fw->nports; i++) {
            if (a->fake && fw->ports[i])
                fw->ports[i]->fd = -1; /* not a descriptor to close */
            port_close(fw->ports[i]);
        }
        free(fw->ports);
        free(fw);
    }
    for (unsigned t = 0; a->peer && t < a->nt; t++) {
        esp_xform_free(a->peer[t]);
        ah_xform_free(a->peer_ah[t]);
    }
    free(a->peer);
    free(a->peer_ah);
    free(a->peer_seq);
    free(a->order);
    free(a->batch);
    free(a);
}

const char *appl_probe(struct appl *a, const struct xfm *x, char *msg, size_t msglen)
{
    struct fwd_sa s;
    struct fwd_sa_ref ref;
    unsigned t = a->nt + 100;

    sa_of(a, &s, t, FWD_DIR_OUT, x);
    if (req(a, FWD_SA_ADD, &s, sizeof(s), NULL, msg, msglen) != FWD_OK)
        return msg;
    memset(&ref, 0, sizeof(ref));
    snprintf(ref.service_set, sizeof(ref.service_set), "SS1");
    ref.spi = s.spi;
    ref.dir = FWD_DIR_OUT;
    ref.proto = x->proto;
    req(a, FWD_SA_DEL, &ref, sizeof(ref), NULL, msg, msglen);
    return NULL;
}

/* --- the timed runs ------------------------------------------------------------ */

static const char *first_drop(const struct fwdd *fw, const uint64_t *before)
{
    for (int i = 0; i < DROP_MAX; i++)
        if (fw->st.drop[i] != before[i])
            return fwd_drop_name((enum fwd_drop)i);
    return "?";
}

size_t appl_lan_frame(struct appl *a, unsigned t, size_t inner, uint8_t *f, size_t cap)
{
    size_t n;

    if (cap < 14 + inner || inner < 28)
        return 0;
    memcpy(f, a->fw->ports[0]->mac, 6);
    memcpy(f + 6, host_mac, 6);
    put16(f + 12, ETHTYPE_IPV4);
    n = udp4_build(f + 14, cap - 14, LAN_HOST, PEER_NET(t) | 1, 40000, 9, inner - 28, 64, 1);
    put16(f + 14 + 26, 0); /* no UDP checksum: the destination is patched per packet */
    return n + 14;
}

/* The output of tunnel t's outbound SA opened by the peer: 0 if it holds
 * the packet sent (inner bytes to the tunnel's remote LAN). */
static int check_sealed(struct appl *a, unsigned t, size_t inner, char *err, size_t errlen)
{
    struct esp_xform *xf;
    uint8_t *ip = sink.last + 14;
    size_t off, plen;
    uint8_t nh;
    int rc;

    if (a->x->proto == FWD_PROTO_AH) {
        struct ah_xform *ah = peer_ah_xform(a->x, t, FWD_DIR_OUT);
        size_t hl = ah ? ah_xform_hdr_len(ah) : 0;
        rc = ah && sink.last_len == 14 + 20 + hl + inner && ip[9] == IPPROTO_AH_ &&
                     get32(ip + 16) == PEER_GW(t) && get32(ip + 24) == SPI_OUT(t) && ip[20] == 4 &&
                     get32(ip + 20 + hl + 16) == (PEER_NET(t) | 1)
                 ? ah_icv_verify(ah, ip, sink.last_len - 14)
                 : ESP_ERR_LENGTH;
        ah_xform_free(ah);
        if (rc != ESP_OK)
            snprintf(err, errlen, "the last frame out is not tunnel %u's AH packet (%d)", t, rc);
        return rc == ESP_OK ? 0 : -1;
    }
    xf = peer_xform(a->x, t, FWD_DIR_OUT);
    if (xf == NULL || sink.last_len < 14 + 20 + 8 || get32(ip + 16) != PEER_GW(t) ||
        ip[9] != IPPROTO_ESP_ || get32(ip + 20) != SPI_OUT(t)) {
        esp_xform_free(xf);
        snprintf(err, errlen, "the last frame out is not tunnel %u's ESP", t);
        return -1;
    }
    rc = esp_open(xf, ip + 20, sink.last_len - 14 - 20, &off, &plen, &nh);
    esp_xform_free(xf);
    if (rc != ESP_OK || nh != 4 || plen != inner ||
        get32(ip + 20 + off + 16) != (PEER_NET(t) | 1)) {
        snprintf(err, errlen, "tunnel %u's ESP does not open to the packet sent (%d)", t, rc);
        return -1;
    }
    return 0;
}

double appl_encrypt(struct appl *a, size_t inner, size_t n, int reps, char *err, size_t errlen)
{
    static uint8_t tmpl[2048];
    struct fwdd *fw = a->fw;
    size_t flen = appl_lan_frame(a, 0, inner, tmpl, sizeof(tmpl));
    uint32_t *dst = calloc(a->nt, sizeof(*dst));
    uint16_t *csum = calloc(a->nt, sizeof(*csum));
    double best = -1;

    if (flen == 0 || dst == NULL || csum == NULL) {
        snprintf(err, errlen, "packet of %zu bytes", inner);
        goto out;
    }
    for (unsigned t = 0; t < a->nt; t++) { /* the sender's per-packet patch */
        uint8_t ip[20];
        memcpy(ip, tmpl + 14, 20);
        dst[t] = PEER_NET(t) | 1;
        put32(ip + 16, dst[t]);
        ip4_set_csum(ip);
        csum[t] = get16(ip + 10);
    }
    for (int r = 0; r < reps; r++) {
        uint64_t before[DROP_MAX], out0 = sink.frames[1];
        unsigned t = 0;
        double t0, ns;

        memcpy(before, fw->st.drop, sizeof(before));
        t0 = cpu_ns();
        for (size_t i = 0; i < n; i += (size_t)bench_burst) {
            size_t m = n - i < (size_t)bench_burst ? n - i : (size_t)bench_burst, room;
            uint8_t *frames[FWD_BURST_MAX];
            size_t lens[FWD_BURST_MAX];
            for (size_t k = 0; k < m; k++) { /* where port_read receives a burst */
                uint8_t *rx = frames[k] = fwd_rx_frame(fw, k, &room);
                if (flen > room) {
                    snprintf(err, errlen, "a %zu-byte frame does not fit a receive job", flen);
                    best = -1;
                    goto out;
                }
                t = a->order[(i + k) % a->nt];
                memcpy(rx, tmpl, flen);
                put32(rx + 14 + 16, dst[t]);
                put16(rx + 14 + 10, csum[t]);
                lens[k] = flen;
            }
            fwd_frames_input(fw, fw->ports[0], frames, lens, m, NULL);
        }
        ns = (cpu_ns() - t0) / (double)n;
        if (sink.frames[1] - out0 != n || memcmp(before, fw->st.drop, sizeof(before)) != 0) {
            snprintf(err, errlen, "%llu of %zu frames out; drops: %s",
                     (unsigned long long)(sink.frames[1] - out0), n, first_drop(fw, before));
            best = -1;
            goto out;
        }
        if (check_sealed(a, t, inner, err, errlen) < 0) {
            best = -1;
            goto out;
        }
        if (best < 0 || ns < best)
            best = ns;
    }
out:
    free(dst);
    free(csum);
    return best;
}

/* Frame k of a decrypt batch: ESP from tunnel t's remote gateway to the
 * local gateway, on the WAN port; its length. */
static size_t peer_frame(struct appl *a, unsigned t, size_t inner, uint8_t *f, size_t cap)
{
    struct esp_xform *xf = a->peer[t];
    uint8_t *ip = f + 14, *esp = ip + 20;
    size_t off, esplen;

    memcpy(f, a->fw->ports[1]->mac, 6);
    memcpy(f + 6, router_mac, 6);
    put16(f + 12, ETHTYPE_IPV4);
    if (a->x->proto == FWD_PROTO_AH) {
        struct ah_xform *ah = a->peer_ah[t];
        size_t hl = ah_xform_hdr_len(ah);
        if (udp4_build(ip + 20 + hl, cap - 34 - hl, PEER_NET(t) | 1, LAN_HOST, 40000, 9, inner - 28,
                       64, 1) != inner)
            return 0;
        ip4_hdr_build(ip, 20 + hl + inner, IPPROTO_AH_, PEER_GW(t), WAN_GW, 64, 0, 1);
        return ah_seal(ah, SPI_IN(t), ++a->peer_seq[t], 4, ip, 20 + hl + inner) == ESP_OK
                   ? 34 + hl + inner
                   : 0;
    }
    off = esp_payload_offset(xf);
    if (udp4_build(esp + off, cap - 34 - off, PEER_NET(t) | 1, LAN_HOST, 40000, 9, inner - 28, 64,
                   1) != inner ||
        esp_seal(xf, SPI_IN(t), ++a->peer_seq[t], 4, NULL, esp, inner, cap - 34, &esplen) != ESP_OK)
        return 0;
    ip4_hdr_build(ip, 20 + esplen, IPPROTO_ESP_, PEER_GW(t), WAN_GW, 64, 0, 1);
    return 34 + esplen;
}

double appl_decrypt(struct appl *a, size_t inner, size_t n, int reps, char *err, size_t errlen)
{
    struct fwdd *fw = a->fw;
    const size_t stride = SLOT;
    double best = -1;

    for (int r = 0; r < reps; r++) {
        uint64_t before[DROP_MAX], out0 = sink.frames[0];
        double ns = 0;
        size_t flen = 0;
        unsigned t = 0;

        memcpy(before, fw->st.drop, sizeof(before));
        for (size_t i = 0; i < n; i += BATCH) {
            size_t k, m = n - i < BATCH ? n - i : BATCH;
            double t0;
            for (k = 0; k < m; k++) { /* untimed: the peer's work */
                t = a->order[(i + k) % a->nt];
                flen = peer_frame(a, t, inner, a->batch + k * stride, stride);
                if (flen == 0) {
                    snprintf(err, errlen, "peer: %s", crypto_strerror());
                    return -1;
                }
            }
            t0 = cpu_ns();
            for (k = 0; k < m; k += (size_t)bench_burst) {
                size_t b = m - k < (size_t)bench_burst ? m - k : (size_t)bench_burst, room;
                uint8_t *frames[FWD_BURST_MAX];
                size_t lens[FWD_BURST_MAX];
                for (size_t q = 0; q < b; q++) {
                    frames[q] = fwd_rx_frame(fw, q, &room);
                    if (flen > room) {
                        snprintf(err, errlen, "a %zu-byte frame does not fit a receive job", flen);
                        return -1;
                    }
                    memcpy(frames[q], a->batch + (k + q) * stride, flen);
                    lens[q] = flen;
                }
                fwd_frames_input(fw, fw->ports[1], frames, lens, b, NULL);
            }
            ns += cpu_ns() - t0;
        }
        ns /= (double)n;
        if (sink.frames[0] - out0 != n || memcmp(before, fw->st.drop, sizeof(before)) != 0) {
            snprintf(err, errlen, "%llu of %zu frames out; drops: %s",
                     (unsigned long long)(sink.frames[0] - out0), n, first_drop(fw, before));
            return -1;
        }
        if (sink.last_len != 14 + inner || get32(sink.last + 14 + 12) != (PEER_NET(t) | 1) ||
            get32(sink.last + 14 + 16) != LAN_HOST || sink.last[14 + 8] != 63) {
            snprintf(err, errlen, "the last frame out is not tunnel %u's packet", t);
            return -1;
        }
        if (best < 0 || ns < best)
            best = ns;
    }
    return best;
}

uint64_t appl_encrypted(const struct appl *a)
{
    uint64_t n = 0;
    struct ss_rt *rt = a->fw->ssrt;

    for (; rt; rt = rt->next)
        for (struct tunnel *t = rt->tunnels; t; t = t->next)
            n += t->st.enc_packets + t->st.ah_out_packets;
    return n;
}
