/*
 * ike.h: kmd's internal state and the functions the exchange files share.
 *
 * struct kmd holds the configuration, the IKE SAs (struct ike_sa, one per
 * main mode, bound to a service set at MM1) and the tunnels (struct
 * tunnel, one per phase-2 SA pair, created at QM1, with the fwdd state it
 * owns).  A quick-mode exchange in progress is a struct qm under its IKE
 * SA.  Who does what:
 *
 *   input.c         datagram in: header, IKEv2 refusal, SA lookup,
 *                   retransmissions, decryption, dispatch by exchange
 *   crypt.c         phase-1/phase-2 encryption, IV chains, sending
 *   ikesa.c         IKE SA table, service-set binding, key lookup, expiry
 *   proposal.c      phase-1 and ESP proposal selection
 *   main_mode.c     MM1..MM6            quick_mode.c  QM1..QM3
 *   informational.c notify, DELETE      dpd.c         R-U-THERE
 *   natd.c          NAT-D hashes        tunnel.c      fwdd state of tunnels
 *   reconf.c        configuration swap  show.c        operational RPCs
 *   keylog.c        the opt-in key log
 *
 * The exchanges read parsed messages (kmd/msg.h) only, never raw bytes.
 */
#ifndef OPENSG_KMD_IKE_H
#define OPENSG_KMD_IKE_H

#include "index.h"
#include "kmd.h"
#include "msg.h"

#include "crypto/cipher.h"
#include "crypto/dh.h"
#include "crypto/prf.h"
#include "log.h"

#include <stdio.h>
#include <string.h>
#include <syslog.h>

/* The log tap (kmd_trace_log, trace.c): every log_info/log_debug/
 * log_warnx line of the files that include this header goes to lib/log as
 * before, to the trace file (traceoptions, or the default ROOT/log/kmd)
 * and past the failure recorder (failures.c), which reads the tunnel
 * refusals of quick_mode.c and tunnel.c from it.  trace.c calls the real
 * functions as (log_info)(...). */
#define log_info(...) kmd_trace_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) kmd_trace_log(LOG_DEBUG, __VA_ARGS__)
#define log_warnx(...) kmd_trace_log(LOG_WARNING, __VA_ARGS__)

#define KMD_PKT_MAX 4096  /* the largest message kmd builds */
#define KMD_NONCE_LEN 32  /* our nonces (both peers send 32) */
#define KMD_MAX_XATTRS 16 /* attributes kept to echo a transform */
#define KMD_ID_STR 300    /* a formatted identity */
#define KMD_QM_KEEP 60    /* seconds a finished quick mode answers retransmissions */
#define KMD_DEFAULT_P1_LIFE 3600
#define KMD_DEFAULT_P2_LIFE 28800
#define KMD_SEEN_IDS 32     /* authenticated message IDs remembered per IKE SA */
#define KMD_FAIL_MAX 64     /* negotiation failures kept (failures.c) */
#define KMD_FAIL_PER_PEER 8 /* of them for one peer address */

/* A copy of a datagram (the response cache: what is sent again). */
struct kmd_pkt {
    uint8_t *p;
    size_t len;
};
void pkt_set(struct kmd_pkt *k, const uint8_t *p, size_t len);
void pkt_clear(struct kmd_pkt *k);

/* What identifies the last request received, to recognise its
 * retransmission: its length and the first 12 bytes of its SHA-256 (a
 * match only ever sends the cached response again). */
struct kmd_digest {
    uint32_t len; /* 0: none */
    uint8_t d[12];
};
void digest_set(struct kmd_digest *g, const uint8_t *p, size_t len);
bool digest_equal(const struct kmd_digest *g, const uint8_t *p, size_t len);

/* Where an IKE SA's or a tunnel's datagrams go: src is the peer, dst us,
 * as last received; instance and ingress are atoms (index.h). */
struct kmd_path {
    const char *instance; /* routing instance, "" = default */
    const char *ingress;  /* logical interface it arrived on */
    struct fwd_addr src, dst;
    uint16_t sport, dport;
};

/* One attribute of a chosen transform, kept to echo it (RFC 2409 5: the
 * responder returns the transform it accepted, unchanged). */
struct kmd_attr {
    uint16_t type;
    bool tv;
    uint8_t len; /* TLV length, <= 8 */
    uint16_t value;
    uint8_t data[8];
};

