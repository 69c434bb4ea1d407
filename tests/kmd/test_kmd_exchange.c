/*
 * test_kmd_exchange: kmd's exchanges in-process against the test
 * initiator (tests/ikeinit), mocked fwdd and clock: main mode and quick
 * mode to completion (aes-128/sha1/group14 with PFS group14, 3des/md5/
 * group2 on the implicit proposal, forced NAT-T with floating, libreswan's
 * proposal number 0), the order and content of the fwdd requests (keys
 * equal to the initiator's KEYMAT), RESPONDER-LIFETIME, DELETE removing
 * everything, R-U-THERE, retransmissions answered identically, the key log.
 */
#include "kmdtest.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PSK "opensg-lab-psk"

static struct ikei *peer(const char *addr, void (*tweak)(struct ikei_conf *))
{
    struct ikei_conf c;
    struct ikei *i;

    ikei_defaults(&c, addr, "203.0.113.1", PSK);
    c.pfs_group = ISAKMP_GROUP_MODP2048;
    if (tweak)
        tweak(&c);
    i = ikei_new(&c);
    assert_non_null(i);
    return i;
}

static void check_sa(const struct fwd_sa *s, uint8_t dir, uint32_t spi, const uint8_t *ekey,
                     const uint8_t *akey, const struct ikei *i)
{
    assert_int_equal(s->dir, dir);
    assert_int_equal(ntohl(s->spi), spi);
    assert_int_equal(s->proto, FWD_PROTO_ESP);
    assert_int_equal(s->cipher_key_len, i->qm.ekey_len);
    assert_int_equal(s->auth_key_len, i->qm.akey_len);
    assert_memory_equal(s->cipher_key, ekey, i->qm.ekey_len);
    assert_memory_equal(s->auth_key, akey, i->qm.akey_len);
    assert_string_equal(s->service_set, "SG1");
    assert_string_equal(s->inside_unit, "ms-1/0/0.1");
}

static void test_aes128_sha1_g14_pfs(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.7", NULL);
    const struct kt_req *r;
    char buf[64];

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_true(i->vids & (1u << ISAKMP_VID_NATT_RFC3947));
    assert_true(i->vids & (1u << ISAKMP_VID_DPD));
    assert_int_equal(kmd_ike_count(t->k), 1);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    /* order: pool at QM1, inbound SA before QM2, then outbound SA, rule, route */
    assert_int_equal(t->nreq, 5);
    assert_int_equal(t->req[0].type, FWD_POOL_RESERVE);
    assert_string_equal(t->req[0].u.pool.pool, "dyn-pool");
    assert_int_equal(t->req[1].type, FWD_SA_ADD);
    check_sa(&t->req[1].u.sa, FWD_DIR_IN, i->qm.spi_r, i->qm.ekey_ir, i->qm.akey_ir, i);
    assert_int_equal(t->req[2].type, FWD_SA_ADD);
    check_sa(&t->req[2].u.sa, FWD_DIR_OUT, i->qm.spi_i, i->qm.ekey_ri, i->qm.akey_ri, i);
    assert_int_equal(t->req[2].u.sa.encap, FWD_ENCAP_NONE);
    assert_int_equal(t->req[2].u.sa.hard_seconds, 3960);
    assert_int_equal(t->req[3].type, FWD_RULE_ADD);
    assert_int_equal(t->req[3].u.rule.sel.src.plen, 24);
    inet_ntop(AF_INET, t->req[3].u.rule.sel.dst.a, buf, sizeof(buf));
    assert_string_equal(buf, "10.2.2.0");
    r = &t->req[4];
    assert_int_equal(r->type, FWD_ROUTE_ADD);
    assert_string_equal(r->u.route.instance, "vrf-n1");
    assert_string_equal(r->u.route.next_hop_unit, "ms-1/0/0.1");
    assert_int_equal(r->u.route.preference, 1);
    assert_int_equal(r->u.route.prefix.plen, 24);
    assert_int_equal(kmd_counters(t->k)->tunnels_up, 1);
    ikei_free(i);
    kt_free(t);
}

