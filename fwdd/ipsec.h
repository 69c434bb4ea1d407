/*
 * ipsec.h: fwdd's IPsec state and ESP data path (RFC 4301/4303/3948).
 *
 * State lives for the process, in the runtime of its service set (struct
 * ss_rt, svc.h), never in a configuration generation:
 *   - a tunnel (struct tunnel) is one of kmd's tunnels (by kmd's index) or
 *     one static term with manual SAs (manual.c, built from the
 *     configuration at apply); it holds its SAs, its inside unit (by name),
 *     its outer addresses and the counters that `show services ipsec-vpn
 *     ipsec statistics` lists;
 *   - an SA (struct ipsec_sa) is one direction of ESP or AH: its transform
 *     (lib/crypto/esp.h, ah.h), sequence number or anti-replay window,
 *     selectors, lifetimes and counters; an AH SA of a bundle owns the ESP
 *     SA inside it (ahsa.c).  Every SA is in a hash by (service set, SPI,
 *     direction), inbound ones also by (SPI, local address) for the packet
 *     path (a bundle's by its AH SPI; its ESP SA is in neither); tunnels
 *     are in a hash by (service set, index) (sa.c, ptab.h): no lookup
 *     walks a list;
 *   - a dynamic rule (struct dyn_rule) is kmd's implicit rule of a tunnel:
 *     from its inside unit, selectors, matched after the static rules in
 *     installation order, found through an index by inside unit and
 *     remote prefix (dynrule.c);
 *   - pool reservations (kmdreq.c) and the fragments waiting for
 *     reassembly (reasm.c) hang off struct ipsec.
 *
 * Who calls what: svc_input() (svc.c) picks the tunnel of a packet routed
 * to a services unit and hands it to esp_output() (espout.c); local.c
 * hands ESP to a local gateway to esp_input() (espin.c) and AH to
 * ah_input() (ahin.c) after reassembly (reasm.c); kmdreq.c installs and
 * removes kmd's state over fwdd.sock; manual.c reconciles the manual
 * tunnels with each applied configuration; show_ipsec.c lists and clears
 * the counters.
 */
#ifndef FWDD_IPSEC_H
#define FWDD_IPSEC_H

#include "crypto/esp.h"
#include "fwdd.h"
#include "fwdipc.h"
#include "ptab.h"

struct ah_xform;
struct esp_xform;
struct ss_rt;
struct tunnel;

#define REPLAY_MAX 4096 /* anti-replay-window-size upper bound (schema) */

/* Traffic selectors as seen outbound: src is the local side, dst the
 * remote side.  No prefix in a list means any address. */
struct sa_sel {
    struct addr *src, *dst;
    size_t nsrc, ndst;
    uint8_t proto;         /* 0 = any */
    uint16_t sport, dport; /* 0 = any */
};

/* Counters of one SA (FWD_SA_STATS) or one tunnel (show statistics). */
struct sa_counters {
    uint64_t enc_bytes, enc_packets, dec_bytes, dec_packets;
    uint64_t auth_failures, replay_errors, decrypt_failures, bad_headers, bad_trailers;
    /* a tunnel's AH traffic (an SA's own is in enc_ and dec_) */
    uint64_t ah_out_bytes, ah_out_packets, ah_in_bytes, ah_in_packets, ah_auth_failures;
};

/* The route toward an SA's remote gateway, kept while the generation and
 * the route tables do not change (espout.c). */
struct sa_route {
    uint64_t gen, changes; /* gen->serial, rtable_changes; gen 0: not computed */
    struct unit *out;      /* NULL: send through ip4_send() (local, services unit) */
    uint32_t nh;           /* next hop (host order) */
    unsigned mtu;          /* tunnel MTU; 0: no route */
};

/* Ordered by use: the packet path's fields first (with 10,000 tunnels
 * every line it reads is a cache miss), lifetimes' clock fields last. */
