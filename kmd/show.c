/*
 * show.c: kmd's operational requests (schema/op/kmd.xsd), answered in
 * the XML of reference/junos.md 4.2 and 4.3:
 *
 *   get-ike-services-security-associations-information [brief|detail] [peer-address]
 *   get-ike-services-statistics-information [peer-address]
 *   get-ike-negotiation-failures [peer-address]  (failures.c)
 *   get-services-security-associations-information [brief|detail|extensive] [service-set]
 *   clear-services-ike-security-associations [peer-address] [service-set]
 *   clear-services-ipsec-vpn-security-associations [service-set] [remote-gateway]
 *
 * Dynamic tunnels have no configured rule or term: kmd shows rule
 * "dynamic-<access profile>" and term "tunnel-<tunnel index>" (a static
 * peer's: its rule and term)
 * (docs/kmd.md).  One services-security-associations-block per tunnel,
 * as Junos's own tests read them.  `ike statistics` adds, after the SAs,
 * kmd's global counters (ike-global-statistics: datagrams dropped as
 * malformed, replayed, out of state, ..., docs/kmd.md).  No key is ever
 * part of a reply.  Called by main.c through kmd_rpc().
 */
#include "daemon.h"
#include "ike.h"

#include <libxml/parser.h>
#include <libxml/tree.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#define JUNOS_NS "http://xml.juniper.net/junos/*/junos"
/* An address argument matches a (NULL: no filter). */
static bool addr_match(const char *want, const struct fwd_addr *a)
{
    uint8_t b[16];
    int af;

    if (want == NULL || *want == '\0')
        return true;
    af = strchr(want, ':') ? AF_INET6 : AF_INET;
    return inet_pton(af, want, b) == 1 && a->af == af &&
           memcmp(a->a, b, af == AF_INET6 ? 16 : 4) == 0;
}

static void el(struct buf *b, int ind, const char *name, const char *value)
{
    buf_indent(b, ind);
    buf_printf(b, "<%s>", name);
    dmn_xml_escape(b, value);
    buf_printf(b, "</%s>\n", name);
}

static void eln(struct buf *b, int ind, const char *name, unsigned long long v)
{
    buf_indent(b, ind);
    buf_printf(b, "<%s>%llu</%s>\n", name, v, name);
}

static void expires(char *buf, size_t len, long long s)
{
    snprintf(buf, len, "Expires in %lld seconds", s < 0 ? 0 : s);
}

static const char *auth_alg(enum crypto_hash h)
{
    switch (h) {
    case CRYPTO_HASH_MD5:
        return "hmac-md5-96";
    case CRYPTO_HASH_SHA256:
        return "hmac-sha256-128";
    case CRYPTO_HASH_SHA384:
        return "hmac-sha384-192";
    default:
        return "hmac-sha1-96";
    }
}

static const char *prf_alg(enum crypto_hash h)
{
    switch (h) {
    case CRYPTO_HASH_MD5:
        return "hmac-md5";
    case CRYPTO_HASH_SHA256:
        return "hmac-sha256";
    case CRYPTO_HASH_SHA384:
        return "hmac-sha384";
    default:
        return "hmac-sha1";
    }
}

static const char *enc_alg(enum crypto_cipher c)
{
    switch (c) {
    case CRYPTO_CIPHER_DES_CBC:
        return "des-cbc";
    case CRYPTO_CIPHER_3DES_CBC:
        return "3des-cbc";
    case CRYPTO_CIPHER_AES128_CBC:
        return "aes-128-cbc";
    case CRYPTO_CIPHER_AES192_CBC:
        return "aes-192-cbc";
    default:
        return "aes-256-cbc";
    }
}

static int cmp_sa(const void *a, const void *b)
{
    const struct ike_sa *x = *(const struct ike_sa *const *)a,
                        *y = *(const struct ike_sa *const *)b;
    int c = memcmp(x->path.src.a, y->path.src.a, 16);

    return c ? c : x->serial < y->serial ? -1 : x->serial > y->serial;
}

