/*
 * crypt.c: the protection of ISAKMP messages once main mode has keys
 * (RFC 2409 appendix B): CBC with Ka, the IV chains (phase 1 continues
 * from MM5 to MM6; every phase-2 and informational exchange starts from
 * hash(last phase-1 block | M-ID)), zero padding to the block size, and
 * the datagrams out.  The callers own the IVs and commit a new IV only
 * once a message has been authenticated.  The CBC context is keyed per
 * message from the SA's Ka (a key schedule costs far less than an SA
 * keeping two OpenSSL contexts for its whole life).  Called by
 * main_mode.c, quick_mode.c, informational.c and dpd.c.
 */
#include "ike.h"
#include "log.h"

#include <string.h>

static struct cbc *sa_cbc(const struct ike_sa *sa, enum cbc_dir dir)
{
    size_t hl = ike_hlen(sa);

    if (sa->skey == NULL)
        return NULL;
    return cbc_new(sa->c.cipher, dir, sa->skey + 2 * hl, crypto_cipher_key_len(sa->c.cipher));
}

int ike_decrypt(struct ike_sa *sa, const uint8_t *iv, const struct msg *m, uint8_t *plain,
                uint8_t *next_iv)
{
    size_t bs = ike_bs(sa);
    struct cbc *cbc;
    int r;

    if (sa->skey == NULL || m->body_len == 0 || m->body_len % bs != 0)
        return -1;
    if ((cbc = sa_cbc(sa, CBC_DECRYPT)) == NULL)
        return -1;
    memcpy(plain, m->body, m->body_len);
    memcpy(next_iv, m->body + m->body_len - bs, bs);
    r = cbc_decrypt(cbc, iv, plain, m->body_len);
    cbc_free(cbc);
    return r;
}

int ike_encrypt(struct ike_sa *sa, uint8_t *iv, uint8_t exch, uint32_t msgid, struct msg_builder *b,
                uint8_t *out, size_t cap, size_t *len)
{
    struct msg_hdr h = {0};
    size_t bs = ike_bs(sa), blen;
    struct cbc *cbc;
    int r;

    mb_pad(b, bs);
    if (mb_finish(b, &blen) < 0 || ISAKMP_HDR_LEN + blen > cap) {
        log_warnx("cannot build a message: %s", b->why ? b->why : "too long");
        return -1;
    }
    memcpy(out + ISAKMP_HDR_LEN, b->buf, blen);
    cbc = sa_cbc(sa, CBC_ENCRYPT);
    r = cbc ? cbc_encrypt(cbc, iv, out + ISAKMP_HDR_LEN, blen) : -1;
    cbc_free(cbc);
    if (r < 0) {
        log_warnx("encryption failed: %s", crypto_strerror());
        return -1;
    }
    memcpy(iv, out + ISAKMP_HDR_LEN + blen - bs, bs);
    memcpy(h.icookie, sa->icky, ISAKMP_COOKIE_LEN);
    memcpy(h.rcookie, sa->rcky, ISAKMP_COOKIE_LEN);
    h.np = mb_first(b);
    h.major = ISAKMP_MAJOR;
    h.minor = ISAKMP_MINOR;
    h.exch = exch;
    h.flags = ISAKMP_FLAG_ENC;
    h.msgid = msgid;
    h.length = (uint32_t)(ISAKMP_HDR_LEN + blen);
    msg_hdr_write(out, &h);
    *len = ISAKMP_HDR_LEN + blen;
    return 0;
}

static void send_dgram(struct kmd *k, const struct fwd_dgram *from, const uint8_t *pkt, size_t len)
{
    struct fwd_dgram d;

    memset(&d, 0, sizeof(d));
    memcpy(d.instance, from->instance, sizeof(d.instance));
    d.src = from->dst;
    d.dst = from->src;
    d.sport = from->dport;
    d.dport = from->sport;
    d.len = (uint32_t)len;
    k->cnt.tx++;
    k->io->send(k->io_arg, &d, pkt, len);
}

void path_dgram(const struct kmd_path *p, struct fwd_dgram *d)
{
    memset(d, 0, sizeof(*d));
    snprintf(d->instance, sizeof(d->instance), "%s", p->instance ? p->instance : "");
    snprintf(d->ingress, sizeof(d->ingress), "%s", p->ingress ? p->ingress : "");
    d->src = p->src;
    d->dst = p->dst;
    d->sport = p->sport;
    d->dport = p->dport;
}

void path_set(struct kmd *k, struct kmd_path *p, const struct fwd_dgram *d)
{
    char inst[FWD_NAME_LEN + 1], ingress[FWD_NAME_LEN + 1];

    /* a punted datagram's names need not be terminated */
    snprintf(inst, sizeof(inst), "%.*s", (int)sizeof(d->instance), d->instance);
    snprintf(ingress, sizeof(ingress), "%.*s", (int)sizeof(d->ingress), d->ingress);
    p->instance = katom(&k->atoms, inst);
    p->ingress = katom(&k->atoms, ingress);
    p->src = d->src;
    p->dst = d->dst;
    p->sport = d->sport;
    p->dport = d->dport;
}

void ike_send(struct kmd *k, struct ike_sa *sa, const uint8_t *pkt, size_t len)
{
    struct fwd_dgram d;

    sa->out_bytes += len;
    sa->out_pkts++;
    path_dgram(&sa->path, &d);
    send_dgram(k, &d, pkt, len);
}

void kmd_send_reply(struct kmd *k, const struct fwd_dgram *d, const uint8_t *pkt, size_t len)
{
    send_dgram(k, d, pkt, len);
}

int ike_open(struct kmd *k, struct ike_sa *sa, const uint8_t *iv, const uint8_t *pkt, size_t len,
             uint8_t *next_iv, char *why, size_t whylen)
{
    struct msg_err err;

    if (msg_parse(&k->m, pkt, len, &err) != MSG_OK) {
        snprintf(why, whylen, "%s", err.reason);
        return -1;
    }
    if (!k->m.encrypted) {
        snprintf(why, whylen, "not encrypted");
        return -1;
    }
    if (k->m.body_len > sizeof(k->plain) || ike_decrypt(sa, iv, &k->m, k->plain, next_iv) < 0) {
        snprintf(why, whylen, "body of %zu bytes is not whole cipher blocks", k->m.body_len);
        return -1;
    }
    if (msg_parse_decrypted(&k->m, k->plain, k->m.body_len, &err) != MSG_OK) {
        snprintf(why, whylen, "decrypted body does not parse: %s", err.reason);
        return -1;
    }
    return 0;
}

int ike_hash_rest(const struct msg *m, const uint8_t **rest, size_t *len)
{
    const struct msg_payload *h = m->npl ? &m->pl[0] : NULL;
    size_t off;

    if (h == NULL || h->type != ISAKMP_PL_HASH)
        return -1;
    off = (size_t)(h->raw - m->chain) + h->len;
    if (off > m->chain_len)
        return -1;
    *rest = m->chain + off;
    *len = m->chain_len - off;
    return 0;
}
