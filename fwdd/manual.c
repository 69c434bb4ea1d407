/*
 * manual.c: static tunnels with manual SAs (ipsec.h): `services ipsec-vpn
 * rule R term T then manual direction (inbound|outbound|bidirectional) {
 * protocol esp; spi N; authentication { algorithm A; key K; } encryption
 * { algorithm A; key K; } }` (aes-128-gcm and aes-256-gcm, RFC 4106: a
 * key of 20 or 36 bytes, the AES key then the salt, and no authentication);
 * `protocol ah` (authentication only) or `protocol bundle` (ESP with the
 * encryption and `auxiliary-spi`, inside AH with the authentication and
 * `spi`: ahsa.c)
 * with the term's and the service set's options (anti-replay-window-size,
 * no-anti-replay, clear-dont-fragment-bit, tunnel-mtu, udp-encapsulate).
 *
 * manual_read() parses a term at prepare (keys decoded: ascii-text and
 * hexadecimal, "$9$" or plain, hexadecimal with or without 0x); what cannot be used is
 * logged with its hierarchy and leaves the term without that SA (its
 * traffic is dropped and counted, never sent in clear).  manual_sync()
 * runs after apply: each manual term of each service set has one tunnel
 * between the local gateway and the term's remote-gateway; a tunnel whose
 * SAs did not change keeps its sequence numbers, replay windows and
 * counters, a changed one is rebuilt, a removed one is freed.  Manual
 * tunnels need no kmd.
 */
#include "ipsec.h"
#include "cfg.h"
#include "crypto/crypto.h"
#include "log.h"
#include "secret9.h"
#include "svc.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

static const struct {
    const char *name;
    uint8_t id, key_len;
} ciphers[] =
    {
        {"des-cbc", FWD_CIPHER_DES_CBC, 8},
        {"3des-cbc", FWD_CIPHER_3DES_CBC, 24},
        {"aes-128-cbc", FWD_CIPHER_AES_CBC, 16},
        {"aes-192-cbc", FWD_CIPHER_AES_CBC, 24},
        {"aes-256-cbc", FWD_CIPHER_AES_CBC, 32},
        /* RFC 4106 8.1: the AES key, then the 4-byte salt */
        {"aes-128-gcm", FWD_CIPHER_AES_GCM_16, 20},
        {"aes-256-gcm", FWD_CIPHER_AES_GCM_16, 36},
},
  auths[] = {
      {"hmac-md5-96", FWD_AUTH_HMAC_MD5_96, 16},
      {"hmac-sha1-96", FWD_AUTH_HMAC_SHA1_96, 20},
      {"hmac-sha-256-128", FWD_AUTH_HMAC_SHA256_128, 32},
};

/* key { ascii-text K | hexadecimal K } into out; its length, or -1. */
static int key_read(const struct cnode *key, uint8_t *out, size_t cap)
{
    const char *a = cfg_value(key, "ascii-text"), *h = cfg_value(key, "hexadecimal");
    uint8_t *bytes;
    size_t n;
    int rc = -1;

    if ((a || h) && secret_key_bytes(a ? a : h, a == NULL, &bytes, &n) == 0) {
        if (n <= cap) {
            memcpy(out, bytes, n);
            rc = (int)n;
        }
        crypto_wipe(bytes, n);
        free(bytes);
    }
    return rc;
}

/* One algorithm and key: 0, or -1 after logging why not. */
static int algo_read(const struct cnode *n, const char *what, int cipher, uint8_t *id, uint8_t *key,
                     uint8_t *key_len, const char *where)
{
    const char *alg = cfg_value(n, "algorithm");
    size_t count = cipher ? sizeof(ciphers) / sizeof(ciphers[0]) : sizeof(auths) / sizeof(auths[0]);
    int len;

    if (alg == NULL) {
        log_warnx("[edit %s] %s: no algorithm (not supported by OpenSG): SA not installed", where,
                  what);
        return -1;
    }
    for (size_t i = 0; i < count; i++) {
        const char *name = cipher ? ciphers[i].name : auths[i].name;
        uint8_t need = cipher ? ciphers[i].key_len : auths[i].key_len;
        if (strcmp(alg, name) != 0)
            continue;
        len = key_read(cfg_child(n, "key"), key, FWD_KEY_MAX);
        if (len != need) {
            log_warnx("[edit %s %s] key: %s needs a key of %u bytes: SA not installed", where, what,
                      alg, need);
            return -1;
        }
        *id = cipher ? ciphers[i].id : auths[i].id;
        *key_len = need;
        return 0;
    }
    log_warnx("[edit %s %s] algorithm %s is not supported by OpenSG yet: SA not installed", where,
              what, alg);
    return -1;
}

