/*
 * fwdd.h: the forwarding daemon's state and the contract between its
 * modules.
 *
 * Two lifetimes:
 *   - struct fwdd lives for the process: the ports given with --port (each
 *     a Linux netdev read and written with AF_PACKET, port.c), their ARP
 *     caches (arp.c), the runtime of each service set (counters, tunnels,
 *     SAs and kmd's dynamic rules: svc.c, ipsec.h), kmd's reverse routes
 *     (routes.c), the kmd socket (kmdsock.c), ping/traceroute sessions
 *     (ping.c) and the drop counters.
 *   - struct gen is one configuration generation, built whole from mgd's
 *     view in prepare (state.c, routes.c, svc.c) and swapped in by apply:
 *     interfaces and units, routing instances with their tables, service
 *     PICs and service sets.  Nothing outside the generation points into
 *     it across events, so the old one is freed at apply.
 *
 * The packet path (forward.c and local.c for IPv4, forward6.c for IPv6)
 * runs on fw->cur, synchronously in the port's read callback.
 */
#ifndef FWDD_FWDD_H
#define FWDD_FWDD_H

#include "addr.h"
#include "pkt.h"
#include "ptab.h"
#include "rtable.h"

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct event;
struct dmn;
struct conf;
struct schema;
struct svc;
struct service_set;
struct ss_rt;
struct arp_cache;
struct nd_cache;
struct kmdsock;
struct probe;
struct kroute;
struct ipsec;

#define FWD_IFNAMELEN 32    /* "ge-0/0/0", "mams-1/0/0" */
#define FWD_BURST_MAX 32    /* frames taken at once (burst.c) */
#define FWD_UNITNAMELEN 48  /* "ge-0/0/0.0", "ms-1/0/0.16000" */
#define FWD_INSTLEN 129     /* routing instance names: 128 characters */
#define FWD_FRAME_MAX 65550 /* an Ethernet header and a 64 KiB GSO super-frame */

/* Why a packet was dropped (struct fwd_stats; logged on SIGUSR1 and exit). */
enum fwd_drop {
    DROP_FRAME_SHORT,   /* runt Ethernet frame */
    DROP_FRAME_TRUNC,   /* larger than the receive buffer */
    DROP_OTHERHOST,     /* not for our MAC */
    DROP_ETHERTYPE,     /* not IPv4, IPv6 or ARP (VLANs are out of scope) */
    DROP_NO_UNIT,       /* port without a usable unit 0 */
    DROP_ARP_BAD,       /* malformed ARP */
    DROP_ARP_NOT_OURS,  /* ARP for another host */
    DROP_IP_SHORT,      /* truncated IP header */
    DROP_IP_VERSION,    /* version field */
    DROP_IP_IHL,        /* bad header length */
    DROP_IP_LEN,        /* total length vs data */
    DROP_IP_CSUM,       /* header checksum */
    DROP_L4_BAD,        /* malformed transport header to a local address */
    DROP_MARTIAN,       /* source or destination never forwarded */
    DROP_TTL,           /* TTL expired (ICMP time exceeded sent) */
    DROP_NO_ROUTE,      /* no route (ICMP unreachable sent) */
    DROP_DISCARD,       /* discard route */
    DROP_NEEDFRAG,      /* too big with DF (ICMP fragmentation needed sent) */
    DROP_ARP_FAILED,    /* next hop did not answer ARP */
    DROP_ARP_QUEUE,     /* too many packets waiting for one ARP answer */
    DROP_PORT_DOWN,     /* output unit has no port */
    DROP_TX,            /* the kernel refused the frame */
    DROP_GSO,           /* a super-frame that cannot be segmented */
    DROP_NO_SS,         /* routed to a services unit of no service set */
    DROP_SS_NO_RULE,    /* entered a service set and matched no rule */
    DROP_SS_NO_SA,      /* matched a rule that has no SA yet */
    DROP_LOCAL,         /* to the appliance, no one listens (ICMP sent when due) */
    DROP_IKE_NO_KMD,    /* IKE to a local gateway while kmd is not connected */
    DROP_ESP_NO_SA,     /* ESP to a local gateway with no SA */
    DROP_IP6_HDR,       /* malformed IPv6 header */
    DROP_IP6_MCAST,     /* IPv6 multicast not for the appliance (not forwarded) */
    DROP_ESP_HDR,       /* ESP: too short, or raw/UDP not as its SA says */
    DROP_ESP_AUTH,      /* ESP: integrity check failed */
    DROP_ESP_DECRYPT,   /* ESP: not whole cipher blocks, cipher failure */
    DROP_ESP_TRAILER,   /* ESP: bad padding or next header, bad inner packet */
    DROP_ESP_REPLAY,    /* ESP: replayed or too old for the window */
    DROP_ESP_SELECTOR,  /* ESP: inner packet outside the SA's selectors */
    DROP_ESP_SEQ,       /* ESP: outbound sequence numbers exhausted */
    DROP_ESP_NESTED,    /* ESP: encapsulation nested too deep (a loop) */
    DROP_ESP_NO_ROUTE,  /* ESP: no route to the remote gateway */
    DROP_FRAG_LOCAL,    /* a fragment to the appliance that is not reassembled */
    DROP_REASM_TIMEOUT, /* fragments whose datagram never completed */
    DROP_REASM_MEM,     /* fragments evicted by the memory cap */
    DROP_REASM_BAD,     /* overlapping or oversized fragments */
    DROP_PIC_BUSY,      /* the service PIC's queue is full */
    DROP_AH_NO_SA,      /* AH to a local gateway with no AH SA */
    DROP_AH_HDR,        /* AH: too short, length not the SA's, next header not the SA's */
    DROP_AH_AUTH,       /* AH: integrity check failed (or could not be computed) */
    DROP_AH_REPLAY,     /* AH: replayed or too old for the window */
    DROP_MAX
};
const char *fwd_drop_name(enum fwd_drop d);