static void implicit_3des(struct ikei_conf *c)
{
    c->enc = ISAKMP_ENC_3DES_CBC;
    c->keylen = 0;
    c->hash = ISAKMP_HASH_MD5;
    c->group = ISAKMP_GROUP_MODP1024;
    c->esp_id = ISAKMP_ESP_3DES;
    c->esp_keylen = 0;
    c->aalg = ISAKMP_AALG_HMAC_MD5;
    c->pfs_group = 0;
    c->lnet = "10.2.2.0/24";
    c->rnet = "0.0.0.0/0";
}

static void test_3des_md5_g2_implicit(void **state)
{
    struct kt *t = kt_new(KT_IMPLICIT, PSK);
    struct ikei *i = peer("198.51.100.8", implicit_3des);

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(kt_count(t, FWD_SA_ADD), 2);
    assert_int_equal(kt_nth(t, FWD_SA_ADD, 0)->u.sa.cipher, FWD_CIPHER_3DES_CBC);
    assert_int_equal(kt_nth(t, FWD_SA_ADD, 0)->u.sa.auth, FWD_AUTH_HMAC_MD5_96);
    assert_int_equal(kt_nth(t, FWD_SA_ADD, 0)->u.sa.cipher_key_len, 24);
    assert_memory_equal(kt_nth(t, FWD_SA_ADD, 0)->u.sa.cipher_key, i->qm.ekey_ir, 24);
    /* remote proxy 10.2.2.0/24: a route in inet.0 (no VRF here) */
    assert_int_equal(kt_count(t, FWD_ROUTE_ADD), 1);
    assert_string_equal(kt_nth(t, FWD_ROUTE_ADD, 0)->u.route.instance, "");
    ikei_free(i);
    kt_free(t);
}

static void default_remote(struct ikei_conf *c)
{
    implicit_3des(c);
    c->lnet = "0.0.0.0/0";
}

static void test_default_remote_proxy_no_route(void **state)
{
    struct kt *t = kt_new(KT_IMPLICIT, PSK);
    struct ikei *i = peer("198.51.100.8", default_remote);

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(kt_count(t, FWD_RULE_ADD), 1);
    assert_int_equal(kt_count(t, FWD_ROUTE_ADD), 0);
    ikei_free(i);
    kt_free(t);
}

static void natt(struct ikei_conf *c)
{
    c->force_natt = true;
}

static void test_natt_float(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.9", natt);
    const struct fwd_sa *s;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_true(i->nat);
    assert_int_equal(i->lport, 4500);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(i->qm.encap, ISAKMP_ENCAP_UDP_TUNNEL);
    s = &kt_nth(t, FWD_SA_ADD, 1)->u.sa;
    assert_int_equal(s->encap, FWD_ENCAP_UDP);
    assert_int_equal(s->encap_sport, 4500);
    assert_int_equal(s->encap_dport, 4500);
    /* kmd answered from 4500 once the peer floated */
    assert_int_equal(t->out[t->nout - 1].d.sport, 4500);
    ikei_free(i);
    kt_free(t);
}

static void libreswan(struct ikei_conf *c)
{
    c->prop_num = 0;
    c->initial_contact = false;
    c->life = 28800;
    c->p2_life = 3600;
}

static void test_proposal_number_zero(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.10", libreswan);

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(i->mm2_prop, 0);
    assert_int_equal(i->mm2_xform, 0);
    assert_int_equal(kt_qm(t, i), 0); /* ikei checks QM2 echoes 0 */
    ikei_free(i);
    kt_free(t);
}

static void long_life(struct ikei_conf *c)
{
    c->p2_life = 40000;
}

static void test_responder_lifetime(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.11", long_life);

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(i->qm.resp_lifetime, 28800);
    assert_int_equal(kt_nth(t, FWD_SA_ADD, 0)->u.sa.hard_seconds, 28800);
    ikei_free(i);
    kt_free(t);
}

static void v6_inner(struct ikei_conf *c)
{
    c->lnet = "2001:db8:2::/64";
    c->rnet = "2001:db8:1::/64";
}

