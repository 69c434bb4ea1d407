/* test_isakmp_hostile.c: the ISAKMP parser against hostile input, run under
 * ASan/UBSan: real main mode messages (tests/unit/data/isakmp/) cut at every
 * byte, with lengths too small and too large, zero-length payloads, payload
 * count explosion, SAs with bogus proposal/transform/attribute structure,
 * and random mutations.  Every buffer handed to the parser is an exact-size
 * heap copy, so a read past its end is caught; every accepted message has
 * all its pointers checked, is re-encoded and parsed again. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "isakmp.h"
#include "isakmp_vectors.h"
#include "msg.h"

static struct msg M, M2;

struct blob {
    uint8_t *p;
    size_t len;
};

static struct blob data_file(const char *name)
{
    char path[512];
    struct blob b;

    snprintf(path, sizeof(path), "%s/tests/unit/data/isakmp/%s.bin", SOURCE_DIR, name);
    b.p = vec_read_file(path, &b.len);
    if (b.p == NULL)
        fail_msg("cannot read %s", path);
    return b;
}

static void put16(uint8_t *p, size_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, size_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* Parses an exact-size copy; on success checks bounds and that the
 * re-encoded chain parses to the same structure. */
static enum msg_rc parse_copy(const uint8_t *p, size_t len, struct msg_err *err)
{
    static uint8_t out[70000];
    uint8_t *copy = malloc(len > 0 ? len : 1);
    struct msg_builder b;
    enum msg_rc rc;
    size_t blen;

    memcpy(copy, p, len);
    memset(err, 0, sizeof(*err));
    rc = msg_parse(&M, copy, len, err);
    if (rc == MSG_OK && M.encrypted) /* then take the body as if decrypted */
        rc = msg_parse_decrypted(&M, copy + ISAKMP_HDR_LEN, len - ISAKMP_HDR_LEN, err);
    if (rc != MSG_OK) {
        assert_int_equal(err->rc, rc);
        assert_true(err->reason[0] != '\0');
        assert_true(err->offset <= len + ISAKMP_HDR_LEN);
        free(copy);
        return rc;
    }
    vec_check_bounds(&M, copy, copy + len);
    mb_init_msg(&b, out, sizeof(out));
    vec_rebuild(&M, &b);
    struct msg_hdr h = M.hdr;
    h.flags &= (uint8_t)~ISAKMP_FLAG_ENC;
    assert_int_equal(mb_finish_msg(&b, &h, &blen), 0);
    assert_int_equal(msg_parse(&M2, out, blen, err), MSG_OK);
    assert_int_equal(M2.npl, M.npl);
    assert_int_equal(M2.nprop, M.nprop);
    assert_int_equal(M2.nxform, M.nxform);
    assert_int_equal(M2.nattr, M.nattr);
    assert_int_equal(M2.vids, M.vids);
    for (unsigned i = 0; i < M.npl; i++) {
        assert_int_equal(M2.pl[i].type, M.pl[i].type);
        assert_int_equal(M2.pl[i].len, M.pl[i].len);
    }
    for (unsigned i = 0; i < M.nattr; i++) {
        assert_int_equal(M2.attr[i].type, M.attr[i].type);
        assert_int_equal(M2.attr[i].value, M.attr[i].value);
    }
    free(copy);
    return MSG_OK;
}

static void test_truncated(void **state)
{
    static const char *const files[] = {"strongswan-raw-esp-mm1", "libreswan-raw-esp-mm1",
                                        "strongswan-raw-esp-mm3", "strongswan-3des-md5-mm1"};
    (void)state;
    for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
        struct blob b = data_file(files[f]);
        struct msg_err err;

        assert_int_equal(parse_copy(b.p, b.len, &err), MSG_OK);
        for (size_t cut = 0; cut < b.len; cut++) {
            /* datagram cut short: the header length no longer matches */
            assert_int_equal(parse_copy(b.p, cut, &err),
                             cut < ISAKMP_HDR_LEN ? MSG_E_SHORT : MSG_E_LENGTH);
            if (cut < ISAKMP_HDR_LEN)
                continue;
            /* cut short and the header length made to agree: the chain is cut */
            put32(b.p + 24, cut);
            assert_int_not_equal(parse_copy(b.p, cut, &err), MSG_OK);
            put32(b.p + 24, b.len);
        }
        free(b.p);
    }
}

