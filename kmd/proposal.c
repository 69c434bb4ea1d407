/*
 * proposal.c: proposal selection.  Phase 1 (MM1) against the proposals
 * of the governing ike-policy, or the implicit dynamic-peer proposal of
 * the seed's table 1 (pre-shared keys; group1, 2, 5, 14; sha1, md5,
 * sha-256; 3des-cbc, des-cbc, aes-128/192/256; 3600 s); phase 2 (QM1)
 * against the access profile's ipsec-policy or the implicit one (esp;
 * hmac-sha1-96, hmac-md5-96; the same ciphers; 28,800 s), PFS as the
 * policy asks.  The peer's order is the preference: the first of its
 * transforms that kmd accepts wins.  AES-GCM with a 16-octet ICV (RFC
 * 4106: ESP_AES-GCM_16, a key length, no integrity algorithm; KEYMAT of
 * the key and a 4-byte salt) is accepted when a configured proposal allows
 * it (aes-128-gcm, aes-192-gcm, aes-256-gcm, without an
 * authentication-algorithm), never by the implicit proposal.  AH (RFC
 * 4302: AH_MD5, AH_SHA, AH_SHA2-256) and AH+ESP bundles (one proposal
 * number, an AH and an ESP protocol: RFC 2408 4.2) only when a configured
 * proposal says `protocol ah` or `protocol bundle`: a bundle's ESP has no
 * integrity algorithm of its own (AH authenticates; fwdd's bundles) unless
 * it is AES-GCM.  GCM with a shorter ICV, CCM and GMAC are refused until
 * fwdd implements them.  An empty statement in a configured proposal accepts
 * every value kmd supports.  Called by main_mode.c and quick_mode.c.
 */
#include "ike.h"

#include <stdio.h>
#include <string.h>

static const char *const implicit_p1_groups[] = {"group1", "group2", "group5", "group14"};
static const char *const implicit_p1_hashes[] = {"sha1", "md5", "sha-256"};
static const char *const implicit_ciphers[] = {"3des-cbc", "des-cbc", "aes-128-cbc", "aes-192-cbc",
                                               "aes-256-cbc"};
static const char *const implicit_p2_auths[] = {"hmac-sha1-96", "hmac-md5-96"};

static bool in_list(const char *const *list, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], v) == 0)
            return true;
    return false;
}
#define IN(list, v) in_list(list, sizeof(list) / sizeof(list[0]), v)

/* A configured value: "" accepts anything supported. */
static bool conf_ok(const char *conf, const char *v)
{
    return conf[0] == '\0' || strcmp(conf, v) == 0;
}

static void keep_attr(struct kmd_attr *out, unsigned *n, const struct msg_attr *a)
{
    struct kmd_attr *k;

    if (*n >= KMD_MAX_XATTRS)
        return;
    k = &out[(*n)++];
    memset(k, 0, sizeof(*k));
    k->type = a->type;
    k->tv = a->tv;
    if (a->tv) {
        k->value = (uint16_t)a->value;
    } else {
        k->len = (uint8_t)a->len;
        memcpy(k->data, a->data, a->len);
    }
}

void attrs_echo(struct msg_builder *b, const struct kmd_attr *a, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        if (a[i].tv)
            mb_attr_tv(b, a[i].type, a[i].value);
        else
            mb_attr_tlv(b, a[i].type, a[i].data, a[i].len);
    }
}

static const char *cipher_word(unsigned isakmp_enc_or_esp, bool esp, unsigned keylen,
                               enum crypto_cipher *c)
{
    unsigned des = esp ? ISAKMP_ESP_DES : ISAKMP_ENC_DES_CBC;
    unsigned tdes = esp ? ISAKMP_ESP_3DES : ISAKMP_ENC_3DES_CBC;
    unsigned aes = esp ? ISAKMP_ESP_AES : ISAKMP_ENC_AES_CBC;

