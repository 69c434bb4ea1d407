/*
 * isakmp.c: name tables for the numbers of isakmp.h (logs, `show` output)
 * and the vendor ID values kmd recognises and sends.
 */
#include "isakmp.h"

#include <stdio.h>
#include <string.h>

struct name {
    unsigned v;
    const char *name;
};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *lookup(const struct name *t, size_t n, unsigned v)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].v == v)
            return t[i].name;
    return NULL;
}

#define LOOKUP(t, v) lookup(t, NELEM(t), v)

static const struct name exch_names[] = {
    {ISAKMP_EXCH_NONE, "NONE"},
    {ISAKMP_EXCH_BASE, "Base"},
    {ISAKMP_EXCH_IDPROT, "Main Mode"},
    {ISAKMP_EXCH_AUTH_ONLY, "Authentication Only"},
    {ISAKMP_EXCH_AGGRESSIVE, "Aggressive Mode"},
    {ISAKMP_EXCH_INFO, "Informational"},
    {ISAKMP_EXCH_TRANSACTION, "Transaction"},
    {ISAKMP_EXCH_QUICK, "Quick Mode"},
    {ISAKMP_EXCH_NEW_GROUP, "New Group Mode"},
    {ISAKMP_EXCH_V2_SA_INIT, "IKE_SA_INIT"},
    {ISAKMP_EXCH_V2_AUTH, "IKE_AUTH"},
    {ISAKMP_EXCH_V2_CHILD_SA, "CREATE_CHILD_SA"},
    {ISAKMP_EXCH_V2_INFO, "INFORMATIONAL"},
};

static const struct name payload_names[] = {
    {ISAKMP_PL_NONE, "NONE"},
    {ISAKMP_PL_SA, "SA"},
    {ISAKMP_PL_P, "P"},
    {ISAKMP_PL_T, "T"},
    {ISAKMP_PL_KE, "KE"},
    {ISAKMP_PL_ID, "ID"},
    {ISAKMP_PL_CERT, "CERT"},
    {ISAKMP_PL_CR, "CR"},
    {ISAKMP_PL_HASH, "HASH"},
    {ISAKMP_PL_SIG, "SIG"},
    {ISAKMP_PL_NONCE, "NONCE"},
    {ISAKMP_PL_N, "N"},
    {ISAKMP_PL_D, "D"},
    {ISAKMP_PL_VID, "VID"},
    {ISAKMP_PL_ATTR, "ATTR"},
    {ISAKMP_PL_NATD, "NAT-D"},
    {ISAKMP_PL_NATOA, "NAT-OA"},
    {ISAKMP_PL_NATD_DRAFT, "NAT-D(draft)"},
    {ISAKMP_PL_NATOA_DRAFT, "NAT-OA(draft)"},
    {ISAKMP_PL_FRAG, "FRAG(cisco)"},
};

