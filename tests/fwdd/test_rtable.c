/*
 * test_rtable: fwdd's route table (fwdd/rtable.h).  Longest-prefix match
 * against a brute-force reference on random IPv4 and IPv6 routes, with
 * deletions; preference order and hidden routes; the age inheritance of
 * rebuilt tables; the age text of show route.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "addr.h"
#include "rtable.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define TEST(name) static void name(void **state __attribute__((unused)))

static uint64_t rng = 88172645463325252ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 11);
}

static void rnd_addr(struct addr *a, int af)
{
    memset(a, 0, sizeof(*a));
    a->af = (uint8_t)af;
    a->plen = (uint8_t)addr_maxlen(af);
    for (unsigned i = 0; i < (af == AF_INET ? 4u : 16u); i++)
        a->a[i] = (uint8_t)rnd();
    /* cluster the addresses so that prefixes nest and overlap */
    a->a[0] = (uint8_t)(10 + rnd() % 3);
}

struct ref {
    struct addr p;
    int live;
};

static struct route static_route(uint32_t pref)
{
    struct route r = {0};

    r.proto = RTP_STATIC;
    r.pref = pref;
    r.nnh = 1;
    r.nh[0].kind = NH_UNIT;
    snprintf(r.nh[0].via, sizeof(r.nh[0].via), "ms-1/0/0.1");
    return r;
}

static int match_all(const struct route *r, const void *arg)
{
    (void)r;
    (void)arg;
    return 1;
}

/* The longest live reference prefix covering a, or NULL. */
static const struct ref *brute(const struct ref *v, size_t n, const struct addr *a)
{
    const struct ref *best = NULL;

    for (size_t i = 0; i < n; i++)
        if (v[i].live && prefix_contains(&v[i].p, a) && (!best || v[i].p.plen > best->p.plen))
            best = &v[i];
    return best;
}

static void lpm_random(int af, size_t nroutes, size_t nlookups)
{
    struct rtable *t = rtable_new(af == AF_INET ? "inet.0" : "inet6.0", af);
    struct ref *v = calloc(nroutes, sizeof(*v));
    struct route r = static_route(5);
    unsigned max = addr_maxlen(af);

    for (size_t i = 0; i < nroutes; i++) {
        rnd_addr(&v[i].p, af);
        addr_mask(&v[i].p, af == AF_INET ? 8 + rnd() % 25 : 16 + rnd() % 113);
        if (rnd() % 50 == 0)
            addr_mask(&v[i].p, 0); /* a default route now and then */
        v[i].live = 1;
        rtable_add(t, &v[i].p, &r);
    }
    for (int round = 0; round < 2; round++) {
        for (size_t k = 0; k < nlookups; k++) {
            struct addr a;
            const struct rt_dest *d;
            const struct ref *want;
            if (k % 2) { /* inside a known prefix */
                const struct ref *base = &v[rnd() % nroutes];
                a = base->p;
                for (unsigned bit = base->p.plen; bit < max; bit++)
                    if (rnd() & 1)
                        a.a[bit / 8] |= (uint8_t)(0x80 >> (bit % 8));
                a.plen = (uint8_t)max;
            } else {
                rnd_addr(&a, af);
            }
            d = rtable_lookup(t, &a);
            want = brute(v, nroutes, &a);
            if (want == NULL) {
                assert_null(d);
                continue;
            }
            assert_non_null(d);
            assert_int_equal(d->prefix.plen, want->p.plen);
            assert_memory_equal(d->prefix.a, want->p.a, 16);
        }
        /* delete a third of them and check again */
        for (size_t i = 0; i < nroutes; i += 3)
            if (v[i].live) {
                int n = rtable_del(t, &v[i].p, match_all, NULL);
                assert_true(n >= 1);
                for (size_t j = 0; j < nroutes; j++)
                    if (v[j].live && prefix_cmp(&v[j].p, &v[i].p) == 0)
                        v[j].live = 0;
            }
    }
    rtable_free(t);
    free(v);
}

TEST(lpm_ipv4_matches_brute_force)
{
    lpm_random(AF_INET, 2000, 10000);
}

TEST(lpm_ipv6_matches_brute_force)
{
    lpm_random(AF_INET6, 800, 3000);
}

TEST(counts_and_exact)
{
    struct rtable *t = rtable_new("inet.0", AF_INET);
    struct route r = static_route(5);
    struct addr p;

    prefix_parse("10.1.1.0/24", &p);
    rtable_add(t, &p, &r);
    rtable_add(t, &p, &r);
    prefix_parse("10.1.1.7/24", &p); /* host bits are cleared */
    assert_non_null(rtable_exact(t, &p));
    assert_int_equal(t->ndest, 1);
    assert_int_equal(t->nroutes, 2);
    prefix_parse("10.1.0.0/16", &p);
    assert_null(rtable_exact(t, &p));
    assert_int_equal(rtable_del(t, &p, match_all, NULL), 0);
    prefix_parse("10.1.1.0/24", &p);
    assert_int_equal(rtable_del(t, &p, match_all, NULL), 2);
    assert_int_equal(t->ndest, 0);
    assert_int_equal(t->nroutes, 0);
    assert_null(rtable_lookup(t, &p));
    rtable_free(t);
}

static int match_pref(const struct route *r, const void *arg)
{
    return r->pref == *(const uint32_t *)arg;
}

