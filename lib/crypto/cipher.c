/*
 * cipher.c: keyed CBC and AES-GCM contexts (see cipher.h).
 *
 * No OpenSSL context per key: OpenSSL 3.0's EVP_CIPHER_CTX with its
 * provider context is 650 bytes for AES-CBC and 1,170 for AES-GCM, per
 * SA, and at 10,000 tunnels every one of them is cold in memory when its
 * packet comes, in memory nobody can prefetch.
 *
 * AES on a CPU with AES-NI (the default, cipher_aesni): a struct cbc or
 * struct gcm holds the expanded key schedule (and GCM's powers of H), and
 * each call runs aesni.c on it; nothing per thread.
 *
 * Otherwise (DES, 3DES, no AES-NI) it holds its key and a number naming
 * it, and each thread has one context per (cipher, direction)
 * (struct slot), which remembers whose key it holds: a call with the same
 * key as the slot's last one costs nothing more than before; a call with
 * another key re-keys the slot (EVP_CipherInit_ex2 with key and IV:
 * about 110 ns for AES-128-CBC, 210 to 270 for AES-GCM, 340 to 530 for
 * 3DES; docs/crypto.md).
 *
 * CBC: after the first call a slot is not re-initialised at all while it
 * keeps its key: its chaining value (the last ciphertext block it
 * processed) is known, so the first block is corrected by XOR with
 * (IV ^ chaining value) instead - before encryption, after decryption -
 * which gives exactly CBC under the caller's IV.  Setting an IV costs
 * about 85 ns in OpenSSL 3.0 (OSSL_PARAM lookups); the XOR costs nothing.
 *
 * The slots of a thread are freed when it exits (a pthread key's
 * destructor); the main thread's at exit through the same key.
 */
#include <limits.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/params.h>
#include <openssl/provider.h>

#include "aesni.h"
#include "cipher.h"
#include "crypto_int.h"

#define KEY_MAX 32
#define GCM_SIZES 3 /* AES-128, -192, -256 */

/* A thread's context for one cipher and direction, and whose key it holds. */
struct slot {
    EVP_CIPHER_CTX *ctx;
    uint64_t id;                 /* the struct cbc / gcm keyed in it; 0: none */
    uint8_t v[CRYPTO_MAX_BLOCK]; /* CBC: its IV, the last ciphertext block */
    bool known;                  /* v is valid */
};

struct slots {
    struct slot cbc[CRYPTO_CIPHER_COUNT][2], gcm[GCM_SIZES][2]; /* [..][enc] */
    bool registered;
};

/* initial-exec: lib/crypto is a static library linked into executables,
 * so the slots are found without a __tls_get_addr call per packet (the
 * PIC default, global-dynamic, makes one). */
static _Thread_local struct slots tls __attribute__((tls_model("initial-exec")));
static pthread_key_t slots_key;
static pthread_once_t slots_once = PTHREAD_ONCE_INIT;
static _Atomic uint64_t next_id = 1;

/* The AES ciphers through aesni.c (1) or OpenSSL's contexts (0), for
 * keys made from now on; -1 until first asked. */
static _Atomic int aesni_on = -1;

static bool aesni_use(void)
{
    int on = atomic_load(&aesni_on);

    if (on < 0) {
        on = aesni_present();
        atomic_store(&aesni_on, on);
    }
    return on;
}

int cipher_aesni(int on)
{
    int was = aesni_use();

    if (on >= 0)
        atomic_store(&aesni_on, on && aesni_present());
    return was;
}

static void slots_free(void *p)
{
    struct slots *t = p;

    for (int c = 0; c < CRYPTO_CIPHER_COUNT; c++)
        for (int e = 0; e < 2; e++)
            EVP_CIPHER_CTX_free(t->cbc[c][e].ctx); /* OpenSSL clears the key schedule */
    for (int g = 0; g < GCM_SIZES; g++)
        for (int e = 0; e < 2; e++)
            EVP_CIPHER_CTX_free(t->gcm[g][e].ctx);
    memset(t, 0, sizeof(*t));
}

static void main_exit(void)
{
    slots_free(&tls);
}

static void slots_init(void)
{
    if (pthread_key_create(&slots_key, slots_free) != 0)
        abort();
    atexit(main_exit); /* the thread that calls exit() runs no key destructor */
}

