/*
 * test_kmd_state: what kmd does with tunnels over time.  A commit that
 * removes the service set, or changes its local-gateway, tears everything
 * down (DELETE to the peer, fwdd state released); fwdd reconnecting gets everything re-installed;
 * lifetimes expire; fwdd's hard-lifetime and SA-gone events; the binding
 * to the least loaded of two service sets; a remote proxy held by another
 * peer (refused, or replaced on INITIAL-CONTACT); a rekey under the same
 * IKE SA; the operational replies (well-formed XML of junos.md 4.2/4.3)
 * and the clear commands.
 */
#include "kmdtest.h"

#include <libxml/parser.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PSK "opensg-lab-psk"

static struct kt *up(struct ikei **i, const char *addr, void (*tweak)(struct ikei_conf *))
{
    struct kt *t = kt_new(KT_SG1, PSK);

    *i = kt_peer(addr, PSK, tweak);
    assert_int_equal(kt_mm(t, *i), 0);
    assert_int_equal(kt_qm(t, *i), 0);
    return t;
}

static void test_commit_removes_service_set(void **state)
{
    struct ikei *i;
    struct kt *t = up(&i, "198.51.100.50", NULL);
    char *conf = kt_subst(KT_SG1, "service-set SG1", "service-set SG9");
    unsigned n0 = t->nreq;

    (void)state;
    t->rd = t->nout;
    kmd_set_config(t->k, kt_config(KT_SG1, PSK)); /* same: nothing happens */
    assert_int_equal(t->nreq, n0);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    kmd_set_config(t->k, kt_config(conf, PSK));
    kt_flush(t);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(kmd_ike_count(t->k), 0);
    assert_int_equal(kt_count(t, FWD_SA_DEL), 2);
    assert_int_equal(kt_count(t, FWD_RULE_DEL), 1);
    assert_int_equal(kt_count(t, FWD_ROUTE_DEL), 1);
    assert_int_equal(kt_count(t, FWD_POOL_RELEASE), 1);
    kt_deliver(t, i); /* D(ESP) then D(ISAKMP) */
    assert_int_equal(i->deletes, 2);
    assert_int_equal(i->last_delete_proto, ISAKMP_PROTO_ISAKMP);
    free(conf);
    ikei_free(i);
    kt_free(t);
}

/* A new local-gateway: the tunnel's SAs belong to the old address, so the
 * tunnel goes with its IKE SA. */
static void test_commit_changes_local_gateway(void **state)
{
    struct ikei *i;
    struct kt *t = up(&i, "198.51.100.51", NULL);
    char *conf = kt_subst(KT_SG1, "local-gateway 203.0.113.1", "local-gateway 203.0.113.9");

    (void)state;
    t->rd = t->nout;
    kmd_set_config(t->k, kt_config(conf, PSK));
    kt_flush(t);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(kmd_ike_count(t->k), 0);
    assert_int_equal(kt_count(t, FWD_SA_DEL), 2);
    assert_int_equal(kt_count(t, FWD_ROUTE_DEL), 1);
    assert_int_equal(kt_count(t, FWD_POOL_RELEASE), 1);
    kt_deliver(t, i);
    assert_int_equal(i->deletes, 2);
    free(conf);
    ikei_free(i);
    kt_free(t);
}

static void test_fwdd_reconnect(void **state)
{
    struct ikei *i;
    struct kt *t = up(&i, "198.51.100.51", NULL);
    unsigned n0 = t->nreq;

    (void)state;
    kmd_fwd_down(t->k);
    kmd_fwd_up(t->k);
    kt_flush(t);
    assert_int_equal(t->nreq - n0, 5);
    assert_int_equal(t->req[n0].type, FWD_POOL_RESERVE);
    assert_string_equal(t->req[n0].u.pool.unit, "ms-1/0/0.1");
    assert_int_equal(t->req[n0 + 1].type, FWD_SA_ADD);
    assert_int_equal(t->req[n0 + 1].u.sa.dir, FWD_DIR_IN);
    assert_memory_equal(t->req[n0 + 1].u.sa.cipher_key, i->qm.ekey_ir, i->qm.ekey_len);
    assert_int_equal(t->req[n0 + 2].u.sa.dir, FWD_DIR_OUT);
    assert_int_equal(t->req[n0 + 3].type, FWD_RULE_ADD);
    assert_int_equal(t->req[n0 + 4].type, FWD_ROUTE_ADD);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    ikei_free(i);
    kt_free(t);
}

