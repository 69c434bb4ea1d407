/* test_index.c: fwdd's lookup indexes against the list scans they
 * replace.
 *  - ptab (ptab.h): random adds and deletes, duplicate keys, keys that
 *    collide on their home slot, against a plain array;
 *  - dynrule_match (dynrule.c): thousands of random dynamic rules (nested
 *    and equal remote prefixes of many lengths, IPv4 and IPv6, several
 *    units, protocols and ports), random deletions, and random packets:
 *    the rule found is always the one the installation-order scan finds. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "ipsec.h"
#include "pktutil.h"
#include "ptab.h"
#include "svc.h"

#define TEST(name) static void name(void **state)

TEST(ptab_against_an_array)
{
    enum { N = 3000 };
    static struct {
        uint64_t key;
        int live;
    } ref[N];
    struct ptab t = {0};

    (void)state;
    srand(7);
    for (int i = 0; i < N; i++)
        ref[i].key = (uint64_t)(rand() % 700); /* many duplicate keys */
    for (int round = 0; round < 20000; round++) {
        int i = rand() % N;
        if (ref[i].live)
            assert_int_equal(ptab_del(&t, ref[i].key, &ref[i]), 0);
        else
            ptab_add(&t, ref[i].key, &ref[i]);
        ref[i].live = !ref[i].live;
        if (round % 97 == 0) {
            uint64_t key = (uint64_t)(rand() % 700);
            size_t it = 0, seen = 0, want = 0;
            void *p;
            while ((p = ptab_next(&t, key, &it)) != NULL) {
                assert_true(((typeof(&ref[0]))p)->key == key);
                assert_true(((typeof(&ref[0]))p)->live);
                seen++;
            }
            for (int k = 0; k < N; k++)
                want += ref[k].live && ref[k].key == key;
            assert_int_equal(seen, want);
        }
    }
    for (int i = 0; i < N; i++)
        if (ref[i].live)
            assert_int_equal(ptab_del(&t, ref[i].key, &ref[i]), 0);
    assert_int_equal(ptab_del(&t, 1, &ref[0]), -1);
    assert_int_equal(t.n, 0);
    ptab_free(&t);
}

static void rand_prefix(struct addr *a, int v6)
{
    static const uint8_t lens4[] = {0, 8, 16, 20, 24, 24, 24, 28, 32, 32};
    static const uint8_t lens6[] = {0, 32, 48, 64, 64, 96, 120, 128};
    uint8_t b[16] = {0};

    /* few distinct addresses, so prefixes nest and repeat */
    b[0] = v6 ? 0x20 : 10;
    b[1] = (uint8_t)(rand() % 3);
    b[2] = (uint8_t)(rand() % 4);
    b[3] = (uint8_t)(rand() % 4);
    b[15] = (uint8_t)(rand() % 3);
    if (v6)
        addr_set_v6(a, b, lens6[rand() % sizeof(lens6)]);
    else
        addr_set_v4(a, get32(b), lens4[rand() % sizeof(lens4)]);
    addr_mask(a, a->plen);
}

static const char *const units[] = {"ms-1/0/0.1", "ms-1/0/0.2", "ms-1/0/0.10"};

static size_t rand_packet(uint8_t *ip, struct unit *u)
{
    int v6 = rand() % 4 == 0;
    struct addr d, s;
    size_t len = v6 ? 48 : 28;

    memset(ip, 0, 64);
    snprintf(u->name, sizeof(u->name), "%s", units[rand() % 3]);
    rand_prefix(&d, v6);
    rand_prefix(&s, v6);
    if (v6) {
        ip[0] = 0x60;
        ip[6] = rand() % 2 ? 17 : 6;
        memcpy(ip + 8, s.a, 16);
        memcpy(ip + 24, d.a, 16);
        ip[24 + 15] = (uint8_t)(rand() % 3);
        put16(ip + 40, (uint16_t)(rand() % 3));
        put16(ip + 42, (uint16_t)(rand() % 3));
    } else {
        ip[0] = 0x45;
        ip[9] = rand() % 2 ? 17 : 6;
        memcpy(ip + 12, s.a, 4);
        memcpy(ip + 16, d.a, 4);
        ip[19] = (uint8_t)(rand() % 4);
        put16(ip + 20, (uint16_t)(rand() % 3));
        put16(ip + 22, (uint16_t)(rand() % 3));
    }
    return len;
}

TEST(dynrule_match_equals_the_scan)
{
    static struct ss_rt rt;
    struct unit u;
    uint8_t ip[64];
    uint32_t next = 1;
    size_t found = 0, checked = 0;

    (void)state;
    srand(11);
    memset(&rt, 0, sizeof(rt));
    memset(&u, 0, sizeof(u));
    for (int round = 0; round < 40; round++) {
        for (int i = 0; i < 150; i++) { /* add */
            struct dyn_rule *r = calloc(1, sizeof(*r));
            int v6 = rand() % 4 == 0;
            assert_non_null(r);
            snprintf(r->inside, sizeof(r->inside), "%s", units[rand() % 3]);
            r->tunnel = next++;
            rand_prefix(&r->src, v6);
            rand_prefix(&r->dst, v6);
            r->sel.src = &r->src;
            r->sel.dst = &r->dst;
            r->sel.nsrc = r->sel.ndst = 1;
            r->sel.proto = (uint8_t)(rand() % 3 == 0 ? 17 : 0);
            r->sel.dport = (uint16_t)(rand() % 4 == 0 ? 1 : 0);
            dynrule_add(&rt, r);
        }
        for (struct dyn_rule *r = rt.rules, *nx; r; r = nx) { /* delete some */
            nx = r->next;
            if (rand() % 3 == 0) {
                assert_ptr_equal(dynrule_of_tunnel(&rt, r->tunnel), r);
                dynrule_del(&rt, r);
            }
        }
        for (int i = 0; i < 500; i++) {
            size_t len = rand_packet(ip, &u);
            const struct dyn_rule *want = NULL;
            for (const struct dyn_rule *r = rt.rules; r && !want; r = r->next)
                if (strcmp(r->inside, u.name) == 0 && sel_match(&r->sel, ip, len, 0))
                    want = r;
            assert_ptr_equal(dynrule_match(&rt, &u, ip, len), want);
            found += want != NULL;
            checked++;
        }
    }
    assert_true(found > checked / 4); /* the packets do hit rules */
    assert_true(found < checked);
    dynrule_flush(&rt);
    assert_null(rt.rules);
    assert_null(rt.rules_tail);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(ptab_against_an_array),
        cmocka_unit_test(dynrule_match_equals_the_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
