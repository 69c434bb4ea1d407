/*
 * test_kmdreq: the requests kmd sends over fwdd.sock (lib/fwdipc.h),
 * answered by kmdreq_handle() on an in-process appliance A whose tunnel to
 * B (manual SAs, twobox.h) is installed the way kmd does it: a dedicated
 * pool unit, the inbound SA (usable alone), the outbound SA, the dynamic
 * rule and the reverse route; traffic flows both ways.  Also: every
 * refusal (short, unknown, unsupported, duplicate, exhausted), shared and
 * dedicated pools, FWD_SA_STATS, byte and time lifetimes on an injected
 * clock, FWD_SEND with the non-ESP marker, and no trace left after a flush
 * (kmd gone), after the pool unit leaves the configuration and after the
 * service set does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "twobox.h"

#include <arpa/inet.h>

#define TEST(name) static void name(void **state __attribute__((unused)))

#define KEY_E "00112233445566778899aabbccddeeff"
#define KEY_A "0102030405060708090a0b0c0d0e0f1011121314"

static const char *a_conf =
    "interfaces {\n"
    "  ge-0/0/0 { unit 0 { family inet { address 10.1.1.254/24; } } }\n"
    "  ge-0/0/1 { unit 0 { family inet { address 192.0.2.1/24; } } }\n"
    "  ms-1/0/0 { unit 1 { family inet; service-domain inside; }\n"
    "             unit 2 { family inet; service-domain outside; }\n"
    "%s }\n"
    "}\n"
    "services { service-set SS1 { next-hop-service { inside-service-interface ms-1/0/0.1;\n"
    "  outside-service-interface ms-1/0/0.2; } ipsec-vpn-options { local-gateway 192.0.2.1; } } "
    "}\n";

#define POOL_UNITS                                                                                 \
    "unit 10 { family inet; service-domain inside; dial-options { ipsec-interface-id pool1; "      \
    "dedicated; } }\n unit 11 { family inet; service-domain inside; dial-options { "               \
    "ipsec-interface-id pool1; dedicated; } }\n"

static const char *b_conf =
    "interfaces {\n"
    "  ge-0/0/0 { unit 0 { family inet { address 10.2.2.254/24; } } }\n"
    "  ge-0/0/1 { unit 0 { family inet { address 192.0.2.2/24; } } }\n"
    "  ms-1/0/0 { unit 1 { family inet; service-domain inside; }\n"
    "             unit 2 { family inet; service-domain outside; } }\n"
    "}\n"
    "routing-options { static { route 10.1.1.0/24 next-hop ms-1/0/0.1; } }\n"
    "services { service-set SS1 { next-hop-service { inside-service-interface ms-1/0/0.1;\n"
    "  outside-service-interface ms-1/0/0.2; } ipsec-vpn-options { local-gateway 192.0.2.2; }\n"
    "  ipsec-vpn-rules R1; }\n"
    "  ipsec-vpn { rule R1 { term T1 { from { source-address 10.2.2.0/24; destination-address "
    "10.1.1.0/24; }\n"
    "    then { remote-gateway 192.0.2.1; manual {\n"
    "     direction inbound { protocol esp; spi 2001; authentication { algorithm hmac-sha1-96;\n"
    "       key hexadecimal " KEY_A "; } encryption { algorithm aes-128-cbc; key hexadecimal "
    "" KEY_E "; } }\n"
    "     direction outbound { protocol esp; spi 1001; authentication { algorithm hmac-sha1-96;\n"
    "       key hexadecimal " KEY_A "; } encryption { algorithm aes-128-cbc; key hexadecimal "
    "" KEY_E "; } } } } }\n"
    "    match-direction input; } } }\n";

static struct box *A, *B;
static char ab[2048];

static void setup_pair(const char *units)
{
    snprintf(ab, sizeof(ab), a_conf, units);
    A = box_new(ab);
    B = box_new(b_conf);
    lan_host(A, 0x0a010101, 0x0a0101fe);
    lan_host(B, 0x0a020201, 0x0a0202fe);
}

static int req(uint16_t type, const void *m, size_t len, void *extra, size_t *extralen)
{
    uint8_t buf[2048], x[1024];
    char msg[128];
    size_t xl;

    memcpy(buf, m, len);
    return kmdreq_handle(A->fw, type, buf, len, msg, sizeof(msg), extra ? extra : x,
                         extralen ? extralen : &xl);
}

static void v4(struct fwd_addr *a, const char *s, unsigned plen)
{
    memset(a, 0, sizeof(*a));
    a->af = AF_INET;
    a->plen = (uint8_t)plen;
    inet_pton(AF_INET, s, a->a);
}

static struct fwd_sa sa_of(uint8_t dir, uint32_t spi, uint32_t tunnel, const char *unit)
{
    struct fwd_sa s;

    memset(&s, 0, sizeof(s));
    snprintf(s.service_set, sizeof(s.service_set), "SS1");
    snprintf(s.inside_unit, sizeof(s.inside_unit), "%s", unit);
    s.tunnel = tunnel;
    s.spi = htonl(spi);
    s.dir = dir;
    s.proto = FWD_PROTO_ESP;
    s.cipher = FWD_CIPHER_AES_CBC;
    s.auth = FWD_AUTH_HMAC_SHA1_96;
    s.cipher_key_len = 16;
    s.auth_key_len = 20;
    for (int i = 0; i < 16; i++)
        s.cipher_key[i] = (uint8_t)(i * 0x11);
    for (int i = 0; i < 20; i++)
        s.auth_key[i] = (uint8_t)(i + 1);
    v4(&s.local, "192.0.2.1", 32);
    v4(&s.remote, "192.0.2.2", 32);
    v4(&s.sel.src, "10.1.1.0", 24);
    v4(&s.sel.dst, "10.2.2.0", 24);
    return s;
}

static struct fwd_pool pool_of(uint32_t tunnel, const char *pool, const char *hint)
{
    struct fwd_pool p;

    memset(&p, 0, sizeof(p));
    snprintf(p.service_set, sizeof(p.service_set), "SS1");
    snprintf(p.pool, sizeof(p.pool), "%s", pool);
    snprintf(p.unit, sizeof(p.unit), "%s", hint);
    p.tunnel = tunnel;
    return p;
}

/* Reserve a pool unit for tunnel: the status, the unit in unit. */
static int reserve(uint32_t tunnel, const char *hint, char *unit)
{
    struct fwd_pool p = pool_of(tunnel, "pool1", hint), r;
    size_t n = 0;
    int st = req(FWD_POOL_RESERVE, &p, sizeof(p), &r, &n);

    unit[0] = '\0';
    if (st == FWD_OK) {
        assert_int_equal(n, sizeof(r));
        snprintf(unit, 64, "%.63s", r.unit);
    }
    return st;
}

