/* ipc.c: see ipc.h */
#include "ipc.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const char *ipc_type_name(uint16_t type)
{
    switch (type) {
    case IPC_RPC:
        return "rpc";
    case IPC_REPLY:
        return "reply";
    case IPC_REPLY_CHUNK:
        return "reply-chunk";
    case IPC_CANCEL:
        return "cancel";
    case IPC_DAEMON_HELLO:
        return "daemon-hello";
    case IPC_DAEMON_FULL:
        return "daemon-full";
    case IPC_DAEMON_PREPARE:
        return "daemon-prepare";
    case IPC_DAEMON_PREPARED:
        return "daemon-prepared";
    case IPC_DAEMON_APPLY:
        return "daemon-apply";
    case IPC_DAEMON_ABORT:
        return "daemon-abort";
    case IPC_DAEMON_APPLIED:
        return "daemon-applied";
    case IPC_DAEMON_LOG:
        return "daemon-log";
    }
    return "unknown";
}

static int write_all(int fd, const void *p, size_t len)
{
    const char *c = p;

    while (len > 0) {
        ssize_t n = write(fd, c, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

static int read_all(int fd, void *p, size_t len)
{
    char *c = p;

    while (len > 0) {
        ssize_t n = read(fd, c, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (n == 0) {
            errno = ECONNRESET;
            return -1;
        }
        c += n;
        len -= (size_t)n;
    }
    return 0;
}

int ipc_write(int fd, uint16_t type, uint16_t flags, uint32_t id, const void *p, size_t len)
{
    struct ipc_hdr h = {IPC_MAGIC, type, flags, id, (uint32_t)len};

    if (len > IPC_MAX_PAYLOAD) {
        errno = EMSGSIZE;
        return -1;
    }
    if (write_all(fd, &h, sizeof(h)) < 0)
        return -1;
    return len ? write_all(fd, p, len) : 0;
}

static int header_ok(const struct ipc_hdr *h)
{
    return h->magic == IPC_MAGIC && h->len <= IPC_MAX_PAYLOAD;
}

int ipc_read(int fd, struct ipc_hdr *h, char **payload)
{
    char *p;

    *payload = NULL;
    if (read_all(fd, h, sizeof(*h)) < 0)
        return -1;
    if (!header_ok(h)) {
        errno = EPROTO;
        return -1;
    }
    p = malloc((size_t)h->len + 1);
    if (p == NULL)
        return -1;
    if (read_all(fd, p, h->len) < 0) {
        free(p);
        return -1;
    }
    p[h->len] = '\0';
    *payload = p;
    return 0;
}

int ipc_frame_ready(const void *buf, size_t avail, struct ipc_hdr *h)
{
    if (avail < sizeof(*h))
        return 0;
    memcpy(h, buf, sizeof(*h));
    if (!header_ok(h))
        return -1;
    return avail >= sizeof(*h) + h->len;
}