struct ipsec_sa {
    struct tunnel *tun;
    struct ipsec_sa *tnext; /* the tunnel's SAs, newest first */
    uint32_t spi;           /* host order */
    uint8_t dir;            /* FWD_DIR_IN, FWD_DIR_OUT */
    uint8_t encap;
    uint8_t cipher, auth;  /* fwd_cipher, fwd_auth */
    uint16_t sport, dport; /* UDP encapsulation: ours, the peer's */
    uint32_t seq;          /* outbound: last sequence number sent */
    int inflight;          /* packets with its PIC's worker (pic.h) */
    uint16_t dead;         /* deleted: freed when inflight drops to 0 */
    uint16_t xf_lines;     /* cache lines of xf's (or ah's) block (sa_prefetch) */
    struct esp_xform *xf;  /* ESP (NULL for AH) */
    struct ah_xform *ah;   /* AH (ahsa.c) */
    struct ipsec_sa *esp;  /* AH of a bundle: the ESP SA inside (owned; not hashed, not in
                              the tunnel's list; no lifetimes of its own) */
    size_t iv_len, icv_len, block;
    struct addr local, remote; /* outer addresses */
    uint16_t tunnel_mtu;
    uint8_t clear_df;
    uint8_t proto;          /* FWD_PROTO_ESP or FWD_PROTO_AH */
    int replay;             /* inbound: anti-replay window in use */
    uint32_t win_bits, top; /* window size, highest sequence number seen */
    uint64_t *win;          /* win_bits / 64 words: win1, or allocated */
    uint64_t win1;          /* the default 64-bit window, in the SA's cache lines */
    struct sa_counters st;
    uint64_t soft_bytes, hard_bytes;
    unsigned fired;        /* lifetime events sent (1 << enum fwd_event) */
    struct sa_route route; /* outbound */
    struct sa_sel sel;
    struct addr sel1[2]; /* sel's storage when it has one prefix a side (kmd's SAs) */
    uint32_t soft_seconds, hard_seconds;
    int64_t installed; /* ipsec_clock() when added */
};

struct picw;

/* What the packet path reads comes first (two cache lines with 10,000
 * tunnels cold in memory); the names and the manual term's state after.
 * TUNNEL_HOT: the bytes burst.c prefetches. */
#define TUNNEL_HOT 192
struct tunnel {
    struct ss_rt *rt;
    struct picw *w; /* the PIC that owns it (pic.h), for its life */
    uint32_t index;
    int manual; /* a static term's manual SAs */
    struct ipsec_sa *sas;
    struct ipsec_sa *out;  /* the newest outbound SA in sas (tunnel_out_cache) */
    struct unit *inside_u; /* inside's unit in generation inside_gen (espin.c) */
    uint64_t inside_gen;
    struct sa_counters st; /* shown and cleared by show_ipsec.c */
    struct addr local, remote;
    char *rule, *term;            /* manual: the static term's names (NULL for kmd's) */
    char inside[FWD_UNITNAMELEN]; /* ipsec-inside-interface */
    struct fwd_sa *spec;          /* manual: what the SAs were built from (wiped) */
    size_t nspec;
    struct sa_sel msel; /* manual: the term's selectors */
    int seen;           /* manual_sync's mark */
    struct tunnel *next;
};

struct dyn_rule {    /* the fields a packet reads first */
    uint64_t key;    /* in the index (dynrule.c) */
    uint64_t order;  /* installation order */
    struct addr dst; /* storage of sel's single prefixes */
    uint32_t tunnel;
    struct tunnel *tun; /* tunnel_find's answer while tunnel_epoch is tun_epoch */
    uint64_t tun_epoch;
    struct sa_sel sel;
    struct addr src;
    char inside[FWD_UNITNAMELEN];
    struct dyn_rule *next, *prev;
};

struct pool_res {
    char ss[64], pool[FWD_NAME_LEN], unit[FWD_UNITNAMELEN];
    uint32_t tunnel;
    struct pool_res *next, *prev;
};

struct reasm;

/* Process-wide IPsec state (fw->ipsec, made on first use). */
struct ipsec {
    struct ptab sa_in;      /* inbound SAs by (SPI, local address) */
    struct ptab sa_all;     /* every SA by (service set, SPI, direction) */
    struct ptab tunnels;    /* by (service set, index, manual) */
    struct pool_res *pools; /* pool unit reservations (kmdreq.c), also indexed: */
    struct ptab pool_tun;   /* by (service set, tunnel) */
    struct ptab pool_unit;  /* by unit name */
    struct reasm *reasm;
    uint32_t next_manual; /* tunnel indexes of manual tunnels */
    int depth;            /* nested encapsulations in progress */
};

