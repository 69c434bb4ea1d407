/* test_crypto_ikev1.c: known answers from every real exchange in
 * shared/vectors/ikev1/ (strongSwan and libreswan initiators).  Secrets
 * come from keys.txt; everything public comes from the capture itself,
 * read with the helpers of test_crypto_capture.c (included below; it is
 * not a test of its own).  Per folder: SKEYID, SKEYID_d/a/e, Ka and the
 * phase-1 IV; MM5/MM6 decrypted with Ka and HASH_I/HASH_R recomputed;
 * quick mode decrypted with the phase-2 IV and HASH(1)/(2)/(3)
 * recomputed; informational HASH(1); the ESP KEYMAT of both SAs against
 * the logged keys; every ESP packet opened with esp_xform and its inner
 * IPv4 header checked. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/cipher.h"
#include "crypto/dh.h"
#include "crypto/esp.h"
#include "crypto/prf.h"

#include "test_crypto_capture.c"

static int in_net(uint32_t a, const unsigned n[5])
{
    uint32_t net = n[0] << 24 | n[1] << 16 | n[2] << 8 | n[3];
    uint32_t mask = n[4] == 0 ? 0 : 0xffffffffu << (32 - n[4]);

    return (a & mask) == (net & mask);
}

/* Open every ESP packet of the capture; check the inner IPv4 header. */
static void check_esp(struct vec *v, struct esp_xform *xf[2], const uint32_t spi[2],
                      uint32_t init_ip)
{
    unsigned pi[5], pr[5];
    const char *s = strstr(v->keys, "proxy-ids: ");
    int opened[2] = {0, 0};

    assert_non_null(s);
    assert_int_equal(sscanf(s, "proxy-ids: %u.%u.%u.%u/%u (initiator) <-> %u.%u.%u.%u/%u", &pi[0],
                            &pi[1], &pi[2], &pi[3], &pi[4], &pr[0], &pr[1], &pr[2], &pr[3], &pr[4]),
                     10);
    for (size_t i = 0; i < v->n; i++) {
        struct pkt *p = &v->p[i];
        size_t off, len;
        uint8_t nh, *ip;
        uint32_t sum = 0;
        int d;

        if (!p->esp)
            continue;
        d = be32(p->data) == spi[0] ? 0 : 1; /* 0: sent by the IKE initiator */
        assert_int_equal(be32(p->data), spi[d]);
        assert_int_equal(p->src == init_ip, d == 0);
        assert_int_equal(esp_open(xf[d], p->data, p->len, &off, &len, &nh), ESP_OK);
        assert_int_equal(nh, 4); /* IPv4 in tunnel mode */
        ip = p->data + off;
        assert_true(len >= 20 && ip[0] == 0x45 && be16(ip + 2) == len);
        for (int w = 0; w < 20; w += 2)
            sum += be16(ip + w);
        assert_int_equal((sum & 0xffff) + (sum >> 16), 0xffff); /* header checksum */
        assert_int_equal(ip[9], 1);                             /* the pings */
        assert_true(in_net(be32(ip + 12), d == 0 ? pi : pr));
        assert_true(in_net(be32(ip + 16), d == 0 ? pr : pi));
        opened[d]++;
    }
    assert_true(opened[0] > 0 && opened[1] > 0);
    print_message("  ESP: %d + %d packets opened, ICVs verified\n", opened[0], opened[1]);
}

