/*
 * msg_build.c: the ISAKMP message builder.  Payloads are appended to a
 * caller's buffer; each one patches the next-payload byte of the one before
 * it (the first one becomes the header's np) and gets its length when done.
 * An SA stays open while proposals, transforms and attributes are added;
 * the next top-level payload or mb_sa_end() closes it.  The first error
 * sticks: later calls do nothing and mb_finish() reports it.
 */
#include "msg.h"

#include <string.h>
#include <sys/socket.h>

#define NONE ((size_t)-1)

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void msg_hdr_write(uint8_t out[ISAKMP_HDR_LEN], const struct msg_hdr *h)
{
    memcpy(out, h->icookie, ISAKMP_COOKIE_LEN);
    memcpy(out + 8, h->rcookie, ISAKMP_COOKIE_LEN);
    out[16] = h->np;
    out[17] = (uint8_t)((h->major & 0x0f) << 4 | (h->minor & 0x0f));
    out[18] = h->exch;
    out[19] = h->flags;
    put32(out + 20, h->msgid);
    put32(out + 24, h->length);
}

static void berr(struct msg_builder *b, const char *why)
{
    if (!b->err) {
        b->err = true;
        b->why = why;
    }
}

/* Room for n more bytes, or a sticky error. */
static uint8_t *grow(struct msg_builder *b, size_t n)
{
    uint8_t *p;

    if (b->err)
        return NULL;
    if (n > b->cap - b->len) {
        berr(b, "buffer too small");
        return NULL;
    }
    p = b->buf + b->len;
    b->len += n;
    return p;
}

static void append(struct msg_builder *b, const void *data, size_t n)
{
    uint8_t *p = grow(b, n);

    if (p != NULL && n > 0) {
        if (data != NULL)
            memcpy(p, data, n);
        else
            memset(p, 0, n);
    }
}

static void set_len16(struct msg_builder *b, size_t start)
{
    size_t n = b->len - start;

    if (b->err)
        return;
    if (n > 0xffff) {
        berr(b, "payload longer than 65535 bytes");
        return;
    }
    put16(b->buf + start + 2, (uint16_t)n);
}

static void init(struct msg_builder *b, uint8_t *buf, size_t cap, size_t room)
{
    memset(b, 0, sizeof(*b));
    b->buf = buf;
    b->cap = cap;
    b->np_off = b->sa_off = b->prop_off = b->xform_off = NONE;
    b->last_prop = b->last_xform = NONE;
    b->hdr_room = room;
    if (room > cap)
        berr(b, "buffer too small");
    else
        b->len = room;
}

void mb_init(struct msg_builder *b, uint8_t *buf, size_t cap)
{
    init(b, buf, cap, 0);
}

void mb_init_msg(struct msg_builder *b, uint8_t *buf, size_t cap)
{
    init(b, buf, cap, ISAKMP_HDR_LEN);
}

uint8_t mb_first(const struct msg_builder *b)
{
    return b->first;
}

static void close_xform(struct msg_builder *b)
{
    if (b->xform_off != NONE)
        set_len16(b, b->xform_off);
    b->xform_off = NONE;
}

static void close_prop(struct msg_builder *b)
{
    close_xform(b);
    if (b->prop_off == NONE)
        return;
    if (!b->err && b->buf[b->prop_off + 7] == 0)
        berr(b, "proposal without transforms");
    set_len16(b, b->prop_off);
    b->prop_off = NONE;
}

void mb_sa_end(struct msg_builder *b)
{
    if (b->sa_off == NONE)
        return;
    close_prop(b);
    if (b->last_prop == NONE)
        berr(b, "SA without proposals");
    set_len16(b, b->sa_off);
    b->sa_off = NONE;
}

/* Opens a top-level payload: generic header with length 0 for now. */
static size_t pl_begin(struct msg_builder *b, uint8_t type)
{
    size_t start;
    uint8_t *p;

    mb_sa_end(b);
    if (b->padded)
        berr(b, "payload after padding");
    start = b->len;
    p = grow(b, ISAKMP_GENERIC_LEN);
    if (p == NULL)
        return NONE;
    memset(p, 0, ISAKMP_GENERIC_LEN);
    if (b->np_off == NONE)
        b->first = type;
    else
        b->buf[b->np_off] = type;
    b->np_off = start;
    return start;
}

static void pl_end(struct msg_builder *b, size_t start)
{
    if (start != NONE)
        set_len16(b, start);
}

static void simple(struct msg_builder *b, uint8_t type, const uint8_t *data, size_t len)
{
    size_t start = pl_begin(b, type);

    append(b, data, len);
    pl_end(b, start);
}

void mb_sa_begin(struct msg_builder *b, uint32_t doi, uint32_t situation)
{
    size_t start = pl_begin(b, ISAKMP_PL_SA);
    uint8_t *p = grow(b, 8);

    if (p == NULL)
        return;
    put32(p, doi);
    put32(p + 4, situation);
    b->sa_off = start;
    b->prop_off = b->xform_off = b->last_prop = b->last_xform = NONE;
}

