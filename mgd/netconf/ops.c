/*
 * ops.c: the standard operations (RFC 6241 sections 7 and 8), each
 * mapped to mgd's Junos XML API; mgd holds the datastores, locks and
 * sessions (docs/netconf.md has the table).  The candidate is the
 * session's: the shared candidate, or the private one after
 * <open-configuration><private/>.
 */
#include "netconf.h"

#include <stdlib.h>
#include <string.h>

/* <source>/<target> datastore name: "running", "candidate", ... or NULL. */
static const char *datastore(xmlNodePtr op, const char *which)
{
    xmlNodePtr w = xkid(op, which);

    for (xmlNodePtr c = w ? w->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return (const char *)c->name;
    return NULL;
}

static void not_supported(struct rpcctx *c, const char *why)
{
    char info[300];

    snprintf(info, sizeof(info), "<bad-element>%s</bad-element>", (const char *)c->op->name);
    rpc_error(&c->body, "protocol", "operation-not-supported", "error", NULL, why, info);
}

static void bad_value(struct rpcctx *c, const char *element, const char *why)
{
    char info[300];

    snprintf(info, sizeof(info), "<bad-element>%s</bad-element>", element);
    rpc_error(&c->body, "protocol", "invalid-value", "error", NULL, why, info);
}

/* mgd_call, or the error of a lost mgd written into c's body. */
static char *mgd_call_or_fail(struct nc *nc, struct rpcctx *c, const char *body)
{
    char *p = mgd_call(nc, body);

    if (p == NULL) {
        rpc_error(&c->body, "application", "operation-failed", "error", NULL,
                  "the management daemon (mgd) is not reachable", NULL);
        nc->done = 1;
    }
    return p;
}

void mgd_relay(struct nc *nc, struct rpcctx *c, const char *body, enum relay how)
{
    char *p = mgd_call_or_fail(nc, c, body);

    if (p != NULL)
        relay_reply(&c->body, p, how);
    free(p);
}

char *mgd_fetch(struct nc *nc, struct rpcctx *c, const char *body)
{
    char *p = mgd_call_or_fail(nc, c, body);

    if (p != NULL && strstr(p, "<xnm:error")) {
        relay_reply(&c->body, p, RELAY_OK);
        free(p);
        return NULL;
    }
    return p;
}

static void get_config(struct nc *nc, struct rpcctx *c, const char *source)
{
    xmlNodePtr filter = xkid(c->op, "filter");
    xmlChar *type = filter ? xmlGetProp(filter, (const xmlChar *)"type") : NULL;
    char *p;

    if (type && strcmp((const char *)type, "subtree") != 0) {
        xmlFree(type);
        return not_supported(c, "only subtree filters are supported");
    }
    xmlFree(type);
    if (source == NULL || (strcmp(source, "running") && strcmp(source, "candidate")))
        return bad_value(c, "source", "the source must be <running/> or <candidate/>");
    p = mgd_fetch(nc, c,
                  strcmp(source, "running") == 0
                      ? "<get-configuration database=\"committed\" format=\"xml\"/>"
                      : "<get-configuration database=\"candidate\" format=\"xml\"/>");
    if (p == NULL)
        return;
    buf_puts(&c->body, "<data>\n");
    filter_configuration(&c->body, p, filter);
    buf_puts(&c->body, "</data>\n");
    free(p);
}

/* nc:operation attributes become Junos's load attributes. */
static int operations(xmlNodePtr n, int *replace)
{
    for (xmlNodePtr c = n; c; c = c->next) {
        xmlChar *o;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        o = xmlGetNsProp(c, (const xmlChar *)"operation", (const xmlChar *)NC_NS);
        if (o == NULL)
            o = xmlGetProp(c, (const xmlChar *)"operation");
        if (o) {
            const char *v = (const char *)o;
            if (strcmp(v, "delete") == 0 || strcmp(v, "remove") == 0)
                xmlSetProp(c, (const xmlChar *)"delete", (const xmlChar *)"delete");
            else if (strcmp(v, "replace") == 0) {
                xmlSetProp(c, (const xmlChar *)"replace", (const xmlChar *)"replace");
                *replace = 1;
            } else if (strcmp(v, "merge") != 0 && strcmp(v, "create") != 0) {
                xmlFree(o);
                return -1;
            }
            xmlFree(o);
            for (xmlAttrPtr a = c->properties; a; a = a->next)
                if (strcmp((const char *)a->name, "operation") == 0) {
                    xmlRemoveProp(a);
                    break;
                }
        }
        if (operations(c->children, replace) < 0)
            return -1;
    }
    return 0;
}

static void edit_config(struct nc *nc, struct rpcctx *c)
{
    const char *target = datastore(c->op, "target");
    xmlNodePtr config = xkid(c->op, "config"), conf = config ? xkid(config, "configuration") : NULL;
    xmlNodePtr dop = xkid(c->op, "default-operation"), test = xkid(c->op, "test-option");
    char *defop = dop ? (char *)xmlNodeGetContent(dop) : NULL;
    const char *action = "merge";
    int replace = 0;
    struct buf b;

    if (target == NULL || strcmp(target, "candidate") != 0) {
        xmlFree(defop);
        return not_supported(c, "only the candidate configuration can be edited");
    }
    if (test) {
        char *t = (char *)xmlNodeGetContent(test);
        int ok = strcmp(t, "test-then-set") == 0 || strcmp(t, "set") == 0;
        xmlFree(t);
        if (!ok) {
            xmlFree(defop);
            return not_supported(c, "test-option test-only needs :validate:1.1");
        }
    }
    if (conf == NULL) {
        xmlFree(defop);
        if (xkid(c->op, "url"))
            return not_supported(c, "<url> is not supported");
        rpc_error(&c->body, "protocol", "missing-element", "error", NULL,
                  "<config> must hold a <configuration>", "<bad-element>config</bad-element>");
        return;
    }
    if (operations(conf, &replace) < 0) {
        xmlFree(defop);
        return bad_value(c, "operation",
                         "operation must be merge, replace, create, delete or remove");
    }
    if (defop && strcmp(defop, "replace") == 0)
        action = "override";
    else if (replace)
        action = "replace";
    xmlFree(defop);
    buf_init(&b);
    buf_printf(&b, "<load-configuration action=\"%s\" format=\"xml\">", action);
    xml_plain(&b, conf);
    buf_puts(&b, "</load-configuration>");
    mgd_relay(nc, c, b.s, RELAY_OK);
    buf_free(&b);
}

static void lock_op(struct nc *nc, struct rpcctx *c, int lock)
{
    const char *target = datastore(c->op, "target");

    if (target == NULL || strcmp(target, "candidate") != 0)
        return bad_value(c, "target", "only the candidate configuration can be locked");
    mgd_relay(nc, c, lock ? "<lock-configuration/>" : "<unlock-configuration/>", RELAY_OK);
}

static void commit_op(struct nc *nc, struct rpcctx *c)
{
    xmlNodePtr to = xkid(c->op, "confirm-timeout");
    struct buf b;

    if (xkid(c->op, "persist") || xkid(c->op, "persist-id"))
        return not_supported(c, "persist needs :confirmed-commit:1.1");
    buf_init(&b);
    buf_puts(&b, "<commit-configuration>");
    if (xkid(c->op, "confirmed")) {
        long secs = 600;
        if (to) {
            char *t = (char *)xmlNodeGetContent(to), *end;
            secs = strtol(t, &end, 10);
            if (end == t || *end || secs < 1)
                secs = -1;
            xmlFree(t);
        }
        if (secs < 0) {
            buf_free(&b);
            return bad_value(c, "confirm-timeout", "confirm-timeout must be a number of seconds");
        }
        /* mgd counts minutes, as Junos does: rounded up */
        buf_printf(&b, "<confirmed/><confirm-timeout>%ld</confirm-timeout>", (secs + 59) / 60);
    }
    buf_puts(&b, "</commit-configuration>");
    mgd_relay(nc, c, b.s, RELAY_OK);
    buf_free(&b);
}

static void validate_op(struct nc *nc, struct rpcctx *c)
{
    const char *source = datastore(c->op, "source");

    if (source && strcmp(source, "running") == 0)
        buf_puts(&c->body, "<ok/>\n"); /* it was validated when committed */
    else if (source && strcmp(source, "candidate") == 0)
        mgd_relay(nc, c, "<commit-configuration><check/></commit-configuration>", RELAY_OK);
    else
        not_supported(c, "only <candidate/> and <running/> can be validated");
}

static void kill_session(struct nc *nc, struct rpcctx *c)
{
    xmlNodePtr sid = xkid(c->op, "session-id");
    char *t = sid ? (char *)xmlNodeGetContent(sid) : NULL;
    struct buf b;

    if (t == NULL)
        return rpc_error(&c->body, "protocol", "missing-element", "error", NULL,
                         "<session-id> is missing", "<bad-element>session-id</bad-element>");
    if (strtoul(t, NULL, 10) == nc->session_id) {
        xmlFree(t);
        return bad_value(c, "session-id", "a session cannot kill itself");
    }
    buf_init(&b);
    buf_puts(&b, "<kill-session><session-id>");
    xesc(&b, t);
    buf_puts(&b, "</session-id></kill-session>");
    mgd_relay(nc, c, b.s, RELAY_OK);
    buf_free(&b);
    xmlFree(t);
}

int std_op(struct nc *nc, struct rpcctx *c)
{
    static const char *const unsupported[] = {
        "copy-config",    "delete-config", "cancel-commit",       "partial-lock",
        "partial-unlock", "get-schema",    "create-subscription", NULL};
    xmlNodePtr op = c->op;

    if (xname(op, "get-config"))
        get_config(nc, c, datastore(op, "source"));
    else if (xname(op, "get"))
        get_config(nc, c, "running");
    else if (xname(op, "edit-config"))
        edit_config(nc, c);
    else if (xname(op, "lock"))
        lock_op(nc, c, 1);
    else if (xname(op, "unlock"))
        lock_op(nc, c, 0);
    else if (xname(op, "validate"))
        validate_op(nc, c);
    else if (xname(op, "commit"))
        commit_op(nc, c);
    else if (xname(op, "discard-changes"))
        mgd_relay(nc, c, "<load-configuration rollback=\"0\"/>", RELAY_OK);
    else if (xname(op, "close-session")) {
        buf_puts(&c->body, "<ok/>\n");
        nc->done = 1;
    } else if (xname(op, "kill-session"))
        kill_session(nc, c);
    else {
        for (size_t i = 0; unsupported[i]; i++)
            if (xname(op, unsupported[i])) {
                not_supported(c, "operation not supported");
                return 1;
            }
        return 0;
    }
    return 1;
}