TEST(preference_selects_the_active_route)
{
    struct rtable *t = rtable_new("inet.0", AF_INET);
    struct route st = static_route(5), kmd = static_route(1), hidden = static_route(0);
    struct addr p, a;
    const struct rt_dest *d;
    uint32_t one = 1;

    prefix_parse("10.2.2.0/24", &p);
    addr_parse("10.2.2.9", &a);
    rtable_add(t, &p, &st);
    kmd.origin = RTO_KMD;
    rtable_add(t, &p, &kmd);
    hidden.hidden = 1;
    rtable_add(t, &p, &hidden);
    d = rtable_lookup(t, &a);
    assert_non_null(d);
    assert_int_equal(rt_active(d)->pref, 1); /* hidden pref 0 is not eligible */
    assert_int_equal(rt_active(d)->origin, RTO_KMD);
    assert_int_equal(d->routes->pref, 0); /* listed first all the same */
    assert_int_equal(t->nhidden, 1);
    assert_int_equal(rtable_del(t, &p, match_pref, &one), 1);
    assert_int_equal(rt_active(rtable_lookup(t, &a))->pref, 5);
    assert_int_equal(rtable_active_count(t), 1);
    rtable_free(t);
}

TEST(hidden_only_destination_falls_back_to_shorter)
{
    struct rtable *t = rtable_new("inet.0", AF_INET);
    struct route st = static_route(5), hidden = static_route(5);
    struct addr p, a;

    hidden.hidden = 1;
    prefix_parse("0.0.0.0/0", &p);
    rtable_add(t, &p, &st);
    prefix_parse("192.0.2.0/24", &p);
    rtable_add(t, &p, &hidden);
    addr_parse("192.0.2.1", &a);
    assert_int_equal(rtable_lookup(t, &a)->prefix.plen, 0);
    assert_int_equal(rtable_active_count(t), 1);
    rtable_free(t);
}

TEST(sorted_listing)
{
    struct rtable *t = rtable_new("inet.0", AF_INET);
    struct route r = static_route(5);
    const char *in[] = {"10.2.0.0/16", "10.1.1.0/24", "0.0.0.0/0", "10.1.0.0/16", "10.1.1.1/32"};
    const char *out[] = {"0.0.0.0/0", "10.1.0.0/16", "10.1.1.0/24", "10.1.1.1/32", "10.2.0.0/16"};
    const struct rt_dest **v;
    size_t n;

    for (size_t i = 0; i < 5; i++) {
        struct addr p;
        prefix_parse(in[i], &p);
        rtable_add(t, &p, &r);
    }
    v = rtable_sorted(t, &n);
    assert_int_equal(n, 5);
    for (size_t i = 0; i < n; i++) {
        char s[ADDR_STRLEN];
        assert_string_equal(prefix_str(&v[i]->prefix, s, sizeof(s)), out[i]);
    }
    free(v);
    rtable_free(t);
}

static int64_t now_value;
static int64_t fake_now(void)
{
    return now_value;
}

TEST(rebuilt_table_keeps_ages)
{
    struct rtable *old = rtable_new("inet.0", AF_INET), *t = rtable_new("inet.0", AF_INET);
    struct route r = static_route(5), other = static_route(7);
    struct addr p;
    const struct rt_dest *d;

    fwd_clock_set(fake_now);
    now_value = 1000;
    prefix_parse("10.1.0.0/16", &p);
    rtable_add(old, &p, &r);
    now_value = 5000;
    rtable_add(t, &p, &r);
    rtable_add(t, &p, &other);
    rtable_inherit_ages(t, old);
    d = rtable_exact(t, &p);
    assert_int_equal(d->routes->since, 1000);       /* same route: its age stays */
    assert_int_equal(d->routes->next->since, 5000); /* a new one starts now */
    fwd_clock_set(NULL);
    rtable_free(old);
    rtable_free(t);
}

TEST(age_text)
{
    char b[32];

    assert_string_equal(age_str(257, b, sizeof(b)), "00:04:17");
    assert_string_equal(age_str(183069, b, sizeof(b)), "2d 02:51:09");
    assert_string_equal(age_str(7 * 86400 * 3 + 86400 * 2 + 3600 * 3, b, sizeof(b)),
                        "3w2d 03:00:00");
    assert_string_equal(age_str(-5, b, sizeof(b)), "00:00:00");
}

TEST(address_text)
{
    struct addr a;
    char b[ADDR_STRLEN];

    assert_int_equal(addr_parse("10.1.1.254/24", &a), 0);
    assert_string_equal(prefix_str(&a, b, sizeof(b)), "10.1.1.254/24");
    addr_mask(&a, a.plen);
    assert_string_equal(prefix_abbrev(&a, b, sizeof(b)), "10.1.1/24");
    assert_int_equal(prefix_parse("2001:db8::1/64", &a), 0);
    assert_string_equal(prefix_str(&a, b, sizeof(b)), "2001:db8::/64");
    assert_int_equal(addr_parse("10.1.1.1/33", &a), -1);
    assert_int_equal(addr_parse("10.1.1.1/", &a), -1);
    assert_int_equal(addr_parse("/8", &a), -1);
    assert_int_equal(addr_parse("ge-0/0/0.0", &a), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(lpm_ipv4_matches_brute_force),
        cmocka_unit_test(lpm_ipv6_matches_brute_force),
        cmocka_unit_test(counts_and_exact),
        cmocka_unit_test(preference_selects_the_active_route),
        cmocka_unit_test(hidden_only_destination_falls_back_to_shorter),
        cmocka_unit_test(sorted_listing),
        cmocka_unit_test(rebuilt_table_keeps_ages),
        cmocka_unit_test(age_text),
        cmocka_unit_test(address_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