    if (isakmp_enc_or_esp == des && keylen == 0) {
        *c = CRYPTO_CIPHER_DES_CBC;
        return crypto_cipher_available(*c) ? "des-cbc" : NULL;
    }
    if (isakmp_enc_or_esp == tdes && keylen == 0) {
        *c = CRYPTO_CIPHER_3DES_CBC;
        return "3des-cbc";
    }
    if (isakmp_enc_or_esp == aes) {
        switch (keylen) {
        case 128:
            *c = CRYPTO_CIPHER_AES128_CBC;
            return "aes-128-cbc";
        case 192:
            *c = CRYPTO_CIPHER_AES192_CBC;
            return "aes-192-cbc";
        case 256:
            *c = CRYPTO_CIPHER_AES256_CBC;
            return "aes-256-cbc";
        }
    }
    return NULL;
}

static const char *hash_word(unsigned id, enum crypto_hash *h)
{
    switch (id) {
    case ISAKMP_HASH_MD5:
        *h = CRYPTO_HASH_MD5;
        return "md5";
    case ISAKMP_HASH_SHA:
        *h = CRYPTO_HASH_SHA1;
        return "sha1";
    case ISAKMP_HASH_SHA2_256:
        *h = CRYPTO_HASH_SHA256;
        return "sha-256";
    case ISAKMP_HASH_SHA2_384:
        *h = CRYPTO_HASH_SHA384;
        return "sha-384";
    }
    return NULL;
}

/* ---- phase 1 ---- */

/* Reads one KEY_IKE transform; 0, or -1 with why. */
static int p1_read(const struct msg *m, const struct msg_transform *t, struct p1_choice *c,
                   char *why, size_t wl)
{
    unsigned auth = 0, life_type = 0;

    memset(c, 0, sizeof(*c));
    for (unsigned i = 0; i < t->nattrs; i++) {
        const struct msg_attr *a = msg_xform_attr_at(m, t, i);
        unsigned v = a->value_ok && a->value <= 0xffffffffu ? (unsigned)a->value : 0;
        if (!a->tv && (!a->value_ok || a->len > 8)) {
            snprintf(why, wl, "attribute %u of %u bytes", a->type, a->len);
            return -1;
        }
        keep_attr(c->attrs, &c->nattrs, a);
        switch (a->type) {
        case ISAKMP_A1_ENC:
            c->enc_id = (uint16_t)v;
            break;
        case ISAKMP_A1_KEY_LENGTH:
            c->keylen = v;
            break;
        case ISAKMP_A1_HASH:
            c->hash_id = (uint16_t)v;
            break;
        case ISAKMP_A1_AUTH:
            auth = v;
            break;
        case ISAKMP_A1_GROUP:
            c->group_id = (uint16_t)v;
            break;
        case ISAKMP_A1_LIFE_TYPE:
            life_type = v;
            break;
        case ISAKMP_A1_LIFE_DURATION:
            if (life_type == ISAKMP_LIFE_SECONDS)
                c->life = v;
            break;
        default:
            snprintf(why, wl, "unsupported attribute %s",
                     isakmp_p1_attr_name(a->type) ? isakmp_p1_attr_name(a->type) : "unknown");
            return -1;
        }
    }
    if (auth != ISAKMP_AUTH_PSK) {
        char b[32];
        snprintf(why, wl, "authentication method %s (pre-shared keys only)",
                 isakmp_fmt(b, sizeof(b), isakmp_p1_value_name(ISAKMP_A1_AUTH, auth), auth));
        return -1;
    }
    return 0;
}

int p1_choose(const struct kmd_ike_policy *pol, const struct msg *m, const struct msg_sa *sa,
              struct p1_choice *out, char *why, size_t wl)
{
    struct p1_choice c;
    char offered[160] = "", reason[96] = "";
    size_t olen = 0;

