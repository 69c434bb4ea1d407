/*
 * msg_id.c: ID payload data (RFC 2407 4.6.2) decoded into addresses,
 * subnets, ranges and names, and formatted for logs and `show`.  The parser
 * (msg_parse.c) only checks the ID payload's bounds; what the data means
 * per ID type is checked here, when kmd asks.
 */
#include "msg.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

/* Prefix length of a contiguous mask, -1 if it has holes. */
static int mask_prefix(const uint8_t *mask, size_t n)
{
    int bits = 0;
    size_t i = 0;

    while (i < n && mask[i] == 0xff) {
        bits += 8;
        i++;
    }
    if (i < n) {
        uint8_t b = mask[i++];
        while (b & 0x80) {
            bits++;
            b = (uint8_t)(b << 1);
        }
        if (b != 0)
            return -1;
    }
    for (; i < n; i++)
        if (mask[i] != 0)
            return -1;
    return bits;
}

static int bad(const char **why, const char *s)
{
    if (why != NULL)
        *why = s;
    return -1;
}

int msg_id_decode(const struct msg_id *id, struct msg_idval *v, const char **why)
{
    size_t alen = 0;
    int pfx;

    memset(v, 0, sizeof(*v));
    v->type = id->type;
    v->proto = id->proto;
    v->port = id->port;
    switch (id->type) {
    case ISAKMP_ID_IPV4_ADDR:
    case ISAKMP_ID_IPV4_ADDR_SUBNET:
    case ISAKMP_ID_IPV4_ADDR_RANGE:
        alen = 4;
        v->family = AF_INET;
        break;
    case ISAKMP_ID_IPV6_ADDR:
    case ISAKMP_ID_IPV6_ADDR_SUBNET:
    case ISAKMP_ID_IPV6_ADDR_RANGE:
        alen = 16;
        v->family = AF_INET6;
        break;
    case ISAKMP_ID_FQDN:
    case ISAKMP_ID_USER_FQDN:
        if (id->len == 0 || id->len > 255)
            return bad(why, "name length not 1..255");
        /* RFC 2407 4.6.2.1: no terminators (NUL, CR, ...) */
        for (size_t i = 0; i < id->len; i++)
            if (id->data[i] == 0 || id->data[i] == '\r' || id->data[i] == '\n')
                return bad(why, "NUL, CR or LF in a name");
        v->name = id->data;
        v->name_len = id->len;
        return 0;
    case ISAKMP_ID_KEY_ID:
    case ISAKMP_ID_DER_ASN1_DN:
    case ISAKMP_ID_DER_ASN1_GN:
        if (id->len == 0)
            return bad(why, "empty identity");
        v->name = id->data;
        v->name_len = id->len;
        return 0;
    default:
        return bad(why, "unknown ID type");
    }
    if (id->type == ISAKMP_ID_IPV4_ADDR || id->type == ISAKMP_ID_IPV6_ADDR) {
        if (id->len != alen)
            return bad(why, "address length does not match the ID type");
        memcpy(v->addr, id->data, alen);
        memset(v->addr2, 0xff, alen);
        v->prefixlen = (unsigned)alen * 8;
        return 0;
    }
    if (id->len != 2 * alen)
        return bad(why, "subnet or range length does not match the ID type");
    memcpy(v->addr, id->data, alen);
    memcpy(v->addr2, id->data + alen, alen);
    if (id->type == ISAKMP_ID_IPV4_ADDR_SUBNET || id->type == ISAKMP_ID_IPV6_ADDR_SUBNET) {
        pfx = mask_prefix(v->addr2, alen);
        if (pfx < 0)
            return bad(why, "non-contiguous subnet mask");
        v->prefixlen = (unsigned)pfx;
        return 0;
    }
    if (memcmp(v->addr, v->addr2, alen) > 0)
        return bad(why, "range ends before it starts");
    return 0;
}

/* Printable ASCII kept, everything else as \xHH (log injection, NULs);
 * stops before an escape that would not fit whole. */
static void put_escaped(char *buf, size_t len, size_t *o, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        bool plain = p[i] >= 0x21 && p[i] <= 0x7e && p[i] != '\\';
        size_t w = plain ? 1 : 4;
        if (*o + w + 1 > len)
            return;
        if (plain)
            buf[(*o)++] = (char)p[i];
        else
            *o += (size_t)snprintf(buf + *o, len - *o, "\\x%02x", p[i]);
    }
}

const char *msg_id_format(const struct msg_idval *v, char *buf, size_t len)
{
    char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
    size_t o = 0;

    if (len == 0)
        return buf;
    buf[0] = '\0';
    switch (v->type) {
    case ISAKMP_ID_IPV4_ADDR:
    case ISAKMP_ID_IPV6_ADDR:
        inet_ntop(v->family, v->addr, a, sizeof(a));
        snprintf(buf, len, "%s", a);
        break;
    case ISAKMP_ID_IPV4_ADDR_SUBNET:
    case ISAKMP_ID_IPV6_ADDR_SUBNET:
        inet_ntop(v->family, v->addr, a, sizeof(a));
        snprintf(buf, len, "%s/%u", a, v->prefixlen);
        break;
    case ISAKMP_ID_IPV4_ADDR_RANGE:
    case ISAKMP_ID_IPV6_ADDR_RANGE:
        inet_ntop(v->family, v->addr, a, sizeof(a));
        inet_ntop(v->family, v->addr2, b, sizeof(b));
        snprintf(buf, len, "%s-%s", a, b);
        break;
    case ISAKMP_ID_FQDN:
    case ISAKMP_ID_USER_FQDN:
        put_escaped(buf, len, &o, v->name, v->name_len);
        buf[o] = '\0';
        break;
    default: {
        /* KEY_ID and DER: a tag and up to 32 bytes in hex */
        int w = snprintf(buf, len, "%s:", v->type == ISAKMP_ID_KEY_ID ? "keyid" : "der");
        o = w > 0 && (size_t)w < len ? (size_t)w : 0;
        for (size_t i = 0; i < v->name_len && i < 32 && o + 3 <= len; i++)
            o += (size_t)snprintf(buf + o, len - o, "%02x", v->name[i]);
        if (v->name_len > 32 && o + 4 <= len)
            snprintf(buf + o, len - o, "...");
        break;
    }
    }
    return buf;
}
