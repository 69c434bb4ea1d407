/*
 * test_fwd: fwdd's configuration generations and packet path without
 * real ports.  A view is loaded from text with the real schema, prepared
 * and applied (fwdd.h): the tables (Direct, Local, Static with gateway,
 * unit and discard next hops, hidden unresolvable routes, VRF tables),
 * the swap (prepare leaves the current tables alone, abort drops the new
 * ones), kmd's routes (preference 1, kept across commits, flushed), ages
 * kept across a commit, service sets on their PIC; then hostile frames
 * through fwd_frame_input on a fake port (a closed socket: sends fail and
 * are counted): every one dropped and counted, none crashes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "../schema_fixture.h"

#include "arp.h"
#include "nd.h"
#include "port.h"
#include "fwdd.h"
#include "pktutil.h"
#include "render.h"
#include "svc.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST(name) static void name(void **state __attribute__((unused)))

static const char *base_conf =
    "interfaces {\n"
    "  ge-0/0/0 { unit 0 { family inet { address 10.1.1.254/24; }\n"
    "                      family inet6 { address 2001:db8:1::fe/64; } } }\n"
    "  ge-0/0/1 { unit 0 { family inet { address 10.2.2.254/24; } } }\n"
    "  ge-0/0/2 { unit 0 { family inet { address 10.3.3.254/24; } } }\n"
    "  ms-1/0/0 { unit 1 { family inet; service-domain inside; }\n"
    "             unit 2 { family inet; service-domain outside; } }\n"
    "}\n"
    "routing-options { static {\n"
    "  route 0.0.0.0/0 next-hop 10.1.1.1;\n"
    "  route 10.9.0.0/16 next-hop ms-1/0/0.1;\n"
    "  route 192.0.2.0/24 next-hop 172.16.0.1;\n"
    "  route 198.51.100.0/24 discard;\n"
    "} }\n"
    "services { service-set SS1 { next-hop-service { inside-service-interface ms-1/0/0.1;\n"
    "  outside-service-interface ms-1/0/0.2; } ipsec-vpn-options { local-gateway 10.1.1.253; } } "
    "}\n"
    "routing-instances { v1 { instance-type vrf; interface ge-0/0/2.0;\n"
    "  route-distinguisher 65000:1; vrf-target target:65000:1; } }\n";

static struct conf *load(const char *text)
{
    struct conf *c = conf_new(sch);
    struct load_result r = {0};

    if (load_text(c->root, text, &r) != 0)
        fail_msg("line %d: %s", r.errs[0].line, r.errs[0].msg);
    load_result_free(&r);
    return c;
}

/* A fwdd with one fake port (ge-0/0/0, no socket). */
static struct fwdd *fw_new(void)
{
    struct fwdd *fw = calloc(1, sizeof(*fw));
    struct port *p = calloc(1, sizeof(*p));

    fw->root = "/nonexistent";
    fw->sch = sch;
    fw->ports = calloc(1, sizeof(*fw->ports));
    snprintf(p->name, sizeof(p->name), "ge-0/0/0");
    snprintf(p->ifname, sizeof(p->ifname), "none0");
    p->fd = -1;
    p->fw = fw;
    p->linux_mtu = 1500;
    memcpy(p->mac, "\x02\0\0\0\0\x01", 6);
    p->arp = arp_new();
    p->nd = nd_new();
    fw->ports[0] = p;
    fw->nports = 1;
    return fw;
}

static void fw_free(struct fwdd *fw)
{
    fw_kroute_flush(fw);
    gen_free(fw->cur);
    gen_free(fw->next);
    svc_rt_free_all(fw);
    port_close(fw->ports[0]);
    free(fw->ports);
    free(fw);
}

static void commit(struct fwdd *fw, const char *text)
{
    struct conf *c = load(text);
    char err[256];

    assert_int_equal(fw_prepare(fw, c, err, sizeof(err)), 0);
    fw_apply(fw);
    conf_free(c); /* the generation keeps nothing of the tree */
}

static const struct route *lookup(struct fwdd *fw, const char *inst, const char *a)
{
    struct addr x;

    addr_parse(a, &x);
    return rt_active(rtable_lookup(gen_instance(fw->cur, inst)->inet, &x));
}