static void test_bad_lengths(void **state)
{
    struct blob b = data_file("strongswan-raw-esp-mm1");
    struct msg_err err;
    size_t offs[8], n = 0;
    (void)state;

    assert_int_equal(parse_copy(b.p, b.len, &err), MSG_OK);
    for (unsigned i = 0; i < M.npl; i++)
        offs[n++] = M.pl[i].off;
    for (size_t i = 0; i < n; i++) {
        uint8_t *len = b.p + offs[i] + 2;
        uint8_t save[2] = {len[0], len[1]};
        for (size_t v = 0; v < 4; v++) { /* below the generic header */
            put16(len, v);
            assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_PAYLOAD_LEN);
            assert_int_equal(err.index, i);
            assert_int_equal(err.offset, offs[i] + 2);
        }
        put16(len, 0xffff);
        assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_TRUNCATED);
        put16(len, b.len - offs[i] + 1); /* one past the end */
        assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_TRUNCATED);
        for (size_t v = 4; v < 64; v++) { /* anything else: no crash */
            put16(len, v);
            parse_copy(b.p, b.len, &err);
        }
        memcpy(len, save, 2);
    }
    /* SA internals (offsets from decrypted.txt frame 1): proposal at 40,
     * transform at 48, first attribute at 56 */
    put16(b.p + 42, 7);
    assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_PROPOSAL);
    assert_int_equal(err.notify, ISAKMP_N_BAD_PROPOSAL_SYNTAX);
    put16(b.p + 42, 45); /* one more than the SA holds */
    assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_PROPOSAL);
    put16(b.p + 42, 44);
    put16(b.p + 50, 7);
    assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_PROPOSAL);
    put16(b.p + 50, 37);
    assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_PROPOSAL);
    put16(b.p + 50, 36);
    b.p[56] &= 0x7f; /* TV -> TLV: its value 7 becomes a length, misaligning the rest */
    assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_PROPOSAL);
    put16(b.p + 58, 0xfff0);
    assert_int_equal(parse_copy(b.p, b.len, &err), MSG_E_PROPOSAL);
    assert_non_null(strstr(err.reason, "runs past the transform"));
    put16(b.p + 58, 24); /* exactly the rest of the transform: one attribute */
    assert_int_equal(parse_copy(b.p, b.len, &err), MSG_OK);
    assert_int_equal(M.nattr, 1);
    assert_false(M.attr[0].tv);
    assert_int_equal(M.attr[0].len, 24);
    assert_false(M.attr[0].value_ok); /* 24 significant bytes do not fit a value */
    free(b.p);
}

/* A message of one payload of the given type and body. */
static size_t one(uint8_t *buf, uint8_t type, const uint8_t *body, size_t len)
{
    struct msg_hdr h = {.exch = ISAKMP_EXCH_INFO};
    struct msg_builder b;
    size_t n;

    mb_init_msg(&b, buf, 4096);
    mb_raw(&b, type, body, len);
    assert_int_equal(mb_finish_msg(&b, &h, &n), 0);
    return n;
}

