/*
 * test_checks: mgd's semantic commit checks (mgd/checks.h) on variants of
 * docs/examples/sg1.conf, resolved against the real schema.  sg1.conf must
 * pass clean; each test breaks one rule and asserts the exact finding
 * (hierarchy path, quoted statement, message, error or warning), then
 * (where it makes sense) that the repaired variant passes.  Messages:
 * docs/checks.md.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../schema_fixture.h"

#include "checks.h"
#include "checks_priv.h"
#include "groups.h"
#include "path.h"
#include "render.h"
#include "validate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A test function: cmocka's state is unused. */
#define TEST(name) static void name(void **state __attribute__((unused)))

static char *sg1_text;

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    struct buf b;
    char chunk[4096];
    size_t n;

    if (f == NULL)
        return NULL;
    buf_init(&b);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        buf_add(&b, chunk, n);
    fclose(f);
    return buf_steal(&b);
}

static int setup(void **state)
{
    if (schema_setup(state) < 0)
        return -1;
    sg1_text = read_file(SOURCE_DIR "/docs/examples/sg1.conf");
    return sg1_text ? 0 : -1;
}

static int teardown(void **state)
{
    free(sg1_text);
    return schema_teardown(state);
}

/* sg1.conf as a tree */
static struct conf *sg1(void)
{
    struct conf *c = conf_new(sch);
    struct load_result r = {0};

    if (load_text(c->root, sg1_text, &r) != 0)
        fail_msg("sg1.conf line %d: %s", r.errs[0].line, r.errs[0].msg);
    load_result_free(&r);
    return c;
}

static void set(struct conf *c, const char *line)
{
    char err[512];

    if (conf_set_line(c->root, line, err, sizeof(err)) != 0)
        fail_msg("set %s: %s", line, err);
}

static void del(struct conf *c, const char *line)
{
    char err[512];

    if (conf_delete_line(c->root, line, err, sizeof(err)) != 0)
        fail_msg("delete %s: %s", line, err);
}

static char *rendered(const struct findings *fs)
{
    struct buf b;

    buf_init(&b);
    findings_render(&b, fs);
    return b.s ? buf_steal(&b) : strdup("");
}

/* Run the checks on c and free it. */
static void check(struct conf *c, struct findings *fs)
{
    memset(fs, 0, sizeof(*fs));
    checks_run(c->root, fs);
    conf_free(c);
}

static void expect_clean(struct conf *c)
{
    struct findings fs;
    char *t;

    check(c, &fs);
    t = rendered(&fs);
    if (fs.n != 0)
        fail_msg("expected no findings, got:\n%s", t);
    free(t);
    findings_free(&fs);
}

/* The findings of c are exactly the n given (path, stmt, msg, warning). */
struct exp {
    const char *path, *stmt, *msg;
    int warning;
};

static void expect(struct conf *c, const struct exp *e, size_t n)
{
    struct findings fs;
    char *t;

    check(c, &fs);
    t = rendered(&fs);
    if (fs.n != n)
        fail_msg("expected %zu findings, got %zu:\n%s", n, fs.n, t);
    for (size_t i = 0; i < n; i++) {
        const struct finding *f = &fs.f[i];
        if (strcmp(f->path, e[i].path) != 0 || strcmp(f->stmt, e[i].stmt) != 0 ||
            strcmp(f->msg, e[i].msg) != 0 || f->warning != e[i].warning)
            fail_msg("finding %zu: expected\n[edit %s]\n  '%s'\n    %s%s\ngot:\n%s", i, e[i].path,
                     e[i].stmt, e[i].warning ? "warning: " : "", e[i].msg, t);
    }
    free(t);
    findings_free(&fs);
}

static void expect1(struct conf *c, const char *path, const char *stmt, const char *msg)
{
    struct exp e = {path, stmt, msg, 0};

    expect(c, &e, 1);
}

/* ---------- sg1.conf ---------- */

TEST(test_sg1_clean)
{
    struct conf *c = sg1();
    struct findings fs = {0};

    validate_schema_rules(c->root, &fs);
    assert_int_equal(fs.n, 0);
    expect_clean(c);
}

/* The checks see the expanded configuration: groups applied. */
TEST(test_expanded_groups)
{
    struct conf *c = sg1(), *e;

    del(c, "interfaces ms-1/0/0 unit 2 service-domain");
    set(c, "groups G interfaces <ms-*> unit <*> service-domain outside");
    e = conf_expand(c, 0);
    expect1(e, "services service-set SG1 next-hop-service", "outside-service-interface ms-1/0/0.2",
            "logical interface 'ms-1/0/0.2' has no service-domain: 'service-domain outside' is "
            "required");
    set(c, "apply-groups G");
    e = conf_expand(c, 0);
    conf_free(c);
    expect_clean(e);
}

/* ---------- 1. access profile clients ---------- */

TEST(test_one_client_per_profile)
{
    struct conf *c = sg1();

    set(c, "access profile dyn-peers client peer2 ike interface-id dyn-pool");
    expect1(c, "access profile dyn-peers", "client peer2",
            "only one client is allowed per access profile: client '*' is already configured");
}

TEST(test_client_must_be_star)
{
    struct conf *c = sg1();

    set(c, "access profile p2 client peer1 ike interface-id dyn-pool");
    expect1(c, "access profile p2", "client peer1",
            "the client of an IKE access profile must be '*' (all dynamic peers)");
    c = sg1();
    set(c, "access profile p2 client * ike interface-id dyn-pool");
    expect_clean(c);
}

/* ---------- 2. interface-id names a pool ---------- */