static const struct rt_dest *exact(struct fwdd *fw, const char *inst, const char *p)
{
    struct addr x;

    prefix_parse(p, &x);
    return rtable_exact(gen_instance(fw->cur, inst)->inet, &x);
}

TEST(tables_from_configuration)
{
    struct fwdd *fw = fw_new();
    const struct route *r;
    const struct rt_dest *d;

    commit(fw, base_conf);
    /* ge-0/0/0 has a port: Direct and Local; ge-0/0/1 has none: down */
    r = lookup(fw, NULL, "10.1.1.7");
    assert_int_equal(r->proto, RTP_DIRECT);
    assert_string_equal(r->nh[0].via, "ge-0/0/0.0");
    r = rt_active(exact(fw, NULL, "10.1.1.254/32"));
    assert_int_equal(r->proto, RTP_LOCAL);
    assert_int_equal(rt_active(exact(fw, NULL, "10.2.2.0/24")) == NULL, 1);
    /* static routes: gateway resolved on the connected subnet */
    r = lookup(fw, NULL, "203.0.113.5");
    assert_int_equal(r->proto, RTP_STATIC);
    assert_int_equal(r->pref, 5);
    assert_int_equal(r->nh[0].kind, NH_GATEWAY);
    assert_string_equal(r->nh[0].via, "ge-0/0/0.0");
    r = lookup(fw, NULL, "10.9.1.1");
    assert_int_equal(r->nh[0].kind, NH_UNIT);
    assert_ptr_equal(r->nh[0].unit->ss, svc_find(fw->cur, "SS1"));
    assert_int_equal(lookup(fw, NULL, "198.51.100.1")->nh[0].kind, NH_DISCARD);
    /* gateway on no connected subnet: hidden, the default route answers */
    d = exact(fw, NULL, "192.0.2.0/24");
    assert_non_null(d);
    assert_true(d->routes->hidden);
    r = lookup(fw, NULL, "192.0.2.1");
    assert_int_equal(r->nh[0].kind, NH_GATEWAY);
    assert_int_equal(addr_v4(&r->nh[0].gw), 0x0a010101); /* the default's 10.1.1.1 */
    /* the VRF: its own table, its own connected routes only */
    assert_non_null(gen_instance(fw->cur, "v1"));
    assert_string_equal(gen_instance(fw->cur, "v1")->inet->name, "v1.inet.0");
    assert_null(lookup(fw, "v1", "10.1.1.7"));
    assert_null(lookup(fw, "v1", "10.3.3.1")); /* ge-0/0/2 has no port here */
    /* the service set lives on the PIC of its inside unit */
    assert_int_equal(fw->cur->svc->npics, 1);
    assert_string_equal(svc_find(fw->cur, "SS1")->pic->name, "ms-1/0/0");
    assert_int_equal(svc_find(fw->cur, "SS1")->pic->nsets, 1);
    assert_true(inst_is_local4(fw->cur, &fw->cur->insts[0], 0x0a0101fd)); /* local gateway */
    assert_true(inst_is_local4(fw->cur, &fw->cur->insts[0], 0x0a0101fe));
    assert_false(inst_is_local4(fw->cur, &fw->cur->insts[0], 0x0a010101));
    fw_free(fw);
}

TEST(prepare_builds_aside_apply_swaps_abort_drops)
{
    struct fwdd *fw = fw_new();
    struct conf *c;
    char err[256];
    struct gen *before;
    char *text;

    commit(fw, base_conf);
    before = fw->cur;
    text = malloc(strlen(base_conf) + 100);
    sprintf(text, "%srouting-options { static { route 10.50.0.0/16 next-hop 10.1.1.2; } }\n",
            base_conf);
    c = load(text);
    assert_int_equal(fw_prepare(fw, c, err, sizeof(err)), 0);
    assert_ptr_equal(fw->cur, before); /* nothing changed yet */
    assert_null(exact(fw, NULL, "10.50.0.0/16"));
    fw_abort(fw);
    assert_null(fw->next);
    assert_int_equal(fw_prepare(fw, c, err, sizeof(err)), 0);
    fw_apply(fw);
    assert_ptr_not_equal(fw->cur, before);
    assert_non_null(exact(fw, NULL, "10.50.0.0/16"));
    fw_apply(fw); /* an apply with nothing prepared changes nothing */
    assert_non_null(exact(fw, NULL, "10.50.0.0/16"));
    conf_free(c);
    free(text);
    fw_free(fw);
}

