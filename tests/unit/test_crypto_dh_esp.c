/* test_crypto_dh_esp.c: lib/crypto Diffie-Hellman (groups, agreement, peer
 * value checks, the left-padding of g^xy against an independent BIGNUM
 * computation and the IKE keys derived from it) and whole ESP packets
 * (seal/open round trips, tampering, malformed trailers). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include <openssl/bn.h>
#include <openssl/evp.h>

#include "crypto/crypto.h"
#include "crypto/dh.h"
#include "crypto/esp.h"
#include "crypto/prf.h"

static const unsigned group_ids[] = {1, 2, 5, 14, 15, 16};

/* The tables in dh.c against OpenSSL's own copies of the RFC primes. */
static void test_dh_group_primes(void **state)
{
    BIGNUM *(*ref[])(BIGNUM *) = {
        BN_get_rfc2409_prime_768,  BN_get_rfc2409_prime_1024, BN_get_rfc3526_prime_1536,
        BN_get_rfc3526_prime_2048, BN_get_rfc3526_prime_3072, BN_get_rfc3526_prime_4096,
    };

    (void)state;
    for (size_t i = 0; i < 6; i++) {
        const struct dh_group *g = dh_group_find(group_ids[i]);
        BIGNUM *p = NULL, *want = ref[i](NULL);

        assert_non_null(g);
        assert_int_equal(g->id, group_ids[i]);
        assert_true(BN_hex2bn(&p, g->prime_hex) > 0);
        assert_int_equal(BN_cmp(p, want), 0);
        assert_int_equal(dh_group_len(g), (size_t)BN_num_bytes(want));
        BN_free(p);
        BN_free(want);
    }
    assert_null(dh_group_find(0));
    assert_null(dh_group_find(19)); /* ECP groups are not supported */
}

static void test_dh_agreement_all_groups(void **state)
{
    uint8_t s1[512], s2[512];

    (void)state;
    for (size_t i = 0; i < 6; i++) {
        const struct dh_group *g = dh_group_find(group_ids[i]);
        size_t len = dh_group_len(g);
        struct dh_keypair *a = dh_keypair(g, 0), *b = dh_keypair(g, g->min_priv_bits + 8);

        assert_non_null(a);
        assert_non_null(b);
        assert_ptr_equal(dh_keypair_group(a), g);
        assert_int_equal(dh_shared(a, dh_public(b), len, s1), 0);
        assert_int_equal(dh_shared(b, dh_public(a), len, s2), 0);
        assert_memory_equal(s1, s2, len);
        assert_memory_not_equal(dh_public(a), dh_public(b), len);
        dh_keypair_free(a);
        dh_keypair_free(b);
    }
}

static void test_dh_rejects(void **state)
{
    const struct dh_group *g = dh_group_find(2);
    size_t len = dh_group_len(g);
    struct dh_keypair *kp;
    uint8_t peer[128], out[128];
    BIGNUM *p = NULL;

    (void)state;
    assert_null(dh_keypair(g, 159));  /* below 2 x strength */
    assert_null(dh_keypair(g, 1024)); /* not below the modulus */
    assert_non_null(strstr(crypto_strerror(), "outside"));
    assert_null(dh_keypair(NULL, 0));
    kp = dh_keypair(g, 1023);
    assert_non_null(kp);
    assert_true(BN_hex2bn(&p, g->prime_hex) > 0);

    memset(peer, 0, len); /* 0 */
    assert_int_equal(dh_shared(kp, peer, len, out), -1);
    peer[len - 1] = 1; /* 1 */
    assert_int_equal(dh_shared(kp, peer, len, out), -1);
    peer[len - 1] = 2; /* 2: the smallest accepted */
    assert_int_equal(dh_shared(kp, peer, len, out), 0);
    assert_int_equal(BN_bn2binpad(p, peer, (int)len), (int)len); /* p */
    assert_int_equal(dh_shared(kp, peer, len, out), -1);
    peer[len - 1]--; /* p - 1 */
    assert_int_equal(dh_shared(kp, peer, len, out), -1);
    assert_non_null(strstr(crypto_strerror(), "outside"));
    peer[len - 1]--; /* p - 2: the largest accepted */
    assert_int_equal(dh_shared(kp, peer, len, out), 0);
    memset(peer, 0xff, len); /* > p */
    assert_int_equal(dh_shared(kp, peer, len, out), -1);
    assert_int_equal(dh_shared(kp, dh_public(kp), len - 1, out), -1); /* not padded */
    assert_non_null(strstr(crypto_strerror(), "bytes"));
    BN_free(p);
    dh_keypair_free(kp);
}