TEST(test_interface_id_pool)
{
    struct conf *c = sg1();

    set(c, "access profile dyn-peers client * ike interface-id no-pool");
    expect1(c, "access profile dyn-peers client * ike", "interface-id no-pool",
            "no logical interface is configured with 'dial-options ipsec-interface-id no-pool'");
    c = sg1();
    set(c, "access profile dyn-peers client * ike interface-id pool2");
    set(c, "interfaces ms-1/0/0 unit 1 dial-options ipsec-interface-id pool2");
    expect_clean(c);
}

/* ---------- 3. the service set's access profile exists ---------- */

TEST(test_access_profile_defined)
{
    struct conf *c = sg1();
    struct findings fs;
    char *t;

    set(c, "services service-set SG1 ipsec-vpn-options ike-access-profile nothere");
    check(c, &fs);
    t = rendered(&fs);
    assert_string_equal(t, "[edit services service-set SG1 ipsec-vpn-options]\n"
                           "  'ike-access-profile nothere'\n"
                           "    referenced access profile 'nothere' is not defined\n"
                           "error: configuration check-out failed\n");
    assert_int_equal(findings_errors(&fs), 1);
    free(t);
    findings_free(&fs);
}

TEST(test_access_profile_without_client)
{
    struct conf *c = sg1();

    set(c, "access profile empty");
    set(c, "services service-set SG1 ipsec-vpn-options ike-access-profile empty");
    expect1(c, "services service-set SG1 ipsec-vpn-options", "ike-access-profile empty",
            "access profile 'empty' has no 'client * ike' configuration for dynamic peers");
}

/* ---------- 4. dial-options ---------- */

/* ipsec-interface-id and l2tp-interface-id are a choice: every loader and
 * group merge replaces one by the other, so the tree is built by hand. */
TEST(test_dial_options_one_interface_id)
{
    struct conf *c = sg1(), *scratch = sg1();
    struct cnode *d = (struct cnode *)ck_get(c->root, "interfaces", "ms-1/0/0", "unit", "1",
                                             "dial-options", NULL);

    set(scratch, "interfaces ms-1/0/0 unit 1 dial-options l2tp-interface-id l2");
    cnode_insert(d, cnode_dup(ck_get(scratch->root, "interfaces", "ms-1/0/0", "unit", "1",
                                     "dial-options", "l2tp-interface-id", NULL)));
    conf_free(scratch);
    expect1(c, "interfaces ms-1/0/0 unit 1 dial-options", "l2tp-interface-id l2",
            "'ipsec-interface-id' and 'l2tp-interface-id' are mutually exclusive: only one "
            "interface identifier may be configured");
}

TEST(test_dial_options_mode_required)
{
    struct conf *c = sg1();

    del(c, "interfaces ms-1/0/0 unit 1 dial-options shared");
    expect1(c, "interfaces ms-1/0/0 unit 1 dial-options", "ipsec-interface-id dyn-pool",
            "'ipsec-interface-id' requires either 'shared' or 'dedicated'");
    c = sg1();
    set(c, "interfaces ms-1/0/0 unit 1 dial-options dedicated");
    expect_clean(c);
}

/* ---------- 5. next-hop service set units ---------- */

TEST(test_nh_unit_not_configured)
{
    struct conf *c = sg1();

    set(c, "services service-set SG1 next-hop-service outside-service-interface ms-1/0/0.7");
    expect1(c, "services service-set SG1 next-hop-service", "outside-service-interface ms-1/0/0.7",
            "logical interface 'ms-1/0/0.7' is not configured");
}

TEST(test_nh_unit_zero)
{
    struct conf *c = sg1();

    set(c, "services service-set SG1 next-hop-service outside-service-interface ms-1/0/0.0");
    expect1(c, "services service-set SG1 next-hop-service", "outside-service-interface ms-1/0/0.0",
            "unit 0 cannot be used by a next-hop service set");
}

TEST(test_nh_not_services_interface)
{
    struct conf *c = sg1();

    set(c, "services service-set SG1 next-hop-service outside-service-interface ge-0/0/1.0");
    expect1(c, "services service-set SG1 next-hop-service", "outside-service-interface ge-0/0/1.0",
            "'ge-0/0/1.0' is not a services interface: next-hop service sets use ms- or ams "
            "interfaces");
}

TEST(test_nh_missing)
{
    struct conf *c = sg1();

    del(c, "services service-set SG1 next-hop-service outside-service-interface");
    expect1(c, "services service-set SG1", "next-hop-service",
            "Missing mandatory statement: 'outside-service-interface'");
    c = sg1();
    del(c, "services service-set SG1 next-hop-service");
    expect1(c, "services", "service-set SG1", "Missing mandatory statement: 'next-hop-service'");
}

TEST(test_nh_service_domain)
{
    struct conf *c = sg1();

    set(c, "interfaces ms-1/0/0 unit 2 service-domain inside");
    expect1(c, "services service-set SG1 next-hop-service", "outside-service-interface ms-1/0/0.2",
            "logical interface 'ms-1/0/0.2' has 'service-domain inside': 'service-domain "
            "outside' is required");
    c = sg1();
    del(c, "interfaces ms-1/0/0 unit 2 service-domain");
    expect1(c, "services service-set SG1 next-hop-service", "outside-service-interface ms-1/0/0.2",
            "logical interface 'ms-1/0/0.2' has no service-domain: 'service-domain outside' is "
            "required");
}