static void ike_sa_xml(struct kmd *k, struct buf *b, const struct ike_sa *sa, bool detail,
                       bool stats)
{
    char s[128], ic[17], rc[17];
    time_t now = kmd_now(k);

    hex_str(sa->icky, ISAKMP_COOKIE_LEN, ic);
    hex_str(sa->rcky, ISAKMP_COOKIE_LEN, rc);
    buf_puts(b, "  <ike-security-associations-block>\n");
    el(b, 4, "ike-sa-remote-address", addr_str(&sa->path.src, s, sizeof(s)));
    buf_puts(b, "    <ike-security-associations>\n");
    el(b, 6, "ike-sa-role", "responder");
    el(b, 6, "ike-sa-state", sa->state == IKE_UP ? "matured" : "not matured");
    el(b, 6, "ike-sa-initiator-cookie", ic);
    el(b, 6, "ike-sa-responder-cookie", rc);
    el(b, 6, "ike-sa-exchange-type", "Main");
    if (detail) {
        el(b, 6, "ike-sa-authentication-method", "Pre-shared-keys");
        el(b, 6, "ike-sa-local-gateway-interface", sa->path.ingress);
        el(b, 6, "ike-sa-routing-instance", sa->path.instance[0] ? sa->path.instance : "default");
        el(b, 6, "ike-sa-service-set-name", sa->ss_name);
        el(b, 6, "ike-sa-local-address", addr_str(&sa->path.dst, s, sizeof(s)));
        eln(b, 6, "ike-sa-local-port", sa->path.dport);
        el(b, 6, "ike-sa-remote-address", addr_str(&sa->path.src, s, sizeof(s)));
        eln(b, 6, "ike-sa-remote-port", sa->path.sport);
        el(b, 6, "ike-sa-remote-identity", ike_id(sa));
        expires(s, sizeof(s), (long long)(sa->expires - now));
        el(b, 6, "ike-sa-lifetime", s);
        buf_puts(b, "      <ike-sa-algorithms>\n");
        el(b, 8, "ike-sa-authentication-algorithm", auth_alg(sa->c.hash));
        el(b, 8, "ike-sa-encryption-algorithm", enc_alg(sa->c.cipher));
        el(b, 8, "ike-sa-prf-algorithm", prf_alg(sa->c.hash));
        eln(b, 8, "ike-sa-dhgroup", sa->c.group_id);
        buf_puts(b, "      </ike-sa-algorithms>\n");
        buf_puts(b, "      <ike-sa-traffic-statistics>\n");
        eln(b, 8, "ike-sa-input-bytes", sa->in_bytes);
        eln(b, 8, "ike-sa-output-bytes", sa->out_bytes);
        eln(b, 8, "ike-sa-input-packets", sa->in_pkts);
        eln(b, 8, "ike-sa-output-packets", sa->out_pkts);
        buf_puts(b, "      </ike-sa-traffic-statistics>\n");
        buf_puts(b, "      <ike-sa-misc>\n");
        el(b, 8, "ike-sa-flags", sa->state == IKE_UP ? "IKE SA created" : "IKE SA negotiating");
        eln(b, 8, "ike-sa-num-ipsec-sas-created", sa->p2_created);
        eln(b, 8, "ike-sa-num-ipsec-sas-deleted", sa->p2_deleted);
        eln(b, 8, "ike-sa-num-ipsec-rekeys", sa->p2_rekeys);
        el(b, 8, "ike-sa-exchange-type", "Main");
        buf_puts(b, "      </ike-sa-misc>\n");
    }
    if (stats) {
        buf_puts(b, "      <ike-sa-payload-statistics>\n");
        eln(b, 8, "ike-sa-delete-payloads-received", sa->del_rx);
        eln(b, 8, "ike-sa-delete-payloads-sent", sa->del_tx);
        eln(b, 8, "ike-sa-dpd-request-payloads-received", sa->dpd_rx);
        eln(b, 8, "ike-sa-dpd-request-payloads-sent", 0); /* kmd never sends R-U-THERE */
        eln(b, 8, "ike-sa-dpd-response-payloads-received", sa->dpd_ack_rx);
        eln(b, 8, "ike-sa-dpd-response-payloads-sent", sa->dpd_tx);
        eln(b, 8, "ike-sa-dpd-response-payloads-missed", 0);
        eln(b, 8, "ike-sa-dpd-response-payloads-maximum-delay", 0);
        eln(b, 8, "ike-sa-invalid-spi-notifications-received", sa->invspi_rx);
        eln(b, 8, "ike-sa-invalid-spi-notifications-sent", sa->invspi_tx);
        buf_puts(b, "      </ike-sa-payload-statistics>\n");
    }
    buf_puts(b, "    </ike-security-associations>\n  </ike-security-associations-block>\n");
}