static const struct name notify_names[] = {
    {ISAKMP_N_INVALID_PAYLOAD_TYPE, "INVALID-PAYLOAD-TYPE"},
    {ISAKMP_N_DOI_NOT_SUPPORTED, "DOI-NOT-SUPPORTED"},
    {ISAKMP_N_SITUATION_NOT_SUPPORTED, "SITUATION-NOT-SUPPORTED"},
    {ISAKMP_N_INVALID_COOKIE, "INVALID-COOKIE"},
    {ISAKMP_N_INVALID_MAJOR_VERSION, "INVALID-MAJOR-VERSION"},
    {ISAKMP_N_INVALID_MINOR_VERSION, "INVALID-MINOR-VERSION"},
    {ISAKMP_N_INVALID_EXCHANGE_TYPE, "INVALID-EXCHANGE-TYPE"},
    {ISAKMP_N_INVALID_FLAGS, "INVALID-FLAGS"},
    {ISAKMP_N_INVALID_MESSAGE_ID, "INVALID-MESSAGE-ID"},
    {ISAKMP_N_INVALID_PROTOCOL_ID, "INVALID-PROTOCOL-ID"},
    {ISAKMP_N_INVALID_SPI, "INVALID-SPI"},
    {ISAKMP_N_INVALID_TRANSFORM_ID, "INVALID-TRANSFORM-ID"},
    {ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED, "ATTRIBUTES-NOT-SUPPORTED"},
    {ISAKMP_N_NO_PROPOSAL_CHOSEN, "NO-PROPOSAL-CHOSEN"},
    {ISAKMP_N_BAD_PROPOSAL_SYNTAX, "BAD-PROPOSAL-SYNTAX"},
    {ISAKMP_N_PAYLOAD_MALFORMED, "PAYLOAD-MALFORMED"},
    {ISAKMP_N_INVALID_KEY_INFORMATION, "INVALID-KEY-INFORMATION"},
    {ISAKMP_N_INVALID_ID_INFORMATION, "INVALID-ID-INFORMATION"},
    {ISAKMP_N_INVALID_CERT_ENCODING, "INVALID-CERT-ENCODING"},
    {ISAKMP_N_INVALID_CERTIFICATE, "INVALID-CERTIFICATE"},
    {ISAKMP_N_CERT_TYPE_UNSUPPORTED, "CERT-TYPE-UNSUPPORTED"},
    {ISAKMP_N_INVALID_CERT_AUTHORITY, "INVALID-CERT-AUTHORITY"},
    {ISAKMP_N_INVALID_HASH_INFORMATION, "INVALID-HASH-INFORMATION"},
    {ISAKMP_N_AUTHENTICATION_FAILED, "AUTHENTICATION-FAILED"},
    {ISAKMP_N_INVALID_SIGNATURE, "INVALID-SIGNATURE"},
    {ISAKMP_N_ADDRESS_NOTIFICATION, "ADDRESS-NOTIFICATION"},
    {ISAKMP_N_NOTIFY_SA_LIFETIME, "NOTIFY-SA-LIFETIME"},
    {ISAKMP_N_CERTIFICATE_UNAVAILABLE, "CERTIFICATE-UNAVAILABLE"},
    {ISAKMP_N_UNSUPPORTED_EXCHANGE_TYPE, "UNSUPPORTED-EXCHANGE-TYPE"},
    {ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS, "UNEQUAL-PAYLOAD-LENGTHS"},
    {ISAKMP_N_CONNECTED, "CONNECTED"},
    {ISAKMP_N_RESPONDER_LIFETIME, "RESPONDER-LIFETIME"},
    {ISAKMP_N_REPLAY_STATUS, "REPLAY-STATUS"},
    {ISAKMP_N_INITIAL_CONTACT, "INITIAL-CONTACT"},
    {ISAKMP_N_R_U_THERE, "R-U-THERE"},
    {ISAKMP_N_R_U_THERE_ACK, "R-U-THERE-ACK"},
};

static const struct name proto_names[] = {
    {ISAKMP_PROTO_ISAKMP, "ISAKMP"},
    {ISAKMP_PROTO_IPSEC_AH, "IPSEC_AH"},
    {ISAKMP_PROTO_IPSEC_ESP, "IPSEC_ESP"},
    {ISAKMP_PROTO_IPCOMP, "IPCOMP"},
};

static const struct name doi_names[] = {
    {ISAKMP_DOI_ISAKMP, "ISAKMP"},
    {ISAKMP_DOI_IPSEC, "IPSEC"},
};

static const struct name id_names[] = {
    {ISAKMP_ID_IPV4_ADDR, "ID_IPV4_ADDR"},
    {ISAKMP_ID_FQDN, "ID_FQDN"},
    {ISAKMP_ID_USER_FQDN, "ID_USER_FQDN"},
    {ISAKMP_ID_IPV4_ADDR_SUBNET, "ID_IPV4_ADDR_SUBNET"},
    {ISAKMP_ID_IPV6_ADDR, "ID_IPV6_ADDR"},
    {ISAKMP_ID_IPV6_ADDR_SUBNET, "ID_IPV6_ADDR_SUBNET"},
    {ISAKMP_ID_IPV4_ADDR_RANGE, "ID_IPV4_ADDR_RANGE"},
    {ISAKMP_ID_IPV6_ADDR_RANGE, "ID_IPV6_ADDR_RANGE"},
    {ISAKMP_ID_DER_ASN1_DN, "ID_DER_ASN1_DN"},
    {ISAKMP_ID_DER_ASN1_GN, "ID_DER_ASN1_GN"},
    {ISAKMP_ID_KEY_ID, "ID_KEY_ID"},
};