static void check_phase2(struct vec *v, const struct ikev1_keys *k, struct cbc *cbc,
                         const uint8_t *last_p1, uint32_t init_ip)
{
    const struct pkt *q[3];
    struct msg *m = calloc(4, sizeof(*m));
    struct ikev1_qm_input qi = {0};
    struct sa_info si, sr;
    struct esp_xform *xf[2] = {NULL, NULL};
    uint8_t iv[16], hash[64], keymat[2][64], gqm[512];
    const uint8_t *ke, *sa;
    size_t bl = cbc_block_len(cbc), len, kel, ekl, akl;
    enum crypto_cipher ec;
    enum esp_integ ei;
    uint32_t msgid, spi[2];
    int infos = 0;

    assert_non_null(m);
    q[0] = isakmp(v, 32, 0xffffffff, 0, init_ip, 1);
    assert_non_null(q[0]);
    msgid = be32(q[0]->data + 20);
    q[1] = isakmp(v, 32, msgid, 0, init_ip, 0);
    q[2] = isakmp(v, 32, msgid, 1, init_ip, 1);
    assert_non_null(q[1]);

    /* QM1 with the phase-2 IV; QM2 and QM3 chain on the previous last block. */
    assert_int_equal(ikev1_phase2_iv(k->hash, last_p1, bl, msgid, iv), 0);
    decrypt(cbc, q[0], iv, &m[0]);
    assert_int_equal(ikev1_qm_hash1(k, msgid, m[0].rest, m[0].rest_len, hash), 0);
    hash_is(&m[0], hash, k->len);
    sa = body(m[0].clear, m[0].len, 8, 1, &len);
    parse_sa(sa, len, &si);
    qi.ni_b = body(m[0].clear, m[0].len, 8, 10, &qi.ni_len);
    ke = payload(m[0].clear, m[0].len, 8, 4, &kel, NULL);

    decrypt(cbc, q[1], m[0].last, &m[1]);
    assert_int_equal(ikev1_qm_hash2(k, msgid, qi.ni_b, qi.ni_len, m[1].rest, m[1].rest_len, hash),
                     0);
    hash_is(&m[1], hash, k->len);
    sa = body(m[1].clear, m[1].len, 8, 1, &len);
    parse_sa(sa, len, &sr);
    qi.nr_b = body(m[1].clear, m[1].len, 8, 10, &qi.nr_len);
    assert_true((ke != NULL) == (payload(m[1].clear, m[1].len, 8, 4, &len, NULL) != NULL));

    if (q[2] != NULL) {
        decrypt(cbc, q[2], m[1].last, &m[2]);
        assert_int_equal(ikev1_qm_hash3(k, msgid, qi.ni_b, qi.ni_len, qi.nr_b, qi.nr_len, hash), 0);
        hash_is(&m[2], hash, k->len);
    }
    print_message("  quick mode HASH(1), HASH(2)%s verified%s\n", q[2] != NULL ? ", HASH(3)" : "",
                  ke != NULL ? " (PFS)" : "");

    /* Informational exchanges (deletes): fresh phase-2 IV, HASH(1). */
    for (int from = 0; from < 2; from++)
        for (int i = 0; (q[0] = isakmp(v, 5, 0xffffffff, i, init_ip, from)) != NULL; i++) {
            if (!(q[0]->data[19] & 1))
                continue;
            assert_int_equal(ikev1_phase2_iv(k->hash, last_p1, bl, be32(q[0]->data + 20), iv), 0);
            decrypt(cbc, q[0], iv, &m[3]);
            assert_int_equal(ikev1_qm_hash1(k, m[3].msgid, m[3].rest, m[3].rest_len, hash), 0);
            hash_is(&m[3], hash, k->len);
            infos++;
        }
    print_message("  %d informational HASH(1) verified\n", infos);

    /* KEYMAT: the SA with the responder's SPI carries the initiator's traffic. */
    if (ke != NULL) {
        qi.gqm_len = key_hex(v, "QM PFS DH secret (g^xy of the QM KE payloads)", gqm, sizeof(gqm));
        assert_int_equal(qi.gqm_len, kel - 4);
        qi.gqm = gqm;
    }
    ec = cipher_of(sr.tid, sr.attr[6]);
    ei = esp_auth(sr.attr[5]);
    ekl = crypto_cipher_key_len(ec);
    akl = esp_integ_key_len(ei);
    spi[0] = sr.spi;
    spi[1] = si.spi;
    for (int d = 0; d < 2; d++)
        assert_int_equal(ikev1_keymat(k, &qi, 3, spi[d], keymat[d], ekl + akl), 0);
    if (key_value(v, "encryption initiator key") == NULL) {
        print_message("  no ESP keys logged: KEYMAT computed (%s %s) but not compared\n",
                      crypto_cipher_name(ec), esp_integ_name(ei));
        free(m);
        return;
    }
    for (int d = 0; d < 2; d++) {
        char name[64], line[64];

        snprintf(name, sizeof(name), "encryption %s key", d == 0 ? "initiator" : "responder");
        expect(v, name, keymat[d], ekl);
        snprintf(name, sizeof(name), "integrity %s key", d == 0 ? "initiator" : "responder");
        expect(v, name, keymat[d] + ekl, akl);
        snprintf(line, sizeof(line), "ESP SA spi=0x%08x", spi[d]);
        assert_non_null(strstr(v->keys, line));
        assert_non_null(strstr(strstr(v->keys, line), d == 0 ? "'initiator'" : "'responder'"));
        xf[d] = esp_xform_new(ESP_INBOUND, ec, keymat[d], ekl, ei, keymat[d] + ekl, akl);
        assert_non_null(xf[d]);
    }
    print_message("  KEYMAT of both SAs matches (%s %s)\n", crypto_cipher_name(ec),
                  esp_integ_name(ei));
    check_esp(v, xf, spi, init_ip);
    esp_xform_free(xf[0]);
    esp_xform_free(xf[1]);
    crypto_wipe(keymat, sizeof(keymat));
    free(m);
}