static void test_ipv6_proxies(void **state)
{
    char *conf = kt_subst(KT_SG1, "remote 10.3.3.0/24 local 10.1.1.0/24;",
                          "remote 10.3.3.0/24 local 10.1.1.0/24;\n"
                          "remote 2001:db8:2::/48 local 2001:db8:1::/48;");
    struct kt *t = kt_new(conf, PSK);
    struct ikei *i = peer("198.51.100.17", v6_inner);
    const struct fwd_route *r;
    char buf[64];

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    r = &kt_nth(t, FWD_ROUTE_ADD, 0)->u.route;
    assert_int_equal(r->prefix.af, AF_INET6);
    assert_int_equal(r->prefix.plen, 64);
    inet_ntop(AF_INET6, r->prefix.a, buf, sizeof(buf));
    assert_string_equal(buf, "2001:db8:2::");
    assert_int_equal(kt_nth(t, FWD_RULE_ADD, 0)->u.rule.sel.src.af, AF_INET6);
    free(conf);
    ikei_free(i);
    kt_free(t);
}

static void test_delete_removes_everything(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.12", NULL);
    uint8_t p[4096];
    size_t len;
    unsigned n0;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    n0 = t->nreq;
    assert_int_equal(ikei_delete_esp(i, p, sizeof(p), &len), 0);
    kt_send(t, i, p, len);
    assert_int_equal(kmd_tunnel_count(t->k), 0);
    assert_int_equal(t->nreq - n0, 5);
    assert_int_equal(t->req[n0].type, FWD_ROUTE_DEL);
    assert_int_equal(t->req[n0 + 1].type, FWD_RULE_DEL);
    assert_int_equal(t->req[n0 + 2].type, FWD_SA_DEL);
    assert_int_equal(ntohl(t->req[n0 + 2].u.ref.spi), i->qm.spi_i);
    assert_int_equal(t->req[n0 + 3].type, FWD_SA_DEL);
    assert_int_equal(ntohl(t->req[n0 + 3].u.ref.spi), i->qm.spi_r);
    assert_int_equal(t->req[n0 + 4].type, FWD_POOL_RELEASE);
    assert_string_equal(t->req[n0 + 4].u.pool.unit, "ms-1/0/0.1");
    assert_int_equal(kt_pending_out(t), 0); /* no DELETE back for a peer's DELETE */
    assert_int_equal(ikei_delete_ike(i, p, sizeof(p), &len), 0);
    kt_send(t, i, p, len);
    assert_int_equal(kmd_ike_count(t->k), 0);
    assert_int_equal(kmd_counters(t->k)->tunnels_down, 1);
    ikei_free(i);
    kt_free(t);
}

static void test_dpd(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.13", NULL);
    uint8_t p[4096];
    size_t len;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(ikei_dpd(i, 0x01020304, p, sizeof(p), &len), 0);
    kt_send(t, i, p, len);
    assert_int_equal(kt_pending_out(t), 1);
    kt_deliver(t, i);
    assert_int_equal(i->last_notify, ISAKMP_N_R_U_THERE_ACK);
    assert_int_equal(i->last_notify_len, 4);
    assert_memory_equal(i->last_notify_data, "\x01\x02\x03\x04", 4);
    assert_int_equal(kmd_counters(t->k)->dpd_acks, 1);
    ikei_free(i);
    kt_free(t);
}

/* Sends p twice; the two answers are identical, the state moves once. */
static void resend_same(struct kt *t, struct ikei *i, const uint8_t *p, size_t len, uint8_t *first,
                        size_t *flen)
{
    struct kt_out *a, *b;

    kt_send(t, i, p, len);
    a = kt_recv(t);
    assert_non_null(a);
    kt_send(t, i, p, len);
    b = kt_recv(t);
    assert_non_null(b);
    assert_int_equal(a->len, b->len);
    assert_memory_equal(a->p, b->p, a->len);
    memcpy(first, a->p, a->len);
    *flen = a->len;
}