static struct fwd_rule rule_of(uint32_t tunnel, const char *unit)
{
    struct fwd_rule r;

    memset(&r, 0, sizeof(r));
    snprintf(r.service_set, sizeof(r.service_set), "SS1");
    snprintf(r.inside_unit, sizeof(r.inside_unit), "%s", unit);
    r.tunnel = tunnel;
    v4(&r.sel.src, "10.1.1.0", 24);
    v4(&r.sel.dst, "10.2.2.0", 24);
    return r;
}

static struct fwd_route route_of(uint32_t tunnel, const char *unit)
{
    struct fwd_route r;

    memset(&r, 0, sizeof(r));
    snprintf(r.next_hop_unit, sizeof(r.next_hop_unit), "%s", unit);
    v4(&r.prefix, "10.2.2.0", 24);
    r.tunnel = tunnel;
    r.preference = 1;
    return r;
}

/* Tunnel t on unit as kmd installs it: the inbound SA, the outbound one
 * (when out), the rule and the route. */
static void install(uint32_t t, const char *unit, int out)
{
    struct fwd_sa in = sa_of(FWD_DIR_IN, 1001, t, unit), o = sa_of(FWD_DIR_OUT, 2001, t, unit);
    struct fwd_rule r = rule_of(t, unit);
    struct fwd_route rt = route_of(t, unit);

    assert_int_equal(req(FWD_SA_ADD, &in, sizeof(in), NULL, NULL), FWD_OK);
    if (out)
        assert_int_equal(req(FWD_SA_ADD, &o, sizeof(o), NULL, NULL), FWD_OK);
    assert_int_equal(req(FWD_RULE_ADD, &r, sizeof(r), NULL, NULL), FWD_OK);
    assert_int_equal(req(FWD_ROUTE_ADD, &rt, sizeof(rt), NULL, NULL), FWD_OK);
}

