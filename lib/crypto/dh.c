/*
 * dh.c: MODP Diffie-Hellman for IKE (see dh.h).  Groups are built from the
 * RFC primes; private exponents are drawn here (short, top bit set) so the
 * size is ours to choose; the shared secret comes from EVP_PKEY_derive with
 * DH padding on.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/param_build.h>

#include "crypto_int.h"
#include "dh.h"

/* Primes of RFC 2409 section 6.1 and 6.2 (groups 1, 2) and RFC 3526
 * sections 2 to 5 (groups 5, 14, 15, 16). */
static const char modp768_hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A63A3620FFFFFFFFFFFFFFFF";
static const char modp1024_hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE65381FFFFFFFFFFFFFFFF";
static const char modp1536_hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA237327FFFFFFFFFFFFFFFF";
static const char modp2048_hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AACAA68FFFFFFFFFFFFFFFF";
static const char modp3072_hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF";
static const char modp4096_hex[] =
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74"
    "020BBEA63B139B22514A08798E3404DDEF9519B3CD3A431B302B0A6DF25F1437"
    "4FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF05"
    "98DA48361C55D39A69163FA8FD24CF5F83655D23DCA3AD961C62F356208552BB"
    "9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF695581718"
    "3995497CEA956AE515D2261898FA051015728E5A8AAAC42DAD33170D04507A33"
    "A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7"
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864"
    "D87602733EC86A64521F2B18177B200CBBE117577A615D6C770988C0BAD946E2"
    "08E24FA074E5AB3143DB5BFCE0FD108E4B82D120A92108011A723C12A787E6D7"
    "88719A10BDBA5B2699C327186AF4E23C1A946834B6150BDA2583E9CA2AD44CE8"
    "DBBBC2DB04DE8EF92E8EFC141FBECAA6287C59474E6BC05D99B2964FA090C3A2"
    "233BA186515BE7ED1F612970CEE2D7AFB81BDD762170481CD0069127D5B05AA9"
    "93B4EA988D8FDDC186FFB7DC90A6C08F4DF435C934063199FFFFFFFFFFFFFFFF";

/* min_priv_bits: twice the upper strength estimate of RFC 3526 section 8
 * (groups 5 to 16); 160 bits for the two older groups. */
static const struct dh_group groups[] = {
    {1, "group1", 768, 160, modp768_hex},     {2, "group2", 1024, 160, modp1024_hex},
    {5, "group5", 1536, 240, modp1536_hex},   {14, "group14", 2048, 320, modp2048_hex},
    {15, "group15", 3072, 420, modp3072_hex}, {16, "group16", 4096, 480, modp4096_hex},
};
#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

/* Per-group numbers, built once. */
static struct group_bn {
    BIGNUM *p, *pm2, *g;
    BN_MONT_CTX *mont;
} gbn[NGROUPS];
static CRYPTO_ONCE groups_once = CRYPTO_ONCE_STATIC_INIT;
static int groups_status = -1;

struct dh_keypair {
    const struct dh_group *group;
    const struct group_bn *bn;
    EVP_PKEY *pkey; /* p, g, x, g^x */
    size_t len;
    uint8_t pub[]; /* g^x, len bytes */
};

static void build_groups(void)
{
    BN_CTX *ctx = BN_CTX_new_ex(crypto_libctx());

    if (ctx == NULL)
        return;
    for (size_t i = 0; i < NGROUPS; i++) {
        struct group_bn *b = &gbn[i];

        b->p = NULL;
        if (!BN_hex2bn(&b->p, groups[i].prime_hex) ||
            (unsigned)BN_num_bits(b->p) != groups[i].bits || (b->pm2 = BN_dup(b->p)) == NULL ||
            !BN_sub_word(b->pm2, 2) || (b->g = BN_new()) == NULL || !BN_set_word(b->g, 2) ||
            (b->mont = BN_MONT_CTX_new()) == NULL || !BN_MONT_CTX_set(b->mont, b->p, ctx)) {
            BN_CTX_free(ctx);
            return;
        }
    }
    BN_CTX_free(ctx);
    groups_status = 0;
}

static const struct group_bn *group_numbers(const struct dh_group *g)
{
    size_t i = 0;

    if (crypto_init() != 0)
        return NULL;
    while (i < NGROUPS && g != &groups[i])
        i++;
    if (i == NGROUPS) {
        crypto_set_error("not a group of dh_group_find()");
        return NULL;
    }
    if (!CRYPTO_THREAD_run_once(&groups_once, build_groups) || groups_status != 0) {
        crypto_set_error("cannot build the MODP groups");
        return NULL;
    }
    return &gbn[i];
}

const struct dh_group *dh_group_find(unsigned id)
{
    for (size_t i = 0; i < NGROUPS; i++)
        if (groups[i].id == id)
            return &groups[i];
    return NULL;
}

size_t dh_group_len(const struct dh_group *g)
{
    return (g->bits + 7) / 8;
}

