/*
 * natd.c: NAT discovery (RFC 3947 3.2).  A NAT-D payload is
 * HASH(CKY-I | CKY-R | IP | Port) with the negotiated hash; the first one
 * a peer sends hashes the receiver, the others the sender.  kmd checks
 * the peer's at MM3 and sends its own in MM4 (peer first, then itself).
 *
 * A mismatch of the peer's own hash means "peer behind NAT", whatever the
 * reason: strongSwan with kernel-libipsec forces NAT-T by sending a wrong
 * hash of its own address (reference/peers.md), and kmd must then float
 * to 4500 and accept UDP-encapsulated tunnel mode.  Called by main_mode.c.
 */
#include "ike.h"
#include "log.h"

#include <arpa/inet.h>
#include <string.h>

int natd_hash(const struct ike_sa *sa, const struct fwd_addr *a, uint16_t port, uint8_t *out)
{
    uint8_t p[2] = {(uint8_t)(port >> 8), (uint8_t)port};
    struct crypto_iov iov[4] = {
        {sa->icky, ISAKMP_COOKIE_LEN},
        {sa->rcky, ISAKMP_COOKIE_LEN},
        {a->a, a->af == AF_INET6 ? 16 : 4},
        {p, sizeof(p)},
    };

    return crypto_hash_v(sa->c.hash, iov, 4, out);
}

void natd_check(struct kmd *k, struct ike_sa *sa, const struct msg *m)
{
    uint8_t me[CRYPTO_MAX_HASH], peer[CRYPTO_MAX_HASH];
    size_t hl = crypto_hash_len(sa->c.hash);
    unsigned n = msg_count(m, ISAKMP_PL_NATD);
    bool peer_seen = false;
    char buf[80];

    if (n < 2) {
        log_debug("%s: NAT-T negotiated but MM3 has %u NAT-D payloads: no NAT assumed",
                  ike_peer(sa, buf, sizeof(buf)), n);
        return;
    }
    if (natd_hash(sa, &sa->path.dst, sa->path.dport, me) < 0 ||
        natd_hash(sa, &sa->path.src, sa->path.sport, peer) < 0)
        return;
    for (unsigned i = 0; i < n; i++) {
        const struct msg_payload *p = msg_find(m, ISAKMP_PL_NATD, i);
        bool match;
        if (p->body_len != hl)
            continue;
        if (i == 0) {
            sa->nat_local = !crypto_equal(p->body, me, hl);
            continue;
        }
        match = crypto_equal(p->body, peer, hl);
        peer_seen = peer_seen || match;
    }
    sa->nat_peer = !peer_seen;
    (void)k;
    log_debug("%s: NAT-D: %s, %s", ike_peer(sa, buf, sizeof(buf)),
              sa->nat_peer ? "peer behind NAT (or NAT-T forced)" : "peer not behind NAT",
              sa->nat_local ? "kmd behind NAT" : "kmd not behind NAT");
}

void natd_build(const struct ike_sa *sa, struct msg_builder *b)
{
    uint8_t h[CRYPTO_MAX_HASH];
    size_t hl = crypto_hash_len(sa->c.hash);

    if (natd_hash(sa, &sa->path.src, sa->path.sport, h) == 0)
        mb_natd(b, ISAKMP_PL_NATD, h, hl);
    if (natd_hash(sa, &sa->path.dst, sa->path.dport, h) == 0)
        mb_natd(b, ISAKMP_PL_NATD, h, hl);
}