/* AES-GCM authenticates by itself (RFC 4106): an authentication algorithm
 * beside it is refused, not silently dropped (the peer may expect one). */
static int gcm_no_auth(const struct cnode *dir, const char *where)
{
    const char *alg = cfg_value(cfg_child(dir, "authentication"), "algorithm");

    if (alg == NULL)
        return 0;
    log_warnx("[edit %s authentication] algorithm %s: AES-GCM has its own integrity check, "
              "remove authentication: SA not installed",
              where, alg);
    return -1;
}

/* protocol (esp by default, ah, bundle) and auxiliary-spi: the protocol,
 * or 0 after logging why the SA cannot be used.  AH authenticates only;
 * a bundle is ESP (encryption, and auxiliary-spi as its SPI) inside AH
 * (authentication, and spi). */
static uint8_t proto_read(const struct cnode *d, uint32_t *aux_spi, const char *where)
{
    const char *proto = cfg_value(d, "protocol"), *aux = cfg_value(d, "auxiliary-spi");

    if (proto == NULL || strcmp(proto, "esp") == 0 || strcmp(proto, "ah") == 0) {
        if (aux)
            log_warnx("[edit %s] auxiliary-spi is used by protocol bundle only: ignored", where);
        if (proto && strcmp(proto, "ah") == 0 && cfg_child(d, "encryption")) {
            log_warnx("[edit %s] encryption: protocol ah does not encrypt (use esp or bundle): "
                      "SA not installed",
                      where);
            return 0;
        }
        return proto && strcmp(proto, "ah") == 0 ? FWD_PROTO_AH : FWD_PROTO_ESP;
    }
    if (strcmp(proto, "bundle") != 0) {
        log_warnx("[edit %s] protocol %s is not supported by OpenSG: SA not installed", where,
                  proto);
        return 0;
    }
    if (aux == NULL) {
        log_warnx("[edit %s] protocol bundle needs auxiliary-spi (the SPI of its ESP): SA not "
                  "installed",
                  where);
        return 0;
    }
    *aux_spi = (uint32_t)strtoul(aux, NULL, 10);
    return FWD_PROTO_BUNDLE;
}

void manual_read(struct ss_term *t, const char *rule, const struct cnode *then)
{
    const struct cnode *man = cfg_child(then, "manual");
    const char *win = cfg_value(then, "anti-replay-window-size");
    const char *mtu = cfg_value(then, "tunnel-mtu");

    t->manual = man != NULL;
    t->no_replay = cfg_flag(then, "no-anti-replay");
    t->clear_df = cfg_flag(then, "clear-dont-fragment-bit");
    t->replay_window = win ? (uint16_t)strtoul(win, NULL, 10) : 0;
    t->tunnel_mtu = mtu ? (uint16_t)strtoul(mtu, NULL, 10) : 0;
    for (const struct cnode *d = cfg_child(man, "direction"); d; d = cfg_next(d)) {
        const char *dir = cfg_key(d), *spi;
        char where[256];
        struct manual_sa m = {0};
        int both = strcmp(dir, "bidirectional") == 0;

        snprintf(where, sizeof(where),
                 "services ipsec-vpn rule %s term %s then manual direction %s", rule, t->name, dir);
        if ((spi = cfg_value(d, "spi")) == NULL) {
            log_warnx("[edit %s] no spi: SA not installed", where);
            continue;
        }
        m.spi = (uint32_t)strtoul(spi, NULL, 10);
        m.proto = proto_read(d, &m.aux_spi, where);
        if (m.proto == 0 ||
            (m.proto != FWD_PROTO_AH && algo_read(cfg_child(d, "encryption"), "encryption", 1,
                                                  &m.cipher, m.ekey, &m.ekey_len, where) < 0) ||
            (m.proto == FWD_PROTO_ESP && m.cipher == FWD_CIPHER_AES_GCM_16
                 ? gcm_no_auth(d, where)
                 : algo_read(cfg_child(d, "authentication"), "authentication", 0, &m.auth, m.akey,
                             &m.akey_len, where)) < 0) {
            crypto_wipe(&m, sizeof(m));
            continue;
        }
        for (int k = 0; k < 2; k++) {
            uint8_t want = k == 0 ? FWD_DIR_IN : FWD_DIR_OUT;
            if ((!both && strcmp(dir, k == 0 ? "inbound" : "outbound") != 0) || t->nman == 2)
                continue;
            m.dir = want;
            t->man[t->nman++] = m;
        }
        crypto_wipe(&m, sizeof(m));
    }
}

