/*
 * bench/esp: what fwdd's ESP data path costs per packet (docs/bench-esp.md).
 *
 * Timed: fwdd's whole per-packet path from frame in to frame out, in
 * process, without system calls of the bench's own (OpenSSL's RAND_bytes
 * makes a getpid() per refill of the 4 KB batch CBC IVs are taken from,
 * every 256 AES or 512 3DES packets): a frame copied into the port's receive
 * buffer and handed to fwd_frame_input() (port.c's read callback does the
 * same after recvmsg), through the checks, the route lookup, the service
 * set and kmd's dynamic rules, ESP sealing (or SA lookup, anti-replay, ICV,
 * decryption, selectors), the lookup of the next hop and ARP, until port.c
 * hands the frame to sendmmsg() (a burst's frames in one call, port.h),
 * which the bench replaces at link time by a copy into memory (path.c).
 * Encrypt: LAN to WAN; decrypt: WAN to LAN.  Transforms aes-128-cbc and
 * 3des-cbc with hmac-sha1-96, and aes-128-gcm (RFC 4106, ICV 16; rows that
 * say "not supported" if fwdd refuses it); AH in tunnel mode with
 * hmac-sha1-96 (RFC 4302: no cipher, the ICV over the outer header, the AH
 * header and the inner packet).  Inner IPv4 packets of 64 and 1400 bytes,
 * spread over every installed tunnel (each tunnel once per round, in a
 * shuffled order), with 1, 1,000 and 10,000 tunnels installed as kmd
 * installs them; 200,000 packets at 64 B and 50,000 at 1400 B per run; CPU
 * time of the bench's thread
 * (preemption by other processes is not counted), best of 3 runs.
 *
 * Anchor, in the same run: OpenSSL's EVP API in this process on the same
 * sizes (anchor.c): the cipher on the encrypted part plus the HMAC over
 * the ESP packet, timed separately (GCM: the whole AEAD operation); their
 * sum is the ceiling of a packet (AH: the HMAC over what its ICV covers).
 *
 * Reference: the AF_PACKET path through veth pairs (veth.c), root only.
 *
 *   bench_esp [--smoke] [--no-veth] [--transform aes|3des|gcm|ah] [--tunnels N,N,N]
 *             [--burst N] [--hot N] [--openssl-aes] [--schema DIR]
 * (--transform and --tunnels narrow a run down, e.g. under perf; --hot N
 * sends the packets to N of the installed tunnels only, to separate the
 * size of the tables from the memory the traffic touches; --openssl-aes
 * runs AES through OpenSSL's per-thread contexts instead of aesni.c.)
 */
#include "bench.h"

#include "crypto/cipher.h"
#include "fwdipc.h"
#include "schema.h"

#include <openssl/crypto.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef SCHEMA_DIR
#define SCHEMA_DIR "schema"
#endif

#define NSIZES 2
#define MAXT 3

static const struct xfm xfms[] = {
    {"aes-128-cbc+hmac-sha1-96", FWD_PROTO_ESP, FWD_CIPHER_AES_CBC, 16, FWD_AUTH_HMAC_SHA1_96, 20,
     "AES-128-CBC", "SHA1", 16, 16, 12},
    {"3des-cbc+hmac-sha1-96", FWD_PROTO_ESP, FWD_CIPHER_3DES_CBC, 24, FWD_AUTH_HMAC_SHA1_96, 20,
     "DES-EDE3-CBC", "SHA1", 8, 8, 12},
    {"aes-128-gcm-16", FWD_PROTO_ESP, FWD_CIPHER_AES_GCM_16, 20, FWD_AUTH_NONE, 0, "AES-128-GCM",
     "", 4, 8, 16},
    {"ah hmac-sha1-96", FWD_PROTO_AH, FWD_CIPHER_NULL, 0, FWD_AUTH_HMAC_SHA1_96, 20, "", "SHA1", 4,
     0, 12},
};
static const char *const short_name[] = {"aes", "3des", "gcm", "ah"};

