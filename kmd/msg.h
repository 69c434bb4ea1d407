/*
 * msg.h: the ISAKMP (IKEv1) message codec.  Parsers validate bounds first,
 * then fill a struct msg; the exchanges (main_mode.c, quick_mode.c, ...)
 * read only that struct, never raw bytes.  The builder appends payloads and
 * fixes up next-payload fields and lengths.
 *
 * Parsing, for a datagram received on UDP 500 (or on 4500 after
 * msg_udp4500_classify() took the non-ESP marker off):
 *
 *     rc = msg_parse(&m, buf, len, &err);     header + plaintext chain
 *     if (rc == MSG_OK && m.encrypted) {      body is ciphertext:
 *         decrypt m.body / m.body_len into plain (lib/crypto)
 *         rc = msg_parse_decrypted(&m, plain, m.body_len, &err);
 *     }
 *
 * Nothing is allocated: a struct msg has fixed-size arrays (about 32 KB, so
 * keep it static or on the heap, not on a small stack) and points into the
 * caller's buffers, which must outlive it.  Every error is a return code
 * with err->reason naming the payload, its index and the offset, and
 * err->notify suggesting the RFC 2408 notify to answer with.
 *
 * Building a plaintext message (MM2):
 *
 *     mb_init_msg(&b, out, sizeof(out));      room for the header kept
 *     mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY); ...
 *     mb_finish_msg(&b, &hdr, &len);          header np and length set
 *
 * and an encrypted one: mb_init(&b, body, cap), payloads, mb_pad(&b, bs),
 * mb_finish(&b, &blen), encrypt, then msg_hdr_write() with np =
 * mb_first(&b), flags |= ISAKMP_FLAG_ENC and length = 28 + blen.
 */
#ifndef KMD_MSG_H
#define KMD_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "isakmp.h"

/* Caps: a message beyond them is refused with MSG_E_TOO_MANY. */
#define MSG_MAX_PAYLOADS 64    /* top-level payloads in one message */
#define MSG_MAX_PROPOSALS 64   /* proposals, all SA payloads of a message */
#define MSG_MAX_TRANSFORMS 128 /* transforms, all SA payloads of a message */
#define MSG_MAX_ATTRS 1024     /* data attributes, all transforms */
#define MSG_MAX_XFORM_ATTRS 32 /* data attributes in one transform */
#define MSG_REASON_LEN 160

enum msg_rc {
    MSG_OK = 0,
    MSG_E_SHORT,        /* datagram shorter than the ISAKMP header */
    MSG_E_IKEV2,        /* major version 2: an IKEv2 message (hdr still filled) */
    MSG_E_VERSION,      /* another major version, or minor version not 0 */
    MSG_E_LENGTH,       /* header length differs from the datagram length */
    MSG_E_TRUNCATED,    /* a payload runs past the end of the message */
    MSG_E_PAYLOAD_LEN,  /* a payload shorter/longer than its type allows */
    MSG_E_PAYLOAD_TYPE, /* P or T outside an SA */
    MSG_E_TOO_MANY,     /* a cap above exceeded */
    MSG_E_PROPOSAL,     /* SA / proposal / transform / attribute syntax */
    MSG_E_DOI,          /* SA with a DOI other than IPsec */
    MSG_E_SITUATION,    /* SA situation other than SIT_IDENTITY_ONLY */
    MSG_E_TRAILING,     /* bytes after the last payload of a plaintext message */
    MSG_E_STATE,        /* API misuse (e.g. msg_parse_decrypted on plaintext) */
    MSG_E_BUILD,        /* builder: no room, or a value that does not fit */
};

struct msg_err {
    enum msg_rc rc;
    uint16_t notify; /* ISAKMP_N_* a responder may answer with, 0 if none */
    uint8_t payload; /* payload type being parsed, 0 for the header */
    unsigned index;  /* index of that payload in the chain */
    size_t offset;   /* byte offset of the fault in the buffer parsed */
    char reason[MSG_REASON_LEN];
};