    for (unsigned pi = 0; pi < sa->nprops; pi++) {
        const struct msg_proposal *p = msg_sa_prop(m, sa, pi);
        if (p->proto != ISAKMP_PROTO_ISAKMP)
            continue;
        for (unsigned ti = 0; ti < p->nxforms; ti++) {
            const struct msg_transform *t = msg_prop_xform(m, p, ti);
            const char *enc, *hash;
            char group[16];
            uint32_t conf_life = 0;
            bool ok = false;
            if (t->id != ISAKMP_XF_KEY_IKE || p1_read(m, t, &c, reason, sizeof(reason)) < 0) {
                if (!reason[0])
                    snprintf(reason, sizeof(reason), "transform id %u", t->id);
                continue;
            }
            enc = cipher_word(c.enc_id, false, c.keylen, &c.cipher);
            hash = hash_word(c.hash_id, &c.hash);
            c.group = dh_group_find(c.group_id);
            snprintf(group, sizeof(group), "group%u", c.group_id);
            if (olen < sizeof(offered) - 64)
                olen +=
                    (size_t)snprintf(offered + olen, sizeof(offered) - olen, "%s%s/%s/%s",
                                     olen ? ", " : "", enc ? enc : "?", hash ? hash : "?", group);
            if (enc == NULL || hash == NULL || c.group == NULL)
                continue;
            if (pol && pol->nproposals) {
                for (size_t k = 0; k < pol->nproposals && !ok; k++) {
                    const struct kmd_ike_proposal *cp = pol->proposals[k];
                    ok = conf_ok(cp->enc_alg, enc) && conf_ok(cp->auth_alg, hash) &&
                         conf_ok(cp->dh_group, group) &&
                         (cp->auth_method[0] == '\0' ||
                          strcmp(cp->auth_method, "pre-shared-keys") == 0);
                    if (ok)
                        conf_life = cp->lifetime;
                }
            } else {
                ok = IN(implicit_ciphers, enc) && IN(implicit_p1_hashes, hash) &&
                     IN(implicit_p1_groups, group);
            }
            if (!ok)
                continue;
            if (conf_life == 0)
                conf_life = KMD_DEFAULT_P1_LIFE;
            c.lifetime = c.life && c.life < conf_life ? c.life : conf_life;
            c.prop_num = p->num;
            c.xform_num = t->num;
            *out = c;
            return 0;
        }
    }
    snprintf(why, wl, "peer offered %s%s%s%s; %s%s allows none of them",
             offered[0] ? offered : "nothing usable", reason[0] ? " (" : "", reason,
             reason[0] ? ")" : "", pol && pol->nproposals ? "ike-policy " : "the implicit proposal",
             pol && pol->nproposals ? pol->name : "");
    return -1;
}

/* ---- phase 2 ---- */

static const char *auth_word(unsigned aalg, uint8_t *fwd, size_t *klen)
{
    switch (aalg) {
    case ISAKMP_AALG_HMAC_MD5:
        *fwd = FWD_AUTH_HMAC_MD5_96;
        *klen = 16;
        return "hmac-md5-96";
    case ISAKMP_AALG_HMAC_SHA:
        *fwd = FWD_AUTH_HMAC_SHA1_96;
        *klen = 20;
        return "hmac-sha1-96";
    case ISAKMP_AALG_HMAC_SHA2_256:
        *fwd = FWD_AUTH_HMAC_SHA256_128;
        *klen = 32;
        return "hmac-sha-256-128";
    }
    return NULL;
}

const char *p2_proto_word(uint8_t fwd_proto)
{
    return fwd_proto == FWD_PROTO_AH ? "ah" : fwd_proto == FWD_PROTO_BUNDLE ? "bundle" : "esp";
}

void p2_sa_of(const struct p2_choice *c, struct p2_sa *s)
{
    memset(s, 0, sizeof(*s));
    s->fwd_proto = c->fwd_proto;
    s->nprotos = (uint8_t)c->nprotos;
    for (unsigned i = 0; i < c->nprotos && i < 2; i++)
        s->proto[i] = c->p[i].proto;
    memcpy(s->peer_spi, c->p[0].peer_spi, sizeof(s->peer_spi));
    s->fwd_cipher = c->fwd_cipher;
    s->fwd_auth = c->fwd_auth;
    s->ekey_len = (uint8_t)c->ekey_len; /* <= FWD_KEY_MAX */
    s->akey_len = (uint8_t)c->akey_len;
    s->responder_lifetime = c->responder_lifetime;
    s->aalg = c->aalg;
    s->encap = c->encap;
    s->cipher = c->cipher;
    s->keylen = c->keylen;
    s->pfs = c->pfs;
    s->peer_life = c->peer_life;
    s->lifetime = c->lifetime;
    s->peer_kb = c->peer_kb;
    s->enc_name = c->enc_name;
    s->auth_name = c->auth_name;
}

