/*
 * test_kmd_static.c: a static peer (an ipsec-vpn rule term whose
 * remote-gateway is its address) that initiates, in a service set with
 * no ike-access-profile: bound to the term's service set with the
 * ike-policy's key, the ipsec-policy's proposals (PFS) and the proxy
 * pairs of the term's from clause; its tunnel lives on the service set's
 * inside unit (no pool reservation, no dynamic rule, no reverse route:
 * the static rule picks it in fwdd); show names the rule and term; a
 * proxy pair outside the term, a missing PFS group and another address
 * are refused with their reasons; a commit that removes the term tears
 * the tunnel down.
 */
#include "kmdtest.h"

#include <stdlib.h>
#include <string.h>

#define PSK "static-peer-key"

static const char conf[] =
    "interfaces {\n"
    "    ms-1/0/0 { unit 1 { family inet; service-domain inside; }\n"
    "        unit 2 { family inet; service-domain outside; } }\n"
    "}\n"
    "services {\n"
    "    service-set SS { next-hop-service { inside-service-interface ms-1/0/0.1;\n"
    "        outside-service-interface ms-1/0/0.2; }\n"
    "        ipsec-vpn-options { local-gateway 203.0.113.1; }\n"
    "        ipsec-vpn-rules to-sg2; }\n"
    "    ipsec-vpn {\n"
    "        ike { policy ike-static { pre-shared-key ascii-text \"@PSK2@\"; } }\n"
    "        ipsec {\n"
    "            proposal esp-aes { protocol esp; authentication-algorithm hmac-sha1-96;\n"
    "                encryption-algorithm aes-128-cbc; }\n"
    "            policy ipsec-static { perfect-forward-secrecy { keys group14; }\n"
    "                proposals esp-aes; }\n"
    "        }\n"
    "        rule to-sg2 {\n"
    "            term t1 {\n"
    "                from { source-address 10.1.1.0/24; destination-address 10.2.2.0/24; }\n"
    "                then { remote-gateway 198.51.100.7;\n"
    "                    dynamic { ike-policy ike-static; ipsec-policy ipsec-static; } }\n"
    "            }\n"
    "            match-direction input;\n"
    "        }\n"
    "    }\n"
    "}\n";

static char *rpc(struct kt *t, const char *name)
{
    struct buf b;

    buf_init(&b);
    assert_int_equal(kmd_rpc(t->k, name, "", &b), 0);
    return buf_steal(&b);
}

static void has(const char *text, const char *what)
{
    if (text == NULL || strstr(text, what) == NULL)
        fail_msg("lacks %s:\n%s", what, text ? text : "(null)");
}

static void test_static_peer_without_profile(void **state)
{
    struct kt *t = kt_new(conf, "not-used");
    struct ikei *i = kt_peer("198.51.100.7", PSK, NULL);
    const struct kt_req *r;
    char *x, *moved;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    assert_int_equal(kt_count(t, FWD_POOL_RESERVE), 0);
    assert_int_equal(kt_count(t, FWD_RULE_ADD), 0);
    assert_int_equal(kt_count(t, FWD_ROUTE_ADD), 0);
    assert_int_equal(kt_count(t, FWD_SA_ADD), 2);
    for (unsigned n = 0; n < 2; n++) {
        r = kt_nth(t, FWD_SA_ADD, n);
        assert_string_equal(r->u.sa.service_set, "SS");
        assert_string_equal(r->u.sa.inside_unit, "ms-1/0/0.1");
    }
    x = rpc(t, "get-services-security-associations-information");
    has(x, "<sa-rule-name>to-sg2</sa-rule-name>");
    has(x, "<sa-term-name>t1</sa-term-name>");
    has(x, "<sa-inside-interface>ms-1/0/0.1</sa-inside-interface>");
    free(x);
    /* the term goes: the tunnel and the IKE SA go with it, DELETE sent */
    moved = kt_subst(conf, "remote-gateway 198.51.100.7", "remote-gateway 198.51.100.8");
    kmd_set_config(t->k, kt_config(moved, "not-used"));
    free(moved);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(kmd_ike_count(t->k), 0);
    assert_int_equal(kt_count(t, FWD_SA_DEL), 2);
    assert_int_equal(kt_count(t, FWD_POOL_RELEASE), 0);
    ikei_free(i);
    kt_free(t);
}

static void outside_term(struct ikei_conf *c)
{
    c->lnet = "10.8.8.0/24";
}

static void no_pfs(struct ikei_conf *c)
{
    c->pfs_group = 0;
}

static void test_static_peer_refusals(void **state)
{
    struct kt *t = kt_new(conf, "not-used");
    struct ikei *a = kt_peer("198.51.100.7", PSK, outside_term),
                *b = kt_peer("198.51.100.7", PSK, no_pfs), *c = kt_peer("198.51.100.9", PSK, NULL);
    char *x;

    (void)state;
    assert_int_equal(kt_mm(t, a), 0);
    assert_int_equal(kt_qm(t, a), -1);
    assert_int_equal(a->last_notify, ISAKMP_N_INVALID_ID_INFORMATION);
    assert_int_equal(kt_mm(t, b), 0);
    assert_int_equal(kt_qm(t, b), -1);
    assert_int_equal(b->last_notify, ISAKMP_N_NO_PROPOSAL_CHOSEN);
    assert_int_equal(kt_mm(t, c), -1); /* not the static peer, no access profile */
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    x = rpc(t, "get-ike-negotiation-failures");
    has(x, "proxy pair remote 10.8.8.0/24 local 10.1.1.0/24 is not within term t1 of rule "
           "to-sg2; allowed: remote 10.2.2.0/24 local 10.1.1.0/24");
    has(x, "PFS group14 required by ipsec-policy ipsec-static but not offered");
    has(x, "<ike-failure-remote-address>198.51.100.9</ike-failure-remote-address>");
    free(x);
    ikei_free(a);
    ikei_free(b);
    ikei_free(c);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_static_peer_without_profile),
        cmocka_unit_test(test_static_peer_refusals),
    };

    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
