/* test_crypto.c: lib/crypto primitives against published vectors: AES-CBC
 * (RFC 3602), DES-CBC (FIPS 81), 3DES (SP 800-67), HMAC-MD5/SHA1 (RFC 2202)
 * and HMAC-SHA-256 (RFC 4868), the ESP truncations, secret helpers.
 * DH and ESP packets are in test_crypto_dh_esp.c, the IKEv1 captures in
 * test_crypto_ikev1.c. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "crypto/cipher.h"
#include "crypto/crypto.h"
#include "crypto/esp.h"
#include "crypto/prf.h"

static size_t unhex(const char *s, uint8_t *out, size_t cap)
{
    size_t n = 0;

    while (s[0] != '\0' && s[1] != '\0') {
        unsigned v;

        assert_true(n < cap);
        assert_int_equal(sscanf(s, "%2x", &v), 1);
        out[n++] = (uint8_t)v;
        s += 2;
    }
    return n;
}

static void check_cbc(enum crypto_cipher c, const char *key_hex, const char *iv_hex,
                      const uint8_t *pt, size_t pt_len, const char *ct_hex)
{
    uint8_t key[32], iv[16], ct[128], buf[128];
    size_t kl = unhex(key_hex, key, sizeof(key)), cl = unhex(ct_hex, ct, sizeof(ct));
    struct cbc *cbc = cbc_new(c, CBC_BOTH, key, kl);

    assert_non_null(cbc);
    unhex(iv_hex, iv, sizeof(iv));
    assert_int_equal(cl, pt_len);
    /* Twice with the same context: the IV is reset per call, the key kept. */
    for (int round = 0; round < 2; round++) {
        memcpy(buf, pt, pt_len);
        assert_int_equal(cbc_encrypt(cbc, iv, buf, pt_len), 0);
        assert_memory_equal(buf, ct, cl);
        assert_int_equal(cbc_decrypt(cbc, iv, buf, cl), 0);
        assert_memory_equal(buf, pt, pt_len);
    }
    cbc_free(cbc);
}

