/* test_crypto_gcm.c: AES-GCM for ESP (RFC 4106) in lib/crypto.
 *
 * The known answers are the AES-GCM test cases of draft-mcgrew-gcm-test-01
 * ("Test Cases for the use of GCM and GMAC in IPsec ESP", section 4), in
 * the draft's order: key, SPI, sequence number (4 octets, or 8 with
 * extended sequence numbers), nonce (salt | IV), plaintext (the payload
 * with its ESP trailer), AAD, ciphertext | tag, and the ESP packet.
 *
 *  - every case through the AEAD primitive (gcm_new/gcm_seal/gcm_open),
 *    ESN ones included, in both directions, and a flipped tag refused
 *    with the plaintext wiped;
 *  - every case with a 32-bit sequence number (AES-128, AES-192, AES-256)
 *    as a whole packet: esp_seal with the case's IV rebuilds the draft's
 *    packet byte for byte, esp_open of the draft's packet gives back the
 *    payload and next header;
 *  - round trips for every key size and payload length, IVs derived from
 *    the sequence number (distinct per packet and per transform), every
 *    byte of a packet flipped in turn, lengths, trailers, misuse. */
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

struct gcm_case {
    const char *key, *spi, *seq, *nonce, *pt, *aad, *ct_tag, *packet;
};

