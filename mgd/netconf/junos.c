/*
 * junos.c: Junos RPCs (reference/netconf.md 2.2), matched by local name
 * and relayed to mgd without namespaces.
 *   <command [format="text|xml"]>LINE</command>
 *       xml (the default): mgd's reply to the command line, the same XML
 *       as the RPC of the command (<software-information>, ...); a trailing
 *       "| display xml" is dropped.  text: the CLI's rendering, run as
 *       `cli -c LINE` (same user, so the same login class), in <output>.
 *   <get-configuration>: a <configuration> child is a subtree filter,
 *       applied here to mgd's reply (format xml).
 *   anything else (get-software-information, load-configuration,
 *       commit-configuration, lock-configuration, every operational RPC
 *       of schema/op): relayed as it is; mgd answers operation-not-supported
 *       for an RPC it does not know.
 */
#include "netconf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* Run the CLI for one command; its output in *out.  The exit status. */
static int run_cli(struct nc *nc, const char *line, struct buf *out)
{
    int pfd[2], status = 0;
    pid_t pid;
    char tmp[4096];
    ssize_t n;

    if (pipe(pfd) < 0)
        return -1;
    pid = fork();
    if (pid < 0) {
        close(pfd[0]);
        close(pfd[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(pfd[1], 1);
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execl(nc->cli, "cli", "--root", nc->root, "-c", line, (char *)NULL);
        fprintf(stderr, "error: cannot run %s: %s\n", nc->cli, strerror(errno));
        _exit(127);
    }
    close(pfd[1]);
    while ((n = read(pfd[0], tmp, sizeof(tmp))) != 0) {
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            break;
        buf_add(out, tmp, (size_t)n);
    }
    close(pfd[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void command(struct nc *nc, struct rpcctx *c)
{
    xmlChar *fmt = xmlGetProp(c->op, (const xmlChar *)"format");
    char *line = (char *)xmlNodeGetContent(c->op), *s = line, *e;
    struct buf b;

    while (*s == ' ' || *s == '\n' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == ' ' || e[-1] == '\n' || e[-1] == '\t'))
        *--e = '\0';
    buf_init(&b);
    if (fmt && strcmp((const char *)fmt, "text") == 0) {
        int rc = run_cli(nc, s, &b);
        if (rc != 0) {
            /* the CLI's message, without its "error: " */
            char *m = b.s ? b.s : "";
            size_t n = strlen(m);
            while (n && m[n - 1] == '\n')
                m[--n] = '\0';
            rpc_error(&c->body, "application", "operation-failed", "error", NULL,
                      strncmp(m, "error: ", 7) == 0 ? m + 7 : m, NULL);
        } else {
            buf_puts(&c->body, "<output>\n");
            xesc(&c->body, b.s ? b.s : "");
            buf_puts(&c->body, "</output>\n");
        }
    } else if (fmt && strcmp((const char *)fmt, "xml") != 0) {
        rpc_error(&c->body, "protocol", "invalid-value", "error", NULL,
                  "command format must be text or xml", "<bad-attribute>format</bad-attribute>");
    } else {
        size_t n = strlen(s);
        if (n >= 13 && strcmp(s + n - 13, "| display xml") == 0) {
            s[n - 13] = '\0';
            for (n -= 13; n && s[n - 1] == ' ';)
                s[--n] = '\0';
        }
        buf_puts(&b, "<command>");
        xesc(&b, s);
        buf_puts(&b, "</command>");
        mgd_relay(nc, c, b.s, RELAY_DATA);
    }
    buf_free(&b);
    xmlFree(line);
    xmlFree(fmt);
}

static void get_configuration(struct nc *nc, struct rpcctx *c)
{
    xmlNodePtr filter = xkid(c->op, "configuration");
    xmlChar *fmt = xmlGetProp(c->op, (const xmlChar *)"format");
    int xml = fmt == NULL || strcmp((const char *)fmt, "xml") == 0;
    struct buf b;
    xmlNodePtr holder;
    size_t before;
    char *p;

    xmlFree(fmt);
    if (filter == NULL || !xml || xmlHasProp(c->op, (const xmlChar *)"compare")) {
        buf_init(&b);
        xml_plain(&b, c->op);
        mgd_relay(nc, c, b.s, RELAY_DATA);
        buf_free(&b);
        return;
    }
    xmlUnlinkNode(filter);
    buf_init(&b);
    xml_plain(&b, c->op);
    xmlAddChild(c->op, filter);
    p = mgd_fetch(nc, c, b.s);
    buf_free(&b);
    if (p == NULL)
        return;
    /* the filter is the <configuration> element itself */
    holder = xmlNewDocNode(c->op->doc, NULL, (const xmlChar *)"f", NULL);
    before = c->body.len;
    xmlUnlinkNode(filter);
    xmlAddChild(holder, filter);
    filter_configuration(&c->body, p, holder);
    if (c->body.len == before) /* nothing selected */
        buf_puts(&c->body, "<configuration/>\n");
    xmlUnlinkNode(filter);
    xmlAddChild(c->op, filter);
    xmlFreeNode(holder);
    free(p);
}

void junos_op(struct nc *nc, struct rpcctx *c)
{
    struct buf b;

    if (xname(c->op, "command")) {
        command(nc, c);
    } else if (xname(c->op, "get-configuration")) {
        get_configuration(nc, c);
    } else {
        buf_init(&b);
        xml_plain(&b, c->op);
        mgd_relay(nc, c, b.s, RELAY_DATA);
        buf_free(&b);
    }
}
