/*
 * conn.c: mgd's socket, ROOT/mgd.sock, open to every local user (mgd
 * authorizes each request: session.c).  Each connection becomes a client
 * session on its first IPC_RPC, or a daemon on IPC_DAEMON_HELLO.  Every
 * frame is size-checked before it is read (ipc_frame_ready).
 */
#include "log.h"
#include "mgd.h"

#include <libxml/parser.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <event2/buffer.h>
#include <event2/bufferevent.h>

struct conn {
    struct bufferevent *bev;
    uid_t uid;
    pid_t pid;
    struct session *sess;
    struct daemon *dmn;
    struct conn *next; /* every open connection, for shutdown */
};

static struct conn *conns;

int conn_send(struct conn *c, uint16_t type, uint16_t flags, uint32_t id, const char *payload,
              size_t len)
{
    struct ipc_hdr h = {IPC_MAGIC, type, flags, id, (uint32_t)len};

    if (c == NULL || c->bev == NULL || len > IPC_MAX_PAYLOAD)
        return -1;
    bufferevent_write(c->bev, &h, sizeof(h));
    if (len)
        bufferevent_write(c->bev, payload, len);
    return 0;
}

void reply_send(struct conn *c, uint32_t id, int error, const char *body)
{
    struct buf b;

    buf_init(&b);
    buf_puts(&b, "<rpc-reply xmlns:junos=\"http://xml.juniper.net/junos/*/junos\">\n");
    buf_puts(&b, body ? body : "");
    buf_puts(&b, "</rpc-reply>\n");
    conn_send(c, IPC_REPLY, error ? IPC_F_ERROR : 0, id, b.s, b.len);
    buf_free(&b);
}

void reply_error(struct conn *c, uint32_t id, const char *msg, long column)
{
    struct buf b;
    xmlChar *esc = xmlEncodeSpecialChars(NULL, (const xmlChar *)msg);

    buf_init(&b);
    buf_puts(&b, "<xnm:error xmlns:xnm=\"http://xml.juniper.net/xnm/1.1/xnm\">\n");
    if (column >= 0)
        buf_printf(&b, "<column>%ld</column>\n", column);
    buf_printf(&b, "<message>%s</message>\n</xnm:error>\n", (const char *)esc);
    reply_send(c, id, 1, b.s);
    xmlFree(esc);
    buf_free(&b);
}

static void conn_free(struct conn *c)
{
    for (struct conn **pp = &conns; *pp; pp = &(*pp)->next)
        if (*pp == c) {
            *pp = c->next;
            break;
        }
    if (c->sess) {
        daemon_client_gone(g_mgd, c);
        session_free(c->sess);
    }
    if (c->dmn)
        daemon_free(c->dmn);
    if (c->bev)
        bufferevent_free(c->bev);
    free(c);
}

void conn_close(struct conn *c)
{
    conn_free(c);
}

void conn_close_all(void)
{
    while (conns)
        conn_free(conns);
}