TEST(test_nh_same_pic)
{
    struct conf *c = sg1();

    set(c, "interfaces ms-2/0/0 unit 2 service-domain outside");
    set(c, "services service-set SG1 next-hop-service outside-service-interface ms-2/0/0.2");
    expect1(c, "services service-set SG1 next-hop-service", "outside-service-interface ms-2/0/0.2",
            "inside and outside service interfaces must be on the same services PIC: "
            "inside-service-interface is on ms-1/0/0");
    c = sg1();
    set(c, "services service-set SG1 next-hop-service outside-service-interface ms-1/0/0.1");
    {
        struct exp e[] = {
            {"services service-set SG1 next-hop-service", "outside-service-interface ms-1/0/0.1",
             "logical interface 'ms-1/0/0.1' has 'service-domain inside': 'service-domain "
             "outside' is required",
             0},
            {"services service-set SG1 next-hop-service", "outside-service-interface ms-1/0/0.1",
             "inside and outside service interfaces must be different logical interfaces", 0},
        };
        expect(c, e, 2);
    }
}

TEST(test_nh_unit_in_one_service_set)
{
    struct conf *c = sg1();
    const char *msg1 = "logical interface 'ms-1/0/0.1' is already used by service set 'SG1': a "
                       "logical interface belongs to one service set only";
    const char *msg2 = "logical interface 'ms-1/0/0.2' is already used by service set 'SG1': a "
                       "logical interface belongs to one service set only";
    struct exp e[] = {
        {"services service-set SG2 next-hop-service", "inside-service-interface ms-1/0/0.1", msg1,
         0},
        {"services service-set SG2 next-hop-service", "outside-service-interface ms-1/0/0.2", msg2,
         0},
    };

    set(c, "services service-set SG2 next-hop-service inside-service-interface ms-1/0/0.1");
    set(c, "services service-set SG2 next-hop-service outside-service-interface ms-1/0/0.2");
    expect(c, e, 2);
}

TEST(test_unit_in_one_routing_instance)
{
    struct conf *c = sg1();

    set(c, "routing-instances vr2 instance-type virtual-router");
    set(c, "routing-instances vr2 interface ms-1/0/0.1");
    expect1(c, "routing-instances vr2", "interface ms-1/0/0.1",
            "logical interface 'ms-1/0/0.1' is already in routing instance 'vrf-n1': a logical "
            "interface belongs to one routing instance only");
}

/* ---------- 6. the inside interface and its pool in one VRF ---------- */

/* sg1 with a dedicated pool of two units, ms-1/0/0.1 and ms-1/0/0.3 */
static struct conf *dedicated_pool(void)
{
    struct conf *c = sg1();

    set(c, "interfaces ms-1/0/0 unit 1 dial-options dedicated");
    set(c, "interfaces ms-1/0/0 unit 3 family inet");
    set(c, "interfaces ms-1/0/0 unit 3 service-domain inside");
    set(c, "interfaces ms-1/0/0 unit 3 dial-options ipsec-interface-id dyn-pool");
    set(c, "interfaces ms-1/0/0 unit 3 dial-options dedicated");
    return c;
}

TEST(test_pool_same_vrf)
{
    struct conf *c = dedicated_pool();

    expect1(c, "interfaces ms-1/0/0 unit 3 dial-options", "ipsec-interface-id dyn-pool",
            "pool unit ms-1/0/0.3 must be in the same VRF as inside-service-interface "
            "ms-1/0/0.1 of service set 'SG1': ms-1/0/0.3 is in the default routing instance, "
            "ms-1/0/0.1 is in routing instance 'vrf-n1'");
    c = dedicated_pool();
    set(c, "routing-instances vrf-n1 interface ms-1/0/0.3");
    expect_clean(c);
}

/* ---------- 7. tunnel distribution ---------- */

/* sg1 plus SG2 on ms-2/0/0 sharing the access profile */
static struct conf *two_sets(void)
{
    struct conf *c = sg1();

    set(c, "interfaces ms-2/0/0 unit 1 family inet");
    set(c, "interfaces ms-2/0/0 unit 1 service-domain inside");
    set(c, "interfaces ms-2/0/0 unit 1 dial-options ipsec-interface-id dyn-pool");
    set(c, "interfaces ms-2/0/0 unit 1 dial-options shared");
    set(c, "interfaces ms-2/0/0 unit 2 family inet");
    set(c, "interfaces ms-2/0/0 unit 2 service-domain outside");
    set(c, "services service-set SG2 next-hop-service inside-service-interface ms-2/0/0.1");
    set(c, "services service-set SG2 next-hop-service outside-service-interface ms-2/0/0.2");
    set(c, "services service-set SG2 ipsec-vpn-options local-gateway 203.0.113.1");
    set(c, "services service-set SG2 ipsec-vpn-options ike-access-profile dyn-peers");
    set(c, "routing-instances vrf-n1 interface ms-2/0/0.1");
    return c;
}

TEST(test_distribution_valid)
{
    expect_clean(two_sets());
}

TEST(test_distribution_same_local_gateway)
{
    struct conf *c = two_sets();

    set(c, "services service-set SG2 ipsec-vpn-options local-gateway 203.0.113.2");
    expect1(c, "services service-set SG2 ipsec-vpn-options", "local-gateway 203.0.113.2",
            "service sets sharing ike-access-profile 'dyn-peers' must have the same "
            "local-gateway: service set 'SG1' has 203.0.113.1");
}

