/*
 * fwdipc.h: the interface between kmd and fwdd.
 *
 * fwdd listens on ROOT/fwdd.sock; kmd connects.  Framing is lib/ipc.h's
 * (struct ipc_hdr, then hdr.len bytes); the payloads here are fixed C
 * structs (both ends are the same build on the same host), pinned with
 * _Static_assert, optionally followed by packet bytes.  Every receiver
 * checks hdr.len against the struct size (and the declared packet length)
 * before reading.  Requests from kmd carry hdr.id; fwdd answers each with
 * FWD_REPLY (same id).  Addresses are in network byte order, 16 bytes
 * (IPv4 in the first 4, af says which).
 *
 * Lifecycle: when kmd connects, fwdd starts it from empty: every dynamic
 * SA, rule, reverse route and pool reservation of a previous kmd
 * connection is flushed when that connection closes, so kmd re-installs
 * what it still holds.  kmd decides every teardown; fwdd drops state only
 * when the unit it lives on vanishes from the configuration, and then says
 * so (FWD_SA_GONE).
 *
 * Order kmd follows (DESIGN.md): reserve the pool unit at QM1, install the
 * inbound SA before sending QM2, the outbound SA, dynamic rule and reverse
 * route at QM3.
 */
#ifndef OPENSG_FWDIPC_H
#define OPENSG_FWDIPC_H

#include <stdint.h>

#define FWD_PROTO_VERSION 1
#define FWD_NAME_LEN 128  /* service set, routing instance (up to 128), unit, pool names */
#define FWD_KEY_MAX 64    /* cipher or integrity key bytes */
#define FWD_PKT_MAX 65535 /* a punted or sent datagram */

enum fwd_type {
    /* kmd -> fwdd requests (answered by FWD_REPLY) */
    FWD_HELLO = 100,        /* struct fwd_hello */
    FWD_SEND = 101,         /* struct fwd_dgram + bytes: send a UDP datagram */
    FWD_SA_ADD = 102,       /* struct fwd_sa */
    FWD_SA_DEL = 103,       /* struct fwd_sa_ref */
    FWD_RULE_ADD = 104,     /* struct fwd_rule */
    FWD_RULE_DEL = 105,     /* struct fwd_rule (tunnel and service set identify it) */
    FWD_ROUTE_ADD = 106,    /* struct fwd_route */
    FWD_ROUTE_DEL = 107,    /* struct fwd_route */
    FWD_POOL_RESERVE = 108, /* struct fwd_pool; reply carries the unit */
    FWD_POOL_RELEASE = 109, /* struct fwd_pool */
    FWD_SA_STATS = 110,     /* struct fwd_sa_ref; reply carries fwd_sa_counters */

    /* fwdd -> kmd */
    FWD_REPLY = 120,    /* struct fwd_reply (+ struct per request type) */
    FWD_PUNT = 121,     /* struct fwd_dgram + bytes: IKE to a local-gateway */
    FWD_SA_EVENT = 122, /* struct fwd_sa_event: a lifetime ran out */
    FWD_SA_GONE = 123,  /* struct fwd_sa_ref: dropped with its unit */
};

enum fwd_status {
    FWD_OK = 0,
    FWD_ERR_INVALID = 1,     /* malformed request */
    FWD_ERR_NOENT = 2,       /* no such service set, SA, rule, route, pool */
    FWD_ERR_EXISTS = 3,      /* SPI or rule already installed */
    FWD_ERR_EXHAUSTED = 4,   /* no free unit in the pool */
    FWD_ERR_UNSUPPORTED = 5, /* transform fwdd does not implement */
};

struct fwd_addr {
    uint8_t af;   /* AF_INET or AF_INET6 */
    uint8_t plen; /* prefix length where a prefix is meant */
    uint8_t pad[2];
    uint8_t a[16];
};
_Static_assert(sizeof(struct fwd_addr) == 20, "fwd_addr");