static int64_t now_value;
static int64_t fake_now(void)
{
    return now_value;
}

/* inst_route4 (rcache.c) answers as rtable_lookup and inst_is_local4 do,
 * from its cache too, and forgets what a route change made wrong. */
TEST(route_cache_follows_route_changes)
{
    struct fwdd *fw = fw_new();
    struct kroute_spec k = {.instance = "", .unit = "ms-1/0/0.1", .tunnel = 7, .pref = 1};
    struct instance *inst;
    const struct rt_dest *d;
    struct addr a;
    int local;

    commit(fw, base_conf);
    inst = gen_instance(fw->cur, NULL);
    for (int pass = 0; pass < 2; pass++) /* filled, then from the cache */
        for (uint32_t i = 0; i < 2000; i++) {
            uint32_t x = i < 1000 ? 0x0a010100u + i % 256u : i * 2654435761u;
            addr_set_v4(&a, x, 32);
            d = inst_route4(fw->cur, inst, x, &local);
            assert_ptr_equal(d, rtable_lookup(inst->inet, &a));
            assert_int_equal(local, inst_is_local4(fw->cur, inst, x));
        }
    d = inst_route4(fw->cur, inst, 0x0a0101feu, &local); /* 10.1.1.254 */
    assert_int_equal(local, 1);
    d = inst_route4(fw->cur, inst, 0x0a4d0101u, &local); /* 10.77.1.1 */
    assert_int_equal(local, 0);
    prefix_parse("10.77.0.0/16", &k.prefix);
    assert_int_equal(fw_kroute_add(fw, &k), 0);
    d = inst_route4(fw->cur, inst, 0x0a4d0101u, &local);
    assert_non_null(d);
    assert_int_equal(d->prefix.plen, 16);
    assert_int_equal(fw_kroute_del(fw, &k), 0);
    addr_set_v4(&a, 0x0a4d0101u, 32);
    assert_ptr_equal(inst_route4(fw->cur, inst, 0x0a4d0101u, &local),
                     rtable_lookup(inst->inet, &a));
    /* stamps are the low 32 bits of rtable_changes + 1: across the wrap
     * (and at the one count whose stamp would be 0) answers stay right */
    rtable_changes = 0xfffffffdu;
    for (int step = 0; step < 4; step++) {
        assert_ptr_equal(inst_route4(fw->cur, inst, 0x0a4d0101u, &local),
                         rtable_lookup(inst->inet, &a));
        assert_ptr_equal(inst_route4(fw->cur, inst, 0x0a4d0101u, &local),
                         rtable_lookup(inst->inet, &a));
        assert_int_equal(fw_kroute_add(fw, &k), 0); /* one change */
        d = inst_route4(fw->cur, inst, 0x0a4d0101u, &local);
        assert_int_equal(d->prefix.plen, 16);
        assert_int_equal(fw_kroute_del(fw, &k), 0); /* another */
    }
    /* an entry made 2^32 changes ago has the stamp of now: the move of
     * the high bits clears the cache */
    assert_int_equal(fw_kroute_add(fw, &k), 0);
    assert_int_equal(inst_route4(fw->cur, inst, 0x0a4d0101u, &local)->prefix.plen, 16);
    assert_int_equal(fw_kroute_del(fw, &k), 0);
    rtable_changes += (1ull << 32) - 1; /* now: the stamp of that entry again */
    assert_ptr_equal(inst_route4(fw->cur, inst, 0x0a4d0101u, &local),
                     rtable_lookup(inst->inet, &a));
    /* a new generation has instances, and caches, of its own */
    commit(fw, base_conf);
    inst = gen_instance(fw->cur, NULL);
    assert_null(inst->rc4);
    assert_ptr_equal(inst_route4(fw->cur, inst, 0x0a4d0101u, &local),
                     rtable_lookup(inst->inet, &a));
    fw_free(fw);
}