/* "esp aes-128-cbc/hmac-sha1-96", "ah hmac-sha1-96", "bundle
 * aes-128-cbc/hmac-sha1-96" (ESP's cipher, AH's integrity). */
static void p2_describe(const struct p2_choice *c, char *buf, size_t len)
{
    if (c->fwd_proto == FWD_PROTO_AH)
        snprintf(buf, len, "ah %s", c->auth_name);
    else
        snprintf(buf, len, "%s %s/%s", p2_proto_word(c->fwd_proto), c->enc_name, c->auth_name);
}

/* A CBC cipher with an HMAC (without one in a bundle: AH authenticates);
 * 0, or -1 with why. */
static int cbc_read(unsigned esp_id, bool bundle, struct p2_choice *c, char *why, size_t wl)
{
    c->enc_name = cipher_word(esp_id, true, c->keylen, &c->cipher);
    if (c->enc_name == NULL) {
        char b[32];
        snprintf(
            why, wl, "cipher %s (key length %u)",
            isakmp_fmt(b, sizeof(b), isakmp_xform_name(ISAKMP_PROTO_IPSEC_ESP, esp_id), esp_id),
            c->keylen);
        return -1;
    }
    if (bundle && c->aalg != 0) {
        snprintf(why, wl,
                 "ESP with integrity algorithm %u in an AH+ESP bundle (AH authenticates: "
                 "ESP has no integrity algorithm there)",
                 c->aalg);
        return -1;
    }
    if (bundle) {
        c->auth_name = "none";
        c->fwd_auth = FWD_AUTH_NONE;
        c->akey_len = 0;
    } else if ((c->auth_name = auth_word(c->aalg, &c->fwd_auth, &c->akey_len)) == NULL) {
        snprintf(why, wl,
                 "integrity algorithm %u (ESP needs hmac-sha1-96, hmac-md5-96 or "
                 "hmac-sha-256-128)",
                 c->aalg);
        return -1;
    }
    c->fwd_cipher = c->cipher == CRYPTO_CIPHER_DES_CBC    ? FWD_CIPHER_DES_CBC
                    : c->cipher == CRYPTO_CIPHER_3DES_CBC ? FWD_CIPHER_3DES_CBC
                                                          : FWD_CIPHER_AES_CBC;
    c->ekey_len = crypto_cipher_key_len(c->cipher);
    return 0;
}

/* ESP_AES-GCM_16 (RFC 4106): the key length attribute is mandatory (8.4),
 * the ICV is GCM's own, so no integrity algorithm may come with it; the
 * KEYMAT is the key and a 4-byte salt (8.1).  c->cipher is the AES-CBC of
 * the same key size (kmd only keys IKE with it); fwd_cipher says GCM. */
static int gcm_read(struct p2_choice *c, char *why, size_t wl)
{
    static const char *const names[] = {"aes-128-gcm", "aes-192-gcm", "aes-256-gcm"};

    if (c->keylen != 128 && c->keylen != 192 && c->keylen != 256) {
        snprintf(why, wl, "ESP_AES-GCM_16 with key length %u (128, 192 or 256)", c->keylen);
        return -1;
    }
    if (c->aalg != 0) {
        snprintf(why, wl, "ESP_AES-GCM_16 with integrity algorithm %u (GCM is its own)", c->aalg);
        return -1;
    }
    c->enc_name = names[(c->keylen - 128) / 64];
    c->auth_name = "none";
    c->cipher = c->keylen == 128   ? CRYPTO_CIPHER_AES128_CBC
                : c->keylen == 192 ? CRYPTO_CIPHER_AES192_CBC
                                   : CRYPTO_CIPHER_AES256_CBC;
    c->fwd_cipher = FWD_CIPHER_AES_GCM_16;
    c->ekey_len = c->keylen / 8 + 4;
    c->fwd_auth = FWD_AUTH_NONE;
    c->akey_len = 0;
    return 0;
}

/* The attributes of one ESP or AH transform (RFC 2407 4.5), kept in
 * c->p[0] for the echo with the proposal's numbers and SPI; 0, or -1. */
