/*
 * ahsa.c: AH SAs (RFC 4302, tunnel mode) and AH+ESP bundles (Junos
 * `protocol bundle`: ESP in tunnel mode, AH over the outer header) for
 * sa.c: the checks of a request and the transforms.
 *
 * A bundle is one struct ipsec_sa of protocol AH (the SPI kmd and the
 * configuration name, in the SPI hash, in the tunnel's list, with the
 * lifetimes) owning the ESP SA inside it (sa->esp: aux_spi, the cipher;
 * not hashed, so ESP with that SPI arriving without its AH finds no SA).
 * The ESP SA has no integrity of its own unless it is AES-GCM: AH
 * authenticates the whole ESP packet (RFC 4301 4.4.1.2 allows
 * confidentiality-only ESP paired with AH; fwdd refuses it alone).  Each
 * keeps its own sequence numbers, anti-replay window and counters; both
 * windows and transforms are used by the worker of the PIC owning the
 * tunnel, in the same job (pic.h), and both sequence numbers are assigned
 * by the main thread.
 */
#include "ipsec.h"
#include "crypto/ah.h"
#include "log.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int ah_sa_check(const struct fwd_sa *s, char *msg, size_t msglen)
{
    enum crypto_cipher c;
    enum esp_integ i;
    int r, gcm;

    if (s->encap != FWD_ENCAP_NONE) {
        snprintf(msg, msglen, "AH with NAT-T (UDP encapsulation) is not supported by fwdd");
        return FWD_ERR_UNSUPPORTED;
    }
    if (s->auth == FWD_AUTH_NONE) {
        snprintf(msg, msglen, "AH needs an integrity algorithm");
        return FWD_ERR_INVALID;
    }
    if ((r = sa_integ_of(s, &i)) < 0) {
        snprintf(msg, msglen, "integrity algorithm %u is not supported by fwdd", s->auth);
        return FWD_ERR_UNSUPPORTED;
    }
    if (r == 0 || s->auth_key_len > FWD_KEY_MAX) {
        snprintf(msg, msglen, "integrity algorithm %u: key of %u bytes", s->auth, s->auth_key_len);
        return FWD_ERR_INVALID;
    }
    if (s->proto == FWD_PROTO_AH) {
        if (s->cipher == FWD_CIPHER_NULL && s->cipher_key_len == 0 && s->aux_spi == 0)
            return FWD_OK;
        snprintf(msg, msglen, "AH takes no cipher and no second SPI");
        return FWD_ERR_INVALID;
    }
    if (ntohl(s->aux_spi) < 256) { /* RFC 4303 2.1: 1..255 are reserved */
        snprintf(msg, msglen, "bundle: ESP SPI %u", ntohl(s->aux_spi));
        return FWD_ERR_INVALID;
    }
    if (s->cipher == FWD_CIPHER_NULL || (r = sa_cipher_of(s, &c, &gcm)) < 0) {
        snprintf(msg, msglen, "bundle: cipher %u is not supported by fwdd", s->cipher);
        return FWD_ERR_UNSUPPORTED;
    }
    if (r == 0 || s->cipher_key_len > FWD_KEY_MAX) {
        snprintf(msg, msglen, "cipher %u: key of %u bytes", s->cipher, s->cipher_key_len);
        return FWD_ERR_INVALID;
    }
    if (!crypto_cipher_available(c)) {
        snprintf(msg, msglen, "%s is not available in this OpenSSL", crypto_cipher_name(c));
        return FWD_ERR_UNSUPPORTED;
    }
    return FWD_OK;
}

/* The bundle's ESP SA: sa's copy with the ESP SPI and transform.  Its
 * selectors are sa's (shared, freed with sa); no lifetimes (sa's count). */
static struct ipsec_sa *bundle_esp(const struct ipsec_sa *sa, const struct fwd_sa *s, char *msg,
                                   size_t msglen)
{
    enum esp_dir dir = s->dir == FWD_DIR_OUT ? ESP_OUTBOUND : ESP_INBOUND;
    enum crypto_cipher c = CRYPTO_CIPHER_AES128_CBC;
    struct ipsec_sa *e = malloc(sizeof(*e));
    int gcm;

    if (e == NULL)
        fatal("malloc");
    sa_cipher_of(s, &c, &gcm);
    *e = *sa;
    e->proto = FWD_PROTO_ESP;
    e->spi = ntohl(s->aux_spi);
    e->cipher = s->cipher;
    e->auth = FWD_AUTH_NONE;
    e->ah = NULL;
    e->esp = NULL;
    e->tnext = NULL;
    e->soft_bytes = e->hard_bytes = 0;
    e->soft_seconds = e->hard_seconds = 0;
    e->win = e->win_bits == 64 ? &e->win1 : calloc(e->win_bits / 64, sizeof(*e->win));
    if (e->win == NULL)
        fatal("calloc");
    e->xf = gcm ? esp_xform_new_gcm(dir, s->cipher_key, s->cipher_key_len)
                : esp_xform_new_cipher_only(dir, c, s->cipher_key, s->cipher_key_len);
    if (e->xf == NULL) {
        snprintf(msg, msglen, "ESP transform: %s", crypto_strerror());
        if (e->win != &e->win1)
            free(e->win);
        free(e);
        return NULL;
    }
    e->iv_len = esp_xform_iv_len(e->xf);
    e->icv_len = esp_xform_icv_len(e->xf);
    e->block = esp_xform_block_len(e->xf);
    e->xf_lines = (uint16_t)((esp_xform_hot_len(e->xf) + 63) / 64);
    return e;
}

int ah_sa_init(struct ipsec_sa *sa, const struct fwd_sa *s, char *msg, size_t msglen)
{
    enum esp_integ i = ESP_INTEG_HMAC_SHA1_96;

    sa_integ_of(s, &i);
    sa->proto = FWD_PROTO_AH;
    sa->cipher = FWD_CIPHER_NULL;
    if ((sa->ah = ah_xform_new(i, s->auth_key, s->auth_key_len)) == NULL) {
        snprintf(msg, msglen, "AH transform: %s", crypto_strerror());
        return -1;
    }
    sa->icv_len = ah_xform_icv_len(sa->ah);
    sa->xf_lines = (uint16_t)((ah_xform_size(sa->ah) + 63) / 64);
    if (s->proto == FWD_PROTO_BUNDLE && (sa->esp = bundle_esp(sa, s, msg, msglen)) == NULL) {
        ah_xform_free(sa->ah);
        sa->ah = NULL;
        return -1;
    }
    return 0;
}

void ah_sa_free(struct ipsec_sa *sa)
{
    struct ipsec_sa *e = sa->esp;

    ah_xform_free(sa->ah);
    sa->ah = NULL;
    if (e) {
        esp_xform_free(e->xf);
        if (e->win != &e->win1)
            free(e->win);
        free(e);
        sa->esp = NULL;
    }
}

size_t ah_sa_size(const struct ipsec_sa *sa)
{
    const struct ipsec_sa *e = sa->esp;

    return (sa->ah ? ah_xform_size(sa->ah) : 0) +
           (e ? sizeof(*e) + (e->win != &e->win1 ? e->win_bits / 8 : 0) + esp_xform_size(e->xf)
              : 0);
}