void manual_term_free(struct ss_term *t)
{
    crypto_wipe(t->man, sizeof(t->man));
    t->nman = 0;
}

/* The SA requests of a term in service set ss; 0 when it has none usable. */
static size_t term_specs(const struct service_set *ss, const struct ss_rule *r,
                         const struct ss_term *t, struct fwd_sa spec[2])
{
    memset(spec, 0, 2 * sizeof(*spec));
    if (t->nman == 0)
        return 0;
    if (ss->lgw.af != AF_INET || !t->has_rgw || t->rgw.af != AF_INET) {
        log_warnx("[edit services ipsec-vpn rule %s term %s] manual SAs of service-set %s need "
                  "an IPv4 local-gateway and remote-gateway: not installed",
                  r->name, t->name, ss->name);
        return 0;
    }
    for (size_t i = 0; i < t->nman; i++) {
        const struct manual_sa *m = &t->man[i];
        struct fwd_sa *s = &spec[i];
        snprintf(s->service_set, sizeof(s->service_set), "%s", ss->name);
        snprintf(s->inside_unit, sizeof(s->inside_unit), "%s",
                 t->inside[0] ? t->inside : ss->inside_name);
        s->spi = htonl(m->spi);
        s->dir = m->dir;
        s->proto = m->proto;
        s->aux_spi = htonl(m->aux_spi);
        s->encap = ss->udp_port ? FWD_ENCAP_UDP : FWD_ENCAP_NONE;
        s->encap_sport = s->encap_dport = ss->udp_port;
        s->cipher = m->cipher;
        s->auth = m->auth;
        s->cipher_key_len = m->ekey_len;
        s->auth_key_len = m->akey_len;
        memcpy(s->cipher_key, m->ekey, m->ekey_len);
        memcpy(s->auth_key, m->akey, m->akey_len);
        s->no_anti_replay = t->no_replay || ss->no_replay;
        s->replay_window = t->replay_window ? t->replay_window : ss->replay_window;
        memcpy(&s->local, &ss->lgw, sizeof(s->local));
        memcpy(&s->remote, &t->rgw, sizeof(s->remote));
        s->sel.src.af = s->sel.dst.af = AF_INET; /* the term's lists are given aside */
        s->tunnel_mtu = t->tunnel_mtu ? t->tunnel_mtu : ss->tunnel_mtu;
        s->clear_df = t->clear_df || ss->clear_df;
    }
    return t->nman;
}

static int same_sel(const struct sa_sel *a, const struct ss_term *t)
{
    return a->nsrc == t->nsrc && a->ndst == t->ndst &&
           memcmp(a->src, t->src, t->nsrc * sizeof(*t->src)) == 0 &&
           memcmp(a->dst, t->dst, t->ndst * sizeof(*t->dst)) == 0;
}

static struct tunnel *manual_find(struct ss_rt *rt, const char *rule, const char *term)
{
    for (struct tunnel *t = rt->tunnels; t; t = t->next)
        if (t->manual && strcmp(t->rule, rule) == 0 && strcmp(t->term, term) == 0)
            return t;
    return NULL;
}