TEST(kmd_routes_and_ages_survive_commits)
{
    struct fwdd *fw = fw_new();
    struct kroute_spec k = {.instance = "", .unit = "ms-1/0/0.1", .tunnel = 7, .pref = 1};
    const struct route *r;

    fwd_clock_set(fake_now);
    now_value = 1000;
    commit(fw, base_conf);
    prefix_parse("10.1.1.0/24", &k.prefix); /* more preferred than Direct? no: 1 > 0 */
    assert_int_equal(fw_kroute_add(fw, &k), 0);
    assert_int_equal(lookup(fw, NULL, "10.1.1.9")->proto, RTP_DIRECT);
    prefix_parse("10.77.0.0/16", &k.prefix);
    now_value = 2000;
    assert_int_equal(fw_kroute_add(fw, &k), 0);
    assert_int_equal(fw_kroute_add(fw, &k), -1);
    assert_int_equal(errno, EEXIST);
    r = lookup(fw, NULL, "10.77.1.1");
    assert_int_equal(r->pref, 1);
    assert_int_equal(r->origin, RTO_KMD);
    assert_string_equal(r->nh[0].via, "ms-1/0/0.1");
    /* a commit keeps it and the ages of unchanged routes */
    now_value = 3000;
    commit(fw, base_conf);
    r = lookup(fw, NULL, "10.77.1.1");
    assert_non_null(r);
    assert_int_equal(r->since, 2000);
    assert_int_equal(lookup(fw, NULL, "10.1.1.9")->since, 1000);
    /* unknown unit or instance */
    snprintf(k.unit, sizeof(k.unit), "ms-1/0/0.99");
    assert_int_equal(fw_kroute_add(fw, &k), -1);
    assert_int_equal(errno, ENOENT);
    snprintf(k.unit, sizeof(k.unit), "ms-1/0/0.1");
    snprintf(k.instance, sizeof(k.instance), "nosuch");
    assert_int_equal(fw_kroute_add(fw, &k), -1);
    snprintf(k.instance, sizeof(k.instance), "%s", "");
    assert_int_equal(fw_kroute_del(fw, &k), 0);
    assert_null(exact(fw, NULL, "10.77.0.0/16"));
    assert_int_equal(fw_kroute_del(fw, &k), -1);
    fw_kroute_flush(fw);
    assert_null(lookup(fw, NULL, "10.1.1.9")->next);
    fwd_clock_set(NULL);
    fw_free(fw);
}

/* --- the packet path ---------------------------------------------------- */

static size_t frame(uint8_t *f, uint16_t type, const uint8_t *l3, size_t len)
{
    memcpy(f, "\x02\0\0\0\0\x01", 6);
    memcpy(f + 6, "\x02\0\0\0\0\x02", 6);
    put16(f + 12, type);
    memcpy(f + 14, l3, len);
    return 14 + len;
}

static size_t ip_udp(uint8_t *p, uint32_t src, uint32_t dst, uint8_t ttl)
{
    return udp4_build(p, 2000, src, dst, 1000, 2000, 32, ttl, 1);
}

/* Feed one frame; return how much drop counter why grew. */
static uint64_t feed(struct fwdd *fw, const uint8_t *f, size_t len, const struct virtio_net_hdr *vh,
                     enum fwd_drop why)
{
    static uint8_t buf[FWD_FRAME_MAX];
    uint64_t before = fw->st.drop[why];
    struct virtio_net_hdr none = {0};

    memcpy(buf, f, len);
    fwd_frame_input(fw, fw->ports[0], buf, len, vh ? vh : &none);
    return fw->st.drop[why] - before;
}

