/*
 * config.h: kmd's configuration, built from its view (lib/daemon: access,
 * services ipsec-vpn ike|ipsec, and what it reads: interfaces, service
 * sets, ipsec-vpn rules, routing instances) in prepare, swapped in apply.
 *
 * Everything the IKE exchanges need is resolved here once: pre-shared keys
 * decoded from their $9$ form, policies and proposals linked, each service
 * set's access profile, local gateway, inside interface, its VRF and its
 * interface pool.  The exchanges never read the configuration tree.
 */
#ifndef OPENSG_KMD_CONFIG_H
#define OPENSG_KMD_CONFIG_H

#include "tree.h"

#include <stddef.h>
#include <stdint.h>

#define KMD_NAME 64

struct kmd_prefix {
    int af; /* AF_INET, AF_INET6 */
    uint8_t addr[16];
    int plen;
};

struct kmd_ike_proposal {
    char name[KMD_NAME];
    char auth_method[32]; /* pre-shared-keys, rsa-signatures, ... (schema words) */
    char dh_group[16];    /* group1 ... group24 */
    char auth_alg[16];    /* md5, sha1, sha-256, sha-384 */
    char enc_alg[16];     /* des-cbc, 3des-cbc, aes-128-cbc, ... */
    uint32_t lifetime;    /* seconds, 0 = default 3600 */
};

struct kmd_ike_policy {
    char name[KMD_NAME];
    int aggressive;
    struct kmd_ike_proposal **proposals;
    size_t nproposals;
    uint8_t *psk; /* policy's own key (static peers), decoded */
    size_t psk_len;
    int any_remote_id;
    char **remote_ids; /* "ipv4_addr:A", "fqdn:N", "key-id:K", ... */
    size_t nremote_ids;
};

struct kmd_ipsec_proposal {
    char name[KMD_NAME];
    char protocol[8];  /* esp, ah, bundle */
    char auth_alg[24]; /* hmac-sha1-96, ... or "" */
    char enc_alg[16];
    uint32_t lifetime; /* 0 = default 28800 */
};

struct kmd_ipsec_policy {
    char name[KMD_NAME];
    char pfs_group[16]; /* "" = no PFS */
    struct kmd_ipsec_proposal **proposals;
    size_t nproposals;
};

struct kmd_proxy_pair {
    struct kmd_prefix remote, local;
};

struct kmd_profile {
    char name[KMD_NAME];
    struct kmd_proxy_pair *pairs; /* default: remote 0.0.0.0/0 local 0.0.0.0/0 */
    size_t npairs;
    uint8_t *psk; /* the global key of the profile, decoded */
    size_t psk_len;
    struct kmd_ike_policy *ike_policy;     /* NULL: implicit proposals */
    struct kmd_ipsec_policy *ipsec_policy; /* NULL: implicit proposals */
    char interface_id[KMD_NAME];
    int dpd_configured; /* accepted, ignored for dynamic peers (warning at commit) */
};

struct kmd_pool_unit {
    char unit[KMD_NAME]; /* ms-1/0/0.1 */
    int dedicated;
};

/* A static rule term naming a peer (`then remote-gateway A; dynamic {
 * ike-policy; ipsec-policy; }`): the peer at that address is bound to the
 * term's service set with the ike-policy's key and proposals, the
 * ipsec-policy, and the proxy pairs the term's from clause allows. */
struct kmd_static_peer {
    struct kmd_prefix remote_gateway;      /* plen = full */
    struct kmd_ike_policy *ike_policy;     /* NULL: implicit proposals */
    struct kmd_ipsec_policy *ipsec_policy; /* NULL: implicit proposals */
    char rule[KMD_NAME], term[KMD_NAME];
    struct kmd_proxy_pair *pairs; /* remote = destination-address, local = source-address
                                     (match-direction input; swapped for output); a side
                                     without addresses is 0.0.0.0/0 and ::/0 */
    size_t npairs;
};

struct kmd_service_set {
    char name[KMD_NAME];
    char inside_unit[KMD_NAME];
    char outside_unit[KMD_NAME];
    char pic[KMD_NAME];              /* physical device of the inside unit */
    char inside_instance[KMD_NAME];  /* VRF of the inside unit, "" = inet.0 */
    char gateway_instance[KMD_NAME]; /* local-gateway routing-instance */
    struct kmd_prefix local_gateway;
    struct kmd_profile *profile;
    struct kmd_pool_unit *pool;
    size_t npool;
    uint32_t replay_window; /* 64 default */
    int no_anti_replay, clear_df, no_nat_traversal;
    uint16_t tunnel_mtu, udp_dest_port;
    struct kmd_static_peer *peers;
    size_t npeers;
};

struct kmd_config {
    struct kmd_ike_proposal *ike_proposals;
    size_t nike_proposals;
    struct kmd_ike_policy *ike_policies;
    size_t nike_policies;
    struct kmd_ipsec_proposal *ipsec_proposals;
    size_t nipsec_proposals;
    struct kmd_ipsec_policy *ipsec_policies;
    size_t nipsec_policies;
    struct kmd_profile *profiles;
    size_t nprofiles;
    struct kmd_service_set *service_sets;
    size_t nservice_sets;
};

/* Build from a view; -1 with err on a statement kmd cannot use (mgd's
 * checks make that rare: a $9$ that does not decode, say). */
struct kmd_config *kmd_config_build(const struct cnode *root, char *err, size_t errlen);
void kmd_config_free(struct kmd_config *c);
int kmd_prefix_parse(const char *s, struct kmd_prefix *p);
int kmd_prefix_contains(const struct kmd_prefix *outer, const struct kmd_prefix *inner);
const struct kmd_service_set *kmd_config_service_set(const struct kmd_config *c, const char *name);

#endif