struct ipsec *ipsec_get(struct fwdd *fw);
void ipsec_free(struct fwdd *fw);

/* The clock of SA lifetimes and reassembly timeouts (monotonic seconds
 * and milliseconds); tests replace it. */
int64_t ipsec_clock_ms(void);
void ipsec_clock_set(int64_t (*ms)(void));

/* --- sa.c ---------------------------------------------------------------- */

/* Check an SA request (lengths, algorithms, addresses): FWD_OK or the
 * status to answer, with a reason in msg. */
int sa_check(const struct fwd_sa *s, char *msg, size_t msglen);
/* The cipher and integrity algorithm of a request: 1 if the key length
 * fits, 0 if not, -1 if unknown (*gcm for AES-GCM). */
int sa_cipher_of(const struct fwd_sa *s, enum crypto_cipher *c, int *gcm);
int sa_integ_of(const struct fwd_sa *s, enum esp_integ *i);
/* What an SA is to kmd: FWD_PROTO_ESP, FWD_PROTO_AH or FWD_PROTO_BUNDLE. */
static inline uint8_t sa_proto(const struct ipsec_sa *sa)
{
    return sa->esp ? FWD_PROTO_BUNDLE : sa->proto;
}
/* Build an SA from a checked request and add it to tunnel t (and the SPI
 * hash when inbound).  NULL if the transform cannot be made (msg says why). */
struct ipsec_sa *sa_add(struct fwdd *fw, struct tunnel *t, const struct fwd_sa *s,
                        const struct sa_sel *sel, char *msg, size_t msglen);
/* Unlink and free sa (once its packets are back from its PIC's worker). */
void sa_del(struct fwdd *fw, struct ipsec_sa *sa);
void sa_free(struct ipsec_sa *sa);
/* The SA of rt with this SPI (host order) and direction, or NULL. */
struct ipsec_sa *sa_find(struct fwdd *fw, struct ss_rt *rt, uint32_t spi, uint8_t dir);
/* For a burst (burst.c): prefetch what sa_lookup_in(spi, dst) reads:
 * level 0 the index slot, 1 the SAs there, 2 their tunnels and
 * transforms. */
void sa_in_prefetch(struct fwdd *fw, uint32_t spi, uint32_t dst, int level);
/* The inbound SA for an ESP packet with this SPI to local gateway dst
 * (host order) in instance inst, or NULL. */
struct ipsec_sa *sa_lookup_in(struct fwdd *fw, uint32_t spi, const struct instance *inst,
                              uint32_t dst);
/* Start loading sa's transform (ESP's, else AH's: its HMAC states and
 * key, one block) while the packet is checked and copied into its job:
 * with 10,000 tunnels it is cold in memory (docs/bench-esp.md).  Only
 * where the job runs in this thread: a PIC worker thread does the
 * cryptography on another CPU, whose cache this would not fill. */
static inline void sa_prefetch(const struct fwdd *fw, const struct ipsec_sa *sa)
{
    if (!fw->pic_threads)
        prefetch_obj(sa->xf ? (const void *)sa->xf : (const void *)sa->ah,
                     64 * (size_t)sa->xf_lines);
}
/* The outbound SA a tunnel encapsulates with (the newest), or NULL. */
static inline struct ipsec_sa *tunnel_out_sa(const struct tunnel *t)
{
    return t->out;
}
/* Anti-replay (RFC 4303 3.4.3): 0 if seq may be accepted; update after
 * the ICV was verified. */
int sa_replay_check(const struct ipsec_sa *sa, uint32_t seq);
void sa_replay_update(struct ipsec_sa *sa, uint32_t seq);
/* Account bytes of one packet (FWD_SA_EVENT when a byte lifetime runs out). */
void sa_count(struct fwdd *fw, struct ipsec_sa *sa, size_t bytes);
void sa_counters_fill(const struct ipsec_sa *sa, struct fwd_sa_counters *c);
/* Once a second: time lifetimes. */
void sa_tick(struct fwdd *fw);