/* Slot s keyed with (evp, key, id) for direction enc, its IV iv (NULL: as
 * it is).  -1 with the error recorded. */
static int slot_key(struct slot *s, const EVP_CIPHER *evp, const uint8_t *key, uint64_t id, int enc,
                    const uint8_t *iv)
{
    if (!tls.registered) {
        pthread_once(&slots_once, slots_init);
        pthread_setspecific(slots_key, &tls);
        tls.registered = true;
    }
    s->id = 0;
    s->known = false;
    if (s->ctx == NULL) {
        if ((s->ctx = EVP_CIPHER_CTX_new()) == NULL)
            return -1;
        /* Padding off only where it changes what EVP_CipherUpdate does:
         * CBC decryption (with padding on it holds the last block back
         * for EVP_CipherFinal, which is never called).  Encryption
         * outputs every whole block either way; and the flag costs
         * about 28 ns at every later EVP_CipherInit_ex2 (a re-key, or a
         * GCM nonce), which passes it to the provider again. */
        if (!EVP_CipherInit_ex2(s->ctx, evp, key, iv, enc, NULL) ||
            (!enc && EVP_CIPHER_CTX_get_mode(s->ctx) == EVP_CIPH_CBC_MODE &&
             !EVP_CIPHER_CTX_set_padding(s->ctx, 0))) {
            EVP_CIPHER_CTX_free(s->ctx);
            s->ctx = NULL;
            return -1;
        }
    } else if (!EVP_CipherInit_ex2(s->ctx, NULL, key, iv, enc, NULL)) {
        return -1;
    }
    s->id = id;
    return 0;
}

/* The freed keys other threads may still hold (cipher.h). */
static pthread_mutex_t retired_mu = PTHREAD_MUTEX_INITIALIZER;
static uint64_t retired_ids[CIPHER_RETIRED_RING];
static _Atomic uint64_t retired_n;

static void drop(struct slot *s)
{
    EVP_CIPHER_CTX_free(s->ctx); /* clears it */
    memset(s, 0, sizeof(*s));
}

/* A struct cbc or gcm is freed: this thread's slots that hold its key
 * lose the schedule at once; other threads' when they notice (cipher.h). */
static void forget(struct slot s[2], uint64_t id)
{
    for (int e = 0; e < 2; e++)
        if (s[e].ctx != NULL && s[e].id == id)
            drop(&s[e]);
    pthread_mutex_lock(&retired_mu);
    retired_ids[atomic_load(&retired_n) % CIPHER_RETIRED_RING] = id;
    atomic_fetch_add(&retired_n, 1);
    pthread_mutex_unlock(&retired_mu);
}

/* Each slot of this thread, through f. */
static void each_slot(void (*f)(struct slot *, void *), void *arg)
{
    for (int c = 0; c < CRYPTO_CIPHER_COUNT; c++)
        for (int e = 0; e < 2; e++)
            f(&tls.cbc[c][e], arg);
    for (int g = 0; g < GCM_SIZES; g++)
        for (int e = 0; e < 2; e++)
            f(&tls.gcm[g][e], arg);
}

/* arg: the key id whose schedule goes, or 0 for every one */
static void drop_if(struct slot *s, void *arg)
{
    uint64_t id = *(const uint64_t *)arg;

    if (s->ctx != NULL && (id == 0 || s->id == id))
        drop(s);
}

uint64_t cipher_retired(void)
{
    return atomic_load(&retired_n);
}

void cipher_forget_retired(uint64_t *seen)
{
    uint64_t n, all = 0;

    pthread_mutex_lock(&retired_mu);
    n = atomic_load(&retired_n);
    if (n - *seen > CIPHER_RETIRED_RING)
        each_slot(drop_if, &all); /* lost track: every schedule goes */
    else
        for (uint64_t k = *seen; k < n; k++)
            each_slot(drop_if, &retired_ids[k % CIPHER_RETIRED_RING]);
    pthread_mutex_unlock(&retired_mu);
    *seen = n;
}

struct find {
    uint64_t id;
    int found;
};

static void find_slot(struct slot *s, void *arg)
{
    struct find *f = arg;

    if (s->ctx != NULL && s->id == f->id)
        f->found = 1;
}

