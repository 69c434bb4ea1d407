/*
 * words.h: splitting a command or statement line into words, Junos style.
 *
 * Words are separated by blanks; "double quotes" group a word (with \" and
 * \\ escapes).  "[" and "]" (leaf-list brackets) are words like others and
 * must stand apart, as Junos prints them: proposals [ a b ];  Each word keeps its
 * byte offset in the line, so that errors can put the caret under it.
 */
#ifndef OPENSG_CONF_WORDS_H
#define OPENSG_CONF_WORDS_H

#include <stddef.h>

struct words {
    char **w;
    size_t *off;           /* offset of each word in the line */
    unsigned char *quoted; /* 1 if the word was written in quotes */
    size_t n;
    size_t cap;
};

void words_init(struct words *w);
void words_free(struct words *w);
void words_push(struct words *w, const char *word, size_t off, int quoted);
/* Append the words of line (length len).  Returns 0, or -1 with an error
 * message ("unterminated quote") and its offset in *erroff. */
int words_split(struct words *w, const char *line, size_t len, const char **err, size_t *erroff);
/* Quote a word for output when needed (blanks, specials, empty). */
int word_needs_quotes(const char *s);

#endif
