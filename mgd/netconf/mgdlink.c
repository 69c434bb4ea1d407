/*
 * mgdlink.c: the connection to mgd (ROOT/mgd.sock, lib/ipc.h).  mgd knows
 * the user by the socket's peer credentials: the login class of the SSH
 * user applies.  Requests are serial; streamed chunks (ping) are dropped,
 * the final reply carries the results.
 */
#include "ipc.h"
#include "netconf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int mgd_connect(struct nc *nc, const char *root)
{
    struct sockaddr_un sa;
    int fd;

    memset(&sa, 0, sizeof(sa));
    sa.sun_family = AF_UNIX;
    if (snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/mgd.sock", root) >= (int)sizeof(sa.sun_path))
        return -1;
    fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
        close(fd);
        return -1;
    }
    nc->mgd = fd;
    return 0;
}

char *mgd_call(struct nc *nc, const char *body)
{
    struct buf b;
    uint32_t id = ++nc->next_id;
    int r;

    if (nc->mgd < 0)
        return NULL;
    buf_init(&b);
    buf_printf(&b, "<rpc>%s</rpc>", body);
    r = ipc_write(nc->mgd, IPC_RPC, 0, id, b.s, b.len);
    buf_free(&b);
    if (r < 0)
        goto lost;
    for (;;) {
        struct ipc_hdr h;
        char *p;
        if (ipc_read(nc->mgd, &h, &p) < 0)
            goto lost;
        if (h.type == IPC_REPLY && h.id == id)
            return p;
        free(p);
    }
lost:
    close(nc->mgd);
    nc->mgd = -1;
    return NULL;
}