/* prf(key, a | b | ...) with EVP_Q_mac over a flat copy: the reference. */
static void ref_prf(const char *md, const uint8_t *key, size_t kl, const uint8_t *data, size_t dl,
                    uint8_t *out)
{
    size_t ol = 0;

    assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, md, NULL, key, kl, data, dl, out, 64, &ol));
}

/* The issue: OpenSSL strips leading zeros of g^xy unless told to pad, and
 * IKE then hashes a value one byte short.  Loop until a shared secret
 * starts with a zero byte (1 in 256), check it is the modulus length and
 * equal to peer^x mod p computed here with BIGNUM, then check SKEYID_d/a/e
 * against HMACs computed here over the padded value. */
static void test_dh_padding_and_skeyid(void **state)
{
    const struct dh_group *g = dh_group_find(2);
    size_t len = dh_group_len(g);
    uint8_t z[128], ref[128], xr_pub[128], buf[256], d[64], a[64], e[64];
    uint8_t cky_i[8] = {1, 2, 3, 4, 5, 6, 7, 8}, cky_r[8] = {9, 10, 11, 12, 13, 14, 15, 16};
    uint8_t ni[16] = {0x11}, nr[16] = {0x22};
    BN_CTX *ctx = BN_CTX_new();
    BIGNUM *p = NULL, *two = BN_new(), *x = BN_new(), *y = BN_new(), *s = BN_new();
    struct dh_keypair *kp = NULL;
    struct ikev1_mm_input in;
    struct ikev1_keys k;
    int tries;

    (void)state;
    assert_true(BN_hex2bn(&p, g->prime_hex) > 0);
    assert_true(BN_set_word(two, 2));
    for (tries = 0; tries < 5000; tries++) {
        dh_keypair_free(kp);
        kp = dh_keypair(g, 0);
        assert_non_null(kp);
        /* The peer: x drawn here, its public value g^x by BIGNUM. */
        assert_true(BN_rand(x, 256, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY));
        assert_true(BN_mod_exp(y, two, x, p, ctx));
        assert_int_equal(BN_bn2binpad(y, xr_pub, (int)len), (int)len);
        assert_int_equal(dh_shared(kp, xr_pub, len, z), 0);
        /* Reference: (g^a)^x mod p, padded here. */
        assert_non_null(BN_bin2bn(dh_public(kp), (int)len, s));
        assert_true(BN_mod_exp(s, s, x, p, ctx));
        assert_int_equal(BN_bn2binpad(s, ref, (int)len), (int)len);
        assert_memory_equal(z, ref, len);
        if (z[0] == 0)
            break;
    }
    assert_true(tries < 5000);
    print_message("leading zero byte after %d key pairs, %d significant bytes\n", tries + 1,
                  BN_num_bytes(s));
    assert_true((size_t)BN_num_bytes(s) < len); /* unpadded it would be shorter */

    memset(&in, 0, sizeof(in));
    in.hash = CRYPTO_HASH_SHA1;
    in.cipher = CRYPTO_CIPHER_AES128_CBC;
    in.psk = (const uint8_t *)"secret";
    in.psk_len = 6;
    in.ni_b = ni;
    in.ni_len = sizeof(ni);
    in.nr_b = nr;
    in.nr_len = sizeof(nr);
    in.gxi = xr_pub;
    in.gxr = dh_public(kp);
    in.g_len = len;
    in.gxy = z;
    in.gxy_len = len;
    in.cky_i = cky_i;
    in.cky_r = cky_r;
    assert_int_equal(ikev1_phase1_psk(&in, &k), 0);

    /* SKEYID_d = prf(SKEYID, g^xy | CKY-I | CKY-R | 0), and so on. */
    memcpy(buf, ni, 16);
    memcpy(buf + 16, nr, 16);
    ref_prf("SHA1", in.psk, 6, buf, 32, d);
    assert_memory_equal(k.skeyid, d, 20);
    memcpy(buf, ref, len);
    memcpy(buf + len, cky_i, 8);
    memcpy(buf + len + 8, cky_r, 8);
    buf[len + 16] = 0;
    ref_prf("SHA1", k.skeyid, 20, buf, len + 17, d);
    assert_memory_equal(k.skeyid_d, d, 20);
    memcpy(buf, d, 20);
    memcpy(buf + 20, ref, len);
    memcpy(buf + 20 + len, cky_i, 8);
    memcpy(buf + 28 + len, cky_r, 8);
    buf[36 + len] = 1;
    ref_prf("SHA1", k.skeyid, 20, buf, len + 37, a);
    assert_memory_equal(k.skeyid_a, a, 20);
    memcpy(buf, a, 20);
    buf[36 + len] = 2;
    ref_prf("SHA1", k.skeyid, 20, buf, len + 37, e);
    assert_memory_equal(k.skeyid_e, e, 20);
    assert_memory_equal(k.ka, e, 16);

    /* What the stripped value would have given (the 1-in-256 failure). */
    memcpy(buf, z + 1, len - 1);
    memcpy(buf + len - 1, cky_i, 8);
    memcpy(buf + len + 7, cky_r, 8);
    buf[len + 15] = 0;
    ref_prf("SHA1", k.skeyid, 20, buf, len + 16, d);
    assert_memory_not_equal(k.skeyid_d, d, 20);
    in.gxy = z + 1;
    in.gxy_len = len - 1;
    assert_int_equal(ikev1_phase1_psk(&in, &k), -1); /* refused: not the modulus length */
    assert_non_null(strstr(crypto_strerror(), "modulus length"));
    ikev1_keys_wipe(&k);
    for (size_t i = 0; i < sizeof(k); i++)
        assert_int_equal(((uint8_t *)&k)[i], 0);

    dh_keypair_free(kp);
    BN_free(p);
    BN_free(two);
    BN_free(x);
    BN_free(y);
    BN_free(s);
    BN_CTX_free(ctx);
}

