/*
 * ipc.h: every message exchanged over OpenSG's local sockets.
 *
 * mgd listens on ROOT/mgd.sock.  Clients (cli, tests, the NETCONF front end)
 * and daemons (kmd, fwdd, the test back-end) connect to it.  A message is a
 * fixed header and a payload of hdr.len bytes, usually XML (Junos RPC
 * style).  Every receiver checks the magic and the length before reading
 * the payload; a bad header closes the connection.  Requests carry an id
 * that their replies and stream chunks repeat.
 *
 * Message types, by prefix:
 *   IPC_RPC*      client -> mgd, and mgd -> daemon for forwarded
 *                 operational requests: <rpc> ... </rpc>
 *   IPC_REPLY*    answer to an RPC: zero or more IPC_REPLY_CHUNK, then one
 *                 IPC_REPLY (<rpc-reply> ... </rpc-reply>)
 *   IPC_CANCEL    client -> mgd (-> daemon): stop the request with this id
 *   IPC_DAEMON_*  daemon registration and the two-phase commit
 */
#ifndef OPENSG_IPC_H
#define OPENSG_IPC_H

#include <stddef.h>
#include <stdint.h>

#define IPC_MAGIC 0x4f534731u       /* "OSG1" */
#define IPC_MAX_PAYLOAD (64u << 20) /* 64 MiB: a 100,000-statement configuration */

enum ipc_type {
    /* requests and answers */
    IPC_RPC = 1,         /* payload: <rpc>...</rpc> */
    IPC_REPLY = 2,       /* payload: <rpc-reply>...</rpc-reply>; ends the request */
    IPC_REPLY_CHUNK = 3, /* payload: a piece of streamed output (text or XML) */
    IPC_CANCEL = 4,      /* payload: empty; hdr.id names the request */

    /* daemons */
    IPC_DAEMON_HELLO = 16,    /* daemon -> mgd: <daemon-hello name="kmd" pid="N"/> */
    IPC_DAEMON_FULL = 17,     /* mgd -> daemon: <configuration> of its subtrees */
    IPC_DAEMON_PREPARE = 18,  /* mgd -> daemon: <commit-prepare seq=N> diff </commit-prepare> */
    IPC_DAEMON_PREPARED = 19, /* daemon -> mgd: <prepare-ok/> or <prepare-error>msg</..> */
    IPC_DAEMON_APPLY = 20,    /* mgd -> daemon: switch to the prepared state (cannot fail) */
    IPC_DAEMON_ABORT = 21,    /* mgd -> daemon: drop the prepared state */
    IPC_DAEMON_APPLIED = 22,  /* daemon -> mgd: done */
    IPC_DAEMON_LOG = 23,      /* daemon -> mgd: <log pri="N">line</log>, for the system log */
};

#define IPC_F_ERROR 0x0001 /* IPC_REPLY: the request failed */

struct ipc_hdr {
    uint32_t magic;
    uint16_t type;
    uint16_t flags;
    uint32_t id;
    uint32_t len;
};
_Static_assert(sizeof(struct ipc_hdr) == 16, "ipc_hdr is 16 bytes on the wire");

const char *ipc_type_name(uint16_t type);

/* Blocking helpers (cli, tests): write a whole message; read one.
 * ipc_read returns 0 and a malloc'ed, NUL-terminated payload, -1 on EOF or
 * error (errno set; EPROTO for a bad header or an oversized length). */
int ipc_write(int fd, uint16_t type, uint16_t flags, uint32_t id, const void *p, size_t len);
int ipc_read(int fd, struct ipc_hdr *h, char **payload);

/* Non-blocking framing for libevent users: given the bytes buffered so
 * far, 1 if a whole message is there (header in *h), 0 if more are
 * needed, -1 if the header is bad. */
int ipc_frame_ready(const void *buf, size_t avail, struct ipc_hdr *h);

#endif
