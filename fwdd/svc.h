/*
 * svc.h: the simulated service PICs and their service sets.
 *
 * Every configured ms-F/P/0 (and mams-F/P/0) interface is a PIC; a
 * next-hop service set lives on the PIC of its inside-service-interface.
 * A packet routed to a service set's inside unit (or to a unit of its
 * dial-options pool) enters it through svc_input(): static ipsec-vpn
 * rules are matched first, then the dynamic rules kmd installs; what
 * matches no rule is dropped and counted, never forwarded in clear.
 *
 * The configuration part (struct service_set, rules) belongs to a
 * generation; the runtime part (struct ss_rt: counters, tunnels with their
 * SAs, kmd's dynamic rules: ipsec.h) lives for the process, found by
 * service set name, so that a commit keeps them.  svc_gc() (after apply)
 * points each runtime at its service set of the new generation, brings
 * the manual tunnels in line with the configuration, and drops the
 * runtime of a service set that left it (kmd hears FWD_SA_GONE).
 *
 * svc_ike_input() punts IKE to a local gateway to kmd; ESP to a local
 * gateway goes to esp_input() (espin.c).
 */
#ifndef FWDD_SVC_H
#define FWDD_SVC_H

#include "fwdd.h"
#include "ipsec.h"

/* One direction of a term's `then manual` (manual.c). */
struct manual_sa {
    uint8_t dir;   /* FWD_DIR_IN or FWD_DIR_OUT (bidirectional gives both) */
    uint8_t proto; /* FWD_PROTO_ESP, FWD_PROTO_AH or FWD_PROTO_BUNDLE */
    uint8_t cipher, auth, ekey_len, akey_len;
    uint32_t spi, aux_spi; /* bundle: spi is AH's, auxiliary-spi ESP's */
    uint8_t ekey[FWD_KEY_MAX], akey[FWD_KEY_MAX];
};

struct ss_term {
    char name[64];
    struct addr *src, *dst; /* prefixes; none = any */
    size_t nsrc, ndst;
    char inside[FWD_UNITNAMELEN]; /* from ipsec-inside-interface, "" = any */
    struct addr rgw;              /* then remote-gateway */
    unsigned has_rgw : 1, manual : 1, no_replay : 1, clear_df : 1;
    uint16_t replay_window, tunnel_mtu; /* 0: the service set's */
    struct manual_sa man[2];            /* usable manual SAs */
    size_t nman;
};

struct ss_rule {
    char name[64];
    int input; /* match-direction input (default) */
    struct ss_term *terms;
    size_t nterms;
};

/* Process-lifetime part of a service set. */
struct ss_rt {
    char name[64];
    struct service_set *ss; /* in the current generation (svc_gc) */
    uint64_t in_packets, in_bytes;
    uint64_t no_rule, no_sa; /* dropped: matched no rule; rule without SA */
    uint64_t ike_punted, ike_dropped, esp_dropped;
    struct tunnel *tunnels; /* kmd's and the manual ones (ipsec.h) */
    struct tunnel *tunnels_tail;
    uint32_t tunnels_max;   /* no tunnel of the list has a higher index */
    struct dyn_rule *rules; /* kmd's, in installation order (dynrule.c) */
    struct dyn_rule *rules_tail;
    struct ptab rule_idx;        /* by inside unit and remote prefix */
    struct ptab rule_tun;        /* by tunnel index */
    uint32_t rule_plens[2][129]; /* rules per remote prefix length: IPv4, IPv6 */
    uint64_t rule_v4_plens;      /* bit n: rule_plens[0][n] != 0 */
    uint64_t rule_order;
    struct ss_rt *next;
};

struct pic;
struct bundle;

struct service_set {
    char name[64];
    struct pic *pic;       /* NULL on an AMS bundle */
    struct bundle *bundle; /* inside interface on ams0: tunnels go to its members */
    struct unit *inside, *outside;
    char inside_name[FWD_UNITNAMELEN], outside_name[FWD_UNITNAMELEN];
    struct addr lgw; /* local-gateway (af 0 when absent) */
    struct instance *lgw_inst;
    char profile[64];       /* ike-access-profile */
    uint16_t replay_window; /* anti-replay-window-size, 64 by default */
    uint16_t tunnel_mtu;    /* 0: from the outside port's MTU */
    uint16_t udp_port;      /* udp-encapsulate dest-port; 0: not configured */
    unsigned no_replay : 1, clear_df : 1;
    const struct ss_rule **rules; /* ipsec-vpn-rules, or the rule set's */
    size_t nrules;
    struct ss_rt *rt;
};

struct pic {
    char name[FWD_IFNAMELEN]; /* ms-1/0/0 */
    struct ifd *ifd;
    int fpc, pic;
    int ams; /* mams- member of an AMS bundle */
    size_t nsets;
    struct picw *w; /* its worker (pic.h), process lifetime */
};

/* An AMS bundle (ams0): `load-balancing-options member-interface` names
 * its mams- PICs. */
struct bundle {
    char name[FWD_IFNAMELEN];
    struct ifd *ifd;
    struct pic **members; /* configured mams- PICs, in configuration order */
    size_t nmembers, nsets;
};

struct svc {
    struct pic *pics;
    size_t npics;
    struct bundle *bundles;
    size_t nbundles;
    struct service_set *sets;
    size_t nsets;
    struct ss_rule *rules;
    size_t nrules;
};

/* Build g->svc from the view (after the interfaces and instances). */
void svc_build(struct fwdd *fw, struct gen *g, const struct conf *c);
void svc_free(struct svc *s);
/* After apply: forget the runtimes no generation refers to. */
void svc_gc(struct fwdd *fw);
void svc_rt_free_all(struct fwdd *fw);

struct service_set *svc_find(const struct gen *g, const char *name);
/* The service set whose local gateway is a (host order) in instance in. */
struct service_set *svc_by_gateway(const struct gen *g, const struct instance *in, uint32_t a);

/* 1 if a (host order) in instance in is the local gateway of a service set
 * whose manual tunnels are UDP-encapsulated to port (udp-encapsulate). */
int svc_udp_encap_port(const struct gen *g, const struct instance *in, uint32_t a, uint16_t port);
struct ss_rt *svc_rt_find(struct fwdd *fw, const char *name);
/* Give a new tunnel of t->rt its owner PIC (t->w): the service set's PIC,
 * or on a bundle the member owning the fewest tunnels (then the first). */
void svc_tunnel_owner(struct fwdd *fw, struct tunnel *t);

/* A packet routed to services unit u (IPv4 or IPv6, TTL already
 * decremented); in: the unit it arrived on (NULL when fwdd sent it). */
void svc_input(struct fwdd *fw, struct unit *in, struct unit *u, uint8_t *ip, size_t len);
/* IKE (UDP 500/4500) to ss's local gateway, arrived on unit in. */
void svc_ike_input(struct fwdd *fw, struct service_set *ss, struct unit *in, const uint8_t *ip,
                   size_t len);

#endif