#define NXFM (sizeof(xfms) / sizeof(xfms[0]))

static const size_t sizes[NSIZES] = {64, 1400};

struct opts {
    int smoke, veth, reps, only; /* only: 1 + the index of --transform's */
    size_t packets[NSIZES];
    unsigned tunnels[MAXT];
    size_t ntunnels;
    const char *schema;
};

/* results[x][size][tunnel index][dir]: ns per packet (-1: not run) */
static double res[sizeof(xfms) / sizeof(xfms[0])][NSIZES][MAXT][2];
static struct anchor anc[sizeof(xfms) / sizeof(xfms[0])][NSIZES][2];
static int failed;

double now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

double cpu_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* The 1-minute load average (other work on the machine skews the figures). */
static const char *loadavg(void)
{
    static char buf[32];
    FILE *f = fopen("/proc/loadavg", "r");

    if (f == NULL || fscanf(f, "%31s", buf) != 1)
        snprintf(buf, sizeof(buf), "?");
    if (f)
        fclose(f);
    return buf;
}

static void machine(void)
{
    char line[256], model[200] = "?";
    FILE *f = fopen("/proc/cpuinfo", "r");

    while (f && fgets(line, sizeof(line), f))
        if (strncmp(line, "model name", 10) == 0) {
            char *p = strchr(line, ':');
            snprintf(model, sizeof(model), "%.190s", p ? p + 2 : line);
            model[strcspn(model, "\n")] = '\0';
            break;
        }
    if (f)
        fclose(f);
    printf("machine: %s, %ld CPUs online, load average %s; %s\n", model,
           sysconf(_SC_NPROCESSORS_ONLN), loadavg(), OpenSSL_version(OPENSSL_VERSION));
#ifndef __OPTIMIZE__
    printf("note: built without optimisation: the figures are not representative\n");
#endif
#if defined(__SANITIZE_ADDRESS__)
    printf("note: built with AddressSanitizer: the figures are not representative\n");
#endif
}

static void header(const struct opts *o)
{
    printf("bench/esp%s: fwdd's per-packet ESP path, in process, no system calls of its own "
           "(OpenSSL's RAND_bytes does a getpid() per 4 KB of CBC IVs)\n",
           o->smoke ? " --smoke" : "");
    printf("  timed: frame copied into the receive buffer -> fwd_frame_input() -> ... -> the "
           "frame port.c hands to sendmmsg(), copied out (link-time wrap)\n");
    printf("  enc: LAN frame -> route -> service set -> kmd's rule -> ESP seal -> ARP -> WAN "
           "frame; dec: WAN ESP frame -> SA -> replay -> ICV -> decrypt -> route -> LAN frame\n");
    if (bench_hot)
        printf("  size: inner IPv4 packet; packets spread over %u of the installed tunnels "
               "(--hot; shuffled rounds); CPU time of the bench's thread, best of %d runs\n",
               bench_hot, o->reps);
    else
        printf("  size: inner IPv4 packet; packets spread over every tunnel (shuffled rounds); "
               "CPU time of the bench's thread, best of %d runs\n",
               o->reps);
    printf("  fwdd's AES (CBC and GCM): %s\n",
           cipher_aesni(-1) ? "lib/crypto/aesni.c (AES-NI, schedules in the SA)"
                            : "OpenSSL's per-thread contexts (--openssl-aes, or no AES-NI)");
    printf("  anchor (same run, just before each row): OpenSSL EVP in this process, one key: "
           "cipher on the encrypted part + HMAC over the ESP packet (EVP_MAC_init/update/final), "
           "timed apart, best of %d\n",
           o->reps);
    printf("  tight ns: the same work with the cheaper calls fwdd makes (CBC chained, no IV set; "
           "HMAC from precomputed states); AEAD: = ceil\n");
    printf("  other ns = fwdd ns - ceil ns; x 1 tun = fwdd ns / fwdd ns with %u tunnel%s\n",
           o->tunnels[0], o->tunnels[0] == 1 ? "" : "s");
    machine();
    printf("\n%-26s %5s %7s %3s %7s %9s %9s %8s %9s %9s %10s %8s %9s %10s\n", "transform", "size",
           "tunnels", "dir", "packets", "fwdd ns", "cipher ns", "hmac ns", "ceil ns", "other ns",
           "ceil/fwdd", "x 1 tun", "tight ns", "tight/fwdd");
}

