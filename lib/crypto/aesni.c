/*
 * aesni.c: AES-CBC and AES-GCM on AES-NI and PCLMULQDQ (see aesni.h).
 *
 * Written from the specifications: the key expansion of FIPS 197 section
 * 5.2 (SubWord through AESENCLAST, whose ShiftRows does nothing to a
 * state of four equal columns), the equivalent inverse cipher of section
 * 5.3.5 (AESIMC on the middle round keys), CBC of SP 800-38A 6.2, and
 * GCM of SP 800-38D with GHASH computed as Intel's white paper on
 * carry-less multiplication describes: blocks byte-reversed, a 256-bit
 * carry-less product, a shift left by one bit for the bit reflection, and
 * the reduction modulo x^128 + x^7 + x^2 + x + 1 by shifts.  Eight blocks
 * at a time: eight independent AES chains keep both AES units busy, and
 * the eight GHASH products (by H^8 .. H^1) are summed unreduced and
 * reduced once.
 *
 * Functions carry target attributes instead of the file being built with
 * -maes: nothing here runs before aesni_present() has said yes.
 */
#include <string.h>

#include "aesni.h"
#include "crypto.h"

#if defined(__x86_64__)

#include <cpuid.h>
#include <immintrin.h>

#define TGT __attribute__((target("aes,pclmul,sse4.1")))

bool aesni_present(void)
{
    static int known; /* 0 not asked, 1 yes, 2 no; a race only asks twice */
    unsigned a, b, c, d;

    if (__atomic_load_n(&known, __ATOMIC_RELAXED) == 0) {
        bool yes =
            __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AES) && (c & bit_PCLMUL) && (c & bit_SSE4_1);
        __atomic_store_n(&known, yes ? 1 : 2, __ATOMIC_RELAXED);
    }
    return __atomic_load_n(&known, __ATOMIC_RELAXED) == 1;
}

TGT static uint32_t sub_word(uint32_t w)
{
    __m128i v = _mm_aesenclast_si128(_mm_set1_epi32((int)w), _mm_setzero_si128());

    return (uint32_t)_mm_cvtsi128_si32(v);
}

TGT void aes_expand(const uint8_t *key, size_t key_len, struct aes_ks *enc, struct aes_ks *dec)
{
    uint32_t w[4 * (AES_MAX_ROUNDS + 1)];
    unsigned nk = (unsigned)key_len / 4, nr = nk + 6, n = 4 * (nr + 1);
    uint32_t rcon = 1;

    memcpy(w, key, key_len); /* word i is key bytes 4i..4i+3, byte 0 lowest */
    for (unsigned i = nk; i < n; i++) {
        uint32_t t = w[i - 1];

        if (i % nk == 0) {
            t = sub_word((t >> 8) | (t << 24)) ^ rcon; /* RotWord, SubWord, Rcon */
            rcon = (rcon << 1) ^ ((rcon & 0x80) ? 0x11b : 0);
        } else if (nk > 6 && i % nk == 4) {
            t = sub_word(t);
        }
        w[i] = w[i - nk] ^ t;
    }
    memcpy(enc->rk, w, 16 * (nr + 1));
    enc->rounds = nr;
    crypto_wipe(w, sizeof(w));
    if (dec == NULL)
        return;
    dec->rounds = nr;
    memcpy(dec->rk[0], enc->rk[nr], 16);
    for (unsigned r = 1; r < nr; r++)
        _mm_store_si128((__m128i *)dec->rk[r],
                        _mm_aesimc_si128(_mm_load_si128((const __m128i *)enc->rk[nr - r])));
    memcpy(dec->rk[nr], enc->rk[0], 16);
}

/* The round keys of ks, loaded once per call. */
#define LOAD_KEYS(k, ks)                                                                           \
    for (unsigned r_ = 0; r_ <= (ks)->rounds; r_++)                                                \
    k[r_] = _mm_load_si128((const __m128i *)(ks)->rk[r_])

/* Rounds 1 .. nr of one block (round 0's XOR done by the caller). */
TGT static inline __m128i enc_rounds(__m128i x, const __m128i *k, unsigned nr)
{
    for (unsigned r = 1; r < 10; r++)
        x = _mm_aesenc_si128(x, k[r]);
    if (nr > 10) {
        x = _mm_aesenc_si128(x, k[10]);
        x = _mm_aesenc_si128(x, k[11]);
        if (nr > 12) {
            x = _mm_aesenc_si128(x, k[12]);
            x = _mm_aesenc_si128(x, k[13]);
        }
    }
    return _mm_aesenclast_si128(x, k[nr]);
}