/* draft-mcgrew-gcm-test-01, section 4 (AES-GCM), cases 1 to 14. */
static const struct gcm_case cases[] = {
    {"4c80cdefbb5d10da906ac73c3613a634", "00004321", "8765432100000000", "2e443b684956ed7e3b244cfe",
     "45000048699a000080114db7c0a80102c0a801010a9bf15638d3010000010000"
     "00000000045f736970045f756470037369700963796265726369747902646b00"
     "0021000101020201",
     "000043218765432100000000",
     "fecf537e729d5b07dc30df528dd22b768d1b98736696a6fd348509fa13ceac34"
     "cfa2436f14a3f3cf65925bf1f4a13c5d15b21e1884f5ff6247aeabb786b93bce"
     "61bc17d768fd9732459018148f6cbe722fd04796562dfdb4",
     NULL},
    {"feffe9928665731c6d6a8f9467308308", "0000a5f8", "0000000a", "cafebabefacedbaddecaf888",
     "4500003e698f000080114dccc0a80102c0a801010a980035002a2343b2d00100"
     "0001000000000000037369700963796265726369747902646b00000100010001",
     "0000a5f80000000a",
     "deb22cd9b07c72c16e3a65beeb8df304a5a5897d33ae530f1ba76d5d114d2a5c"
     "3de81827c10e9a4f51330d0eec416642cfbb85a5b47e48a4ec3b9ba95d918bd1"
     "83b70d3aa8bc6ee4c309e9d85a41ad4a",
     "0000a5f80000000afacedbaddecaf888deb22cd9b07c72c16e3a65beeb8df304"
     "a5a5897d33ae530f1ba76d5d114d2a5c3de81827c10e9a4f51330d0eec416642"
     "cfbb85a5b47e48a4ec3b9ba95d918bd183b70d3aa8bc6ee4c309e9d85a41ad4a"},
    {"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "4a2cbfe3", "00000002",
     "112233440102030405060708",
     "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
     "7002400020bf0000020405b40101040201020201",
     "4a2cbfe300000002",
     "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
     "748a637985771d347f0545659f14e99def842d8eb335f4eecfdbf831824b4c49"
     "15956c96",
     "4a2cbfe3000000020102030405060708ff425c9b724599df7a3bcd510194e00d"
     "6a78107f1b0b1cbf06efae9d65a5d763748a637985771d347f0545659f14e99d"
     "ef842d8eb335f4eecfdbf831824b4c4915956c96"},
    {"00000000000000000000000000000000", "00000000", "00000001", "000000000000000000000000",
     "4500003c99c500008001cb7a40679318010101010800075c0200440061626364"
     "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
     "0000000000000001",
     "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284"
     "456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3"
     "f821d496eeb096e98ad2b69e4799c71d",
     "00000000000000010000000000000000"
     "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284"
     "456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3"
     "f821d496eeb096e98ad2b69e4799c71d"},
    {"3de09874b388e6491988d0c3607eae1f", "42f67e3f", "1010101010101010", "57690e434e280000a2fca1a3",
     "4500003c99c300008001cb7c40679318010101010800085c0200430061626364"
     "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
     "42f67e3f1010101010101010",
     "fba2caa4853cf9f0f22cb10d86dd83b0fec75691cf1a04b00d1138ec9c357917"
     "65acbd8701ad79845bf9fe3fba487bc91755e6662b4c8d0d1f5e22739530320a"
     "e0d731cc978ecafaeae88f00e80d6e48",
     NULL},
    {"3de09874b388e6491988d0c3607eae1f", "42f67e3f", "1010101010101010", "57690e434e280000a2fca1a3",
     "4500001c42a200008001441f406793b6e00000020a00f5ff01020201", "42f67e3f1010101010101010",
     "fba2ca845e5df9f0f22c3e6e86dd831e1fc65792cd1af9130e1379ed369f071f35e034be95f112e4e7d05d35",
     NULL},
    {"feffe9928665731c6d6a8f9467308308feffe9928665731c", "0000a5f8", "0000000a",
     "cafebabefacedbaddecaf888",
     "45000028a4ad4000400678800a01038f0a010612802306b8cb712602dd6bb03e501016d075680001",
     "0000a5f80000000a",
     "a5b1f8066029aea40e598b8122de02420938b3ab33f828e687b8858b5bfbdbd0"
     "315b27452144cc7795457b9652037f5318027b5b4cd7a636",
     "0000a5f80000000afacedbaddecaf888a5b1f8066029aea40e598b8122de0242"
     "0938b3ab33f828e687b8858b5bfbdbd0315b27452144cc7795457b9652037f53"
     "18027b5b4cd7a636"},
    {"abbccddef00112233445566778899aab", "00000100", "0000000000000001", "decaf888cafedebaceface74",
     "4500004933ba00007f119106c3fb1d10c2b1d326c02831ce0035dd7b800302d5"
     "00004e20001e8c18d75b81dc91baa0476b91b924b280389d92c963bac046ec95"
     "9b6266c04722b14923010101",
     "000001000000000000000001",
     "18a6fd42f72cbf4ab2a2ea901f73d814e3e7f243d95412e1c349c1d2fbec168f"
     "9190feebaf2cb01984e65863965d7472b79da345e0e780191f0d2f0e0f496c22"
     "6f2127b27db35724e7845d68651f57e65f354f75ff17015769623436",
     NULL},
    {"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "17405e67",
     "156f3126dd0db99b", "73616c74616e640169766563",
     "45080028732c00004006e9f90a0106120a01038f06b88023dd6bafbecb71260250101f646d540001",
     "17405e67156f3126dd0db99b",
     "f2d69ecdbd5a0d5b8d5ef38bad4da58d1f278fde98ef67549d524a3018d9a57f"
     "f4d3a31ce673119e451626c2415771e3b7eebca614c89b35",
     NULL},
    {"3de09874b388e6491988d0c3607eae1f", "42f67e3f", "1010101010101010", "57690e434e280000a2fca1a3",
     "45000049333e00007f119182c3fb1d10c2b1d326c02831ce0035cb458003025b"
     "000001e0001e8c18d65759d52284a0352c71475c8880391c764d6e5ee0496b32"
     "5ae270c03899493915010101",
     "42f67e3f1010101010101010",
     "fba2cad12fc1f9f00d3cebf305410db83d7784b607323d220f24b0a97d541828"
     "00cadb0f68d99ef0e0c0c89ae9bea8884e52d65bc1afd0740f742444747b5b39"
     "ab533163aad4550ee5160975cdb608c5769189609763b8e18caa81e2",
     NULL},
    {"abbccddef00112233445566778899aababbccddef00112233445566778899aab", "17405e67",
     "156f3126dd0db99b", "73616c74616e640169766563",
     "636973636f0172756c65730174686501"
     "6e6574776501646566696e6501746865746563686e6f6c6f6769657301746861"
     "7477696c6c01646566696e65746f6d6f72726f7701020201",
     "17405e67156f3126dd0db99b",
     "d4b7ed86a1777f2ea13d6973d324c69e7b43f826fb56831226508bebd2dceb18"
     "d0a6df10e5487df074113e14c641024e3e6773d91a62ee429b043a10e3efe6b0"
     "12a49363412364f8c0cac587f249e56b11e24f30e44ccc76",
     NULL},
    {"7d773d00c144c525ac619d18c84a3f47", "335467ae", "ffffffff", "d966426743457e9182443bc6",
     "01020201", "335467aeffffffff", "437f866bcb3f699fe9b0822bac961c4504bef270",
     "335467aeffffffff43457e9182443bc6437f866bcb3f699fe9b0822bac961c4504bef270"},
    {"abbccddef00112233445566778899aab", "00000100", "0000000000000001", "decaf888cafedebaceface74",
     "746f016265016f72016e6f7401746f0162650001", "000001000000000000000001",
     "29c9fc69a197d038ccdd14e2ddfcaa0543332164412503524303ed3c6c5f283843af8c3e", NULL},
    {"6c6567616c697a656d6172696a75616e61616e64646f69746265666f72656961", "796b6963",
     "ffffffffffffffff", "7475726e333021696765746d",
     "45000030da3a00008001df3bc0a80005c0a800010800c6cd0200070061626364"
     "65666768696a6b6c6d6e6f707172737401020201",
     "796b6963ffffffffffffffff",
     "f97ab2aa356d8edce17644ac8c78e25dd24dedbb29ebf1b64a274b39b49c3a86"
     "4cd3d78ca4ae68a32b42458fb57dbe821dcc63b9d0937ba2945f669368661a32"
     "9fb4c053",
     NULL},
};
#define NCASES (sizeof(cases) / sizeof(cases[0]))

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

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void test_draft_cases_aead(void **state)
{
    (void)state;
    assert_int_equal(NCASES, 14);
    for (size_t i = 0; i < NCASES; i++) {
        const struct gcm_case *c = &cases[i];
        uint8_t key[32], nonce[12], aad[12], pt[128], want[160], buf[160], tag[16];
        size_t kl = unhex(c->key, key, sizeof(key)), pl = unhex(c->pt, pt, sizeof(pt));
        size_t al = unhex(c->aad, aad, sizeof(aad)), wl = unhex(c->ct_tag, want, sizeof(want));
        struct gcm *g = gcm_new(CBC_BOTH, key, kl);

        assert_non_null(g);
        assert_int_equal(unhex(c->nonce, nonce, sizeof(nonce)), GCM_NONCE_LEN);
        assert_int_equal(wl, pl + GCM_TAG_LEN);
        /* the AAD is SPI | sequence number (with its high half when ESN) */
        assert_int_equal(al, 4 + strlen(c->seq) / 2);
        for (int round = 0; round < 2; round++) { /* the key is kept across calls */
            memcpy(buf, pt, pl);
            assert_int_equal(gcm_seal(g, nonce, aad, al, buf, pl, tag), 0);
            if (memcmp(buf, want, pl) != 0 || memcmp(tag, want + pl, GCM_TAG_LEN) != 0)
                fail_msg("draft-mcgrew-gcm-test-01 case %zu: ciphertext or tag differs", i + 1);
            assert_int_equal(gcm_open(g, nonce, aad, al, buf, pl, want + pl), 0);
            assert_memory_equal(buf, pt, pl);
        }
        memcpy(buf, want, pl);
        memcpy(tag, want + pl, GCM_TAG_LEN);
        tag[i % GCM_TAG_LEN] ^= 0x80;
        assert_int_equal(gcm_open(g, nonce, aad, al, buf, pl, tag), GCM_ERR_TAG);
        for (size_t k = 0; k < pl; k++) /* never the unauthenticated plaintext */
            assert_int_equal(buf[k], 0);
        memcpy(buf, want, pl);
        aad[al - 1] ^= 1; /* another sequence number */
        assert_int_equal(gcm_open(g, nonce, aad, al, buf, pl, want + pl), GCM_ERR_TAG);
        gcm_free(g);
    }
}