static void hello(struct conn *c, const char *payload)
{
    xmlDocPtr doc = xmlReadMemory(payload, (int)strlen(payload), "hello.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr r = doc ? xmlDocGetRootElement(doc) : NULL;
    xmlChar *name = r ? xmlGetProp(r, (const xmlChar *)"name") : NULL;
    xmlChar *pid = r ? xmlGetProp(r, (const xmlChar *)"pid") : NULL;

    if (name == NULL || c->sess || c->dmn || (c->uid != 0 && c->uid != geteuid())) {
        log_warnx("refusing daemon registration from uid %u", (unsigned)c->uid);
        conn_free(c);
    } else {
        c->dmn = daemon_new(c, (const char *)name, pid ? atoi((const char *)pid) : c->pid);
        daemon_send_full(g_mgd, c->dmn);
    }
    xmlFree(name);
    xmlFree(pid);
    xmlFreeDoc(doc);
}

static void conn_read(struct bufferevent *bev, void *arg)
{
    struct conn *c = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    for (;;) {
        struct ipc_hdr h;
        size_t avail = evbuffer_get_length(in);
        unsigned char *p = evbuffer_pullup(in, avail < sizeof(h) ? -1 : (ssize_t)sizeof(h));
        char *payload;
        int r;

        if (avail < sizeof(h) || p == NULL)
            return;
        r = ipc_frame_ready(p, avail, &h);
        if (r < 0) {
            log_warnx("bad message header from pid %d: connection closed", (int)c->pid);
            conn_free(c);
            return;
        }
        if (r == 0)
            return;
        evbuffer_drain(in, sizeof(h));
        payload = malloc((size_t)h.len + 1);
        if (payload == NULL)
            fatal("malloc");
        evbuffer_remove(in, payload, h.len);
        payload[h.len] = '\0';
        if (h.type == IPC_DAEMON_HELLO) {
            hello(c, payload);
            free(payload);
            return; /* c may be gone */
        }
        if (c->dmn) {
            if (h.type == IPC_DAEMON_LOG)
                daemon_log(c->dmn, payload);
            else if (h.type == IPC_REPLY || h.type == IPC_REPLY_CHUNK)
                daemon_relay(g_mgd, c->dmn, h.type, h.flags, h.id, payload, h.len);
            else
                commit_daemon_answer(g_mgd, c->dmn, h.type, payload);
        } else if (h.type == IPC_DAEMON_LOG) {
            /* a daemon's line before its HELLO: not known yet, dropped */
        } else if (h.type == IPC_RPC || h.type == IPC_CANCEL) {
            if (c->sess == NULL)
                c->sess = session_new(c, c->uid, c->pid);
            if (h.type == IPC_RPC)
                session_rpc(c->sess, h.id, payload, h.len);
            else
                daemon_cancel(g_mgd, c, h.id);
        } else {
            log_warnx("unexpected %s message from pid %d", ipc_type_name(h.type), (int)c->pid);
        }
        free(payload);
    }
}

static void conn_event(struct bufferevent *bev, short what, void *arg)
{
    struct conn *c = arg;

    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        conn_free(c);
}

static void conn_accept(evutil_socket_t lfd, short what, void *arg)
{
    struct mgd *m = arg;
    struct ucred cred;
    socklen_t len = sizeof(cred);
    struct conn *c;
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

    (void)what;
    if (fd < 0)
        return;
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) {
        close(fd);
        return;
    }
    c = calloc(1, sizeof(*c));
    if (c == NULL)
        fatal("calloc");
    c->uid = cred.uid;
    c->pid = cred.pid;
    c->next = conns;
    conns = c;
    c->bev = bufferevent_socket_new(m->eb, fd, BEV_OPT_CLOSE_ON_FREE);
    bufferevent_setcb(c->bev, conn_read, NULL, conn_event, c);
    bufferevent_enable(c->bev, EV_READ | EV_WRITE);
}

int conn_listen(struct mgd *m)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mgd.sock", m->root) >=
        (int)sizeof(sa.sun_path)) {
        log_warnx("root '%s' is too deep: socket paths must be shorter than %zu bytes", m->root,
                  sizeof(sa.sun_path));
        return -1;
    }
    unlink(sa.sun_path);
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 64) < 0) {
        log_warn("%s", sa.sun_path);
        if (fd >= 0)
            close(fd);
        return -1;
    }
    /* every local user may connect; mgd authorizes each request */
    chmod(sa.sun_path, 0666);
    m->listen_fd = fd;
    m->listen_ev = event_new(m->eb, fd, EV_READ | EV_PERSIST, conn_accept, m);
    event_add(m->listen_ev, NULL);
    return 0;
}

void conn_close_listener(struct mgd *m)
{
    char path[PATH_MAX];

    if (m->listen_ev)
        event_free(m->listen_ev);
    if (m->listen_fd >= 0)
        close(m->listen_fd);
    snprintf(path, sizeof(path), "%s/mgd.sock", m->root);
    unlink(path);
}