static void test_zero_length(void **state)
{
    static const uint8_t types[] = {ISAKMP_PL_SA,    ISAKMP_PL_KE,         ISAKMP_PL_ID,
                                    ISAKMP_PL_CERT,  ISAKMP_PL_CR,         ISAKMP_PL_HASH,
                                    ISAKMP_PL_SIG,   ISAKMP_PL_NONCE,      ISAKMP_PL_N,
                                    ISAKMP_PL_D,     ISAKMP_PL_VID,        ISAKMP_PL_NATD,
                                    ISAKMP_PL_NATOA, ISAKMP_PL_NATD_DRAFT, ISAKMP_PL_NATOA_DRAFT};
    uint8_t buf[4096], body[300] = {0};
    struct msg_err err;
    (void)state;

    for (size_t i = 0; i < sizeof(types); i++) {
        assert_int_equal(parse_copy(buf, one(buf, types[i], NULL, 0), &err), MSG_E_PAYLOAD_LEN);
        assert_int_equal(err.payload, types[i]);
        assert_int_equal(err.notify, ISAKMP_N_PAYLOAD_MALFORMED);
    }
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_P, body, 8), &err), MSG_E_PAYLOAD_TYPE);
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_T, body, 8), &err), MSG_E_PAYLOAD_TYPE);
    /* unknown types, empty or not, are skipped with a note */
    assert_int_equal(parse_copy(buf, one(buf, 77, NULL, 0), &err), MSG_OK);
    assert_int_equal(M.nunknown, 1);
    assert_false(M.pl[0].known);
    assert_int_equal(parse_copy(buf, one(buf, 33 /* IKEv2 SA */, body, 40), &err), MSG_OK);
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_ATTR, NULL, 0), &err), MSG_OK);
    assert_int_equal(M.nunknown, 0);
    /* size rules past the minimum */
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_NONCE, body, 7), &err), MSG_E_PAYLOAD_LEN);
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_NONCE, body, 257), &err),
                     MSG_E_PAYLOAD_LEN);
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_NONCE, body, 256), &err), MSG_OK);
    body[5] = 5; /* notify SPI size 5 with 4 bytes left */
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_N, body, 12), &err), MSG_E_PAYLOAD_LEN);
    body[7] = 3; /* delete: 3 SPIs of 5 bytes in 14 */
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_D, body, 22), &err), MSG_E_PAYLOAD_LEN);
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_D, body, 23), &err), MSG_OK);
    body[0] = ISAKMP_ID_IPV6_ADDR; /* NAT-OA: IPv6 needs 16 bytes */
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_NATOA, body, 8), &err), MSG_E_PAYLOAD_LEN);
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_NATOA, body, 20), &err), MSG_OK);
    body[0] = 9;
    assert_int_equal(parse_copy(buf, one(buf, ISAKMP_PL_NATOA, body, 8), &err), MSG_E_PAYLOAD_LEN);
}

static void test_payload_count(void **state)
{
    static uint8_t buf[70000];
    struct msg_hdr h = {.exch = ISAKMP_EXCH_IDPROT};
    struct msg_builder b;
    struct msg_err err;
    size_t n;
    (void)state;

    for (unsigned count = 63; count <= 66; count++) {
        mb_init_msg(&b, buf, sizeof(buf));
        for (unsigned i = 0; i < count; i++)
            mb_vid_known(&b, ISAKMP_VID_DPD);
        assert_int_equal(mb_finish_msg(&b, &h, &n), 0);
        assert_int_equal(parse_copy(buf, n, &err),
                         count <= MSG_MAX_PAYLOADS ? MSG_OK : MSG_E_TOO_MANY);
    }
    /* 16,000 empty unknown payloads in one datagram: refused after 64 */
    mb_init_msg(&b, buf, sizeof(buf));
    for (unsigned i = 0; i < 16000; i++)
        mb_raw(&b, 200, NULL, 0);
    assert_int_equal(mb_finish_msg(&b, &h, &n), 0);
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_TOO_MANY);
    assert_int_equal(err.index, MSG_MAX_PAYLOADS);
}