/* A packet between the LAN hosts: 1 if it arrived on the other LAN. */
static int send_lan(struct box *from, struct box *to, uint32_t src, uint32_t dst)
{
    uint8_t ip[200], fr[300], f[300];
    size_t n = udp_pkt(ip, src, dst, 40, 0, 1);

    while (out_frame(to, 0, f, sizeof(f)))
        ; /* an earlier ICMP error */
    in_frame(from, 0, fr, eth(from, 0, fr, ETHTYPE_IPV4, ip, n));
    pump(A, B);
    return out_frame(to, 0, f, sizeof(f)) == 14 + 68;
}

static int64_t fake_ms;
static int64_t fake_clock(void)
{
    return fake_ms;
}

TEST(kmd_installs_a_tunnel_and_traffic_flows)
{
    char unit[64], u2[64];
    struct fwd_sa in, out;
    struct fwd_rule r;
    struct fwd_route rt;
    struct fwd_sa_ref ref;
    struct fwd_sa_counters c;
    struct ipsec_sa *sa;
    size_t n;

    ipsec_clock_set(fake_clock);
    fake_ms = 50000;
    setup_pair(POOL_UNITS);
    assert_int_equal(reserve(1, "", unit), FWD_OK);
    assert_string_equal(unit, "ms-1/0/0.10");
    assert_int_equal(reserve(1, "", u2), FWD_OK); /* asked again: the same */
    assert_string_equal(u2, unit);
    in = sa_of(FWD_DIR_IN, 1001, 1, unit);
    in.soft_seconds = 10;
    in.hard_seconds = 20;
    in.soft_bytes = 100;
    assert_int_equal(req(FWD_SA_ADD, &in, sizeof(in), NULL, NULL), FWD_OK);
    assert_int_equal(req(FWD_SA_ADD, &in, sizeof(in), NULL, NULL), FWD_ERR_EXISTS);
    /* the inbound SA works before the outbound one exists */
    assert_true(send_lan(B, A, 0x0a020201, 0x0a010101));
    assert_false(send_lan(A, B, 0x0a010101, 0x0a020201)); /* no route, no rule yet */
    out = sa_of(FWD_DIR_OUT, 2001, 1, unit);
    r = rule_of(1, unit);
    rt = route_of(1, unit);
    assert_int_equal(req(FWD_SA_ADD, &out, sizeof(out), NULL, NULL), FWD_OK);
    assert_int_equal(req(FWD_RULE_ADD, &r, sizeof(r), NULL, NULL), FWD_OK);
    assert_int_equal(req(FWD_RULE_ADD, &r, sizeof(r), NULL, NULL), FWD_ERR_EXISTS);
    assert_int_equal(req(FWD_ROUTE_ADD, &rt, sizeof(rt), NULL, NULL), FWD_OK);
    assert_int_equal(req(FWD_ROUTE_ADD, &rt, sizeof(rt), NULL, NULL), FWD_ERR_EXISTS);
    assert_true(send_lan(A, B, 0x0a010101, 0x0a020201));
    assert_true(send_lan(B, A, 0x0a020201, 0x0a010101));
    /* counters and lifetimes: 2 x 68 bytes in passed the soft byte limit */
    memset(&ref, 0, sizeof(ref));
    snprintf(ref.service_set, sizeof(ref.service_set), "SS1");
    ref.spi = htonl(1001);
    ref.dir = FWD_DIR_IN;
    ref.proto = FWD_PROTO_ESP;
    assert_int_equal(req(FWD_SA_STATS, &ref, sizeof(ref), &c, &n), FWD_OK);
    assert_int_equal(n, sizeof(c));
    assert_int_equal(c.packets, 2);
    assert_int_equal(c.bytes, 136);
    sa = sa_find(A->fw, svc_find(A->fw->cur, "SS1")->rt, 1001, FWD_DIR_IN);
    assert_int_equal(sa->fired, 1u << FWD_EV_SOFT_BYTES);
    fake_ms += 10000;
    sa_tick(A->fw);
    assert_int_equal(sa->fired, 1u << FWD_EV_SOFT_BYTES | 1u << FWD_EV_SOFT_TIME);
    fake_ms += 10000;
    sa_tick(A->fw);
    assert_true(sa->fired & 1u << FWD_EV_HARD_TIME);
    assert_int_equal(req(FWD_SA_STATS, &ref, sizeof(ref), &c, &n), FWD_OK);
    assert_int_equal(c.installed_seconds, 20);
    /* kmd goes away: nothing of its state is left */
    ipsec_flush_dynamic(A->fw);
    fw_kroute_flush(A->fw);
    assert_null(svc_find(A->fw->cur, "SS1")->rt->tunnels);
    assert_null(svc_find(A->fw->cur, "SS1")->rt->rules);
    assert_null(A->fw->kroutes);
    assert_int_equal(reserve(2, "", u2), FWD_OK);
    assert_string_equal(u2, "ms-1/0/0.10"); /* free again */
    assert_int_equal(req(FWD_SA_STATS, &ref, sizeof(ref), &c, &n), FWD_ERR_NOENT);
    assert_false(send_lan(B, A, 0x0a020201, 0x0a010101));
    box_free(A);
    box_free(B);
    ipsec_clock_set(NULL);
}