static int xf_read(const struct msg *m, const struct msg_proposal *p, const struct msg_transform *t,
                   struct p2_choice *c, char *why, size_t wl)
{
    struct p2_proto *pp = &c->p[0];
    unsigned life_type = 0, group = 0;

    memset(c, 0, sizeof(*c));
    c->nprotos = 1;
    pp->proto = p->proto;
    pp->prop_num = p->num;
    pp->xform_num = t->num;
    pp->id = t->id;
    memcpy(pp->peer_spi, p->spi, 4);
    c->encap = ISAKMP_ENCAP_TUNNEL;
    for (unsigned i = 0; i < t->nattrs; i++) {
        const struct msg_attr *a = msg_xform_attr_at(m, t, i);
        uint64_t v = a->value_ok ? a->value : 0;
        if (!a->tv && (!a->value_ok || a->len > 8)) {
            snprintf(why, wl, "attribute %u of %u bytes", a->type, a->len);
            return -1;
        }
        keep_attr(pp->attrs, &pp->nattrs, a);
        switch (a->type) {
        case ISAKMP_A2_LIFE_TYPE:
            life_type = (unsigned)v;
            break;
        case ISAKMP_A2_LIFE_DURATION:
            if (life_type == ISAKMP_LIFE_SECONDS)
                c->peer_life = v > 0xffffffffu ? 0xffffffffu : (uint32_t)v;
            else if (life_type == ISAKMP_LIFE_KILOBYTES)
                c->peer_kb = v;
            break;
        case ISAKMP_A2_GROUP:
            group = (unsigned)v;
            break;
        case ISAKMP_A2_ENCAP:
            c->encap = (uint16_t)v;
            break;
        case ISAKMP_A2_AUTH:
            c->aalg = (uint16_t)v;
            break;
        case ISAKMP_A2_KEY_LENGTH:
            c->keylen = (unsigned)v;
            break;
        default:
            snprintf(why, wl, "unsupported attribute %s",
                     isakmp_p2_attr_name(a->type) ? isakmp_p2_attr_name(a->type) : "unknown");
            return -1;
        }
    }
    if (group && (c->pfs = dh_group_find(group)) == NULL) {
        snprintf(why, wl, "PFS group %u not supported", group);
        return -1;
    }
    return 0;
}

/* One ESP transform (in a bundle: without integrity unless GCM). */
static int esp_read(const struct msg *m, const struct msg_proposal *p,
                    const struct msg_transform *t, bool natt, bool bundle, struct p2_choice *c,
                    char *why, size_t wl)
{
    if (xf_read(m, p, t, c, why, wl) < 0)
        return -1;
    c->fwd_proto = FWD_PROTO_ESP;
    if (t->id == ISAKMP_ESP_AES_GCM_16) {
        if (gcm_read(c, why, wl) < 0)
            return -1;
    } else if (t->id >= ISAKMP_ESP_AES_CCM_8 && t->id <= ISAKMP_ESP_NULL_AUTH_AES_GMAC) {
        char b[32];
        snprintf(why, wl, "%s is not supported by fwdd (AES-GCM with a 16-octet ICV is)",
                 isakmp_fmt(b, sizeof(b), isakmp_xform_name(ISAKMP_PROTO_IPSEC_ESP, t->id), t->id));
        return -1;
    } else if (cbc_read(t->id, bundle, c, why, wl) < 0) {
        return -1;
    }
    if (c->encap != ISAKMP_ENCAP_TUNNEL && !(c->encap == ISAKMP_ENCAP_UDP_TUNNEL && natt)) {
        snprintf(why, wl, "encapsulation mode %u (tunnel, or UDP tunnel behind NAT, only)",
                 c->encap);
        return -1;
    }
    return 0;
}

/* One AH transform (RFC 2407 4.4.3, 4.5): the transform names the
 * integrity algorithm, the Authentication Algorithm attribute must agree
 * (taken from the transform when absent); tunnel mode, never across a
 * NAT (RFC 3948 has no AH). */