int cipher_thread_holds(uint64_t id)
{
    struct find f = {id, 0};

    each_slot(find_slot, &f);
    return f.found;
}

struct cbc {
    enum crypto_cipher cipher;
    uint8_t block, key_len;
    uint8_t dir;   /* enum cbc_dir */
    bool fast;     /* AES through aesni.c: u.ks, no slot */
    uint16_t room; /* bytes of memory it was made in (cbc_room) */
    uint64_t id;
    union {
        uint8_t key[KEY_MAX]; /* for the slots */
        /* fast: the schedule of dir's first direction, then (CBC_BOTH)
         * the decryption one; a packet reads one of them */
        struct aes_ks ks[2];
    } u;
};

/* In place at 16-byte offsets of malloc'd blocks (CRYPTO_ALIGN16). */
_Static_assert(_Alignof(struct cbc) <= 16, "struct cbc fits a 16-byte offset");

static bool is_aes(enum crypto_cipher c)
{
    return c == CRYPTO_CIPHER_AES128_CBC || c == CRYPTO_CIPHER_AES192_CBC ||
           c == CRYPTO_CIPHER_AES256_CBC;
}

static void cbc_expand(struct cbc *cbc, const uint8_t *key, size_t key_len)
{
    struct aes_ks tmp;

    cbc->fast = true;
    if (cbc->dir == CBC_DECRYPT) {
        aes_expand(key, key_len, &tmp, &cbc->u.ks[0]);
        crypto_wipe(&tmp, sizeof(tmp));
    } else {
        aes_expand(key, key_len, &cbc->u.ks[0], cbc->dir == CBC_BOTH ? &cbc->u.ks[1] : NULL);
    }
}

/* One direction's AES schedule, or both, or the key for the slots. */
static size_t room_for(bool fast, enum cbc_dir dir)
{
    return offsetof(struct cbc, u) +
           (fast ? (dir == CBC_BOTH ? 2 : 1) * sizeof(struct aes_ks) : KEY_MAX);
}

size_t cbc_room(enum crypto_cipher c, enum cbc_dir dir)
{
    return CRYPTO_ALIGN16(room_for(is_aes(c) && aesni_use(), dir));
}

int cbc_init(struct cbc *cbc, size_t room, enum crypto_cipher c, enum cbc_dir dir,
             const uint8_t *key, size_t key_len)
{
    const EVP_CIPHER *evp;

    memset(cbc, 0, room);
    cbc->room = (uint16_t)room;
    if ((evp = crypto_evp_cipher(c)) == NULL)
        return -1;
    if (key_len != crypto_cipher_key_len(c)) {
        crypto_set_error("%s needs a %zu-byte key, not %zu", crypto_cipher_name(c),
                         crypto_cipher_key_len(c), key_len);
        return -1;
    }
    cbc->cipher = c;
    cbc->block = (uint8_t)crypto_cipher_block_len(c);
    cbc->key_len = (uint8_t)key_len;
    cbc->dir = (uint8_t)dir;
    cbc->id = atomic_fetch_add(&next_id, 1);
    /* (the room was asked for just before: cipher_aesni() turned on in
     * between leaves it too small, and the key goes to the slots) */
    if (is_aes(c) && aesni_use() && room >= room_for(true, dir)) {
        cbc_expand(cbc, key, key_len);
        return 0;
    }
    memcpy(cbc->u.key, key, key_len);
    /* Key this thread's slots now: a key OpenSSL refuses fails here, not
     * with the first packet (and the first packet finds it keyed). */
    if (((dir & CBC_ENCRYPT) && slot_key(&tls.cbc[c][1], evp, key, cbc->id, 1, NULL) != 0) ||
        ((dir & CBC_DECRYPT) && slot_key(&tls.cbc[c][0], evp, key, cbc->id, 0, NULL) != 0)) {
        crypto_set_error("%s: cannot set up the key", crypto_cipher_name(c));
        cbc_wipe(cbc);
        return -1;
    }
    return 0;
}

struct cbc *cbc_new(enum crypto_cipher c, enum cbc_dir dir, const uint8_t *key, size_t key_len)
{
    struct cbc *cbc;