/* kmd's counters (struct kmd_counters) and what it holds now. */
static void global_xml(struct kmd *k, struct buf *b)
{
    const struct kmd_counters *c = &k->cnt;
    const struct {
        const char *name;
        uint64_t v;
    } v[] = {
        {"ike-global-ike-sas", kmd_ike_count(k)},
        {"ike-global-half-open-sas", ike_halfopen(k)},
        {"ike-global-tunnels", kmd_tunnel_count(k)},
        {"ike-global-datagrams-received", c->rx},
        {"ike-global-datagrams-sent", c->tx},
        {"ike-global-malformed", c->malformed},
        {"ike-global-unknown-sa", c->unknown_sa},
        {"ike-global-out-of-state", c->out_of_state},
        {"ike-global-replayed", c->replayed},
        {"ike-global-retransmits", c->retransmits},
        {"ike-global-other-version", c->ikev2},
        {"ike-global-no-service-set", c->no_service_set},
        {"ike-global-half-open-full", c->halfopen_full},
        {"ike-global-half-open-evicted", c->halfopen_evicted},
        {"ike-global-half-open-per-peer-dropped", c->halfopen_peer},
        {"ike-global-half-open-expired", c->halfopen_expired},
        {"ike-global-authentication-failed", c->auth_failed},
        {"ike-global-no-proposal-chosen", c->no_proposal},
        {"ike-global-invalid-id", c->bad_id},
        {"ike-global-hash-failed", c->hash_failed},
        {"ike-global-ike-sas-established", c->ike_established},
        {"ike-global-ike-sas-deleted", c->ike_deleted},
        {"ike-global-tunnels-established", c->tunnels_up},
        {"ike-global-tunnels-refused", c->tunnels_refused},
        {"ike-global-tunnels-deleted", c->tunnels_down},
        {"ike-global-dpd-responses-sent", c->dpd_acks},
        {"ike-global-fwdd-errors", c->fwd_errors},
        {"ike-global-negotiation-failures", c->failures},
    };

    buf_puts(b, "  <ike-global-statistics>\n");
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        eln(b, 4, v[i].name, v[i].v);
    buf_puts(b, "  </ike-global-statistics>\n");
}

static void show_ike(struct kmd *k, const struct dmn_rpc_args *a, bool stats, struct buf *b)
{
    const char *peer = dmn_rpc_arg(a, "peer-address");
    bool detail = dmn_rpc_arg(a, "detail") != NULL || stats;
    unsigned n = kmd_ike_count(k), i = 0;
    const struct ike_sa **v = calloc(n ? n : 1, sizeof(*v));

    if (v == NULL)
        abort();
    for (const struct ike_sa *sa = k->sas; sa; sa = sa->next)
        if (addr_match(peer, &sa->path.src))
            v[i++] = sa;
    qsort(v, i, sizeof(*v), cmp_sa);
    buf_printf(b, "<ike-security-associations-information junos:style=\"%s\">\n",
               detail ? "detail" : "brief");
    for (unsigned j = 0; j < i; j++)
        ike_sa_xml(k, b, v[j], detail, stats);
    if (stats)
        global_xml(k, b);
    buf_puts(b, "</ike-security-associations-information>\n");
    free(v);
}

static int cmp_tunnel(const void *a, const void *b)
{
    const struct tunnel *x = *(const struct tunnel *const *)a,
                        *y = *(const struct tunnel *const *)b;
    int c = strcmp(x->ss_name, y->ss_name);

    return c ? c : x->index < y->index ? -1 : x->index > y->index;
}