static int ah_read(const struct msg *m, const struct msg_proposal *p, const struct msg_transform *t,
                   bool natt, struct p2_choice *c, char *why, size_t wl)
{
    uint16_t aalg = t->id == ISAKMP_AH_MD5        ? ISAKMP_AALG_HMAC_MD5
                    : t->id == ISAKMP_AH_SHA      ? ISAKMP_AALG_HMAC_SHA
                    : t->id == ISAKMP_AH_SHA2_256 ? ISAKMP_AALG_HMAC_SHA2_256
                                                  : 0;
    char b[32];

    if (xf_read(m, p, t, c, why, wl) < 0)
        return -1;
    c->fwd_proto = FWD_PROTO_AH;
    if (aalg == 0) {
        snprintf(why, wl, "%s (AH needs AH_MD5, AH_SHA or AH_SHA2-256)",
                 isakmp_fmt(b, sizeof(b), isakmp_xform_name(ISAKMP_PROTO_IPSEC_AH, t->id), t->id));
        return -1;
    }
    if (c->aalg != 0 && c->aalg != aalg) {
        snprintf(why, wl, "AH transform %u with authentication algorithm %u", t->id, c->aalg);
        return -1;
    }
    c->aalg = aalg;
    c->auth_name = auth_word(aalg, &c->fwd_auth, &c->akey_len);
    c->enc_name = "none";
    c->fwd_cipher = FWD_CIPHER_NULL;
    if (c->encap != ISAKMP_ENCAP_TUNNEL || natt) {
        snprintf(why, wl, "AH %s (AH cannot cross a NAT: tunnel mode without NAT only)",
                 natt ? "with a NAT detected" : "in an encapsulation mode other than tunnel");
        return -1;
    }
    return 0;
}

static uint64_t min_set(uint64_t a, uint64_t b)
{
    return a && (b == 0 || a < b) ? a : b;
}

/* A bundle from its AH and ESP halves: AH's integrity, ESP's cipher, the
 * protocols in the peer's order; one PFS group, the shorter lifetimes. */
static int bundle_of(const struct p2_choice *ah, const struct p2_choice *esp, bool ah_first,
                     struct p2_choice *c, char *why, size_t wl)
{
    if (ah->pfs && esp->pfs && ah->pfs != esp->pfs) {
        snprintf(why, wl, "AH and ESP offer different PFS groups (%u, %u)", ah->pfs->id,
                 esp->pfs->id);
        return -1;
    }
    *c = *esp;
    c->fwd_proto = FWD_PROTO_BUNDLE;
    c->nprotos = 2;
    c->p[ah_first ? 0 : 1] = ah->p[0];
    c->p[ah_first ? 1 : 0] = esp->p[0];
    c->aalg = ah->aalg;
    c->fwd_auth = ah->fwd_auth;
    c->akey_len = ah->akey_len;
    c->auth_name = ah->auth_name;
    c->pfs = ah->pfs ? ah->pfs : esp->pfs;
    c->peer_life = (uint32_t)min_set(ah->peer_life, esp->peer_life);
    c->peer_kb = min_set(ah->peer_kb, esp->peer_kb);
    return 0;
}

/* Does configured proposal cp allow c?  Its protocol (esp by default) must
 * be c's; `encryption-algorithm` names ESP's cipher (none for AH),
 * `authentication-algorithm` ESP's integrity or AH's. */
static bool conf_p2_ok(const struct kmd_ipsec_proposal *cp, const struct p2_choice *c)
{
    if (strcmp(cp->protocol[0] ? cp->protocol : "esp", p2_proto_word(c->fwd_proto)) != 0)
        return false;
    if (c->fwd_proto == FWD_PROTO_AH)
        return cp->enc_alg[0] == '\0' && conf_ok(cp->auth_alg, c->auth_name);
    return conf_ok(cp->enc_alg, c->enc_name) && conf_ok(cp->auth_alg, c->auth_name);
}

/* The combination of AH transform ai and ESP transform ei of one offer
 * (either protocol may be absent); 0, -1 with why, or -2 when why is the
 * PFS verdict (it replaces earlier reasons). */
