/*
 * ikepeer: a fake fwdd with a dynamic peer behind it, for the daemon
 * test of kmd (tests/kmd/test_kmd_daemon.py).
 *
 *   ikepeer --root DIR --psk KEY --log FILE [--peer ADDR] [--gw ADDR] [--natt]
 *
 * It listens on DIR/fwdd.sock like fwdd (lib/fwdipc.h), answers kmd's
 * HELLO and every request (a pool reservation gets unit ms-1/0/0.1), and
 * punts the datagrams of the test initiator (tests/ikeinit) to kmd as if
 * they had arrived on ge-0/0/1.0: main mode, retransmitted every second
 * until kmd answers (kmd may not have its configuration yet), then quick
 * mode.  FILE gets one line per request and event, in order:
 *
 *   REQ POOL_RESERVE SG1 dyn-pool | REQ SA_ADD in|out SPI | REQ RULE_ADD
 *   SRC DST | REQ ROUTE_ADD INSTANCE PREFIX UNIT PREF | REQ SEND SPORT DPORT
 *   | REQ *_DEL ... | ESTABLISHED SPI_I SPI_R | GOT DELETE PROTO | ...
 *
 * When DIR/ikepeer.delete appears it sends DELETE (ESP, then ISAKMP) and
 * removes the file.  No key is ever written.  SIGTERM ends it.
 */
#include "ikeinit.h"
#include "ipc.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static FILE *logf;
static int conn = -1;
static struct ikei *peer;
static uint8_t last[4096];
static size_t last_len;
static bool qm_started, established;
static const char *root;
static double sent_at;

static double now(void);

static void on_term(int sig)
{
    (void)sig;
    stop = 1;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vfprintf(logf, fmt, ap);
    va_end(ap);
    fputc('\n', logf);
    fflush(logf);
}

