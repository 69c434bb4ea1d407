/*
 * render_ike.c: `show services ipsec-vpn ike security-associations [brief |
 * detail]` and `show services ipsec-vpn ike statistics`
 * (ike-security-associations-information, answered by kmd), reference/
 * junos.md 4.3.  Brief: one table row per IKE SA,
 *
 *   Remote Address  State         Initiator cookie  Responder cookie  Exchange type
 *   198.51.100.7    Matured       16ac5f588b934e91  5fccb149f6fd6c4e  Main
 *
 * detail: one block per IKE SA, a blank line apart,
 *
 *   IKE peer 198.51.100.7
 *     Role: Responder, State: Matured
 *     Initiator cookie: ..., Responder cookie: ...
 *     Exchange type: Main, Authentication method: Pre-shared-keys
 *     Local: 203.0.113.1:500, Remote: 198.51.100.7:500
 *     Lifetime: Expires in 2214 seconds
 *     Algorithms: / Traffic statistics: (aligned sub-lines)
 *     Flags: IKE SA created
 *     IPSec security associations: 2 created, 0 deleted
 *     Phase 2 negotiations in progress: 0
 *
 * then, for `ike statistics`, the payload counters (a guessed layout,
 * docs/cli.md) and kmd's global counters (ike-global-statistics, a block
 * "IKE global statistics:" of right-aligned counters).  The detail form is chosen by the reply's
 * junos:style (detail, extensive), or, in a reply without one, when it carries an element only that
 * form shows (ike-sa-role, ike-sa-algorithms, ike-sa-payload-statistics, ...).  Lines print only
 * for the elements present; role and state are capitalized (matured -> Matured).  The brief header
 * comes with the first row: a reply without SAs prints nothing.
 */
#include "cli.h"

#include <libxml/tree.h>

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static int is(xmlNodePtr c, const char *name)
{
    return c->type == XML_ELEMENT_NODE && strcmp((const char *)c->name, name) == 0;
}

struct field {
    const char *label, *elem;
    int cap; /* capitalize the value's first letter */
};

#define NF(a) (sizeof(a) / sizeof((a)[0]))

/* indent, then "Label: value" of the children present joined by ", ", and
 * a newline; nothing when none is present. */
static void fields(struct buf *b, const char *indent, xmlNodePtr n, const struct field *f,
                   size_t nf)
{
    char v[256];
    int k = 0;

    for (size_t i = 0; i < nf; i++) {
        if (n == NULL || !*xtext(n, f[i].elem, v, sizeof(v)))
            continue;
        if (f[i].cap)
            v[0] = (char)toupper((unsigned char)v[0]);
        buf_printf(b, "%s%s: %s", k++ ? ", " : indent, f[i].label, v);
    }
    if (k)
        buf_putc(b, '\n');
}

static const char *const detail_only[] = {
    "ike-sa-role",
    "ike-sa-authentication-method",
    "ike-sa-local-address",
    "ike-sa-lifetime",
    "ike-sa-algorithms",
    "ike-sa-traffic-statistics",
    "ike-sa-misc",
    "ike-sa-payload-statistics",
    NULL,
};

/* The SA's remote address, else its block's. */
static const char *remote(xmlNodePtr sa, char *v, size_t len)
{
    if (!*xtext(sa, "ike-sa-remote-address", v, len))
        xtext(sa->parent, "ike-sa-remote-address", v, len);
    return v;
}

static void brief_row(struct buf *b, xmlNodePtr sa)
{
    char addr[64], state[32], icookie[40], rcookie[40], xchg[32];

    if (b->len == 0)
        buf_puts(b, "Remote Address  State         Initiator cookie  Responder cookie  "
                    "Exchange type\n");
    remote(sa, addr, sizeof(addr));
    xtext(sa, "ike-sa-state", state, sizeof(state));
    state[0] = (char)toupper((unsigned char)state[0]);
    xtext(sa, "ike-sa-initiator-cookie", icookie, sizeof(icookie));
    xtext(sa, "ike-sa-responder-cookie", rcookie, sizeof(rcookie));
    xtext(sa, "ike-sa-exchange-type", xchg, sizeof(xchg));
    buf_printf(b, "%-15s %-13s %-17s %-17s %s\n", addr, state, icookie, rcookie, xchg);
}