/* The key material of an SA: the AES key, then the salt (the nonce's first
 * four octets). */
static size_t keymat(const struct gcm_case *c, uint8_t *km)
{
    uint8_t nonce[GCM_NONCE_LEN];
    size_t kl = unhex(c->key, km, 32);

    unhex(c->nonce, nonce, sizeof(nonce));
    memcpy(km + kl, nonce, ESP_GCM_SALT_LEN);
    return kl + ESP_GCM_SALT_LEN;
}

static void test_draft_cases_esp_packets(void **state)
{
    unsigned done = 0, sizes = 0;

    (void)state;
    for (size_t i = 0; i < NCASES; i++) {
        const struct gcm_case *c = &cases[i];
        uint8_t km[36], pt[128], pkt[256], buf[256], iv[8], nh;
        size_t kml, pl, want, n, off, len;
        struct esp_xform *out, *in;

        if (c->packet == NULL) /* ESN: the high half of the sequence number is not sent */
            continue;
        kml = keymat(c, km);
        pl = unhex(c->pt, pt, sizeof(pt));
        want = unhex(c->packet, pkt, sizeof(pkt));
        unhex(c->nonce + 2 * ESP_GCM_SALT_LEN, iv, sizeof(iv));
        out = esp_xform_new_gcm(ESP_OUTBOUND, km, kml);
        in = esp_xform_new_gcm(ESP_INBOUND, km, kml);
        assert_non_null(out);
        assert_non_null(in);
        assert_true(esp_xform_is_gcm(out));
        assert_int_equal(esp_xform_iv_len(out), 8);
        assert_int_equal(esp_xform_icv_len(out), 16);
        assert_int_equal(esp_payload_offset(out), 16);
        /* seal the payload (the plaintext less its trailer) with the case's IV */
        memset(buf, 0xee, sizeof(buf));
        memcpy(buf + esp_payload_offset(out), pt, pl - 2 - pt[pl - 2]);
        assert_int_equal(esp_seal(out, be32(pkt), be32(pkt + 4), pt[pl - 1], iv, buf,
                                  pl - 2 - pt[pl - 2], sizeof(buf), &n),
                         ESP_OK);
        assert_int_equal(n, want);
        if (memcmp(buf, pkt, want) != 0)
            fail_msg("draft-mcgrew-gcm-test-01 case %zu: esp_seal's packet differs", i + 1);
        /* and the draft's packet opens */
        assert_int_equal(esp_open(in, pkt, want, &off, &len, &nh), ESP_OK);
        assert_int_equal(off, 16);
        assert_int_equal(len, pl - 2 - pt[pl - 2]);
        assert_int_equal(nh, pt[pl - 1]);
        assert_memory_equal(pkt + off, pt, len);
        sizes |= 1u << (kml - ESP_GCM_SALT_LEN) / 8;
        esp_xform_free(out);
        esp_xform_free(in);
        done++;
    }
    assert_int_equal(done, 5);
    assert_int_equal(sizes, (1u << 2) | (1u << 3) | (1u << 4)); /* AES-128, 192, 256 */
}