static void manual_build(struct fwdd *fw, struct ss_rt *rt, const struct ss_rule *r,
                         const struct ss_term *term, const struct fwd_sa *spec, size_t n)
{
    struct tunnel *t = calloc(1, sizeof(*t));
    struct sa_sel sel = {term->src, term->dst, term->nsrc, term->ndst, 0, 0, 0};

    if (t == NULL || (t->spec = calloc(n, sizeof(*spec))) == NULL)
        fatal("calloc");
    t->rt = rt;
    t->manual = 1;
    t->seen = 1;
    t->index = ++ipsec_get(fw)->next_manual;
    svc_tunnel_owner(fw, t);
    if ((t->rule = strdup(r->name)) == NULL || (t->term = strdup(term->name)) == NULL)
        fatal("strdup");
    snprintf(t->inside, sizeof(t->inside), "%s",
             term->inside[0] ? term->inside : rt->ss->inside_name);
    memcpy(&t->local, &spec[0].local, sizeof(t->local));
    memcpy(&t->remote, &spec[0].remote, sizeof(t->remote));
    t->local.plen = t->remote.plen = 32;
    memcpy(t->spec, spec, n * sizeof(*spec));
    t->nspec = n;
    t->msel = sel;
    t->msel.src = calloc(term->nsrc + 1, sizeof(*term->src));
    t->msel.dst = calloc(term->ndst + 1, sizeof(*term->dst));
    if (t->msel.src == NULL || t->msel.dst == NULL)
        fatal("calloc");
    memcpy(t->msel.src, term->src, term->nsrc * sizeof(*term->src));
    memcpy(t->msel.dst, term->dst, term->ndst * sizeof(*term->dst));
    tunnel_link(fw, t);
    for (size_t i = 0; i < n; i++) {
        const struct service_set *ss = rt->ss;
        uint32_t spi = ntohl(spec[i].spi);
        char msg[160];
        int ok = sa_check(&spec[i], msg, sizeof(msg)) == FWD_OK;

        if (ok && spec[i].dir == FWD_DIR_IN &&
            sa_lookup_in(fw, spi, ss->lgw_inst, addr_v4(&ss->lgw)) != NULL) {
            snprintf(msg, sizeof(msg), "SPI %u is already in use", spi);
            ok = 0;
        }
        if (ok && sa_add(fw, t, &spec[i], &sel, msg, sizeof(msg)) == NULL)
            ok = 0;
        if (!ok)
            log_warnx("[edit services ipsec-vpn rule %s term %s] service-set %s: %s SA not "
                      "installed: %s",
                      r->name, term->name, rt->name,
                      spec[i].dir == FWD_DIR_IN ? "inbound" : "outbound", msg);
    }
    log_info("service-set %s: manual tunnel %u (rule %s term %s) installed", rt->name, t->index,
             r->name, term->name);
}

void manual_sync(struct fwdd *fw)
{
    const struct svc *s = fw->cur ? fw->cur->svc : NULL;

    for (struct ss_rt *rt = fw->ssrt; rt; rt = rt->next)
        for (struct tunnel *t = rt->tunnels; t; t = t->next)
            t->seen = 0;
    for (size_t i = 0; s && i < s->nsets; i++) {
        const struct service_set *ss = &s->sets[i];
        for (size_t k = 0; k < ss->nrules; k++) {
            const struct ss_rule *r = ss->rules[k];
            for (size_t j = 0; j < r->nterms; j++) {
                const struct ss_term *term = &r->terms[j];
                struct fwd_sa spec[2];
                size_t n = term_specs(ss, r, term, spec);
                struct tunnel *t = n ? manual_find(ss->rt, r->name, term->name) : NULL;
                if (t && t->seen == 0 && t->nspec == n &&
                    memcmp(t->spec, spec, n * sizeof(*spec)) == 0 && same_sel(&t->msel, term))
                    t->seen = 1; /* unchanged: keeps its state */
                else if (n && (t == NULL || t->seen == 0)) {
                    if (t)
                        tunnel_free(fw, t, 0);
                    manual_build(fw, ss->rt, r, term, spec, n);
                }
                crypto_wipe(spec, sizeof(spec));
            }
        }
    }
    for (struct ss_rt *rt = fw->ssrt; rt; rt = rt->next)
        for (struct tunnel *t = rt->tunnels, *next; t; t = next) {
            next = t->next;
            if (t->manual && !t->seen) {
                log_info("service-set %s: manual tunnel %u (rule %s term %s) removed", rt->name,
                         t->index, t->rule, t->term);
                tunnel_free(fw, t, 0);
            }
        }
}
