/* secret9.h: Junos "$9$" reversible encoding of ascii-text secrets
 * (junos.md section 6). Owned by lib/conf; used by the configuration tree
 * when a secret leaf is set, and by kmd to recover pre-shared keys.
 *
 * "$9$" is obfuscation, not encryption: anyone holding the string can
 * recover the plaintext. The random salt only makes repeated encodings of
 * the same secret differ, as on Junos. */
#ifndef OPENSG_CONF_SECRET9_H
#define OPENSG_CONF_SECRET9_H

#include <stddef.h>
#include <stdint.h>

/* Random source: fills buf with n random bytes. Default uses OpenSSL
 * RAND_bytes. Tests install a seeded deterministic source. The source is
 * process-global and not locked: install it before any thread encodes. */
typedef void (*secret9_rand_fn)(void *ctx, uint8_t *buf, size_t n);
void secret9_set_rand(secret9_rand_fn fn, void *ctx); /* NULL restores default */

/* Encode plaintext (len bytes, may contain any byte 1..255) into a newly
 * malloc'ed NUL-terminated "$9$..." string. Returns NULL on allocation failure.
 * A 0 byte is outside the contract: it is encoded, but the result will not
 * decode. len 0 yields salt and padding only, which decodes to "". */
char *secret9_encode(const char *plain, size_t len);

/* Decode. Returns 0 and a malloc'ed NUL-terminated plaintext in *out (length in
 * *outlen if outlen != NULL), or -1 when enc is not a well-formed $9$ string
 * (missing prefix, character outside the alphabet, truncated final group,
 * decoded byte 0). Never reads past the NUL. "$9$" alone (no salt) and a salt
 * without its full padding are rejected; on failure *out is set to NULL.
 * The caller should OPENSSL_cleanse the plaintext before freeing it. */
int secret9_decode(const char *enc, char **out, size_t *outlen);

/* 1 if s starts with "$9$" */
int secret9_is_encoded(const char *s);

/* A "$9$" value for a leaf of type t (NULL: any): 0 when it decodes to a
 * value of t, -1 when it does not decode, -2 when what it decodes to is
 * not of t (the plaintext is wiped, never returned). */
struct sch_type;
int secret9_valid(const char *enc, const struct sch_type *t);

/* The bytes of a key { ascii-text K | hexadecimal K } value: ascii-text
 * (hex == 0) in $9$ form or plain; hexadecimal (hex != 0) as digits, with
 * or without 0x, themselves in $9$ form or plain.  0 and a malloc'ed
 * buffer of *len bytes (wipe it before freeing), or -1 when the value does
 * not decode or the digits are not an even number of hexadecimal digits. */
int secret_key_bytes(const char *v, int hex, uint8_t **out, size_t *len);

/* Deterministic source for tests: xorshift seeded by seed. */
void secret9_seeded_rand(void *ctx, uint8_t *buf, size_t n); /* ctx: uint64_t* state */

#endif