static void test_round_trips_and_ivs(void **state)
{
    static uint8_t pkt[2048], copy[2048];
    uint8_t km[36], iv_a[8], iv_b[8];
    struct esp_xform *out, *out2, *in;
    size_t n, off, len;
    uint8_t nh;

    (void)state;
    for (size_t kl = 20; kl <= 36; kl += 8) {
        for (size_t k = 0; k < kl; k++)
            km[k] = (uint8_t)(k * 7 + kl);
        out = esp_xform_new_gcm(ESP_OUTBOUND, km, kl);
        out2 = esp_xform_new_gcm(ESP_OUTBOUND, km, kl);
        in = esp_xform_new_gcm(ESP_INBOUND, km, kl);
        assert_non_null(out);
        assert_non_null(out2);
        assert_non_null(in);
        for (size_t pl = 0; pl <= 300; pl++) {
            for (size_t k = 0; k < pl; k++)
                pkt[16 + k] = (uint8_t)(k ^ pl);
            assert_int_equal(
                esp_seal(out, 0x1234, (uint32_t)pl + 1, 4, NULL, pkt, pl, sizeof(pkt), &n), ESP_OK);
            assert_int_equal((n - 16 - 16) % 4, 0);
            assert_true(n - 16 - 16 - pl >= 2 && n - 16 - 16 - pl <= 5);
            if (pl > 0) /* the next sequence number gives another IV */
                assert_memory_not_equal(pkt + 8, iv_a, 8);
            memcpy(iv_a, pkt + 8, 8);
            memcpy(copy, pkt, n);
            assert_int_equal(esp_open(in, pkt, n, &off, &len, &nh), ESP_OK);
            assert_int_equal(len, pl);
            assert_int_equal(nh, 4);
            for (size_t k = 0; k < pl; k++)
                assert_int_equal(pkt[off + k], (uint8_t)(k ^ pl));
            /* another transform with the same key: not the same IV */
            assert_int_equal(
                esp_seal(out2, 0x1234, (uint32_t)pl + 1, 4, NULL, pkt, pl, sizeof(pkt), &n),
                ESP_OK);
            memcpy(iv_b, pkt + 8, 8);
            assert_memory_not_equal(iv_a, iv_b, 8);
        }
        /* every byte of the last packet flipped in turn: refused */
        n = 16 + 300 + 2 + 2 + 16;
        for (size_t k = 0; k < n; k++) {
            memcpy(pkt, copy, n);
            pkt[k] ^= 0x01;
            assert_int_equal(esp_open(in, pkt, n, &off, &len, &nh), ESP_ERR_ICV);
        }
        esp_xform_free(out);
        esp_xform_free(out2);
        esp_xform_free(in);
    }
}

