/* buf.c: see buf.h */
#include "buf.h"
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b)
{
    b->s = NULL;
    b->len = b->cap = 0;
}

void buf_free(struct buf *b)
{
    free(b->s);
    buf_init(b);
}

void buf_reset(struct buf *b)
{
    b->len = 0;
    if (b->s)
        b->s[0] = '\0';
}

static void buf_grow(struct buf *b, size_t need)
{
    size_t cap = b->cap ? b->cap : 64;

    if (b->len + need + 1 <= b->cap)
        return;
    while (cap < b->len + need + 1)
        cap *= 2;
    b->s = realloc(b->s, cap);
    if (b->s == NULL)
        fatal("buf_grow");
    b->cap = cap;
}

void buf_add(struct buf *b, const void *p, size_t n)
{
    buf_grow(b, n);
    memcpy(b->s + b->len, p, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
    buf_add(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
    buf_add(b, &c, 1);
}

void buf_printf(struct buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    if ((size_t)n < sizeof(tmp)) {
        buf_add(b, tmp, (size_t)n);
        return;
    }
    buf_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->s + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void buf_indent(struct buf *b, int n)
{
    while (n-- > 0)
        buf_putc(b, ' ');
}

char *buf_steal(struct buf *b)
{
    char *s = b->s;

    if (s == NULL)
        s = calloc(1, 1);
    buf_init(b);
    return s;
}

char *buf_read_file(const char *path)
{
    FILE *f = fopen(path, "r");
    struct buf b;
    char tmp[8192];
    size_t n;

    if (f == NULL)
        return NULL;
    buf_init(&b);
    while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
        buf_add(&b, tmp, n);
    fclose(f);
    return buf_steal(&b);
}