/* An EVP_PKEY holding the group and pub (and priv if not NULL). */
static EVP_PKEY *make_pkey(const struct group_bn *b, const BIGNUM *priv, const BIGNUM *pub)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *pkey = NULL;
    int sel = priv != NULL ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY;

    if (bld == NULL || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, b->p) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, b->g) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pub) ||
        (priv != NULL && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv)) ||
        (params = OSSL_PARAM_BLD_to_param(bld)) == NULL ||
        (ctx = EVP_PKEY_CTX_new_from_name(crypto_libctx(), "DH", NULL)) == NULL ||
        EVP_PKEY_fromdata_init(ctx) <= 0 || EVP_PKEY_fromdata(ctx, &pkey, sel, params) <= 0) {
        crypto_set_error("cannot build a DH key");
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params); /* clears the secure copy of priv */
    OSSL_PARAM_BLD_free(bld);
    return pkey;
}

struct dh_keypair *dh_keypair(const struct dh_group *g, unsigned priv_bits)
{
    const struct group_bn *b;
    struct dh_keypair *kp = NULL;
    BN_CTX *ctx = NULL;
    BIGNUM *x = NULL, *y = NULL;
    size_t len;

    crypto_clear_error();
    if (g == NULL || (b = group_numbers(g)) == NULL)
        return NULL;
    if (priv_bits == 0)
        priv_bits = g->min_priv_bits;
    if (priv_bits < g->min_priv_bits || priv_bits >= g->bits) {
        crypto_set_error("%s: private exponent of %u bits is outside [%u, %u]", g->name, priv_bits,
                         g->min_priv_bits, g->bits - 1);
        return NULL;
    }
    len = dh_group_len(g);
    if ((ctx = BN_CTX_secure_new_ex(crypto_libctx())) == NULL || (x = BN_secure_new()) == NULL ||
        (y = BN_new()) == NULL || (kp = OPENSSL_zalloc(sizeof(*kp) + len)) == NULL)
        goto fail;
    BN_set_flags(x, BN_FLG_CONSTTIME);
    /* x in [2^(n-1), 2^n): exactly priv_bits bits, always > 1 and < p - 1. */
    if (!BN_priv_rand_ex(x, (int)priv_bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY, 0, ctx) ||
        !BN_mod_exp_mont_consttime(y, b->g, x, b->p, ctx, b->mont) ||
        BN_bn2binpad(y, kp->pub, (int)len) != (int)len)
        goto fail;
    kp->group = g;
    kp->bn = b;
    kp->len = len;
    if ((kp->pkey = make_pkey(b, x, y)) == NULL)
        goto fail_quiet;
    BN_clear_free(x);
    BN_free(y);
    BN_CTX_free(ctx);
    return kp;
fail:
    crypto_set_error("%s: key pair generation failed", g->name);
fail_quiet:
    BN_clear_free(x);
    BN_free(y);
    BN_CTX_free(ctx);
    dh_keypair_free(kp);
    return NULL;
}

const uint8_t *dh_public(const struct dh_keypair *kp)
{
    return kp->pub;
}

const struct dh_group *dh_keypair_group(const struct dh_keypair *kp)
{
    return kp->group;
}

int dh_shared(struct dh_keypair *kp, const uint8_t *peer, size_t len, uint8_t *out)
{
    BIGNUM *y = NULL;
    EVP_PKEY *peer_key = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    size_t outlen = kp->len;
    int ret = -1;

    crypto_clear_error();
    if (len != kp->len) {
        crypto_set_error("%s: peer public value has %zu bytes, not %zu", kp->group->name, len,
                         kp->len);
        return -1;
    }
    if ((y = BN_bin2bn(peer, (int)len, NULL)) == NULL) {
        crypto_set_error("out of memory");
        return -1;
    }
    if (BN_cmp(y, BN_value_one()) <= 0 || BN_cmp(y, kp->bn->pm2) > 0) {
        crypto_set_error("%s: peer public value outside [2, p-2]", kp->group->name);
        goto out;
    }
    if ((peer_key = make_pkey(kp->bn, NULL, y)) == NULL)
        goto out;
    /* Pad: IKE needs g^xy at the modulus length, with its leading zeros. */
    if ((ctx = EVP_PKEY_CTX_new_from_pkey(crypto_libctx(), kp->pkey, NULL)) == NULL ||
        EVP_PKEY_derive_init(ctx) <= 0 || EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0 ||
        EVP_PKEY_derive_set_peer_ex(ctx, peer_key, 0) <= 0 ||
        EVP_PKEY_derive(ctx, out, &outlen) <= 0 || outlen != kp->len) {
        crypto_set_error("%s: DH derivation failed", kp->group->name);
        crypto_wipe(out, kp->len);
        goto out;
    }
    ret = 0;
out:
    EVP_PKEY_CTX_free(ctx);
    EVP_PKEY_free(peer_key);
    BN_free(y);
    return ret;
}

void dh_keypair_free(struct dh_keypair *kp)
{
    if (kp == NULL)
        return;
    EVP_PKEY_free(kp->pkey); /* OpenSSL clears private key BIGNUMs it frees */
    OPENSSL_clear_free(kp, sizeof(*kp) + kp->len);
}
