/* test_secret9.c: lib/conf/secret9 against junos.md section 6.4, round trips,
 * malformed input and random garbage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "../../lib/conf/secret9.h"

/* Spec alphabet (junos.md 6.1), used only to build scripted random bytes. */
static const char alphabet[] = "QzF3n6/9CAtpu0OB1IREhcSyrleKvMW8LXx7N-dVbwsY2g4oaJZGUDjiHkq.mPf5T";

static uint8_t idx(char c)
{
    return (uint8_t)(strchr(alphabet, c) - alphabet);
}

/* Scripted source: hands out a fixed byte sequence, fails the test if overrun. */
struct script {
    const uint8_t *bytes;
    size_t len, pos;
};

static void script_rand(void *ctx, uint8_t *buf, size_t n)
{
    struct script *s = ctx;

    assert_true(s->pos + n <= s->len);
    memcpy(buf, s->bytes + s->pos, n);
    s->pos += n;
}

static void check_decode(const char *enc, const char *want)
{
    char *out = NULL;
    size_t outlen = 0;

    assert_int_equal(secret9_decode(enc, &out, &outlen), 0);
    assert_non_null(out);
    assert_int_equal(outlen, strlen(want));
    assert_string_equal(out, want);
    free(out);
}

/* enc is copied to an exact-size heap block so ASan flags any read past the NUL. */
static void check_reject(const char *enc)
{
    char *copy = enc != NULL ? strdup(enc) : NULL;
    char *out = (char *)1;

    assert_int_equal(secret9_decode(copy, &out, NULL), -1);
    assert_null(out);
    free(copy);
}

static void test_vectors(void **state)
{
    (void)state;
    check_decode("$9$1HFIyKXxdsgJ-VH.Pfn6lKMXdsZUi5Qnikfz", "testPassWord");
    check_decode("$9$2GgZjHkPQ39.PhrvLVb.P5Tz6", "password");
    check_decode("$9$UQiqf36A1RSTzRSreXxDik.Tzn/CuBI", "juniper123");
    check_decode("$9$ewkMLNs2aikPdbkP5Q9CKM8", "juniper");
    check_decode("$9$sO2JGjHqfQFiH0BRhrl", "123456");
}

static void encode_with(const uint8_t *bytes, size_t n)
{
    struct script s = {bytes, n, 0};
    char *enc;

    secret9_set_rand(script_rand, &s);
    enc = secret9_encode("testPassWord", 12);
    secret9_set_rand(NULL, NULL);
    assert_non_null(enc);
    assert_string_equal(enc, "$9$1HFIyKXxdsgJ-VH.Pfn6lKMXdsZUi5Qnikfz");
    assert_int_equal(s.pos, s.len); /* salt + EXTRA['1'] = 2 padding draws, nothing else */
    free(enc);
}

static void test_known_encoding(void **state)
{
    (void)state;
    const uint8_t direct[] = {idx('1'), idx('H'), idx('F')};
    /* Bytes >= 195 (3 * 65) are redrawn; smaller ones reduce mod 65. */
    const uint8_t rejected[] = {255, 200, idx('1') + 65, 254, idx('H') + 130, idx('F')};

    encode_with(direct, sizeof(direct));
    encode_with(rejected, sizeof(rejected));
}

static void test_round_trip(void **state)
{
    (void)state;
    uint64_t seed = 0x0123456789abcdefULL, data = 42;
    static const int group[7] = {3, 3, 3, 2, 2, 4, 3};
    char plain[201];

    secret9_set_rand(secret9_seeded_rand, &seed);
    for (size_t len = 1; len <= 200; len++) {
        uint8_t b;
        size_t outlen = 0, want = 0;
        char *enc, *out = NULL;

        for (size_t i = 0; i < len; i++) {
            do {
                secret9_seeded_rand(&data, &b, 1);
            } while (b == 0);
            plain[i] = (char)b;
            want += group[i % 7];
        }
        enc = secret9_encode(plain, len);
        assert_non_null(enc);
        assert_true(secret9_is_encoded(enc));
        /* 3 + salt + EXTRA[salt] (0..3) + group characters */
        assert_in_range(strlen(enc), 4 + want, 7 + want);
        assert_int_equal(secret9_decode(enc, &out, &outlen), 0);
        assert_int_equal(outlen, len);
        assert_memory_equal(out, plain, len);
        assert_int_equal(out[len], '\0');
        free(enc);
        free(out);
    }
    secret9_set_rand(NULL, NULL);
}