static const struct {
    enum crypto_cipher c;
    enum esp_integ i;
} suites[] = {
    {CRYPTO_CIPHER_DES_CBC, ESP_INTEG_HMAC_MD5_96},
    {CRYPTO_CIPHER_3DES_CBC, ESP_INTEG_HMAC_MD5_96},
    {CRYPTO_CIPHER_3DES_CBC, ESP_INTEG_HMAC_SHA1_96},
    {CRYPTO_CIPHER_AES128_CBC, ESP_INTEG_HMAC_SHA1_96},
    {CRYPTO_CIPHER_AES192_CBC, ESP_INTEG_HMAC_SHA256_128},
    {CRYPTO_CIPHER_AES256_CBC, ESP_INTEG_HMAC_SHA256_128},
};

static void make_pair(size_t n, struct esp_xform **out, struct esp_xform **in)
{
    uint8_t ek[32], ak[32];

    for (int j = 0; j < 32; j++) {
        ek[j] = (uint8_t)(j * 3 + n);
        ak[j] = (uint8_t)(j * 5 + n);
    }
    *out = esp_xform_new(ESP_OUTBOUND, suites[n].c, ek, crypto_cipher_key_len(suites[n].c),
                         suites[n].i, ak, esp_integ_key_len(suites[n].i));
    *in = esp_xform_new(ESP_INBOUND, suites[n].c, ek, crypto_cipher_key_len(suites[n].c),
                        suites[n].i, ak, esp_integ_key_len(suites[n].i));
    assert_non_null(*out);
    assert_non_null(*in);
}