/* "Local: A:P, Remote: B:Q" (a port only when the reply gives it). */
static void endpoints(struct buf *b, xmlNodePtr sa)
{
    char la[64], lp[16], ra[64], rp[16];

    if (!*xtext(sa, "ike-sa-local-address", la, sizeof(la)))
        return;
    xtext(sa, "ike-sa-local-port", lp, sizeof(lp));
    remote(sa, ra, sizeof(ra));
    xtext(sa, "ike-sa-remote-port", rp, sizeof(rp));
    buf_printf(b, "  Local: %s%s%s, Remote: %s%s%s\n", la, *lp ? ":" : "", lp, ra, *rp ? ":" : "",
               rp);
}

/* Sub-lines "   Label: value" with the labels padded to a common width. */
static void aligned(struct buf *b, xmlNodePtr g, const char *title, const char *const (*f)[2],
                    size_t nf, int width, int right)
{
    char v[64];

    if (g == NULL)
        return;
    buf_printf(b, "  %s\n", title);
    for (size_t i = 0; i < nf; i++)
        if (*xtext(g, f[i][1], v, sizeof(v)))
            buf_printf(b, right ? "   %-*s:%21s\n" : "   %-*s: %s\n", width, f[i][0], v);
}

static void misc(struct buf *b, xmlNodePtr m)
{
    static const struct field flags[] = {{"Flags", "ike-sa-flags", 0}};
    char c[32], d[32], p[32];

    if (m == NULL)
        return;
    fields(b, "  ", m, flags, NF(flags));
    xtext(m, "ike-sa-num-ipsec-sas-created", c, sizeof(c));
    xtext(m, "ike-sa-num-ipsec-sas-deleted", d, sizeof(d));
    if (*c || *d)
        buf_printf(b, "  IPSec security associations: %s created, %s deleted\n", *c ? c : "0",
                   *d ? d : "0");
    if (*xtext(m, "ike-sa-num-phase2-in-progress", p, sizeof(p)))
        buf_printf(b, "  Phase 2 negotiations in progress: %s\n", p);
}

static void payloads(struct buf *b, xmlNodePtr p)
{
    static const struct field del[] = {
        {"Delete payloads received", "ike-sa-delete-payloads-received", 0},
        {"Delete payloads sent", "ike-sa-delete-payloads-sent", 0}};
    static const struct field req[] = {
        {"DPD request payloads received", "ike-sa-dpd-request-payloads-received", 0},
        {"DPD request payloads sent", "ike-sa-dpd-request-payloads-sent", 0}};
    static const struct field rsp[] = {
        {"DPD response payloads received", "ike-sa-dpd-response-payloads-received", 0},
        {"DPD response payloads sent", "ike-sa-dpd-response-payloads-sent", 0}};
    static const struct field miss[] = {
        {"DPD response payloads missed", "ike-sa-dpd-response-payloads-missed", 0},
        {"DPD response payloads maximum delay", "ike-sa-dpd-response-payloads-maximum-delay", 0}};
    static const struct field spi[] = {
        {"Invalid SPI notifications received", "ike-sa-invalid-spi-notifications-received", 0},
        {"Invalid SPI notifications sent", "ike-sa-invalid-spi-notifications-sent", 0}};

    fields(b, "  ", p, del, NF(del));
    fields(b, "  ", p, req, NF(req));
    fields(b, "  ", p, rsp, NF(rsp));
    fields(b, "  ", p, miss, NF(miss));
    fields(b, "  ", p, spi, NF(spi));
}