static void sa_dir_xml(struct kmd *k, struct buf *b, const struct tunnel *t, bool in, bool detail)
{
    const struct kmd_service_set *ss = kmd_config_service_set(k->cfg, t->ss_name);
    time_t now = kmd_now(k), up = t->expires - t->c.lifetime;
    char s[64];

    buf_puts(b, "    <security-associations>\n");
    el(b, 6, "sa-direction", in ? "inbound" : "outbound");
    eln(b, 6, "sa-spi", in ? t->spi_in : t->spi_out);
    eln(b, 6, "sa-aux-spi", in ? t->aux_in : t->aux_out); /* a bundle's ESP SPI */
    el(b, 6, "sa-mode", "tunnel");
    el(b, 6, "sa-type", "dynamic");
    el(b, 6, "sa-state", "installed");
    el(b, 6, "sa-protocol",
       t->c.fwd_proto == FWD_PROTO_AH       ? "AH"
       : t->c.fwd_proto == FWD_PROTO_BUNDLE ? "BUNDLE"
                                            : "ESP");
    if (detail) {
        el(b, 6, "sa-authentication-algorithm", t->c.auth_name);
        el(b, 6, "sa-encryption-algorithm", t->c.enc_name);
        expires(s, sizeof(s), (long long)(up + t->c.lifetime / 10 * 9 - now));
        el(b, 6, "sa-soft-lifetime", s);
        expires(s, sizeof(s), (long long)(t->expires - now));
        el(b, 6, "sa-hard-lifetime", s);
        el(b, 6, "sa-anti-replay-service", ss && ss->no_anti_replay ? "disabled" : "enabled");
        eln(b, 6, "sa-replay-window-size", ss ? ss->replay_window : 64);
        el(b, 6, "sa-copy-tos-from-inner-ip-header", "enabled");
        el(b, 6, "sa-copy-ttl-from-inner-ip-header", "disabled");
        eln(b, 6, "sa-ttl-value", 64);
    }
    buf_puts(b, "    </security-associations>\n");
}

static void tunnel_xml(struct kmd *k, struct buf *b, const struct tunnel *t, bool detail)
{
    const struct kmd_service_set *ss = kmd_config_service_set(k->cfg, t->ss_name);
    char s[160];

    buf_puts(b, "  <services-security-associations-block>\n");
    el(b, 4, "svc-set-name", t->ss_name);
    el(b, 4, "outside-service-interface-routing-instance",
       t->path.instance[0] ? t->path.instance : "default");
    buf_puts(b, "    <sa-tunnel-information>\n");
    if (t->static_peer) {
        el(b, 6, "sa-rule-name", t->rule);
        el(b, 6, "sa-term-name", t->term);
    } else {
        snprintf(s, sizeof(s), "dynamic-%s", t->profile);
        el(b, 6, "sa-rule-name", s);
        snprintf(s, sizeof(s), "tunnel-%u", t->index);
        el(b, 6, "sa-term-name", s);
    }
    eln(b, 6, "sa-tunnel-index", t->index);
    el(b, 6, "sa-local-gateway", addr_str(&t->path.dst, s, sizeof(s)));
    el(b, 6, "sa-remote-gateway", addr_str(&t->path.src, s, sizeof(s)));
    el(b, 6, "sa-inside-interface", t->unit);
    if (detail) {
        eln(b, 6, "sa-tunnel-mtu", ss && ss->tunnel_mtu ? ss->tunnel_mtu : 1500);
        el(b, 6, "sa-udp-encapsulate", t->udp_encap ? "Enabled" : "Disabled");
        eln(b, 6, "sa-udp-dst-port", t->udp_encap ? t->path.sport : 0);
        el(b, 6, "sa-local-identity",
           tunnel_identity(t->lid_type, &t->lproxy, t->proto, t->lport, s, sizeof(s)));
        el(b, 6, "sa-remote-identity",
           tunnel_identity(t->rid_type, &t->rproxy, t->proto, t->rport, s, sizeof(s)));
    }
    buf_puts(b, "    </sa-tunnel-information>\n");
    sa_dir_xml(k, b, t, true, detail);
    sa_dir_xml(k, b, t, false, detail);
    buf_puts(b, "  </services-security-associations-block>\n");
}

