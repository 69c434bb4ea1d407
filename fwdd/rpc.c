/*
 * rpc.c: operational request dispatch and reply helpers (rpc.h).
 */
#include "rpc.h"
#include "daemon.h"
#include "log.h"
#include "ping.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define JUNOS_NS "http://xml.juniper.net/junos/*/junos"

void rpc_reply_body(struct fwdd *fw, uint32_t id, const char *body)
{
    struct buf b;

    buf_init(&b);
    buf_printf(&b, "<rpc-reply xmlns:junos=\"%s\">\n%s</rpc-reply>\n", JUNOS_NS, body);
    dmn_reply(fw->dmn, id, 0, b.s);
    buf_free(&b);
}

void rpc_error(struct fwdd *fw, uint32_t id, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    dmn_reply_error(fw->dmn, id, msg);
}

void xml_elem(struct buf *b, int indent, const char *name, const char *text)
{
    buf_indent(b, indent);
    buf_printf(b, "<%s>", name);
    dmn_xml_escape(b, text);
    buf_printf(b, "</%s>\n", name);
}

void xml_elemf(struct buf *b, int indent, const char *name, const char *fmt, ...)
{
    char text[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(text, sizeof(text), fmt, ap);
    va_end(ap);
    xml_elem(b, indent, name, text);
}

static const struct {
    const char *name;
    void (*fn)(struct fwdd *, uint32_t, const struct dmn_rpc_args *);
} handlers[] = {
    {"get-route-information", show_route},
    {"get-interface-information", show_interfaces},
    {"get-arp-table-information", show_arp},
    {"get-chassis-inventory", show_chassis},
    {"get-service-set-summary-information", show_ss_summary},
    {"get-services-ipsec-statistics-information", show_ipsec_stats},
    {"clear-ipsec-vpn-statistics", clear_ipsec_stats},
    {"ping", probe_ping},
    {"traceroute", probe_traceroute},
};

void fw_rpc(void *arg, uint32_t id, const char *name, const char *xml)
{
    struct fwdd *fw = arg;
    struct dmn_rpc_args a;

    log_debug("rpc %u %s", id, name);
    if (dmn_rpc_args_parse(xml, &a) < 0) {
        rpc_error(fw, id, "%s: malformed request", name);
        return;
    }
    for (size_t i = 0; i < sizeof(handlers) / sizeof(handlers[0]); i++)
        if (strcmp(handlers[i].name, name) == 0) {
            if (fw->cur == NULL)
                rpc_error(fw, id, "fwdd has no configuration yet");
            else
                handlers[i].fn(fw, id, &a);
            return;
        }
    rpc_error(fw, id, "fwdd does not answer %s", name);
}

void fw_cancel(void *arg, uint32_t id)
{
    probe_cancel(arg, id);
}