static void test_lifetime_and_events(void **state)
{
    struct ikei *i;
    struct kt *t = up(&i, "198.51.100.52", NULL);
    struct fwd_sa_event ev;

    (void)state;
    t->rd = t->nout;
    kt_advance(t, 3599);
    assert_int_equal(kmd_ike_count(t->k), 1);
    kt_advance(t, 1); /* IKE SA: 3600 s configured (the peer offered 15840) */
    assert_int_equal(kmd_ike_count(t->k), 0);
    kt_deliver(t, i);
    assert_int_equal(i->last_delete_proto, ISAKMP_PROTO_ISAKMP);
    assert_int_equal(kmd_tunnel_count(t->k), 1); /* phase 2 outlives phase 1 */
    kt_advance(t, 359);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    kt_advance(t, 1); /* the 3960 s the peer offered */
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(kt_count(t, FWD_POOL_RELEASE), 1);
    ikei_free(i);
    kt_free(t);

    t = up(&i, "198.51.100.53", NULL);
    memset(&ev, 0, sizeof(ev));
    snprintf(ev.sa.service_set, sizeof(ev.sa.service_set), "SG1");
    ev.sa.spi = htonl(i->qm.spi_r);
    ev.sa.dir = FWD_DIR_IN;
    ev.event = FWD_EV_SOFT_BYTES;
    kmd_fwd_sa_event(t->k, &ev);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    ev.event = FWD_EV_HARD_BYTES;
    kmd_fwd_sa_event(t->k, &ev);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    ikei_free(i);
    kt_free(t);

    t = up(&i, "198.51.100.54", NULL);
    ev.sa.spi = htonl(i->qm.spi_r);
    kmd_fwd_sa_gone(t->k, &ev.sa);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    ikei_free(i);
    kt_free(t);
}

static const char two_sets[] =
    "interfaces {\n"
    "    ms-1/0/0 { unit 1 { family inet; service-domain inside;\n"
    "        dial-options { ipsec-interface-id p; shared; } }\n"
    "        unit 2 { family inet; service-domain outside; } }\n"
    "    ms-2/0/0 { unit 1 { family inet; service-domain inside;\n"
    "        dial-options { ipsec-interface-id p; shared; } }\n"
    "        unit 2 { family inet; service-domain outside; } }\n"
    "}\n"
    "access { profile p { client * { ike { pre-shared-key ascii-text \"@PSK@\";\n"
    "    interface-id p; } } } }\n"
    "services {\n"
    "    service-set A { next-hop-service { inside-service-interface ms-1/0/0.1;\n"
    "        outside-service-interface ms-1/0/0.2; }\n"
    "        ipsec-vpn-options { local-gateway 203.0.113.1; ike-access-profile p; } }\n"
    "    service-set B { next-hop-service { inside-service-interface ms-2/0/0.1;\n"
    "        outside-service-interface ms-2/0/0.2; }\n"
    "        ipsec-vpn-options { local-gateway 203.0.113.1; ike-access-profile p; } }\n"
    "}\n";

static void lan3(struct ikei_conf *c)
{
    c->lnet = "10.3.3.0/24";
}

static void test_least_loaded(void **state)
{
    struct kt *t = kt_new(two_sets, PSK);
    struct ikei *a = kt_peer("198.51.100.55", PSK, NULL), *b = kt_peer("198.51.100.56", PSK, lan3);

    (void)state;
    assert_int_equal(kt_mm(t, a), 0);
    assert_int_equal(kt_qm(t, a), 0);
    assert_int_equal(kt_mm(t, b), 0);
    assert_int_equal(kt_qm(t, b), 0);
    assert_string_equal(kt_nth(t, FWD_POOL_RESERVE, 0)->u.pool.service_set, "A");
    assert_string_equal(kt_nth(t, FWD_POOL_RESERVE, 1)->u.pool.service_set, "B");
    ikei_free(a);
    ikei_free(b);
    kt_free(t);
}

static void no_contact(struct ikei_conf *c)
{
    c->initial_contact = false;
}

static void test_proxy_conflict(void **state)
{
    struct ikei *a, *b = kt_peer("198.51.100.58", PSK, no_contact),
                    *c = kt_peer("198.51.100.59", PSK, NULL);
    struct kt *t = up(&a, "198.51.100.57", NULL);

    (void)state;
    assert_int_equal(kt_mm(t, b), 0);
    assert_int_equal(kt_qm(t, b), -1); /* 10.2.2.0/24 is a's */
    assert_int_equal(b->last_notify, ISAKMP_N_INVALID_ID_INFORMATION);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    t->rd = t->nout;
    assert_int_equal(kt_mm(t, c), 0); /* INITIAL-CONTACT: c restarted with a new address */
    assert_int_equal(kt_qm(t, c), 0);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    assert_int_equal(kt_count(t, FWD_SA_DEL), 2); /* a's tunnel went */
    ikei_free(a);
    ikei_free(b);
    ikei_free(c);
    kt_free(t);
}

static char *rpc(struct kt *t, const char *name, const char *args)
{
    struct buf b;
    xmlDocPtr doc;

    buf_init(&b);
    assert_int_equal(kmd_rpc(t->k, name, args, &b), 0);
    doc = xmlReadMemory(b.s, (int)b.len, "reply.xml", NULL, XML_PARSE_NONET | XML_PARSE_NOERROR);
    if (doc == NULL)
        fail_msg("not XML: %s", b.s);
    xmlFreeDoc(doc);
    return buf_steal(&b);
}

static void has(const char *text, const char *what)
{
    if (text == NULL || strstr(text, what) == NULL)
        fail_msg("reply lacks %s:\n%s", what, text ? text : "(null)");
}