struct fwd_stats {
    uint64_t drop[DROP_MAX];
    uint64_t forwarded, local_in, icmp_out;
    uint64_t csum_partial; /* frames received with a partial checksum */
    uint64_t gso_frames, gso_segments;
};

/* A --port: process lifetime (port.c). */
struct port {
    struct fwdd *fw;
    size_t index; /* in fw->ports */
    char name[FWD_IFNAMELEN];
    char ifname[IFNAMSIZ];
    int ifindex, fd;
    uint8_t mac[6];
    unsigned linux_mtu;
    struct event *ev;
    uint64_t in_bytes, in_packets, out_bytes, out_packets, in_errors, out_drops;
    struct arp_cache *arp;
    struct nd_cache *nd;
    struct port_txq *txq; /* frames held for one sendmmsg (port.c), made on first use */
};

enum ifd_kind { IFK_ETH, IFK_MS, IFK_MAMS, IFK_AMS, IFK_LO, IFK_FXP, IFK_OTHER };

struct unit;

/* A physical interface of a generation. */
struct ifd {
    char name[FWD_IFNAMELEN];
    enum ifd_kind kind;
    int fpc, pic, portno; /* -1 when the name has no F/P/N */
    unsigned disabled : 1, configured : 1;
    unsigned mtu; /* media MTU from the configuration, 0 = default */
    char *description;
    struct port *port; /* NULL: no --port maps it (down) */
    struct unit *units;
    size_t nunits;
    /* services PIC counters live in the service set runtime */
};

struct instance;

enum svc_domain { DOM_NONE, DOM_INSIDE, DOM_OUTSIDE };

/* A logical interface (unit) of a generation. */
struct unit {
    char name[FWD_UNITNAMELEN];
    uint64_t name_hash; /* ptab_hash_str(name, 0); 0: not computed */
    struct ifd *ifd;
    uint32_t num;
    unsigned disabled : 1, inet : 1, inet6 : 1, shared : 1, dedicated : 1;
    struct instance *inst;
    struct addr *v4, *v6; /* interface addresses with their prefix lengths */
    size_t nv4, nv6;
    enum svc_domain domain;
    char pool[64];          /* dial-options ipsec-interface-id */
    struct service_set *ss; /* service set this unit is inside or outside of */
};