static int write_all(int fd, const void *p, size_t n)
{
    const uint8_t *b = p;

    while (n) {
        ssize_t w = write(fd, b, n);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return -1;
        b += w;
        n -= (size_t)w;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t n)
{
    uint8_t *b = p;

    while (n) {
        ssize_t r = read(fd, b, n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        b += r;
        n -= (size_t)r;
    }
    return 0;
}

static void send_msg(uint16_t type, uint32_t id, const void *a, size_t al, const void *b, size_t bl)
{
    struct ipc_hdr h = {IPC_MAGIC, type, 0, id, (uint32_t)(al + bl)};

    if (conn < 0 || write_all(conn, &h, sizeof(h)) < 0 || (al && write_all(conn, a, al) < 0) ||
        (bl && write_all(conn, b, bl) < 0))
        note("WRITE FAILED");
}

static void punt(const uint8_t *p, size_t len)
{
    struct fwd_dgram d;

    ikei_dgram(peer, &d, len);
    send_msg(FWD_PUNT, 0, &d, sizeof(d), p, len);
    memcpy(last, p, len);
    last_len = len;
    sent_at = now();
}

static const char *prefix(const struct fwd_addr *a, char *buf, size_t len)
{
    char s[INET6_ADDRSTRLEN];

    inet_ntop(a->af == AF_INET6 ? AF_INET6 : AF_INET, a->a, s, sizeof(s));
    snprintf(buf, len, "%s/%u", s, a->plen);
    return buf;
}

/* A datagram kmd sends to the peer. */
static void from_kmd(const uint8_t *p, size_t len)
{
    uint8_t out[4096];
    size_t olen;
    unsigned deletes = peer->deletes;
    int r = ikei_input(peer, p, len, out, sizeof(out), &olen);

    if (r < 0) {
        note("PEER ERROR %s", peer->err);
        return;
    }
    if (peer->deletes != deletes)
        note("GOT DELETE %s", peer->last_delete_proto == ISAKMP_PROTO_ISAKMP ? "isakmp" : "esp");
    if (r == 1)
        punt(out, olen);
    if (peer->step == 6 && !qm_started) {
        qm_started = true;
        note("MAIN MODE DONE");
        if (ikei_qm1(peer, out, sizeof(out), &olen) == 0)
            punt(out, olen);
    }
    if (peer->qm.done && !established) {
        established = true;
        last_len = 0;
        note("ESTABLISHED %08x %08x", peer->qm.spi_i, peer->qm.spi_r);
    }
}

static void request(const struct ipc_hdr *h, const uint8_t *p)
{
    struct fwd_reply ok = {FWD_OK, ""};
    char a[80], b[80];

    switch (h->type) {
    case FWD_HELLO:
        note("HELLO");
        send_msg(FWD_REPLY, h->id, &ok, sizeof(ok), NULL, 0);
        return;
    case FWD_SEND: {
        const struct fwd_dgram *d = (const void *)p;
        note("REQ SEND %u %u", d->sport, d->dport);
        send_msg(FWD_REPLY, h->id, &ok, sizeof(ok), NULL, 0);
        if (h->len >= sizeof(*d) && d->len == h->len - sizeof(*d))
            from_kmd(p + sizeof(*d), d->len);
        return;
    }
    case FWD_POOL_RESERVE: {
        struct fwd_pool pool;
        memcpy(&pool, p, sizeof(pool));
        note("REQ POOL_RESERVE %s %s", pool.service_set, pool.pool);
        snprintf(pool.unit, sizeof(pool.unit), "ms-1/0/0.1");
        send_msg(FWD_REPLY, h->id, &ok, sizeof(ok), &pool, sizeof(pool));
        return;
    }
    case FWD_POOL_RELEASE:
        note("REQ POOL_RELEASE %s", ((const struct fwd_pool *)p)->unit);
        break;
    case FWD_SA_ADD:
    case FWD_SA_DEL: {
        const struct fwd_sa *s = (const void *)p;
        const struct fwd_sa_ref *r = (const void *)p;
        uint8_t dir = h->type == FWD_SA_ADD ? s->dir : r->dir;
        uint32_t spi = ntohl(h->type == FWD_SA_ADD ? s->spi : r->spi);
        note("REQ %s %s %08x", h->type == FWD_SA_ADD ? "SA_ADD" : "SA_DEL",
             dir == FWD_DIR_IN ? "in" : "out", spi);
        break;
    }
    case FWD_RULE_ADD:
    case FWD_RULE_DEL: {
        const struct fwd_rule *r = (const void *)p;
        note("REQ %s %s %s", h->type == FWD_RULE_ADD ? "RULE_ADD" : "RULE_DEL",
             prefix(&r->sel.src, a, sizeof(a)), prefix(&r->sel.dst, b, sizeof(b)));
        break;
    }
    case FWD_ROUTE_ADD:
    case FWD_ROUTE_DEL: {
        const struct fwd_route *r = (const void *)p;
        note("REQ %s %s %s %s %u", h->type == FWD_ROUTE_ADD ? "ROUTE_ADD" : "ROUTE_DEL",
             r->instance[0] ? r->instance : "inet.0", prefix(&r->prefix, a, sizeof(a)),
             r->next_hop_unit, r->preference);
        break;
    }
    default:
        note("REQ %u", h->type);
    }
    send_msg(FWD_REPLY, h->id, &ok, sizeof(ok), NULL, 0);
}

static void maybe_delete(void)
{
    char path[4200];
    uint8_t out[4096];
    size_t len;

    snprintf(path, sizeof(path), "%s/ikepeer.delete", root);
    if (access(path, F_OK) != 0)
        return;
    unlink(path);
    if (ikei_delete_esp(peer, out, sizeof(out), &len) == 0)
        punt(out, len);
    if (ikei_delete_ike(peer, out, sizeof(out), &len) == 0)
        punt(out, len);
    last_len = 0;
    note("SENT DELETE");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"root", required_argument, NULL, 'r'},
        {"psk", required_argument, NULL, 'k'},
        {"log", required_argument, NULL, 'l'},
        {"peer", required_argument, NULL, 'p'},
        {"gw", required_argument, NULL, 'g'},
        {"natt", no_argument, NULL, 'n'},
        {NULL, 0, NULL, 0},
    };
    const char *psk = NULL, *logpath = NULL, *addr = "198.51.100.7", *gw = "203.0.113.1";
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    struct ikei_conf c;
    bool natt = false;
    int lfd, ch;

    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'r':
            root = optarg;
            break;
        case 'k':
            psk = optarg;
            break;
        case 'l':
            logpath = optarg;
            break;
        case 'p':
            addr = optarg;
            break;
        case 'g':
            gw = optarg;
            break;
        case 'n':
            natt = true;
            break;
        default:
            return 2;
        }
    }
    if (root == NULL || psk == NULL || logpath == NULL)
        return 2;
    if ((logf = fopen(logpath, "a")) == NULL)
        return 1;
    signal(SIGTERM, on_term);
    signal(SIGINT, on_term);
    signal(SIGPIPE, SIG_IGN);
    ikei_defaults(&c, addr, gw, psk);
    c.pfs_group = ISAKMP_GROUP_MODP2048;
    c.force_natt = natt;
    peer = ikei_new(&c);
    snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/fwdd.sock", root);
    unlink(sa.sun_path);
    lfd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(lfd, 4) < 0)
        return 1;
    note("LISTENING");
    while (!stop) {
        struct pollfd pf = {conn >= 0 ? conn : lfd, POLLIN, 0};
        int r = poll(&pf, 1, 100);
        if (r > 0 && conn < 0) {
            conn = accept(lfd, NULL, NULL);
            continue;
        }
        if (r > 0) {
            struct ipc_hdr h;
            uint8_t *p;
            if (read_all(conn, &h, sizeof(h)) < 0 || h.magic != IPC_MAGIC ||
                h.len > FWD_PKT_MAX + 4096) {
                note("KMD DISCONNECTED");
                close(conn);
                conn = -1;
                continue;
            }
            p = calloc(1, h.len + 1);
            if (p == NULL || read_all(conn, p, h.len) < 0) {
                free(p);
                close(conn);
                conn = -1;
                continue;
            }
            request(&h, p);
            free(p);
        }
        if (conn < 0)
            continue;
        if (peer->step == 0 && ikei_mm1(peer, last, sizeof(last), &last_len) == 0) {
            punt(last, last_len);
        } else if (last_len && now() - sent_at > 1.0) { /* retransmit, as peers do */
            struct fwd_dgram d;
            ikei_dgram(peer, &d, last_len);
            send_msg(FWD_PUNT, 0, &d, sizeof(d), last, last_len);
            sent_at = now();
        }
        if (established)
            maybe_delete();
    }
    note("EXIT");
    if (conn >= 0)
        close(conn);
    close(lfd);
    unlink(sa.sun_path);
    ikei_free(peer);
    fclose(logf);
    return 0;
}