void mb_proposal_begin(struct msg_builder *b, uint8_t num, uint8_t proto, const uint8_t *spi,
                       uint8_t spi_size)
{
    size_t start;
    uint8_t *p;

    if (b->sa_off == NONE) {
        berr(b, "proposal outside an SA");
        return;
    }
    close_prop(b);
    start = b->len;
    p = grow(b, 8);
    if (p == NULL)
        return;
    memset(p, 0, 8);
    p[4] = num;
    p[5] = proto;
    p[6] = spi_size;
    append(b, spi, spi_size);
    if (b->last_prop != NONE)
        b->buf[b->last_prop] = ISAKMP_PL_P;
    b->prop_off = b->last_prop = start;
    b->last_xform = NONE;
}

void mb_transform_begin(struct msg_builder *b, uint8_t num, uint8_t id)
{
    size_t start;
    uint8_t *p;

    if (b->prop_off == NONE) {
        berr(b, "transform outside a proposal");
        return;
    }
    close_xform(b);
    if (!b->err && b->buf[b->prop_off + 7] == 0xff) {
        berr(b, "more than 255 transforms in a proposal");
        return;
    }
    start = b->len;
    p = grow(b, 8);
    if (p == NULL)
        return;
    memset(p, 0, 8);
    p[4] = num;
    p[5] = id;
    b->buf[b->prop_off + 7]++;
    if (b->last_xform != NONE)
        b->buf[b->last_xform] = ISAKMP_PL_T;
    b->xform_off = b->last_xform = start;
}

void mb_attr_tv(struct msg_builder *b, uint16_t type, uint16_t value)
{
    uint8_t *p;

    if (b->xform_off == NONE) {
        berr(b, "attribute outside a transform");
        return;
    }
    p = grow(b, 4);
    if (p == NULL)
        return;
    put16(p, (uint16_t)(ISAKMP_ATTR_AF | (type & ISAKMP_ATTR_TYPE)));
    put16(p + 2, value);
}

void mb_attr_tlv(struct msg_builder *b, uint16_t type, const uint8_t *data, uint16_t len)
{
    uint8_t *p;

    if (b->xform_off == NONE) {
        berr(b, "attribute outside a transform");
        return;
    }
    p = grow(b, 4);
    if (p == NULL)
        return;
    put16(p, type & ISAKMP_ATTR_TYPE);
    put16(p + 2, len);
    append(b, data, len);
}

void mb_attr(struct msg_builder *b, uint16_t type, uint32_t value)
{
    uint8_t v[4];

    if (value <= 0xffff) {
        mb_attr_tv(b, type, (uint16_t)value);
        return;
    }
    put32(v, value);
    mb_attr_tlv(b, type, v, sizeof(v));
}

void mb_ke(struct msg_builder *b, const uint8_t *pub, size_t len, size_t modlen)
{
    size_t start;

    if (len > modlen || modlen == 0) {
        berr(b, "KE value longer than the group's modulus");
        return;
    }
    start = pl_begin(b, ISAKMP_PL_KE);
    append(b, NULL, modlen - len); /* RFC 2409 5: left-padded with zeros */
    append(b, pub, len);
    pl_end(b, start);
}

void mb_id(struct msg_builder *b, uint8_t type, uint8_t proto, uint16_t port, const uint8_t *data,
           size_t len)
{
    size_t start = pl_begin(b, ISAKMP_PL_ID);
    uint8_t *p = grow(b, 4);

    if (p != NULL) {
        p[0] = type;
        p[1] = proto;
        put16(p + 2, port);
    }
    append(b, data, len);
    pl_end(b, start);
}

void mb_id_val(struct msg_builder *b, const struct msg_idval *v)
{
    uint8_t data[32];
    size_t alen = v->family == AF_INET6 ? 16 : 4;

    switch (v->type) {
    case ISAKMP_ID_IPV4_ADDR:
    case ISAKMP_ID_IPV6_ADDR:
        mb_id(b, v->type, v->proto, v->port, v->addr, alen);
        return;
    case ISAKMP_ID_IPV4_ADDR_SUBNET:
    case ISAKMP_ID_IPV6_ADDR_SUBNET:
    case ISAKMP_ID_IPV4_ADDR_RANGE:
    case ISAKMP_ID_IPV6_ADDR_RANGE:
        memcpy(data, v->addr, alen);
        memcpy(data + alen, v->addr2, alen);
        mb_id(b, v->type, v->proto, v->port, data, 2 * alen);
        return;
    default:
        mb_id(b, v->type, v->proto, v->port, v->name, v->name_len);
        return;
    }
}

