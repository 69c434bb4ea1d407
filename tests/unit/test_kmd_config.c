/*
 * test_kmd_config: kmd's configuration model built from docs/examples/
 * sg1.conf: decoded keys, linked policies, service set, pool and VRF.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../schema_fixture.h"

#include "buf.h"
#include "config.h"
#include "groups.h"
#include "path.h"
#include "render.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct conf *sg1(void)
{
    struct conf *c = conf_new(sch), *e;
    struct load_result r = {0};
    char *text = buf_read_file(SOURCE_DIR "/docs/examples/sg1.conf");

    assert_non_null(text);
    assert_int_equal(load_text(c->root, text, &r), 0);
    free(text);
    e = conf_expand(c, 0);
    conf_free(c);
    return e;
}

static void test_sg1(void **state)
{
    struct conf *c = sg1();
    char err[256];
    struct kmd_config *k = kmd_config_build(c->root, err, sizeof(err));
    const struct kmd_service_set *ss;
    const struct kmd_profile *p;
    struct kmd_prefix net;

    (void)state;
    assert_non_null(k);
    ss = kmd_config_service_set(k, "SG1");
    assert_non_null(ss);
    p = ss->profile;
    assert_non_null(p);
    assert_string_equal(p->name, "dyn-peers");
    assert_int_equal(p->psk_len, strlen("opensg-lab-psk"));
    assert_memory_equal(p->psk, "opensg-lab-psk", p->psk_len);
    assert_int_equal(p->npairs, 2);
    assert_true(kmd_prefix_parse("10.2.2.0/24", &net) == 0);
    assert_true(kmd_prefix_contains(&p->pairs[0].remote, &net));
    assert_non_null(p->ike_policy);
    assert_int_equal(p->ike_policy->nproposals, 2);
    assert_string_equal(p->ike_policy->proposals[0]->dh_group, "group14");
    assert_string_equal(p->ike_policy->proposals[1]->dh_group, "group2");
    assert_string_equal(p->ike_policy->proposals[0]->enc_alg, "aes-128-cbc");
    assert_true(p->ike_policy->any_remote_id);
    assert_non_null(p->ipsec_policy);
    assert_string_equal(p->ipsec_policy->pfs_group, "group14");
    assert_string_equal(p->ipsec_policy->proposals[0]->auth_alg, "hmac-sha1-96");
    assert_string_equal(ss->inside_unit, "ms-1/0/0.1");
    assert_string_equal(ss->pic, "ms-1/0/0");
    assert_string_equal(ss->inside_instance, "vrf-n1");
    assert_int_equal(ss->npool, 1);
    assert_string_equal(ss->pool[0].unit, "ms-1/0/0.1");
    assert_false(ss->pool[0].dedicated);
    assert_int_equal(ss->local_gateway.af, AF_INET);
    assert_int_equal(ss->replay_window, 64);
    kmd_config_free(k);
    conf_free(c);
}

static void test_defaults_and_hex_key(void **state)
{
    struct conf *c = conf_new(sch);
    char err[256];
    struct kmd_config *k;
    const struct kmd_profile *p;
    struct kmd_prefix any, some;

    (void)state;
    assert_int_equal(conf_set_line(c->root,
                                   "access profile p client * ike pre-shared-key "
                                   "hexadecimal 0x0a0B0c",
                                   err, sizeof(err)),
                     0);
    k = kmd_config_build(c->root, err, sizeof(err));
    assert_non_null(k);
    p = &k->profiles[0];
    assert_int_equal(p->psk_len, 3);
    assert_memory_equal(p->psk, "\x0a\x0b\x0c", 3);
    /* no allowed-proxy-pair: ANY(0.0.0.0/0)-ANY, IPv4 only */
    assert_int_equal(p->npairs, 1);
    kmd_prefix_parse("0.0.0.0/0", &any);
    kmd_prefix_parse("192.0.2.0/24", &some);
    assert_true(kmd_prefix_contains(&p->pairs[0].remote, &some));
    kmd_prefix_parse("2001:db8::/32", &some);
    assert_false(kmd_prefix_contains(&p->pairs[0].remote, &some));
    assert_null(p->ike_policy);
    kmd_config_free(k);
    conf_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sg1),
        cmocka_unit_test(test_defaults_and_hex_key),
    };
    return cmocka_run_group_tests(tests, schema_setup, schema_teardown);
}