TGT void aes_cbc_encrypt(const struct aes_ks *enc, const uint8_t *iv, uint8_t *buf, size_t len)
{
    __m128i k[AES_MAX_ROUNDS + 1], c = _mm_loadu_si128((const __m128i *)iv);
    unsigned nr = enc->rounds;

    LOAD_KEYS(k, enc);
    for (size_t off = 0; off < len; off += 16) {
        /* the plaintext's XOR with round key 0 is off the chain */
        __m128i x = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(buf + off)), k[0]);

        c = enc_rounds(_mm_xor_si128(x, c), k, nr);
        _mm_storeu_si128((__m128i *)(buf + off), c);
    }
}

/* Eight copies of a statement for i = 0..7, written out: the compiler
 * then keeps each block of a group in a register of its own (a loop over
 * i, not unrolled at -O2, went through memory, three times slower). */
#define EACH8(f) f(0) f(1) f(2) f(3) f(4) f(5) f(6) f(7)
#define DEC_WAYS 8

TGT void aes_cbc_decrypt(const struct aes_ks *dec, const uint8_t *iv, uint8_t *buf, size_t len)
{
    __m128i k[AES_MAX_ROUNDS + 1], prev = _mm_loadu_si128((const __m128i *)iv);
    unsigned nr = dec->rounds;
    size_t off = 0;

    LOAD_KEYS(k, dec);
    for (; off + 16 * DEC_WAYS <= len; off += 16 * DEC_WAYS) {
        const uint8_t *p = buf + off;
        __m128i x[DEC_WAYS], c7 = _mm_loadu_si128((const __m128i *)(p + 112));

#define DEC_LOAD(i) x[i] = _mm_xor_si128(_mm_loadu_si128((const __m128i *)(p + 16 * i)), k[0]);
#define DEC_ROUND(i) x[i] = _mm_aesdec_si128(x[i], kr);
#define DEC_LAST(i) x[i] = _mm_aesdeclast_si128(x[i], k[nr]);
        EACH8(DEC_LOAD)
        for (unsigned r = 1; r < nr; r++) {
            __m128i kr = k[r];
            EACH8(DEC_ROUND)
        }
        EACH8(DEC_LAST)
        /* the ciphertext blocks again, from memory, before any store */
#define DEC_CHAIN(i)                                                                               \
    if (i > 0)                                                                                     \
        x[i] = _mm_xor_si128(x[i], _mm_loadu_si128((const __m128i *)(p + 16 * i - 16)));
        EACH8(DEC_CHAIN)
        x[0] = _mm_xor_si128(x[0], prev);
#define DEC_STORE(i) _mm_storeu_si128((__m128i *)(buf + off + 16 * i), x[i]);
        EACH8(DEC_STORE)
        prev = c7;
    }
    for (; off < len; off += 16) {
        __m128i c = _mm_loadu_si128((const __m128i *)(buf + off)), x = _mm_xor_si128(c, k[0]);

        for (unsigned r = 1; r < nr; r++)
            x = _mm_aesdec_si128(x, k[r]);
        x = _mm_aesdeclast_si128(x, k[nr]);
        _mm_storeu_si128((__m128i *)(buf + off), _mm_xor_si128(x, prev));
        prev = c;
    }
}

/* --- GCM ---------------------------------------------------------------- */

