/*
 * conn.c: the CLI's connection to mgd (ROOT/mgd.sock, framing of lib/ipc.h),
 * request bodies, small XML helpers, the prompt, and the schemas, which
 * are loaded on first use so that the prompt appears at once.
 */
#include "cli.h"
#include "ipc.h"

#include <libxml/parser.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

extern volatile sig_atomic_t g_interrupted;

static struct schema *s_conf, *s_op;

int conn_open(char *err, size_t errlen)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mgd.sock", g_cli.root) >=
        (int)sizeof(sa.sun_path)) {
        snprintf(err, errlen, "%s: path too long", g_cli.root);
        return -1;
    }
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        snprintf(err, errlen, "could not connect to the management daemon (%s): %s", sa.sun_path,
                 strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    g_cli.fd = fd;
    return 0;
}

void conn_close(void)
{
    if (g_cli.fd >= 0)
        close(g_cli.fd);
    g_cli.fd = -1;
}

void xml_esc(struct buf *b, const char *s, int attr)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            buf_puts(b, "&amp;");
            break;
        case '<':
            buf_puts(b, "&lt;");
            break;
        case '>':
            buf_puts(b, "&gt;");
            break;
        case '"':
            buf_puts(b, attr ? "&quot;" : "\"");
            break;
        default:
            buf_putc(b, *s);
        }
    }
}

void req_command(struct buf *b, const char *line, const char *display, int typed)
{
    buf_puts(b, typed ? "<command typed=\"yes\"" : "<command");
    if (display && *display) {
        buf_puts(b, " display=\"");
        xml_esc(b, display, 1);
        buf_putc(b, '"');
    }
    buf_putc(b, '>');
    xml_esc(b, line, 0);
    buf_puts(b, "</command>");
}

void req_edit(struct buf *b, const char *line, const char *display, const char *confirmed,
              const char *input, int typed)
{
    buf_puts(b, typed ? "<edit-command typed=\"yes\"" : "<edit-command");
    if (display && *display)
        buf_printf(b, " display=\"%s\"", display);
    if (confirmed)
        buf_printf(b, " confirmed=\"%s\"", confirmed);
    buf_puts(b, "><line>");
    xml_esc(b, line, 0);
    buf_puts(b, "</line>");
    if (input) {
        buf_puts(b, "<input>");
        xml_esc(b, input, 0);
        buf_puts(b, "</input>");
    }
    buf_puts(b, "</edit-command>");
}

static void lost(void)
{
    fprintf(stdout, "error: lost the connection to the management daemon\n");
    fflush(stdout);
    g_cli.failed = 1;
    g_cli.quit = 1;
    conn_close();
}

int rpc_call(const char *body, struct reply *r, chunk_fn fn, void *arg)
{
    struct buf b;
    uint32_t id = ++g_cli.next_id;
    int cancelled = 0;

    memset(r, 0, sizeof(*r));
    if (g_cli.fd < 0)
        return -1;
    buf_init(&b);
    buf_printf(&b, "<rpc>%s</rpc>", body);
    if (ipc_write(g_cli.fd, IPC_RPC, 0, id, b.s, b.len) < 0) {
        buf_free(&b);
        lost();
        return -1;
    }
    buf_free(&b);
    g_interrupted = 0;
    for (;;) {
        struct pollfd p = {g_cli.fd, POLLIN, 0};
        struct ipc_hdr h;
        char *payload;
        if (poll(&p, 1, -1) < 0) {
            if (errno != EINTR)
                break;
            if (g_interrupted && !cancelled) {
                cancelled = 1;
                ipc_write(g_cli.fd, IPC_CANCEL, 0, id, "", 0);
            }
            continue;
        }
        if (ipc_read(g_cli.fd, &h, &payload) < 0)
            break;
        if (h.id != id) {
            free(payload);
            continue;
        }
        if (h.type == IPC_REPLY_CHUNK) {
            if (fn)
                fn(payload, h.len, arg);
            free(payload);
            continue;
        }
        if (h.type != IPC_REPLY) {
            free(payload);
            continue;
        }
        r->error = (h.flags & IPC_F_ERROR) != 0;
        r->raw = payload;
        r->doc = xmlReadMemory(payload, (int)h.len, "reply.xml", NULL,
                               XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        r->root = r->doc ? xmlDocGetRootElement(r->doc) : NULL;
        return 0;
    }
    lost();
    return -1;
}

void reply_free(struct reply *r)
{
    if (r->doc)
        xmlFreeDoc(r->doc);
    free(r->raw);
    memset(r, 0, sizeof(*r));
}

xmlNodePtr xchild(xmlNodePtr n, const char *name)
{
    if (n == NULL)
        return NULL;
    for (xmlNodePtr c = n->children; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0)
            return c;
    return NULL;
}

char *xcontent(xmlNodePtr n)
{
    xmlChar *v = xmlNodeGetContent(n);
    char *s = strdup(v ? (const char *)v : "");

    xmlFree(v);
    if (s == NULL)
        abort();
    return s;
}

long long xseconds(xmlNodePtr n)
{
    xmlChar *v = n ? xmlGetProp(n, (const xmlChar *)"seconds") : NULL;
    long long s = v ? atoll((const char *)v) : -1;

    xmlFree(v);
    return s;
}

const char *xtext(xmlNodePtr n, const char *name, char *buf, size_t len)
{
    xmlNodePtr c = xchild(n, name);

    buf[0] = '\0';
    if (c) {
        xmlChar *v = xmlNodeGetContent(c);
        snprintf(buf, len, "%s", v ? (const char *)v : "");
        xmlFree(v);
    }
    return buf;
}

/* The host name of the prompt: <host-name> of show version, asked by its
 * RPC (a <command> would be logged as a line the user typed). */
void refresh_host(void)
{
    struct buf b;
    struct reply r;
    char name[256];
    xmlNodePtr sw;

    buf_init(&b);
    buf_puts(&b, "<get-software-information/>");
    if (rpc_call(b.s, &r, NULL, NULL) == 0) {
        sw = xchild(r.root, "software-information");
        if (sw && *xtext(sw, "host-name", name, sizeof(name)))
            snprintf(g_cli.host, sizeof(g_cli.host), "%s", name);
        reply_free(&r);
    }
    buf_free(&b);
    if (g_cli.host[0] == '\0' && gethostname(g_cli.host, sizeof(g_cli.host) - 1) < 0)
        snprintf(g_cli.host, sizeof(g_cli.host), "opensg");
}

const char *cli_prompt(void)
{
    snprintf(g_cli.prompt, sizeof(g_cli.prompt), "%s@%s%c ", g_cli.user, g_cli.host,
             g_cli.mode == MODE_CONFIG ? '#' : '>');
    return g_cli.prompt;
}

const struct schema *conf_schema(void)
{
    char err[512];

    if (s_conf == NULL) {
        s_conf = schema_load(g_cli.schema_dir, err, sizeof(err));
        if (s_conf == NULL) {
            fprintf(stderr, "cli: %s\n", err);
            exit(1);
        }
    }
    return s_conf;
}

const struct schema *op_schema(void)
{
    char err[512];

    if (s_op == NULL) {
        s_op = schema_load_op(g_cli.schema_dir, err, sizeof(err));
        if (s_op == NULL) {
            fprintf(stderr, "cli: %s\n", err);
            exit(1);
        }
        local_tree_init(s_op);
    }
    return s_op;
}

void schemas_free(void)
{
    local_tree_free();
    if (s_conf)
        schema_free(s_conf);
    if (s_op)
        schema_free(s_op);
    s_conf = s_op = NULL;
}
