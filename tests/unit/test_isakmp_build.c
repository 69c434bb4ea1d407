/* test_isakmp_build.c: the ISAKMP builder (an MM2-like message built and
 * parsed back, an encrypted body padded, builder errors), the name tables
 * and vendor IDs of kmd/isakmp.c, ID payload decoding and formatting, the
 * IKEv2 and version checks of the header, and UDP 4500 demultiplexing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <string.h>
#include <sys/socket.h>

#include "isakmp.h"
#include "msg.h"

static struct msg M;

static const uint8_t ICKY[8] = {0xb9, 0x0d, 0xab, 0x44, 0x53, 0x66, 0x14, 0xf3};
static const uint8_t RCKY[8] = {0xd4, 0x7b, 0x57, 0x4c, 0xeb, 0x36, 0x69, 0x9d};

static void test_names(void **state)
{
    char buf[32];
    (void)state;
    assert_string_equal(isakmp_exch_name(ISAKMP_EXCH_IDPROT), "Main Mode");
    assert_string_equal(isakmp_exch_name(ISAKMP_EXCH_V2_SA_INIT), "IKE_SA_INIT");
    assert_string_equal(isakmp_payload_name(ISAKMP_PL_NATD_DRAFT), "NAT-D(draft)");
    assert_string_equal(isakmp_notify_name(ISAKMP_N_INITIAL_CONTACT), "INITIAL-CONTACT");
    assert_string_equal(isakmp_notify_name(ISAKMP_N_R_U_THERE_ACK), "R-U-THERE-ACK");
    assert_string_equal(isakmp_notify_name(ISAKMP_N_NO_PROPOSAL_CHOSEN), "NO-PROPOSAL-CHOSEN");
    assert_string_equal(isakmp_proto_name(ISAKMP_PROTO_IPSEC_ESP), "IPSEC_ESP");
    assert_string_equal(isakmp_doi_name(ISAKMP_DOI_IPSEC), "IPSEC");
    assert_string_equal(isakmp_id_name(ISAKMP_ID_IPV4_ADDR_SUBNET), "ID_IPV4_ADDR_SUBNET");
    assert_string_equal(isakmp_cert_name(ISAKMP_CERT_X509_SIG), "X.509 Certificate - Signature");
    assert_string_equal(isakmp_xform_name(ISAKMP_PROTO_ISAKMP, 1), "KEY_IKE");
    assert_string_equal(isakmp_xform_name(ISAKMP_PROTO_IPSEC_ESP, 12), "ESP_AES");
    assert_string_equal(isakmp_xform_name(ISAKMP_PROTO_IPSEC_AH, 3), "AH_SHA");
    assert_string_equal(isakmp_xform_name(ISAKMP_PROTO_IPCOMP, 2), "IPCOMP_DEFLATE");
    assert_null(isakmp_xform_name(9, 1));
    assert_string_equal(isakmp_p1_attr_name(ISAKMP_A1_LIFE_DURATION), "Life-Duration");
    assert_string_equal(isakmp_p1_value_name(ISAKMP_A1_ENC, 7), "AES-CBC");
    assert_string_equal(isakmp_p1_value_name(ISAKMP_A1_HASH, 4), "SHA2-256");
    assert_string_equal(isakmp_p1_value_name(ISAKMP_A1_AUTH, 1), "Pre-Shared-Key");
    assert_string_equal(isakmp_p1_value_name(ISAKMP_A1_GROUP, 14), "MODP-2048");
    assert_null(isakmp_p1_value_name(ISAKMP_A1_LIFE_DURATION, 1));
    assert_string_equal(isakmp_p2_attr_name(ISAKMP_A2_ENCAP), "Encapsulation-Mode");
    assert_string_equal(isakmp_p2_value_name(ISAKMP_A2_ENCAP, 3), "UDP-Encapsulated-Tunnel");
    assert_string_equal(isakmp_p2_value_name(ISAKMP_A2_ENCAP, 61443),
                        "UDP-Encapsulated-Tunnel(draft)");
    assert_string_equal(isakmp_p2_value_name(ISAKMP_A2_AUTH, 5), "HMAC-SHA2-256");
    assert_int_equal(isakmp_p1_attr_basic(ISAKMP_A1_ENC), 1);
    assert_int_equal(isakmp_p1_attr_basic(ISAKMP_A1_LIFE_DURATION), 0);
    assert_int_equal(isakmp_p1_attr_basic(99), -1);
    assert_int_equal(isakmp_p2_attr_basic(ISAKMP_A2_LIFE_DURATION), 0);
    assert_int_equal(isakmp_p2_attr_basic(ISAKMP_A2_AUTH), 1);
    assert_null(isakmp_notify_name(12345));
    assert_string_equal(isakmp_fmt(buf, sizeof(buf), isakmp_notify_name(12345), 12345),
                        "unknown(12345)");
    assert_string_equal(isakmp_fmt(buf, sizeof(buf), "x", 1), "x");
}

static void test_vendor_ids(void **state)
{
    static const uint8_t natt[] = {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45,
                                   0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45, 0x2f};
    static const uint8_t dpd[] = {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9,
                                  0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01, 0x00};
    static const uint8_t frag[] = {0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7,
                                   0xde, 0x7f, 0x00, 0xd6, 0xc2, 0xd3, 0x80, 0x00, 0x00, 0x00};
    size_t len;
    (void)state;
    assert_int_equal(isakmp_vid_lookup(natt, sizeof(natt)), ISAKMP_VID_NATT_RFC3947);
    assert_int_equal(isakmp_vid_lookup(natt, 15), ISAKMP_VID_UNKNOWN);
    assert_int_equal(isakmp_vid_lookup(dpd, sizeof(dpd)), ISAKMP_VID_DPD);
    assert_int_equal(isakmp_vid_lookup(frag, sizeof(frag)), ISAKMP_VID_CISCO_FRAG);
    assert_int_equal(isakmp_vid_lookup(NULL, 0), ISAKMP_VID_UNKNOWN);
    for (int v = 1; v < ISAKMP_VID_COUNT; v++) {
        const uint8_t *b = isakmp_vid_bytes((enum isakmp_vid)v, &len);
        assert_non_null(b);
        assert_non_null(isakmp_vid_name((enum isakmp_vid)v));
        assert_int_equal(isakmp_vid_lookup(b, len), v);
    }
    assert_true(ISAKMP_VID_NATT_MASK & (1u << ISAKMP_VID_NATT_DRAFT_02N));
    assert_false(ISAKMP_VID_NATT_MASK & (1u << ISAKMP_VID_DPD));
}

static void check_id(uint8_t type, const void *data, size_t len, int rc, const char *text)
{
    struct msg_id id = {type, 17, 500, data, len};
    struct msg_idval v;
    char buf[128];
    const char *why = NULL;

    assert_int_equal(msg_id_decode(&id, &v, &why), rc);
    if (rc != 0) {
        assert_non_null(why);
        return;
    }
    assert_int_equal(v.proto, 17);
    assert_int_equal(v.port, 500);
    assert_string_equal(msg_id_format(&v, buf, sizeof(buf)), text);
}

static void test_id_decode(void **state)
{
    static const uint8_t v4[] = {198, 18, 0, 2}, sub[] = {198, 51, 100, 128, 255, 255, 255, 128};
    static const uint8_t hole[] = {10, 0, 0, 0, 255, 0, 255, 0}, zero[] = {0, 0, 0, 0, 0, 0, 0, 0};
    static const uint8_t r4[] = {10, 0, 0, 1, 10, 0, 0, 9}, r4bad[] = {10, 0, 0, 9, 10, 0, 0, 1};
    uint8_t v6[32] = {0x20, 0x01, 0x0d, 0xb8}, key[40];
    (void)state;
    check_id(ISAKMP_ID_IPV4_ADDR, v4, 4, 0, "198.18.0.2");
    check_id(ISAKMP_ID_IPV4_ADDR, v4, 3, -1, NULL);
    check_id(ISAKMP_ID_IPV4_ADDR_SUBNET, sub, 8, 0, "198.51.100.128/25");
    check_id(ISAKMP_ID_IPV4_ADDR_SUBNET, zero, 8, 0, "0.0.0.0/0");
    check_id(ISAKMP_ID_IPV4_ADDR_SUBNET, hole, 8, -1, NULL);
    check_id(ISAKMP_ID_IPV4_ADDR_SUBNET, "\x0a\0\0\0\xff\xff\xfd\0", 8, -1, NULL);
    check_id(ISAKMP_ID_IPV4_ADDR_SUBNET, sub, 4, -1, NULL);
    check_id(ISAKMP_ID_IPV4_ADDR_RANGE, r4, 8, 0, "10.0.0.1-10.0.0.9");
    check_id(ISAKMP_ID_IPV4_ADDR_RANGE, r4bad, 8, -1, NULL);
    check_id(ISAKMP_ID_IPV6_ADDR, v6, 16, 0, "2001:db8::");
    memset(v6 + 16, 0xff, 7);
    v6[23] = 0xfe;
    check_id(ISAKMP_ID_IPV6_ADDR_SUBNET, v6, 32, 0, "2001:db8::/63");
    check_id(ISAKMP_ID_IPV6_ADDR_RANGE, v6, 32, 0, "2001:db8::-ffff:ffff:ffff:fffe::");
    check_id(ISAKMP_ID_IPV6_ADDR_SUBNET, v6, 16, -1, NULL);
    check_id(ISAKMP_ID_FQDN, "sg2.example.net", 15, 0, "sg2.example.net");
    check_id(ISAKMP_ID_USER_FQDN, "ops@example.net", 15, 0, "ops@example.net");
    check_id(ISAKMP_ID_FQDN, "a\0b", 3, -1, NULL);
    check_id(ISAKMP_ID_FQDN, "a\nb", 3, -1, NULL);
    check_id(ISAKMP_ID_FQDN, "", 0, -1, NULL);
    check_id(ISAKMP_ID_FQDN, "sp ace\x7f\\", 8, 0, "sp\\x20ace\\x7f\\x5c"); /* escaped for logs */
    check_id(ISAKMP_ID_KEY_ID, "\x01\x02\xab", 3, 0, "keyid:0102ab");
    memset(key, 0xcd, sizeof(key));
    check_id(ISAKMP_ID_KEY_ID, key, 40, 0,
             "keyid:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd...");
    check_id(ISAKMP_ID_KEY_ID, key, 0, -1, NULL);
    check_id(ISAKMP_ID_DER_ASN1_DN, "\x30\x00", 2, 0, "der:3000");
    check_id(42, v4, 4, -1, NULL);

    /* formatting never overflows the caller's buffer */
    struct msg_id id = {ISAKMP_ID_FQDN, 0, 0, (const uint8_t *)"\x01\x02\x03\x04", 4};
    struct msg_idval v;
    char small[6] = "xxxxx";
    assert_int_equal(msg_id_decode(&id, &v, NULL), 0);
    assert_string_equal(msg_id_format(&v, small, sizeof(small)), "\\x01");
    memcpy(small, "yyyyy", 6);
    assert_string_equal(msg_id_format(&v, small, 0), "yyyyy");
}