static const struct name cert_names[] = {
    {ISAKMP_CERT_NONE, "NONE"},
    {ISAKMP_CERT_PKCS7, "PKCS #7 wrapped X.509"},
    {ISAKMP_CERT_PGP, "PGP"},
    {ISAKMP_CERT_DNS, "DNS Signed Key"},
    {ISAKMP_CERT_X509_SIG, "X.509 Certificate - Signature"},
    {ISAKMP_CERT_X509_KE, "X.509 Certificate - Key Exchange"},
    {ISAKMP_CERT_KERBEROS, "Kerberos Tokens"},
    {ISAKMP_CERT_CRL, "CRL"},
    {ISAKMP_CERT_ARL, "ARL"},
    {ISAKMP_CERT_SPKI, "SPKI"},
    {ISAKMP_CERT_X509_ATTR, "X.509 Certificate - Attribute"},
};

static const struct name ah_names[] = {
    {ISAKMP_AH_MD5, "AH_MD5"},           {ISAKMP_AH_SHA, "AH_SHA"},
    {ISAKMP_AH_DES, "AH_DES"},           {ISAKMP_AH_SHA2_256, "AH_SHA2-256"},
    {ISAKMP_AH_SHA2_384, "AH_SHA2-384"}, {ISAKMP_AH_SHA2_512, "AH_SHA2-512"},
    {ISAKMP_AH_RIPEMD, "AH_RIPEMD"},     {ISAKMP_AH_AES_XCBC_MAC, "AH_AES-XCBC-MAC"},
};

static const struct name esp_names[] = {
    {ISAKMP_ESP_DES_IV64, "ESP_DES_IV64"},
    {ISAKMP_ESP_DES, "ESP_DES"},
    {ISAKMP_ESP_3DES, "ESP_3DES"},
    {ISAKMP_ESP_RC5, "ESP_RC5"},
    {ISAKMP_ESP_IDEA, "ESP_IDEA"},
    {ISAKMP_ESP_CAST, "ESP_CAST"},
    {ISAKMP_ESP_BLOWFISH, "ESP_BLOWFISH"},
    {ISAKMP_ESP_3IDEA, "ESP_3IDEA"},
    {ISAKMP_ESP_DES_IV32, "ESP_DES_IV32"},
    {ISAKMP_ESP_RC4, "ESP_RC4"},
    {ISAKMP_ESP_NULL, "ESP_NULL"},
    {ISAKMP_ESP_AES, "ESP_AES"},
    {ISAKMP_ESP_AES_CTR, "ESP_AES-CTR"},
    {ISAKMP_ESP_AES_CCM_8, "ESP_AES-CCM_8"},
    {ISAKMP_ESP_AES_CCM_12, "ESP_AES-CCM_12"},
    {ISAKMP_ESP_AES_CCM_16, "ESP_AES-CCM_16"},
    {ISAKMP_ESP_AES_GCM_8, "ESP_AES-GCM_8"},
    {ISAKMP_ESP_AES_GCM_12, "ESP_AES-GCM_12"},
    {ISAKMP_ESP_AES_GCM_16, "ESP_AES-GCM_16"},
    {ISAKMP_ESP_NULL_AUTH_AES_GMAC, "ESP_NULL_AUTH_AES-GMAC"},
};

static const struct name ipcomp_names[] = {
    {ISAKMP_IPCOMP_OUI, "IPCOMP_OUI"},
    {ISAKMP_IPCOMP_DEFLATE, "IPCOMP_DEFLATE"},
    {ISAKMP_IPCOMP_LZS, "IPCOMP_LZS"},
};