/* SA body builders for the nested cases. */
static size_t sa_msg(uint8_t *buf, unsigned nprops, unsigned nxf, unsigned nattr,
                     const uint8_t *nums)
{
    struct msg_hdr h = {.exch = ISAKMP_EXCH_IDPROT};
    struct msg_builder b;
    size_t n;

    mb_init_msg(&b, buf, 65000);
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    for (unsigned p = 0; p < nprops; p++) {
        mb_proposal_begin(&b, nums ? nums[p] : (uint8_t)p, ISAKMP_PROTO_ISAKMP, NULL, 0);
        for (unsigned t = 0; t < nxf; t++) {
            mb_transform_begin(&b, (uint8_t)t, ISAKMP_XF_KEY_IKE);
            for (unsigned a = 0; a < nattr; a++)
                mb_attr(&b, (uint16_t)(a + 1), a);
        }
    }
    assert_int_equal(mb_finish_msg(&b, &h, &n), 0);
    return n;
}

static void test_nested_sa(void **state)
{
    static uint8_t buf[65000];
    static const uint8_t bundle[] = {0, 0, 1}, down[] = {1, 2, 1};
    struct msg_err err;
    size_t n;
    (void)state;

    n = sa_msg(buf, 3, 1, 1, bundle); /* 0 AND 0, OR 1 */
    assert_int_equal(parse_copy(buf, n, &err), MSG_OK);
    assert_int_equal(M.pl[0].u.sa.ngroups, 2);
    assert_int_equal(M.prop[1].group, 0);
    assert_int_equal(M.prop[2].group, 1);
    n = sa_msg(buf, 3, 1, 1, down);
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    assert_non_null(strstr(err.reason, "must not decrease"));
    /* caps: proposals, transforms, attributes per transform and per message */
    n = sa_msg(buf, 64, 1, 0, NULL);
    assert_int_equal(parse_copy(buf, n, &err), MSG_OK);
    n = sa_msg(buf, 65, 1, 0, NULL);
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_TOO_MANY);
    n = sa_msg(buf, 1, 129, 0, NULL);
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_TOO_MANY);
    n = sa_msg(buf, 1, 1, 33, NULL);
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_TOO_MANY);
    n = sa_msg(buf, 1, 40, 30, NULL); /* 1200 attributes > 1024 */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_TOO_MANY);

    /* one proposal, two transforms of one attribute: patch it */
    n = sa_msg(buf, 1, 2, 1, NULL);
    uint8_t *sa = buf + ISAKMP_HDR_LEN, *p = sa + 12, *t = p + 8;
    assert_int_equal(parse_copy(buf, n, &err), MSG_OK);
    p[0] = 5; /* proposal next payload must be 2 or 0 */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    p[0] = 2; /* says another proposal follows: none does */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    p[0] = 0;
    p[7] = 3; /* declares 3 transforms, carries 2 */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    p[7] = 0;
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    p[7] = 2;
    t[0] = 7; /* transform next payload must be 3 or 0 */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    t[0] = 0; /* ends early: 12 bytes left in the proposal */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    t[0] = 3;
    p[6] = 200; /* SPI size beyond the proposal */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    p[6] = 0;
    put16(t + 2, 10); /* attribute header cut by the transform length */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    put16(t + 2, 12);
    put32(sa + 4, 0); /* DOI 0 */
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_DOI);
    assert_int_equal(err.notify, ISAKMP_N_DOI_NOT_SUPPORTED);
    put32(sa + 4, 1);
    put32(sa + 8, ISAKMP_SIT_SECRECY | ISAKMP_SIT_IDENTITY_ONLY);
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_SITUATION);
    assert_int_equal(err.notify, ISAKMP_N_SITUATION_NOT_SUPPORTED);
    put32(sa + 8, 1);
    assert_int_equal(parse_copy(buf, n, &err), MSG_OK);
    /* bytes after the last proposal, inside the SA */
    n = sa_msg(buf, 2, 1, 0, NULL);
    assert_int_equal(parse_copy(buf, n, &err), MSG_OK);
    p[0] = 0;
    assert_int_equal(parse_copy(buf, n, &err), MSG_E_PROPOSAL);
    assert_non_null(strstr(err.reason, "after the last proposal"));
}

