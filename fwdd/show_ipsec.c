/*
 * show_ipsec.c: `show services ipsec-vpn ipsec statistics [service-set S]
 * [remote-gw A] [brief|detail]` (get-services-ipsec-statistics-information)
 * and `clear services ipsec-vpn ipsec statistics [service-set S]
 * [remote-gateway A]` (clear-ipsec-vpn-statistics).
 *
 * Reply (reference/junos.md 4.4; block names are OpenSG's, docs/cli.md):
 *   ipsec-total-statistics-information
 *     ipsec-statistics-block            one per service set with tunnels,
 *       interface-name, svc-set-name    by PIC then configuration order
 *       ipsec-tunnel-statistics         one per tunnel, by index
 *         sa-local-gateway, sa-remote-gateway, sa-tunnel-index
 *         esp-statistics    esp-encrypted-bytes, esp-decrypted-bytes,
 *                           esp-encrypted-packets, esp-decrypted-packets
 *         ah-statistics     ah-input-bytes, ah-output-bytes,
 *                           ah-input-packets, ah-output-packets
 *         error-statistics  ah-authentication-failures, replay-errors,
 *                           esp-authentication-failures,
 *                           esp-decryption-failures, bad-headers, bad-trailers
 * ESP bytes are those of the inner packets, AH bytes those AH carried
 * (the inner packet, or a bundle's ESP packet).  Clearing zeroes the tunnels'
 * counters only: the SAs' own (lifetimes, FWD_SA_STATS) go on.
 */
#include "ipsec.h"
#include "rpc.h"
#include "pic.h"
#include "svc.h"

#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *pic_name(const struct service_set *ss)
{
    if (ss->pic)
        return ss->pic->name;
    return ss->inside ? ss->inside->ifd->name : "";
}

/* 1 if tunnel t passes the remote gateway filter (NULL: all). */
static int rgw_ok(const struct tunnel *t, const char *rgw)
{
    struct addr a;

    if (rgw == NULL)
        return 1;
    return addr_parse(rgw, &a) == 0 && addr_eq(&a, &t->remote);
}

static void counters(struct buf *b, const struct sa_counters *c)
{
    buf_puts(b, "            <esp-statistics>\n");
    xml_elemf(b, 16, "esp-encrypted-bytes", "%llu", (unsigned long long)c->enc_bytes);
    xml_elemf(b, 16, "esp-decrypted-bytes", "%llu", (unsigned long long)c->dec_bytes);
    xml_elemf(b, 16, "esp-encrypted-packets", "%llu", (unsigned long long)c->enc_packets);
    xml_elemf(b, 16, "esp-decrypted-packets", "%llu", (unsigned long long)c->dec_packets);
    buf_puts(b, "            </esp-statistics>\n            <ah-statistics>\n");
    xml_elemf(b, 16, "ah-input-bytes", "%llu", (unsigned long long)c->ah_in_bytes);
    xml_elemf(b, 16, "ah-output-bytes", "%llu", (unsigned long long)c->ah_out_bytes);
    xml_elemf(b, 16, "ah-input-packets", "%llu", (unsigned long long)c->ah_in_packets);
    xml_elemf(b, 16, "ah-output-packets", "%llu", (unsigned long long)c->ah_out_packets);
    buf_puts(b, "            </ah-statistics>\n            <error-statistics>\n");
    xml_elemf(b, 16, "ah-authentication-failures", "%llu", (unsigned long long)c->ah_auth_failures);
    xml_elemf(b, 16, "replay-errors", "%llu", (unsigned long long)c->replay_errors);
    xml_elemf(b, 16, "esp-authentication-failures", "%llu", (unsigned long long)c->auth_failures);
    xml_elemf(b, 16, "esp-decryption-failures", "%llu", (unsigned long long)c->decrypt_failures);
    xml_elemf(b, 16, "bad-headers", "%llu", (unsigned long long)c->bad_headers);
    xml_elemf(b, 16, "bad-trailers", "%llu", (unsigned long long)c->bad_trailers);
    buf_puts(b, "            </error-statistics>\n");
}

/* The tunnels of ss (on a bundle: those member PIC p owns). */
static void one_set(struct buf *b, const struct service_set *ss, const struct pic *p,
                    const char *rgw)
{
    int open = 0;

    for (const struct tunnel *t = ss->rt->tunnels; t; t = t->next) {
        char l[ADDR_STRLEN], r[ADDR_STRLEN];
        if (!rgw_ok(t, rgw) || (t->sas == NULL && !t->manual) || (p && t->w != p->w))
            continue;
        if (!open) {
            buf_puts(b, "    <ipsec-statistics-block>\n");
            xml_elem(b, 8, "interface-name", p ? p->name : pic_name(ss));
            xml_elem(b, 8, "svc-set-name", ss->name);
            open = 1;
        }
        buf_puts(b, "        <ipsec-tunnel-statistics>\n");
        xml_elem(b, 12, "sa-local-gateway", t->local.af ? addr_str(&t->local, l, sizeof(l)) : "");
        xml_elem(b, 12, "sa-remote-gateway",
                 t->remote.af ? addr_str(&t->remote, r, sizeof(r)) : "");
        xml_elemf(b, 12, "sa-tunnel-index", "%u", t->index);
        counters(b, &t->st);
        buf_puts(b, "        </ipsec-tunnel-statistics>\n");
    }
    if (open)
        buf_puts(b, "    </ipsec-statistics-block>\n");
}

void show_ipsec_stats(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    const char *name = dmn_rpc_arg(a, "service-set"), *rgw = dmn_rpc_arg(a, "remote-gw");
    const char *style = dmn_rpc_arg(a, "brief")    ? "brief"
                        : dmn_rpc_arg(a, "detail") ? "detail"
                                                   : NULL;
    const struct svc *s = fw->cur ? fw->cur->svc : NULL;
    struct buf b;

    buf_init(&b);
    if (style)
        buf_printf(&b, "<ipsec-total-statistics-information junos:style=\"%s\">\n", style);
    else
        buf_puts(&b, "<ipsec-total-statistics-information>\n");
    for (size_t p = 0; s && p <= s->npics; p++) /* each PIC, then sets without one */
        for (size_t i = 0; i < s->nsets; i++) {
            const struct service_set *ss = &s->sets[i];
            const struct pic *pic = p < s->npics ? &s->pics[p] : NULL;
            if (name && strcmp(name, ss->name) != 0)
                continue;
            if (ss->bundle && pic && pic->ams) /* a bundle's: per member, what it owns */
                one_set(&b, ss, pic, rgw);
            else if ((!ss->bundle || ss->bundle->nmembers == 0) && ss->pic == pic)
                one_set(&b, ss, NULL, rgw);
        }
    buf_puts(&b, "</ipsec-total-statistics-information>\n");
    rpc_reply_body(fw, id, b.s);
    buf_free(&b);
}

void clear_ipsec_stats(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a)
{
    const char *name = dmn_rpc_arg(a, "service-set"), *rgw = dmn_rpc_arg(a, "remote-gateway");

    for (struct ss_rt *rt = fw->ssrt; rt; rt = rt->next) {
        if (name && strcmp(name, rt->name) != 0)
            continue;
        for (struct tunnel *t = rt->tunnels; t; t = t->next)
            if (rgw_ok(t, rgw))
                memset(&t->st, 0, sizeof(t->st));
    }
    rpc_reply_body(fw, id, "");
}