/* Frames taken in bursts (burst.c, its prefetch passes on: twobox.h)
 * follow kmd's whole chain - route cache, rule, tunnel, SA - and every
 * one arrives, in order, as when taken one at a time. */
TEST(bursts_through_a_kmd_tunnel)
{
    static struct burst u;
    char unit[64];
    uint8_t ip[200], fr[300], f[300];
    int got = 0;

    setup_pair(POOL_UNITS);
    assert_int_equal(reserve(1, "", unit), FWD_OK);
    install(1, unit, 1);
    assert_true(send_lan(A, B, 0x0a010101, 0x0a020201)); /* the route is now cached */
    for (uint16_t id = 1; id <= 40; id++) {
        size_t n = udp_pkt(ip, 0x0a010101, 0x0a020201, 40, 0, id);
        size_t len = eth(A, 0, fr, ETHTYPE_IPV4, ip, n);
        burst_add(&u, A, fr, len);
        if (u.n == FWD_BURST_MAX || id == 40)
            burst_run(&u, A, 0);
    }
    pump(A, B); /* B takes A's ESP in bursts too */
    for (uint16_t want = 1; out_frame(B, 0, f, sizeof(f)) == 14 + 68; want++, got++)
        assert_int_equal(get16(f + 14 + 4), want); /* in order */
    assert_int_equal(got, 40);
    assert_int_equal(sa_find(A->fw, svc_find(A->fw->cur, "SS1")->rt, 2001, FWD_DIR_OUT)->seq, 41);
    box_free(A);
    box_free(B);
}

/* The same with PIC worker threads (pic.h), as fwdd runs: frames sealed
 * and opened on the workers in the receive jobs they came in, both ways,
 * small and large, in order; then the SAs deleted while packets of
 * theirs are with the workers. */
static void send_burst(struct box *from, uint32_t src, uint32_t dst, size_t size, uint16_t n)
{
    static struct burst u;
    uint8_t ip[1600], fr[1700];

    for (uint16_t id = 1; id <= n; id++) {
        size_t len = eth(from, 0, fr, ETHTYPE_IPV4, ip, udp_pkt(ip, src, dst, size, 0, id));
        burst_add(&u, from, fr, len);
        if (u.n == FWD_BURST_MAX || id == n)
            burst_run(&u, from, 0);
    }
}

static void settle(void)
{
    for (int k = 0; k < 5; k++) {
        pic_drain(A->fw);
        pic_drain(B->fw);
        pump(A, B);
    }
}

/* Frames on b's LAN: how many, all of them in order of IP id from 1. */
static int lan_in_order(struct box *b)
{
    uint8_t f[2000];
    int got = 0;

    for (uint16_t want = 1; out_frame(b, 0, f, sizeof(f)) > 0; want++, got++)
        if (get16(f + 14 + 4) != want)
            return -1;
    return got;
}

