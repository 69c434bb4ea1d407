/*
 * daemons.c: the daemons connected to mgd (kmd, fwdd, the test back-end).
 *
 * A daemon registers with IPC_DAEMON_HELLO and its name; its view of the
 * configuration is the expanded configuration reduced to the subtrees it
 * owns or reads (schema annotations o:owner and o:reader).  On connect it
 * receives its full view; at each commit the diff of its view
 * (diffxml.h), in two phases (commit.c).  Operational RPCs owned by a
 * daemon are forwarded to it and its answers relayed to the client.
 */
#include "diffxml.h"
#include "systemlog.h"
#include "groups.h"
#include "log.h"
#include "mgd.h"
#include "render.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* A forwarded request: the daemon sees fid; the client asked with cid. */
struct forward {
    struct daemon *d;
    struct conn *client;
    uint32_t fid, cid;
    struct forward *next;
};

static struct forward *forwards;
static uint32_t next_fid = 1;

struct daemon *daemon_new(struct conn *c, const char *name, pid_t pid)
{
    struct daemon *d = calloc(1, sizeof(*d));

    if (d == NULL)
        fatal("calloc");
    d->conn = c;
    d->pid = pid;
    snprintf(d->name, sizeof(d->name), "%s", name);
    d->next = g_mgd->daemons;
    g_mgd->daemons = d;
    log_info("daemon %s (pid %d) connected", d->name, (int)pid);
    return d;
}

static void drop_forwards(struct daemon *d, struct conn *client)
{
    struct forward **pp = &forwards;

    while (*pp) {
        struct forward *f = *pp;
        if ((d && f->d == d) || (client && f->client == client)) {
            if (d && f->client)
                reply_error(f->client, f->cid, "error: the subsystem stopped", -1);
            *pp = f->next;
            free(f);
        } else {
            pp = &f->next;
        }
    }
}

void daemon_free(struct daemon *d)
{
    struct daemon **pp;

    log_info("daemon %s (pid %d) disconnected", d->name, (int)d->pid);
    commit_daemon_gone(g_mgd, d);
    drop_forwards(d, NULL);
    for (pp = &g_mgd->daemons; *pp; pp = &(*pp)->next)
        if (*pp == d) {
            *pp = d->next;
            break;
        }
    conf_free(d->view);
    free(d);
}

void daemon_client_gone(struct mgd *m, struct conn *c)
{
    struct forward *f;

    /* tell the daemons to stop what they do for this client */
    for (f = forwards; f; f = f->next)
        if (f->client == c)
            conn_send(f->d->conn, IPC_CANCEL, 0, f->fid, NULL, 0);
    drop_forwards(NULL, c);
    (void)m;
}

struct daemon *daemon_find(struct mgd *m, const char *name)
{
    for (struct daemon *d = m->daemons; d; d = d->next)
        if (strcmp(d->name, name) == 0)
            return d;
    return NULL;
}

static int word_in(const char *list, const char *word)
{
    size_t n = strlen(word);

    for (const char *p = list; p && (p = strstr(p, word)) != NULL; p += n)
        if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' '))
            return 1;
    return 0;
}

/* Does daemon `name` own or read statement s (and so all below it)? */
static int in_view(const struct sch_node *s, const char *name)
{
    for (const struct sch_node *p = s; p; p = p->parent) {
        if (p->readers && word_in(p->readers, name))
            return 1;
        if (p->owner)
            return strcmp(p->owner, name) == 0;
    }
    return 0;
}

static struct cnode *view_of(const struct cnode *n, const char *name)
{
    struct cnode *copy = NULL;

    if (n->parent && in_view(n->sch, name))
        return cnode_dup(n);
    for (const struct cnode *c = n->child; c; c = c->next) {
        struct cnode *v;
        if (c->sch->flags & SCHF_KEY)
            continue;
        v = view_of(c, name);
        if (v == NULL)
            continue;
        if (copy == NULL) {
            copy = calloc(1, sizeof(*copy));
            if (copy == NULL)
                fatal("calloc");
            copy->sch = n->sch;
            for (const struct cnode *k = n->child; k; k = k->next)
                if (k->sch->flags & SCHF_KEY)
                    cnode_insert(copy, cnode_dup(k));
        }
        cnode_insert(copy, v);
    }
    return copy;
}

struct conf *daemon_view(const struct conf *e, const char *name)
{
    struct conf *v = conf_new(e->schema);
    struct cnode *r = view_of(e->root, name);