struct tunnel *tunnel_find(struct fwdd *fw, struct ss_rt *rt, uint32_t index, int manual);
/* Moves whenever a tunnel is made or freed: pointers to tunnels kept
 * beside it (struct dyn_rule) are good while it has not moved. */
extern uint64_t tunnel_epoch;
/* SAs freed so far (burst.c: a pointer to an SA kept across frames is
 * good while it has not moved). */
extern uint64_t sa_frees;
/* The dynamic tunnel with this index, made if needed. */
struct tunnel *tunnel_get(struct fwdd *fw, struct ss_rt *rt, uint32_t index);
/* Index a tunnel that manual.c made (tunnel_get does it for kmd's). */
void tunnel_link(struct fwdd *fw, struct tunnel *t);
/* Free t and its SAs; kmd hears FWD_SA_GONE for each when gone is set. */
void tunnel_free(struct fwdd *fw, struct tunnel *t, int gone);
/* Free a dynamic tunnel that no longer holds an SA or a rule. */
void tunnel_release_if_empty(struct fwdd *fw, struct tunnel *t);

void sel_free(struct sa_sel *s);
/* 1 if an inner packet (IPv4 or IPv6) from src to dst matches s as seen
 * outbound (reverse: as seen inbound, src and dst swapped). */
int sel_match(const struct sa_sel *s, const uint8_t *ip, size_t len, int reverse);

/* Everything kmd installed (kmd disconnected or said HELLO again). */
void ipsec_flush_dynamic(struct fwdd *fw);
/* After apply: SAs, rules and reservations whose unit left the
 * configuration are dropped (FWD_SA_GONE). */
void ipsec_gc_units(struct fwdd *fw);

/* --- dynrule.c: kmd's dynamic rules of a service set ------------------- */

struct ss_rt;
struct unit;
/* Append r (filled: inside, tunnel, sel) in installation order. */
void dynrule_add(struct ss_rt *rt, struct dyn_rule *r);
/* Unlink and free r. */
void dynrule_del(struct ss_rt *rt, struct dyn_rule *r);
void dynrule_flush(struct ss_rt *rt);
struct dyn_rule *dynrule_of_tunnel(const struct ss_rt *rt, uint32_t tunnel);
/* The first rule in installation order that a packet routed to unit u
 * matches, or NULL. */
/* For a burst (burst.c): prefetch the index slots an IPv4 packet to d4
 * (host order) routed to u probes, or (rules) the rules they hold. */
void dynrule_prefetch(const struct ss_rt *rt, const struct unit *u, uint32_t d4, int rules);
/* A rule the packet probably matches (the first under its longest
 * prefix; not checked), for prefetching; NULL if none. */
struct dyn_rule *dynrule_peek(const struct ss_rt *rt, const struct unit *u, uint32_t d4);
struct dyn_rule *dynrule_match(const struct ss_rt *rt, const struct unit *u, const uint8_t *ip,
                               size_t len);

/* --- ahsa.c / ahout.c / ahin.c: AH (RFC 4302) and AH+ESP bundles ---------- */

/* The checks of sa_check() for FWD_PROTO_AH and FWD_PROTO_BUNDLE requests
 * (transforms, no UDP encapsulation, the bundle's ESP SPI). */
int ah_sa_check(const struct fwd_sa *s, char *msg, size_t msglen);
/* Make sa (filled by sa_add from a checked AH or bundle request) an AH SA,
 * with its ESP SA inside for a bundle; -1 with msg if a transform fails. */
int ah_sa_init(struct ipsec_sa *sa, const struct fwd_sa *s, char *msg, size_t msglen);
void ah_sa_free(struct ipsec_sa *sa);
/* Bytes held for sa's AH transform and its bundle's ESP SA (the summary). */
size_t ah_sa_size(const struct ipsec_sa *sa);
/* Bytes an AH SA puts between the outer IPv4 header and what it protects
 * (0 for an ESP SA). */