static const struct name p1_attr_names[] = {
    {ISAKMP_A1_ENC, "Encryption-Algorithm"},
    {ISAKMP_A1_HASH, "Hash-Algorithm"},
    {ISAKMP_A1_AUTH, "Authentication-Method"},
    {ISAKMP_A1_GROUP, "Group-Description"},
    {ISAKMP_A1_GROUP_TYPE, "Group-Type"},
    {ISAKMP_A1_GROUP_PRIME, "Group-Prime"},
    {ISAKMP_A1_GROUP_GEN1, "Group-Generator-One"},
    {ISAKMP_A1_GROUP_GEN2, "Group-Generator-Two"},
    {ISAKMP_A1_GROUP_CURVE_A, "Group-Curve-A"},
    {ISAKMP_A1_GROUP_CURVE_B, "Group-Curve-B"},
    {ISAKMP_A1_LIFE_TYPE, "Life-Type"},
    {ISAKMP_A1_LIFE_DURATION, "Life-Duration"},
    {ISAKMP_A1_PRF, "PRF"},
    {ISAKMP_A1_KEY_LENGTH, "Key-Length"},
    {ISAKMP_A1_FIELD_SIZE, "Field-Size"},
    {ISAKMP_A1_GROUP_ORDER, "Group-Order"},
};

static const struct name enc_names[] = {
    {ISAKMP_ENC_DES_CBC, "DES-CBC"},           {ISAKMP_ENC_IDEA_CBC, "IDEA-CBC"},
    {ISAKMP_ENC_BLOWFISH_CBC, "Blowfish-CBC"}, {ISAKMP_ENC_RC5_CBC, "RC5-R16-B64-CBC"},
    {ISAKMP_ENC_3DES_CBC, "3DES-CBC"},         {ISAKMP_ENC_CAST_CBC, "CAST-CBC"},
    {ISAKMP_ENC_AES_CBC, "AES-CBC"},           {ISAKMP_ENC_CAMELLIA_CBC, "CAMELLIA-CBC"},
};

static const struct name hash_names[] = {
    {ISAKMP_HASH_MD5, "MD5"},           {ISAKMP_HASH_SHA, "SHA"},
    {ISAKMP_HASH_TIGER, "Tiger"},       {ISAKMP_HASH_SHA2_256, "SHA2-256"},
    {ISAKMP_HASH_SHA2_384, "SHA2-384"}, {ISAKMP_HASH_SHA2_512, "SHA2-512"},
};

static const struct name auth_names[] = {
    {ISAKMP_AUTH_PSK, "Pre-Shared-Key"},
    {ISAKMP_AUTH_DSS, "DSS-Signatures"},
    {ISAKMP_AUTH_RSA_SIG, "RSA-Signatures"},
    {ISAKMP_AUTH_RSA_ENC, "RSA-Encryption"},
    {ISAKMP_AUTH_RSA_REV_ENC, "RSA-Revised-Encryption"},
    {ISAKMP_AUTH_HYBRID_I_RSA, "HybridInitRSA"},
    {ISAKMP_AUTH_HYBRID_R_RSA, "HybridRespRSA"},
    {ISAKMP_AUTH_XAUTH_I_PSK, "XAUTHInitPreShared"},
    {ISAKMP_AUTH_XAUTH_R_PSK, "XAUTHRespPreShared"},
    {ISAKMP_AUTH_XAUTH_I_RSA, "XAUTHInitRSA"},
    {ISAKMP_AUTH_XAUTH_R_RSA, "XAUTHRespRSA"},
};

static const struct name group_names[] = {
    {ISAKMP_GROUP_MODP768, "MODP-768"},
    {ISAKMP_GROUP_MODP1024, "MODP-1024"},
    {ISAKMP_GROUP_EC2N155, "EC2N-155"},
    {ISAKMP_GROUP_EC2N185, "EC2N-185"},
    {ISAKMP_GROUP_MODP1536, "MODP-1536"},
    {ISAKMP_GROUP_MODP2048, "MODP-2048"},
    {ISAKMP_GROUP_MODP3072, "MODP-3072"},
    {ISAKMP_GROUP_MODP4096, "MODP-4096"},
    {ISAKMP_GROUP_MODP6144, "MODP-6144"},
    {ISAKMP_GROUP_MODP8192, "MODP-8192"},
    {ISAKMP_GROUP_ECP256, "ECP-256"},
    {ISAKMP_GROUP_ECP384, "ECP-384"},
    {ISAKMP_GROUP_ECP521, "ECP-521"},
    {ISAKMP_GROUP_MODP1024S160, "MODP-1024-S160"},
    {ISAKMP_GROUP_MODP2048S224, "MODP-2048-S224"},
    {ISAKMP_GROUP_MODP2048S256, "MODP-2048-S256"},
};

