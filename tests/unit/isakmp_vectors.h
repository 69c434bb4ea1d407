/*
 * isakmp_vectors.h: test helpers for the ISAKMP codec tests.  Reads the
 * captures of ../shared/vectors/ikev1/ (a tiny pcap/pcapng reader: Ethernet,
 * IPv4/IPv6, UDP), turns UDP 500/4500 datagrams into ISAKMP messages (the
 * RFC 3948 non-ESP marker taken off, ESP and keepalives counted and
 * skipped), reads keys.txt, and re-encodes a parsed message with the
 * builder so tests can compare it with the bytes on the wire.
 */
#ifndef TEST_ISAKMP_VECTORS_H
#define TEST_ISAKMP_VECTORS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "msg.h"

#define VEC_MAX_PKTS 64

struct ike_pkt {
    unsigned frame; /* 1-based frame number, as in decrypted.txt */
    uint16_t sport, dport;
    bool natt; /* arrived on UDP 4500 behind a non-ESP marker */
    uint8_t src[4], dst[4];
    uint8_t *data; /* exact-size heap copy of the ISAKMP message */
    size_t len;
};

struct vector {
    char name[64];
    char dir[512];
    struct ike_pkt pkt[VEC_MAX_PKTS];
    unsigned npkt;
    unsigned nframes, nesp, nkeepalive, nother;
    /* from keys.txt */
    uint8_t ka[64], iv[32];
    size_t ka_len, iv_len;
};

/* Directory holding the vector folders; NULL (and a message on stderr) if
 * SOURCE_DIR/../shared/vectors/ikev1 is absent. */
const char *vec_root(void);
/* 0, or -1 with a message in err. */
int vec_load(const char *name, struct vector *v, char *err, size_t errlen);
void vec_free(struct vector *v);

/* Reads a whole file; NULL on error.  Caller frees. */
uint8_t *vec_read_file(const char *path, size_t *len);

/* Re-encodes the parsed chain of m into b (SA through the SA builder, the
 * rest through the typed builders or mb_raw). */
void vec_rebuild(const struct msg *m, struct msg_builder *b);

/* Walks everything a parsed message points at and asserts it lies inside
 * [lo, hi) or the message buffer; decodes IDs and formats them. */
void vec_check_bounds(const struct msg *m, const uint8_t *lo, const uint8_t *hi);

/* Hex string to bytes; returns the byte count or -1. */
int vec_unhex(const char *s, uint8_t *out, size_t cap);

#endif