/* RFC 2408 3.1 */
struct msg_hdr {
    uint8_t icookie[ISAKMP_COOKIE_LEN];
    uint8_t rcookie[ISAKMP_COOKIE_LEN];
    uint8_t np;    /* first payload */
    uint8_t major; /* version nibbles */
    uint8_t minor;
    uint8_t exch;  /* ISAKMP_EXCH_* */
    uint8_t flags; /* ISAKMP_FLAG_* */
    uint32_t msgid;
    uint32_t length;
};

/* A data attribute (RFC 2408 3.3).  TV: value holds the 16-bit value.  TLV:
 * data/len point at the bytes; value holds them when value_ok (at most 8
 * significant bytes), so a 4-byte Life-Duration reads like a TV one. */
struct msg_attr {
    uint16_t type; /* AF bit removed */
    bool tv;
    bool value_ok;
    uint16_t len;
    uint64_t value;
    const uint8_t *data;
};

/* RFC 2408 3.6 */
struct msg_transform {
    uint8_t num;
    uint8_t id;          /* ISAKMP_XF_KEY_IKE, ISAKMP_ESP_*, ISAKMP_AH_*, ... */
    uint16_t first_attr; /* into msg.attr */
    uint16_t nattrs;
};

/* RFC 2408 3.5.  Proposals with the same number form one offer (AND, e.g.
 * AH + ESP bundles, RFC 2408 4.2); `group` numbers the offers 0.. in order. */
struct msg_proposal {
    uint8_t num; /* as sent: libreswan starts at 0, strongSwan at 1 */
    uint8_t proto;
    uint8_t spi_size;
    uint8_t ntransforms; /* as declared, checked against the transforms found */
    const uint8_t *spi;
    uint16_t first_xform; /* into msg.xform */
    uint16_t nxforms;
    uint16_t group;
};

/* RFC 2408 3.4 / RFC 2407 4.6.1 */
struct msg_sa {
    uint32_t doi;
    uint32_t situation;
    uint16_t first_prop; /* into msg.prop */
    uint16_t nprops;
    uint16_t ngroups;
};

/* RFC 2407 4.6.2 (ID payload, IPsec DOI) */
struct msg_id {
    uint8_t type; /* ISAKMP_ID_* */
    uint8_t proto;
    uint16_t port;
    const uint8_t *data;
    size_t len;
};

/* RFC 2408 3.9, 3.10: CERT and CR, kept raw */
struct msg_cert {
    uint8_t encoding; /* ISAKMP_CERT_* */
    const uint8_t *data;
    size_t len;
};

/* RFC 2408 3.14 */
struct msg_notify {
    uint32_t doi;
    uint8_t proto;
    uint8_t spi_size;
    uint16_t type; /* ISAKMP_N_* */
    const uint8_t *spi;
    const uint8_t *data;
    size_t len;
};

/* RFC 2408 3.15: nspis SPIs of spi_size bytes each, back to back */
struct msg_delete {
    uint32_t doi;
    uint8_t proto;
    uint8_t spi_size;
    uint16_t nspis;
    const uint8_t *spis;
};

/* RFC 3947 5.2 */
struct msg_natoa {
    uint8_t id_type; /* ISAKMP_ID_IPV4_ADDR or ISAKMP_ID_IPV6_ADDR */
    int family;      /* AF_INET or AF_INET6 */
    uint8_t addr[16];
};

/* One top-level payload, in the order received.  KE, HASH, SIG, NONCE, VID
 * and NAT-D carry their data in body/body_len (the bytes after the generic
 * header), which is also what RFC 2409 hashes (SAi_b, IDii_b). */
struct msg_payload {
    uint8_t type;        /* as on the wire */
    bool known;          /* false: skipped, type unknown to IKEv1 */
    uint16_t len;        /* generic payload length, header included */
    size_t off;          /* offset of the generic header in the buffer parsed */
    const uint8_t *raw;  /* the generic header */
    const uint8_t *body; /* raw + 4 */
    size_t body_len;
    union {
        struct msg_sa sa;
        struct msg_id id;
        struct msg_cert cert;
        struct msg_notify n;
        struct msg_delete d;
        struct msg_natoa natoa;
        enum isakmp_vid vid;
    } u;
};

