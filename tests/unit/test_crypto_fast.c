/* test_crypto_fast.c: the per-packet shortcuts of lib/crypto against
 * OpenSSL's plain EVP interfaces as the reference:
 *  - CBC contexts chained across calls (cipher.c: no IV set after the
 *    first message) give, for every message, exactly CBC under that
 *    message's IV, encrypting and decrypting, for every cipher;
 *  - HMAC from precomputed states (hmac.c) equals EVP_Q_mac for MD5,
 *    SHA-1 and SHA-256, short and long keys, every length 0..300 and
 *    some packet sizes; the ESP ICV is its truncation;
 *  - several keys of one cipher, interleaved in any order, freed in
 *    between, and used from a second thread: every CBC and GCM message
 *    still equals the reference (on OpenSSL's path they share a thread's
 *    context, cipher.c keeping the key, not a context, per SA; on
 *    aesni.c each holds its own schedule);
 *  - CBC IVs drawn from the per-thread batch differ from packet to packet,
 *    and a transform keeps working across many refills of the batch.
 * The CBC and GCM tests run twice: AES through aesni.c (where the CPU
 * has AES-NI) and through OpenSSL's per-thread contexts (cipher_aesni). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "crypto/cipher.h"
#include "crypto/crypto.h"
#include "crypto/esp.h"
#include "crypto/hmac.h"

static const char *const evp_names[] = {"DES-CBC", "DES-EDE3-CBC", "AES-128-CBC", "AES-192-CBC",
                                        "AES-256-CBC"};

/* One-shot CBC with a fresh context (the reference). */
static void ref_cbc(const char *name, int enc, const uint8_t *key, const uint8_t *iv,
                    const uint8_t *in, uint8_t *out, size_t len)
{
    EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int n = 0;

    assert_non_null(c);
    assert_true(EVP_CipherInit_ex2(ctx, c, key, iv, enc, NULL));
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    assert_true(EVP_CipherUpdate(ctx, out, &n, in, (int)len));
    assert_int_equal((size_t)n, len);
    EVP_CIPHER_CTX_free(ctx);
    EVP_CIPHER_free(c);
}

static int aesni_off = 0, aesni_on = 1;

/* The path of the test's prestate; 0 (skip) if it is aesni.c and the
 * CPU has no AES-NI. */
static int path(void **state)
{
    int on = *(int *)*state;

    cipher_aesni(on);
    if (on && !cipher_aesni(on))
        skip();
    return on;
}

static void test_cbc_chained_equals_fresh(void **state)
{
    path(state);
    for (enum crypto_cipher c = CRYPTO_CIPHER_3DES_CBC; c < CRYPTO_CIPHER_COUNT; c++) {
        size_t bl = crypto_cipher_block_len(c), kl = crypto_cipher_key_len(c);
        uint8_t key[32], iv[16], pt[512], ct[512], ref[512];
        struct cbc *cbc;

        RAND_bytes(key, sizeof(key));
        cbc = cbc_new(c, CBC_BOTH, key, kl);
        assert_non_null(cbc);
        for (int i = 0; i < 200; i++) {
            size_t len = bl * (size_t)(1 + rand() % 32);
            RAND_bytes(iv, sizeof(iv));
            RAND_bytes(pt, sizeof(pt));
            memcpy(ct, pt, len);
            assert_int_equal(cbc_encrypt(cbc, iv, ct, len), 0);
            ref_cbc(evp_names[c], 1, key, iv, pt, ref, len);
            assert_memory_equal(ct, ref, len);
            if (i % 7 == 3) /* a decryption out of turn does not disturb encryption */
                continue;
            assert_int_equal(cbc_decrypt(cbc, iv, ct, len), 0);
            assert_memory_equal(ct, pt, len);
        }
        assert_int_equal(cbc_encrypt(cbc, iv, ct, 0), 0); /* nothing: chain unchanged */
        memcpy(ct, pt, 2 * bl);
        assert_int_equal(cbc_encrypt(cbc, iv, ct, 2 * bl), 0);
        ref_cbc(evp_names[c], 1, key, iv, pt, ref, 2 * bl);
        assert_memory_equal(ct, ref, 2 * bl);
        cbc_free(cbc);
    }
}