static void test_retransmissions(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.14", NULL);
    uint8_t p[4096], r[4096];
    size_t len, rl;
    uint64_t before;

    (void)state;
    assert_int_equal(ikei_mm1(i, p, sizeof(p), &len), 0);
    resend_same(t, i, p, len, r, &rl);
    assert_int_equal(ikei_input(i, r, rl, p, sizeof(p), &len), 1);
    resend_same(t, i, p, len, r, &rl); /* MM3 -> MM4 */
    assert_int_equal(ikei_input(i, r, rl, p, sizeof(p), &len), 1);
    resend_same(t, i, p, len, r, &rl); /* MM5 -> MM6: the IV must not move */
    assert_int_equal(ikei_input(i, r, rl, p, sizeof(p), &len), 0);
    assert_int_equal(i->step, 6);
    assert_int_equal(ikei_qm1(i, p, sizeof(p), &len), 0);
    resend_same(t, i, p, len, r, &rl); /* QM1 -> QM2 */
    assert_int_equal(ikei_input(i, r, rl, p, sizeof(p), &len), 1);
    before = kmd_counters(t->k)->retransmits;
    assert_int_equal(before, 4);
    kt_send(t, i, p, len); /* QM3 */
    assert_int_equal(kmd_counters(t->k)->tunnels_up, 1);
    assert_int_equal(kt_count(t, FWD_POOL_RESERVE), 1);
    assert_int_equal(kmd_ike_count(t->k), 1);
    ikei_free(i);
    kt_free(t);
}

static void test_qm1_retransmitted_while_fwdd_busy(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.15", NULL);
    uint8_t p[4096], r[4096];
    size_t len, rl;
    struct kt_out *o;

    (void)state;
    assert_int_equal(kt_mm(t, i), 0);
    t->hold_replies = true;
    assert_int_equal(ikei_qm1(i, p, sizeof(p), &len), 0);
    kt_send(t, i, p, len);
    kt_send(t, i, p, len); /* fwdd has not answered: nothing to say yet */
    assert_int_equal(kt_pending_out(t), 0);
    assert_int_equal(kt_count(t, FWD_POOL_RESERVE), 1);
    kt_flush(t); /* pool reply -> inbound SA request -> its reply -> QM2 */
    assert_int_equal(kt_count(t, FWD_SA_ADD), 1);
    assert_non_null(o = kt_recv(t));
    memcpy(r, o->p, rl = o->len);
    t->hold_replies = false;
    assert_int_equal(ikei_input(i, r, rl, p, sizeof(p), &len), 1);
    kt_send(t, i, p, len);
    assert_int_equal(kmd_tunnel_count(t->k), 1);
    assert_int_equal(kmd_counters(t->k)->tunnels_up, 1);
    ikei_free(i);
    kt_free(t);
}

static void test_key_log(void **state)
{
    struct kt *t = kt_new(KT_SG1, PSK);
    struct ikei *i = peer("198.51.100.16", NULL);
    char path[] = "/tmp/kmd-keylog-XXXXXX", hex[200], *text;
    struct stat st;
    int fd = mkstemp(path);

    (void)state;
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(kmd_keylog_open(t->k, path), 0);
    assert_int_equal(kt_mm(t, i), 0);
    assert_int_equal(kt_qm(t, i), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    text = buf_read_file(path);
    assert_non_null(text);
    hex_str(i->keys.ka, i->keys.ka_len, hex);
    assert_non_null(strstr(text, "uat:ikev1_decryption_table:\""));
    assert_non_null(strstr(text, hex));
    hex_str(i->qm.ekey_ir, i->qm.ekey_len, hex);
    assert_non_null(strstr(text, hex));
    assert_non_null(strstr(text, "\"AES-CBC [RFC3602]\""));
    assert_non_null(strstr(text, "\"HMAC-SHA-1-96 [RFC2404]\""));
    assert_null(strstr(text, PSK));
    free(text);
    unlink(path);
    ikei_free(i);
    kt_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aes128_sha1_g14_pfs),
        cmocka_unit_test(test_3des_md5_g2_implicit),
        cmocka_unit_test(test_default_remote_proxy_no_route),
        cmocka_unit_test(test_natt_float),
        cmocka_unit_test(test_proposal_number_zero),
        cmocka_unit_test(test_responder_lifetime),
        cmocka_unit_test(test_ipv6_proxies),
        cmocka_unit_test(test_delete_removes_everything),
        cmocka_unit_test(test_dpd),
        cmocka_unit_test(test_retransmissions),
        cmocka_unit_test(test_qm1_retransmitted_while_fwdd_busy),
        cmocka_unit_test(test_key_log),
    };
    return cmocka_run_group_tests(tests, kt_setup_schema, kt_teardown_schema);
}