static void row(const struct xfm *x, size_t si, size_t ti, int dir, const struct opts *o, double ns,
                const struct anchor *a, double base)
{
    double ceil = a->cipher_ns + a->hmac_ns;

    printf("%-26s %5zu %7u %3s %7zu %9.1f %9.1f %8.1f %9.1f %9.1f %10.2f %8.2f %9.1f %10.2f\n",
           x->name, sizes[si], o->tunnels[ti], dir ? "dec" : "enc", o->packets[si], ns,
           a->cipher_ns, a->hmac_ns, ceil, ns - ceil, ceil / ns, base > 0 ? ns / base : 1.0,
           a->tight_ns, a->tight_ns / ns);
    fflush(stdout);
}

/* Whether fwdd takes transform x (FWD_SA_ADD on a small appliance); if
 * not, its rows say so beside OpenSSL's figure. */
static int supported(const struct schema *sch, const struct xfm *x)
{
    char err[512], msg[256];
    struct appl *a = appl_new(sch, &xfms[0], 1, NULL, err, sizeof(err));
    const char *why = a ? appl_probe(a, x, msg, sizeof(msg)) : err;

    if (why == NULL) {
        appl_free(a);
        return 1;
    }
    printf("%-26s fwdd: not supported (%s)\n", x->name, why);
    appl_free(a);
    for (size_t si = 0; si < NSIZES; si++)
        for (int dir = 0; dir < 2; dir++) {
            struct anchor g;
            if (anchor_measure(x, sizes[si], !dir, 20000, 3, &g, err, sizeof(err)) == 0)
                printf("%-26s %5zu %7s %3s %7s %9s %9.1f %8.1f %9.1f   fwdd: not supported\n",
                       x->name, sizes[si], "-", dir ? "dec" : "enc", "-", "-", g.cipher_ns,
                       g.hmac_ns, g.cipher_ns + g.hmac_ns);
        }
    return 0;
}

/* Each fwdd row right after its anchor, so that both see the same machine. */
static void bench_xfm(const struct schema *sch, size_t xi, const struct opts *o)
{
    const struct xfm *x = &xfms[xi];
    char err[512];

    if (!supported(sch, x))
        return;
    if (x->proto == FWD_PROTO_AH)
        printf("%-26s (AH in tunnel mode: no cipher, no IV; hmac ns = the HMAC over the outer "
               "header, the AH header and the inner packet)\n",
               x->name);
    else if (x->digest[0])
        printf("%-26s (RAND_bytes of one %zu-byte IV: %.1f ns; esp_seal takes its IVs from a "
               "per-thread batch of 4096 random bytes; not in the ceiling)\n",
               x->name, x->iv, anchor_rand(x->iv, o->packets[0], o->reps));
    else
        printf("%-26s (IV: the sequence number under a per-SA random mask, no RAND_bytes per "
               "packet; cipher ns = the whole AEAD)\n",
               x->name);
    for (size_t ti = 0; ti < o->ntunnels; ti++) {
        double t0 = now_ns();
        struct appl *a = appl_new(sch, x, o->tunnels[ti], NULL, err, sizeof(err));

        if (a == NULL) {
            printf("%-26s %u tunnels: %s\n", x->name, o->tunnels[ti], err);
            failed = 1;
            return;
        }
        if (o->tunnels[ti] >= 1000)
            printf("%-26s (%u tunnels installed through kmdreq_handle in %.2f s)\n", x->name,
                   o->tunnels[ti], (now_ns() - t0) / 1e9);
        for (size_t si = 0; si < NSIZES; si++)
            for (int dir = 0; dir < 2; dir++) {
                struct anchor an;
                double ns = -1;
                if (anchor_measure(x, sizes[si], !dir, o->packets[si], o->reps, &an, err,
                                   sizeof(err)) == 0)
                    ns =
                        dir ? appl_decrypt(a, sizes[si], o->packets[si], o->reps, err, sizeof(err))
                            : appl_encrypt(a, sizes[si], o->packets[si], o->reps, err, sizeof(err));
                res[xi][si][ti][dir] = ns;
                if (ns < 0) {
                    printf("%-26s %5zu %7u %3s FAILED: %s\n", x->name, sizes[si], o->tunnels[ti],
                           dir ? "dec" : "enc", err);
                    failed = 1;
                    continue;
                }
                if (ti == 0)
                    anc[xi][si][dir] = an;
                row(x, si, ti, dir, o, ns, &an, ti ? res[xi][si][0][dir] : -1);
            }
        appl_free(a);
    }
}