uint8_t *mb_hash(struct msg_builder *b, const uint8_t *data, size_t len)
{
    size_t start = pl_begin(b, ISAKMP_PL_HASH);
    uint8_t *p;

    if (len == 0)
        berr(b, "empty HASH");
    p = grow(b, len);
    if (p != NULL) {
        if (data != NULL)
            memcpy(p, data, len);
        else
            memset(p, 0, len);
    }
    pl_end(b, start);
    return b->err ? NULL : p;
}

void mb_nonce(struct msg_builder *b, const uint8_t *data, size_t len)
{
    if (len < ISAKMP_NONCE_MIN || len > ISAKMP_NONCE_MAX)
        berr(b, "nonce length outside 8..256");
    simple(b, ISAKMP_PL_NONCE, data, len);
}

void mb_notify(struct msg_builder *b, uint32_t doi, uint8_t proto, const uint8_t *spi,
               uint8_t spi_size, uint16_t type, const uint8_t *data, size_t len)
{
    size_t start = pl_begin(b, ISAKMP_PL_N);
    uint8_t *p = grow(b, 8);

    if (p != NULL) {
        put32(p, doi);
        p[4] = proto;
        p[5] = spi_size;
        put16(p + 6, type);
    }
    append(b, spi, spi_size);
    append(b, data, len);
    pl_end(b, start);
}

void mb_delete(struct msg_builder *b, uint32_t doi, uint8_t proto, uint8_t spi_size,
               const uint8_t *spis, uint16_t nspis)
{
    size_t start = pl_begin(b, ISAKMP_PL_D);
    uint8_t *p = grow(b, 8);

    if (p != NULL) {
        put32(p, doi);
        p[4] = proto;
        p[5] = spi_size;
        put16(p + 6, nspis);
    }
    append(b, spis, (size_t)spi_size * nspis);
    pl_end(b, start);
}

void mb_vid(struct msg_builder *b, const uint8_t *data, size_t len)
{
    if (len == 0)
        berr(b, "empty vendor ID");
    simple(b, ISAKMP_PL_VID, data, len);
}

void mb_vid_known(struct msg_builder *b, enum isakmp_vid vid)
{
    size_t len;
    const uint8_t *p = isakmp_vid_bytes(vid, &len);

    if (p == NULL) {
        berr(b, "unknown vendor ID");
        return;
    }
    simple(b, ISAKMP_PL_VID, p, len);
}

void mb_natd(struct msg_builder *b, uint8_t type, const uint8_t *hash, size_t len)
{
    if (type != ISAKMP_PL_NATD && type != ISAKMP_PL_NATD_DRAFT)
        berr(b, "NAT-D payload type must be 20 or 130");
    if (len == 0)
        berr(b, "empty NAT-D hash");
    simple(b, type, hash, len);
}

void mb_natoa(struct msg_builder *b, uint8_t type, int family, const uint8_t *addr)
{
    uint8_t body[20] = {0};
    size_t alen = family == AF_INET6 ? 16 : 4;

    if (type != ISAKMP_PL_NATOA && type != ISAKMP_PL_NATOA_DRAFT)
        berr(b, "NAT-OA payload type must be 21 or 131");
    if (family != AF_INET && family != AF_INET6)
        berr(b, "NAT-OA family must be AF_INET or AF_INET6");
    body[0] = family == AF_INET6 ? ISAKMP_ID_IPV6_ADDR : ISAKMP_ID_IPV4_ADDR;
    memcpy(body + 4, addr, alen);
    simple(b, type, body, 4 + alen);
}

void mb_raw(struct msg_builder *b, uint8_t type, const uint8_t *body, size_t len)
{
    if (type == ISAKMP_PL_NONE)
        berr(b, "payload type 0");
    simple(b, type, body, len);
}

size_t mb_pad(struct msg_builder *b, size_t bs)
{
    size_t n, pad;

    mb_sa_end(b);
    if (b->err || bs <= 1)
        return 0;
    n = b->len - b->hdr_room;
    pad = (bs - n % bs) % bs;
    append(b, NULL, pad);
    b->padded = true;
    return b->err ? 0 : pad;
}

int mb_finish(struct msg_builder *b, size_t *len)
{
    mb_sa_end(b);
    if (b->err)
        return -1;
    *len = b->len;
    return 0;
}

int mb_finish_msg(struct msg_builder *b, struct msg_hdr *h, size_t *len)
{
    if (b->hdr_room != ISAKMP_HDR_LEN) {
        berr(b, "mb_finish_msg without mb_init_msg");
        return -1;
    }
    if (mb_finish(b, len) != 0)
        return -1;
    if (h->major == 0 && h->minor == 0) {
        h->major = ISAKMP_MAJOR;
        h->minor = ISAKMP_MINOR;
    }
    h->np = b->first;
    h->length = (uint32_t)*len;
    msg_hdr_write(b->buf, h);
    return 0;
}
