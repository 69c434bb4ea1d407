/*
 * fuzz_isakmp: a libFuzzer target for the ISAKMP parser (kmd/msg_parse.c)
 * and kmd's input path (kmdcore through kmd_input), built only by clang
 * with -fsanitize=fuzzer (tests/kmd/meson.build; the suite 'fuzz' runs it
 * for 20 s).  Each input is a raw ISAKMP message and goes four ways:
 *
 *   1. msg_parse, then (encrypted) msg_parse_decrypted of its body and the
 *      decoding of every ID payload;
 *   2. kmd_input as it is, from a source of its own (MM1, unknown cookies);
 *   3. kmd_input under the cookies of an established IKE SA (quick mode,
 *      informational: decryption and HASH of garbage);
 *   4. kmd_input under the cookies of a half-open SA waiting for MM3
 *      (plaintext MM3 parsing, DH, and what comes after).
 *
 * The kmd is the in-process one of the unit tests (tests/kmd/kmdtest.c:
 * mocked fwdd and clock) with the test initiator's tunnel up; every 4096
 * inputs the clock jumps 31 s (half-open SAs expire) and what the inputs
 * broke is set up again.  With KMD_FUZZ_SEED_DIR set, the ISAKMP messages
 * of the captures in shared/vectors/ikev1 are written there as seeds
 * before libFuzzer reads its corpus.
 */
#include "kmdtest.h"

#include "../unit/isakmp_vectors.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define PSK "opensg-lab-psk"

static struct kt *t;
static struct ikei *up, *half;
static unsigned long iter;
static struct msg scratch;

static void seeds(const char *dir)
{
    static const char *const names[] = {
        "libreswan-natt-no-qm3", "libreswan-raw-esp", "strongswan-3des-md5",
        "strongswan-fqdn-id",    "strongswan-natt",   "strongswan-pfs-sha256",
        "strongswan-raw-esp",
    };
    static struct vector v;
    char err[256], path[1200];

    mkdir(dir, 0755);
    for (size_t n = 0; n < sizeof(names) / sizeof(names[0]); n++) {
        if (vec_load(names[n], &v, err, sizeof(err)) < 0)
            continue;
        for (unsigned i = 0; i < v.npkt; i++) {
            FILE *f;
            snprintf(path, sizeof(path), "%s/%s-%u.bin", dir, names[n], v.pkt[i].frame);
            if ((f = fopen(path, "wb")) != NULL) {
                fwrite(v.pkt[i].data, 1, v.pkt[i].len, f);
                fclose(f);
            }
        }
        vec_free(&v);
    }
}

/* The established tunnel and the half-open SA, made again when gone. */
static void repair(void)
{
    static unsigned n;
    char addr[32];
    uint8_t p[4096];
    size_t len;

    t->nout = t->rd = 0;
    if (up == NULL || ike_find(t->k, up->icky, up->rcky) == NULL) {
        struct buf b;
        buf_init(&b); /* the old tunnel (it outlives its IKE SA) would hold the proxies */
        kmd_rpc(t->k, "clear-services-ipsec-vpn-security-associations", "", &b);
        buf_free(&b);
        kt_flush(t);
        ikei_free(up);
        snprintf(addr, sizeof(addr), "198.51.100.%u", 1 + n++ % 200);
        up = kt_peer(addr, PSK, NULL);
        if (kt_mm(t, up) < 0 || kt_qm(t, up) < 0)
            abort();
    }
    if (half == NULL || ike_find(t->k, half->icky, half->rcky) == NULL) {
        struct kt_out *o;
        ikei_free(half);
        half = kt_peer("192.0.2.1", PSK, NULL);
        if (ikei_mm1(half, p, sizeof(p), &len) < 0)
            abort();
        kt_send(t, half, p, len);
        if ((o = kt_recv(t)) == NULL || ikei_input(half, o->p, o->len, p, sizeof(p), &len) != 1)
            abort();
    }
    t->nout = t->rd = 0;
    if (t->nreq > KT_MAX_REQ / 2) { /* all answered by kt_send's flush */
        kt_flush(t);
        t->nreq = 0;
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    const char *dir = getenv("KMD_FUZZ_SEED_DIR");

    (void)argc;
    (void)argv;
    if (dir && *dir)
        seeds(dir);
    if (kt_setup_schema(NULL) < 0)
        abort();
    t = kt_new(KT_SG1, PSK);
    repair();
    return 0;
}

static void parse(const uint8_t *data, size_t size)
{
    struct msg_err err;

    if (msg_parse(&scratch, data, size, &err) != MSG_OK)
        return;
    if (scratch.encrypted) {
        if (msg_parse_decrypted(&scratch, scratch.body, scratch.body_len, &err) != MSG_OK)
            return;
    }
    for (unsigned i = 0; i < msg_count(&scratch, ISAKMP_PL_ID); i++) {
        struct msg_idval v;
        const char *why;
        char s[KMD_ID_STR];
        if (msg_id_decode(&msg_find(&scratch, ISAKMP_PL_ID, i)->u.id, &v, &why) == 0)
            msg_id_format(&v, s, sizeof(s));
    }
}

static void under(struct ikei *i, const uint8_t *data, size_t size)
{
    uint8_t *p;

    if (size < 16 || (p = malloc(size)) == NULL)
        return;
    memcpy(p, data, size);
    memcpy(p, i->icky, 8);
    memcpy(p + 8, i->rcky, 8);
    kt_send(t, i, p, size);
    free(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fwd_dgram d;

    parse(data, size);
    ikei_dgram(half, &d, size); /* as it is, from 10.x.y.z (no per-source limit) */
    d.src.a[0] = 10;
    d.src.a[1] = (uint8_t)(iter >> 16);
    d.src.a[2] = (uint8_t)(iter >> 8);
    d.src.a[3] = (uint8_t)iter;
    kmd_input(t->k, &d, data, size);
    kt_flush(t);
    under(up, data, size);
    under(half, data, size);
    if (++iter % 4096 == 0)
        kt_advance(t, 31);
    repair();
    return 0;
}
