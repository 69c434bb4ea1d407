/*
 * kmdsock.c: ROOT/fwdd.sock, kmd's connection to fwdd (kmdsock.h).
 */
#include "kmdsock.h"
#include "fwdipc.h"
#include "ipsec.h"
#include "ipc.h"
#include "log.h"
#include "pktutil.h"
#include "svc.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

struct kmdsock {
    struct fwdd *fw;
    int lfd;
    struct event *lev;
    struct bufferevent *conn;
    int hello; /* FWD_HELLO received */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

static void send_msg(struct kmdsock *ks, uint16_t type, uint32_t id, const void *a, size_t alen,
                     const void *b, size_t blen)
{
    struct ipc_hdr h = {IPC_MAGIC, type, 0, id, (uint32_t)(alen + blen)};

    if (ks->conn == NULL)
        return;
    bufferevent_write(ks->conn, &h, sizeof(h));
    if (alen)
        bufferevent_write(ks->conn, a, alen);
    if (blen)
        bufferevent_write(ks->conn, b, blen);
}

static void reply(struct kmdsock *ks, uint32_t id, uint32_t status, const char *msg)
{
    struct fwd_reply r = {0};

    r.status = status;
    snprintf(r.msg, sizeof(r.msg), "%s", msg ? msg : "");
    send_msg(ks, FWD_REPLY, id, &r, sizeof(r), NULL, 0);
}

/* Everything kmd installed goes: a new connection or HELLO starts empty. */
static void flush_kmd_state(struct kmdsock *ks)
{
    ipsec_flush_dynamic(ks->fw);
    fw_kroute_flush(ks->fw);
}

static void on_hello(struct kmdsock *ks, const struct ipc_hdr *h, const uint8_t *p)
{
    struct fwd_hello hello;

    if (h->len != sizeof(hello)) {
        reply(ks, h->id, FWD_ERR_INVALID, "FWD_HELLO: bad length");
        return;
    }
    memcpy(&hello, p, sizeof(hello));
    if (hello.version != FWD_PROTO_VERSION) {
        reply(ks, h->id, FWD_ERR_INVALID, "FWD_HELLO: protocol version mismatch");
        return;
    }
    if (ks->hello)
        flush_kmd_state(ks);
    ks->hello = 1;
    log_info("kmd (pid %u) connected", hello.pid);
    reply(ks, h->id, FWD_OK, NULL);
}

/* Requests and the payload size each needs (kmdreq.c answers them). */
static const struct {
    uint16_t type;
    size_t size;
} kmd_requests[] = {
    {FWD_SEND, sizeof(struct fwd_dgram)},        {FWD_SA_ADD, sizeof(struct fwd_sa)},
    {FWD_SA_DEL, sizeof(struct fwd_sa_ref)},     {FWD_RULE_ADD, sizeof(struct fwd_rule)},
    {FWD_RULE_DEL, sizeof(struct fwd_rule)},     {FWD_ROUTE_ADD, sizeof(struct fwd_route)},
    {FWD_ROUTE_DEL, sizeof(struct fwd_route)},   {FWD_POOL_RESERVE, sizeof(struct fwd_pool)},
    {FWD_POOL_RELEASE, sizeof(struct fwd_pool)}, {FWD_SA_STATS, sizeof(struct fwd_sa_ref)},
};

static void dispatch(struct kmdsock *ks, const struct ipc_hdr *h, const uint8_t *p)
{
    if (h->type == FWD_HELLO) {
        on_hello(ks, h, p);
        return;
    }
    for (size_t i = 0; i < sizeof(kmd_requests) / sizeof(kmd_requests[0]); i++) {
        struct fwd_reply r = {0};
        uint8_t extra[sizeof(struct fwd_pool) + sizeof(struct fwd_sa_counters)];
        size_t extralen = 0;

        if (kmd_requests[i].type != h->type)
            continue;
        if (h->len < kmd_requests[i].size) {
            reply(ks, h->id, FWD_ERR_INVALID, "request too short");
            return;
        }
        if (!ks->hello) {
            reply(ks, h->id, FWD_ERR_INVALID, "FWD_HELLO first");
            return;
        }
        r.status = (uint32_t)kmdreq_handle(ks->fw, h->type, p, h->len, r.msg, sizeof(r.msg), extra,
                                           &extralen);
        if (r.status != FWD_OK)
            log_debug("kmd request %u refused (%u): %s", h->type, r.status, r.msg);
        send_msg(ks, FWD_REPLY, h->id, &r, sizeof(r), extra, extralen);
        return;
    }
    reply(ks, h->id, FWD_ERR_INVALID, "unknown request type");
}

static void drop_conn(struct kmdsock *ks)
{
    if (ks->conn == NULL)
        return;
    bufferevent_free(ks->conn);
    ks->conn = NULL;
    ks->hello = 0;
    flush_kmd_state(ks); /* kmd re-installs what it still holds */
    log_info("kmd disconnected: its SAs, rules, routes and pool units are flushed");
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct kmdsock *ks = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    for (;;) {
        size_t avail = evbuffer_get_length(in);
        struct ipc_hdr h;
        uint8_t *p;
        int r;

        if (avail < sizeof(h))
            return;
        p = evbuffer_pullup(in, (ev_ssize_t)sizeof(h));
        r = ipc_frame_ready(p, avail, &h);
        if (r < 0 || h.len > sizeof(struct fwd_dgram) + FWD_PKT_MAX + 1024) {
            log_warnx("kmd connection: bad header, closing");
            drop_conn(ks);
            return;
        }
        if (r == 0)
            return;
        p = evbuffer_pullup(in, (ev_ssize_t)(sizeof(h) + h.len));
        dispatch(ks, &h, p + sizeof(h));
        if (ks->conn == NULL)
            return;
        evbuffer_drain(in, sizeof(h) + h.len);
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        drop_conn(arg);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
    struct kmdsock *ks = arg;
    int c = accept4(fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    (void)what;
    if (c < 0)
        return;
    if (ks->conn) {
        log_warnx("a new kmd connection replaces the previous one");
        drop_conn(ks);
    }
    ks->conn = bufferevent_socket_new(ks->fw->eb, c, BEV_OPT_CLOSE_ON_FREE);
    if (ks->conn == NULL) {
        close(c);
        return;
    }
    bufferevent_setcb(ks->conn, on_read, NULL, on_event, ks);
    bufferevent_enable(ks->conn, EV_READ | EV_WRITE);
}

int kmdsock_open(struct fwdd *fw)
{
    struct kmdsock *ks = calloc(1, sizeof(*ks));
    struct sockaddr_un sun = {.sun_family = AF_UNIX};

    if (ks == NULL)
        fatal("calloc");
    ks->fw = fw;
    if ((size_t)snprintf(ks->path, sizeof(ks->path), "%s/fwdd.sock", fw->root) >=
        sizeof(ks->path)) {
        free(ks);
        errno = ENAMETOOLONG;
        return -1;
    }
    memcpy(sun.sun_path, ks->path, sizeof(ks->path));
    unlink(ks->path);
    ks->lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (ks->lfd < 0 || bind(ks->lfd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
        listen(ks->lfd, 4) < 0) {
        int saved = errno;
        if (ks->lfd >= 0)
            close(ks->lfd);
        free(ks);
        errno = saved;
        return -1;
    }
    ks->lev = event_new(fw->eb, ks->lfd, EV_READ | EV_PERSIST, on_accept, ks);
    if (ks->lev == NULL || event_add(ks->lev, NULL) < 0)
        fatalx("event_new");
    fw->ks = ks;
    return 0;
}

void kmdsock_close(struct fwdd *fw)
{
    struct kmdsock *ks = fw->ks;

    if (ks == NULL)
        return;
    drop_conn(ks);
    event_free(ks->lev);
    close(ks->lfd);
    unlink(ks->path);
    free(ks);
    fw->ks = NULL;
}

void kmdsock_notify(struct fwdd *fw, uint16_t type, const void *msg, size_t len)
{
    if (kmdsock_up(fw))
        send_msg(fw->ks, type, 0, msg, len, NULL, 0);
}

int kmdsock_up(const struct fwdd *fw)
{
    return fw->ks && fw->ks->conn && fw->ks->hello;
}

int kmdsock_punt(struct fwdd *fw, struct service_set *ss, struct unit *in, const uint8_t *ip,
                 size_t len)
{
    struct kmdsock *ks = fw->ks;
    struct fwd_dgram d = {0};
    unsigned hlen = (ip[0] & 0x0fu) * 4u;
    const uint8_t *udp = ip + hlen, *payload = udp + 8;
    size_t plen = get16(udp + 4) - 8u;

    if (ks == NULL || ks->conn == NULL || !ks->hello || len < hlen + 8u + plen)
        return -1;
    if (strlen(ss->lgw_inst->name) >= sizeof(d.instance))
        return -1; /* FWD_NAME_LEN is shorter than an instance name may be */
    if (!ss->lgw_inst->is_master)
        memcpy(d.instance, ss->lgw_inst->name, strlen(ss->lgw_inst->name));
    snprintf(d.ingress, sizeof(d.ingress), "%s", in ? in->name : "");
    d.src.af = d.dst.af = AF_INET;
    d.src.plen = d.dst.plen = 32;
    memcpy(d.src.a, ip + 12, 4);
    memcpy(d.dst.a, ip + 16, 4);
    d.sport = get16(udp);
    d.dport = get16(udp + 2);
    if (d.dport == 4500 && plen >= 4) { /* the non-ESP marker is fwdd's business */
        payload += 4;
        plen -= 4;
    }
    d.len = (uint32_t)plen;
    send_msg(ks, FWD_PUNT, 0, &d, sizeof(d), payload, plen);
    return 0;
}
