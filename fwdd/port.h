/*
 * port.h: the appliance's revenue ports.  Each --port ge-F/P/N=IFNAME is a
 * Linux netdev that carries no kernel address: fwdd sets disable_ipv6 on
 * it, refuses it if it holds an IPv4 address, turns its offloads off,
 * brings it up, and reads and writes whole frames on it with one
 * AF_PACKET socket (PACKET_VNET_HDR: each received frame comes with the
 * kernel's checksum and GSO metadata, docs/fwdd.md "Offloads").
 */
#ifndef FWDD_PORT_H
#define FWDD_PORT_H

#include "fwdd.h"

/* Open and start reading; NULL with a message in err. */
struct port *port_open(struct fwdd *fw, size_t index, const char *name, const char *ifname,
                       char *err, size_t errlen);
void port_close(struct port *p);
/* A whole Ethernet frame. */
void port_send_frame(struct fwdd *fw, struct port *p, const uint8_t *frame, size_t len);
/* An L3 packet framed to dst with ethertype type. */
void port_send_ip(struct fwdd *fw, struct port *p, const uint8_t dst[6], uint16_t type,
                  const uint8_t *l3, size_t len);
/* Frames out held, then sent in one sendmmsg per port (and per
 * PORT_TXQ frames) when the outermost hold is released: around a burst
 * of frames in (burst.c) and a drain of PIC completions (pic.c).  Frames
 * too big for a slot go out at once, after those held before them. */
void port_tx_hold(struct fwdd *fw);
void port_tx_release(struct fwdd *fw);
/* Carrier as the kernel sees it (the veth peer is up). */
int port_oper_up(const struct port *p);

#endif