struct fwd_hello {
    uint32_t version; /* FWD_PROTO_VERSION */
    uint32_t pid;
};
_Static_assert(sizeof(struct fwd_hello) == 8, "fwd_hello");

struct fwd_reply {
    uint32_t status; /* enum fwd_status */
    char msg[128];   /* reason for logs, empty on success */
};
_Static_assert(sizeof(struct fwd_reply) == 132, "fwd_reply");

/* A UDP datagram to or from a local gateway (IKE: ports 500 and 4500).
 * Punted datagrams on port 4500 have their non-ESP marker removed; fwdd
 * adds it when kmd sends from port 4500. */
struct fwd_dgram {
    char instance[FWD_NAME_LEN]; /* routing instance, "" = default */
    char ingress[FWD_NAME_LEN];  /* logical interface it arrived on (punt) */
    struct fwd_addr src, dst;
    uint16_t sport, dport;
    uint32_t len; /* bytes that follow */
};
_Static_assert(sizeof(struct fwd_dgram) == 304, "fwd_dgram");

enum fwd_dir { FWD_DIR_IN = 1, FWD_DIR_OUT = 2 };
/* ESP and AH in tunnel mode (RFC 4303, RFC 4302).  FWD_PROTO_BUNDLE (Junos
 * `protocol bundle`) is ESP in tunnel mode with AH over its outer header:
 * spi is AH's, aux_spi ESP's; auth and auth_key are AH's, cipher and
 * cipher_key ESP's (ESP carries no integrity of its own; with AES-GCM it
 * has its tag).  AH and bundles are never UDP-encapsulated. */
enum fwd_proto { FWD_PROTO_ESP = 50, FWD_PROTO_AH = 51, FWD_PROTO_BUNDLE = 255 };
enum fwd_encap { FWD_ENCAP_NONE = 0, FWD_ENCAP_UDP = 1 }; /* RFC 3948 */

/* Transform identifiers (the schema's names in comments). */
enum fwd_cipher {
    FWD_CIPHER_NULL = 0,
    FWD_CIPHER_DES_CBC = 1,    /* des-cbc */
    FWD_CIPHER_3DES_CBC = 2,   /* 3des-cbc */
    FWD_CIPHER_AES_CBC = 3,    /* aes-128/192/256-cbc, by key length */
    FWD_CIPHER_AES_GCM_16 = 4, /* aes-128/256-gcm (RFC 4106), key + 4-byte salt */
};
enum fwd_auth {
    FWD_AUTH_NONE = 0,
    FWD_AUTH_HMAC_MD5_96 = 1,
    FWD_AUTH_HMAC_SHA1_96 = 2,
    FWD_AUTH_HMAC_SHA256_128 = 3,
};

struct fwd_selector {
    struct fwd_addr src, dst; /* prefixes */
    uint8_t proto;            /* 0 = any */
    uint8_t pad;
    uint16_t sport, dport; /* 0 = any */
    uint16_t pad2;
};
_Static_assert(sizeof(struct fwd_selector) == 48, "fwd_selector");

struct fwd_sa {
    char service_set[FWD_NAME_LEN];
    char inside_unit[FWD_NAME_LEN]; /* ipsec-inside-interface of the tunnel */
    uint32_t tunnel;                /* kmd's tunnel index (show ... Tunnel index) */
    uint32_t spi;                   /* network byte order */
    uint8_t dir;                    /* enum fwd_dir */
    uint8_t proto;                  /* enum fwd_proto */
    uint8_t encap;                  /* enum fwd_encap */
    uint8_t cipher;                 /* enum fwd_cipher */
    uint8_t auth;                   /* enum fwd_auth */
    uint8_t cipher_key_len;
    uint8_t auth_key_len;
    uint8_t no_anti_replay;
    uint32_t replay_window; /* bits, 64 default */
    uint16_t encap_sport, encap_dport;
    struct fwd_addr local, remote; /* tunnel endpoints (outer addresses) */
    struct fwd_selector sel;       /* inner traffic the SA protects (as seen outbound) */
    uint8_t cipher_key[FWD_KEY_MAX];
    uint8_t auth_key[FWD_KEY_MAX];
    uint64_t soft_bytes, hard_bytes; /* 0 = none */
    uint32_t soft_seconds, hard_seconds;
    uint16_t tunnel_mtu; /* 0: from the port MTU */
    uint8_t clear_df;
    uint8_t pad;
    uint32_t aux_spi; /* FWD_PROTO_BUNDLE: the ESP SPI, network byte order; else 0 */
};
_Static_assert(sizeof(struct fwd_sa) == 528, "fwd_sa");