struct msg {
    struct msg_hdr hdr;
    const uint8_t *buf; /* the ISAKMP message: header + body */
    size_t len;
    const uint8_t *body; /* after the header: ciphertext when encrypted */
    size_t body_len;
    bool encrypted;       /* E flag: chain not parsed until msg_parse_decrypted */
    bool parsed;          /* the payload chain was parsed */
    const uint8_t *chain; /* the bytes the chain was parsed from */
    size_t chain_len;     /* payloads only, padding excluded */
    size_t padding;       /* bytes after the last payload (decrypted bodies) */
    uint32_t vids;        /* recognised vendor IDs: 1u << enum isakmp_vid */
    unsigned nunknown;    /* payloads skipped because their type is unknown */
    unsigned npl;
    struct msg_payload pl[MSG_MAX_PAYLOADS];
    unsigned nprop, nxform, nattr;
    struct msg_proposal prop[MSG_MAX_PROPOSALS];
    struct msg_transform xform[MSG_MAX_TRANSFORMS];
    struct msg_attr attr[MSG_MAX_ATTRS];
};

/* ---- parsing (msg_parse.c) ---- */

const char *msg_rc_name(enum msg_rc rc);

/* Header only: kmd's cookie lookup and the IKEv2 check.  Every result but
 * MSG_E_SHORT leaves *h filled (MSG_E_IKEV2, MSG_E_VERSION, MSG_E_LENGTH). */
enum msg_rc msg_parse_hdr(struct msg_hdr *h, const uint8_t *buf, size_t len, struct msg_err *err);

/* Header and, unless encrypted, the payload chain (no trailing bytes). */
enum msg_rc msg_parse(struct msg *m, const uint8_t *buf, size_t len, struct msg_err *err);

/* The decrypted body of an encrypted message: chain starts with hdr.np;
 * bytes after the last payload are padding (RFC 2409) and are accepted. */
enum msg_rc msg_parse_decrypted(struct msg *m, const uint8_t *plain, size_t len,
                                struct msg_err *err);

/* UDP 4500 demultiplexing (RFC 3948 2.2, 2.3). */
enum msg_udp4500 {
    MSG_UDP4500_IKE,       /* non-ESP marker: IKE follows at offset 4 */
    MSG_UDP4500_ESP,       /* an ESP packet (SPI is not zero) */
    MSG_UDP4500_KEEPALIVE, /* one byte 0xFF (RFC 3948 2.3) */
    MSG_UDP4500_INVALID,
};
enum msg_udp4500 msg_udp4500_classify(const uint8_t *buf, size_t len);

/* Access */
const struct msg_payload *msg_find(const struct msg *m, uint8_t type, unsigned nth);
unsigned msg_count(const struct msg *m, uint8_t type);
static inline bool msg_has_vid(const struct msg *m, enum isakmp_vid v)
{
    return (m->vids & (1u << v)) != 0;
}
const struct msg_proposal *msg_sa_prop(const struct msg *m, const struct msg_sa *sa, unsigned i);
const struct msg_transform *msg_prop_xform(const struct msg *m, const struct msg_proposal *p,
                                           unsigned i);
const struct msg_attr *msg_xform_attr_at(const struct msg *m, const struct msg_transform *t,
                                         unsigned i);
/* First attribute of a type in a transform, NULL if absent. */
const struct msg_attr *msg_xform_attr(const struct msg *m, const struct msg_transform *t,
                                      uint16_t type);
const uint8_t *msg_delete_spi(const struct msg_delete *d, unsigned i);

/* ID payload data, decoded (RFC 2407 4.6.2). */
struct msg_idval {
    uint8_t type;
    uint8_t proto;
    uint16_t port;
    int family;          /* AF_INET / AF_INET6 for address types, else 0 */
    uint8_t addr[16];    /* address, subnet address or range start */
    uint8_t addr2[16];   /* subnet mask or range end */
    unsigned prefixlen;  /* ADDR: 32/128; SUBNET: from the mask */
    const uint8_t *name; /* FQDN, USER_FQDN, KEY_ID, DER: the bytes */
    size_t name_len;
};
/* 0, or -1 with *why set: wrong length, non-contiguous mask, inverted range,
 * empty or NUL/CR/LF in a name. */