static void bench_veth(const struct schema *sch, const struct opts *o)
{
    printf("\nreference: AF_PACKET through veth pairs in a network namespace (sender thread -> "
           "veth -> fwdd's port_read -> encrypt -> sendmmsg -> veth), 1 tunnel, %s\n",
           xfms[0].name);
    for (size_t si = 0; si < NSIZES; si++) {
        char why[256];
        double pps = 0, cpu = 0, in = res[0][si][0][0];
        int rc = o->veth ? veth_measure(sch, &xfms[0], sizes[si], o->smoke ? 0.3 : 1.5, &pps, &cpu,
                                        why, sizeof(why))
                         : 1;

        if (!o->veth)
            snprintf(why, sizeof(why), "--no-veth");
        if (rc == 1) {
            printf("  %5zu B enc: skipped: %s\n", sizes[si], why);
        } else if (rc < 0) {
            printf("  %5zu B enc: FAILED: %s\n", sizes[si], why);
            failed = 1;
        } else if (in <= 0 || o->tunnels[0] != 1) {
            printf("  %5zu B enc: %.0f packets/s (%s); fwdd's thread: %.1f ns of CPU per packet\n",
                   sizes[si], pps, why, cpu);
        } else {
            printf("  %5zu B enc: %.0f packets/s (%s); fwdd's thread: %.1f ns of CPU per packet "
                   "(in process: %.1f ns; AF_PACKET system calls and kernel work: %.1f ns)\n",
                   sizes[si], pps, why, cpu, in, cpu - in);
        }
        fflush(stdout);
    }
}

/* The targets of the issue, on what ran. */
static void targets(const struct opts *o)
{
    double worst = -1, worst_scale = -1;

    printf("\ntargets\n  fwdd >= 0.7x the OpenSSL ceiling at 1400 B (ceil/fwdd, %u tunnel%s):",
           o->tunnels[0], o->tunnels[0] == 1 ? "" : "s");
    for (size_t xi = 0; xi < NXFM; xi++)
        for (int dir = 0; dir < 2; dir++) {
            const struct anchor *a = &anc[xi][1][dir];
            double ns = res[xi][1][0][dir];
            if (ns <= 0)
                continue;
            printf(" %s %s %.2f;", short_name[xi], dir ? "dec" : "enc",
                   (a->cipher_ns + a->hmac_ns) / ns);
            if (worst < 0 || (a->cipher_ns + a->hmac_ns) / ns < worst)
                worst = (a->cipher_ns + a->hmac_ns) / ns;
        }
    printf(" -> %s\n", worst < 0 ? "not run" : worst >= 0.7 ? "met" : "MISSED");
    printf("  the same against the tight ceiling (tight/fwdd):");
    for (size_t xi = 0; xi < NXFM; xi++)
        for (int dir = 0; dir < 2; dir++)
            if (res[xi][1][0][dir] > 0)
                printf(" %s %s %.2f;", short_name[xi], dir ? "dec" : "enc",
                       anc[xi][1][dir].tight_ns / res[xi][1][0][dir]);
    printf("\n");
    if (o->tunnels[0] != 1 || o->tunnels[o->ntunnels - 1] != 10000) {
        printf("  <= 1.2x the cost at 10,000 tunnels versus 1: not run (tunnels %u..%u)\n",
               o->tunnels[0], o->tunnels[o->ntunnels - 1]);
        return;
    }
    printf("  <= 1.2x the cost at 10,000 tunnels versus 1:");
    for (size_t xi = 0; xi < NXFM; xi++)
        for (size_t si = 0; si < NSIZES; si++)
            for (int dir = 0; dir < 2; dir++) {
                double b = res[xi][si][0][dir], t = res[xi][si][o->ntunnels - 1][dir];
                if (b <= 0 || t <= 0)
                    continue;
                printf(" %s %zu %s %.2f;", short_name[xi], sizes[si], dir ? "dec" : "enc", t / b);
                if (t / b > worst_scale)
                    worst_scale = t / b;
            }
    printf(" -> %s\n", worst_scale < 0 ? "not run" : worst_scale <= 1.2 ? "met" : "MISSED");
}