/* Three keys of each cipher, messages to them in a random order (each
 * one re-keys the thread's context), one of them replaced half-way. */
static void check_interleaved(void)
{
    for (enum crypto_cipher c = CRYPTO_CIPHER_3DES_CBC; c < CRYPTO_CIPHER_COUNT; c++) {
        size_t bl = crypto_cipher_block_len(c), kl = crypto_cipher_key_len(c);
        uint8_t key[3][32], iv[16], pt[256], ct[256], ref[256];
        struct cbc *cbc[3];

        for (int k = 0; k < 3; k++) {
            RAND_bytes(key[k], sizeof(key[k]));
            assert_non_null(cbc[k] = cbc_new(c, k == 2 ? CBC_ENCRYPT : CBC_BOTH, key[k], kl));
        }
        for (int i = 0; i < 300; i++) {
            int k = rand() % 3;
            size_t len = bl * (size_t)(1 + rand() % 16);
            if (i == 150) { /* a new SA where an old one was */
                cbc_free(cbc[1]);
                RAND_bytes(key[1], sizeof(key[1]));
                assert_non_null(cbc[1] = cbc_new(c, CBC_BOTH, key[1], kl));
            }
            RAND_bytes(iv, sizeof(iv));
            RAND_bytes(pt, sizeof(pt));
            memcpy(ct, pt, len);
            assert_int_equal(cbc_encrypt(cbc[k], iv, ct, len), 0);
            ref_cbc(evp_names[c], 1, key[k], iv, pt, ref, len);
            assert_memory_equal(ct, ref, len);
            if (k == 2) { /* encryption only */
                assert_int_equal(cbc_decrypt(cbc[k], iv, ct, len), -1);
                continue;
            }
            assert_int_equal(cbc_decrypt(cbc[k], iv, ct, len), 0);
            assert_memory_equal(ct, pt, len);
        }
        for (int k = 0; k < 3; k++)
            cbc_free(cbc[k]);
    }
    for (int i = 0; i < 100; i++) { /* GCM: two keys, a message each in turn */
        uint8_t key[2][16], nonce[GCM_NONCE_LEN], aad[8], pt[100], buf[100], tag[GCM_TAG_LEN];
        struct gcm *g[2];

        for (int k = 0; k < 2; k++) {
            RAND_bytes(key[k], sizeof(key[k]));
            assert_non_null(g[k] = gcm_new(CBC_BOTH, key[k], 16));
        }
        for (int k = 0; k < 2; k++) {
            RAND_bytes(nonce, sizeof(nonce));
            RAND_bytes(aad, sizeof(aad));
            RAND_bytes(pt, sizeof(pt));
            memcpy(buf, pt, sizeof(pt));
            assert_int_equal(gcm_seal(g[k], nonce, aad, sizeof(aad), buf, sizeof(buf), tag), 0);
            /* the other key's context in between, then open with this one */
            assert_int_equal(gcm_open(g[!k], nonce, aad, sizeof(aad), pt, 0, tag), GCM_ERR_TAG);
            assert_int_equal(gcm_open(g[k], nonce, aad, sizeof(aad), buf, sizeof(buf), tag), 0);
            assert_memory_equal(buf, pt, sizeof(pt));
        }
        gcm_free(g[0]);
        gcm_free(g[1]);
    }
}

static void *interleaved_thread(void *arg)
{
    (void)arg;
    check_interleaved();
    return NULL;
}