TEST(test_distribution_same_interface_type)
{
    struct conf *c = sg1();

    set(c, "interfaces ams0 unit 1 family inet");
    set(c, "interfaces ams0 unit 1 service-domain inside");
    set(c, "interfaces ams0 unit 1 dial-options ipsec-interface-id dyn-pool");
    set(c, "interfaces ams0 unit 1 dial-options shared");
    set(c, "interfaces ams0 unit 2 family inet");
    set(c, "interfaces ams0 unit 2 service-domain outside");
    set(c, "services service-set SG2 next-hop-service inside-service-interface ams0.1");
    set(c, "services service-set SG2 next-hop-service outside-service-interface ams0.2");
    set(c, "services service-set SG2 ipsec-vpn-options local-gateway 203.0.113.1");
    set(c, "services service-set SG2 ipsec-vpn-options ike-access-profile dyn-peers");
    set(c, "routing-instances vrf-n1 interface ams0.1");
    expect1(c, "services service-set SG2 next-hop-service", "inside-service-interface ams0.1",
            "service sets sharing ike-access-profile 'dyn-peers' must all use ms- or all use "
            "ams interfaces: service set 'SG1' uses ms-1/0/0.1");
}

TEST(test_distribution_outside_vrf)
{
    struct conf *c = two_sets();

    set(c, "routing-instances vr-out instance-type virtual-router");
    set(c, "routing-instances vr-out interface ms-2/0/0.2");
    expect1(c, "services service-set SG2 next-hop-service", "outside-service-interface ms-2/0/0.2",
            "service sets sharing ike-access-profile 'dyn-peers' must have their outside "
            "interfaces in the same VRF: ms-2/0/0.2 is in routing instance 'vr-out', ms-1/0/0.2 "
            "(service set 'SG1') is in the default routing instance");
}

TEST(test_distribution_inside_vrf)
{
    struct conf *c = two_sets();

    del(c, "routing-instances vrf-n1 interface ms-2/0/0.1");
    expect1(c, "services service-set SG2 next-hop-service", "inside-service-interface ms-2/0/0.1",
            "service sets sharing ike-access-profile 'dyn-peers' must have their inside "
            "interfaces and pools in the same VRF: ms-2/0/0.1 is in the default routing "
            "instance, ms-1/0/0.1 (service set 'SG1') is in routing instance 'vrf-n1'");
}

TEST(test_distribution_pool_empty)
{
    struct conf *c = two_sets();

    del(c, "interfaces ms-2/0/0 unit 1 dial-options");
    expect1(c, "services service-set SG2 ipsec-vpn-options", "ike-access-profile dyn-peers",
            "no unit of ms-2/0/0 has 'dial-options ipsec-interface-id dyn-pool' (the "
            "interface-id of access profile 'dyn-peers'): the service set has no interface "
            "pool");
}

TEST(test_pool_only_on_inside_devices)
{
    struct conf *c = sg1();

    set(c, "interfaces ms-3/0/0 unit 1 service-domain inside");
    set(c, "interfaces ms-3/0/0 unit 1 dial-options ipsec-interface-id dyn-pool");
    set(c, "interfaces ms-3/0/0 unit 1 dial-options shared");
    expect1(c, "interfaces ms-3/0/0 unit 1 dial-options", "ipsec-interface-id dyn-pool",
            "ipsec-interface-id dyn-pool (access profile 'dyn-peers') may only be configured on "
            "the inside services interfaces of the service sets using the profile (ms-1/0/0)");
}

TEST(test_pool_service_domain_inside)
{
    struct conf *c = dedicated_pool();

    set(c, "routing-instances vrf-n1 interface ms-1/0/0.3");
    set(c, "interfaces ms-1/0/0 unit 3 service-domain outside");
    expect1(c, "interfaces ms-1/0/0 unit 3 dial-options", "ipsec-interface-id dyn-pool",
            "pool unit ms-1/0/0.3 must have 'service-domain inside'");
}

TEST(test_pool_shared_or_dedicated)
{
    struct conf *c = dedicated_pool();

    set(c, "routing-instances vrf-n1 interface ms-1/0/0.3");
    set(c, "interfaces ms-1/0/0 unit 1 dial-options shared");
    expect1(c, "interfaces ms-1/0/0 unit 3 dial-options", "dedicated",
            "units of pool 'dyn-pool' must be all shared or all dedicated: ms-1/0/0.1 is shared");
}

TEST(test_pool_one_shared_unit_per_device)
{
    struct conf *c = dedicated_pool();

    set(c, "routing-instances vrf-n1 interface ms-1/0/0.3");
    set(c, "interfaces ms-1/0/0 unit 1 dial-options shared");
    set(c, "interfaces ms-1/0/0 unit 3 dial-options shared");
    expect1(c, "interfaces ms-1/0/0 unit 3 dial-options", "shared",
            "only one shared unit per interface is allowed in pool 'dyn-pool': ms-1/0/0.1 is "
            "already shared");
    /* one shared unit on each of two devices is the distributed shared pool */
    expect_clean(two_sets());
}

/* ---------- 8. no signatures for dynamic peers ---------- */

TEST(test_ike_policy_no_signatures)
{
    struct conf *c = sg1();

    set(c, "services ipsec-vpn ike proposal ike-aes128-sha1-g2 authentication-method "
           "rsa-signatures");
    expect1(c, "access profile dyn-peers client * ike", "ike-policy ike-dyn",
            "IKE policy 'ike-dyn' uses proposal 'ike-aes128-sha1-g2' with "
            "'authentication-method rsa-signatures': RSA and DSA signatures are not supported "
            "for dynamic peers");
}

/* ---------- 9. references, routing instances ---------- */

TEST(test_ref_access_policies)
{
    struct conf *c = sg1();
    struct exp e[] = {
        {"access profile dyn-peers client * ike", "ike-policy nope1",
         "referenced IKE policy 'nope1' is not defined", 0},
        {"access profile dyn-peers client * ike", "ipsec-policy nope2",
         "referenced IPsec policy 'nope2' is not defined", 0},
    };

    set(c, "access profile dyn-peers client * ike ike-policy nope1");
    set(c, "access profile dyn-peers client * ike ipsec-policy nope2");
    expect(c, e, 2);
}

