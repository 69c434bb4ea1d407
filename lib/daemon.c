/*
 * daemon.c: see daemon.h.  The connection and its framing first, then the
 * XML helpers, then one handler per message from mgd.
 */
#include "daemon.h"
#include "diffxml.h"
#include "ipc.h"
#include "log.h"
#include "ops.h"
#include "render.h"

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define DMN_RETRY_MS 200

struct dmn {
    struct event_base *eb;
    struct sockaddr_un sun;
    char *name;
    const struct schema *schema;
    const struct dmn_ops *ops;
    void *arg;
    struct bufferevent *bev; /* NULL while disconnected */
    struct event *retry;
    int waiting_logged; /* "mgd not reachable" said once per outage */
    struct conf *current;
    struct conf *pending;
    uint32_t pending_seq;
    uint32_t *reqs; /* outstanding request ids of this connection */
    size_t nreqs;
};

static void on_read(struct bufferevent *bev, void *arg);
static void on_event(struct bufferevent *bev, short what, void *arg);

/* --- connection ------------------------------------------------------- */

static int send_msg(struct dmn *d, uint16_t type, uint16_t flags, uint32_t id, const void *p,
                    size_t len)
{
    struct ipc_hdr h = {IPC_MAGIC, type, flags, id, (uint32_t)len};

    if (d->bev == NULL) {
        errno = ENOTCONN;
        return -1;
    }
    if (len > IPC_MAX_PAYLOAD) {
        log_warnx("%s message of %zu bytes is too large for mgd", ipc_type_name(type), len);
        errno = EMSGSIZE;
        return -1;
    }
    if (bufferevent_write(d->bev, &h, sizeof(h)) < 0 ||
        (len && bufferevent_write(d->bev, p, len) < 0))
        fatalx("bufferevent_write: out of memory");
    return 0;
}

static int try_connect(struct dmn *d)
{
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct buf b;

    if (fd < 0) {
        log_warn("socket");
        return -1;
    }
    if (connect(fd, (struct sockaddr *)&d->sun, sizeof(d->sun)) < 0) {
        if (!d->waiting_logged)
            log_warn("mgd not reachable at %s, retrying every %d ms", d->sun.sun_path,
                     DMN_RETRY_MS);
        d->waiting_logged = 1;
        close(fd);
        return -1;
    }
    d->bev = bufferevent_socket_new(d->eb, fd, BEV_OPT_CLOSE_ON_FREE);
    if (d->bev == NULL)
        fatalx("bufferevent_socket_new");
    bufferevent_setcb(d->bev, on_read, NULL, on_event, d);
    bufferevent_enable(d->bev, EV_READ | EV_WRITE);
    d->waiting_logged = 0;
    buf_init(&b);
    buf_puts(&b, "<daemon-hello name=\"");
    dmn_xml_escape(&b, d->name);
    buf_printf(&b, "\" pid=\"%ld\"/>", (long)getpid());
    send_msg(d, IPC_DAEMON_HELLO, 0, 0, b.s, b.len);
    buf_free(&b);
    log_info("connected to mgd at %s", d->sun.sun_path); /* after HELLO: mgd logs it */
    return 0;
}

static void schedule_retry(struct dmn *d)
{
    struct timeval tv = {0, DMN_RETRY_MS * 1000};

    evtimer_add(d->retry, &tv);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
    struct dmn *d = arg;

    (void)fd;
    (void)what;
    if (try_connect(d) < 0)
        schedule_retry(d);
}

static void drop_pending(struct dmn *d, const char *why)
{
    if (d->pending == NULL)
        return;
    log_info("configuration %u dropped: %s", d->pending_seq, why);
    d->ops->abort(d->arg);
    conf_free(d->pending);
    d->pending = NULL;
}

static int req_find(const struct dmn *d, uint32_t id)
{
    for (size_t i = 0; i < d->nreqs; i++)
        if (d->reqs[i] == id)
            return (int)i;
    return -1;
}

static void req_add(struct dmn *d, uint32_t id)
{
    uint32_t *r = realloc(d->reqs, (d->nreqs + 1) * sizeof(*r));

    if (r == NULL)
        fatal("realloc");
    d->reqs = r;
    d->reqs[d->nreqs++] = id;
}

static int req_remove(struct dmn *d, uint32_t id)
{
    int i = req_find(d, id);

    if (i < 0)
        return -1;
    d->reqs[i] = d->reqs[--d->nreqs];
    return 0;
}

/* mgd went away (or spoke nonsense): its transaction and requests died
 * with the connection; the current view stays until mgd sends FULL. */