    crypto_clear_error();
    if ((cbc = OPENSSL_zalloc(sizeof(*cbc))) == NULL) {
        crypto_set_error("out of memory");
        return NULL;
    }
    if (cbc_init(cbc, sizeof(*cbc), c, dir, key, key_len) != 0) {
        OPENSSL_free(cbc);
        return NULL;
    }
    return cbc;
}

static void xor_block(uint8_t *b, const uint8_t *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        b[i] ^= x[i];
}

static int run(struct cbc *cbc, int enc, const uint8_t *iv, uint8_t *buf, size_t len)
{
    uint8_t fix[CRYPTO_MAX_BLOCK], last[CRYPTO_MAX_BLOCK];
    size_t bl = cbc->block;
    struct slot *ch;
    int outl = 0, known;

    if (!(cbc->dir & (enc ? CBC_ENCRYPT : CBC_DECRYPT))) {
        crypto_set_error("%s context not keyed for this direction",
                         crypto_cipher_name(cbc->cipher));
        return -1;
    }
    if (len % bl != 0 || len > INT_MAX) {
        crypto_set_error("%s: %zu bytes is not a whole number of blocks",
                         crypto_cipher_name(cbc->cipher), len);
        return -1;
    }
    if (len == 0)
        return 0;
    if (cbc->fast) {
        if (enc)
            aes_cbc_encrypt(&cbc->u.ks[0], iv, buf, len);
        else
            aes_cbc_decrypt(&cbc->u.ks[cbc->dir == CBC_BOTH], iv, buf, len);
        return 0;
    }
    ch = &tls.cbc[cbc->cipher][enc];
    known = ch->id == cbc->id && ch->known;
    if (!known && ch->id == cbc->id && !EVP_CipherInit_ex2(ch->ctx, NULL, NULL, iv, -1, NULL)) {
        crypto_set_error("%s: cannot set the IV", crypto_cipher_name(cbc->cipher));
        return -1;
    }
    if (ch->id != cbc->id &&
        slot_key(ch, crypto_evp_cipher(cbc->cipher), cbc->u.key, cbc->id, enc, iv) != 0) {
        crypto_set_error("%s: cannot set the key", crypto_cipher_name(cbc->cipher));
        return -1;
    }
    if (known) { /* fix = IV ^ chaining value (iv may point into buf) */
        memcpy(fix, iv, bl);
        xor_block(fix, ch->v, bl);
        if (enc)
            xor_block(buf, fix, bl);
    }
    memcpy(last, buf + len - bl, bl); /* decryption: the next chaining value */
    ch->known = false;
    /* In place is allowed: in and out are the same buffer exactly. */
    if (!EVP_CipherUpdate(ch->ctx, buf, &outl, buf, (int)len) || (size_t)outl != len) {
        crypto_set_error("%s failed", crypto_cipher_name(cbc->cipher));
        return -1;
    }
    if (known && !enc)
        xor_block(buf, fix, bl);
    memcpy(ch->v, enc ? buf + len - bl : last, bl);
    ch->known = true;
    return 0;
}

int cbc_encrypt(struct cbc *cbc, const uint8_t *iv, uint8_t *buf, size_t len)
{
    return run(cbc, 1, iv, buf, len);
}

int cbc_decrypt(struct cbc *cbc, const uint8_t *iv, uint8_t *buf, size_t len)
{
    return run(cbc, 0, iv, buf, len);
}

enum crypto_cipher cbc_cipher(const struct cbc *cbc)
{
    return cbc->cipher;
}

size_t cbc_block_len(const struct cbc *cbc)
{
    return cbc->block;
}

uint64_t cbc_key_id(const struct cbc *cbc)
{
    return cbc->id;
}

size_t cbc_hot_len(const struct cbc *cbc)
{
    return offsetof(struct cbc, u) + (cbc->fast ? aes_ks_used(&cbc->u.ks[0]) : cbc->key_len);
}

void cbc_wipe(struct cbc *cbc)
{
    if (cbc->id != 0 && !cbc->fast)
        forget(tls.cbc[cbc->cipher], cbc->id);
    OPENSSL_cleanse(cbc, cbc->room);
}

void cbc_free(struct cbc *cbc)
{
    if (cbc == NULL)
        return;
    cbc_wipe(cbc);
    OPENSSL_free(cbc);
}

/* --- AES-GCM ---------------------------------------------------------- */