size_t ah_overhead(const struct ipsec_sa *sa);
/* Worker thread: write the AH header (sequence number seq, next header nh)
 * and ICV of AH SA sa into the complete outer packet ip (len bytes,
 * protocol 51, the AH space after its header).  ESP_OK or an esp_status.
 * The caller checked that the sequence numbers are not exhausted. */
int ah_output(const struct ipsec_sa *sa, uint32_t seq, uint8_t *ip, size_t len, uint8_t nh);
/* AH (protocol 51) in packet ip (len bytes) to a local gateway of inst. */
void ah_input(struct fwdd *fw, struct instance *inst, uint8_t *ip, size_t len);

/* --- manual.c ------------------------------------------------------------ */

struct ss_term;
struct service_set;
struct cnode;
/* Read a term's `then` options and `manual` SAs (svc.c, at prepare). */
void manual_read(struct ss_term *t, const char *rule, const struct cnode *then);
void manual_term_free(struct ss_term *t);
/* After apply: manual tunnels follow the configuration (unchanged ones
 * keep their counters, sequence numbers and windows). */
void manual_sync(struct fwdd *fw);

/* --- espout.c / espin.c -------------------------------------------------- */

/* Encapsulate a packet that entered service set tunnel t from unit u
 * (in: where it arrived, NULL if fwdd sent it). */
void esp_output(struct fwdd *fw, struct unit *in, struct unit *u, struct tunnel *t, uint8_t *ip,
                size_t len);
/* ESP (esp points at the SPI, esplen bytes) in a packet ip to local gateway
 * dst of instance inst; udp when it came in UDP (RFC 3948). */
void esp_input(struct fwdd *fw, struct instance *inst, uint8_t *ip, uint8_t *esp, size_t esplen,
               int udp);
/* Check 2 of espin.c: esplen bytes of ESP can be sa's, raw or in UDP as it
 * says (1), or not (0). */
int esp_hdr_ok(const struct ipsec_sa *sa, size_t esplen, int udp);
/* Worker thread: the anti-replay check, esp_open and the window's move for
 * ESP packet esp (len bytes) of inbound ESP SA sa: ESP_OK with the payload
 * at esp + *off, or PJ_REPLAY or an esp_status (pic.h). */
int esp_open_sa(struct ipsec_sa *sa, uint8_t *esp, size_t len, size_t *off, size_t *plen,
                uint8_t *nh);
/* Main thread: count what esp_open_sa (or a check before it: PJ_HDR)
 * answered for sa, or deliver the inner packet at p (plen bytes, next
 * header nh). */
void esp_opened(struct fwdd *fw, struct ipsec_sa *sa, int status, uint8_t *p, size_t plen,
                uint8_t nh);
/* A decapsulated inner packet (IPv4 or IPv6 as nh says, plen bytes at p)
 * of inbound SA sa: its length checked, counted, checked against the SA's
 * selectors, routed from the tunnel's inside unit; 0, or -1 when it is
 * not a valid packet (the caller counts a bad trailer). */
int ipsec_deliver(struct fwdd *fw, struct ipsec_sa *sa, uint8_t *p, size_t plen, uint8_t nh);

/* --- reasm.c ------------------------------------------------------------- */

#define REASM_MEM_MAX (4u << 20) /* bytes of fragments held at once */
#define REASM_TIMEOUT_MS 30000

/* A fragment addressed to the appliance: kept until its datagram is whole,
 * which then goes to local4_input().  */
void reasm_input(struct fwdd *fw, struct unit *in, struct instance *inst, const uint8_t *ip,
                 size_t len);
void reasm_tick(struct fwdd *fw);
void reasm_free(struct fwdd *fw);
size_t reasm_held(const struct fwdd *fw); /* bytes held (tests) */

/* --- kmdreq.c ------------------------------------------------------------ */

/* Answer one kmd request (type, payload p of len bytes): the status, a
 * reason in msg, and data after struct fwd_reply in extra (*extralen). */
int kmdreq_handle(struct fwdd *fw, uint16_t type, const uint8_t *p, size_t len, char *msg,
                  size_t msglen, void *extra, size_t *extralen);
void pool_flush(struct fwdd *fw);
/* Drop reservation r (its unit left the configuration: sa.c). */
void pool_res_del(struct fwdd *fw, struct pool_res *r);

#endif