static void test_aes_cbc_rfc3602(void **state)
{
    uint8_t pt2[32], pt4[64];

    (void)state;
    for (int i = 0; i < 32; i++)
        pt2[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        pt4[i] = (uint8_t)(0xa0 + i);
    check_cbc(CRYPTO_CIPHER_AES128_CBC, "06a9214036b8a15b512e03d534120006",
              "3dafba429d9eb430b422da802c9fac41", (const uint8_t *)"Single block msg", 16,
              "e353779c1079aeb82708942dbe77181a");
    check_cbc(CRYPTO_CIPHER_AES128_CBC, "c286696d887c9aa0611bbb3e2025a45a",
              "562e17996d093d28ddb3ba695a2e6f58", pt2, 32,
              "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1");
    check_cbc(CRYPTO_CIPHER_AES128_CBC, "6c3ea0477630ce21a2ce334aa746c2cd",
              "c782dc4c098c66cbd9cd27d825682c81",
              (const uint8_t *)"This is a 48-byte message (exactly 3 AES blocks)", 48,
              "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5"
              "021c19216bad525c8579695d83ba2684");
    check_cbc(CRYPTO_CIPHER_AES128_CBC, "56e47a38c5598974bc46903dba290349",
              "8ce82eefbea0da3c44699ed7db51b7d9", pt4, 64,
              "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e"
              "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55");
}

/* FIPS 81 appendix C (CBC): "Now is the time for all ". */
static void test_des_cbc_fips81(void **state)
{
    (void)state;
    assert_true(crypto_cipher_available(CRYPTO_CIPHER_DES_CBC));
    check_cbc(CRYPTO_CIPHER_DES_CBC, "0123456789abcdef", "1234567890abcdef",
              (const uint8_t *)"Now is the time for all ", 24,
              "e5c7cdde872bf27c43e934008c389c0f683788499a7c05f6");
}

/* SP 800-67 rev. 1 example (ECB): one-block CBC with a zero IV is ECB. */
static void test_3des_sp800_67(void **state)
{
    static const char *ct[] = {"a826fd8ce53b855f", "cce21c8112256fe6", "68d5c05dd9b6b900"};
    const char *pt = "The qufck brown fox jump";

    (void)state;
    for (int i = 0; i < 3; i++)
        check_cbc(CRYPTO_CIPHER_3DES_CBC, "0123456789abcdef23456789abcdef01456789abcdef0123",
                  "0000000000000000", (const uint8_t *)pt + 8 * i, 8, ct[i]);
}

static void test_cbc_errors(void **state)
{
    uint8_t key[32] = {0}, iv[16] = {0}, buf[32] = {0};
    struct cbc *cbc;

    (void)state;
    assert_null(cbc_new(CRYPTO_CIPHER_AES128_CBC, CBC_BOTH, key, 15));
    assert_non_null(strstr(crypto_strerror(), "16-byte key"));
    assert_null(cbc_new(CRYPTO_CIPHER_COUNT, CBC_BOTH, key, 16));
    cbc = cbc_new(CRYPTO_CIPHER_AES256_CBC, CBC_ENCRYPT, key, 32);
    assert_non_null(cbc);
    assert_int_equal(cbc_block_len(cbc), 16);
    assert_int_equal(cbc_encrypt(cbc, iv, buf, 17), -1);
    assert_int_equal(cbc_encrypt(cbc, iv, buf, 0), 0);
    assert_int_equal(cbc_decrypt(cbc, iv, buf, 16), -1); /* not keyed for decryption */
    cbc_free(cbc);
    for (int c = 0; c < CRYPTO_CIPHER_COUNT; c++) {
        size_t kl = crypto_cipher_key_len(c), bl = crypto_cipher_block_len(c);
        uint8_t pt[32];

        for (size_t i = 0; i < sizeof(pt); i++)
            pt[i] = (uint8_t)(i * 7);
        memcpy(buf, pt, sizeof(buf));
        cbc = cbc_new(c, CBC_BOTH, key, kl);
        assert_non_null(cbc);
        assert_int_equal(cbc_encrypt(cbc, iv, buf, 32), 0);
        assert_memory_not_equal(buf, pt, bl);
        assert_int_equal(cbc_decrypt(cbc, iv, buf, 32), 0);
        assert_memory_equal(buf, pt, 32);
        cbc_free(cbc);
    }
}

static void check_prf(enum crypto_hash h, const uint8_t *key, size_t kl, const void *data,
                      size_t dl, const char *want_hex)
{
    uint8_t want[64], out[64];
    size_t wl = unhex(want_hex, want, sizeof(want));

    assert_int_equal(wl, crypto_hash_len(h));
    assert_int_equal(crypto_prf(h, key, kl, data, dl, out), 0);
    assert_memory_equal(out, want, wl);
}

static void test_hmac_rfc2202(void **state)
{
    uint8_t k0b[20], kaa[20], d_dd[50];

    (void)state;
    memset(k0b, 0x0b, sizeof(k0b));
    memset(kaa, 0xaa, sizeof(kaa));
    memset(d_dd, 0xdd, sizeof(d_dd));
    check_prf(CRYPTO_HASH_MD5, k0b, 16, "Hi There", 8, "9294727a3638bb1c13f48ef8158bfc9d");
    check_prf(CRYPTO_HASH_MD5, (const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
              "750c783e6ab0b503eaa86e310a5db738");
    check_prf(CRYPTO_HASH_MD5, kaa, 16, d_dd, 50, "56be34521d144c88dbb8c733f0e8b3f6");
    check_prf(CRYPTO_HASH_SHA1, k0b, 20, "Hi There", 8, "b617318655057264e28bc0b6fb378c8ef146be00");
    check_prf(CRYPTO_HASH_SHA1, (const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
              "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79");
    check_prf(CRYPTO_HASH_SHA1, kaa, 20, d_dd, 50, "125d7342b9ac11cd91a39af48aa17b4f63f175d3");
}

/* RFC 4868 section 2.7.2.1 (PRF-HMAC-SHA-256, 32-byte keys). */
static void test_hmac_sha256_rfc4868(void **state)
{
    uint8_t k0b[32], kaa[32], d_dd[50];

    (void)state;
    memset(k0b, 0x0b, sizeof(k0b));
    memset(kaa, 0xaa, sizeof(kaa));
    memset(d_dd, 0xdd, sizeof(d_dd));
    check_prf(CRYPTO_HASH_SHA256, k0b, 32, "Hi There", 8,
              "198a607eb44bfbc69903a0f1cf2bbdc5ba0aa3f3d9ae3c1c7a3b1696a0b68cf7");
    check_prf(CRYPTO_HASH_SHA256, (const uint8_t *)"JefeJefeJefeJefeJefeJefeJefeJefe", 32,
              "what do ya want for nothing?", 28,
              "167f928588c5cc2eef8e3093caa0e87c9ff566a14794aa61648d81621a2a40c6");
    check_prf(CRYPTO_HASH_SHA256, kaa, 32, d_dd, 50,
              "cdcb1220d1ecccea91e53aba3092f962e549fe6ce9ed7fdc43191fbde45c30b0");
}

/* The ESP ICVs: the truncations of the same vectors, through esp_xform,
 * computed twice on one context (the per-packet re-init keeps the key). */
static void check_icv(enum esp_integ i, uint8_t fill, const void *data, size_t dl,
                      const char *want_hex)
{
    uint8_t akey[32], ekey[16] = {0}, want[16], icv[16];
    size_t wl = unhex(want_hex, want, sizeof(want));
    struct esp_xform *xf;

    memset(akey, fill, sizeof(akey));
    xf = esp_xform_new(ESP_INBOUND, CRYPTO_CIPHER_AES128_CBC, ekey, 16, i, akey,
                       esp_integ_key_len(i));
    assert_non_null(xf);
    assert_int_equal(esp_xform_icv_len(xf), wl);
    for (int round = 0; round < 2; round++) {
        assert_int_equal(esp_icv_compute(xf, data, dl, icv), ESP_OK);
        assert_memory_equal(icv, want, wl);
        assert_int_equal(esp_icv_verify(xf, data, dl, want), ESP_OK);
    }
    want[wl - 1] ^= 1;
    assert_int_equal(esp_icv_verify(xf, data, dl, want), ESP_ERR_ICV);
    esp_xform_free(xf);
}

static void test_esp_icv_truncation(void **state)
{
    (void)state;
    /* RFC 2202 test case 5 ("Test With Truncation"), the -96 forms. */
    check_icv(ESP_INTEG_HMAC_MD5_96, 0x0c, "Test With Truncation", 20, "56461ef2342edc00f9bab995");
    check_icv(ESP_INTEG_HMAC_SHA1_96, 0x0c, "Test With Truncation", 20, "4c1a03424b55e07fe7f27be1");
    /* RFC 4868 section 2.7.2.2 AUTH256-1: HMAC-SHA-256-128. */
    check_icv(ESP_INTEG_HMAC_SHA256_128, 0x0b, "Hi There", 8, "198a607eb44bfbc69903a0f1cf2bbdc5");
    assert_null(esp_xform_new(ESP_INBOUND, CRYPTO_CIPHER_AES128_CBC,
                              (const uint8_t *)"0123456789abcdef", 16, ESP_INTEG_HMAC_SHA1_96,
                              (const uint8_t *)"short", 5));
}

static void test_hash_and_prf_iov(void **state)
{
    const char *msg = "abc";
    uint8_t a[64], b[64], want[32];
    struct crypto_iov whole = {"what do ya want for nothing?", 28};
    struct crypto_iov parts[] = {{"what do ", 8}, {"", 0}, {"ya want for nothing?", 20}};
    struct crypto_iov abc = {msg, 3};

    (void)state;
    /* FIPS 180-2 SHA-256("abc"). */
    unhex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", want, sizeof(want));
    assert_int_equal(crypto_hash_v(CRYPTO_HASH_SHA256, &abc, 1, a), 0);
    assert_memory_equal(a, want, 32);
    for (int h = 0; h < CRYPTO_HASH_COUNT; h++) {
        assert_int_equal(crypto_prf_v(h, "Jefe", 4, &whole, 1, a), 0);
        assert_int_equal(crypto_prf_v(h, "Jefe", 4, parts, 3, b), 0);
        assert_memory_equal(a, b, crypto_hash_len(h));
    }
    assert_int_equal(crypto_hash_len(CRYPTO_HASH_SHA384), 48);
    assert_int_equal(crypto_prf(CRYPTO_HASH_COUNT, "k", 1, "d", 1, a), -1);
}

/* RFC 2409 appendix B by hand: K1 = prf(SKEYID_e, 0), K2 = prf(SKEYID_e, K1). */
static void test_enc_key_expansion(void **state)
{
    uint8_t e[16], k1[16], k2[16], ka[24], zero = 0;

    (void)state;
    for (int i = 0; i < 16; i++)
        e[i] = (uint8_t)(0x40 + i);
    assert_int_equal(crypto_prf(CRYPTO_HASH_MD5, e, 16, &zero, 1, k1), 0);
    assert_int_equal(crypto_prf(CRYPTO_HASH_MD5, e, 16, k1, 16, k2), 0);
    assert_int_equal(ikev1_enc_key(CRYPTO_HASH_MD5, e, 16, ka, 24), 0);
    assert_memory_equal(ka, k1, 16);
    assert_memory_equal(ka + 16, k2, 8);
    /* Long enough: plain truncation. */
    assert_int_equal(ikev1_enc_key(CRYPTO_HASH_MD5, e, 16, ka, 16), 0);
    assert_memory_equal(ka, e, 16);
    assert_int_equal(ikev1_enc_key(CRYPTO_HASH_SHA1, e, 16, ka, 16), -1); /* wrong length */
}

static void test_secret_helpers(void **state)
{
    struct crypto_secret *s;
    uint8_t a[8] = {1, 2, 3, 4, 5, 6, 7, 8}, b[8];

    (void)state;
    assert_int_equal(crypto_init(), 0);
    memcpy(b, a, 8);
    assert_true(crypto_equal(a, b, 8));
    b[7] ^= 0x80;
    assert_false(crypto_equal(a, b, 8));
    crypto_wipe(b, 8);
    for (int i = 0; i < 8; i++)
        assert_int_equal(b[i], 0);
    s = crypto_secret_dup("juniper", 7);
    assert_non_null(s);
    assert_int_equal(s->len, 7);
    assert_memory_equal(s->data, "juniper", 7);
    crypto_secret_free(s);
    crypto_secret_free(NULL);
    assert_int_equal(crypto_random(a, 8), 0);
    assert_int_equal(crypto_random_priv(b, 8), 0);
    assert_string_equal(crypto_cipher_name(CRYPTO_CIPHER_3DES_CBC), "3des-cbc");
    assert_string_equal(esp_integ_name(ESP_INTEG_HMAC_SHA256_128), "hmac-sha-256-128");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_aes_cbc_rfc3602),    cmocka_unit_test(test_des_cbc_fips81),
        cmocka_unit_test(test_3des_sp800_67),      cmocka_unit_test(test_cbc_errors),
        cmocka_unit_test(test_hmac_rfc2202),       cmocka_unit_test(test_hmac_sha256_rfc4868),
        cmocka_unit_test(test_esp_icv_truncation), cmocka_unit_test(test_hash_and_prf_iov),
        cmocka_unit_test(test_enc_key_expansion),  cmocka_unit_test(test_secret_helpers),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