static void test_seeded_is_deterministic(void **state)
{
    (void)state;
    uint64_t s1 = 7, s2 = 7;
    char *a, *b;

    secret9_set_rand(secret9_seeded_rand, &s1);
    a = secret9_encode("juniper", 7);
    secret9_set_rand(secret9_seeded_rand, &s2);
    b = secret9_encode("juniper", 7);
    secret9_set_rand(NULL, NULL);
    assert_string_equal(a, b);
    free(a);
    free(b);
}

static void test_default_rand(void **state)
{
    (void)state;
    char *enc = secret9_encode("juniper123", 10);

    assert_non_null(enc);
    check_decode(enc, "juniper123");
    free(enc);
}

static void test_empty_plaintext(void **state)
{
    (void)state;
    char *enc = secret9_encode("", 0);

    assert_non_null(enc);
    check_decode(enc, "");
    check_decode("$9$1HF", ""); /* salt plus its full padding, no payload */
    free(enc);
}

static void test_malformed(void **state)
{
    (void)state;
    check_reject(NULL);
    check_reject("");
    check_reject("$9");
    check_reject("9$2GgZjHkPQ39.PhrvLVb.P5Tz6");
    check_reject("$8$2GgZjHkPQ39.PhrvLVb.P5Tz6");
    check_reject("2GgZjHkPQ39.PhrvLVb.P5Tz6");
    check_reject("$9$");                                     /* no salt */
    check_reject("$9$1H");                                   /* salt '1' needs two padding chars */
    check_reject("$9$!HFIyKXxdsgJ-VH.Pfn6lKMXdsZUi5Qnikfz"); /* bad salt */
    check_reject("$9$2GgZjHk!Q39.PhrvLVb.P5Tz6");            /* bad char in payload */
    check_reject("$9$2GgZjHkPQ39.PhrvLVb.P5Tz6 ");           /* trailing space */
    check_reject("$9$2GgZjHkPQ39.PhrvLVb.P5Tz");             /* truncated final group */
    check_reject("$9$2GgZjHkPQ39.PhrvLVb.P5Tz6Q");           /* one char of next group */
    check_reject("$9$QQQQzF3");                              /* gaps 0,0,0 decode to byte 0 */
    check_reject("$9$1HF\xc3\xa9");                          /* non-ASCII payload */

    assert_true(secret9_is_encoded("$9$"));
    assert_false(secret9_is_encoded("$9"));
    assert_false(secret9_is_encoded(NULL));
    assert_false(secret9_is_encoded("x$9$"));
}

static void test_garbage(void **state)
{
    (void)state;
    uint64_t g = 0xfeedfacecafebeefULL;
    char buf[64];
    int accepted = 0;

    for (int iter = 0; iter < 1000; iter++) {
        uint8_t r[64];
        size_t n;
        char *copy, *out = NULL;
        size_t outlen = 0;

        secret9_seeded_rand(&g, r, sizeof(r));
        n = r[0] % sizeof(buf);
        for (size_t i = 0; i < n; i++) {
            /* mostly alphabet characters, some arbitrary nonzero bytes */
            buf[i] = (r[i] & 7) ? alphabet[r[i] % 65] : (char)(r[i] | 1);
        }
        if ((r[1] & 3) && n >= 3) /* mostly well-prefixed, to reach the payload decoder */
            memcpy(buf, "$9$", 3);
        buf[n] = '\0';

        copy = strdup(buf); /* exact size: ASan flags reads past the NUL */
        assert_non_null(copy);
        if (secret9_decode(copy, &out, &outlen) == 0) {
            char *enc, *again = NULL;

            accepted++;
            assert_non_null(out);
            assert_int_equal(strlen(out), outlen);
            enc = secret9_encode(out, outlen);
            assert_non_null(enc);
            assert_int_equal(secret9_decode(enc, &again, NULL), 0);
            assert_string_equal(again, out);
            free(enc);
            free(again);
            free(out);
        } else {
            assert_null(out);
        }
        free(copy);
    }
    assert_true(accepted > 0); /* the garbage did reach the success path */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_vectors),      cmocka_unit_test(test_known_encoding),
        cmocka_unit_test(test_round_trip),   cmocka_unit_test(test_seeded_is_deterministic),
        cmocka_unit_test(test_default_rand), cmocka_unit_test(test_empty_plaintext),
        cmocka_unit_test(test_malformed),    cmocka_unit_test(test_garbage),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