TEST(bursts_on_worker_threads)
{
    struct fwd_sa_ref ref = {0};
    char unit[64];

    snprintf(ab, sizeof(ab), a_conf, POOL_UNITS);
    A = box_new(NULL);
    B = box_new(NULL);
    A->fw->pic_threads = B->fw->pic_threads = 1;
    commit(A->fw, ab);
    commit(B->fw, b_conf);
    lan_host(A, 0x0a010101, 0x0a0101fe);
    lan_host(B, 0x0a020201, 0x0a0202fe);
    assert_int_equal(reserve(1, "", unit), FWD_OK);
    install(1, unit, 1);
    send_burst(A, 0x0a010101, 0x0a020201, 40, 1); /* ARP both ways first */
    send_burst(B, 0x0a020201, 0x0a010101, 40, 1);
    settle();
    lan_in_order(A);
    lan_in_order(B);
    for (int round = 0; round < 10; round++) {
        size_t size = round % 2 ? 1200 : 40;
        send_burst(A, 0x0a010101, 0x0a020201, size, 60);
        settle();
        assert_int_equal(lan_in_order(B), 60);
        send_burst(B, 0x0a020201, 0x0a010101, size, 50);
        settle();
        assert_int_equal(lan_in_order(A), 50);
    }
    send_burst(A, 0x0a010101, 0x0a020201, 1000, 60); /* in flight on A's worker */
    send_burst(B, 0x0a020201, 0x0a010101, 1000, 60);
    pic_drain(B->fw);
    pump(A, B); /* B's ESP queued on A's worker for opening */
    snprintf(ref.service_set, sizeof(ref.service_set), "SS1");
    ref.proto = FWD_PROTO_ESP;
    ref.spi = htonl(2001);
    ref.dir = FWD_DIR_OUT;
    assert_int_equal(req(FWD_SA_DEL, &ref, sizeof(ref), NULL, NULL), FWD_OK);
    ref.spi = htonl(1001);
    ref.dir = FWD_DIR_IN;
    assert_int_equal(req(FWD_SA_DEL, &ref, sizeof(ref), NULL, NULL), FWD_OK);
    settle();
    pic_tick(A->fw); /* the workers drop the deleted SAs' key schedules */
    assert_null(sa_find(A->fw, svc_find(A->fw->cur, "SS1")->rt, 1001, FWD_DIR_IN));
    box_free(A);
    box_free(B);
}

