/* words.c: see words.h */
#include "words.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

void words_init(struct words *w)
{
    memset(w, 0, sizeof(*w));
}

void words_free(struct words *w)
{
    for (size_t i = 0; i < w->n; i++)
        free(w->w[i]);
    free(w->w);
    free(w->off);
    free(w->quoted);
    words_init(w);
}

void words_push(struct words *w, const char *word, size_t off, int quoted)
{
    if (w->n == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 16;
        w->w = realloc(w->w, w->cap * sizeof(*w->w));
        w->off = realloc(w->off, w->cap * sizeof(*w->off));
        w->quoted = realloc(w->quoted, w->cap);
        if (w->w == NULL || w->off == NULL || w->quoted == NULL)
            fatal("realloc");
    }
    w->w[w->n] = strdup(word);
    if (w->w[w->n] == NULL)
        fatal("strdup");
    w->off[w->n] = off;
    w->quoted[w->n] = (unsigned char)quoted;
    w->n++;
}

int words_split(struct words *w, const char *line, size_t len, const char **err, size_t *erroff)
{
    size_t i = 0;
    char *tmp = malloc(len + 1);

    if (tmp == NULL)
        fatal("malloc");
    while (i < len) {
        size_t start, t = 0;

        if (line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '\n') {
            i++;
            continue;
        }
        start = i;
        if (line[i] == '"') {
            i++;
            while (i < len && line[i] != '"') {
                if (line[i] == '\\' && i + 1 < len)
                    i++;
                tmp[t++] = line[i++];
            }
            if (i >= len) {
                *err = "unterminated quote";
                *erroff = start;
                free(tmp);
                return -1;
            }
            i++;
            tmp[t] = '\0';
            words_push(w, tmp, start, 1);
            continue;
        }
        while (i < len && !strchr(" \t\r\n\"", line[i]))
            tmp[t++] = line[i++];
        tmp[t] = '\0';
        words_push(w, tmp, start, 0);
    }
    free(tmp);
    return 0;
}

int word_needs_quotes(const char *s)
{
    if (*s == '\0')
        return 1;
    for (; *s; s++)
        if (strchr(" \t\n;{}[]\"'#", *s) || (unsigned char)*s < 0x20)
            return 1;
    return 0;
}