static void show_ipsec(struct kmd *k, const struct dmn_rpc_args *a, struct buf *b)
{
    const char *ss = dmn_rpc_arg(a, "service-set");
    bool detail = dmn_rpc_arg(a, "detail") || dmn_rpc_arg(a, "extensive");
    unsigned n = kmd_tunnel_count(k), i = 0;
    const struct tunnel **v = calloc(n ? n : 1, sizeof(*v));

    if (v == NULL)
        abort();
    for (const struct tunnel *t = k->tunnels; t; t = t->next)
        if (t->up && (ss == NULL || strcmp(ss, t->ss_name) == 0))
            v[i++] = t;
    qsort(v, i, sizeof(*v), cmp_tunnel);
    buf_printf(b, "<services-security-associations-information junos:style=\"%s\">\n",
               dmn_rpc_arg(a, "extensive") ? "extensive"
               : detail                    ? "detail"
                                           : "brief");
    for (unsigned j = 0; j < i; j++)
        tunnel_xml(k, b, v[j], detail);
    buf_puts(b, "</services-security-associations-information>\n");
    free(v);
}

static void clear_ike(struct kmd *k, const struct dmn_rpc_args *a, struct buf *b)
{
    const char *peer = dmn_rpc_arg(a, "peer-address"), *ss = dmn_rpc_arg(a, "service-set");
    struct ike_sa *sa, *next;

    for (sa = k->sas; sa; sa = next) {
        next = sa->next;
        if (addr_match(peer, &sa->path.src) && (ss == NULL || strcmp(ss, sa->ss_name) == 0))
            ike_delete(k, sa, true, "cleared by the operator");
    }
    (void)b; /* nothing to say, as fwdd's clear (the CLI prints nothing) */
}

static void clear_ipsec(struct kmd *k, const struct dmn_rpc_args *a, struct buf *b)
{
    const char *gw = dmn_rpc_arg(a, "remote-gateway"), *ss = dmn_rpc_arg(a, "service-set");
    struct tunnel *t, *next;

    for (t = k->tunnels; t; t = next) {
        next = t->next;
        if (t->up && addr_match(gw, &t->path.src) && (ss == NULL || strcmp(ss, t->ss_name) == 0))
            tunnel_teardown(k, t, true, "cleared by the operator");
    }
    (void)b;
}

int kmd_rpc(struct kmd *k, const char *name, const char *xml, struct buf *out)
{
    struct dmn_rpc_args a;
    struct buf b;

    if (dmn_rpc_args_parse(xml, &a) < 0) {
        buf_printf(out, "malformed arguments to %s", name);
        return -1;
    }
    buf_init(&b);
    if (strcmp(name, "get-ike-services-security-associations-information") == 0)
        show_ike(k, &a, false, &b);
    else if (strcmp(name, "get-ike-services-statistics-information") == 0)
        show_ike(k, &a, true, &b);
    else if (strcmp(name, "get-ike-negotiation-failures") == 0)
        fail_show(k, dmn_rpc_arg(&a, "peer-address"), &b);
    else if (strcmp(name, "get-services-security-associations-information") == 0)
        show_ipsec(k, &a, &b);
    else if (strcmp(name, "clear-services-ike-security-associations") == 0)
        clear_ike(k, &a, &b);
    else if (strcmp(name, "clear-services-ipsec-vpn-security-associations") == 0)
        clear_ipsec(k, &a, &b);
    else {
        buf_free(&b);
        buf_printf(out, "kmd does not answer %s", name);
        return -1;
    }
    buf_printf(out, "<rpc-reply xmlns:junos=\"%s\">\n%s</rpc-reply>\n", JUNOS_NS, b.s ? b.s : "");
    buf_free(&b);
    return 0;
}