TEST(test_ref_proposals)
{
    struct conf *c = sg1();
    struct exp e[] = {
        {"services ipsec-vpn ike policy ike-dyn", "proposals nope1",
         "referenced IKE proposal 'nope1' is not defined", 0},
        {"services ipsec-vpn ipsec policy ipsec-dyn", "proposals nope2",
         "referenced IPsec proposal 'nope2' is not defined", 0},
    };

    set(c, "services ipsec-vpn ike policy ike-dyn proposals nope1");
    set(c, "services ipsec-vpn ipsec policy ipsec-dyn proposals nope2");
    expect(c, e, 2);
}

TEST(test_ref_rules)
{
    struct conf *c = sg1();
    struct exp e[] = {
        {"services service-set SG1", "ipsec-vpn-rules r2",
         "referenced IPsec VPN rule 'r2' is not defined", 0},
        {"services ipsec-vpn rule r1 term t1 from", "ipsec-inside-interface ms-1/0/0.9",
         "logical interface 'ms-1/0/0.9' is not configured", 0},
        {"services ipsec-vpn rule r1 term t1 then dynamic", "ike-policy nope1",
         "referenced IKE policy 'nope1' is not defined", 0},
        {"services ipsec-vpn rule r1 term t1 then dynamic", "ipsec-policy nope2",
         "referenced IPsec policy 'nope2' is not defined", 0},
        {"services ipsec-vpn rule-set rs1", "rule r3",
         "referenced IPsec VPN rule 'r3' is not defined", 0},
    };

    set(c, "services ipsec-vpn rule r1 match-direction input");
    set(c, "services ipsec-vpn rule r1 term t1 from ipsec-inside-interface ms-1/0/0.9");
    set(c, "services ipsec-vpn rule r1 term t1 then remote-gateway 198.51.100.2");
    set(c, "services ipsec-vpn rule r1 term t1 then dynamic ike-policy nope1");
    set(c, "services ipsec-vpn rule r1 term t1 then dynamic ipsec-policy nope2");
    set(c, "services ipsec-vpn rule-set rs1 rule r1");
    set(c, "services ipsec-vpn rule-set rs1 rule r3");
    set(c, "services service-set SG1 ipsec-vpn-rules r1");
    set(c, "services service-set SG1 ipsec-vpn-rules r2");
    expect(c, e, 5);
    c = sg1();
    set(c, "services service-set SG1 ipsec-vpn-rule-sets rs9");
    expect1(c, "services service-set SG1", "ipsec-vpn-rule-sets rs9",
            "referenced IPsec VPN rule set 'rs9' is not defined");
}

TEST(test_ref_interfaces_and_instances)
{
    struct conf *c = sg1();
    struct exp e[] = {
        {"routing-options static route 10.2.2.0/24", "next-hop ms-1/0/0.9",
         "logical interface 'ms-1/0/0.9' is not configured", 0},
        {"routing-instances vrf-n1", "interface ge-0/0/5.0",
         "logical interface 'ge-0/0/5.0' is not configured", 0},
        {"routing-instances vrf-n1 routing-options static route 10.3.3.0/24", "next-hop ge-0/0/7.0",
         "logical interface 'ge-0/0/7.0' is not configured", 0},
        {"services service-set SG1 ipsec-vpn-options",
         "local-gateway 203.0.113.1 routing-instance nope",
         "referenced routing instance 'nope' is not defined", 0},
    };

    set(c, "routing-options static route 10.2.2.0/24 next-hop ms-1/0/0.9");
    set(c, "routing-instances vrf-n1 routing-options static route 10.3.3.0/24 next-hop "
           "ge-0/0/7.0");
    set(c, "routing-instances vrf-n1 interface ge-0/0/5.0");
    set(c, "services service-set SG1 ipsec-vpn-options local-gateway routing-instance nope");
    expect(c, e, 4);
    c = sg1();
    set(c, "routing-options static route 10.2.2.0/24 next-hop ms-1/0/0.1");
    set(c, "routing-instances vrf-n1 routing-options static route 10.3.3.0/24 next-hop "
           "10.1.1.1");
    expect_clean(c);
}

TEST(test_routing_instance_rules)
{
    struct conf *c = sg1();
    struct exp e[] = {
        {"routing-instances vrf-n1", "instance-type vrf",
         "a vrf instance requires 'route-distinguisher'", 0},
        {"routing-instances vrf-n1", "instance-type vrf", "a vrf instance requires 'vrf-target'",
         0},
        {"routing-instances", "default",
         "'default' is reserved: a routing instance cannot be named 'default'", 0},
    };

    del(c, "routing-instances vrf-n1 route-distinguisher");
    del(c, "routing-instances vrf-n1 vrf-target");
    set(c, "routing-instances default instance-type virtual-router");
    expect(c, e, 3);
}

TEST(test_local_gateway_required)
{
    struct conf *c = sg1();

    del(c, "services service-set SG1 ipsec-vpn-options local-gateway");
    expect1(c, "services service-set SG1", "ipsec-vpn-options",
            "Missing mandatory statement: 'local-gateway'");
}

/* ---------- warnings ---------- */

TEST(test_warning_dpd)
{
    struct conf *c = sg1();
    struct exp e = {"access profile dyn-peers client * ike", "dead-peer-detection",
                    "'dead-peer-detection' is ignored for dynamic peers: OpenSG answers their "
                    "DPD requests but never initiates DPD",
                    1};

    set(c, "access profile dyn-peers client * ike dead-peer-detection interval 10");
    expect(c, &e, 1);
}