static void disconnect(struct dmn *d, const char *why)
{
    uint32_t *reqs = d->reqs;
    size_t n = d->nreqs;

    log_warnx("%s, reconnecting", why);
    bufferevent_free(d->bev);
    d->bev = NULL;
    drop_pending(d, "connection to mgd lost");
    d->reqs = NULL;
    d->nreqs = 0;
    for (size_t i = 0; i < n; i++)
        if (d->ops->cancel)
            d->ops->cancel(d->arg, reqs[i]);
    free(reqs);
    schedule_retry(d);
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
    (void)bev;
    if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR))
        disconnect(arg,
                   what & BEV_EVENT_EOF ? "mgd closed the connection" : "connection to mgd failed");
}

/* --- XML helpers ------------------------------------------------------ */

void dmn_xml_escape(struct buf *b, const char *s)
{
    static const char special[] = "&<>\"", *const ents[] = {"&amp;", "&lt;", "&gt;", "&quot;"};

    for (; *s; s++) {
        const char *q = strchr(special, *s);
        if (q)
            buf_puts(b, ents[q - special]);
        else /* other controls are not representable in XML 1.0 */
            buf_putc(b, (unsigned char)*s < 0x20 && !strchr("\t\n\r", *s) ? '?' : *s);
    }
}

/* A payload as a document; NULL with a message in err.  No network, no
 * DTD: mgd never sends one. */