/* The phase-1 transform chosen from MM1. */
struct p1_choice {
    uint8_t prop_num, xform_num;
    unsigned nattrs;
    struct kmd_attr attrs[KMD_MAX_XATTRS];
    uint16_t enc_id, hash_id, group_id;
    unsigned keylen; /* bits, 0 when the cipher has a fixed key */
    enum crypto_cipher cipher;
    enum crypto_hash hash;
    const struct dh_group *group;
    uint32_t life;     /* seconds offered, 0 = none */
    uint32_t lifetime; /* what kmd keeps: min(offered, configured) */
};

/* What an IKE SA keeps of its phase-1 transform (the echo of MM2 is
 * built from the p1_choice and forgotten). */
struct p1_sa {
    enum crypto_cipher cipher;
    enum crypto_hash hash;
    const struct dh_group *group;
    uint16_t group_id;
    uint32_t lifetime;
};

/* One protocol of the phase-2 SA chosen from QM1 (RFC 2408 4.2: the
 * protocols of one proposal number are ANDed), echoed in QM2 with its
 * numbers and attributes unchanged. */
struct p2_proto {
    uint8_t proto; /* ISAKMP_PROTO_IPSEC_ESP or _AH */
    uint8_t prop_num, xform_num, id;
    uint8_t peer_spi[4];
    unsigned nattrs;
    struct kmd_attr attrs[KMD_MAX_XATTRS];
};

/* The phase-2 SA chosen from QM1: ESP, AH, or an AH+ESP bundle (Junos
 * `protocol bundle`: AH's integrity, ESP's cipher without an integrity
 * algorithm of its own unless it is AES-GCM).  cipher, fwd_cipher and
 * ekey_len are ESP's; aalg, fwd_auth and akey_len are ESP's integrity
 * (ESP alone) or AH's (AH, bundle). */
struct p2_choice {
    uint8_t fwd_proto; /* FWD_PROTO_ESP, _AH or _BUNDLE */
    unsigned nprotos;  /* 1, or 2 for a bundle (in the peer's order) */
    struct p2_proto p[2];
    enum crypto_cipher cipher;
    unsigned keylen; /* bits */
    uint16_t aalg;   /* ISAKMP_AALG_* */
    uint8_t fwd_cipher, fwd_auth;
    size_t ekey_len, akey_len;
    uint16_t encap; /* ISAKMP_ENCAP_TUNNEL or _UDP_TUNNEL */
    const struct dh_group *pfs;
    uint32_t peer_life; /* seconds offered (0 = none) */
    uint64_t peer_kb;
    uint32_t lifetime;                /* seconds kmd keeps */
    bool responder_lifetime;          /* QM2 carries RESPONDER-LIFETIME */
    const char *enc_name, *auth_name; /* Junos words, for show ("none" for AH's cipher) */
};

/* What a tunnel keeps of its phase-2 choice (the echo of QM2 lives in
 * the quick mode until QM2 is built). */
struct p2_sa {
    uint8_t fwd_proto; /* FWD_PROTO_ESP, _AH or _BUNDLE */
    uint8_t nprotos;
    uint8_t proto[2];    /* the protocols in the peer's order */
    uint8_t peer_spi[4]; /* of proto[0], for refusal notifies */
    uint8_t fwd_cipher, fwd_auth;
    uint8_t ekey_len, akey_len;
    bool responder_lifetime;
    uint16_t aalg, encap;
    enum crypto_cipher cipher;
    unsigned keylen;
    const struct dh_group *pfs;
    uint32_t peer_life, lifetime;
    uint64_t peer_kb;
    const char *enc_name, *auth_name;
};
void p2_sa_of(const struct p2_choice *c, struct p2_sa *s);

/* The words of a choice for logs and show: "esp", "ah", "bundle". */
const char *p2_proto_word(uint8_t fwd_proto);

enum ike_state {
    IKE_MM2_SENT, /* waiting for MM3 */
    IKE_MM4_SENT, /* waiting for MM5 */
    IKE_UP,       /* MM6 sent */
};

enum qm_state {
    QM_WAIT_POOL,  /* FWD_POOL_RESERVE sent */
    QM_WAIT_SA_IN, /* inbound FWD_SA_ADD sent; QM2 goes out on its reply */
    QM_QM2_SENT,   /* waiting for QM3 */
    QM_DONE,       /* kept a while for retransmitted QM1s */
};