static void detail(struct buf *b, xmlNodePtr sa)
{
    static const struct field role[] = {{"Role", "ike-sa-role", 1}, {"State", "ike-sa-state", 1}};
    static const struct field cookies[] = {{"Initiator cookie", "ike-sa-initiator-cookie", 0},
                                           {"Responder cookie", "ike-sa-responder-cookie", 0}};
    static const struct field xchg[] = {
        {"Exchange type", "ike-sa-exchange-type", 0},
        {"Authentication method", "ike-sa-authentication-method", 0}};
    static const struct field life[] = {{"Lifetime", "ike-sa-lifetime", 0}};
    static const char *const algs[][2] = {{"Authentication", "ike-sa-authentication-algorithm"},
                                          {"Encryption", "ike-sa-encryption-algorithm"},
                                          {"Pseudo random function", "ike-sa-prf-algorithm"}};
    static const char *const traffic[][2] = {{"Input  bytes  ", "ike-sa-input-bytes"},
                                             {"Output bytes  ", "ike-sa-output-bytes"},
                                             {"Input  packets", "ike-sa-input-packets"},
                                             {"Output packets", "ike-sa-output-packets"}};
    char addr[64];

    if (b->len)
        buf_putc(b, '\n');
    buf_printf(b, "IKE peer %s\n", remote(sa, addr, sizeof(addr)));
    fields(b, "  ", sa, role, NF(role));
    fields(b, "  ", sa, cookies, NF(cookies));
    fields(b, "  ", sa, xchg, NF(xchg));
    endpoints(b, sa);
    fields(b, "  ", sa, life, NF(life));
    aligned(b, xchild(sa, "ike-sa-algorithms"), "Algorithms:", algs, NF(algs), 22, 0);
    aligned(b, xchild(sa, "ike-sa-traffic-statistics"), "Traffic statistics:", traffic, NF(traffic),
            14, 1);
    misc(b, xchild(sa, "ike-sa-misc"));
    payloads(b, xchild(sa, "ike-sa-payload-statistics"));
}

/* kmd's counters (ike-global-statistics, docs/kmd.md), in reply order. */
static void global(struct buf *b, xmlNodePtr g)
{
    static const char *const labels[][2] = {
        {"ike-global-ike-sas", "IKE SAs"},
        {"ike-global-half-open-sas", "IKE SAs in main mode"},
        {"ike-global-tunnels", "Tunnels"},
        {"ike-global-datagrams-received", "Datagrams received"},
        {"ike-global-datagrams-sent", "Datagrams sent"},
        {"ike-global-malformed", "Malformed, dropped"},
        {"ike-global-unknown-sa", "Unknown cookies, dropped"},
        {"ike-global-out-of-state", "Out of state, dropped"},
        {"ike-global-replayed", "Replayed, dropped"},
        {"ike-global-retransmits", "Retransmissions answered"},
        {"ike-global-other-version", "Other IKE versions refused"},
        {"ike-global-no-service-set", "No service set"},
        {"ike-global-half-open-full", "Main mode table full"},
        {"ike-global-half-open-evicted", "Main mode SAs evicted"},
        {"ike-global-half-open-per-peer-dropped", "Main mode per-peer limit"},
        {"ike-global-half-open-expired", "Main mode timeouts"},
        {"ike-global-authentication-failed", "Authentication failures"},
        {"ike-global-no-proposal-chosen", "No proposal chosen"},
        {"ike-global-invalid-id", "Invalid identities"},
        {"ike-global-hash-failed", "Hash failures"},
        {"ike-global-ike-sas-established", "IKE SAs established"},
        {"ike-global-ike-sas-deleted", "IKE SAs deleted"},
        {"ike-global-tunnels-established", "Tunnels established"},
        {"ike-global-tunnels-refused", "Tunnels refused"},
        {"ike-global-tunnels-deleted", "Tunnels deleted"},
        {"ike-global-dpd-responses-sent", "DPD responses sent"},
        {"ike-global-fwdd-errors", "fwdd errors"},
        {"ike-global-negotiation-failures", "Negotiation failures"},
    };

    if (b->len)
        buf_putc(b, '\n');
    buf_puts(b, "IKE global statistics:\n");
    for (xmlNodePtr c = g->children; c; c = c->next) {
        const char *label = NULL;
        xmlChar *v;
        if (c->type != XML_ELEMENT_NODE)
            continue;
        for (size_t i = 0; i < NF(labels) && label == NULL; i++)
            if (strcmp((const char *)c->name, labels[i][0]) == 0)
                label = labels[i][1];
        if (label == NULL)
            continue;
        v = xmlNodeGetContent(c);
        buf_printf(b, "   %-28s:%21s\n", label, v ? (const char *)v : "");
        xmlFree(v);
    }
}

void render_ike_security_associations_information(xmlNodePtr n, struct pipeline *pl)
{
    int d = render_detail_form(n, detail_only, 3);
    struct buf b;

    buf_init(&b);
    for (xmlNodePtr blk = n->children; blk; blk = blk->next) {
        if (!is(blk, "ike-security-associations-block"))
            continue;
        for (xmlNodePtr sa = blk->children; sa; sa = sa->next) {
            if (!is(sa, "ike-security-associations"))
                continue;
            if (d)
                detail(&b, sa);
            else
                brief_row(&b, sa);
        }
    }
    if (xchild(n, "ike-global-statistics"))
        global(&b, xchild(n, "ike-global-statistics"));
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}