int main(int argc, char **argv)
{
    struct opts o = {0, 1, 3, 0, {200000, 50000}, {1, 1000, 10000}, 3, SCHEMA_DIR};
    struct schema *sch;
    char err[512];
    size_t xi;

    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--smoke") == 0) {
            o.smoke = 1;
            o.packets[0] = 2000;
            o.packets[1] = 500;
            o.tunnels[1] = 100;
            o.ntunnels = 2;
        } else if (strcmp(argv[i], "--burst") == 0 && i + 1 < argc) {
            bench_burst = atoi(argv[++i]);
            if (bench_burst < 1 || bench_burst > BENCH_BURST_MAX) {
                fprintf(stderr, "--burst: 1 to %d\n", BENCH_BURST_MAX);
                return 2;
            }
        } else if (strcmp(argv[i], "--hot") == 0 && i + 1 < argc) {
            bench_hot = (unsigned)strtoul(argv[++i], NULL, 10);
        } else if (strcmp(argv[i], "--openssl-aes") == 0) {
            cipher_aesni(0);
        } else if (strcmp(argv[i], "--no-veth") == 0) {
            o.veth = 0;
        } else if (strcmp(argv[i], "--schema") == 0 && i + 1 < argc) {
            o.schema = argv[++i];
        } else if (strcmp(argv[i], "--transform") == 0 && i + 1 < argc) {
            i++;
            for (o.only = -1, xi = 0; xi < NXFM; xi++)
                if (strcmp(argv[i], short_name[xi]) == 0)
                    o.only = (int)xi + 1;
        } else if (strcmp(argv[i], "--tunnels") == 0 && i + 1 < argc) {
            char *p = argv[++i];
            for (o.ntunnels = 0; o.ntunnels < MAXT && *p; p += *p == ',')
                o.tunnels[o.ntunnels++] = (unsigned)strtoul(p, &p, 10);
        } else {
            o.only = -1;
        }
        if (o.only < 0 || o.ntunnels == 0 || o.tunnels[0] == 0) {
            fprintf(stderr,
                    "usage: %s [--smoke] [--no-veth] [--transform aes|3des|gcm|ah] [--tunnels "
                    "N,N,N] [--burst N] "
                    "[--hot N] [--openssl-aes] [--schema DIR]\n",
                    argv[0]);
            return 2;
        }
    }
    for (size_t i = 0; i < sizeof(res) / sizeof(res[0][0][0][0]); i++)
        (&res[0][0][0][0])[i] = -1;
    if ((sch = schema_load(o.schema, err, sizeof(err))) == NULL) {
        fprintf(stderr, "schema %s: %s\n", o.schema, err);
        return 1;
    }
    header(&o);
    for (xi = 0; xi < NXFM; xi++)
        if (o.only == 0 || (size_t)o.only == xi + 1)
            bench_xfm(sch, xi, &o);
    bench_veth(sch, &o);
    targets(&o);
    printf("load average at the end: %s\n", loadavg());
    schema_free(sch);
    return failed;
}