/* A quick mode while it negotiates (QM1 to QM3): freed when it is done. */
struct qm_nego {
    uint8_t iv[CRYPTO_MAX_BLOCK];
    struct kmd_pkt last_out; /* QM2 */
    uint8_t ni[ISAKMP_NONCE_MAX], nr[KMD_NONCE_LEN];
    size_t ni_len, nr_len;
    uint8_t *idci, *idcr; /* ID payload bodies as received, NULL when absent */
    size_t idci_len, idcr_len;
    struct dh_keypair *dh; /* PFS */
    struct crypto_secret *gqm;
    struct p2_choice c; /* what QM2 echoes */
};

struct qm {
    struct qm *next;
    uint32_t msgid;
    enum qm_state state;
    time_t started;
    uint32_t tunnel;           /* index of the tunnel it builds */
    uint8_t proto;             /* protocol of QM1's first proposal (refusal notifies), 0 = ESP */
    struct kmd_digest last_in; /* QM1, then QM3 */
    struct qm_nego *neg;       /* NULL once QM_DONE */
};

/* Main mode in progress (MM1 to MM6): freed when the SA is up. */
struct ike_nego {
    struct crypto_secret *psk;
    char psk_from[KMD_NAME + 32]; /* where the key came from, for logs */
    uint8_t *sai_b;
    size_t sai_len;
    uint8_t *gxi, *gxr;
    size_t glen;
    uint8_t ni[ISAKMP_NONCE_MAX], nr[KMD_NONCE_LEN];
    size_t ni_len, nr_len;
    struct ikev1_keys keys;
    uint8_t iv[CRYPTO_MAX_BLOCK]; /* phase-1 IV chain */
};

/* An IKE SA.  Once up it keeps what quick modes, informationals, DPD,
 * show and a retransmitted MM5 need, no more: SKEYID_d, SKEYID_a and Ka
 * (skey, sized for the negotiated hash and cipher; the CBC context is made
 * per message), the last phase-1 block, MM6 until the peer shows it has it
 * (its first authenticated phase-2 message). */
struct ike_sa {
    struct ike_sa *next, *prev;       /* k->sas */
    struct ike_sa *ho_next, *ho_prev; /* k->halfopen, while in main mode (not IKE_UP) */
    uint32_t serial;
    enum ike_state state;
    uint8_t icky[ISAKMP_COOKIE_LEN], rcky[ISAKMP_COOKIE_LEN];
    /* where it is bound (MM1) */
    const char *ss_name; /* atom; "" until bound */
    const struct kmd_service_set *ss;
    bool static_peer;
    bool natt, dpd;           /* RFC 3947 / RFC 3706 negotiated */
    bool nat_peer, nat_local; /* NAT-D verdicts */
    bool initial_contact;
    uint8_t id_type;
    struct kmd_path path; /* as last received: src = peer, dst = us */
    uint64_t mm1_key;     /* its key in k->sa_mm1 */
    struct ike_nego *neg; /* NULL once up */
    struct p1_sa c;
    uint8_t *skey;                     /* SKEYID_d | SKEYID_a | Ka, from MM3 */
    uint8_t p1_last[CRYPTO_MAX_BLOCK]; /* last CBC block of phase 1 */
    kident *id;                        /* MM5; NULL before */
    /* retransmissions of main mode */
    struct kmd_digest last_in;
    struct kmd_pkt last_out;
    time_t created, up_at, expires;
    struct qm *qms;
    /* statistics for show */
    uint64_t in_bytes, out_bytes, in_pkts, out_pkts;
    unsigned p2_created, p2_deleted, p2_rekeys;
    unsigned del_rx, del_tx, dpd_rx, dpd_tx, dpd_ack_rx, invspi_rx, invspi_tx;
    /* message IDs of authenticated quick modes and informationals (the
     * last KMD_SEEN_IDS, a ring grown as needed): a message under one of
     * them again (after its QM was forgotten) is a replay */
    uint32_t *seen_ids;
    unsigned nseen, seen_cap;
};

