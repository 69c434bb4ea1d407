/*
 * frame.c: RFC 6242 framing.  End-of-message (base:1.0): each message is
 * followed by "]]>]]>".  Chunked (base:1.1, after both hellos listed it):
 * a message is one or more "\n#SIZE\n" + SIZE bytes, then "\n##\n"; SIZE
 * is decimal without leading zeros, 1..4294967295.  Whitespace between
 * messages is tolerated; a message larger than NC_MAX_MESSAGE is a
 * framing error, as is a bad chunk header.
 */
#include "netconf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

void frame_init(struct framer *f)
{
    buf_init(&f->in);
    f->off = 0;
    f->chunked = 0;
}

void frame_free(struct framer *f)
{
    buf_free(&f->in);
}

void frame_feed(struct framer *f, const void *p, size_t n)
{
    if (f->off && f->off == f->in.len) {
        buf_reset(&f->in);
        f->off = 0;
    } else if (f->off > 65536 && f->off * 2 > f->in.len) {
        memmove(f->in.s, f->in.s + f->off, f->in.len - f->off);
        f->in.len -= f->off;
        f->off = 0;
    }
    buf_add(&f->in, p, n);
}

static char *dup_bytes(const char *p, size_t n)
{
    char *m = malloc(n + 1);

    if (m == NULL)
        abort();
    memcpy(m, p, n);
    m[n] = '\0';
    return m;
}

/* Parse a chunked message starting at p ("\n#").  1 with *used bytes, 0
 * incomplete, -1 bad. */
static int chunked(const char *p, const char *end, char **msg, size_t *len, size_t *used,
                   const char **err)
{
    const char *s = p;
    struct buf m;

    buf_init(&m);
    for (;;) {
        unsigned long long size = 0;
        const char *d;
        if (end - p < 3)
            goto more;
        if (p[0] != '\n' || p[1] != '#') {
            *err = "chunk header expected";
            goto bad;
        }
        if (p[2] == '#') {
            if (end - p < 4)
                goto more;
            if (p[3] != '\n') {
                *err = "bad end-of-chunks marker";
                goto bad;
            }
            if (m.len == 0) {
                *err = "message without chunks";
                goto bad;
            }
            *used = (size_t)(p + 4 - s);
            *len = m.len;
            *msg = dup_bytes(m.s, m.len);
            buf_free(&m);
            return 1;
        }
        for (d = p + 2; d < end && isdigit((unsigned char)*d) && d - p < 14; d++)
            size = size * 10 + (unsigned)(*d - '0');
        if (d == end)
            goto more;
        if (d == p + 2 || *d != '\n' || p[2] == '0' || size > 4294967295ull) {
            *err = "bad chunk size";
            goto bad;
        }
        if (size + m.len > NC_MAX_MESSAGE) {
            *err = "message too large";
            goto bad;
        }
        if ((unsigned long long)(end - (d + 1)) < size)
            goto more;
        buf_add(&m, d + 1, (size_t)size);
        p = d + 1 + size;
    }
more:
    buf_free(&m);
    return 0;
bad:
    buf_free(&m);
    return -1;
}

int frame_next(struct framer *f, int either, char **msg, size_t *len, const char **err)
{
    const char *start = f->in.s ? f->in.s + f->off : "";
    const char *end = start + (f->in.len - f->off);
    const char *p = start;
    size_t used = 0;
    int r;

    *err = NULL;
    /* whitespace between messages; a chunk starts at "\n#" */
    while (p < end && isspace((unsigned char)*p) && !(p + 1 < end && p[0] == '\n' && p[1] == '#'))
        p++;
    if (p == end)
        return 0; /* (a lone "\n" may start the next chunk) */
    if (f->chunked || (either && p + 1 < end && p[0] == '\n' && p[1] == '#')) {
        r = chunked(p, end, msg, len, &used, err);
        if (r == 1)
            f->off += (size_t)(p - start) + used;
        return r;
    }
    {
        const char *eom = NULL;
        for (const char *q = p; q + 6 <= end; q++)
            if (q[0] == ']' && memcmp(q, "]]>]]>", 6) == 0) {
                eom = q;
                break;
            }
        if (eom == NULL) {
            if ((size_t)(end - p) > NC_MAX_MESSAGE) {
                *err = "message too large";
                return -1;
            }
            return 0;
        }
        *len = (size_t)(eom - p);
        *msg = dup_bytes(p, *len);
        f->off += (size_t)(eom + 6 - start);
        return 1;
    }
}

void frame_put(struct buf *out, int chunked_mode, const char *msg, size_t len)
{
    if (chunked_mode) {
        buf_printf(out, "\n#%zu\n", len);
        buf_add(out, msg, len);
        buf_puts(out, "\n##\n");
    } else {
        buf_add(out, msg, len);
        buf_puts(out, "]]>]]>\n");
    }
}