static void test_ikev2_and_versions(void **state)
{
    uint8_t pkt[ISAKMP_HDR_LEN + 8] = {0};
    struct msg_hdr h = {.exch = ISAKMP_EXCH_V2_SA_INIT, .flags = 0x08, .major = 2};
    struct msg_err err;
    (void)state;

    /* IKE_SA_INIT as strongSwan sends it: version 0x20, np SA (33) */
    memcpy(h.icookie, ICKY, 8);
    h.np = 33;
    h.length = sizeof(pkt);
    msg_hdr_write(pkt, &h);
    assert_int_equal(pkt[17], 0x20);
    assert_int_equal(msg_parse(&M, pkt, sizeof(pkt), &err), MSG_E_IKEV2);
    assert_int_equal(err.rc, MSG_E_IKEV2);
    assert_int_equal(err.notify, ISAKMP_N_INVALID_MAJOR_VERSION);
    assert_int_equal(M.hdr.exch, ISAKMP_EXCH_V2_SA_INIT);
    assert_int_equal(M.hdr.major, 2);
    assert_non_null(strstr(err.reason, "IKE_SA_INIT"));
    /* an IKEv2 header is recognised even when its length is wrong */
    assert_int_equal(msg_parse_hdr(&h, pkt, sizeof(pkt) - 1, &err), MSG_E_IKEV2);

    pkt[17] = 0x11;
    assert_int_equal(msg_parse(&M, pkt, sizeof(pkt), &err), MSG_E_VERSION);
    assert_int_equal(err.notify, ISAKMP_N_INVALID_MINOR_VERSION);
    pkt[17] = 0x30;
    assert_int_equal(msg_parse(&M, pkt, sizeof(pkt), &err), MSG_E_VERSION);
    assert_int_equal(err.notify, ISAKMP_N_INVALID_MAJOR_VERSION);
    pkt[17] = 0x10;
    pkt[16] = ISAKMP_PL_NONE;
    assert_int_equal(msg_parse(&M, pkt, sizeof(pkt), &err), MSG_E_TRAILING);
    assert_int_equal(msg_parse(&M, pkt, ISAKMP_HDR_LEN, &err), MSG_E_LENGTH);
    assert_non_null(strstr(err.reason, "36"));
    assert_int_equal(msg_parse(&M, pkt, 10, &err), MSG_E_SHORT);
    assert_string_equal(msg_rc_name(MSG_E_IKEV2), "IKEv2 message");
    assert_string_equal(msg_rc_name((enum msg_rc)99), "unknown error");
    assert_int_equal(msg_parse(&M, pkt, 10, NULL), MSG_E_SHORT); /* err is optional */
}

