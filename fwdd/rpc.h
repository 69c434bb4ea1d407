/*
 * rpc.h: fwdd's operational requests (schema/op/fwdd.xsd), forwarded by
 * mgd through lib/daemon: dispatch by RPC name, argument parsing, and the
 * <rpc-reply> wrapper.  The replies use Junos's XML element names; a CLI
 * renders them.
 *
 *   get-route-information             show_route.c
 *   get-interface-information         show_if.c
 *   get-arp-table-information         show_misc.c
 *   get-chassis-inventory             show_misc.c
 *   get-service-set-summary-information      show_misc.c
 *   get-services-ipsec-statistics-information,
 *   clear-ipsec-vpn-statistics               show_ipsec.c
 *   ping, traceroute (streamed, cancellable)  ping.c
 */
#ifndef FWDD_RPC_H
#define FWDD_RPC_H

#include "buf.h"
#include "daemon.h"
#include "fwdd.h"

/* dmn_ops callbacks (arg is the struct fwdd). */
void fw_rpc(void *arg, uint32_t id, const char *name, const char *xml);
void fw_cancel(void *arg, uint32_t id);

/* Send body (the elements inside <rpc-reply>) as the answer to id. */
void rpc_reply_body(struct fwdd *fw, uint32_t id, const char *body);
void rpc_error(struct fwdd *fw, uint32_t id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* <name>escaped text</name> at indent. */
void xml_elem(struct buf *b, int indent, const char *name, const char *text);
void xml_elemf(struct buf *b, int indent, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* The handlers. */
void show_route(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);
void show_interfaces(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);
void show_arp(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);
void show_chassis(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);
void show_ss_summary(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);
void show_ipsec_stats(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);
void clear_ipsec_stats(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);
void probe_ping(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);
void probe_traceroute(struct fwdd *fw, uint32_t id, const struct dmn_rpc_args *a);

#endif