static xmlDocPtr parse(const char *p, size_t len, const char *what, char *err, size_t errlen)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    xmlDocPtr doc;

    if (ctxt == NULL)
        fatalx("xmlNewParserCtxt");
    doc = xmlCtxtReadMemory(ctxt, p, (int)len, what, NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc == NULL) {
        xmlErrorPtr e = xmlCtxtGetLastError(ctxt);
        snprintf(err, errlen, "malformed %s message: %s", what,
                 e && e->message ? e->message : "not well-formed XML");
        err[strcspn(err, "\n")] = '\0';
    } else if (doc->intSubset || doc->extSubset || xmlDocGetRootElement(doc) == NULL) {
        snprintf(err, errlen, "malformed %s message: unexpected document type", what);
        xmlFreeDoc(doc);
        doc = NULL;
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

static int named(xmlNodePtr e, const char *name)
{
    return e && strcmp((const char *)e->name, name) == 0;
}

/* The only element child of e, or NULL. */
static xmlNodePtr only_child(xmlNodePtr e)
{
    xmlNodePtr c = xmlFirstElementChild(e);

    return c && xmlNextElementSibling(c) == NULL ? c : NULL;
}

/* Element n alone, as text: copied into a document of its own so that the
 * namespaces it uses are declared on it. */
static char *dump_node(xmlNodePtr n)
{
    xmlDocPtr doc = xmlNewDoc((const xmlChar *)"1.0");
    xmlNodePtr copy;
    xmlBufferPtr xb = xmlBufferCreate();
    char *s;

    if (doc == NULL || xb == NULL || (copy = xmlDocCopyNode(n, doc, 1)) == NULL)
        fatalx("libxml2: out of memory");
    xmlDocSetRootElement(doc, copy);
    if (xmlNodeDump(xb, doc, copy, 0, 0) < 0)
        fatalx("xmlNodeDump");
    s = strdup((const char *)xmlBufferContent(xb));
    if (s == NULL)
        fatal("strdup");
    xmlBufferFree(xb);
    xmlFreeDoc(doc);
    return s;
}

/* The seq attribute of e: 1 when present, 0 when absent (*seq left
 * alone), -1 when it is not a 32-bit number. */
static int get_seq(xmlNodePtr e, uint32_t *seq)
{
    xmlChar *v = xmlGetNoNsProp(e, (const xmlChar *)"seq");
    unsigned long long n;
    char *end;
    int r;

    if (v == NULL)
        return 0;
    errno = 0;
    n = strtoull((const char *)v, &end, 10);
    r = isdigit(v[0]) && *end == '\0' && errno == 0 && n <= UINT32_MAX ? 1 : -1;
    if (r > 0)
        *seq = (uint32_t)n;
    xmlFree(v);
    return r;
}

/* The answer to FULL or APPLY (<applied seq="N"/>) or to PREPARE
 * (<prepare-ok seq="N"/>); with err, <apply-error|prepare-error>. */
static void send_status(struct dmn *d, const struct ipc_hdr *h, uint32_t seq, const char *err)
{
    int prep = h->type == IPC_DAEMON_PREPARE;
    const char *tag =
        prep ? (err ? "prepare-error" : "prepare-ok") : (err ? "apply-error" : "applied");
    struct buf b;

    buf_init(&b);
    buf_printf(&b, "<%s seq=\"%u\"%s", tag, seq, err ? ">" : "/>");
    if (err) {
        dmn_xml_escape(&b, err);
        buf_printf(&b, "</%s>", tag);
    }
    send_msg(d, prep ? IPC_DAEMON_PREPARED : IPC_DAEMON_APPLIED, 0, h->id, b.s, b.len);
    buf_free(&b);
}

/* --- messages from mgd ------------------------------------------------- */

/* FULL (full) or PREPARE: the proposed view, loaded and accepted by
 * prepare(); NULL with err set.  *seq: the message's seq. */
static struct conf *propose(struct dmn *d, const struct ipc_hdr *h, const char *p, int full,
                            uint32_t *seq, char *err, size_t errlen)
{
    const char *tag = full ? "daemon-full" : "commit-prepare";
    struct load_result r = {0};
    xmlNodePtr root, cfg = NULL;
    struct conf *newc;
    xmlDocPtr doc;
    char *text;
    int n;

    *seq = 0;
    if ((doc = parse(p, h->len, tag, err, errlen)) == NULL)
        return NULL;
    root = xmlDocGetRootElement(doc);
    if (full && named(root, "configuration"))
        cfg = root; /* a bare view, as ipc.h first described FULL */
    else if (!named(root, tag) || get_seq(root, seq) < 0)
        snprintf(err, errlen, "malformed %s message: <%s>", tag, root->name);
    else if (!named(cfg = only_child(root), "configuration"))
        snprintf(err, errlen, "malformed %s message: no <configuration>", tag);
    text = *err ? NULL : dump_node(cfg);
    xmlFreeDoc(doc);
    if (text == NULL)
        return NULL;
    /* FULL: a fresh tree; PREPARE: the diff applied to a copy of current */
    newc = !full && d->current ? conf_dup(d->current) : conf_new(d->schema);
    if (full) {
        n = load_xml(newc->root, text, &r);
        if (n > 0)
            snprintf(err, errlen, "configuration from mgd rejected: line %d: %.400s%s",
                     r.nerrs ? r.errs[0].line : 0, r.nerrs ? r.errs[0].msg : "error",
                     n > 1 ? " (and more errors)" : "");
    } else {
        char why[400];
        n = conf_apply_diff_xml(newc->root, text, why, sizeof(why)) < 0;
        if (n > 0)
            snprintf(err, errlen, "configuration from mgd rejected: %s", why);
    }
    free(text);
    if (n == 0 && (n = d->ops->prepare(d->arg, newc, d->current, err, errlen) < 0 ? -1 : 0) &&
        !*err)
        snprintf(err, errlen, "%s refused the configuration", d->name);
    load_result_free(&r);
    if (n != 0) {
        conf_free(newc);
        return NULL;
    }
    return newc;
}

/* Make newc current: apply() sees it through dmn_config(). */
static void switch_to(struct dmn *d, struct conf *newc)
{
    struct conf *old = d->current;

    d->current = newc;
    if (d->pending == newc)
        d->pending = NULL;
    d->ops->apply(d->arg);
    conf_free(old);
}

static void on_full(struct dmn *d, const struct ipc_hdr *h, const char *p)
{
    char err[512] = "";
    struct conf *newc;
    uint32_t seq;

    drop_pending(d, "full configuration received");
    if ((newc = propose(d, h, p, 1, &seq, err, sizeof(err))) == NULL) {
        log_warnx("full configuration %u not applied: %s", seq, err);
    } else {
        switch_to(d, newc);
        log_info("full configuration %u applied", seq);
    }
    send_status(d, h, seq, newc ? NULL : err);
}

static void on_prepare(struct dmn *d, const struct ipc_hdr *h, const char *p)
{
    char err[512] = "";
    uint32_t seq;

    drop_pending(d, "new commit prepared");
    if ((d->pending = propose(d, h, p, 0, &seq, err, sizeof(err))) == NULL)
        log_warnx("configuration %u refused: %s", seq, err);
    d->pending_seq = seq;
    send_status(d, h, seq, d->pending ? NULL : err);
}

/* <commit-apply seq="N"/>, or an empty payload: the pending one. */
static void on_apply(struct dmn *d, const struct ipc_hdr *h, const char *p)
{
    char err[512] = "";
    xmlDocPtr doc = NULL;
    uint32_t seq = d->pending ? d->pending_seq : 0;

    if (h->len && (doc = parse(p, h->len, "commit-apply", err, sizeof(err))) != NULL &&
        (!named(xmlDocGetRootElement(doc), "commit-apply") ||
         get_seq(xmlDocGetRootElement(doc), &seq) < 0))
        snprintf(err, sizeof(err), "malformed commit-apply message");
    xmlFreeDoc(doc);
    if (*err == '\0' && d->pending == NULL)
        snprintf(err, sizeof(err), "no configuration prepared");
    else if (*err == '\0' && seq != d->pending_seq)
        snprintf(err, sizeof(err), "configuration %u is not the prepared one (%u)", seq,
                 d->pending_seq);
    if (*err) {
        log_warnx("apply %u: %s", seq, err);
    } else {
        switch_to(d, d->pending); /* clears pending */
        log_info("configuration %u applied", seq);
    }
    send_status(d, h, seq, *err ? err : NULL);
}

/* Whatever its seq, an abort drops what is pending: nothing half-done can
 * be worth keeping once mgd gave up on the transaction. */
static void on_abort(struct dmn *d, const struct ipc_hdr *h, const char *p)
{
    (void)h;
    (void)p;
    if (d->pending == NULL)
        log_debug("abort: nothing prepared");
    drop_pending(d, "commit aborted by mgd");
}

static void on_rpc(struct dmn *d, const struct ipc_hdr *h, const char *p)
{
    char err[512] = "";
    xmlDocPtr doc = parse(p, h->len, "rpc", err, sizeof(err));
    xmlNodePtr req = NULL;
    char *xml;

    req_add(d, h->id);
    if (doc && named(xmlDocGetRootElement(doc), "rpc"))
        req = only_child(xmlDocGetRootElement(doc));
    if (req == NULL && *err == '\0')
        snprintf(err, sizeof(err), "malformed rpc message: expected <rpc> with one request");
    else if (req && d->ops->rpc == NULL)
        snprintf(err, sizeof(err), "%s answers no operational request", d->name);
    if (*err) {
        log_warnx("request %u: %s", h->id, err);
        dmn_reply_error(d, h->id, err);
    } else {
        xml = dump_node(req);
        d->ops->rpc(d->arg, h->id, (const char *)req->name, xml);
        free(xml);
    }
    xmlFreeDoc(doc);
}

static void on_cancel(struct dmn *d, const struct ipc_hdr *h, const char *p)
{
    (void)p;
    if (req_remove(d, h->id) < 0) {
        log_debug("cancel %u: no such request", h->id);
        return;
    }
    if (d->ops->cancel)
        d->ops->cancel(d->arg, h->id);
}

static void dispatch(struct dmn *d, const struct ipc_hdr *h, const char *p)
{
    static void (*const handlers[])(struct dmn *, const struct ipc_hdr *, const char *) = {
        [IPC_DAEMON_FULL] = on_full,
        [IPC_DAEMON_PREPARE] = on_prepare,
        [IPC_DAEMON_APPLY] = on_apply,
        [IPC_DAEMON_ABORT] = on_abort,
        [IPC_RPC] = on_rpc,
        [IPC_CANCEL] = on_cancel,
    };

    if (h->type < sizeof(handlers) / sizeof(handlers[0]) && handlers[h->type])
        handlers[h->type](d, h, p);
    else
        log_warnx("unexpected %s message (type %u) from mgd, ignored", ipc_type_name(h->type),
                  h->type);
}

static void on_read(struct bufferevent *bev, void *arg)
{
    struct dmn *d = arg;
    struct evbuffer *in = bufferevent_get_input(bev);

    while (d->bev == bev) {
        unsigned char raw[sizeof(struct ipc_hdr)];
        size_t avail = evbuffer_get_length(in);
        struct ipc_hdr h;
        char *p;
        int r;

        if (avail < sizeof(raw) || evbuffer_copyout(in, raw, sizeof(raw)) != sizeof(raw))
            return;
        /* ipc_frame_ready reads only the header; avail says what follows */
        r = ipc_frame_ready(raw, avail, &h);
        if (r < 0) {
            char why[128];
            snprintf(why, sizeof(why), "bad message header from mgd (magic 0x%08x, length %u)",
                     h.magic, h.len);
            disconnect(d, why);
            return;
        }
        if (r == 0)
            return;
        if ((p = malloc((size_t)h.len + 1)) == NULL)
            fatal("malloc");
        evbuffer_drain(in, sizeof(raw));
        if (evbuffer_remove(in, p, h.len) != (int)h.len)
            fatalx("evbuffer_remove");
        p[h.len] = '\0';
        dispatch(d, &h, p);
        free(p);
    }
}

/* --- API ------------------------------------------------------------- */

/* The daemon's log lines go to mgd's system log too (log_set_sink). */
static void log_to_mgd(void *arg, int pri, const char *msg)
{
    struct dmn *d = arg;
    struct buf b;

    buf_init(&b);
    buf_printf(&b, "<log pri=\"%d\">", pri);
    dmn_xml_escape(&b, msg);
    buf_puts(&b, "</log>");
    send_msg(d, IPC_DAEMON_LOG, 0, 0, b.s, b.len);
    buf_free(&b);
}

struct dmn *dmn_new(struct event_base *eb, const char *root, const char *name,
                    const struct schema *s, const struct dmn_ops *ops, void *arg)
{
    struct dmn *d = calloc(1, sizeof(*d));
    int n;

    if (d == NULL || (d->name = strdup(name)) == NULL)
        fatal("dmn_new");
    d->sun.sun_family = AF_UNIX;
    n = snprintf(d->sun.sun_path, sizeof(d->sun.sun_path), "%s/mgd.sock", root);
    if (n < 0 || (size_t)n >= sizeof(d->sun.sun_path)) {
        log_warnx("%s/mgd.sock: path too long for a socket", root);
        free(d->name);
        free(d);
        return NULL;
    }
    signal(SIGPIPE, SIG_IGN);
    d->eb = eb;
    d->schema = s;
    d->ops = ops;
    d->arg = arg;
    if ((d->retry = evtimer_new(eb, on_retry, d)) == NULL)
        fatalx("evtimer_new");
    log_set_sink(log_to_mgd, d);
    if (try_connect(d) < 0)
        schedule_retry(d);
    return d;
}

void dmn_free(struct dmn *d)
{
    if (d == NULL)
        return;
    log_set_sink(NULL, NULL); /* (dmn_new set it, in this thread) */
    if (d->bev)
        bufferevent_free(d->bev);
    event_free(d->retry);
    conf_free(d->current);
    conf_free(d->pending);
    free(d->reqs);
    free(d->name);
    free(d);
}

int dmn_chunk(struct dmn *d, uint32_t id, const char *text, size_t len)
{
    if (d->bev && req_find(d, id) < 0) {
        errno = ENOENT;
        return -1;
    }
    return send_msg(d, IPC_REPLY_CHUNK, 0, id, text, len);
}

int dmn_reply(struct dmn *d, uint32_t id, int error, const char *xml)
{
    if (d->bev && req_remove(d, id) < 0) {
        errno = ENOENT;
        return -1;
    }
    return send_msg(d, IPC_REPLY, error ? IPC_F_ERROR : 0, id, xml, strlen(xml));
}

int dmn_reply_error(struct dmn *d, uint32_t id, const char *msg)
{
    struct buf b;
    int r;

    buf_init(&b);
    buf_puts(&b, "<rpc-reply><xnm:error xmlns:xnm=\"http://xml.juniper.net/xnm/1.1/xnm\">"
                 "<message>");
    dmn_xml_escape(&b, msg);
    buf_puts(&b, "</message></xnm:error></rpc-reply>");
    r = dmn_reply(d, id, 1, b.s);
    buf_free(&b);
    return r;
}

const struct conf *dmn_config(const struct dmn *d)
{
    return d->current;
}

int dmn_rpc_args_parse(const char *xml, struct dmn_rpc_args *a)
{
    xmlDocPtr doc;
    xmlNodePtr root;

    memset(a, 0, sizeof(*a));
    if (xml == NULL || *xml == '\0')
        return 0;
    doc = xmlReadMemory(xml, (int)strlen(xml), "rpc.xml", NULL,
                        XML_PARSE_NONET | XML_PARSE_NOBLANKS | XML_PARSE_NOERROR |
                            XML_PARSE_NOWARNING);
    if (doc == NULL)
        return -1;
    root = xmlDocGetRootElement(doc);
    for (xmlNodePtr n = root ? root->children : NULL; n && a->n < DMN_RPC_MAXARGS; n = n->next) {
        xmlChar *v;
        if (n->type != XML_ELEMENT_NODE)
            continue;
        v = xmlNodeGetContent(n);
        snprintf(a->name[a->n], sizeof(a->name[0]), "%s", (const char *)n->name);
        snprintf(a->value[a->n], sizeof(a->value[0]), "%s", v ? (const char *)v : "");
        xmlFree(v);
        a->n++;
    }
    xmlFreeDoc(doc);
    return 0;
}

const char *dmn_rpc_arg(const struct dmn_rpc_args *a, const char *name)
{
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->name[i], name) == 0)
            return a->value[i];
    return NULL;
}