    if (r) {
        cnode_free(v->root);
        v->root = r;
    }
    return v;
}

char *daemon_diff_xml(const struct conf *old, const struct conf *new)
{
    struct buf b;

    buf_init(&b);
    if (conf_diff_xml(&b, old ? old->root : NULL, new->root) == 0) {
        buf_free(&b);
        return NULL;
    }
    return buf_steal(&b);
}

void daemon_send_full(struct mgd *m, struct daemon *d)
{
    struct conf *e = conf_expand(m->committed, 0);
    struct conf *v = daemon_view(e, d->name);
    struct buf b;

    buf_init(&b);
    buf_printf(&b, "<daemon-full seq=\"%llu\">\n",
               (unsigned long long)(m->db.nhist ? m->db.hist[0].seq : 0));
    render_xml(&b, v->root, 0, NULL);
    buf_puts(&b, "</daemon-full>\n");
    conn_send(d->conn, IPC_DAEMON_FULL, 0, 0, b.s, b.len);
    buf_free(&b);
    conf_free(d->view);
    d->view = v;
    conf_free(e);
}

int daemon_forward(struct mgd *m, const char *owner, struct conn *c, uint32_t id,
                   const char *rpc_xml)
{
    struct daemon *d = daemon_find(m, owner);
    struct forward *f;
    struct buf b;

    if (d == NULL)
        return -1;
    f = calloc(1, sizeof(*f));
    if (f == NULL)
        fatal("calloc");
    f->d = d;
    f->client = c;
    f->cid = id;
    f->fid = next_fid++;
    f->next = forwards;
    forwards = f;
    buf_init(&b);
    buf_printf(&b, "<rpc>%s</rpc>", rpc_xml);
    conn_send(d->conn, IPC_RPC, 0, f->fid, b.s, b.len);
    buf_free(&b);
    return 0;
}

void daemon_cancel(struct mgd *m, struct conn *c, uint32_t cid)
{
    struct forward **pp;

    (void)m;
    for (pp = &forwards; *pp; pp = &(*pp)->next) {
        struct forward *f = *pp;
        if (f->client != c || f->cid != cid)
            continue;
        /* the daemon stops; the client's request ends now */
        conn_send(f->d->conn, IPC_CANCEL, 0, f->fid, NULL, 0);
        reply_send(c, cid, 0, "<output></output>\n");
        *pp = f->next;
        free(f);
        return;
    }
}

void daemon_relay(struct mgd *m, struct daemon *d, uint16_t type, uint16_t flags, uint32_t id,
                  const char *payload, size_t len)
{
    struct forward **pp;

    (void)m;
    for (pp = &forwards; *pp; pp = &(*pp)->next) {
        struct forward *f = *pp;
        if (f->d != d || f->fid != id)
            continue;
        conn_send(f->client, type, flags, f->cid, payload, len);
        if (type == IPC_REPLY) {
            *pp = f->next;
            free(f);
        }
        return;
    }
    log_debug("reply from %s for unknown request %u", d->name, id);
}

/* Does the schema subtree of s hold a statement of daemon name's view? */
static int sch_has_view(const struct sch_node *s, const char *name)
{
    if (in_view(s, name))
        return 1;
    for (size_t i = 0; i < s->nchildren; i++)
        if (sch_has_view(s->children[i], name))
            return 1;
    return 0;
}

int daemon_view_touched(const struct delta *d, const char *name)
{
    if (d->n > 64)
        return 1; /* not worth the walk: compute the view */
    for (size_t i = 0; i < d->n; i++) {
        const struct cnode *n = d->ops[i].del ? d->ops[i].at : d->ops[i].src;
        if (sch_has_view(n->sch, name))
            return 1;
    }
    return 0;
}

void daemon_log(struct daemon *d, const char *payload)
{
    xmlDocPtr doc = xmlReadMemory(payload, (int)strlen(payload), NULL, NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    xmlNodePtr r = doc ? xmlDocGetRootElement(doc) : NULL;

    if (r && strcmp((const char *)r->name, "log") == 0) {
        xmlChar *pri = xmlGetProp(r, (const xmlChar *)"pri");
        xmlChar *text = xmlNodeGetContent(r);
        int p = pri ? atoi((const char *)pri) : LOG_INFO;
        mgd_syslog(SLF_DAEMON, p < 0 || p > LOG_INFO ? LOG_INFO : p, d->name, d->pid, "%s",
                   text ? (const char *)text : "");
        xmlFree(pri);
        xmlFree(text);
    }
    xmlFreeDoc(doc);
}