TGT static inline __m128i bswap(__m128i x)
{
    return _mm_shuffle_epi8(x, _mm_set_epi8(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
}

/* A carry-less product not yet reduced: lo, hi, and the middle terms. */
struct prod {
    __m128i lo, mid, hi;
};

TGT static inline void mul_add(struct prod *p, __m128i a, __m128i b)
{
    p->lo = _mm_xor_si128(p->lo, _mm_clmulepi64_si128(a, b, 0x00));
    p->hi = _mm_xor_si128(p->hi, _mm_clmulepi64_si128(a, b, 0x11));
    p->mid = _mm_xor_si128(
        p->mid, _mm_xor_si128(_mm_clmulepi64_si128(a, b, 0x01), _mm_clmulepi64_si128(a, b, 0x10)));
}

/* The 256-bit product (of byte-reversed operands) shifted left one bit
 * and reduced: the byte-reversed GF(2^128) product of GCM. */
TGT static inline __m128i reduce(struct prod p)
{
    __m128i lo = _mm_xor_si128(p.lo, _mm_slli_si128(p.mid, 8));
    __m128i hi = _mm_xor_si128(p.hi, _mm_srli_si128(p.mid, 8));
    __m128i clo = _mm_srli_epi32(lo, 31), chi = _mm_srli_epi32(hi, 31), a, b;

    /* hi:lo <<= 1 across the dwords and the halves */
    lo = _mm_or_si128(_mm_slli_epi32(lo, 1), _mm_slli_si128(clo, 4));
    hi = _mm_or_si128(_mm_or_si128(_mm_slli_epi32(hi, 1), _mm_slli_si128(chi, 4)),
                      _mm_srli_si128(clo, 12));
    /* the first phase: the low dwords' multiples of x^127, x^126, x^121 */
    a = _mm_xor_si128(_mm_xor_si128(_mm_slli_epi32(lo, 31), _mm_slli_epi32(lo, 30)),
                      _mm_slli_epi32(lo, 25));
    b = _mm_srli_si128(a, 4);
    lo = _mm_xor_si128(lo, _mm_slli_si128(a, 12));
    /* the second phase */
    a = _mm_xor_si128(_mm_xor_si128(_mm_srli_epi32(lo, 1), _mm_srli_epi32(lo, 2)),
                      _mm_xor_si128(_mm_srli_epi32(lo, 7), b));
    return _mm_xor_si128(hi, _mm_xor_si128(lo, a));
}

TGT static inline __m128i gf_mul(__m128i a, __m128i b)
{
    struct prod p = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};

    mul_add(&p, a, b);
    return reduce(p);
}

TGT void aes_gcm_init(struct aes_gcm *g, const uint8_t *key, size_t key_len)
{
    __m128i k[AES_MAX_ROUNDS + 1], h, hp;

    aes_expand(key, key_len, &g->ks, NULL);
    LOAD_KEYS(k, &g->ks);
    h = bswap(enc_rounds(k[0], k, g->ks.rounds)); /* AES_K(0) */
    hp = h;
    for (int i = 0; i < AES_GCM_POWERS; i++) {
        _mm_store_si128((__m128i *)g->h[i], hp);
        hp = gf_mul(hp, h);
    }
}

/* X <- (X ^ block) * H for the len < 16 bytes at p padded with zeros, or
 * a whole block when len is 16. */
TGT static __m128i ghash_part(__m128i x, __m128i h, const uint8_t *p, size_t len)
{
    uint8_t b[16] = {0};

    memcpy(b, p, len);
    return gf_mul(_mm_xor_si128(x, bswap(_mm_loadu_si128((const __m128i *)b))), h);
}

TGT static __m128i ghash_bytes(const struct aes_gcm *g, __m128i x, const uint8_t *p, size_t len)
{
    __m128i h1 = _mm_load_si128((const __m128i *)g->h[0]);

    for (; len >= 16; p += 16, len -= 16)
        x = gf_mul(_mm_xor_si128(x, bswap(_mm_loadu_si128((const __m128i *)p))), h1);
    return len ? ghash_part(x, h1, p, len) : x;
}

/* Seal (enc) or open len bytes of buf in place; returns GHASH(aad, C),
 * byte-reversed.  ctr: counter block 2 onwards, byte-reversed (its
 * 32-bit counter is the low dword). */
TGT static __m128i gcm_crypt(const struct aes_gcm *g, const __m128i *k, __m128i ctr, __m128i x,
                             uint8_t *buf, size_t len, int enc)
{
    unsigned nr = g->ks.rounds;
    size_t off = 0;

    for (; off + 128 <= len; off += 128) {
        struct prod p = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
        uint8_t *q = buf + off;
        __m128i s[8];

#define CTR_BLOCK(i)                                                                               \
    s[i] = _mm_xor_si128(bswap(_mm_add_epi32(ctr, _mm_set_epi32(0, 0, 0, i))), k[0]);
#define CTR_ROUND(i) s[i] = _mm_aesenc_si128(s[i], kr);
        EACH8(CTR_BLOCK)
        ctr = _mm_add_epi32(ctr, _mm_set_epi32(0, 0, 0, 8));
        for (unsigned r = 1; r < nr; r++) {
            __m128i kr = k[r];
            EACH8(CTR_ROUND)
        }
        /* out = in ^ key stream; GHASH of the ciphertext (the output when
         * sealing, the input when opening), block i times H^(8-i) */
#define CTR_OUT(i)                                                                                 \
    {                                                                                              \
        __m128i d = _mm_loadu_si128((const __m128i *)(q + 16 * i));                                \
        __m128i o = _mm_xor_si128(d, _mm_aesenclast_si128(s[i], k[nr]));                           \
        __m128i c = bswap(enc ? o : d);                                                            \
        _mm_storeu_si128((__m128i *)(q + 16 * i), o);                                              \
        mul_add(&p, i ? c : _mm_xor_si128(c, x), _mm_load_si128((const __m128i *)g->h[7 - i]));    \
    }
        EACH8(CTR_OUT)
        x = reduce(p);
    }
    if (off < len) { /* the last 1 to 127 bytes: up to 8 blocks, as one group */
        struct prod p = {_mm_setzero_si128(), _mm_setzero_si128(), _mm_setzero_si128()};
        uint8_t in[128] __attribute__((aligned(16))) = {0};
        uint8_t out[128] __attribute__((aligned(16)));
        size_t n = len - off, m = (n + 15) / 16;
        const uint8_t *ct = enc ? out : in;
        __m128i s[8];

        memcpy(in, buf + off, n);
        EACH8(CTR_BLOCK)
        for (unsigned r = 1; r < nr; r++) {
            __m128i kr = k[r];
            EACH8(CTR_ROUND)
        }
#define TAIL_OUT(i)                                                                                \
    _mm_store_si128((__m128i *)(out + 16 * i),                                                     \
                    _mm_xor_si128(_mm_load_si128((const __m128i *)(in + 16 * i)),                  \
                                  _mm_aesenclast_si128(s[i], k[nr])));
        EACH8(TAIL_OUT)
        memcpy(buf + off, out, n);
        memset(out + n, 0, sizeof(out) - n); /* GHASH: the ciphertext zero-padded */
        for (size_t i = 0; i < m; i++) {
            __m128i c = bswap(_mm_load_si128((const __m128i *)(ct + 16 * i)));

            mul_add(&p, i ? c : _mm_xor_si128(c, x),
                    _mm_load_si128((const __m128i *)g->h[m - 1 - i]));
        }
        x = reduce(p);
        /* in and out are left as they are: they hold the packet's own
         * bytes (what buf holds, or held), no key material */
    }
    return x;
}

/* The tag of both directions: GHASH finished with the lengths, then
 * XOR AES_K(J0). */
TGT static void gcm_run(const struct aes_gcm *g, const uint8_t *nonce, const uint8_t *aad,
                        size_t aad_len, uint8_t *buf, size_t len, int enc, uint8_t *tag)
{
    __m128i k[AES_MAX_ROUNDS + 1], j0, x;
    uint8_t n[16];

    LOAD_KEYS(k, &g->ks);
    memcpy(n, nonce, 12);
    n[12] = n[13] = n[14] = 0;
    n[15] = 1;
    j0 = _mm_loadu_si128((const __m128i *)n);
    x = ghash_bytes(g, _mm_setzero_si128(), aad, aad_len);
    x = gcm_crypt(g, k, _mm_add_epi32(bswap(j0), _mm_set_epi32(0, 0, 0, 1)), x, buf, len, enc);
    x = gf_mul(_mm_xor_si128(x, _mm_set_epi64x((long long)aad_len * 8, (long long)len * 8)),
               _mm_load_si128((const __m128i *)g->h[0]));
    x = _mm_xor_si128(bswap(x), enc_rounds(_mm_xor_si128(j0, k[0]), k, g->ks.rounds));
    _mm_storeu_si128((__m128i *)tag, x);
}

void aes_gcm_seal(const struct aes_gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                  uint8_t *buf, size_t len, uint8_t *tag)
{
    gcm_run(g, nonce, aad, aad_len, buf, len, 1, tag);
}

int aes_gcm_open(const struct aes_gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                 uint8_t *buf, size_t len, const uint8_t *tag)
{
    uint8_t t[16];

    gcm_run(g, nonce, aad, aad_len, buf, len, 0, t);
    if (!crypto_equal(t, tag, sizeof(t))) {
        crypto_wipe(buf, len); /* unauthenticated plaintext never leaves */
        return -1;
    }
    return 0;
}

#else /* not x86-64: cipher.c uses OpenSSL for every cipher */

bool aesni_present(void)
{
    return false;
}

#define UNREACHED __builtin_trap()
void aes_expand(const uint8_t *key, size_t key_len, struct aes_ks *enc, struct aes_ks *dec)
{
    UNREACHED;
}
void aes_cbc_encrypt(const struct aes_ks *enc, const uint8_t *iv, uint8_t *buf, size_t len)
{
    UNREACHED;
}
void aes_cbc_decrypt(const struct aes_ks *dec, const uint8_t *iv, uint8_t *buf, size_t len)
{
    UNREACHED;
}
void aes_gcm_init(struct aes_gcm *g, const uint8_t *key, size_t key_len)
{
    UNREACHED;
}
void aes_gcm_seal(const struct aes_gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                  uint8_t *buf, size_t len, uint8_t *tag)
{
    UNREACHED;
}
int aes_gcm_open(const struct aes_gcm *g, const uint8_t *nonce, const uint8_t *aad, size_t aad_len,
                 uint8_t *buf, size_t len, const uint8_t *tag)
{
    UNREACHED;
}

#endif