TEST(refusals)
{
    struct fwd_sa s;
    struct fwd_rule r;
    struct fwd_route rt;
    struct fwd_pool p, pr;
    size_t pn = 0;
    char unit[64];

    setup_pair(POOL_UNITS);
    assert_int_equal(reserve(1, "", unit), FWD_OK);
    s = sa_of(FWD_DIR_IN, 7, 1, unit);
    s.dir = 9;
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_INVALID);
    s = sa_of(FWD_DIR_IN, 7, 1, unit);
    s.proto = FWD_PROTO_AH; /* with a cipher */
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_INVALID);
    s.cipher = FWD_CIPHER_NULL;
    s.cipher_key_len = 0;
    s.encap = FWD_ENCAP_UDP; /* AH with NAT-T */
    s.encap_sport = s.encap_dport = 4500;
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_UNSUPPORTED);
    s.encap = FWD_ENCAP_NONE;
    s.auth = FWD_AUTH_NONE; /* AH without integrity */
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_INVALID);
    s = sa_of(FWD_DIR_IN, 7, 1, unit);
    s.proto = FWD_PROTO_BUNDLE; /* without the ESP SPI */
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_INVALID);
    s.aux_spi = htonl(2000);
    s.cipher = FWD_CIPHER_NULL; /* without a cipher */
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_UNSUPPORTED);
    s = sa_of(FWD_DIR_IN, 7, 1, unit);
    s.cipher = FWD_CIPHER_AES_GCM_16; /* a key without its salt */
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_INVALID);
    s.cipher_key_len = 20; /* with its salt, but an integrity algorithm beside it */
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_INVALID);
    s.cipher = FWD_CIPHER_NULL;
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_UNSUPPORTED);
    s = sa_of(FWD_DIR_IN, 7, 1, unit);
    s.cipher_key_len = 15;
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_INVALID);
    s = sa_of(FWD_DIR_IN, 7, 1, unit);
    s.remote.af = AF_INET6;
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_UNSUPPORTED);
    s = sa_of(FWD_DIR_IN, 7, 1, "ge-0/0/0.0"); /* not the service set's */
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_NOENT);
    s = sa_of(FWD_DIR_IN, 7, 1, unit);
    memset(s.service_set, 'x', sizeof(s.service_set)); /* no NUL at all */
    assert_int_equal(req(FWD_SA_ADD, &s, sizeof(s), NULL, NULL), FWD_ERR_NOENT);
    r = rule_of(1, "ms-1/0/0.99");
    assert_int_equal(req(FWD_RULE_ADD, &r, sizeof(r), NULL, NULL), FWD_ERR_NOENT);
    r = rule_of(1, unit);
    assert_int_equal(req(FWD_RULE_DEL, &r, sizeof(r), NULL, NULL), FWD_ERR_NOENT);
    rt = route_of(1, "ms-1/0/0.99");
    assert_int_equal(req(FWD_ROUTE_ADD, &rt, sizeof(rt), NULL, NULL), FWD_ERR_NOENT);
    rt = route_of(1, unit);
    snprintf(rt.instance, sizeof(rt.instance), "nosuch");
    assert_int_equal(req(FWD_ROUTE_ADD, &rt, sizeof(rt), NULL, NULL), FWD_ERR_NOENT);
    rt = route_of(1, unit);
    assert_int_equal(req(FWD_ROUTE_DEL, &rt, sizeof(rt), NULL, NULL), FWD_ERR_NOENT);
    /* the dedicated pool has two units */
    assert_int_equal(reserve(2, "", unit), FWD_OK);
    assert_string_equal(unit, "ms-1/0/0.11");
    assert_int_equal(reserve(3, "", unit), FWD_ERR_EXHAUSTED);
    p = pool_of(1, "pool1", "ms-1/0/0.10");
    assert_int_equal(req(FWD_POOL_RELEASE, &p, sizeof(p), NULL, NULL), FWD_OK);
    assert_int_equal(req(FWD_POOL_RELEASE, &p, sizeof(p), NULL, NULL), FWD_ERR_NOENT);
    assert_int_equal(reserve(3, "", unit), FWD_OK);
    assert_string_equal(unit, "ms-1/0/0.10");
    /* every unit taken: a rekey of tunnel 3 (tunnel 5 replacing it) shares
     * its unit until tunnel 3 releases it; the unit stays taken after */
    p = pool_of(5, "pool1", "");
    p.replaces = 3;
    assert_int_equal(req(FWD_POOL_RESERVE, &p, sizeof(p), &pr, &pn), FWD_OK);
    assert_string_equal(pr.unit, "ms-1/0/0.10");
    p.replaces = 99; /* no such tunnel: nothing to share */
    p.tunnel = 6;
    assert_int_equal(req(FWD_POOL_RESERVE, &p, sizeof(p), NULL, NULL), FWD_ERR_EXHAUSTED);
    p = pool_of(3, "pool1", "");
    assert_int_equal(req(FWD_POOL_RELEASE, &p, sizeof(p), NULL, NULL), FWD_OK);
    assert_int_equal(reserve(6, "", unit), FWD_ERR_EXHAUSTED);
    p = pool_of(5, "pool1", "");
    assert_int_equal(req(FWD_POOL_RELEASE, &p, sizeof(p), NULL, NULL), FWD_OK);
    assert_int_equal(reserve(6, "", unit), FWD_OK);
    assert_string_equal(unit, "ms-1/0/0.10");
    p = pool_of(4, "nosuch", "");
    assert_int_equal(req(FWD_POOL_RESERVE, &p, sizeof(p), NULL, NULL), FWD_ERR_NOENT);
    assert_int_equal(req(999, &p, sizeof(p), NULL, NULL), FWD_ERR_INVALID);
    box_free(A);
    box_free(B);
}

TEST(shared_pool_and_hint)
{
    char unit[64];

    setup_pair("unit 5 { family inet; service-domain inside; dial-options { ipsec-interface-id "
               "pool1; shared; } }\n");
    for (uint32_t t = 1; t < 5; t++) {
        assert_int_equal(reserve(t, "", unit), FWD_OK);
        assert_string_equal(unit, "ms-1/0/0.5");
    }
    box_free(A);
    box_free(B);
    setup_pair(POOL_UNITS);
    assert_int_equal(reserve(1, "ms-1/0/0.11", unit), FWD_OK); /* kmd's hint after a restart */
    assert_string_equal(unit, "ms-1/0/0.11");
    box_free(A);
    box_free(B);
}