static void test_udp4500(void **state)
{
    static const uint8_t ka[] = {0xff}, marker[32] = {0}, esp[] = {0, 0, 1, 0, 0, 0, 0, 1};
    (void)state;
    assert_int_equal(msg_udp4500_classify(ka, 1), MSG_UDP4500_KEEPALIVE);
    assert_int_equal(msg_udp4500_classify(marker, 32), MSG_UDP4500_IKE);
    assert_int_equal(msg_udp4500_classify(esp, 8), MSG_UDP4500_ESP);
    assert_int_equal(msg_udp4500_classify(esp, 7), MSG_UDP4500_INVALID);
    assert_int_equal(msg_udp4500_classify(marker, 3), MSG_UDP4500_INVALID);
    assert_int_equal(msg_udp4500_classify(marker, 0), MSG_UDP4500_INVALID);
}

/* MM2-like: SA with the one chosen transform, VIDs, KE, NONCE, NAT-D. */
static void test_roundtrip_mm2(void **state)
{
    uint8_t out[1024], pub[250], nonce[32], natd[2][20];
    struct msg_hdr h = {.exch = ISAKMP_EXCH_IDPROT};
    struct msg_builder b;
    struct msg_err err;
    size_t len;
    (void)state;

    memset(pub, 0xa5, sizeof(pub));
    memset(nonce, 0x5a, sizeof(nonce));
    memset(natd[0], 0x11, 20);
    memset(natd[1], 0x22, 20);
    memcpy(h.icookie, ICKY, 8);
    memcpy(h.rcookie, RCKY, 8);
    mb_init_msg(&b, out, sizeof(out));
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    mb_proposal_begin(&b, 0, ISAKMP_PROTO_ISAKMP, NULL, 0); /* echo libreswan's 0 */
    mb_transform_begin(&b, 0, ISAKMP_XF_KEY_IKE);
    mb_attr(&b, ISAKMP_A1_ENC, ISAKMP_ENC_AES_CBC);
    mb_attr(&b, ISAKMP_A1_KEY_LENGTH, 128);
    mb_attr(&b, ISAKMP_A1_HASH, ISAKMP_HASH_SHA);
    mb_attr(&b, ISAKMP_A1_GROUP, ISAKMP_GROUP_MODP2048);
    mb_attr(&b, ISAKMP_A1_AUTH, ISAKMP_AUTH_PSK);
    mb_attr(&b, ISAKMP_A1_LIFE_TYPE, ISAKMP_LIFE_SECONDS);
    mb_attr(&b, ISAKMP_A1_LIFE_DURATION, 86400 * 2); /* > 16 bits: TLV */
    mb_vid_known(&b, ISAKMP_VID_NATT_RFC3947);
    mb_vid_known(&b, ISAKMP_VID_DPD);
    mb_ke(&b, pub, sizeof(pub), 256);
    mb_nonce(&b, nonce, sizeof(nonce));
    mb_natd(&b, ISAKMP_PL_NATD, natd[0], 20);
    mb_natd(&b, ISAKMP_PL_NATD, natd[1], 20);
    assert_int_equal(mb_finish_msg(&b, &h, &len), 0);
    /* 28 + SA 48 (8 + P 8 + T 8 + 6 TV + one 8-byte TLV) + 2*20 + 260 + 36 + 2*24 */
    assert_int_equal(len, 28 + 60 + 40 + 260 + 36 + 48);
    assert_int_equal(out[16], ISAKMP_PL_SA);

    assert_int_equal(msg_parse(&M, out, len, &err), MSG_OK);
    assert_memory_equal(M.hdr.icookie, ICKY, 8);
    assert_memory_equal(M.hdr.rcookie, RCKY, 8);
    assert_int_equal(M.hdr.major, 1);
    assert_int_equal(M.npl, 7);
    const struct msg_payload *sa = msg_find(&M, ISAKMP_PL_SA, 0);
    const struct msg_proposal *p = msg_sa_prop(&M, &sa->u.sa, 0);
    const struct msg_transform *t = msg_prop_xform(&M, p, 0);
    assert_int_equal(sa->u.sa.nprops, 1);
    assert_int_equal(p->num, 0);
    assert_int_equal(p->ntransforms, 1);
    assert_int_equal(t->nattrs, 7);
    assert_int_equal(msg_xform_attr(&M, t, ISAKMP_A1_GROUP)->value, 14);
    const struct msg_attr *life = msg_xform_attr(&M, t, ISAKMP_A1_LIFE_DURATION);
    assert_false(life->tv);
    assert_int_equal(life->len, 4);
    assert_int_equal(life->value, 172800);
    assert_true(msg_has_vid(&M, ISAKMP_VID_NATT_RFC3947) && msg_has_vid(&M, ISAKMP_VID_DPD));
    const struct msg_payload *ke = msg_find(&M, ISAKMP_PL_KE, 0);
    assert_int_equal(ke->body_len, 256);
    assert_memory_equal(ke->body, "\0\0\0\0\0\0", 6); /* left-padded */
    assert_memory_equal(ke->body + 6, pub, sizeof(pub));
    assert_memory_equal(msg_find(&M, ISAKMP_PL_NONCE, 0)->body, nonce, 32);
    assert_int_equal(msg_count(&M, ISAKMP_PL_NATD), 2);
    assert_memory_equal(msg_find(&M, ISAKMP_PL_NATD, 1)->body, natd[1], 20);
}