TEST(test_warning_establish_tunnels)
{
    struct conf *c = sg1();
    struct findings fs;
    char *t;

    set(c, "services ipsec-vpn establish-tunnels immediately");
    check(c, &fs);
    t = rendered(&fs);
    /* a warning alone: no summary line, the commit goes on */
    assert_string_equal(t, "[edit services ipsec-vpn]\n"
                           "  'establish-tunnels immediately'\n"
                           "    warning: 'establish-tunnels' has no effect: kmd is an IKE "
                           "responder only and never initiates tunnels\n");
    assert_int_equal(findings_errors(&fs), 0);
    free(t);
    findings_free(&fs);
}

TEST(test_warning_local_gateway)
{
    struct conf *c = sg1();
    struct exp e = {"services service-set SG1 ipsec-vpn-options", "local-gateway 198.51.100.7",
                    "local-gateway 198.51.100.7 is neither an interface address nor in a "
                    "connected subnet of the default routing instance: no ARP is answered for "
                    "it, peers reach it only if it is routed here",
                    1};

    set(c, "services service-set SG1 ipsec-vpn-options local-gateway 198.51.100.7");
    expect(c, &e, 1);
    /* an appliance /32 inside a connected subnet is fine */
    c = sg1();
    set(c, "services service-set SG1 ipsec-vpn-options local-gateway 203.0.113.9");
    expect_clean(c);
}

/* A local-gateway no peer can send to; a proxy pair of two families. */
TEST(test_unusable_gateway_and_mixed_proxy_pair)
{
    static const char *bad[] = {"0.0.0.0", "127.0.0.1", "224.0.0.1", "240.0.0.1",
                                "255.255.255.255"};
    char stmt[64], msg[200], line[200];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct conf *c = sg1();
        struct exp e = {"services service-set SG1 ipsec-vpn-options", stmt, msg, 0};

        snprintf(stmt, sizeof(stmt), "local-gateway %s", bad[i]);
        snprintf(msg, sizeof(msg),
                 "local-gateway %s is not a unicast address a peer can send to (unspecified, "
                 "loopback, multicast, reserved or broadcast)",
                 bad[i]);
        snprintf(line, sizeof(line), "services service-set SG1 ipsec-vpn-options %s", stmt);
        set(c, line);
        expect(c, &e, 1);
    }
    {
        struct conf *c = sg1();
        struct exp e = {"access profile dyn-peers client * ike",
                        "allowed-proxy-pair remote 2001:db8::/32 local 10.1.1.0/24",
                        "allowed-proxy-pair remote 2001:db8::/32 local 10.1.1.0/24: the remote "
                        "and local prefixes must be of the same address family",
                        0};
        set(c, "access profile dyn-peers client * ike allowed-proxy-pair remote 2001:db8::/32 "
               "local 10.1.1.0/24");
        expect(c, &e, 1);
        c = sg1();
        set(c, "access profile dyn-peers client * ike allowed-proxy-pair remote 2001:db8::/32 "
               "local 2001:db8:1::/48");
        expect_clean(c);
    }
}

/* A syslog file may not take a daemon's log file or an archive's name. */
TEST(test_syslog_file_names)
{
    struct conf *c = sg1();
    struct exp e[] = {
        {"system syslog", "file kmd",
         "syslog file 'kmd' is a daemon's own log file (mgd.log, kmd, kmd-keys.log, the "
         "traceoptions file): choose another name",
         0},
        {"system syslog", "file messages.1",
         "syslog file 'messages.1' has the name of an archive (NAME.N) of another", 0},
        {"system syslog", "file tr.log",
         "syslog file 'tr.log' is a daemon's own log file (mgd.log, kmd, kmd-keys.log, the "
         "traceoptions file): choose another name",
         0},
    };

    set(c, "system syslog file kmd any any");
    set(c, "system syslog file messages.1 any any");
    set(c, "services ipsec-vpn traceoptions file tr.log");
    set(c, "system syslog file tr.log any any");
    set(c, "system syslog file v1.log.old any any");
    expect(c, e, 3);
}

/* ---------- the nearest earlier user ---------- */

#define IN_RI(r)                                                                                   \
    "logical interface 'ms-1/0/0.1' is already in routing instance '" r "': a logical interface "  \
    "belongs to one routing instance only"
#define IN_SS(u, s)                                                                                \
    "logical interface '" u "' is already used by service set '" s "': a logical interface "       \
    "belongs to one service set only"

/* A unit listed by three routing instances, units used by three service
 * sets: each one names the latest earlier one. */
TEST(test_nearest_earlier_user)
{
    struct conf *c = sg1();
    struct exp e[] = {
        {"routing-instances vr2", "interface ms-1/0/0.1", IN_RI("vrf-n1"), 0},
        {"routing-instances vr3", "interface ms-1/0/0.1", IN_RI("vr2"), 0},
        {"services service-set SG2 next-hop-service", "inside-service-interface ms-1/0/0.1",
         IN_SS("ms-1/0/0.1", "SG1"), 0},
        {"services service-set SG2 next-hop-service", "outside-service-interface ms-1/0/0.2",
         IN_SS("ms-1/0/0.2", "SG1"), 0},
        {"services service-set SG3 next-hop-service", "inside-service-interface ms-1/0/0.1",
         IN_SS("ms-1/0/0.1", "SG2"), 0},
        {"services service-set SG3 next-hop-service", "outside-service-interface ms-1/0/0.2",
         IN_SS("ms-1/0/0.2", "SG2"), 0},
    };

    set(c, "services service-set SG2 next-hop-service inside-service-interface ms-1/0/0.1");
    set(c, "services service-set SG2 next-hop-service outside-service-interface ms-1/0/0.2");
    set(c, "services service-set SG3 next-hop-service inside-service-interface ms-1/0/0.1");
    set(c, "services service-set SG3 next-hop-service outside-service-interface ms-1/0/0.2");
    set(c, "routing-instances vr2 instance-type virtual-router");
    set(c, "routing-instances vr2 interface ms-1/0/0.1");
    set(c, "routing-instances vr3 instance-type virtual-router");
    set(c, "routing-instances vr3 interface ms-1/0/0.1");
    expect(c, e, sizeof(e) / sizeof(e[0]));
}