struct fwd_sa_ref {
    char service_set[FWD_NAME_LEN];
    uint32_t spi; /* network byte order */
    uint8_t dir;
    uint8_t proto;
    uint8_t pad[2];
};
_Static_assert(sizeof(struct fwd_sa_ref) == 136, "fwd_sa_ref");

struct fwd_sa_counters {
    uint64_t bytes, packets;
    uint64_t auth_failures, replay_errors, decrypt_failures, bad_headers, bad_trailers;
    uint32_t installed_seconds;
    uint32_t pad;
};
_Static_assert(sizeof(struct fwd_sa_counters) == 64, "fwd_sa_counters");

enum fwd_event { FWD_EV_SOFT_BYTES = 1, FWD_EV_HARD_BYTES, FWD_EV_SOFT_TIME, FWD_EV_HARD_TIME };

struct fwd_sa_event {
    struct fwd_sa_ref sa;
    uint32_t event; /* enum fwd_event */
    uint32_t pad;
    struct fwd_sa_counters counters;
};
_Static_assert(sizeof(struct fwd_sa_event) == 208, "fwd_sa_event");

/* The implicit dynamic rule of a tunnel (seed: "Implicit Dynamic Rules"):
 * from ipsec-inside-interface UNIT, source and destination from the
 * accepted proxy identities, match-direction input; matched after the
 * service set's static rules. */
struct fwd_rule {
    char service_set[FWD_NAME_LEN];
    char inside_unit[FWD_NAME_LEN];
    uint32_t tunnel; /* whose outbound SA encapsulates the match */
    uint32_t pad;
    struct fwd_selector sel; /* source = local proxy, destination = remote proxy */
};
_Static_assert(sizeof(struct fwd_rule) == 312, "fwd_rule");

/* A reverse route (seed: "Reverse Route Insertion"): Static, preference 1,
 * next hop the tunnel's inside unit, in the table of that unit's instance. */
struct fwd_route {
    char instance[FWD_NAME_LEN]; /* "" = inet.0 / inet6.0 */
    char next_hop_unit[FWD_NAME_LEN];
    struct fwd_addr prefix;
    uint32_t tunnel;
    uint32_t preference; /* 1 */
};
_Static_assert(sizeof(struct fwd_route) == 284, "fwd_route");

/* Pool units (DESIGN.md Decisions): reserve at QM1, release at teardown.
 * The reply to FWD_POOL_RESERVE is struct fwd_reply + struct fwd_pool with
 * unit filled in.  replaces: the tunnel a rekey replaces (0: none), whose
 * unit the new tunnel may share until the old one releases it (a
 * dedicated pool has no other unit to give). */
struct fwd_pool {
    char service_set[FWD_NAME_LEN];
    char pool[FWD_NAME_LEN]; /* ipsec-interface-id */
    char unit[FWD_NAME_LEN]; /* reserved unit (reply), or the one released */
    uint32_t tunnel;
    uint32_t replaces; /* FWD_POOL_RESERVE: was padding, 0 */
};
_Static_assert(sizeof(struct fwd_pool) == 392, "fwd_pool");

#endif