static void test_rekey_show_clear(void **state)
{
    struct ikei *i;
    struct kt *t = up(&i, "198.51.100.60", NULL);
    uint32_t old_spi = i->qm.spi_r;
    char *x, s[64];
    struct buf e;

    (void)state;
    assert_int_equal(kt_qm(t, i), 0); /* rekey: same proxies, same IKE SA */
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    {
        /* the new tunnel may share the old one's pool unit (a dedicated
         * pool has no other), and it is made before the old one is broken:
         * its rule before the old rule goes */
        const struct kt_req *pool = kt_nth(t, FWD_POOL_RESERVE, 1);
        unsigned add = 0, del = 0;
        assert_non_null(pool);
        assert_int_equal(pool->u.pool.replaces, kt_nth(t, FWD_POOL_RESERVE, 0)->u.pool.tunnel);
        for (unsigned n = 0; n < t->nreq; n++) {
            if (t->req[n].type == FWD_RULE_ADD)
                add = n;
            if (t->req[n].type == FWD_RULE_DEL)
                del = n;
        }
        assert_true(add > 0 && del > add);
    }
    kt_deliver(t, i);
    assert_int_equal(i->last_delete_spi, old_spi);
    x = rpc(t, "get-ike-services-security-associations-information",
            "<get-ike-services-security-associations-information><detail/>"
            "</get-ike-services-security-associations-information>");
    has(x, "<ike-sa-remote-address>198.51.100.60</ike-sa-remote-address>");
    has(x, "<ike-sa-state>matured</ike-sa-state>");
    has(x, "<ike-sa-exchange-type>Main</ike-sa-exchange-type>");
    has(x, "<ike-sa-encryption-algorithm>aes-128-cbc</ike-sa-encryption-algorithm>");
    has(x, "<ike-sa-num-ipsec-rekeys>1</ike-sa-num-ipsec-rekeys>");
    has(x, "junos:style=\"detail\"");
    free(x);
    x = rpc(t, "get-ike-services-security-associations-information",
            "<get-ike-services-security-associations-information><peer-address>192.0.2.1"
            "</peer-address></get-ike-services-security-associations-information>");
    assert_null(strstr(x, "ike-security-associations-block"));
    free(x);
    x = rpc(t, "get-services-security-associations-information",
            "<get-services-security-associations-information><detail/><service-set>SG1"
            "</service-set></get-services-security-associations-information>");
    has(x, "<svc-set-name>SG1</svc-set-name>");
    has(x, "<sa-rule-name>dynamic-dyn-peers</sa-rule-name>");
    has(x, "<sa-remote-gateway>198.51.100.60</sa-remote-gateway>");
    has(x, "<sa-inside-interface>ms-1/0/0.1</sa-inside-interface>");
    has(x, "<sa-remote-identity>ipv4_subnet(any:0,[0..7]=10.2.2.0/24)</sa-remote-identity>");
    has(x, "<sa-local-identity>ipv4_subnet(any:0,[0..7]=10.1.1.0/24)</sa-local-identity>");
    snprintf(s, sizeof(s), "<sa-spi>%u</sa-spi>", i->qm.spi_r);
    has(x, s);
    has(x, "<sa-authentication-algorithm>hmac-sha1-96</sa-authentication-algorithm>");
    assert_null(strstr(x, PSK));
    free(x);
    buf_init(&e);
    assert_int_equal(kmd_rpc(t->k, "get-nothing", "", &e), -1);
    buf_free(&e);
    x = rpc(t, "clear-services-ipsec-vpn-security-associations",
            "<clear-services-ipsec-vpn-security-associations/>");
    free(x);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(kmd_ike_count(t->k), 1);
    x = rpc(t, "clear-services-ike-security-associations",
            "<clear-services-ike-security-associations><peer-address>198.51.100.60"
            "</peer-address></clear-services-ike-security-associations>");
    free(x);
    assert_int_equal(kmd_ike_count(t->k), 0);
    kt_deliver(t, i);
    assert_int_equal(i->last_delete_proto, ISAKMP_PROTO_ISAKMP);
    ikei_free(i);
    kt_free(t);
}

static void test_shutdown(void **state)
{
    struct ikei *i;
    struct kt *t = up(&i, "198.51.100.61", NULL);

    (void)state;
    t->rd = t->nout;
    kmd_shutdown(t->k);
    kt_deliver(t, i);
    assert_int_equal(i->deletes, 2);
    assert_int_equal(kt_count(t, FWD_POOL_RELEASE), 1);
    assert_int_equal(kmd_ike_count(t->k), 0);
    ikei_free(i);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_commit_removes_service_set),
        cmocka_unit_test(test_commit_changes_local_gateway),
        cmocka_unit_test(test_fwdd_reconnect),
        cmocka_unit_test(test_lifetime_and_events),
        cmocka_unit_test(test_least_loaded),
        cmocka_unit_test(test_proxy_conflict),
        cmocka_unit_test(test_rekey_show_clear),
        cmocka_unit_test(test_shutdown),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