static void test_vector(void **state)
{
    const char *folder = *state;
    struct vec *v = calloc(1, sizeof(*v));
    struct ikev1_mm_input in;
    struct ikev1_keys k;
    struct sa_info s1;
    struct msg *m5 = calloc(1, sizeof(*m5)), *m6 = calloc(1, sizeof(*m6));
    const struct pkt *mm[6];
    uint8_t psk[64], cky[2][8], gxy[512], hash[64];
    const uint8_t *id, *h, *sa;
    const char *s;
    size_t len, idlen, hlen, gl;
    struct cbc *cbc;
    uint32_t init_ip;

    assert_non_null(v);
    print_message("vector %s\n", folder);
    load(v, folder);
    assert_true(v->n > 6);
    assert_true(!v->p[0].esp && be32(v->p[0].data + 8) == 0); /* MM1 comes first */
    init_ip = v->p[0].src;
    for (int i = 0; i < 6; i++) {
        mm[i] = isakmp(v, 2, 0, i / 2, init_ip, i % 2 == 0);
        assert_non_null(mm[i]);
    }

    /* What the capture says: cookies, proposal, KE, nonces. */
    memset(&in, 0, sizeof(in));
    key_hex(v, "CKY-I (initiator cookie)", cky[0], 8);
    key_hex(v, "CKY-R (responder cookie)", cky[1], 8);
    assert_memory_equal(mm[1]->data, cky[0], 8);
    assert_memory_equal(mm[1]->data + 8, cky[1], 8);
    in.cky_i = cky[0];
    in.cky_r = cky[1];
    in.sai_b = body(mm[0]->data + 28, mm[0]->len - 28, mm[0]->data[16], 1, &in.sai_len);
    sa = body(mm[1]->data + 28, mm[1]->len - 28, mm[1]->data[16], 1, &len);
    parse_sa(sa, len, &s1);
    assert_true(s1.attr[2] >= 1 && s1.attr[2] <= 6 && s1.attr[2] != 3);
    in.hash = hashes[s1.attr[2]];
    in.cipher = cipher_of(s1.attr[1], s1.attr[14]);
    assert_int_equal(s1.attr[3], 1); /* pre-shared key */
    assert_non_null(dh_group_find((unsigned)s1.attr[4]));
    gl = dh_group_len(dh_group_find((unsigned)s1.attr[4]));
    in.gxi = body(mm[2]->data + 28, mm[2]->len - 28, mm[2]->data[16], 4, &in.g_len);
    in.gxr = body(mm[3]->data + 28, mm[3]->len - 28, mm[3]->data[16], 4, &len);
    assert_int_equal(in.g_len, gl);
    assert_int_equal(len, gl);
    in.ni_b = body(mm[2]->data + 28, mm[2]->len - 28, mm[2]->data[16], 10, &in.ni_len);
    in.nr_b = body(mm[3]->data + 28, mm[3]->len - 28, mm[3]->data[16], 10, &in.nr_len);
    print_message("  %s %s group %d\n", crypto_cipher_name(in.cipher), crypto_hash_name(in.hash),
                  s1.attr[4]);

    /* Secrets from keys.txt; then the schedule against the logged values. */
    s = key_value(v, "PSK");
    assert_non_null(s);
    assert_true(s[0] == '"' && strchr(s + 1, '"') != NULL);
    in.psk_len = (size_t)(strchr(s + 1, '"') - s - 1);
    memcpy(psk, s + 1, in.psk_len);
    in.psk = psk;
    in.gxy_len = key_hex(v, "shared Diffie Hellman secret", gxy, sizeof(gxy));
    assert_int_equal(in.gxy_len, gl);
    in.gxy = gxy;
    assert_int_equal(ikev1_phase1_psk(&in, &k), 0);
    expect(v, "SKEYID", k.skeyid, k.len);
    expect(v, "SKEYID_d", k.skeyid_d, k.len);
    expect(v, "SKEYID_a", k.skeyid_a, k.len);
    expect(v, "SKEYID_e", k.skeyid_e, k.len);
    expect(v, "encryption key Ka", k.ka, k.ka_len);
    expect(v, "initial IV", k.iv, k.iv_len);

    /* MM5 with the phase-1 IV, MM6 with MM5's last block: HASH_I, HASH_R. */
    cbc = cbc_new(in.cipher, CBC_DECRYPT, k.ka, k.ka_len);
    assert_non_null(cbc);
    decrypt(cbc, mm[4], k.iv, m5);
    id = body(m5->clear, m5->len, m5->np, 5, &idlen);
    h = body(m5->clear, m5->len, m5->np, 8, &hlen);
    assert_int_equal(hlen, k.len);
    assert_int_equal(ikev1_hash_i(&k, &in, id, idlen, hash), 0);
    assert_memory_equal(hash, h, k.len);
    print_message("  HASH_I verified (ID type %u, %zu bytes)\n", id[0], idlen);
    decrypt(cbc, mm[5], m5->last, m6);
    id = body(m6->clear, m6->len, m6->np, 5, &idlen);
    h = body(m6->clear, m6->len, m6->np, 8, &hlen);
    assert_int_equal(ikev1_hash_r(&k, &in, id, idlen, hash), 0);
    assert_memory_equal(hash, h, k.len);

    check_phase2(v, &k, cbc, m6->last, init_ip);

    cbc_free(cbc);
    ikev1_keys_wipe(&k);
    free(m5);
    free(m6);
    free(v->file);
    free(v->keys);
    free(v);
}

static int is_folder(const struct dirent *e)
{
    return e->d_name[0] != '.';
}

/* One test per folder found, so a new capture is tested without an edit. */
int main(void)
{
    struct CMUnitTest tests[32];
    struct dirent **list;
    int n = scandir(VECTORS, &list, is_folder, alphasort), rc;

    if (n < 0) {
        fprintf(stderr, "no test vectors at %s: CI needs shared/ beside the repository\n", VECTORS);
        return 1;
    }
    if (n < 7 || n > 32) { /* README.md lists seven captures */
        fprintf(stderr, "%d vector folders in %s: not the copy of shared/ expected\n", n, VECTORS);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        tests[i] = (struct CMUnitTest)cmocka_unit_test_prestate(test_vector, list[i]->d_name);
        tests[i].name = list[i]->d_name;
    }
    rc = _cmocka_run_group_tests("crypto_ikev1", tests, (size_t)n, NULL, NULL);
    for (int i = 0; i < n; i++)
        free(list[i]);
    free(list);
    return rc;
}
