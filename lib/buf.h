/*
 * buf.h: a growable byte buffer, always NUL-terminated, for building text
 * (renderings, messages).  Allocation failure is fatal: a daemon that cannot
 * allocate a few bytes of text cannot do anything useful either.
 */
#ifndef OPENSG_BUF_H
#define OPENSG_BUF_H

#include <stddef.h>

struct buf {
    char *s;
    size_t len;
    size_t cap;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_indent(struct buf *b, int n); /* n spaces */
char *buf_steal(struct buf *b);        /* caller frees; b is reset */
/* The whole file at path, NUL-terminated (malloc'ed), or NULL with errno. */
char *buf_read_file(const char *path);

#endif