static const char *const gcm_names[GCM_SIZES] = {"AES-128-GCM", "AES-192-GCM", "AES-256-GCM"};

struct gcm {
    uint8_t size; /* (key_len - 16) / 8: gcm_names, the slot */
    uint8_t dir;  /* enum cbc_dir */
    bool fast;    /* through aesni.c: u.a, no slot */
    uint64_t id;
    union {
        uint8_t key[KEY_MAX]; /* for the slots */
        struct aes_gcm a;
    } u;
};

/* This thread's slot of g's size and direction, keyed for g with nonce
 * (NULL: none yet) and, to decrypt, the expected tag (NULL: none yet);
 * NULL with the error recorded.
 *
 * A slot that holds g's key gets the nonce through the parameter that
 * OpenSSL's TLS code restores a whole GCM IV with (AEAD_TLS1_IV_FIXED of
 * length (size_t)-1, EVP_CTRL_AEAD_SET_IV_FIXED with -1), together with
 * the tag in one EVP_CIPHER_CTX_set_params: EVP_CipherInit_ex2 with a new
 * IV asks the provider for the IV length through its parameters first,
 * about 30 ns more per packet in OpenSSL 3.0. */
static EVP_CIPHER_CTX *gcm_slot(const struct gcm *g, int enc, const uint8_t *nonce, uint8_t *tag)
{
    struct slot *s = &tls.gcm[g->size][enc];
    const char *name = gcm_names[g->size];
    EVP_CIPHER *evp = NULL;
    OSSL_LIB_CTX *lib;
    OSSL_PARAM p[3];
    int r, n = 0;

    if (s->id == g->id && nonce != NULL)
        p[n++] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
                                                   (void *)nonce, SIZE_MAX);
    if (!enc && tag != NULL)
        p[n++] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, GCM_TAG_LEN);
    p[n] = OSSL_PARAM_construct_end();
    if (s->id == g->id) {
        if (n > 0 && !EVP_CIPHER_CTX_set_params(s->ctx, p)) {
            crypto_set_error("%s: cannot set the nonce", name);
            return NULL;
        }
        return s->ctx;
    }
    /* Fetched when a thread first makes this slot, not per packet; the
     * context keeps its own reference. */
    if (s->ctx == NULL &&
        ((lib = crypto_libctx()) == NULL || (evp = EVP_CIPHER_fetch(lib, name, NULL)) == NULL)) {
        crypto_set_error("%s is not available", name);
        return NULL;
    }
    /* gcm_run relies on the default provider's GCM: a one-shot cipher
     * function (EVP_Cipher says -1 for a wrong tag) and the whole-IV
     * AEAD_TLS1_IV_FIXED; lib/crypto's own library context loads no
     * other provider, and this says so if that ever changes. */
    if (evp != NULL &&
        strcmp(OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(evp)), "default") != 0) {
        crypto_set_error("%s from provider %s: only the default provider's is used", name,
                         OSSL_PROVIDER_get0_name(EVP_CIPHER_get0_provider(evp)));
        EVP_CIPHER_free(evp);
        return NULL;
    }
    r = slot_key(s, evp, g->u.key, g->id, enc, nonce);
    EVP_CIPHER_free(evp);
    if (r != 0 || (n > 0 && !EVP_CIPHER_CTX_set_params(s->ctx, p))) {
        crypto_set_error("%s: cannot set up the key", name);
        return NULL;
    }
    return s->ctx;
}

_Static_assert(_Alignof(struct gcm) <= 16, "struct gcm fits a 16-byte offset");

int gcm_init(struct gcm *g, enum cbc_dir dir, const uint8_t *key, size_t key_len)
{
    memset(g, 0, sizeof(*g));
    if (key_len != 16 && key_len != 24 && key_len != 32) {
        crypto_set_error("AES-GCM needs a 16, 24 or 32-byte key, not %zu", key_len);
        return -1;
    }
    if (crypto_init() != 0)
        return -1;
    g->size = (uint8_t)((key_len - 16) / 8);
    g->dir = (uint8_t)dir;
    g->id = atomic_fetch_add(&next_id, 1);
    if (aesni_use()) {
        g->fast = true;
        aes_gcm_init(&g->u.a, key, key_len);
        return 0;
    }
    memcpy(g->u.key, key, key_len);
    /* Key this thread's slots now (see cbc_init). */
    if (((dir & CBC_ENCRYPT) && gcm_slot(g, 1, NULL, NULL) == NULL) ||
        ((dir & CBC_DECRYPT) && gcm_slot(g, 0, NULL, NULL) == NULL)) {
        gcm_wipe(g);
        return -1;
    }
    return 0;
}

