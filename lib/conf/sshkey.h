/*
 * sshkey.h: why an OpenSSH public key line is not a key of the expected
 * type (`system ... authentication ssh-rsa|ssh-ecdsa|ssh-ed25519`).
 *
 * The schema's patterns decide whether a key line is valid (xmllint's
 * verdict, docs/schema.md); schema_value.c asks sshkey_explain() for the
 * message of a value that failed them (o:check "ssh-key TYPE...").  It
 * decodes the line the way sshd reads authorized_keys: the type word, the
 * key blob in base64 (RFC 4253 6.6 ssh-rsa, RFC 5656 3.1 ecdsa-sha2-*,
 * RFC 8709 4 ssh-ed25519), an optional comment after one space.
 */
#ifndef OPENSG_CONF_SSHKEY_H
#define OPENSG_CONF_SSHKEY_H

#include <stddef.h>

/* types: the accepted type words, space-separated.  Returns -1 with the
 * reason in msg ("invalid public key: ...") when line is not a well-formed
 * key line of one of them, 0 when it is. */
int sshkey_explain(const char *types, const char *line, char *msg, size_t msglen);

#endif