/* Quick-mode-like body with a HASH filled in afterwards, padded, and IDs. */
static void test_encrypted_body(void **state)
{
    uint8_t body[512], msgbuf[600], spi[4] = {0xc8, 0xcd, 0x67, 0x89}, nonce[16] = {1};
    struct msg_idval ic = {.type = ISAKMP_ID_IPV4_ADDR_SUBNET, .family = AF_INET};
    struct msg_hdr h = {.exch = ISAKMP_EXCH_QUICK, .flags = ISAKMP_FLAG_ENC, .major = 1};
    struct msg_builder b;
    struct msg_err err;
    uint8_t *hash;
    size_t blen, pad;
    (void)state;

    inet_pton(AF_INET, "203.0.113.0", ic.addr);
    inet_pton(AF_INET, "255.255.255.0", ic.addr2);
    mb_init(&b, body, sizeof(body));
    hash = mb_hash(&b, NULL, 20);
    assert_non_null(hash);
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    mb_proposal_begin(&b, 1, ISAKMP_PROTO_IPSEC_ESP, spi, 4);
    mb_transform_begin(&b, 1, ISAKMP_ESP_AES);
    mb_attr(&b, ISAKMP_A2_ENCAP, ISAKMP_ENCAP_UDP_TUNNEL);
    mb_transform_begin(&b, 2, ISAKMP_ESP_3DES); /* closes transform 1 */
    mb_attr(&b, ISAKMP_A2_ENCAP, ISAKMP_ENCAP_TUNNEL);
    mb_proposal_begin(&b, 1, ISAKMP_PROTO_IPSEC_AH, spi, 4); /* same number: AND */
    mb_transform_begin(&b, 1, ISAKMP_AH_SHA);
    mb_nonce(&b, nonce, sizeof(nonce)); /* closes the SA */
    mb_id_val(&b, &ic);
    mb_notify(&b, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_ISAKMP, NULL, 0, ISAKMP_N_R_U_THERE,
              (const uint8_t *)"\0\0\0\7", 4);
    mb_delete(&b, ISAKMP_DOI_IPSEC, ISAKMP_PROTO_IPSEC_ESP, 4, spi, 1);
    mb_natoa(&b, ISAKMP_PL_NATOA, AF_INET, ic.addr);
    memset(hash, 0x77, 20);
    pad = mb_pad(&b, 16);
    assert_int_equal(mb_finish(&b, &blen), 0);
    assert_int_equal(blen % 16, 0);
    assert_true(pad < 16);
    mb_nonce(&b, nonce, sizeof(nonce)); /* after padding: refused */
    assert_int_equal(mb_finish(&b, &blen), -1);
    assert_string_equal(b.why, "payload after padding");

    h.np = mb_first(&b);
    h.length = (uint32_t)(ISAKMP_HDR_LEN + blen);
    msg_hdr_write(msgbuf, &h);
    memcpy(msgbuf + ISAKMP_HDR_LEN, body, blen); /* "encrypted" for the codec */
    assert_int_equal(msg_parse(&M, msgbuf, ISAKMP_HDR_LEN + blen, &err), MSG_OK);
    assert_true(M.encrypted);
    assert_false(M.parsed);
    assert_int_equal(M.body_len, blen);
    assert_int_equal(msg_parse_decrypted(&M, body, blen, &err), MSG_OK);
    assert_int_equal(M.padding, pad);
    assert_int_equal(M.npl, 7);
    assert_memory_equal(M.pl[0].body, hash, 20);
    const struct msg_sa *sa = &msg_find(&M, ISAKMP_PL_SA, 0)->u.sa;
    assert_int_equal(sa->nprops, 2);
    assert_int_equal(sa->ngroups, 1); /* ESP AND AH */
    assert_int_equal(msg_sa_prop(&M, sa, 0)->nxforms, 2);
    assert_int_equal(msg_sa_prop(&M, sa, 1)->proto, ISAKMP_PROTO_IPSEC_AH);
    struct msg_idval v;
    char text[64];
    assert_int_equal(msg_id_decode(&msg_find(&M, ISAKMP_PL_ID, 0)->u.id, &v, NULL), 0);
    assert_string_equal(msg_id_format(&v, text, sizeof(text)), "203.0.113.0/24");
    const struct msg_payload *n = msg_find(&M, ISAKMP_PL_N, 0);
    assert_int_equal(n->u.n.type, ISAKMP_N_R_U_THERE);
    assert_int_equal(n->u.n.len, 4);
    assert_memory_equal(msg_delete_spi(&msg_find(&M, ISAKMP_PL_D, 0)->u.d, 0), spi, 4);
    assert_null(msg_delete_spi(&msg_find(&M, ISAKMP_PL_D, 0)->u.d, 1));
    assert_memory_equal(msg_find(&M, ISAKMP_PL_NATOA, 0)->u.natoa.addr, ic.addr, 4);
    /* a plaintext message cannot take a decrypted body */
    M.encrypted = false;
    assert_int_equal(msg_parse_decrypted(&M, body, blen, &err), MSG_E_STATE);
}