/* An identical finding already in fs (from layer 1, say) is not repeated. */
TEST(test_finding_already_there)
{
    struct conf *c = sg1();
    struct findings fs = {0};

    set(c, "services ipsec-vpn establish-tunnels immediately");
    findings_add(&fs, 1, "services ipsec-vpn", "establish-tunnels immediately",
                 "'establish-tunnels' has no effect: kmd is an IKE responder only and never "
                 "initiates tunnels");
    checks_run(c->root, &fs);
    assert_int_equal(fs.n, 1);
    findings_free(&fs);
    /* an error with the same text is another finding */
    findings_add(&fs, 0, "services ipsec-vpn", "establish-tunnels immediately",
                 "'establish-tunnels' has no effect: kmd is an IKE responder only and never "
                 "initiates tunnels");
    checks_run(c->root, &fs);
    assert_int_equal(fs.n, 2);
    assert_int_equal(fs.f[1].warning, 1);
    findings_free(&fs);
    conf_free(c);
}

/* ---------- the context's map ---------- */

TEST(test_map)
{
    struct ck_map m = {0};
    char keys[3000][16];
    int added;
    struct ck_ent *e;

    for (int i = 0; i < 3000; i++) {
        snprintf(keys[i], sizeof(keys[i]), "k%d", i);
        e = ck_map_put(&m, keys[i], NULL, &added);
        assert_true(added);
        e->i = (size_t)i;
        /* the same string with a pointer is another key */
        e = ck_map_put(&m, keys[i], &m, &added);
        assert_true(added);
        e->i = (size_t)i + 10000;
    }
    e = ck_map_put(&m, NULL, keys, &added);
    assert_true(added);
    e->v = keys[7];
    assert_int_equal(m.n, 6001);
    for (int i = 0; i < 3000; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i); /* compared by content */
        assert_non_null(e = ck_map_get(&m, k, NULL));
        assert_int_equal(e->i, i);
        assert_non_null(e = ck_map_get(&m, k, &m));
        assert_int_equal(e->i, i + 10000);
        e = ck_map_put(&m, k, NULL, &added);
        assert_false(added);
    }
    assert_ptr_equal(ck_map_get(&m, NULL, keys)->v, keys[7]);
    assert_null(ck_map_get(&m, "k3000", NULL));
    assert_null(ck_map_get(&m, "k1", keys));
    assert_null(ck_map_get(&m, NULL, NULL));
    assert_int_equal(m.n, 6001);
    ck_map_free(&m);
    assert_null(ck_map_get(&m, "k1", NULL));
}

/* ---------- large configurations ---------- */

/* bench/commit/gen.py in C: n service sets s<i> on 40 services PICs, each
 * with inside and outside units and access profile p<i>, its inside unit
 * the shared pool pool<i>.  one_group: every service set uses p0 instead,
 * with the same local-gateway and one shared pool unit per PIC (the
 * inside unit of its first service set). */
static struct conf *big(int n, int one_group)
{
    const int pics = 40, per_pic = (n + pics - 1) / pics;
    struct conf *c = conf_new(sch);
    struct load_result r = {0};
    struct buf b;
    char *t;

    buf_init(&b);
    buf_puts(&b, "interfaces {\n ge-0/0/1 { unit 0 { family inet { address 198.18.0.1/16; } } }\n");
    for (int p = 0; p < pics && p * per_pic < n; p++) {
        buf_printf(&b, " ms-%d/%d/0 {\n", p / 4, p % 4);
        for (int k = 0, i = p * per_pic; k < per_pic && i < n; k++, i++) {
            buf_printf(&b, "  unit %d { family inet; service-domain inside;", 2 * k + 1);
            if (!one_group)
                buf_printf(&b, " dial-options { ipsec-interface-id pool%d; shared; }", i);
            else if (k == 0)
                buf_puts(&b, " dial-options { ipsec-interface-id pool0; shared; }");
            buf_printf(&b, " }\n  unit %d { family inet; service-domain outside; }\n", 2 * k + 2);
        }
        buf_puts(&b, " }\n");
    }
    buf_puts(&b, "}\naccess {\n");
    for (int i = 0; i < (one_group ? 1 : n); i++)
        buf_printf(&b,
                   " profile p%d { client * { ike { pre-shared-key ascii-text "
                   "\"$9$ewkMLNs2aikPdbkP5Q9CKM8\"; interface-id pool%d; } } }\n",
                   i, i);
    buf_puts(&b, "}\nservices {\n");
    for (int i = 0; i < n; i++) {
        int p = i / per_pic, k = i % per_pic;
        buf_printf(&b,
                   " service-set s%d { next-hop-service { inside-service-interface "
                   "ms-%d/%d/0.%d; outside-service-interface ms-%d/%d/0.%d; }\n",
                   i, p / 4, p % 4, 2 * k + 1, p / 4, p % 4, 2 * k + 2);
        if (one_group)
            buf_puts(&b, "  ipsec-vpn-options { local-gateway 198.18.0.1; ike-access-profile p0; "
                         "} }\n");
        else
            buf_printf(&b,
                       "  ipsec-vpn-options { local-gateway 198.18.%d.%d; ike-access-profile p%d; "
                       "} }\n",
                       i / 256 % 256 + 1, i % 256, i);
    }
    buf_puts(&b, "}\n");
    t = buf_steal(&b);
    if (load_text(c->root, t, &r) != 0)
        fail_msg("big(%d) line %d: %s", n, r.errs[0].line, r.errs[0].msg);
    load_result_free(&r);
    free(t);
    return c;
}