static inline const char *ike_id(const struct ike_sa *sa)
{
    return sa->id ? sa->id->s : "";
}
static inline size_t ike_hlen(const struct ike_sa *sa) /* SKEYID_* and HASH length */
{
    return crypto_hash_len(sa->c.hash);
}
static inline size_t ike_bs(const struct ike_sa *sa) /* cipher block */
{
    return crypto_cipher_block_len(sa->c.cipher);
}
/* The phase-2 keys of an established SA as lib/crypto takes them (SKEYID_d,
 * SKEYID_a, Ka); wipe with ikev1_keys_wipe after use.  -1 without keys. */
int ike_keys(const struct ike_sa *sa, struct ikev1_keys *out);
/* MM3: keeps SKEYID_d, SKEYID_a and Ka of keys. */
void ike_keep_keys(struct ike_sa *sa, const struct ikev1_keys *keys);
/* The peer sent an authenticated phase-2 message: it has MM6, whose
 * cache goes. */
void ike_p1_confirmed(struct ike_sa *sa);
/* MM6 sent: what main mode needed goes. */
void ike_nego_done(struct ike_sa *sa);
/* sa's path becomes d's (index by MM1 key kept in step). */
void ike_set_path(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d);

/* What fwdd holds for a tunnel. */
enum {
    T_POOL = 1,
    T_SA_IN = 2,
    T_SA_OUT = 4,
    T_RULE = 8,
    T_ROUTE = 16,
};

struct tunnel {
    struct tunnel *next;
    uint32_t index;
    bool up;          /* QM3 done */
    bool dying;       /* torn down, waiting for nothing: freed at once */
    bool static_peer; /* of a static rule term: no pool, rule or route */
    bool udp_encap;
    struct ike_sa *ike; /* NULL once its IKE SA is gone */
    uint32_t ike_serial;
    /* atoms ("" when none) */
    const char *ss_name, *profile, *pool;
    const char *rule, *term; /* a static peer's term */
    const char *unit;        /* reserved pool unit (static: the inside unit) */
    const char *instance;    /* VRF of the reverse route, "" = inet.0 */
    struct kmd_path path;    /* peer and local endpoints */
    struct kmd_prefix lproxy, rproxy;
    uint8_t proto;
    uint8_t lid_type, rid_type;
    uint16_t lport, rport;
    kident *peer_id;
    uint32_t spi_in, spi_out; /* host order: ESP's, or AH's for AH and bundles */
    uint32_t aux_in, aux_out; /* a bundle's ESP SPIs, else 0 */
    struct p2_sa c;
    time_t created, expires;
    unsigned held;     /* T_* */
    uint32_t replaces; /* tunnel to tear down when this one is up */
    uint8_t keys[];    /* ekey_in, akey_in, ekey_out, akey_out (c's lengths) */
};

static inline uint8_t *tunnel_ekey(const struct tunnel *t, bool in)
{
    return (uint8_t *)t->keys + (in ? 0 : t->c.ekey_len + t->c.akey_len);
}
static inline uint8_t *tunnel_akey(const struct tunnel *t, bool in)
{
    return tunnel_ekey(t, in) + t->c.ekey_len;
}
static inline const char *tunnel_id(const struct tunnel *t)
{
    return t->peer_id ? t->peer_id->s : "";
}

/* One negotiation failure (failures.c, `show ... ike negotiation-failures`). */
struct kmd_failure {
    uint64_t seq; /* 0: empty slot */
    uint64_t gen; /* kmd->gen when recorded (a notify sent in the same step joins it) */
    time_t wall, mono;
    struct fwd_addr peer, local;
    uint16_t pport, lport;
    char instance[FWD_NAME_LEN];
    char exch[16]; /* MM1 .. QM3, IKE_SA_INIT */
    char ss[KMD_NAME], profile[KMD_NAME];
    char id[KMD_ID_STR];
    uint16_t notify; /* error notify sent to the peer, 0 = none */
    char reason[512];
};