static void test_builder_errors(void **state)
{
    uint8_t small[40], big[70000], pub[300] = {0};
    struct msg_builder b;
    size_t len;
    (void)state;

    mb_init(&b, small, 39);
    mb_vid_known(&b, ISAKMP_VID_DPD);
    mb_vid_known(&b, ISAKMP_VID_DPD); /* 2 x 20 bytes in 39 */
    assert_int_equal(mb_finish(&b, &len), -1);
    assert_string_equal(b.why, "buffer too small");

    mb_init(&b, big, sizeof(big));
    mb_raw(&b, 200, NULL, 65532); /* 65536 with the header */
    assert_int_equal(mb_finish(&b, &len), -1);

    mb_init(&b, big, sizeof(big));
    mb_proposal_begin(&b, 1, ISAKMP_PROTO_ISAKMP, NULL, 0);
    assert_int_equal(mb_finish(&b, &len), -1);
    assert_string_equal(b.why, "proposal outside an SA");

    mb_init(&b, big, sizeof(big));
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    mb_proposal_begin(&b, 1, ISAKMP_PROTO_ISAKMP, NULL, 0);
    assert_int_equal(mb_finish(&b, &len), -1);
    assert_string_equal(b.why, "proposal without transforms");

    mb_init(&b, big, sizeof(big));
    mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
    assert_int_equal(mb_finish(&b, &len), -1);
    assert_string_equal(b.why, "SA without proposals");

    mb_init(&b, big, sizeof(big));
    mb_ke(&b, pub, sizeof(pub), 256);
    assert_int_equal(mb_finish(&b, &len), -1);

    mb_init(&b, big, sizeof(big));
    mb_attr(&b, ISAKMP_A1_ENC, 7);
    mb_natd(&b, 21, pub, 20);
    mb_nonce(&b, pub, 4);
    assert_int_equal(mb_finish(&b, &len), -1);
    assert_string_equal(b.why, "attribute outside a transform"); /* the first error sticks */

    mb_init_msg(&b, small, 20); /* no room for the header */
    assert_int_equal(mb_finish(&b, &len), -1);
    mb_init(&b, small, sizeof(small));
    struct msg_hdr h = {0};
    assert_int_equal(mb_finish_msg(&b, &h, &len), -1);

    mb_init(&b, small, sizeof(small)); /* empty body: np NONE, zero length */
    assert_int_equal(mb_finish(&b, &len), 0);
    assert_int_equal(len, 0);
    assert_int_equal(mb_first(&b), ISAKMP_PL_NONE);
}

