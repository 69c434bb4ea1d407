/*
 * dpd.c: dead peer detection, responder side only (RFC 3706; the seed:
 * "Initiating DPD hello messages from dynamic peers is not supported").
 * An R-U-THERE (protected informational, SPI = the cookies, data = a
 * 32-bit sequence number) is answered with an R-U-THERE-ACK carrying the
 * same sequence number.  kmd never sends R-U-THERE, so an ACK is only
 * counted (ike statistics: DPD response payloads received; requests sent,
 * responses missed and their maximum delay stay 0).  Called by
 * informational.c.
 */
#include "ike.h"
#include "log.h"

#include <string.h>

void dpd_input(struct kmd *k, struct ike_sa *sa, const struct msg_notify *n)
{
    uint8_t spi[2 * ISAKMP_COOKIE_LEN];
    char peer[80];

    if (n->type == ISAKMP_N_R_U_THERE_ACK)
        sa->dpd_ack_rx++;
    if (n->type != ISAKMP_N_R_U_THERE)
        return;
    sa->dpd_rx++;
    memcpy(spi, sa->icky, ISAKMP_COOKIE_LEN);
    memcpy(spi + ISAKMP_COOKIE_LEN, sa->rcky, ISAKMP_COOKIE_LEN);
    if (n->len != 4 || (n->spi_size == sizeof(spi) && memcmp(n->spi, spi, sizeof(spi)) != 0)) {
        k->cnt.malformed++;
        if (kmd_log_ok(k))
            log_info("%s: malformed R-U-THERE ignored", ike_peer(sa, peer, sizeof(peer)));
        return;
    }
    info_send_notify(k, sa, ISAKMP_PROTO_ISAKMP, spi, sizeof(spi), ISAKMP_N_R_U_THERE_ACK, n->data,
                     n->len);
    sa->dpd_tx++;
    k->cnt.dpd_acks++;
    log_debug("%s: R-U-THERE %02x%02x%02x%02x answered", ike_peer(sa, peer, sizeof(peer)),
              n->data[0], n->data[1], n->data[2], n->data[3]);
}
