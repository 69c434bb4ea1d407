/* fwd.c: see fwd.h */
#include "fwd.h"
#include "ipc.h"
#include "log.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define RETRY_MS 200

struct pending {
    uint32_t id;
    fwd_reply_fn cb;
    void *arg;
    struct pending *next;
};

struct fwd {
    struct event_base *eb;
    struct sockaddr_un sa;
    const struct fwd_ops *ops;
    void *arg;
    struct bufferevent *bev;
    struct event *retry;
    int up;
    int warned;
    uint32_t next_id;
    uint32_t hello_id;
    struct pending *pending;
};

static void schedule_retry(struct fwd *f)
{
    struct timeval tv = {0, RETRY_MS * 1000};

    evtimer_add(f->retry, &tv);
}

static void fail_pending(struct fwd *f)
{
    while (f->pending) {
        struct pending *p = f->pending;
        f->pending = p->next;
        if (p->cb)
            p->cb(p->arg, FWD_ERR_NOENT, "fwdd went away", NULL, 0);
        free(p);
    }
}

static void disconnect(struct fwd *f)
{
    int was_up = f->up;

    if (f->bev)
        bufferevent_free(f->bev);
    f->bev = NULL;
    f->up = 0;
    fail_pending(f);
    if (was_up && f->ops->down)
        f->ops->down(f->arg);
    schedule_retry(f);
}

static int send_msg(struct fwd *f, uint16_t type, uint32_t id, const void *a, size_t alen,
                    const void *b, size_t blen)
{
    struct ipc_hdr h = {IPC_MAGIC, type, 0, id, (uint32_t)(alen + blen)};

    if (f->bev == NULL || alen + blen > IPC_MAX_PAYLOAD)
        return -1;
    bufferevent_write(f->bev, &h, sizeof(h));
    if (alen)
        bufferevent_write(f->bev, a, alen);
    if (blen)
        bufferevent_write(f->bev, b, blen);
    return 0;
}

static void on_reply(struct fwd *f, uint32_t id, const uint8_t *p, size_t len)
{
    struct pending **pp;
    struct fwd_reply r;

    if (len < sizeof(r)) {
        log_warnx("short reply from fwdd (%zu bytes)", len);
        return;
    }
    memcpy(&r, p, sizeof(r));
    r.msg[sizeof(r.msg) - 1] = '\0';
    if (id == f->hello_id) {
        if (r.status != FWD_OK) {
            log_warnx("fwdd refused kmd: %s", r.msg);
            return;
        }
        f->up = 1;
        f->warned = 0;
        log_info("connected to fwdd");
        if (f->ops->up)
            f->ops->up(f->arg);
        return;
    }
    for (pp = &f->pending; *pp; pp = &(*pp)->next) {
        struct pending *q = *pp;
        if (q->id != id)
            continue;
        *pp = q->next;
        if (q->cb)
            q->cb(q->arg, r.status, r.msg, p + sizeof(r), len - sizeof(r));
        free(q);
        return;
    }
}

