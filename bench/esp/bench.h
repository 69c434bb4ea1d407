/*
 * bench.h: bench/esp, what fwdd's ESP data path costs per packet
 * (docs/bench-esp.md).
 *
 *   main.c    the runs, the table, the ratios and the targets
 *   path.c    one in-process appliance (fwddcore) with T kmd tunnels on a
 *             shared pool unit; frames in through fwd_frame_input(), frames
 *             out captured where port.c calls sendmsg() (link-time wrap)
 *   anchor.c  the OpenSSL anchor: the same EVP operations on the same
 *             sizes, in this process
 *   veth.c    the reference: AF_PACKET ports on veth pairs in a private
 *             network namespace, frames sent by a thread (root only)
 */
#ifndef BENCH_ESP_H
#define BENCH_ESP_H

#include <stddef.h>
#include <stdint.h>

struct schema;

/* A transform as fwdd takes it from kmd, and as OpenSSL names it. */
struct xfm {
    const char *name;   /* the table's label */
    uint8_t proto;      /* enum fwd_proto: FWD_PROTO_ESP, or FWD_PROTO_AH (no cipher) */
    uint8_t cipher;     /* enum fwd_cipher */
    uint8_t ekey_len;   /* 16 (aes-128), 24 (3des), 20 (aes-128-gcm: key, salt) */
    uint8_t auth;       /* enum fwd_auth (FWD_AUTH_NONE for GCM) */
    uint8_t akey_len;   /* 20 (sha1), 0 */
    const char *evp;    /* OpenSSL cipher name ("" for AH) */
    const char *digest; /* OpenSSL digest name for the HMAC ("" for AEAD) */
    size_t block;       /* padding unit: the cipher block (CBC), 4 (GCM) */
    size_t iv;          /* IV bytes in the ESP packet */
    size_t icv;         /* ICV bytes in the ESP packet */
};

/* Monotonic wall clock in nanoseconds. */
double now_ns(void);
/* CPU time of the calling thread in nanoseconds (CLOCK_THREAD_CPUTIME_ID):
 * what the timed loops use, so that time other processes hold the CPU on a
 * shared machine is not counted. */
double cpu_ns(void);

/* ESP lengths of an inner packet of `inner` bytes: the encrypted part
 * (payload, padding to whole blocks, pad length, next header) and the
 * bytes the HMAC covers (SPI, sequence number, IV, encrypted part). */
size_t esp_clen(const struct xfm *x, size_t inner);
size_t esp_authlen(const struct xfm *x, size_t inner);
/* AH in tunnel mode: the bytes its ICV covers (outer IPv4 header, AH
 * header with the ICV, inner packet). */
size_t ah_authlen(const struct xfm *x, size_t inner);

/* --- anchor.c ------------------------------------------------------------- */

/* OpenSSL on one key, per packet of an inner packet of `inner` bytes, best
 * of `reps` runs of n operations each: the cipher on the encrypted part
 * (a new IV each time, as esp_seal/esp_open do), the HMAC over the ESP
 * packet (EVP_MAC_init with the kept key, update, final).  For an AEAD
 * transform (digest ""), cipher_ns is the whole seal and hmac_ns 0; for
 * AH (no cipher) cipher_ns is 0 and the HMAC covers ah_authlen bytes.
 * tight_ns: the same work with the cheaper calls fwdd now makes (CBC
 * chained without an IV set, as `openssl speed -evp` runs it; HMAC from
 * precomputed states, lib/crypto/hmac.h); for AEAD, cipher_ns.
 * 0, or -1 with a message in err. */
struct anchor {
    double cipher_ns, hmac_ns, tight_ns;
};
int anchor_measure(const struct xfm *x, size_t inner, int encrypt, size_t n, int reps,
                   struct anchor *a, char *err, size_t errlen);

/* RAND_bytes of len bytes (an IV): nanoseconds per call, best of reps
 * runs of n calls; -1 on failure. */
double anchor_rand(size_t len, size_t n, int reps);

/* --- path.c --------------------------------------------------------------- */

struct appl;

/* An appliance with `tunnels` kmd tunnels of transform x, installed
 * through kmdreq_handle() as kmd does it.  fw NULL: in-process ports;
 * else fw's two ports (LAN, WAN) are real (veth.c) and the appliance takes
 * them over (port_close at appl_free).  NULL with a message in err. */
struct fwdd;
struct appl *appl_new(const struct schema *sch, const struct xfm *x, unsigned tunnels,
                      struct fwdd *fw, char *err, size_t errlen);
void appl_free(struct appl *a);
/* What FWD_SA_ADD answers for transform x: NULL if accepted (the SA is
 * removed again), else fwdd's reason in msg. */
const char *appl_probe(struct appl *a, const struct xfm *x, char *msg, size_t msglen);
/* Frames per fwd_frames_input call, 1 to BENCH_BURST_MAX (--burst):
 * port_read's recvmmsg takes up to FWD_BURST_MAX (fwdd.h) at once. */
#define BENCH_BURST_MAX 32
extern int bench_burst;
/* --hot N: packets go to the first N tunnels of the shuffled order only
 * (0: to every tunnel). */
extern unsigned bench_hot;
/* Best of reps runs of n packets of `inner` bytes spread over every tunnel:
 * nanoseconds per packet, or -1 with a message in err (a drop, a frame
 * missing, an output that does not decrypt). */
double appl_encrypt(struct appl *a, size_t inner, size_t n, int reps, char *err, size_t errlen);
double appl_decrypt(struct appl *a, size_t inner, size_t n, int reps, char *err, size_t errlen);

/* The LAN frame of a packet of `inner` bytes into tunnel t (its length,
 * 0 if it does not fit cap); packets encrypted so far. */
size_t appl_lan_frame(struct appl *a, unsigned t, size_t inner, uint8_t *f, size_t cap);
uint64_t appl_encrypted(const struct appl *a);

/* --- veth.c --------------------------------------------------------------- */

/* Packets per second fwdd encrypts when frames of `inner` bytes arrive
 * through a veth pair (AF_PACKET in and out), over `seconds`, and the CPU
 * time of fwdd's thread per packet (ns).  0, 1 when skipped (why), or -1
 * with a message in why; on 0, why says how busy fwdd's thread was. */
int veth_measure(const struct schema *sch, const struct xfm *x, size_t inner, double seconds,
                 double *pps, double *cpu_ns, char *why, size_t whylen);

#endif