static const struct name gtype_names[] = {
    {ISAKMP_GTYPE_MODP, "MODP"},
    {ISAKMP_GTYPE_ECP, "ECP"},
    {ISAKMP_GTYPE_EC2N, "EC2N"},
};

static const struct name life_names[] = {
    {ISAKMP_LIFE_SECONDS, "Seconds"},
    {ISAKMP_LIFE_KILOBYTES, "Kilobytes"},
};

static const struct name p2_attr_names[] = {
    {ISAKMP_A2_LIFE_TYPE, "SA-Life-Type"},
    {ISAKMP_A2_LIFE_DURATION, "SA-Life-Duration"},
    {ISAKMP_A2_GROUP, "Group-Description"},
    {ISAKMP_A2_ENCAP, "Encapsulation-Mode"},
    {ISAKMP_A2_AUTH, "Authentication-Algorithm"},
    {ISAKMP_A2_KEY_LENGTH, "Key-Length"},
    {ISAKMP_A2_KEY_ROUNDS, "Key-Rounds"},
    {ISAKMP_A2_COMP_DICT_SIZE, "Compress-Dictionary-Size"},
    {ISAKMP_A2_COMP_PRIV_ALG, "Compress-Private-Algorithm"},
};

static const struct name encap_names[] = {
    {ISAKMP_ENCAP_TUNNEL, "Tunnel"},
    {ISAKMP_ENCAP_TRANSPORT, "Transport"},
    {ISAKMP_ENCAP_UDP_TUNNEL, "UDP-Encapsulated-Tunnel"},
    {ISAKMP_ENCAP_UDP_TRANSPORT, "UDP-Encapsulated-Transport"},
    {ISAKMP_ENCAP_UDP_TUNNEL_DRAFT, "UDP-Encapsulated-Tunnel(draft)"},
    {ISAKMP_ENCAP_UDP_TRANSPORT_DRAFT, "UDP-Encapsulated-Transport(draft)"},
};

static const struct name aalg_names[] = {
    {ISAKMP_AALG_HMAC_MD5, "HMAC-MD5"},
    {ISAKMP_AALG_HMAC_SHA, "HMAC-SHA"},
    {ISAKMP_AALG_DES_MAC, "DES-MAC"},
    {ISAKMP_AALG_KPDK, "KPDK"},
    {ISAKMP_AALG_HMAC_SHA2_256, "HMAC-SHA2-256"},
    {ISAKMP_AALG_HMAC_SHA2_384, "HMAC-SHA2-384"},
    {ISAKMP_AALG_HMAC_SHA2_512, "HMAC-SHA2-512"},
    {ISAKMP_AALG_HMAC_RIPEMD, "HMAC-RIPEMD"},
    {ISAKMP_AALG_AES_XCBC_MAC, "AES-XCBC-MAC"},
};

const char *isakmp_exch_name(unsigned v)
{
    return LOOKUP(exch_names, v);
}

const char *isakmp_payload_name(unsigned v)
{
    return LOOKUP(payload_names, v);
}

const char *isakmp_notify_name(unsigned v)
{
    return LOOKUP(notify_names, v);
}

const char *isakmp_proto_name(unsigned v)
{
    return LOOKUP(proto_names, v);
}

const char *isakmp_doi_name(unsigned v)
{
    return LOOKUP(doi_names, v);
}

const char *isakmp_id_name(unsigned v)
{
    return LOOKUP(id_names, v);
}