static void dispatch(struct fwd *f, const struct ipc_hdr *h, const uint8_t *p)
{
    switch (h->type) {
    case FWD_REPLY:
        on_reply(f, h->id, p, h->len);
        break;
    case FWD_PUNT: {
        struct fwd_dgram d;
        if (h->len < sizeof(d))
            goto bad;
        memcpy(&d, p, sizeof(d));
        if (d.len != h->len - sizeof(d) || d.len > FWD_PKT_MAX)
            goto bad;
        d.instance[FWD_NAME_LEN - 1] = d.ingress[FWD_NAME_LEN - 1] = '\0';
        if (f->ops->punt)
            f->ops->punt(f->arg, &d, p + sizeof(d), d.len);
        break;
    }
    case FWD_SA_EVENT: {
        struct fwd_sa_event ev;
        if (h->len != sizeof(ev))
            goto bad;
        memcpy(&ev, p, sizeof(ev));
        ev.sa.service_set[FWD_NAME_LEN - 1] = '\0';
        if (f->ops->sa_event)
            f->ops->sa_event(f->arg, &ev);
        break;
    }
    case FWD_SA_GONE: {
        struct fwd_sa_ref ref;
        if (h->len != sizeof(ref))
            goto bad;
        memcpy(&ref, p, sizeof(ref));
        ref.service_set[FWD_NAME_LEN - 1] = '\0';
        if (f->ops->sa_gone)
            f->ops->sa_gone(f->arg, &ref);
        break;
    }
    default:
        log_warnx("unexpected message %u from fwdd", h->type);
    }
    return;
bad:
    log_warnx("malformed message %u from fwdd (%u bytes): dropped", h->type, h->len);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct fwd *f = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    for (;;) {
        struct ipc_hdr h;
        size_t avail = evbuffer_get_length(in);
        unsigned char *p;
        uint8_t *payload;
        int r;

        if (avail < sizeof(h))
            return;
        p = evbuffer_pullup(in, sizeof(h));
        r = ipc_frame_ready(p, avail, &h);
        if (r < 0) {
            log_warnx("bad header from fwdd: reconnecting");
            disconnect(f);
            return;
        }
        if (r == 0)
            return;
        evbuffer_drain(in, sizeof(h));
        payload = malloc(h.len ? h.len : 1);
        if (payload == NULL)
            fatal("malloc");
        evbuffer_remove(in, payload, h.len);
        dispatch(f, &h, payload);
        free(payload);
        if (f->bev == NULL)
            return;
    }
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    struct fwd *f = arg;

    (void)bev;
    if (what & BEV_EVENT_CONNECTED) {
        struct fwd_hello hello = {FWD_PROTO_VERSION, (uint32_t)getpid()};
        f->hello_id = ++f->next_id;
        send_msg(f, FWD_HELLO, f->hello_id, &hello, sizeof(hello), NULL, 0);
        return;
    }
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
        if (f->up)
            log_warnx("lost the connection to fwdd");
        else if (!f->warned++)
            log_info("waiting for fwdd on %s", f->sa.sun_path);
        disconnect(f);
    }
}

static void try_connect(evutil_socket_t fd, short what, void *arg)
{
    struct fwd *f = arg;

    (void)fd;
    (void)what;
    f->bev = bufferevent_socket_new(f->eb, -1, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(f->bev, on_read, NULL, on_event, f);
    bufferevent_enable(f->bev, EV_READ | EV_WRITE);
    if (bufferevent_socket_connect(f->bev, (struct sockaddr *)&f->sa, sizeof(f->sa)) < 0) {
        if (!f->warned++)
            log_info("waiting for fwdd on %s", f->sa.sun_path);
        bufferevent_free(f->bev);
        f->bev = NULL;
        schedule_retry(f);
    }
}

struct fwd *fwd_new(struct event_base *eb, const char *root, const struct fwd_ops *ops, void *arg)
{
    struct fwd *f = calloc(1, sizeof(*f));

    if (f == NULL)
        fatal("calloc");
    f->eb = eb;
    f->ops = ops;
    f->arg = arg;
    f->sa.sun_family = AF_UNIX;
    if (snprintf(f->sa.sun_path, sizeof(f->sa.sun_path), "%s/fwdd.sock", root) >=
        (int)sizeof(f->sa.sun_path)) {
        free(f);
        return NULL;
    }
    f->retry = evtimer_new(eb, try_connect, f);
    /* a write to a vanished fwdd must not kill kmd */
    signal(SIGPIPE, SIG_IGN);
    try_connect(-1, 0, f);
    return f;
}

void fwd_free(struct fwd *f)
{
    if (f == NULL)
        return;
    while (f->pending) {
        struct pending *p = f->pending;
        f->pending = p->next;
        free(p);
    }
    if (f->bev)
        bufferevent_free(f->bev);
    event_free(f->retry);
    free(f);
}

int fwd_is_up(const struct fwd *f)
{
    return f && f->up;
}

int fwd_request(struct fwd *f, uint16_t type, const void *msg, size_t len, const void *extra,
                size_t extra_len, fwd_reply_fn cb, void *cbarg)
{
    struct pending *p;
    uint32_t id;

    if (!f->up)
        return -1;
    id = ++f->next_id;
    if (send_msg(f, type, id, msg, len, extra, extra_len) < 0)
        return -1;
    p = calloc(1, sizeof(*p));
    if (p == NULL)
        fatal("calloc");
    p->id = id;
    p->cb = cb;
    p->arg = cbarg;
    p->next = f->pending;
    f->pending = p;
    return 0;
}

int fwd_send_dgram(struct fwd *f, const struct fwd_dgram *d, const uint8_t *pkt, size_t len)
{
    struct fwd_dgram copy = *d;

    copy.len = (uint32_t)len;
    return fwd_request(f, FWD_SEND, &copy, sizeof(copy), pkt, len, NULL, NULL);
}