static uint8_t seen[300];
static size_t seen_len;

static void keep(const uint8_t *f, size_t n)
{
    if (n <= sizeof(seen) && f[14 + 9] == IPPROTO_UDP_) {
        memcpy(seen, f, n);
        seen_len = n;
    }
}

TEST(send_from_a_local_gateway)
{
    uint8_t buf[sizeof(struct fwd_dgram) + 16];
    struct fwd_dgram d;

    setup_pair("");
    memset(&d, 0, sizeof(d));
    v4(&d.src, "192.0.2.1", 32);
    v4(&d.dst, "192.0.2.2", 32);
    d.sport = d.dport = 4500;
    d.len = 16;
    memcpy(buf, &d, sizeof(d));
    memset(buf + sizeof(d), 0xab, 16);
    assert_int_equal(req(FWD_SEND, buf, sizeof(buf), NULL, NULL), FWD_OK);
    pump_tap(A, B, keep);
    assert_int_equal(seen_len, 14 + 28 + 4 + 16); /* with the non-ESP marker */
    assert_int_equal(get32(seen + 14 + 28), 0);
    assert_int_equal(get16(seen + 14 + 20), 4500);
    assert_int_equal(B->fw->st.drop[DROP_IKE_NO_KMD], 1); /* B saw IKE */
    d.sport = d.dport = 500;
    memcpy(buf, &d, sizeof(d));
    assert_int_equal(req(FWD_SEND, buf, sizeof(buf), NULL, NULL), FWD_OK);
    pump_tap(A, B, keep);
    assert_int_equal(seen_len, 14 + 28 + 16);
    assert_int_equal(req(FWD_SEND, buf, sizeof(buf) - 1, NULL, NULL), FWD_ERR_INVALID);
    v4(&d.src, "192.0.2.77", 32); /* not ours */
    memcpy(buf, &d, sizeof(d));
    assert_int_equal(req(FWD_SEND, buf, sizeof(buf), NULL, NULL), FWD_ERR_INVALID);
    box_free(A);
    box_free(B);
}

TEST(state_goes_with_its_unit_and_service_set)
{
    char unit[64];
    struct fwd_sa in;

    setup_pair(POOL_UNITS);
    assert_int_equal(reserve(1, "", unit), FWD_OK);
    install(1, unit, 0);
    /* a commit that keeps the unit keeps everything */
    commit(A->fw, ab);
    assert_non_null(svc_find(A->fw->cur, "SS1")->rt->tunnels);
    assert_non_null(A->fw->kroutes);
    /* unit 10 leaves the configuration: its SA, rule, route and reservation go */
    snprintf(ab, sizeof(ab), a_conf,
             "unit 11 { family inet; service-domain inside; dial-options { ipsec-interface-id "
             "pool1; dedicated; } }\n");
    commit(A->fw, ab);
    assert_null(svc_find(A->fw->cur, "SS1")->rt->tunnels);
    assert_null(svc_find(A->fw->cur, "SS1")->rt->rules);
    assert_null(A->fw->kroutes);
    assert_null(A->fw->ipsec->pools);
    /* and with the service set */
    assert_int_equal(reserve(1, "", unit), FWD_OK);
    in = sa_of(FWD_DIR_IN, 1001, 1, unit);
    assert_int_equal(req(FWD_SA_ADD, &in, sizeof(in), NULL, NULL), FWD_OK);
    commit(A->fw, "interfaces { ge-0/0/0 { unit 0 { family inet { address 10.1.1.254/24; } } } }");
    assert_null(A->fw->ssrt);
    assert_null(A->fw->ipsec->pools);
    box_free(A);
    box_free(B);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(kmd_installs_a_tunnel_and_traffic_flows),
        cmocka_unit_test(bursts_through_a_kmd_tunnel),
        cmocka_unit_test(bursts_on_worker_threads),
        cmocka_unit_test(refusals),
        cmocka_unit_test(shared_pool_and_hint),
        cmocka_unit_test(send_from_a_local_gateway),
        cmocka_unit_test(state_goes_with_its_unit_and_service_set),
    };
    return cmocka_run_group_tests(tests, schema_setup, schema_teardown);
}