static void test_builder_misuse(void **state)
{
    uint8_t buf[4096], spi[4] = {1, 2, 3, 4};
    struct msg_idval v4 = {.type = ISAKMP_ID_IPV4_ADDR, .family = AF_INET, .addr = {10, 0, 0, 1}};
    struct msg_idval fq = {
        .type = ISAKMP_ID_FQDN, .name = (const uint8_t *)"a.example", .name_len = 9};
    struct msg_builder b;
    struct msg_err err;
    size_t len;
    static const struct {
        int step;
        const char *why;
    } cases[] = {
        {0, "transform outside a proposal"},
        {1, "attribute outside a transform"},
        {2, "empty HASH"},
        {3, "empty vendor ID"},
        {4, "unknown vendor ID"},
        {5, "empty NAT-D hash"},
        {6, "NAT-OA payload type must be 21 or 131"},
        {7, "NAT-OA family must be AF_INET or AF_INET6"},
        {8, "payload type 0"},
        {9, "more than 255 transforms in a proposal"},
    };
    (void)state;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        mb_init(&b, buf, sizeof(buf));
        switch (cases[i].step) {
        case 0:
            mb_transform_begin(&b, 1, 1);
            break;
        case 1:
            mb_attr_tlv(&b, 1, spi, 4);
            break;
        case 2:
            mb_hash(&b, NULL, 0);
            break;
        case 3:
            mb_vid(&b, spi, 0);
            break;
        case 4:
            mb_vid_known(&b, ISAKMP_VID_UNKNOWN);
            break;
        case 5:
            mb_natd(&b, ISAKMP_PL_NATD, spi, 0);
            break;
        case 6:
            mb_natoa(&b, ISAKMP_PL_NATD, AF_INET, spi);
            break;
        case 7:
            mb_natoa(&b, ISAKMP_PL_NATOA, 99, spi);
            break;
        case 8:
            mb_raw(&b, ISAKMP_PL_NONE, spi, 4);
            break;
        case 9:
            mb_sa_begin(&b, ISAKMP_DOI_IPSEC, ISAKMP_SIT_IDENTITY_ONLY);
            mb_proposal_begin(&b, 1, ISAKMP_PROTO_IPSEC_ESP, spi, 4);
            for (int t = 0; t < 256; t++)
                mb_transform_begin(&b, (uint8_t)t, ISAKMP_ESP_AES);
            break;
        }
        assert_int_equal(mb_finish(&b, &len), -1);
        assert_string_equal(b.why, cases[i].why);
    }
    /* ID payloads from decoded values; padding to 1 does nothing */
    mb_init_msg(&b, buf, sizeof(buf));
    mb_id_val(&b, &v4);
    mb_id_val(&b, &fq);
    assert_int_equal(mb_pad(&b, 1), 0);
    struct msg_hdr h = {.exch = ISAKMP_EXCH_IDPROT};
    assert_int_equal(mb_finish_msg(&b, &h, &len), 0);
    assert_int_equal(msg_parse(&M, buf, len, &err), MSG_OK);
    assert_int_equal(M.pl[0].u.id.len, 4);
    assert_memory_equal(M.pl[1].u.id.data, "a.example", 9);
    /* a failed builder pads nothing */
    mb_init(&b, buf, 2);
    mb_vid_known(&b, ISAKMP_VID_DPD);
    assert_int_equal(mb_pad(&b, 16), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_names),          cmocka_unit_test(test_vendor_ids),
        cmocka_unit_test(test_id_decode),      cmocka_unit_test(test_ikev2_and_versions),
        cmocka_unit_test(test_udp4500),        cmocka_unit_test(test_roundtrip_mm2),
        cmocka_unit_test(test_encrypted_body), cmocka_unit_test(test_builder_errors),
        cmocka_unit_test(test_builder_misuse),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