struct kmd {
    const struct kmd_io *io;
    void *io_arg;
    struct kmd_config *cfg, *pending;
    struct ike_sa *sas;
    struct ike_sa *halfopen; /* the IKE SAs of sas still in main mode */
    unsigned nhalfopen;
    struct tunnel *tunnels;
    /* indexes (index.h) */
    struct kidx sa_ck;               /* IKE SAs by cookie pair */
    struct kidx sa_mm1;              /* by initiator cookie, peer address and instance */
    struct kidx sa_id;               /* by identity (kident pointer) */
    struct kidx t_index;             /* tunnels by index */
    struct kidx t_spi_in, t_spi_out; /* by SPI (a bundle: both of its SPIs) */
    struct kidx t_id;                /* by identity */
    struct kstrtab atoms, idents;
    uint32_t next_tunnel, next_serial;
    struct kmd_counters cnt;
    struct kmd_limits lim;
    FILE *keylog;
    bool fwd_up;
    time_t rl_second;
    unsigned rl_count;
    /* what is being handled (input.c): the failure recorder's context */
    uint64_t gen;            /* bumped by kmd_input and kmd_tick */
    const char *ctx_exch;    /* the exchange step of the datagram handled (MM3, QM1, ...) */
    uint16_t notify_pending; /* error notify sent before its failure was recorded */
    struct fwd_addr notify_peer;
    uint64_t notify_gen;
    struct kmd_failure fail[KMD_FAIL_MAX];
    uint64_t fail_seq;
    struct msg m;               /* scratch: ~40 KB */
    uint8_t plain[FWD_PKT_MAX]; /* decrypted bodies */
};

static inline time_t kmd_now(struct kmd *k)
{
    return k->io->now(k->io_arg);
}

/* Routing instances: "" and "default" are the master instance. */
static inline bool inst_eq(const char *a, const char *b)
{
    if (strcmp(a, "default") == 0)
        a = "";
    if (strcmp(b, "default") == 0)
        b = "";
    return strcmp(a, b) == 0;
}

/* Log lines that an unauthenticated sender can trigger: at most 20 a
 * second, the rest only counted. */
bool kmd_log_ok(struct kmd *k);

/* Tags of fwdd requests: tunnel index << 8 | what. */
enum req_kind {
    REQ_POOL = 1,
    REQ_SA_IN,
    REQ_SA_OUT,
    REQ_RULE,
    REQ_ROUTE,
    REQ_DEL,      /* any delete or release: errors only logged */
    REQ_RE_POOL,  /* re-install after fwdd reconnected */
    REQ_RE_SA_IN, /* the inbound SA, re-installed */
};
static inline uint64_t req_tag(uint32_t tunnel, enum req_kind kind)
{
    return (uint64_t)tunnel << 8 | kind;
}

/* ---- failures.c ---- */
/* Records a failure of the negotiation with sa's peer (or, sa NULL, with
 * the sender of d) at step exch; the reason is printf-formatted. */