int msg_id_decode(const struct msg_id *id, struct msg_idval *v, const char **why);
/* "198.51.100.0/25", "10.0.0.1-10.0.0.9", "sg2.example.net", "keyid:0a0b..";
 * non-printable bytes of names escaped as \xHH. */
const char *msg_id_format(const struct msg_idval *v, char *buf, size_t len);

/* ---- building (msg_build.c) ---- */

struct msg_builder {
    uint8_t *buf;
    size_t cap, len;
    size_t hdr_room;                    /* ISAKMP_HDR_LEN when mb_init_msg() reserved the header */
    size_t np_off;                      /* next-payload byte of the last top-level payload */
    uint8_t first;                      /* first payload type */
    size_t sa_off, prop_off, xform_off; /* open SA / proposal / transform */
    size_t last_prop, last_xform;       /* their next-payload bytes get 2 / 3 */
    bool padded;                        /* mb_pad() done: no more payloads */
    bool err;
    const char *why;
};

void msg_hdr_write(uint8_t out[ISAKMP_HDR_LEN], const struct msg_hdr *h);

void mb_init(struct msg_builder *b, uint8_t *buf, size_t cap);
void mb_init_msg(struct msg_builder *b, uint8_t *buf, size_t cap);
uint8_t mb_first(const struct msg_builder *b);
/* Payloads.  Errors are sticky: check once with mb_finish(). */
void mb_sa_begin(struct msg_builder *b, uint32_t doi, uint32_t situation);
void mb_proposal_begin(struct msg_builder *b, uint8_t num, uint8_t proto, const uint8_t *spi,
                       uint8_t spi_size);
void mb_transform_begin(struct msg_builder *b, uint8_t num, uint8_t id);
void mb_attr_tv(struct msg_builder *b, uint16_t type, uint16_t value);
void mb_attr_tlv(struct msg_builder *b, uint16_t type, const uint8_t *data, uint16_t len);
void mb_attr(struct msg_builder *b, uint16_t type, uint32_t value); /* TV if it fits */
void mb_sa_end(struct msg_builder *b); /* closes the open transform and proposal */
/* KE: pub left-padded with zeros to modlen (RFC 2409 5). */
void mb_ke(struct msg_builder *b, const uint8_t *pub, size_t len, size_t modlen);
void mb_id(struct msg_builder *b, uint8_t type, uint8_t proto, uint16_t port, const uint8_t *data,
           size_t len);
void mb_id_val(struct msg_builder *b, const struct msg_idval *v);
/* HASH: data may be NULL to reserve zeros; returns where the hash goes. */
uint8_t *mb_hash(struct msg_builder *b, const uint8_t *data, size_t len);
void mb_nonce(struct msg_builder *b, const uint8_t *data, size_t len);
void mb_notify(struct msg_builder *b, uint32_t doi, uint8_t proto, const uint8_t *spi,
               uint8_t spi_size, uint16_t type, const uint8_t *data, size_t len);
void mb_delete(struct msg_builder *b, uint32_t doi, uint8_t proto, uint8_t spi_size,
               const uint8_t *spis, uint16_t nspis);
void mb_vid(struct msg_builder *b, const uint8_t *data, size_t len);
void mb_vid_known(struct msg_builder *b, enum isakmp_vid vid);
/* type: ISAKMP_PL_NATD (RFC 3947) or ISAKMP_PL_NATD_DRAFT */
void mb_natd(struct msg_builder *b, uint8_t type, const uint8_t *hash, size_t len);
/* type: ISAKMP_PL_NATOA or ISAKMP_PL_NATOA_DRAFT; family AF_INET/AF_INET6 */
void mb_natoa(struct msg_builder *b, uint8_t type, int family, const uint8_t *addr);
void mb_raw(struct msg_builder *b, uint8_t type, const uint8_t *body, size_t len);
/* Zero bytes up to a multiple of bs (0..bs-1 of them); returns how many. */
size_t mb_pad(struct msg_builder *b, size_t bs);
/* 0 and the length built (header room included), or -1 (b->why says why). */
int mb_finish(struct msg_builder *b, size_t *len);
/* mb_init_msg() builders: writes the header with np and length filled in. */
int mb_finish_msg(struct msg_builder *b, struct msg_hdr *h, size_t *len);

#endif