const char *isakmp_cert_name(unsigned v)
{
    return LOOKUP(cert_names, v);
}

const char *isakmp_xform_name(unsigned proto, unsigned id)
{
    switch (proto) {
    case ISAKMP_PROTO_ISAKMP:
        return id == ISAKMP_XF_KEY_IKE ? "KEY_IKE" : NULL;
    case ISAKMP_PROTO_IPSEC_AH:
        return LOOKUP(ah_names, id);
    case ISAKMP_PROTO_IPSEC_ESP:
        return LOOKUP(esp_names, id);
    case ISAKMP_PROTO_IPCOMP:
        return LOOKUP(ipcomp_names, id);
    default:
        return NULL;
    }
}

const char *isakmp_p1_attr_name(unsigned type)
{
    return LOOKUP(p1_attr_names, type);
}

const char *isakmp_p1_value_name(unsigned type, unsigned value)
{
    switch (type) {
    case ISAKMP_A1_ENC:
        return LOOKUP(enc_names, value);
    case ISAKMP_A1_HASH:
        return LOOKUP(hash_names, value);
    case ISAKMP_A1_AUTH:
        return LOOKUP(auth_names, value);
    case ISAKMP_A1_GROUP:
        return LOOKUP(group_names, value);
    case ISAKMP_A1_GROUP_TYPE:
        return LOOKUP(gtype_names, value);
    case ISAKMP_A1_LIFE_TYPE:
        return LOOKUP(life_names, value);
    default:
        return NULL;
    }
}

const char *isakmp_p2_attr_name(unsigned type)
{
    return LOOKUP(p2_attr_names, type);
}

const char *isakmp_p2_value_name(unsigned type, unsigned value)
{
    switch (type) {
    case ISAKMP_A2_LIFE_TYPE:
        return LOOKUP(life_names, value);
    case ISAKMP_A2_GROUP:
        return LOOKUP(group_names, value);
    case ISAKMP_A2_ENCAP:
        return LOOKUP(encap_names, value);
    case ISAKMP_A2_AUTH:
        return LOOKUP(aalg_names, value);
    default:
        return NULL;
    }
}

int isakmp_p1_attr_basic(unsigned type)
{
    switch (type) {
    case ISAKMP_A1_GROUP_PRIME:
    case ISAKMP_A1_GROUP_GEN1:
    case ISAKMP_A1_GROUP_GEN2:
    case ISAKMP_A1_GROUP_CURVE_A:
    case ISAKMP_A1_GROUP_CURVE_B:
    case ISAKMP_A1_LIFE_DURATION:
    case ISAKMP_A1_GROUP_ORDER:
        return 0;
    default:
        return LOOKUP(p1_attr_names, type) != NULL ? 1 : -1;
    }
}

int isakmp_p2_attr_basic(unsigned type)
{
    switch (type) {
    case ISAKMP_A2_LIFE_DURATION:
    case ISAKMP_A2_COMP_PRIV_ALG:
        return 0;
    default:
        return LOOKUP(p2_attr_names, type) != NULL ? 1 : -1;
    }
}

const char *isakmp_fmt(char *buf, size_t len, const char *name, unsigned v)
{
    if (name != NULL)
        return name;
    snprintf(buf, len, "unknown(%u)", v);
    return buf;
}

/* Vendor IDs.  Values read off the vector captures (strongSwan 5.9.8 and
 * libreswan 4.10) and checked against the MD5 of the strings they stand for. */
struct vid_def {
    enum isakmp_vid vid;
    const char *name;
    uint8_t len;    /* bytes we send / match exactly */
    uint8_t prefix; /* nonzero: match the first len bytes of a longer payload */
    uint8_t bytes[20];
};