void fail_record(struct kmd *k, const struct ike_sa *sa, const struct fwd_dgram *d,
                 const char *exch, const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* informational.c: an error notify went to peer (joins its failure). */
void fail_notify(struct kmd *k, const struct fwd_addr *peer, uint16_t type);
/* quick_mode.c: a QM1 refused before its tunnel exists (the reason as
 * logged after "refused: "; what kmd accepts is added). */
void fail_qm(struct kmd *k, const struct ike_sa *sa, const char *why);
/* tunnel.c: tunnel t refused before it was up, at QM1 or QM3. */
void fail_tunnel(struct kmd *k, const struct tunnel *t, const char *why);
/* "no acceptable proposal: offered X, accepted Y (ike-policy P)" from
 * p1_choose's reason, for an MM1 refusal under pol. */
void fail_p1_reason(const struct kmd_ike_policy *pol, const char *why, char *out, size_t len);
/* get-ike-negotiation-failures-information [peer-address] */
void fail_show(struct kmd *k, const char *peer, struct buf *b);

/* ---- ikesa.c ---- */
struct ike_sa *ike_find(struct kmd *k, const uint8_t *icky, const uint8_t *rcky);
struct ike_sa *ike_find_mm1(struct kmd *k, const uint8_t *icky, const struct fwd_dgram *d);
struct ike_sa *ike_new(struct kmd *k, const struct fwd_dgram *d, const uint8_t *icky);
/* Frees the SA; its tunnels stay (their ike pointer is cleared). */
void ike_free(struct kmd *k, struct ike_sa *sa);
/* Delete: DELETE(ISAKMP) to the peer when asked and established, log, free. */
void ike_delete(struct kmd *k, struct ike_sa *sa, bool notify_peer, const char *why);
unsigned ike_halfopen(const struct kmd *k);
/* Main mode completed: sa is IKE_UP and no longer half-open. */
void ike_up(struct kmd *k, struct ike_sa *sa);
/* MM1 from d: room for one more half-open SA (the oldest evicted when the
 * total is reached); -1 when d's source already has its share. */
int ike_admit(struct kmd *k, const struct fwd_dgram *d);
/* Message IDs of authenticated messages (replay detection). */
bool ike_seen(const struct ike_sa *sa, uint32_t msgid);
void ike_remember(struct ike_sa *sa, uint32_t msgid);
/* MM1: the service set the datagram's destination belongs to and the key;
 * 0, or -1 with the reason in why. */
int ike_bind(struct kmd *k, struct ike_sa *sa, const char **why);
/* The static rule term of ss whose remote-gateway is a, or NULL. */
const struct kmd_static_peer *ss_static_peer(const struct kmd_service_set *ss,
                                             const struct fwd_addr *a);
/* sa's static rule term (bound to it at MM1), or NULL for a dynamic peer. */
const struct kmd_static_peer *ike_static_peer(const struct ike_sa *sa);
/* The IKE policy that governs sa (static peer's, profile's, or NULL). */
const struct kmd_ike_policy *ike_policy(const struct ike_sa *sa);
void ike_tick(struct kmd *k, time_t now);
const char *ike_peer(const struct ike_sa *sa, char *buf, size_t len); /* "A:port" */
struct qm *qm_find(struct ike_sa *sa, uint32_t msgid);
void qm_free(struct qm *q);
void qm_nego_free(struct qm_nego *n);
/* sa's identity becomes the one formatted as s (MM5). */
void ike_set_id(struct kmd *k, struct ike_sa *sa, const char *s);

/* ---- crypt.c ---- */
/* Decrypts m's body into plain (m->body_len bytes) with iv; *next_iv gets
 * the last ciphertext block.  -1 if the body is not whole blocks. */
int ike_decrypt(struct ike_sa *sa, const uint8_t *iv, const struct msg *m, uint8_t *plain,
                uint8_t *next_iv);
/* Pads, encrypts b's payloads with iv, writes the header (E flag, np,
 * length) into out; iv becomes the last ciphertext block. */
int ike_encrypt(struct ike_sa *sa, uint8_t *iv, uint8_t exch, uint32_t msgid, struct msg_builder *b,
                uint8_t *out, size_t cap, size_t *len);
/* Parses pkt into k->m and decrypts its body with iv (into k->plain);
 * *next_iv gets the last ciphertext block.  -1 with the reason. */
int ike_open(struct kmd *k, struct ike_sa *sa, const uint8_t *iv, const uint8_t *pkt, size_t len,
             uint8_t *next_iv, char *why, size_t whylen);
/* The payloads after a leading HASH payload (quick mode / informational
 * HASH input); -1 if the message does not start with HASH. */
int ike_hash_rest(const struct msg *m, const uint8_t **rest, size_t *len);
/* The datagram header of path (instance, addresses and ports). */
void path_dgram(const struct kmd_path *p, struct fwd_dgram *d);
void path_set(struct kmd *k, struct kmd_path *p, const struct fwd_dgram *d);
/* Sends a datagram to the SA's peer from the port it last used. */
void ike_send(struct kmd *k, struct ike_sa *sa, const uint8_t *pkt, size_t len);
/* Sends to the source of d (no SA: refusals of MM1, IKEv2). */
void kmd_send_reply(struct kmd *k, const struct fwd_dgram *d, const uint8_t *pkt, size_t len);

/* ---- proposal.c ---- */
/* 0 and the choice, or -1 with the reason (for the log). */
int p1_choose(const struct kmd_ike_policy *pol, const struct msg *m, const struct msg_sa *sa,
              struct p1_choice *c, char *why, size_t whylen);
int p2_choose(const struct kmd_ipsec_policy *pol, bool natt, const struct msg *m,
              const struct msg_sa *sa, struct p2_choice *c, char *why, size_t whylen);
void attrs_echo(struct msg_builder *b, const struct kmd_attr *a, unsigned n);

/* ---- main_mode.c ---- */
void mm_input(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, const uint8_t *pkt,
              size_t len);
void mm1_input(struct kmd *k, const struct fwd_dgram *d, const uint8_t *pkt, size_t len);

/* ---- quick_mode.c ---- */
void qm_input(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, const uint8_t *pkt,
              size_t len);
/* fwdd answered the pool reservation / inbound SA of tunnel t's QM. */
void qm_pool_reply(struct kmd *k, struct tunnel *t, uint32_t status, const char *msg,
                   const char *unit);
void qm_sa_in_reply(struct kmd *k, struct tunnel *t, uint32_t status, const char *msg);
void qm_tick(struct kmd *k, struct ike_sa *sa, time_t now);
/* The tunnel of a quick mode in progress went away: the QM stops. */
void qm_forget(struct ike_sa *sa, uint32_t tunnel);

/* ---- informational.c ---- */
void info_input(struct kmd *k, struct ike_sa *sa, const struct fwd_dgram *d, const uint8_t *pkt,
                size_t len);
/* Plaintext informational with one notify (MM1/MM5 refusals, IKEv2). */
void info_send_plain(struct kmd *k, const struct fwd_dgram *d, const uint8_t *icky,
                     const uint8_t *rcky, uint16_t type);
/* Protected informational (HASH(1) + payload) to an established SA's peer. */
void info_send_notify(struct kmd *k, struct ike_sa *sa, uint8_t proto, const uint8_t *spi,
                      uint8_t spi_size, uint16_t type, const uint8_t *data, size_t len);
void info_send_delete(struct kmd *k, struct ike_sa *sa, uint8_t proto, const uint8_t *spis,
                      uint8_t spi_size, uint16_t nspis);

/* ---- dpd.c ---- */
void dpd_input(struct kmd *k, struct ike_sa *sa, const struct msg_notify *n);

/* ---- natd.c ---- */
int natd_hash(const struct ike_sa *sa, const struct fwd_addr *a, uint16_t port, uint8_t *out);
/* MM3: sets sa->nat_peer / nat_local from the peer's NAT-D payloads. */
void natd_check(struct kmd *k, struct ike_sa *sa, const struct msg *m);
/* MM4: our two NAT-D payloads (peer first, then us). */
void natd_build(const struct ike_sa *sa, struct msg_builder *b);

/* ---- tunnel.c ---- */
/* A tunnel of sa with room for the keys of choice c. */
struct tunnel *tunnel_new(struct kmd *k, struct ike_sa *sa, const struct p2_choice *c);
/* The SPIs are set: into the SPI indexes (in: ours, out: the peer's). */
void tunnel_index_spis(struct kmd *k, struct tunnel *t, bool in);
/* Frees t (it must be unlinked from nothing else). */
void tunnel_free(struct kmd *k, struct tunnel *t);
struct tunnel *tunnel_find(struct kmd *k, uint32_t index);
struct tunnel *tunnel_by_spi_out(struct kmd *k, uint32_t spi);
struct tunnel *tunnel_by_spi_in(struct kmd *k, uint32_t spi);
uint32_t tunnel_new_spi(struct kmd *k);
int tunnel_reserve_pool(struct kmd *k, struct tunnel *t);
int tunnel_install_in(struct kmd *k, struct tunnel *t);
/* QM3: outbound SA, dynamic rule, reverse route. */
void tunnel_activate(struct kmd *k, struct tunnel *t);
/* Releases what fwdd holds, DELETE to the peer if asked and possible,
 * logs the reason, frees t. */
void tunnel_teardown(struct kmd *k, struct tunnel *t, bool notify_peer, const char *why);
/* Refused before it was up: release, log "refused", free. */
void tunnel_refuse(struct kmd *k, struct tunnel *t, const char *why);
void tunnel_reply(struct kmd *k, uint32_t index, enum req_kind kind, uint32_t status,
                  const char *msg, const void *data, size_t len);
void tunnel_reinstall_all(struct kmd *k);
void tunnel_tick(struct kmd *k, time_t now);
/* "ipv4_subnet(any:0,[0..7]=10.2.2.0/24)" */
const char *tunnel_identity(uint8_t id_type, const struct kmd_prefix *p, uint8_t proto,
                            uint16_t port, char *buf, size_t len);

/* ---- keylog.c ---- */
void keylog_ike(struct kmd *k, const struct ike_sa *sa);
void keylog_esp(struct kmd *k, const struct tunnel *t);

/* ---- reconf.c ---- */
void reconf_reconcile(struct kmd *k);

/* ---- show.c (the RPCs) ---- */

/* Formatting helpers (input.c) */
const char *addr_str(const struct fwd_addr *a, char *buf, size_t len);
const char *prefix_str(const struct kmd_prefix *p, char *buf, size_t len);
void hex_str(const uint8_t *p, size_t n, char *out); /* out: 2n+1 bytes */

#endif