/* `show services ipsec-vpn ike negotiation-failures [PEER]`
 * (ike-negotiation-failures-information, kmd's own, docs/kmd.md): a
 * summary line, then per peer (kmd sorts by peer, newest first) an "IKE
 * peer A" line and a block per failure:
 *
 *   IKE negotiation failures: 2 shown, 7 recorded
 *
 *   IKE peer 198.51.100.23
 *     Time: 2024-05-01 10:00:00 UTC (12 seconds ago), Exchange: QM1
 *       Local: 203.0.113.1:500, Remote: 198.51.100.23:500, Routing instance: default
 *       Service set: SG1, Access profile: dyn-peers, Remote identity: 198.51.100.23
 *       Notify sent: INVALID-ID-INFORMATION
 *       Reason: proxy pair remote 10.5.5.0/24 local 10.1.1.0/24 is not ...
 *
 * The reason is never wrapped (`| match` sees it whole). */
static void failure(struct buf *b, xmlNodePtr f, char *last_peer, size_t plen)
{
    static const struct field who[] = {{"Service set", "ike-failure-service-set-name", 0},
                                       {"Access profile", "ike-failure-access-profile", 0},
                                       {"Remote identity", "ike-failure-remote-identity", 0}};
    static const struct field notify[] = {{"Notify sent", "ike-failure-notify", 0}};
    char peer[64], t[64], age[32], x[32], la[64], lp[16], rp[16], ri[64];
    xmlNodePtr r;
    xmlChar *v;

    xtext(f, "ike-failure-remote-address", peer, sizeof(peer));
    if (strcmp(peer, last_peer) != 0) {
        buf_printf(b, "\nIKE peer %s\n", peer);
        snprintf(last_peer, plen, "%s", peer);
    }
    xtext(f, "ike-failure-time", t, sizeof(t));
    xtext(f, "ike-failure-exchange", x, sizeof(x));
    buf_printf(b, "  Time: %s", *t ? t : "-");
    if (*xtext(f, "ike-failure-age", age, sizeof(age)))
        buf_printf(b, " (%s second%s ago)", age, strcmp(age, "1") ? "s" : "");
    buf_printf(b, ", Exchange: %s\n", *x ? x : "-");
    xtext(f, "ike-failure-local-address", la, sizeof(la));
    xtext(f, "ike-failure-local-port", lp, sizeof(lp));
    xtext(f, "ike-failure-remote-port", rp, sizeof(rp));
    if (*la) {
        buf_printf(b, "    Local: %s%s%s, Remote: %s%s%s", la, *lp ? ":" : "", lp, peer,
                   *rp ? ":" : "", rp);
        if (*xtext(f, "ike-failure-routing-instance", ri, sizeof(ri)))
            buf_printf(b, ", Routing instance: %s", ri);
        buf_putc(b, '\n');
    }
    fields(b, "    ", f, who, NF(who));
    fields(b, "    ", f, notify, NF(notify));
    r = xchild(f, "ike-failure-reason");
    v = r ? xmlNodeGetContent(r) : NULL; /* whole: longer than fields() keeps */
    if (v && *v)
        buf_printf(b, "    Reason: %s\n", (const char *)v);
    xmlFree(v);
}

void render_ike_negotiation_failures_information(xmlNodePtr n, struct pipeline *pl)
{
    char shown[32], recorded[32], last[64] = "";
    struct buf b;

    buf_init(&b);
    xtext(n, "ike-failures-shown", shown, sizeof(shown));
    xtext(n, "ike-failures-recorded", recorded, sizeof(recorded));
    buf_printf(&b, "IKE negotiation failures: %s shown, %s recorded\n", *shown ? shown : "0",
               *recorded ? recorded : "0");
    for (xmlNodePtr f = n->children; f; f = f->next)
        if (is(f, "ike-negotiation-failure"))
            failure(&b, f, last, sizeof(last));
    pl_puts(pl, b.s ? b.s : "");
    buf_free(&b);
}
