/*
 * keylog.c: the opt-in key log (`kmd --key-log`, off by default): one
 * line per IKE SA and per ESP SA, written as tshark preference overrides
 * so that a capture can be decrypted with
 *
 *   args=(); while IFS= read -r l; do args+=(-o "$l"); done \
 *       < <(grep '^uat:' ROOT/log/kmd-keys.log)
 *   tshark -r capture.pcap "${args[@]}" -V
 *
 *   uat:ikev1_decryption_table:"<initiator cookie>","<Ka>"
 *   uat:esp_sa:"IPv4","<src>","<dst>","0x<spi>","<cipher>","0x<key>","<integrity>","0x<key>"
 *
 * The file is created mode 0600 under ROOT/log; it is the only place a
 * secret is ever written.  Comment lines (#) say which SA a line is for.
 * Called by main_mode.c (after MM4) and tunnel.c (at QM3).
 */
#include "ike.h"
#include "log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int kmd_keylog_open(struct kmd *k, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

    if (fd < 0)
        return -1;
    if (fchmod(fd, 0600) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    if (k->keylog)
        fclose(k->keylog);
    k->keylog = fdopen(fd, "a");
    if (k->keylog == NULL) {
        close(fd);
        return -1;
    }
    log_warnx("key log %s is on: it records IKE and ESP keys", path);
    return 0;
}

void keylog_ike(struct kmd *k, const struct ike_sa *sa)
{
    char ic[2 * ISAKMP_COOKIE_LEN + 1], rc[2 * ISAKMP_COOKIE_LEN + 1], ka[2 * CRYPTO_MAX_KEY + 1],
        peer[80];

    if (k->keylog == NULL)
        return;
    hex_str(sa->icky, ISAKMP_COOKIE_LEN, ic);
    hex_str(sa->rcky, ISAKMP_COOKIE_LEN, rc);
    hex_str(sa->skey + 2 * ike_hlen(sa), crypto_cipher_key_len(sa->c.cipher), ka);
    fprintf(k->keylog, "# IKE SA %s:%s peer %s service set %s\n", ic, rc,
            ike_peer(sa, peer, sizeof(peer)), sa->ss_name);
    fprintf(k->keylog, "uat:ikev1_decryption_table:\"%s\",\"%s\"\n", ic, ka);
    fflush(k->keylog);
    crypto_wipe(ka, sizeof(ka));
}

static const char *ts_cipher(uint8_t fwd_cipher, enum crypto_cipher c)
{
    if (fwd_cipher == FWD_CIPHER_AES_GCM_16) /* key and salt, RFC 4106 */
        return "AES-GCM with 16 octet ICV [RFC4106]";
    switch (c) {
    case CRYPTO_CIPHER_DES_CBC:
        return "DES-CBC [RFC2405]";
    case CRYPTO_CIPHER_3DES_CBC:
        return "TripleDES-CBC [RFC2451]";
    default:
        return "AES-CBC [RFC3602]";
    }
}

static const char *ts_auth(uint8_t a)
{
    switch (a) {
    case FWD_AUTH_NONE: /* AES-GCM */
        return "NULL";
    case FWD_AUTH_HMAC_MD5_96:
        return "HMAC-MD5-96 [RFC2403]";
    case FWD_AUTH_HMAC_SHA256_128:
        return "HMAC-SHA-256-128 [RFC4868]";
    default:
        return "HMAC-SHA-1-96 [RFC2404]";
    }
}

static void esp_line(FILE *f, const char *src, const char *dst, bool v6, uint32_t spi,
                     const struct tunnel *t, const uint8_t *ek, const uint8_t *ak)
{
    char e[2 * FWD_KEY_MAX + 1], a[2 * FWD_KEY_MAX + 1];
    bool bundle = t->c.fwd_proto == FWD_PROTO_BUNDLE; /* AH's key is not ESP's */

    hex_str(ek, t->c.ekey_len, e);
    hex_str(ak, bundle ? 0 : t->c.akey_len, a);
    fprintf(f, "uat:esp_sa:\"%s\",\"%s\",\"%s\",\"0x%08x\",\"%s\",\"0x%s\",\"%s\",\"0x%s\"\n",
            v6 ? "IPv6" : "IPv4", src, dst, spi, ts_cipher(t->c.fwd_cipher, t->c.cipher), e,
            ts_auth(bundle ? FWD_AUTH_NONE : t->c.fwd_auth), a);
    crypto_wipe(e, sizeof(e));
    crypto_wipe(a, sizeof(a));
}

/* ESP lines (a bundle's: its ESP SPIs, NULL integrity); AH needs no key to
 * be dissected, so an AH tunnel gets its comment line only. */
void keylog_esp(struct kmd *k, const struct tunnel *t)
{
    char peer[INET6_ADDRSTRLEN], me[INET6_ADDRSTRLEN];
    bool v6 = t->path.src.af == AF_INET6, bundle = t->c.fwd_proto == FWD_PROTO_BUNDLE;

    if (k->keylog == NULL)
        return;
    addr_str(&t->path.src, peer, sizeof(peer));
    addr_str(&t->path.dst, me, sizeof(me));
    fprintf(k->keylog, "# tunnel %u peer %s service set %s%s\n", t->index, peer, t->ss_name,
            t->c.fwd_proto == FWD_PROTO_AH ? " (AH: no keys needed)"
            : bundle                       ? " (AH+ESP bundle: the ESP SAs)"
                                           : "");
    if (t->c.fwd_proto != FWD_PROTO_AH) {
        esp_line(k->keylog, peer, me, v6, bundle ? t->aux_in : t->spi_in, t, tunnel_ekey(t, true),
                 tunnel_akey(t, true));
        esp_line(k->keylog, me, peer, v6, bundle ? t->aux_out : t->spi_out, t,
                 tunnel_ekey(t, false), tunnel_akey(t, false));
    }
    fflush(k->keylog);
}