static void test_keys_share_context(void **state)
{
    pthread_t t;

    path(state);
    check_interleaved();
    /* A thread of its own: its contexts are made, keyed and freed when
     * it exits (ASan reports a leak otherwise). */
    assert_int_equal(pthread_create(&t, NULL, interleaved_thread, NULL), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
}

static void test_hmac_pre_equals_evp(void **state)
{
    static const struct {
        enum crypto_hash h;
        const char *name;
    } hs[] = {{CRYPTO_HASH_MD5, "MD5"}, {CRYPTO_HASH_SHA1, "SHA1"}, {CRYPTO_HASH_SHA256, "SHA256"}};
    static const size_t keylens[] = {16, 20, 32, 64, 100};
    uint8_t key[100], data[1500], a[64], b[64];

    (void)state;
    RAND_bytes(key, sizeof(key));
    RAND_bytes(data, sizeof(data));
    for (size_t i = 0; i < sizeof(hs) / sizeof(hs[0]); i++)
        for (size_t k = 0; k < sizeof(keylens) / sizeof(keylens[0]); k++) {
            struct hmac_pre *m = hmac_pre_new(hs[i].h, key, keylens[k]);
            assert_non_null(m);
            for (size_t len = 0; len <= 1500; len += len < 300 ? 1 : 97) {
                size_t n = 0;
                assert_non_null(EVP_Q_mac(NULL, "HMAC", NULL, hs[i].name, NULL, key, keylens[k],
                                          data, len, b, sizeof(b), &n));
                hmac_pre_compute(m, data, len, a);
                assert_int_equal(n, crypto_hash_len(hs[i].h));
                assert_memory_equal(a, b, n);
                { /* in pieces, as AH hashes a packet (empty ones included) */
                    size_t c1 = len / 3, c2 = len / 2;
                    struct crypto_iov v[4] = {
                        {data, c1}, {data + c1, 0}, {data + c1, c2 - c1}, {data + c2, len - c2}};
                    memset(a, 0, sizeof(a));
                    hmac_pre_compute_v(m, v, 4, a);
                    assert_memory_equal(a, b, n);
                }
            }
            hmac_pre_free(m);
        }
    assert_null(hmac_pre_new(CRYPTO_HASH_SHA512, key, 16));
}

static void test_cbc_ivs_differ_across_refills(void **state)
{
    uint8_t ek[16], ak[20], pkt[256], prev[16] = {0};
    struct esp_xform *out, *in;
    size_t len, off, plen;
    uint8_t nh;

    path(state);
    RAND_bytes(ek, sizeof(ek));
    RAND_bytes(ak, sizeof(ak));
    out = esp_xform_new(ESP_OUTBOUND, CRYPTO_CIPHER_AES128_CBC, ek, 16, ESP_INTEG_HMAC_SHA1_96, ak,
                        20);
    in = esp_xform_new(ESP_INBOUND, CRYPTO_CIPHER_AES128_CBC, ek, 16, ESP_INTEG_HMAC_SHA1_96, ak,
                       20);
    assert_non_null(out);
    assert_non_null(in);
    for (uint32_t seq = 1; seq <= 2000; seq++) { /* about 8 refills of the batch */
        memset(pkt + esp_payload_offset(out), (int)seq, 40);
        assert_int_equal(esp_seal(out, 7, seq, 4, NULL, pkt, 40, sizeof(pkt), &len), ESP_OK);
        assert_memory_not_equal(pkt + ESP_HDR_LEN, prev, 16);
        memcpy(prev, pkt + ESP_HDR_LEN, 16);
        assert_int_equal(esp_open(in, pkt, len, &off, &plen, &nh), ESP_OK);
        assert_int_equal(plen, 40);
        assert_int_equal(pkt[off], (uint8_t)seq);
    }
    esp_xform_free(out);
    esp_xform_free(in);
}

/* A key freed on one thread: the thread's own schedule goes at once,
 * another thread's when it calls cipher_forget_retired (fwdd's PIC
 * workers, woken for it); past CIPHER_RETIRED_RING freed keys, all of
 * the other thread's schedules go. */
static struct {
    pthread_barrier_t step;
    struct cbc *x;
    struct gcm *g;
    uint64_t xid, gid, seen;
    int held_x, kept_x, forgot_x, held_g, forgot_g;
} fr;

static void *forgetting_thread(void *arg)
{
    uint8_t iv[16] = {0}, buf[32] = {0}, nonce[GCM_NONCE_LEN] = {0}, tag[GCM_TAG_LEN];

    (void)arg;
    fr.seen = cipher_retired();
    cbc_encrypt(fr.x, iv, buf, sizeof(buf)); /* keys this thread's contexts */
    gcm_seal(fr.g, nonce, NULL, 0, buf, sizeof(buf), tag);
    fr.held_x = cipher_thread_holds(fr.xid);
    fr.held_g = cipher_thread_holds(fr.gid);
    pthread_barrier_wait(&fr.step); /* main frees x */
    pthread_barrier_wait(&fr.step);
    fr.kept_x = cipher_thread_holds(fr.xid); /* not told yet */
    cipher_forget_retired(&fr.seen);
    fr.forgot_x = !cipher_thread_holds(fr.xid);
    pthread_barrier_wait(&fr.step); /* main frees g and many more */
    pthread_barrier_wait(&fr.step);
    cipher_forget_retired(&fr.seen);
    fr.forgot_g = !cipher_thread_holds(fr.gid);
    return NULL;
}

static void test_freed_keys_leave_other_threads(void **state)
{
    uint8_t key[16] = {1, 2, 3};
    pthread_t th;

    if (path(state)) { /* aesni.c: schedules live in the keys, none in a thread */
        struct cbc *x = cbc_new(CRYPTO_CIPHER_AES128_CBC, CBC_ENCRYPT, key, sizeof(key));
        struct gcm *g = gcm_new(CBC_ENCRYPT, key, sizeof(key));
        uint64_t before = cipher_retired();

        assert_non_null(x);
        assert_non_null(g);
        assert_false(cipher_thread_holds(cbc_key_id(x)));
        assert_false(cipher_thread_holds(gcm_key_id(g)));
        cbc_free(x);
        gcm_free(g);
        assert_int_equal(cipher_retired(), before); /* nothing for workers to forget */
        return;
    }
    fr.x = cbc_new(CRYPTO_CIPHER_AES128_CBC, CBC_ENCRYPT, key, sizeof(key));
    fr.g = gcm_new(CBC_ENCRYPT, key, sizeof(key));
    assert_non_null(fr.x);
    assert_non_null(fr.g);
    fr.xid = cbc_key_id(fr.x);
    fr.gid = gcm_key_id(fr.g);
    assert_true(cipher_thread_holds(fr.xid)); /* cbc_new keys this thread's */
    assert_int_equal(pthread_barrier_init(&fr.step, NULL, 2), 0);
    assert_int_equal(pthread_create(&th, NULL, forgetting_thread, NULL), 0);
    pthread_barrier_wait(&fr.step);
    cbc_free(fr.x);
    assert_false(cipher_thread_holds(fr.xid)); /* at once here */
    pthread_barrier_wait(&fr.step);
    pthread_barrier_wait(&fr.step);
    gcm_free(fr.g);
    for (int i = 0; i < CIPHER_RETIRED_RING + 10; i++) /* more than the record holds */
        cbc_free(cbc_new(CRYPTO_CIPHER_AES128_CBC, CBC_ENCRYPT, key, sizeof(key)));
    pthread_barrier_wait(&fr.step);
    pthread_join(th, NULL);
    pthread_barrier_destroy(&fr.step);
    assert_true(fr.held_x);
    assert_true(fr.held_g);
    assert_true(fr.kept_x);
    assert_true(fr.forgot_x);
    assert_true(fr.forgot_g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_prestate(test_cbc_chained_equals_fresh, &aesni_off),
        cmocka_unit_test_prestate(test_cbc_chained_equals_fresh, &aesni_on),
        cmocka_unit_test_prestate(test_keys_share_context, &aesni_off),
        cmocka_unit_test_prestate(test_keys_share_context, &aesni_on),
        cmocka_unit_test(test_hmac_pre_equals_evp),
        cmocka_unit_test_prestate(test_cbc_ivs_differ_across_refills, &aesni_off),
        cmocka_unit_test_prestate(test_cbc_ivs_differ_across_refills, &aesni_on),
        cmocka_unit_test_prestate(test_freed_keys_leave_other_threads, &aesni_off),
        cmocka_unit_test_prestate(test_freed_keys_leave_other_threads, &aesni_on),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