static void test_rejects(void **state)
{
    uint8_t km[36] = {1, 2, 3}, pkt[256], nonce[12], icv[16];
    struct esp_xform *out, *in;
    struct gcm *g;
    size_t n, off, len;
    uint8_t nh;

    (void)state;
    assert_null(esp_xform_new_gcm(ESP_OUTBOUND, km, 16)); /* no salt */
    assert_null(esp_xform_new_gcm(ESP_OUTBOUND, km, 32));
    assert_null(gcm_new(CBC_BOTH, km, 20));
    out = esp_xform_new_gcm(ESP_OUTBOUND, km, 20);
    in = esp_xform_new_gcm(ESP_INBOUND, km, 20);
    assert_non_null(out);
    assert_non_null(in);
    /* GCM has no separate ICV or cipher step, and directions hold */
    assert_int_equal(esp_icv_compute(out, pkt, 8, icv), ESP_ERR_CRYPTO);
    assert_int_equal(esp_icv_verify(in, pkt, 8, icv), ESP_ERR_CRYPTO);
    assert_int_equal(esp_xform_encrypt(out, km, pkt, 16), ESP_ERR_CRYPTO);
    assert_int_equal(esp_xform_decrypt(in, km, pkt, 16), ESP_ERR_CRYPTO);
    assert_int_equal(esp_seal(in, 1, 1, 4, NULL, pkt, 10, sizeof(pkt), &n), ESP_ERR_CRYPTO);
    assert_int_equal(esp_seal(out, 1, 1, 4, NULL, pkt, 200, 200, &n), ESP_ERR_LENGTH);
    assert_int_equal(esp_seal(out, 1, 1, 4, NULL, pkt, 10, sizeof(pkt), &n), ESP_OK);
    assert_int_equal(n, 16 + 12 + 16);
    assert_int_equal(esp_open(out, pkt, n, &off, &len, &nh), ESP_ERR_CRYPTO);
    /* lengths: too short, not 4-aligned */
    assert_int_equal(esp_open(in, pkt, 16 + 16 + 2, &off, &len, &nh), ESP_ERR_LENGTH);
    assert_int_equal(esp_open(in, pkt, n - 1, &off, &len, &nh), ESP_ERR_LENGTH);
    assert_int_equal(esp_open(in, pkt, n, &off, &len, &nh), ESP_OK);
    /* an authentic packet with a bad trailer: padding 1, 2, 4 */
    g = gcm_new(CBC_ENCRYPT, km, 16);
    assert_non_null(g);
    memset(pkt, 0, sizeof(pkt));
    pkt[3] = 9; /* SPI */
    pkt[7] = 1; /* sequence number; IV zero */
    memcpy(nonce, km + 16, 4);
    memset(nonce + 4, 0, 8);
    /* 7 bytes of payload, padding 1, 2, 4 (not 3), pad length 3, next header 4 */
    memcpy(pkt + 16 + 7, "\x01\x02\x04\x03\x04", 5);
    assert_int_equal(gcm_seal(g, nonce, pkt, 8, pkt + 16, 12, pkt + 28), 0);
    assert_int_equal(esp_open(in, pkt, 44, &off, &len, &nh), ESP_ERR_PADDING);
    /* and a pad length longer than the packet */
    memset(pkt + 16, 0, 12);
    pkt[16 + 10] = 20;
    pkt[16 + 11] = 4;
    assert_int_equal(gcm_seal(g, nonce, pkt, 8, pkt + 16, 12, pkt + 28), 0);
    assert_int_equal(esp_open(in, pkt, 44, &off, &len, &nh), ESP_ERR_PADDING);
    /* a context keyed for one direction refuses the other */
    assert_int_equal(gcm_open(g, nonce, pkt, 8, pkt + 16, 12, pkt + 28), -1);
    gcm_free(g);
    esp_xform_free(out);
    esp_xform_free(in);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_draft_cases_aead),
        cmocka_unit_test(test_draft_cases_esp_packets),
        cmocka_unit_test(test_round_trips_and_ivs),
        cmocka_unit_test(test_rejects),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
