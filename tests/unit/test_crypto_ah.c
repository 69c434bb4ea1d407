/* test_crypto_ah.c: AH integrity (RFC 4302) in lib/crypto (ah.h), and the
 * cipher-only ESP transform of AH+ESP bundles (esp.h).
 *
 * The known answers come from tests/unit/gen_ah_vectors.py, which computes
 * them with Python's hmac and its own masking of the IPv4 header, nothing
 * of OpenSG's (the plain hmac-md5-96 one was also checked with `openssl
 * dgst -md5 -mac HMAC`): two tunnel-mode packets as they travel (TOS 0xb8,
 * DF, TTL 64, checksum), one with IPv4 options (router alert, immutable;
 * record route, mutable; end of list), for hmac-md5-96, hmac-sha1-96 and
 * hmac-sha-256-128.
 *
 *  - ah_icv_compute gives the stored ICV, ah_icv_verify accepts the
 *    packet, ah_seal rebuilds the AH header and ICV byte for byte;
 *  - every byte of each packet flipped in turn: a flip in a mutable field
 *    (TOS, flags and fragment offset, TTL, checksum, the record route
 *    option) still verifies, a flip anywhere else is an ICV failure;
 *  - ah_ip4_mask zeroes exactly those fields; malformed options, short
 *    packets, wrong key lengths are refused;
 *  - a cipher-only ESP transform seals and opens with no ICV at all. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "crypto/ah.h"
#include "crypto/crypto.h"
#include "crypto/esp.h"
#include "isakmp_vectors.h"

struct ah_case {
    const char *name, *alg, *key, *wire, *icv;
};

/* Output of tests/unit/gen_ah_vectors.py. */
static const struct ah_case cases[] = {
    {"plain", "md5", "0102030405060708090a0b0c0d0e0f10",
     "45b80050123440004033a38bc0000201c0000202040400000000100000000007"
     "7103264b9679dbf462f34e104500002442420000400121930a0101010a020201"
     "0800eb77007700010001020304050607",
     "7103264b9679dbf462f34e10"},
    {"plain", "sha1", "202122232425262728292a2b2c2d2e2f30313233",
     "45b80050123440004033a38bc0000201c0000202040400000000100000000007"
     "2b4ec6ae33fe750748f5e94a4500002442420000400121930a0101010a020201"
     "0800eb77007700010001020304050607",
     "2b4ec6ae33fe750748f5e94a"},
    {"plain", "sha256", "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
     "45b80054123440004033a387c0000201c0000202040500000000100000000007"
     "3b9e226153750947e916ce6e3f1943ec4500002442420000400121930a010101"
     "0a0202010800eb77007700010001020304050607",
     "3b9e226153750947e916ce6e3f1943ec"},
    {"options", "md5", "0102030405060708090a0b0c0d0e0f10",
     "49b800601234400040338d17c0000201c000020294040000070b0cc6336401c6"
     "33640200040400000000100000000007090fbd435018d4f1c8e2cc6945000024"
     "42420000400121930a0101010a0202010800eb77007700010001020304050607",
     "090fbd435018d4f1c8e2cc69"},
    {"options", "sha1", "202122232425262728292a2b2c2d2e2f30313233",
     "49b800601234400040338d17c0000201c000020294040000070b0cc6336401c6"
     "336402000404000000001000000000073d0cf500bb250eabe9a52dea45000024"
     "42420000400121930a0101010a0202010800eb77007700010001020304050607",
     "3d0cf500bb250eabe9a52dea"},
    {"options", "sha256", "404142434445464748494a4b4c4d4e4f505152535455565758595a5b5c5d5e5f",
     "49b800641234400040338d13c0000201c000020294040000070b0cc6336401c6"
     "33640200040500000000100000000007e3f43e1c5015d783fa448f0c57261fdd"
     "4500002442420000400121930a0101010a0202010800eb770077000100010203"
     "04050607",
     "e3f43e1c5015d783fa448f0c57261fdd"},
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static enum esp_integ integ(const char *alg)
{
    return strcmp(alg, "md5") == 0    ? ESP_INTEG_HMAC_MD5_96
           : strcmp(alg, "sha1") == 0 ? ESP_INTEG_HMAC_SHA1_96
                                      : ESP_INTEG_HMAC_SHA256_128;
}

struct loaded {
    uint8_t key[32], wire[200], icv[16];
    size_t key_len, len, icv_len, hlen;
    struct ah_xform *xf;
};

static void load(const struct ah_case *c, struct loaded *l)
{
    l->key_len = (size_t)vec_unhex(c->key, l->key, sizeof(l->key));
    l->len = (size_t)vec_unhex(c->wire, l->wire, sizeof(l->wire));
    l->icv_len = (size_t)vec_unhex(c->icv, l->icv, sizeof(l->icv));
    l->hlen = (l->wire[0] & 0x0fu) * 4u;
    l->xf = ah_xform_new(integ(c->alg), l->key, l->key_len);
    assert_non_null(l->xf);
    assert_int_equal(ah_xform_icv_len(l->xf), l->icv_len);
    assert_int_equal(ah_xform_hdr_len(l->xf), AH_FIXED_LEN + l->icv_len);
}

/* 1 for the offsets RFC 4302 lets change in transit (the vectors' only
 * mutable option is record route, at 24..34). */
static int mutable_at(const struct loaded *l, size_t i)
{
    return i == 1 || i == 6 || i == 7 || i == 8 || i == 10 || i == 11 ||
           (l->hlen > 20 && i >= 24 && i < 35);
}

static void known_answers(void **state)
{
    (void)state;
    for (size_t k = 0; k < NCASES; k++) {
        struct loaded l;
        uint8_t icv[AH_MAX_ICV], copy[200];

        load(&cases[k], &l);
        assert_int_equal(ah_icv_compute(l.xf, l.wire, l.len, icv), ESP_OK);
        assert_memory_equal(icv, l.icv, l.icv_len);
        assert_memory_equal(l.wire + l.hlen + AH_FIXED_LEN, l.icv, l.icv_len);
        assert_int_equal(ah_icv_verify(l.xf, l.wire, l.len), ESP_OK);
        /* ah_seal writes the same header and ICV over a blank AH area */
        memcpy(copy, l.wire, l.len);
        memset(copy + l.hlen, 0xee, AH_FIXED_LEN + l.icv_len);
        assert_int_equal(ah_seal(l.xf, 0x1000, 7, 4, copy, l.len), ESP_OK);
        assert_memory_equal(copy, l.wire, l.len);
        ah_xform_free(l.xf);
    }
}

static void every_byte_flipped(void **state)
{
    (void)state;
    for (size_t k = 0; k < NCASES; k++) {
        struct loaded l;
        unsigned mutables = 0, refused = 0;

        load(&cases[k], &l);
        for (size_t i = 0; i < l.len; i++) {
            l.wire[i] ^= 0x21;
            if (mutable_at(&l, i) && i != 25) { /* record route's length: malformed */
                assert_int_equal(ah_icv_verify(l.xf, l.wire, l.len), ESP_OK);
                mutables++;
            } else if (ah_icv_verify(l.xf, l.wire, l.len) != ESP_OK) {
                refused++; /* an ICV failure; or the header length (byte 0) or an
                              option length no longer fits: malformed */
            } else {
                fail_msg("%s/%s: byte %zu flipped still verifies", cases[k].name, cases[k].alg, i);
            }
            l.wire[i] ^= 0x21;
        }
        assert_int_equal(mutables, l.hlen > 20 ? 16 : 6);
        assert_int_equal(refused, l.len - mutables);
        assert_int_equal(ah_icv_verify(l.xf, l.wire, l.len), ESP_OK);
        ah_xform_free(l.xf);
    }
}

static void mask_and_refusals(void **state)
{
    struct loaded l;
    uint8_t out[60], bad[200], icv[AH_MAX_ICV];

    (void)state;
    load(&cases[3], &l); /* with options */
    assert_int_equal(ah_ip4_mask(l.wire, l.hlen, out), 0);
    for (size_t i = 0; i < l.hlen; i++)
        assert_int_equal(out[i], mutable_at(&l, i) ? 0 : l.wire[i]);
    assert_int_equal(out[20], 148); /* router alert kept */
    /* malformed options: a length of 1, a length past the header */
    memcpy(bad, l.wire, l.len);
    bad[25] = 1;
    assert_int_equal(ah_ip4_mask(bad, l.hlen, out), -1);
    assert_int_equal(ah_icv_compute(l.xf, bad, l.len, icv), ESP_ERR_CRYPTO);
    bad[25] = 40;
    assert_int_equal(ah_ip4_mask(bad, l.hlen, out), -1);
    assert_int_equal(ah_ip4_mask(bad, 19, out), -1);
    /* too short for the AH header */
    assert_int_equal(ah_icv_verify(l.xf, l.wire, l.hlen + AH_FIXED_LEN + 3), ESP_ERR_LENGTH);
    assert_int_equal(ah_seal(l.xf, 1, 1, 4, bad, l.hlen + 4), ESP_ERR_LENGTH);
    ah_xform_free(l.xf);
    /* key lengths and algorithms */
    assert_null(ah_xform_new(ESP_INTEG_HMAC_SHA1_96, l.key, 16));
    assert_null(ah_xform_new(ESP_INTEG_COUNT, l.key, 16));
    assert_string_not_equal(crypto_strerror(), "");
}

/* The ESP of a bundle: CBC without an ICV, the trailer still checked. */
static void cipher_only_esp(void **state)
{
    static const uint8_t key[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    struct esp_xform *out = esp_xform_new_cipher_only(ESP_OUTBOUND, CRYPTO_CIPHER_AES128_CBC, key,
                                                      sizeof(key)),
                     *in = esp_xform_new_cipher_only(ESP_INBOUND, CRYPTO_CIPHER_AES128_CBC, key,
                                                     sizeof(key));
    uint8_t pkt[256], payload[61];
    size_t len, off, plen;
    uint8_t nh;

    (void)state;
    assert_non_null(out);
    assert_non_null(in);
    assert_int_equal(esp_xform_icv_len(out), 0);
    assert_int_equal(esp_xform_iv_len(out), 16);
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 7);
    memcpy(pkt + esp_payload_offset(out), payload, sizeof(payload));
    assert_int_equal(esp_seal(out, 0x2000, 1, 4, NULL, pkt, sizeof(payload), sizeof(pkt), &len),
                     ESP_OK);
    assert_int_equal(len, 8 + 16 + 64); /* 61 + pad 1 + 2 = 64: no ICV */
    assert_int_equal(esp_open(in, pkt, len, &off, &plen, &nh), ESP_OK);
    assert_int_equal(plen, sizeof(payload));
    assert_int_equal(nh, 4);
    assert_memory_equal(pkt + off, payload, plen);
    assert_int_equal(esp_icv_compute(out, pkt, 8, payload), ESP_ERR_CRYPTO);
    esp_xform_free(out);
    esp_xform_free(in);
    assert_null(
        esp_xform_new_cipher_only(ESP_OUTBOUND, CRYPTO_CIPHER_AES128_CBC, key, sizeof(key) - 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(known_answers),
        cmocka_unit_test(every_byte_flipped),
        cmocka_unit_test(mask_and_refusals),
        cmocka_unit_test(cipher_only_esp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