struct instance {
    char name[FWD_INSTLEN]; /* "master" for the default instance */
    int is_master;
    char type[16]; /* vrf, virtual-router, "" */
    struct rtable *inet, *inet6;
    struct rc4 *rc4; /* rcache.c */
};

struct gen {
    uint64_t serial; /* fw->gen_serial when built: caches key on it */
    struct ifd *ifds;
    size_t nifds;
    struct instance *insts; /* insts[0] is the default instance */
    size_t ninsts;
    struct unit **port_unit; /* by port index: its unit 0, NULL if unusable */
    struct svc *svc;
};

struct fwdd {
    struct event_base *eb;
    const char *root;
    const struct schema *sch;
    struct dmn *dmn;
    struct port **ports;
    size_t nports;
    struct gen *cur, *next;
    struct ss_rt *ssrt;     /* service set runtimes, by name (svc.c) */
    struct kroute *kroutes; /* kmd's reverse routes (routes.c), */
    struct ptab kroute_idx; /* also by their spec */
    struct ipsec *ipsec;    /* SPI hash, pool reservations, reassembly (ipsec.h) */
    struct kmdsock *ks;
    struct probe *probes;
    struct event *tick;
    struct fwd_stats st;
    uint16_t ip_id;
    uint64_t gen_serial; /* generations built so far */
    struct picw *picws;  /* service PIC workers (pic.h) */
    int pic_threads;     /* run them on threads (fwdd); 0: in the caller */
    struct pjob *pool;   /* recycled jobs (pic.c) */
    size_t npool;
    struct pjob *rx_job;                 /* the receive job of the frame in hand (pic.h) */
    int rx_pinned;                       /* its data is in use where it lies: not to be taken */
    int forget_due;                      /* SAs freed: pic_tick wakes the workers (pic.h) */
    struct pjob *rx_jobs[FWD_BURST_MAX]; /* where a burst is received */
    int burst_hints;                     /* burst.c's passes: 0 by tunnels, 1 always (tests) */
    int tx_hold;                         /* > 0: frames out wait for port_tx_release (port.h) */
};

/* state.c: a generation from the configuration view. */
struct gen *gen_build(struct fwdd *fw, const struct conf *c, char *err, size_t errlen);
void gen_free(struct gen *g);
struct ifd *gen_ifd(const struct gen *g, const char *name);
struct unit *gen_unit(const struct gen *g, const char *name);
struct instance *gen_instance(const struct gen *g, const char *name);
/* The instance's table for af. */
struct rtable *inst_table(const struct instance *in, int af);
/* The unit's IPv6 address in the subnet of a, else its first (NULL if none). */
const uint8_t *unit_addr6_for(const struct unit *u, const uint8_t a[16]);
/* 1 if a is an IPv6 address of the appliance in instance in. */
int inst_is_local6(const struct instance *in, const uint8_t a[16]);
/* Unit's first IPv4 address (host order), or 0. */
uint32_t unit_addr4(const struct unit *u);
/* The unit's address in the subnet of a (host order), else its first. */
uint32_t unit_addr4_for(const struct unit *u, uint32_t a);
/* IP MTU of a unit (media MTU less the Ethernet header, capped by the
 * netdev's MTU); 1500 without a port. */
unsigned unit_mtu(const struct unit *u);
/* 1 if a (host order) is the appliance's address in instance in: an
 * interface address or a service set's local gateway. */
int inst_is_local4(const struct gen *g, const struct instance *in, uint32_t a);
/* rcache.c: inst_is_local4 into *local and the route of dst in the
 * instance's inet table (rtable_lookup; NULL: none), remembered until a
 * route table changes. */
struct rt_dest;
const struct rt_dest *inst_route4(const struct gen *g, struct instance *in, uint32_t dst,
                                  int *local);
void inst_cache_free(struct instance *in);
/* For a burst (burst.c): prefetch dst's entry; its route if cached (NULL:
 * not cached), without looking up or filling anything. */
