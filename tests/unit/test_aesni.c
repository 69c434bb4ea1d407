/* test_aesni.c: lib/crypto's AES-NI code (aesni.c) against FIPS 197's
 * examples and against OpenSSL's EVP ciphers.
 *
 *  - the three cipher examples of FIPS 197 appendix C (one block, CBC
 *    with a zero IV), encrypted and decrypted;
 *  - AES-CBC and AES-GCM for every key size, random keys, IVs, nonces,
 *    AAD of 0 to 40 bytes and lengths of 0 to 300 bytes and 1,408, in
 *    place, byte for byte the same as OpenSSL's, tags included;
 *  - a wrong tag: -1 and the buffer wiped; every byte of the tag and
 *    of the ciphertext flipped in turn is refused.
 * Skipped on a CPU without AES-NI (cipher.c then never calls it). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/aesni.h"

static void hex(const char *s, uint8_t *out)
{
    for (size_t i = 0; s[2 * i]; i++) {
        unsigned v;
        sscanf(s + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static void fips197_examples(void **state)
{
    static const char *const want[3] = {
        "69c4e0d86a7b0430d8cdb78070b4c55a",
        "dda97ca4864cdfe06eaf70a0ec0d7191",
        "8ea2b7ca516745bfeafc49904b496089",
    };
    uint8_t key[32], pt[16], ct[16], buf[16], zero[16] = {0};
    struct aes_ks enc, dec;

    (void)state;
    if (!aesni_present())
        skip();
    for (int i = 0; i < 32; i++)
        key[i] = (uint8_t)i;
    hex("00112233445566778899aabbccddeeff", pt);
    for (int s = 0; s < 3; s++) {
        aes_expand(key, 16 + 8 * (size_t)s, &enc, &dec);
        assert_int_equal(enc.rounds, 10 + 2 * s);
        hex(want[s], ct);
        memcpy(buf, pt, 16);
        aes_cbc_encrypt(&enc, zero, buf, 16);
        assert_memory_equal(buf, ct, 16);
        aes_cbc_decrypt(&dec, zero, buf, 16);
        assert_memory_equal(buf, pt, 16);
    }
}

static const EVP_CIPHER *evp_cbc(size_t kl)
{
    return kl == 16 ? EVP_aes_128_cbc() : kl == 24 ? EVP_aes_192_cbc() : EVP_aes_256_cbc();
}

static const EVP_CIPHER *evp_gcm(size_t kl)
{
    return kl == 16 ? EVP_aes_128_gcm() : kl == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
}

/* OpenSSL's CBC of len bytes, out of place. */
static void ossl_cbc(size_t kl, const uint8_t *key, const uint8_t *iv, const uint8_t *in,
                     uint8_t *out, size_t len, int enc)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;

    assert_true(EVP_CipherInit_ex(c, evp_cbc(kl), NULL, key, iv, enc));
    EVP_CIPHER_CTX_set_padding(c, 0);
    assert_true(EVP_CipherUpdate(c, out, &n, in, (int)len));
    assert_int_equal(n, (int)len);
    EVP_CIPHER_CTX_free(c);
}

static void ossl_gcm_seal(size_t kl, const uint8_t *key, const uint8_t *nonce, const uint8_t *aad,
                          size_t al, const uint8_t *in, uint8_t *out, size_t len, uint8_t *tag)
{
    EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
    int n = 0;

    assert_true(EVP_EncryptInit_ex(c, evp_gcm(kl), NULL, key, nonce));
    assert_true(al == 0 || EVP_EncryptUpdate(c, NULL, &n, aad, (int)al));
    assert_true(len == 0 || EVP_EncryptUpdate(c, out, &n, in, (int)len));
    assert_true(EVP_EncryptFinal_ex(c, out + len, &n));
    assert_true(EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, tag));
    EVP_CIPHER_CTX_free(c);
}

static const size_t lens[] = {0,   1,   15,  16,  17,  31,  32,  48,  64,  80,   112, 127,
                              128, 129, 143, 144, 160, 255, 256, 257, 300, 1404, 1408};