/* xorshift64*: deterministic, so a failure can be replayed. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static size_t mutate(uint8_t *p, size_t len, size_t cap)
{
    static const uint16_t lens[] = {0, 1, 3, 4, 5, 7, 8, 12, 0x7fff, 0x8000, 0xfffe, 0xffff};
    size_t pos = len > 0 ? rnd() % len : 0, n;
    unsigned ops = 1 + (unsigned)(rnd() % 3);

    for (unsigned k = 0; k < ops; k++) {
        switch (rnd() % 7) {
        case 0: /* flip bits */
            p[pos] ^= (uint8_t)(1u << (rnd() % 8));
            break;
        case 1: /* boundary byte */
            p[pos] = (uint8_t)((const uint8_t[]){0, 1, 2, 3, 4, 0x7f, 0x80, 0xff})[rnd() % 8];
            break;
        case 2: /* a 16-bit length-like value */
            if (pos + 1 < len)
                put16(p + pos, rnd() % 2 ? lens[rnd() % 12] : rnd() % (len + 16));
            break;
        case 3: /* truncate */
            len = ISAKMP_HDR_LEN + (len > ISAKMP_HDR_LEN ? rnd() % (len - ISAKMP_HDR_LEN) : 0);
            break;
        case 4: /* insert random bytes */
            n = 1 + rnd() % 16;
            if (len + n <= cap && pos <= len) {
                memmove(p + pos + n, p + pos, len - pos);
                for (size_t i = 0; i < n; i++)
                    p[pos + i] = (uint8_t)rnd();
                len += n;
            }
            break;
        case 5: /* delete a range */
            n = 1 + rnd() % 16;
            if (pos + n <= len) {
                memmove(p + pos, p + pos + n, len - pos - n);
                len -= n;
            }
            break;
        default: /* random byte */
            p[pos] = (uint8_t)rnd();
            break;
        }
        pos = len > 0 ? rnd() % len : 0;
    }
    if (len >= ISAKMP_HDR_LEN && rnd() % 8 != 0) /* mostly keep the header length right */
        put32(p + 24, len);
    return len;
}

static void fuzz(const char *file, unsigned rounds, bool as_encrypted, bool some_ok)
{
    struct blob b = data_file(file);
    unsigned count[MSG_E_BUILD + 1] = {0};
    uint8_t work[1024];
    struct msg_err err;

    assert_true(b.len + 256 <= sizeof(work));
    if (as_encrypted)
        b.p[19] |= ISAKMP_FLAG_ENC; /* parse the body through msg_parse_decrypted */
    for (unsigned r = 0; r < rounds; r++) {
        size_t len;
        memcpy(work, b.p, b.len);
        len = mutate(work, b.len, sizeof(work));
        count[parse_copy(work, len, &err)]++;
    }
    printf("# %s%s: %u mutations:", file, as_encrypted ? " (as decrypted body)" : "", rounds);
    for (int i = 0; i <= MSG_E_BUILD; i++)
        if (count[i] > 0)
            printf(" %s %u,", msg_rc_name((enum msg_rc)i), count[i]);
    printf("\n");
    free(b.p);
    assert_true(count[MSG_OK] > 0 || !some_ok); /* ciphertext rarely parses */
    assert_true(count[MSG_E_LENGTH] > 0);
    assert_true(count[MSG_E_TRUNCATED] + count[MSG_E_PAYLOAD_LEN] > 0);
}

static void test_mutations(void **state)
{
    (void)state;
    fuzz("strongswan-raw-esp-mm1", 10000, false, true);
    fuzz("libreswan-raw-esp-mm1", 10000, false, true);
    fuzz("strongswan-raw-esp-mm3", 3000, false, true);
    fuzz("strongswan-raw-esp-mm1", 3000, true, true);
    fuzz("strongswan-natt-mm5-encrypted", 3000, false, false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_truncated),   cmocka_unit_test(test_bad_lengths),
        cmocka_unit_test(test_zero_length), cmocka_unit_test(test_payload_count),
        cmocka_unit_test(test_nested_sa),   cmocka_unit_test(test_mutations),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