static int p2_try(const struct kmd_ipsec_policy *pol, bool natt, const struct msg *m,
                  const struct msg_proposal *ah, unsigned ai, const struct msg_proposal *esp,
                  unsigned ei, bool ah_first, struct p2_choice *c, char *why, size_t wl)
{
    struct p2_choice a, e;
    char group[16] = "", d[96];
    uint32_t conf_life = 0;
    bool ok = false;

    if (ah && ah_read(m, ah, msg_prop_xform(m, ah, ai), natt, &a, why, wl) < 0)
        return -1;
    if (esp && esp_read(m, esp, msg_prop_xform(m, esp, ei), natt, ah != NULL, &e, why, wl) < 0)
        return -1;
    if (ah && esp) {
        if (bundle_of(&a, &e, ah_first, c, why, wl) < 0)
            return -1;
    } else {
        *c = ah ? a : e;
    }
    if (c->pfs)
        snprintf(group, sizeof(group), "group%u", c->pfs->id);
    if (pol && pol->pfs_group[0] && strcmp(pol->pfs_group, group) != 0) {
        snprintf(why, wl, "PFS %s required by ipsec-policy %s but %s%s", pol->pfs_group, pol->name,
                 group[0] ? "offered " : "not offered", group);
        return -2;
    }
    if (pol && pol->nproposals) {
        for (size_t k = 0; k < pol->nproposals && !ok; k++) {
            ok = conf_p2_ok(pol->proposals[k], c);
            if (ok)
                conf_life = pol->proposals[k]->lifetime;
        }
    } else {
        ok = c->fwd_proto == FWD_PROTO_ESP && IN(implicit_ciphers, c->enc_name) &&
             IN(implicit_p2_auths, c->auth_name);
    }
    if (!ok) {
        p2_describe(c, d, sizeof(d));
        snprintf(why, wl, "%s not allowed by %s%s", d,
                 pol && pol->nproposals ? "ipsec-policy " : "the implicit proposal",
                 pol && pol->nproposals ? pol->name : "");
        return -1;
    }
    if (conf_life == 0)
        conf_life = KMD_DEFAULT_P2_LIFE;
    c->lifetime = c->peer_life && c->peer_life < conf_life ? c->peer_life : conf_life;
    c->responder_lifetime = c->peer_life > conf_life;
    return 0;
}

int p2_choose(const struct kmd_ipsec_policy *pol, bool natt, const struct msg *m,
              const struct msg_sa *sa, struct p2_choice *out, char *why, size_t wl)
{
    char reason[256] = "";

    for (unsigned g = 0; g < sa->ngroups; g++) {
        const struct msg_proposal *esp = NULL, *ah = NULL, *other = NULL;
        bool ah_first = false;
        for (unsigned pi = 0; pi < sa->nprops; pi++) {
            const struct msg_proposal *q = msg_sa_prop(m, sa, pi);
            if (q->group != g)
                continue;
            if (q->proto == ISAKMP_PROTO_IPSEC_ESP && esp == NULL)
                esp = q;
            else if (q->proto == ISAKMP_PROTO_IPSEC_AH && ah == NULL)
                ah_first = (ah = q, esp == NULL);
            else
                other = q;
        }
        if (other || (esp == NULL && ah == NULL)) {
            if (!reason[0] && other)
                snprintf(reason, sizeof(reason),
                         "protocol %u in a proposal (ESP, AH or AH+ESP only)", other->proto);
            continue;
        }
        if ((esp && esp->spi_size != 4) || (ah && ah->spi_size != 4)) {
            snprintf(reason, sizeof(reason), "%s SPI of %u bytes",
                     esp && esp->spi_size != 4 ? "ESP" : "AH",
                     esp && esp->spi_size != 4 ? esp->spi_size : ah->spi_size);
            continue;
        }
        for (unsigned ai = 0; ai < (ah ? ah->nxforms : 1u); ai++) {
            for (unsigned ei = 0; ei < (esp ? esp->nxforms : 1u); ei++) {
                char r[256] = "";
                int rc = p2_try(pol, natt, m, ah, ai, esp, ei, ah_first, out, r, sizeof(r));
                if (rc == 0)
                    return 0;
                if (rc == -2 || !reason[0])
                    snprintf(reason, sizeof(reason), "%s", r);
            }
        }
    }
    snprintf(why, wl, "%s", reason[0] ? reason : "no ESP or AH proposal");
    return -1;
}