static const struct vid_def vids[] = {
    {ISAKMP_VID_NATT_RFC3947,
     "RFC 3947 NAT-T",
     16,
     0,
     {0x4a, 0x13, 0x1c, 0x81, 0x07, 0x03, 0x58, 0x45, 0x5c, 0x57, 0x28, 0xf2, 0x0e, 0x95, 0x45,
      0x2f}},
    {ISAKMP_VID_NATT_DRAFT_02N,
     "draft-ietf-ipsec-nat-t-ike-02\\n",
     16,
     0,
     {0x90, 0xcb, 0x80, 0x91, 0x3e, 0xbb, 0x69, 0x6e, 0x08, 0x63, 0x81, 0xb5, 0xec, 0x42, 0x7b,
      0x1f}},
    {ISAKMP_VID_NATT_DRAFT_02,
     "draft-ietf-ipsec-nat-t-ike-02",
     16,
     0,
     {0xcd, 0x60, 0x46, 0x43, 0x35, 0xdf, 0x21, 0xf8, 0x7c, 0xfd, 0xb2, 0xfc, 0x68, 0xb6, 0xa4,
      0x48}},
    {ISAKMP_VID_NATT_DRAFT_03,
     "draft-ietf-ipsec-nat-t-ike-03",
     16,
     0,
     {0x7d, 0x94, 0x19, 0xa6, 0x53, 0x10, 0xca, 0x6f, 0x2c, 0x17, 0x9d, 0x92, 0x15, 0x52, 0x9d,
      0x56}},
    {ISAKMP_VID_NATT_DRAFT_01,
     "draft-ietf-ipsec-nat-t-ike-01",
     16,
     0,
     {0x16, 0xf6, 0xca, 0x16, 0xe4, 0xa4, 0x06, 0x6d, 0x83, 0x82, 0x1a, 0x0f, 0x0a, 0xea, 0xa8,
      0x62}},
    {ISAKMP_VID_NATT_DRAFT_00,
     "draft-ietf-ipsec-nat-t-ike-00",
     16,
     0,
     {0x44, 0x85, 0x15, 0x2d, 0x18, 0xb6, 0xbb, 0xcd, 0x0b, 0xe8, 0xa8, 0x46, 0x95, 0x79, 0xdd,
      0xcc}},
    {ISAKMP_VID_NATT_DRAFT,
     "draft-ietf-ipsec-nat-t-ike",
     16,
     0,
     {0x4d, 0xf3, 0x79, 0x28, 0xe9, 0xfc, 0x4f, 0xd1, 0xb3, 0x26, 0x21, 0x70, 0xd5, 0x15, 0xc6,
      0x62}},
    {ISAKMP_VID_DPD,
     "RFC 3706 DPD",
     16,
     0,
     {0xaf, 0xca, 0xd7, 0x13, 0x68, 0xa1, 0xf1, 0xc9, 0x6b, 0x86, 0x96, 0xfc, 0x77, 0x57, 0x01,
      0x00}},
    {ISAKMP_VID_XAUTH, "XAUTH", 8, 0, {0x09, 0x00, 0x26, 0x89, 0xdf, 0xd6, 0xb7, 0x12}},
    {ISAKMP_VID_CISCO_FRAG,
     "Cisco Fragmentation",
     16,
     1,
     {0x40, 0x48, 0xb7, 0xd5, 0x6e, 0xbc, 0xe8, 0x85, 0x25, 0xe7, 0xde, 0x7f, 0x00, 0xd6, 0xc2,
      0xd3}},
};

enum isakmp_vid isakmp_vid_lookup(const uint8_t *data, size_t len)
{
    for (size_t i = 0; i < NELEM(vids); i++) {
        const struct vid_def *d = &vids[i];
        if ((len == d->len || (d->prefix && len > d->len)) && memcmp(data, d->bytes, d->len) == 0)
            return d->vid;
    }
    return ISAKMP_VID_UNKNOWN;
}

const char *isakmp_vid_name(enum isakmp_vid vid)
{
    for (size_t i = 0; i < NELEM(vids); i++)
        if (vids[i].vid == vid)
            return vids[i].name;
    return NULL;
}

const uint8_t *isakmp_vid_bytes(enum isakmp_vid vid, size_t *len)
{
    for (size_t i = 0; i < NELEM(vids); i++) {
        if (vids[i].vid == vid) {
            *len = vids[i].len;
            return vids[i].bytes;
        }
    }
    *len = 0;
    return NULL;
}