TEST(hostile_frames_are_dropped_and_counted)
{
    struct fwdd *fw = fw_new();
    uint8_t ip[2000], f[2100];
    size_t n;
    struct virtio_net_hdr vh = {0};
    const uint32_t h1 = 0x0a010101, me = 0x0a0101fe;

    commit(fw, base_conf);
    assert_int_equal(feed(fw, f, 10, NULL, DROP_FRAME_SHORT), 1);
    n = ip_udp(ip, h1, 0x0a090101, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, 10), NULL, DROP_IP_SHORT), 1);
    ip[0] = 0x43;
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_IP_IHL), 1);
    ip[0] = 0x65;
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_IP_VERSION), 1);
    n = ip_udp(ip, h1, 0x0a090101, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n - 1), NULL, DROP_IP_LEN), 1);
    ip[10] ^= 0xff;
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_IP_CSUM), 1);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, n), NULL, DROP_IP6_HDR), 1);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_VLAN, ip, n), NULL, DROP_ETHERTYPE), 1);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_ARP, ip, 20), NULL, DROP_ARP_BAD), 1);
    /* routed somewhere: a service set, a discard route, TTL 1, a martian */
    n = ip_udp(ip, h1, 0x0a090101, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_SS_NO_RULE), 1);
    assert_int_equal(svc_find(fw->cur, "SS1")->rt->no_rule, 1);
    n = ip_udp(ip, h1, 0xc6336401, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_DISCARD), 1);
    n = ip_udp(ip, h1, 0x0a090101, 1);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_TTL), 1);
    n = ip_udp(ip, 0x7f000001, 0x0a090101, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_MARTIAN), 1);
    /* to the appliance: UDP gets port unreachable, TCP nothing */
    n = ip_udp(ip, h1, me, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_LOCAL), 1);
    /* IKE to the local gateway, kmd away: counted in the service set */
    n = udp4_build(ip, sizeof(ip), h1, 0x0a0101fd, 500, 500, 40, 64, 1);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), NULL, DROP_IKE_NO_KMD), 1);
    assert_int_equal(svc_find(fw->cur, "SS1")->rt->ike_dropped, 1);
    /* offload metadata that lies */
    n = ip_udp(ip, h1, 0x0a090101, 64);
    vh.gso_type = VIRTIO_NET_HDR_GSO_TCPV4;
    vh.gso_size = 100;
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), &vh, DROP_GSO), 1);
    vh.gso_type = 0;
    vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
    vh.csum_start = 4;
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), &vh, DROP_IP_LEN), 1);
    vh.csum_start = 14 + 20;
    vh.csum_offset = 6000;
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV4, ip, n), &vh, DROP_IP_LEN), 1);
    fw_free(fw);
}

TEST(arp_is_answered_and_learned)
{
    struct fwdd *fw = fw_new();
    uint8_t f[64];
    struct arp_view *v;
    size_t n;
    const uint8_t mac[6] = {2, 0, 0, 0, 0, 2}, zero[6] = {0};

    commit(fw, base_conf);
    n = arp_build(f, sizeof(f), 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", mac, 0x0a010101,
                  zero, 0x0a0101fe);
    assert_int_equal(feed(fw, f, n, NULL, DROP_TX), 1); /* the reply: no socket here */
    assert_int_equal(arp_list(fw->ports[0], &v), 1);
    assert_int_equal(v[0].ip, 0x0a010101);
    assert_memory_equal(v[0].mac, mac, 6);
    assert_true(v[0].resolved);
    free(v);
    /* the local gateway is answered too; other hosts' addresses are not */
    n = arp_build(f, sizeof(f), 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", mac, 0x0a010102,
                  zero, 0x0a0101fd);
    assert_int_equal(feed(fw, f, n, NULL, DROP_TX), 1);
    n = arp_build(f, sizeof(f), 1, (const uint8_t *)"\xff\xff\xff\xff\xff\xff", mac, 0x0a010103,
                  zero, 0x0a010109);
    assert_int_equal(feed(fw, f, n, NULL, DROP_ARP_NOT_OURS), 1);
    assert_int_equal(arp_list(fw->ports[0], &v), 2); /* 10.1.1.3 was not learned */
    free(v);
    fw_free(fw);
}