struct gcm *gcm_new(enum cbc_dir dir, const uint8_t *key, size_t key_len)
{
    struct gcm *g;

    crypto_clear_error();
    if ((g = OPENSSL_zalloc(sizeof(*g))) == NULL) {
        crypto_set_error("out of memory");
        return NULL;
    }
    if (gcm_init(g, dir, key, key_len) != 0) {
        OPENSSL_free(g);
        return NULL;
    }
    return g;
}

static int gcm_run(struct gcm *g, int enc, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                   uint8_t *buf, size_t len, uint8_t *tag)
{
    const char *name = gcm_names[g->size];
    EVP_CIPHER_CTX *ctx;
    OSSL_PARAM tp[2];

    if (!(g->dir & (enc ? CBC_ENCRYPT : CBC_DECRYPT))) {
        crypto_set_error("%s context not keyed for this direction", name);
        return -1;
    }
    if (len > INT_MAX || aad_len > INT_MAX) {
        crypto_set_error("%s: %zu bytes is too long", name, len > aad_len ? len : aad_len);
        return -1;
    }
    if (g->fast) {
        if (enc) {
            aes_gcm_seal(&g->u.a, nonce, aad, aad_len, buf, len, tag);
            return 0;
        }
        return aes_gcm_open(&g->u.a, nonce, aad, aad_len, buf, len, tag) ? GCM_ERR_TAG : 0;
    }
    if ((ctx = gcm_slot(g, enc, nonce, tag)) == NULL)
        return -1;
    /* EVP_Cipher rather than EVP_CipherUpdate/Final: it calls the
     * provider's one-shot function without the update's checks (about
     * 25 ns less per packet in OpenSSL 3.0); for an AEAD it returns the
     * bytes processed, or -1 (a wrong tag at the final call). */
    if ((aad_len && EVP_Cipher(ctx, NULL, aad, (unsigned)aad_len) < 0) ||
        (len && EVP_Cipher(ctx, buf, buf, (unsigned)len) != (int)len)) {
        crypto_set_error("%s failed", name);
        return -1;
    }
    if (EVP_Cipher(ctx, NULL, NULL, 0) < 0) {
        if (enc) {
            crypto_set_error("%s failed", name);
            return -1;
        }
        crypto_wipe(buf, len); /* unauthenticated plaintext never leaves */
        ERR_clear_error();
        return GCM_ERR_TAG;
    }
    tp[0] = OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, GCM_TAG_LEN);
    tp[1] = OSSL_PARAM_construct_end();
    if (enc && !EVP_CIPHER_CTX_get_params(ctx, tp)) {
        crypto_set_error("%s: cannot read the tag", name);
        return -1;
    }
    return 0;
}

int gcm_seal(struct gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, uint8_t *buf,
             size_t len, uint8_t *tag)
{
    return gcm_run(g, 1, nonce, aad, aad_len, buf, len, tag);
}

int gcm_open(struct gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len, uint8_t *buf,
             size_t len, const uint8_t *tag)
{
    return gcm_run(g, 0, nonce, aad, aad_len, buf, len, (uint8_t *)tag);
}

void gcm_wipe(struct gcm *g)
{
    if (g->id != 0 && !g->fast)
        forget(tls.gcm[g->size], g->id);
    OPENSSL_cleanse(g, sizeof(*g));
}

void gcm_free(struct gcm *g)
{
    if (g == NULL)
        return;
    gcm_wipe(g);
    OPENSSL_free(g);
}

uint64_t gcm_key_id(const struct gcm *g)
{
    return g->id;
}

size_t gcm_size(void)
{
    return sizeof(struct gcm);
}

size_t gcm_hot_len(const struct gcm *g)
{
    return g->fast
               ? offsetof(struct gcm, u) + offsetof(struct aes_gcm, ks) + aes_ks_used(&g->u.a.ks)
               : offsetof(struct gcm, u) + 16 + 8 * (size_t)g->size;
}