static void cbc_matches_openssl(void **state)
{
    uint8_t key[32], iv[16], pt[1408], want[1408], buf[1408];
    struct aes_ks enc, dec;

    (void)state;
    if (!aesni_present())
        skip();
    for (size_t kl = 16; kl <= 32; kl += 8)
        for (int round = 0; round < 4; round++)
            for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
                size_t len = lens[i] / 16 * 16;

                RAND_bytes(key, sizeof(key));
                RAND_bytes(iv, sizeof(iv));
                RAND_bytes(pt, sizeof(pt));
                aes_expand(key, kl, &enc, &dec);
                ossl_cbc(kl, key, iv, pt, want, len, 1);
                memcpy(buf, pt, len);
                aes_cbc_encrypt(&enc, iv, buf, len);
                assert_memory_equal(buf, want, len);
                aes_cbc_decrypt(&dec, iv, buf, len);
                assert_memory_equal(buf, pt, len);
                /* and decryption of random blocks, as OpenSSL decrypts them */
                ossl_cbc(kl, key, iv, pt, want, len, 0);
                memcpy(buf, pt, len);
                aes_cbc_decrypt(&dec, iv, buf, len);
                assert_memory_equal(buf, want, len);
            }
}

static void gcm_matches_openssl(void **state)
{
    uint8_t key[32], nonce[12], aad[40], pt[1408], want[1408 + 16], buf[1408], tag[16];
    struct aes_gcm g;

    (void)state;
    if (!aesni_present())
        skip();
    for (size_t kl = 16; kl <= 32; kl += 8)
        for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
            for (size_t al = 0; al <= 40; al += 8 + (al == 8 ? 4 : 0)) {
                size_t len = lens[i];

                RAND_bytes(key, sizeof(key));
                RAND_bytes(nonce, sizeof(nonce));
                RAND_bytes(aad, sizeof(aad));
                RAND_bytes(pt, sizeof(pt));
                aes_gcm_init(&g, key, kl);
                ossl_gcm_seal(kl, key, nonce, aad, al, pt, want, len, want + len);
                memcpy(buf, pt, len);
                aes_gcm_seal(&g, nonce, aad, al, buf, len, tag);
                assert_memory_equal(buf, want, len);
                assert_memory_equal(tag, want + len, 16);
                assert_int_equal(aes_gcm_open(&g, nonce, aad, al, buf, len, tag), 0);
                assert_memory_equal(buf, pt, len);
            }
}

static void gcm_wrong_tag(void **state)
{
    uint8_t key[16], nonce[12], aad[8], pt[200], ct[200], buf[200], tag[16], bad[16],
        zero[200] = {0};
    struct aes_gcm g;

    (void)state;
    if (!aesni_present())
        skip();
    RAND_bytes(key, sizeof(key));
    RAND_bytes(nonce, sizeof(nonce));
    RAND_bytes(aad, sizeof(aad));
    RAND_bytes(pt, sizeof(pt));
    aes_gcm_init(&g, key, sizeof(key));
    memcpy(ct, pt, sizeof(pt));
    aes_gcm_seal(&g, nonce, aad, sizeof(aad), ct, sizeof(ct), tag);
    for (size_t i = 0; i < 16; i++) {
        memcpy(bad, tag, 16);
        bad[i] ^= 0x01;
        memcpy(buf, ct, sizeof(ct));
        assert_int_equal(aes_gcm_open(&g, nonce, aad, sizeof(aad), buf, sizeof(buf), bad), -1);
        assert_memory_equal(buf, zero, sizeof(buf));
    }
    for (size_t i = 0; i < sizeof(ct) + sizeof(aad); i++) {
        uint8_t a[8];

        memcpy(buf, ct, sizeof(ct));
        memcpy(a, aad, sizeof(a));
        if (i < sizeof(ct))
            buf[i] ^= 0x80;
        else
            a[i - sizeof(ct)] ^= 0x80;
        assert_int_equal(aes_gcm_open(&g, nonce, a, sizeof(a), buf, sizeof(buf), tag), -1);
    }
    memcpy(buf, ct, sizeof(ct));
    assert_int_equal(aes_gcm_open(&g, nonce, aad, sizeof(aad), buf, sizeof(buf), tag), 0);
    assert_memory_equal(buf, pt, sizeof(pt));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(fips197_examples),
        cmocka_unit_test(cbc_matches_openssl),
        cmocka_unit_test(gcm_matches_openssl),
        cmocka_unit_test(gcm_wrong_tag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