TEST(ipv6_path)
{
    struct fwdd *fw = fw_new();
    uint8_t ip[200], f[300];
    const uint8_t h1[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1};
    const uint8_t me[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0xfe};
    const uint8_t far[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 1};
    struct addr x;
    size_t n;

    commit(fw, base_conf);
    addr_parse("2001:db8:1::fe", &x);
    assert_true(inst_is_local6(&fw->cur->insts[0], x.a));
    /* truncated, lying payload length */
    memset(ip, 0, sizeof(ip));
    ip6_hdr_build(ip, 100, IPPROTO_UDP_, h1, far, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, 30), NULL, DROP_IP6_HDR), 1);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, 120), NULL, DROP_IP6_HDR), 1);
    /* hop limit 1: time exceeded (sent toward h1: no neighbour yet, queued) */
    ip6_hdr_build(ip, 8, IPPROTO_UDP_, h1, far, 1);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, 48), NULL, DROP_TTL), 1);
    /* no route in inet6.0 */
    ip6_hdr_build(ip, 8, IPPROTO_UDP_, h1, far, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, 48), NULL, DROP_NO_ROUTE), 1);
    /* a neighbor solicitation for our address is answered, and teaches h1's
     * address: the two ICMPv6 errors waiting for it leave too (no socket
     * here: three transmit errors) */
    n = nd_ns_build(ip, sizeof(ip), h1, me, (const uint8_t *)"\x02\0\0\0\0\x02");
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, n), NULL, DROP_TX), 3);
    /* one with a hop limit below 255 is not */
    ip[7] = 254;
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, n), NULL, DROP_L4_BAD), 1);
    /* multicast to others is not forwarded; link-local never */
    ip6_hdr_build(ip, 8, IPPROTO_UDP_, h1, (const uint8_t[16]){0xff, 0x0e, [15] = 5}, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, 48), NULL, DROP_IP6_MCAST), 1);
    ip6_hdr_build(ip, 8, IPPROTO_UDP_, h1, (const uint8_t[16]){0xfe, 0x80, [15] = 5}, 64);
    assert_int_equal(feed(fw, f, frame(f, ETHTYPE_IPV6, ip, 48), NULL, DROP_MARTIAN), 1);
    fw_free(fw);
}

static uint64_t rng = 12345;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

TEST(random_frames_never_crash)
{
    struct fwdd *fw = fw_new();
    static uint8_t f[3000];
    static const uint16_t types[] = {ETHTYPE_IPV4, ETHTYPE_ARP, ETHTYPE_IPV6, ETHTYPE_IPV6};

    commit(fw, base_conf);
    for (int i = 0; i < 100000; i++) {
        size_t n = rnd() % 200;
        struct virtio_net_hdr vh = {0};
        for (size_t k = 0; k < n; k++)
            f[k] = (uint8_t)rnd();
        if (n >= 14)
            put16(f + 12, types[rnd() % 4]);
        if (n >= 54 && i % 4 == 1 && get16(f + 12) == ETHTYPE_IPV6) { /* and IPv6 ones */
            f[14] = 0x60;
            put16(f + 18, (uint16_t)(n - 54 + rnd() % 3));
            f[20] = rnd() % 2 ? IPPROTO_ICMPV6_ : IPPROTO_UDP_;
            memcpy(f + 38, "\x20\x01\x0d\xb8\0\x01\0\0\0\0\0\0\0\0\0\xfe", 16);
        } else if (n >= 34 && i % 2) { /* valid-looking IPv4 headers go deeper */
            f[14] = (uint8_t)(0x40 | (5 + rnd() % 3));
            put16(f + 16, (uint16_t)(n - 14 - rnd() % 4));
            put32(f + 26, 0x0a010101);
            put32(f + 30, rnd() % 3 ? 0x0a0101fe : rnd());
            ip4_set_csum(f + 14);
        }
        if (rnd() % 8 == 0) {
            vh.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
            vh.csum_start = (uint16_t)(rnd() % 80);
            vh.csum_offset = (uint16_t)(rnd() % 40);
        }
        if (rnd() % 16 == 0) {
            vh.gso_type = (uint8_t)(rnd() % 6);
            vh.gso_size = (uint16_t)(rnd() % 1500);
        }
        feed(fw, f, n, &vh, DROP_TX);
    }
    fw_free(fw);
}

/* Frames held (port.h) leave in order when the hold ends, at most a
 * burst at a time, big ones at once after those held before them; a
 * closed socket's refusals are counted frame by frame. */
static size_t held_size(size_t i)
{
    static const size_t sizes[] = {60, 1514, 2048, 2049, 3000};

    return i < 70 ? sizes[i % 5] : 60;
}