void inst_route4_prefetch(const struct instance *in, uint32_t dst);
const struct rt_dest *inst_route4_peek(const struct instance *in, uint32_t dst);
/* The config / prepare / apply cycle (main.c calls it through dmn_ops). */
int fw_prepare(struct fwdd *fw, const struct conf *newc, char *err, size_t errlen);
void fw_apply(struct fwdd *fw);
void fw_abort(struct fwdd *fw);

/* routes.c: the tables of a generation and kmd's routes. */
void routes_build(struct fwdd *fw, struct gen *g, const struct conf *c);
struct kroute_spec {
    char instance[FWD_INSTLEN]; /* "" = master */
    char unit[FWD_UNITNAMELEN]; /* next hop */
    struct addr prefix;
    uint32_t tunnel, pref;
};
/* Install or remove a kmd route (Static, preference 1) in the current and
 * any prepared generation; kept across commits.  0, or -1 with errno
 * (ENOENT: no such instance/route, EEXIST: same route twice). */
int fw_kroute_add(struct fwdd *fw, const struct kroute_spec *k);
int fw_kroute_del(struct fwdd *fw, const struct kroute_spec *k);
void fw_kroute_flush(struct fwdd *fw);
/* After apply: forget kmd routes whose unit or instance left the
 * configuration (they would not come back with it). */
void fw_kroute_gc(struct fwdd *fw);

/* forward.c: the packet path. */
/* burst.c: frames, frames[i] received into fwd_rx_frame(fw, i) (or
 * anywhere else: then copied as needed), in order, FWD_BURST_MAX at a
 * time; vnet_hdrs NULL or one per frame. */
void fwd_frames_input(struct fwdd *fw, struct port *p, uint8_t *const *frames, const size_t *lens,
                      size_t n, const void *const *vnet_hdrs);
void fwd_frame_input(struct fwdd *fw, struct port *p, uint8_t *frame, size_t len,
                     const void *vnet_hdr);
void ip4_input(struct fwdd *fw, struct unit *in, uint8_t *ip, size_t len);
/* Route and send a packet fwdd originates (or reflects) in instance in.
 * 0, -EHOSTUNREACH (no route), -EMSGSIZE (too big with DF). */
int ip4_send(struct fwdd *fw, struct instance *in, uint8_t *ip, size_t len);
/* Send toward next hop nh (host order) on unit out; in (may be NULL) is
 * where it came from, for ICMP fragmentation needed.  Same return. */
int ip4_output(struct fwdd *fw, struct unit *in, struct unit *out, uint32_t nh, uint8_t *ip,
               size_t len);
/* An ICMP error about orig, sourced from the unit it arrived on (in), or
 * when fwdd itself sent orig (in NULL) from an address of instance inst. */
void icmp4_reply_error(struct fwdd *fw, struct unit *in, struct instance *inst, const uint8_t *orig,
                       size_t len, uint8_t type, uint8_t code, uint16_t mtu);
void fwd_drop(struct fwdd *fw, enum fwd_drop why);

/* forward6.c: the IPv6 packet path (same shape as the IPv4 one). */
void ip6_input(struct fwdd *fw, struct unit *in, const uint8_t *eth_src, uint8_t *ip, size_t len);
int ip6_send(struct fwdd *fw, struct instance *in, uint8_t *ip, size_t len);
void icmp6_reply_error(struct fwdd *fw, struct unit *in, struct instance *inst, const uint8_t *orig,
                       size_t len, uint8_t type, uint8_t code, uint32_t param);

/* local.c: packets addressed to the appliance (in NULL: fwdd sent it to
 * itself). */
void local4_input(struct fwdd *fw, struct unit *in, struct instance *inst, uint8_t *ip, size_t len);
/* An IPv4 address of instance inst (host order), 0 if it has none. */
uint32_t inst_any_addr4(const struct gen *g, const struct instance *inst);

/* Monotonic milliseconds (packet timers, ping). */
int64_t fw_now_ms(void);
int64_t fw_now_us(void);

#endif
