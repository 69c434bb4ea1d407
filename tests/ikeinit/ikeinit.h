/*
 * ikeinit.h: a test-only IKEv1 initiator (main mode with a pre-shared
 * key, quick mode, informational), built from kmdcore's codec and
 * lib/crypto; it never ships in kmd (DESIGN.md).  It makes the datagrams
 * a strongSwan or libreswan peer would send (proposal numbering from 0 or
 * 1, NAT-T and DPD vendor IDs, forced NAT-T by a bogus NAT-D of its own
 * address, floating to 4500, PFS, ID types) and checks kmd's answers with
 * its own key schedule.  No sockets: the caller moves the bytes
 * (tests/kmd: in-process into kmd_input; ikepeer: through a fake fwdd).
 *
 *   ikei_mm1 -> kmd -> ikei_input (MM2) -> MM3 -> ... -> MM6: established
 *   ikei_qm1 -> kmd -> ikei_input (QM2) -> QM3: keys in ikei.qm
 *
 * Callers: the tests in tests/kmd and tests/ikeinit/ikepeer.c.
 */
#ifndef TESTS_IKEINIT_H
#define TESTS_IKEINIT_H

#include "fwdipc.h"
#include "msg.h"

#include "crypto/cipher.h"
#include "crypto/dh.h"
#include "crypto/prf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ikei_conf {
    const char *psk;
    /* phase 1 (ISAKMP values) */
    uint16_t enc, keylen, hash, group;
    uint32_t life;
    uint8_t prop_num; /* 0: libreswan style, 1: strongSwan style */
    uint16_t auth;    /* 0 = pre-shared key */
    uint8_t id_type;  /* 0 = ID_IPV4_ADDR of the local address */
    const char *id;   /* FQDN, USER_FQDN, KEY_ID */
    bool natt_vid, dpd_vid, force_natt, initial_contact;
    bool natd_lax; /* MM4's NAT-D may differ (a responder forcing NAT-T, as charon with
                      kernel-libipsec does): a NAT, not an error */
    /* endpoints: the initiator's and the responder's */
    struct fwd_addr local, remote;
    /* phase 2 */
    uint8_t p2_proto; /* 0 = ESP; ISAKMP_PROTO_IPSEC_AH; IKEI_BUNDLE (AH+ESP) */
    uint8_t esp_id;
    uint16_t esp_keylen, aalg, pfs_group; /* aalg 0: no integrity attribute (AES-GCM);
                                             AH's in AH and bundles */
    uint8_t ah_id;            /* AH transform; 0: AH_MD5, AH_SHA or AH_SHA2-256 by aalg */
    uint16_t bundle_esp_aalg; /* an integrity attribute on a bundle's ESP (0: none) */
    bool esp_first;           /* a bundle offered as ESP then AH (default AH then ESP) */
    uint32_t p2_life;
    const char *lnet, *rnet; /* proxies "10.2.2.0/24": initiator's, responder's */
    bool no_ids;
};

#define IKEI_BUNDLE 255 /* p2_proto: AH and ESP under one proposal number (RFC 2408 4.2) */

struct ikei_qm {
    uint32_t msgid;
    uint8_t iv[CRYPTO_MAX_BLOCK];
    uint8_t ni[32], nr[ISAKMP_NONCE_MAX];
    size_t nr_len;
    uint32_t spi_i, spi_r; /* the SPI we proposed (our inbound), the responder's; AH's in
                              AH and bundles */
    uint32_t aux_i, aux_r; /* a bundle's ESP SPIs */
    struct dh_keypair *dh;
    bool done;
    uint32_t resp_lifetime; /* RESPONDER-LIFETIME seconds, 0 if none */
    size_t ekey_len, akey_len;
    /* keys of the SA carrying our traffic (spi_r) and of the return SA (spi_i): ESP's
     * cipher key (a bundle: under aux_*), the integrity key of ESP or AH */
    uint8_t ekey_ir[FWD_KEY_MAX], akey_ir[FWD_KEY_MAX], ekey_ri[FWD_KEY_MAX], akey_ri[FWD_KEY_MAX];
    uint8_t encap; /* as proposed */
};

struct ikei {
    struct ikei_conf c;
    char err[256];
    uint8_t icky[8], rcky[8];
    uint16_t lport, rport; /* current ports: 500, or 4500 after floating */
    int step;              /* 0 idle, 1 MM1 sent, 3 MM3 sent, 5 MM5 sent, 6 established */
    uint8_t sai_b[512];
    size_t sai_len;
    bool natt, nat;
    struct dh_keypair *dh;
    uint8_t gxi[1024], gxr[1024];
    size_t glen;
    uint8_t ni[32], nr[ISAKMP_NONCE_MAX];
    size_t nr_len;
    struct ikev1_keys keys;
    struct cbc *cbc;
    enum crypto_cipher cipher;
    enum crypto_hash hashalg;
    uint8_t iv[CRYPTO_MAX_BLOCK], p1_last[CRYPTO_MAX_BLOCK];
    uint32_t vids; /* vendor IDs in MM2 */
    uint8_t mm2_prop, mm2_xform;
    struct ikei_qm qm;
    /* notifies and deletes received (informational) */
    uint16_t last_notify;
    uint8_t last_notify_data[16];
    size_t last_notify_len;
    unsigned notifies, deletes;
    uint8_t last_delete_proto;
    uint32_t last_delete_spi;
    struct msg m;
    uint8_t plain[65536];
};

/* Fills a default configuration: aes-128/sha1/group14, PSK, strongSwan
 * numbering, NAT-T and DPD vendor IDs, ESP aes-128/hmac-sha1, proxies
 * 10.2.2.0/24 (initiator) and 10.1.1.0/24 (responder). */
void ikei_defaults(struct ikei_conf *c, const char *local, const char *remote, const char *psk);

struct ikei *ikei_new(const struct ikei_conf *c);
void ikei_free(struct ikei *i);

/* Datagram builders: 0 and *len, or -1 with i->err. */
int ikei_mm1(struct ikei *i, uint8_t *out, size_t cap, size_t *len);
int ikei_qm1(struct ikei *i, uint8_t *out, size_t cap, size_t *len);
int ikei_delete_esp(struct ikei *i, uint8_t *out, size_t cap, size_t *len);
int ikei_delete_ike(struct ikei *i, uint8_t *out, size_t cap, size_t *len);
int ikei_dpd(struct ikei *i, uint32_t seq, uint8_t *out, size_t cap, size_t *len);

/* A datagram from the responder.  Returns 1 with a reply in out (MM3,
 * MM5, QM3), 0 when there is nothing to answer (MM6, informational), -1
 * with i->err when it does not check out. */
int ikei_input(struct ikei *i, const uint8_t *in, size_t len, uint8_t *out, size_t cap,
               size_t *olen);

/* The UDP datagram envelope for the next message (ports after floating). */
void ikei_dgram(const struct ikei *i, struct fwd_dgram *d, size_t len);

/* ---- internal (ikeinit.c <-> ikeinit_qm.c) ---- */
int ikei_encrypt(struct ikei *i, uint8_t *iv, uint8_t exch, uint32_t msgid, struct msg_builder *b,
                 uint8_t *out, size_t cap, size_t *len);
int ikei_open(struct ikei *i, const uint8_t *iv, const uint8_t *in, size_t len, uint8_t *next);
int ikei_qm2(struct ikei *i, const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *olen);
int ikei_info(struct ikei *i, const uint8_t *in, size_t len);
int ikei_fail(struct ikei *i, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