static void held_expect(int fd, size_t from, size_t to)
{
    uint8_t got[3100];

    for (size_t i = from; i < to; i++) {
        ssize_t r = recv(fd, got, sizeof(got), MSG_DONTWAIT);

        assert_int_equal(r, (ssize_t)(sizeof(struct virtio_net_hdr) + held_size(i)));
        assert_int_equal(got[sizeof(struct virtio_net_hdr)], (uint8_t)i);
        assert_int_equal(got[r - 1], (uint8_t)i);
    }
    assert_int_equal(recv(fd, got, sizeof(got), MSG_DONTWAIT), -1);
}

TEST(held_frames_leave_in_order)
{
    struct fwdd *fw = fw_new();
    struct port *p = fw->ports[0];
    uint8_t f[3000];
    int sv[2], big = 1 << 20;
    size_t i, bytes = 0;

    assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
    setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &big, sizeof(big));
    setsockopt(sv[1], SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
    p->fd = sv[0];
    port_tx_hold(fw);
    port_tx_hold(fw); /* nested: only the outermost release sends */
    for (i = 0; i < 75; i++) {
        memset(f, (int)i, sizeof(f));
        port_send_frame(fw, p, f, held_size(i));
        bytes += held_size(i);
    }
    port_tx_release(fw);
    assert_int_equal(p->out_packets, 70); /* up to the last big one */
    held_expect(sv[1], 0, 70);
    port_tx_release(fw);
    assert_int_equal(p->out_packets, 75);
    assert_int_equal(p->out_bytes, bytes);
    held_expect(sv[1], 70, 75);
    /* a full queue goes before the frame that does not fit */
    port_tx_hold(fw);
    for (i = 70; i < 70 + 40; i++) {
        memset(f, (int)i, sizeof(f));
        port_send_frame(fw, p, f, 60);
    }
    assert_int_equal(p->out_packets, 75 + 32);
    port_tx_release(fw);
    assert_int_equal(p->out_packets, 75 + 40);
    held_expect(sv[1], 70, 110);
    close(sv[1]); /* the peer gone: every held frame refused and counted */
    port_tx_hold(fw);
    for (i = 0; i < 40; i++)
        port_send_frame(fw, p, f, 100);
    port_tx_release(fw);
    assert_int_equal(p->out_drops, 40);
    assert_int_equal(fw->st.drop[DROP_TX], 40);
    assert_int_equal(p->out_packets, 75 + 40);
    close(sv[0]);
    /* a socket that fills up part way: what went, went in order; the rest
     * is counted as dropped, at once */
    {
        int small = 4096, before = (int)p->out_packets;
        uint8_t got[2000];
        ssize_t r;
        assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv), 0);
        setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
        fcntl(sv[0], F_SETFL, O_NONBLOCK);
        p->fd = sv[0];
        port_tx_hold(fw);
        for (i = 0; i < 32; i++) {
            memset(f, (int)i, sizeof(f));
            port_send_frame(fw, p, f, 1500);
        }
        port_tx_release(fw);
        assert_true(p->out_packets > (uint64_t)before && p->out_packets < (uint64_t)before + 32);
        assert_int_equal(p->out_packets - (uint64_t)before + (p->out_drops - 40), 32);
        for (i = 0; (r = recv(sv[1], got, sizeof(got), MSG_DONTWAIT)) > 0; i++)
            assert_int_equal(got[sizeof(struct virtio_net_hdr)], (uint8_t)i);
        assert_int_equal(i, p->out_packets - (uint64_t)before);
        close(sv[1]);
    }
    fw_free(fw);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(tables_from_configuration),
        cmocka_unit_test(prepare_builds_aside_apply_swaps_abort_drops),
        cmocka_unit_test(kmd_routes_and_ages_survive_commits),
        cmocka_unit_test(route_cache_follows_route_changes),
        cmocka_unit_test(hostile_frames_are_dropped_and_counted),
        cmocka_unit_test(arp_is_answered_and_learned),
        cmocka_unit_test(ipv6_path),
        cmocka_unit_test(random_frames_never_crash),
        cmocka_unit_test(held_frames_leave_in_order),
    };
    return cmocka_run_group_tests(tests, schema_setup, schema_teardown);
}