/* checks_run() on c into a fresh fs. */
static void run_checks(struct conf *c, struct findings *fs)
{
    memset(fs, 0, sizeof(*fs));
    checks_run(c->root, fs);
}

/* 4,000 service sets: clean.  (Their speed is measured by bench/commit, not
 * asserted here.) */
#define BIG_N 4000

TEST(test_large_clean)
{
    for (int one_group = 0; one_group <= 1; one_group++) {
        struct conf *c = big(BIG_N, one_group);
        struct findings fs;
        char *r;
        run_checks(c, &fs);
        r = rendered(&fs);
        if (fs.n != 0)
            fail_msg("expected no findings, got:\n%s", r);
        free(r);
        findings_free(&fs);
        conf_free(c);
    }
}

/* Mistakes far apart in a large configuration: the same findings as in a
 * small one. */
TEST(test_large_errors)
{
    struct conf *c = big(BIG_N, 0);
    struct findings fs;
    struct exp e[] = {
        {"routing-instances vr1", "interface ms-9/3/0.201",
         "logical interface 'ms-9/3/0.201' is not configured", 0},
        {"services service-set s2001 next-hop-service", "outside-service-interface ms-5/0/0.2",
         IN_SS("ms-5/0/0.2", "s2000"), 0},
        {"services service-set s3999 ipsec-vpn-options", "local-gateway 198.18.16.159",
         "service sets sharing ike-access-profile 'p0' must have the same local-gateway: service "
         "set 's0' has 198.18.1.0",
         0},
        {"services service-set s3999 ipsec-vpn-options", "ike-access-profile p0",
         "no unit of ms-9/3/0 has 'dial-options ipsec-interface-id pool0' (the interface-id of "
         "access profile 'p0'): the service set has no interface pool",
         0},
    };
    /* s2000 and s2001 are on ms-5/0/0, s3999 on ms-9/3/0 (units 199, 200, the last) */
    set(c, "services service-set s2001 next-hop-service outside-service-interface ms-5/0/0.2");
    set(c, "services service-set s3999 ipsec-vpn-options ike-access-profile p0");
    set(c, "routing-instances vr1 instance-type virtual-router");
    set(c, "routing-instances vr1 interface ms-9/3/0.201");
    run_checks(c, &fs);
    findings_free(&fs);
    expect(c, e, sizeof(e) / sizeof(e[0]));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sg1_clean),
        cmocka_unit_test(test_expanded_groups),
        cmocka_unit_test(test_one_client_per_profile),
        cmocka_unit_test(test_client_must_be_star),
        cmocka_unit_test(test_interface_id_pool),
        cmocka_unit_test(test_access_profile_defined),
        cmocka_unit_test(test_access_profile_without_client),
        cmocka_unit_test(test_dial_options_one_interface_id),
        cmocka_unit_test(test_dial_options_mode_required),
        cmocka_unit_test(test_nh_unit_not_configured),
        cmocka_unit_test(test_nh_unit_zero),
        cmocka_unit_test(test_nh_not_services_interface),
        cmocka_unit_test(test_nh_missing),
        cmocka_unit_test(test_nh_service_domain),
        cmocka_unit_test(test_nh_same_pic),
        cmocka_unit_test(test_nh_unit_in_one_service_set),
        cmocka_unit_test(test_unit_in_one_routing_instance),
        cmocka_unit_test(test_pool_same_vrf),
        cmocka_unit_test(test_distribution_valid),
        cmocka_unit_test(test_distribution_same_local_gateway),
        cmocka_unit_test(test_distribution_same_interface_type),
        cmocka_unit_test(test_distribution_outside_vrf),
        cmocka_unit_test(test_distribution_inside_vrf),
        cmocka_unit_test(test_distribution_pool_empty),
        cmocka_unit_test(test_pool_only_on_inside_devices),
        cmocka_unit_test(test_pool_service_domain_inside),
        cmocka_unit_test(test_pool_shared_or_dedicated),
        cmocka_unit_test(test_pool_one_shared_unit_per_device),
        cmocka_unit_test(test_ike_policy_no_signatures),
        cmocka_unit_test(test_ref_access_policies),
        cmocka_unit_test(test_ref_proposals),
        cmocka_unit_test(test_ref_rules),
        cmocka_unit_test(test_ref_interfaces_and_instances),
        cmocka_unit_test(test_routing_instance_rules),
        cmocka_unit_test(test_local_gateway_required),
        cmocka_unit_test(test_warning_dpd),
        cmocka_unit_test(test_warning_establish_tunnels),
        cmocka_unit_test(test_warning_local_gateway),
        cmocka_unit_test(test_unusable_gateway_and_mixed_proxy_pair),
        cmocka_unit_test(test_syslog_file_names),
        cmocka_unit_test(test_nearest_earlier_user),
        cmocka_unit_test(test_finding_already_there),
        cmocka_unit_test(test_map),
        cmocka_unit_test(test_large_clean),
        cmocka_unit_test(test_large_errors),
    };

    return cmocka_run_group_tests(tests, setup, teardown);
}