static void test_esp_round_trip(void **state)
{
    uint8_t pkt[1600], payload[1500];

    (void)state;
    for (size_t i = 0; i < sizeof(payload); i++)
        payload[i] = (uint8_t)(i * 13);
    for (size_t n = 0; n < sizeof(suites) / sizeof(suites[0]); n++) {
        struct esp_xform *out, *in;

        make_pair(n, &out, &in);
        for (size_t plen = 0; plen <= 1400; plen += plen < 40 ? 1 : 97) {
            size_t off = esp_payload_offset(out), len, poff, pl;
            uint8_t nh;

            memcpy(pkt + off, payload, plen);
            assert_int_equal(esp_seal(out, 0xc0ffee01, (uint32_t)plen + 1, 4, NULL, pkt, plen,
                                      sizeof(pkt), &len),
                             ESP_OK);
            assert_true(len <= off + plen + esp_trailer_max(out));
            assert_int_equal((len - off - esp_xform_icv_len(out)) % esp_xform_block_len(out), 0);
            assert_int_equal(pkt[0], 0xc0);
            assert_int_equal(pkt[7], (uint8_t)(plen + 1));
            assert_int_equal(esp_open(in, pkt, len, &poff, &pl, &nh), ESP_OK);
            assert_int_equal(poff, off);
            assert_int_equal(pl, plen);
            assert_int_equal(nh, 4);
            assert_memory_equal(pkt + poff, payload, plen);
        }
        esp_xform_free(out);
        esp_xform_free(in);
    }
}

static void test_esp_rejects(void **state)
{
    struct esp_xform *out, *in;
    uint8_t pkt[256], iv[16] = {0}, copy[256];
    size_t off, len, poff, pl, icv, ct_len;
    uint8_t nh;

    (void)state;
    make_pair(3, &out, &in); /* aes-128-cbc, hmac-sha1-96 */
    off = esp_payload_offset(out);
    icv = esp_xform_icv_len(out);
    memset(pkt + off, 0x45, 30);
    assert_int_equal(esp_seal(out, 1, 1, 4, iv, pkt, 30, sizeof(pkt), &len), ESP_OK);
    assert_int_equal(len, 8 + 16 + 32 + 12);
    memcpy(copy, pkt, len);

    /* Any flipped bit, header, IV, ciphertext or ICV: ICV failure, nothing decrypted. */
    for (size_t at = 0; at < len; at++) {
        memcpy(pkt, copy, len);
        pkt[at] ^= 0x20;
        copy[at] ^= 0x20;
        assert_int_equal(esp_open(in, pkt, len, &poff, &pl, &nh), ESP_ERR_ICV);
        assert_memory_equal(pkt, copy, len); /* untouched */
        copy[at] ^= 0x20;
    }
    memcpy(pkt, copy, len);
    assert_int_equal(esp_open(in, pkt, len - 1, &poff, &pl, &nh), ESP_ERR_LENGTH);
    assert_int_equal(esp_open(in, pkt, off + icv, &poff, &pl, &nh), ESP_ERR_LENGTH);
    assert_int_equal(esp_open(in, pkt, 3, &poff, &pl, &nh), ESP_ERR_LENGTH);
    assert_int_equal(esp_open(out, pkt, len, &poff, &pl, &nh), ESP_ERR_CRYPTO);
    assert_int_equal(esp_seal(in, 1, 1, 4, iv, pkt, 30, sizeof(pkt), &len), ESP_ERR_CRYPTO);
    assert_int_equal(esp_seal(out, 1, 1, 4, iv, pkt, 30, 60, &len), ESP_ERR_LENGTH);

    /* A valid ICV over a bad trailer (pad length too big, then bad pad
     * bytes), built with the building blocks. */
    for (int bad = 0; bad < 2; bad++) {
        ct_len = 32;
        memset(pkt, 0, sizeof(pkt));
        memset(pkt + off, 0x45, ct_len);
        pkt[off + ct_len - 2] = bad == 0 ? 40 : 5;
        pkt[off + ct_len - 1] = 4;
        memcpy(pkt + 8, iv, 16);
        assert_int_equal(esp_xform_encrypt(out, iv, pkt + off, ct_len), ESP_OK);
        assert_int_equal(esp_icv_compute(out, pkt, off + ct_len, pkt + off + ct_len), ESP_OK);
        assert_int_equal(esp_open(in, pkt, off + ct_len + icv, &poff, &pl, &nh), ESP_ERR_PADDING);
    }
    esp_xform_free(out);
    esp_xform_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dh_group_primes), cmocka_unit_test(test_dh_agreement_all_groups),
        cmocka_unit_test(test_dh_rejects),      cmocka_unit_test(test_dh_padding_and_skeyid),
        cmocka_unit_test(test_esp_round_trip),  cmocka_unit_test(test_esp_rejects),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
