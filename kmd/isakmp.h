/*
 * isakmp.h: every IKEv1 number kmd uses, once, with the RFC that defines it
 * (RFC 2407 IPsec DOI, RFC 2408 ISAKMP, RFC 2409 IKE, RFC 3947 NAT-T,
 * RFC 3706 DPD, and the IANA "IPsec registry" additions), plus the name
 * tables that logs and `show` output use.
 *
 * Owner: kmd.  Users: the codec (msg_parse.c, msg_build.c), the exchanges
 * (main_mode.c, quick_mode.c, informational.c, dpd.c, natd.c) and the
 * operational commands.  Names follow the RFC spelling; a number that has
 * no name here is unknown, and the name functions return NULL for it
 * (isakmp_fmt() turns that into "unknown(N)").
 */
#ifndef KMD_ISAKMP_H
#define KMD_ISAKMP_H

#include <stddef.h>
#include <stdint.h>

/* ---- RFC 2408 3.1: the ISAKMP header ------------------------------------ */

#define ISAKMP_HDR_LEN 28           /* cookies 8+8, np, version, exchange, flags, msgid, length */
#define ISAKMP_COOKIE_LEN 8         /* each of the initiator and responder cookies */
#define ISAKMP_GENERIC_LEN 4        /* RFC 2408 3.2: next payload, reserved, payload length */
#define ISAKMP_MAJOR 1              /* RFC 2408 3.1: major version of ISAKMP (IKEv1) */
#define ISAKMP_MINOR 0              /* RFC 2408 3.1: minor version */
#define ISAKMP_IKEV2_MAJOR 2        /* RFC 7296 3.1: IKEv2 puts 2 in the same nibble */
#define ISAKMP_PORT 500             /* RFC 2408 2.5.2: UDP port */
#define ISAKMP_NATT_PORT 4500       /* RFC 3947 4: port IKE floats to */
#define ISAKMP_NON_ESP_MARKER_LEN 4 /* RFC 3948 2.2: zero bytes before IKE on 4500 */

/* RFC 2408 3.1 flags */
enum isakmp_flag {
    ISAKMP_FLAG_ENC = 0x01,    /* E: payloads after the header are encrypted */
    ISAKMP_FLAG_COMMIT = 0x02, /* C: commit (RFC 2408 3.1, RFC 2409 5.5) */
    ISAKMP_FLAG_AUTH = 0x04,   /* A: authentication only */
};

/* RFC 2408 3.1 exchange types; 32-239 DOI specific (RFC 2409) */
enum isakmp_exch {
    ISAKMP_EXCH_NONE = 0,         /* RFC 2408 3.1 */
    ISAKMP_EXCH_BASE = 1,         /* RFC 2408 4.4 */
    ISAKMP_EXCH_IDPROT = 2,       /* RFC 2408 4.5: Identity Protection = Main Mode */
    ISAKMP_EXCH_AUTH_ONLY = 3,    /* RFC 2408 4.6 */
    ISAKMP_EXCH_AGGRESSIVE = 4,   /* RFC 2408 4.7 / RFC 2409 5 */
    ISAKMP_EXCH_INFO = 5,         /* RFC 2408 4.8 / RFC 2409 5.7 */
    ISAKMP_EXCH_TRANSACTION = 6,  /* draft-ietf-ipsec-isakmp-mode-cfg: config mode */
    ISAKMP_EXCH_QUICK = 32,       /* RFC 2409 5.5 */
    ISAKMP_EXCH_NEW_GROUP = 33,   /* RFC 2409 5.6 */
    ISAKMP_EXCH_V2_SA_INIT = 34,  /* RFC 7296 3.1: IKE_SA_INIT, seen to refuse IKEv2 */
    ISAKMP_EXCH_V2_AUTH = 35,     /* RFC 7296 3.1: IKE_AUTH */
    ISAKMP_EXCH_V2_CHILD_SA = 36, /* RFC 7296 3.1: CREATE_CHILD_SA */
    ISAKMP_EXCH_V2_INFO = 37,     /* RFC 7296 3.1: INFORMATIONAL */
};

/* RFC 2408 3.1 next payload types; 128-255 private use */
enum isakmp_payload {
    ISAKMP_PL_NONE = 0,          /* RFC 2408 3.1: end of the chain */
    ISAKMP_PL_SA = 1,            /* RFC 2408 3.4: Security Association */
    ISAKMP_PL_P = 2,             /* RFC 2408 3.5: Proposal (inside SA only) */
    ISAKMP_PL_T = 3,             /* RFC 2408 3.6: Transform (inside P only) */
    ISAKMP_PL_KE = 4,            /* RFC 2408 3.7: Key Exchange */
    ISAKMP_PL_ID = 5,            /* RFC 2408 3.8: Identification */
    ISAKMP_PL_CERT = 6,          /* RFC 2408 3.9: Certificate */
    ISAKMP_PL_CR = 7,            /* RFC 2408 3.10: Certificate Request */
    ISAKMP_PL_HASH = 8,          /* RFC 2408 3.11 */
    ISAKMP_PL_SIG = 9,           /* RFC 2408 3.12: Signature */
    ISAKMP_PL_NONCE = 10,        /* RFC 2408 3.13 */
    ISAKMP_PL_N = 11,            /* RFC 2408 3.14: Notification */
    ISAKMP_PL_D = 12,            /* RFC 2408 3.15: Delete */
    ISAKMP_PL_VID = 13,          /* RFC 2408 3.16: Vendor ID */
    ISAKMP_PL_ATTR = 14,         /* draft-ietf-ipsec-isakmp-mode-cfg: Attribute */
    ISAKMP_PL_NATD = 20,         /* RFC 3947 3.2: NAT Discovery */
    ISAKMP_PL_NATOA = 21,        /* RFC 3947 5.2: NAT Original Address */
    ISAKMP_PL_NATD_DRAFT = 130,  /* draft-ietf-ipsec-nat-t-ike-02/03: NAT-D */
    ISAKMP_PL_NATOA_DRAFT = 131, /* draft-ietf-ipsec-nat-t-ike-02/03: NAT-OA */
    ISAKMP_PL_FRAG = 132,        /* Cisco IKE fragmentation (vendor, not parsed) */
};

/* ---- RFC 2407 (IPsec DOI) ----------------------------------------------- */

#define ISAKMP_DOI_ISAKMP 0 /* RFC 2408 3.4: generic ISAKMP DOI */
#define ISAKMP_DOI_IPSEC 1  /* RFC 2407 4.2: the IPsec DOI */

/* RFC 2407 4.2 situation bitmap */
#define ISAKMP_SIT_IDENTITY_ONLY 0x01 /* RFC 2407 4.2.1: the only one anyone uses */
#define ISAKMP_SIT_SECRECY 0x02       /* RFC 2407 4.2.2: labeled secrecy (4.6.1 data) */
#define ISAKMP_SIT_INTEGRITY 0x04     /* RFC 2407 4.2.3: labeled integrity (4.6.1 data) */

/* RFC 2407 4.4.1 protocol identifiers (proposal, notify, delete) */
enum isakmp_proto {
    ISAKMP_PROTO_ISAKMP = 1,    /* RFC 2407 4.4.1: phase 1 SA */
    ISAKMP_PROTO_IPSEC_AH = 2,  /* RFC 2407 4.4.1 */
    ISAKMP_PROTO_IPSEC_ESP = 3, /* RFC 2407 4.4.1 */
    ISAKMP_PROTO_IPCOMP = 4,    /* RFC 2407 4.4.1 */
};

/* RFC 2407 4.4.2: the only ISAKMP transform */
#define ISAKMP_XF_KEY_IKE 1

/* RFC 2407 4.4.3 AH transform identifiers (+ IANA) */
enum isakmp_ah {
    ISAKMP_AH_MD5 = 2,          /* RFC 2407 4.4.3.2 */
    ISAKMP_AH_SHA = 3,          /* RFC 2407 4.4.3.3 */
    ISAKMP_AH_DES = 4,          /* RFC 2407 4.4.3.4 */
    ISAKMP_AH_SHA2_256 = 5,     /* IANA, RFC 4868 */
    ISAKMP_AH_SHA2_384 = 6,     /* IANA, RFC 4868 */
    ISAKMP_AH_SHA2_512 = 7,     /* IANA, RFC 4868 */
    ISAKMP_AH_RIPEMD = 8,       /* IANA, RFC 2857 */
    ISAKMP_AH_AES_XCBC_MAC = 9, /* IANA, RFC 3566 */
};

/* RFC 2407 4.4.4 ESP transform identifiers (+ IANA) */
enum isakmp_esp {
    ISAKMP_ESP_DES_IV64 = 1,            /* RFC 2407 4.4.4.1 */
    ISAKMP_ESP_DES = 2,                 /* RFC 2407 4.4.4.2 */
    ISAKMP_ESP_3DES = 3,                /* RFC 2407 4.4.4.3 */
    ISAKMP_ESP_RC5 = 4,                 /* RFC 2407 4.4.4.4 */
    ISAKMP_ESP_IDEA = 5,                /* RFC 2407 4.4.4.5 */
    ISAKMP_ESP_CAST = 6,                /* RFC 2407 4.4.4.6 */
    ISAKMP_ESP_BLOWFISH = 7,            /* RFC 2407 4.4.4.7 */
    ISAKMP_ESP_3IDEA = 8,               /* RFC 2407 4.4.4.8 */
    ISAKMP_ESP_DES_IV32 = 9,            /* RFC 2407 4.4.4.9 */
    ISAKMP_ESP_RC4 = 10,                /* RFC 2407 4.4.4.10 */
    ISAKMP_ESP_NULL = 11,               /* RFC 2407 4.4.4.11 */
    ISAKMP_ESP_AES = 12,                /* IANA, RFC 3602: AES-CBC, key length attribute */
    ISAKMP_ESP_AES_CTR = 13,            /* IANA, RFC 3686 */
    ISAKMP_ESP_AES_CCM_8 = 14,          /* IANA, RFC 4309 */
    ISAKMP_ESP_AES_CCM_12 = 15,         /* IANA, RFC 4309 */
    ISAKMP_ESP_AES_CCM_16 = 16,         /* IANA, RFC 4309 */
    ISAKMP_ESP_AES_GCM_8 = 18,          /* IANA, RFC 4106 */
    ISAKMP_ESP_AES_GCM_12 = 19,         /* IANA, RFC 4106 */
    ISAKMP_ESP_AES_GCM_16 = 20,         /* IANA, RFC 4106 */
    ISAKMP_ESP_NULL_AUTH_AES_GMAC = 23, /* IANA, RFC 4543 */
};

/* RFC 2407 4.4.5 IPCOMP transform identifiers */
enum isakmp_ipcomp {
    ISAKMP_IPCOMP_OUI = 1,     /* RFC 2407 4.4.5.1 */
    ISAKMP_IPCOMP_DEFLATE = 2, /* RFC 2407 4.4.5.2 */
    ISAKMP_IPCOMP_LZS = 3,     /* RFC 2407 4.4.5.3 */
};

/* ---- Data attributes (RFC 2408 3.3: TV when the AF bit is set) ---------- */

#define ISAKMP_ATTR_AF 0x8000   /* RFC 2408 3.3: Attribute Format bit: 1 = TV (basic) */
#define ISAKMP_ATTR_TYPE 0x7fff /* RFC 2408 3.3: the attribute type bits */

/* RFC 2409 appendix A: phase 1 attribute classes (B = basic, V = variable) */
enum isakmp_p1_attr {
    ISAKMP_A1_ENC = 1,            /* B: encryption algorithm */
    ISAKMP_A1_HASH = 2,           /* B: hash algorithm */
    ISAKMP_A1_AUTH = 3,           /* B: authentication method */
    ISAKMP_A1_GROUP = 4,          /* B: group description */
    ISAKMP_A1_GROUP_TYPE = 5,     /* B: group type */
    ISAKMP_A1_GROUP_PRIME = 6,    /* V: group prime / irreducible polynomial */
    ISAKMP_A1_GROUP_GEN1 = 7,     /* V: group generator one */
    ISAKMP_A1_GROUP_GEN2 = 8,     /* V: group generator two */
    ISAKMP_A1_GROUP_CURVE_A = 9,  /* V: group curve A */
    ISAKMP_A1_GROUP_CURVE_B = 10, /* V: group curve B */
    ISAKMP_A1_LIFE_TYPE = 11,     /* B: life type */
    ISAKMP_A1_LIFE_DURATION = 12, /* V: life duration (TV when it fits 16 bits) */
    ISAKMP_A1_PRF = 13,           /* B: PRF (none defined; IKE uses the HMAC of the hash) */
    ISAKMP_A1_KEY_LENGTH = 14,    /* B: key length in bits (variable-key ciphers) */
    ISAKMP_A1_FIELD_SIZE = 15,    /* B: field size */
    ISAKMP_A1_GROUP_ORDER = 16,   /* V: group order */
};

/* RFC 2409 appendix A encryption algorithm (+ IANA) */
enum isakmp_enc {
    ISAKMP_ENC_DES_CBC = 1,      /* RFC 2405 */
    ISAKMP_ENC_IDEA_CBC = 2,     /* RFC 2409 */
    ISAKMP_ENC_BLOWFISH_CBC = 3, /* RFC 2409 */
    ISAKMP_ENC_RC5_CBC = 4,      /* RFC 2409: RC5-R16-B64-CBC */
    ISAKMP_ENC_3DES_CBC = 5,     /* RFC 2409 */
    ISAKMP_ENC_CAST_CBC = 6,     /* RFC 2409 */
    ISAKMP_ENC_AES_CBC = 7,      /* IANA, RFC 3602: key length attribute required */
    ISAKMP_ENC_CAMELLIA_CBC = 8, /* IANA, RFC 4312 */
};

/* RFC 2409 appendix A hash algorithm (+ IANA, RFC 4868) */
enum isakmp_hash {
    ISAKMP_HASH_MD5 = 1,      /* RFC 1321 */
    ISAKMP_HASH_SHA = 2,      /* FIPS 180-1: SHA-1 */
    ISAKMP_HASH_TIGER = 3,    /* RFC 2409 */
    ISAKMP_HASH_SHA2_256 = 4, /* IANA, RFC 4868 */
    ISAKMP_HASH_SHA2_384 = 5, /* IANA, RFC 4868 */
    ISAKMP_HASH_SHA2_512 = 6, /* IANA, RFC 4868 */
};

/* RFC 2409 appendix A authentication method (+ XAUTH/hybrid drafts) */
enum isakmp_auth {
    ISAKMP_AUTH_PSK = 1,              /* RFC 2409 5.4: pre-shared key */
    ISAKMP_AUTH_DSS = 2,              /* RFC 2409 5.1: DSS signatures */
    ISAKMP_AUTH_RSA_SIG = 3,          /* RFC 2409 5.1: RSA signatures */
    ISAKMP_AUTH_RSA_ENC = 4,          /* RFC 2409 5.2: encryption with RSA */
    ISAKMP_AUTH_RSA_REV_ENC = 5,      /* RFC 2409 5.3: revised encryption with RSA */
    ISAKMP_AUTH_HYBRID_I_RSA = 64221, /* draft-ietf-ipsec-isakmp-hybrid-auth */
    ISAKMP_AUTH_HYBRID_R_RSA = 64222, /* draft-ietf-ipsec-isakmp-hybrid-auth */
    ISAKMP_AUTH_XAUTH_I_PSK = 65001,  /* draft-ietf-ipsec-isakmp-xauth: initiator PSK */
    ISAKMP_AUTH_XAUTH_R_PSK = 65002,  /* draft-ietf-ipsec-isakmp-xauth: responder PSK */
    ISAKMP_AUTH_XAUTH_I_RSA = 65005,  /* draft-ietf-ipsec-isakmp-xauth */
    ISAKMP_AUTH_XAUTH_R_RSA = 65006,  /* draft-ietf-ipsec-isakmp-xauth */
};

/* RFC 2409 6 / appendix A group description (+ IANA: RFC 3526, 5903, 5114) */
enum isakmp_group {
    ISAKMP_GROUP_MODP768 = 1,       /* RFC 2409 6.1: first Oakley group */
    ISAKMP_GROUP_MODP1024 = 2,      /* RFC 2409 6.2: second Oakley group */
    ISAKMP_GROUP_EC2N155 = 3,       /* RFC 2409 6.3 */
    ISAKMP_GROUP_EC2N185 = 4,       /* RFC 2409 6.4 */
    ISAKMP_GROUP_MODP1536 = 5,      /* RFC 3526 2 */
    ISAKMP_GROUP_MODP2048 = 14,     /* RFC 3526 3 */
    ISAKMP_GROUP_MODP3072 = 15,     /* RFC 3526 4 */
    ISAKMP_GROUP_MODP4096 = 16,     /* RFC 3526 5 */
    ISAKMP_GROUP_MODP6144 = 17,     /* RFC 3526 6 */
    ISAKMP_GROUP_MODP8192 = 18,     /* RFC 3526 7 */
    ISAKMP_GROUP_ECP256 = 19,       /* RFC 5903 */
    ISAKMP_GROUP_ECP384 = 20,       /* RFC 5903 */
    ISAKMP_GROUP_ECP521 = 21,       /* RFC 5903 */
    ISAKMP_GROUP_MODP1024S160 = 22, /* RFC 5114 */
    ISAKMP_GROUP_MODP2048S224 = 23, /* RFC 5114 */
    ISAKMP_GROUP_MODP2048S256 = 24, /* RFC 5114 */
};

/* RFC 2409 appendix A group type */
enum isakmp_group_type {
    ISAKMP_GTYPE_MODP = 1, /* modular exponentiation group */
    ISAKMP_GTYPE_ECP = 2,  /* elliptic curve over GF[P] */
    ISAKMP_GTYPE_EC2N = 3, /* elliptic curve over GF[2^N] */
};

/* RFC 2409 appendix A life type; RFC 2407 4.5 uses the same two values */
enum isakmp_life {
    ISAKMP_LIFE_SECONDS = 1,   /* duration in seconds */
    ISAKMP_LIFE_KILOBYTES = 2, /* duration in kilobytes */
};

/* RFC 2407 4.5: phase 2 (IPsec DOI) SA attribute types */
enum isakmp_p2_attr {
    ISAKMP_A2_LIFE_TYPE = 1,      /* B: SA life type */
    ISAKMP_A2_LIFE_DURATION = 2,  /* V: SA life duration */
    ISAKMP_A2_GROUP = 3,          /* B: group description (PFS), values as phase 1 */
    ISAKMP_A2_ENCAP = 4,          /* B: encapsulation mode */
    ISAKMP_A2_AUTH = 5,           /* B: authentication algorithm */
    ISAKMP_A2_KEY_LENGTH = 6,     /* B: key length in bits */
    ISAKMP_A2_KEY_ROUNDS = 7,     /* B: key rounds */
    ISAKMP_A2_COMP_DICT_SIZE = 8, /* B: compress dictionary size */
    ISAKMP_A2_COMP_PRIV_ALG = 9,  /* V: compress private algorithm */
};

/* RFC 2407 4.5 encapsulation mode, RFC 3947 5.1 UDP modes, and the values of
 * draft-ietf-ipsec-nat-t-ike-02/03 that peers speaking the draft still send */
enum isakmp_encap {
    ISAKMP_ENCAP_TUNNEL = 1,                  /* RFC 2407 4.5 */
    ISAKMP_ENCAP_TRANSPORT = 2,               /* RFC 2407 4.5 */
    ISAKMP_ENCAP_UDP_TUNNEL = 3,              /* RFC 3947 5.1 */
    ISAKMP_ENCAP_UDP_TRANSPORT = 4,           /* RFC 3947 5.1 */
    ISAKMP_ENCAP_UDP_TUNNEL_DRAFT = 61443,    /* draft-ietf-ipsec-nat-t-ike */
    ISAKMP_ENCAP_UDP_TRANSPORT_DRAFT = 61444, /* draft-ietf-ipsec-nat-t-ike */
};

/* RFC 2407 4.5 authentication algorithm (+ IANA, RFC 4868) */
enum isakmp_aalg {
    ISAKMP_AALG_HMAC_MD5 = 1,      /* RFC 2407 4.5: HMAC-MD5-96 (RFC 2403) */
    ISAKMP_AALG_HMAC_SHA = 2,      /* RFC 2407 4.5: HMAC-SHA-1-96 (RFC 2404) */
    ISAKMP_AALG_DES_MAC = 3,       /* RFC 2407 4.5 */
    ISAKMP_AALG_KPDK = 4,          /* RFC 2407 4.5 */
    ISAKMP_AALG_HMAC_SHA2_256 = 5, /* IANA, RFC 4868: 128-bit ICV */
    ISAKMP_AALG_HMAC_SHA2_384 = 6, /* IANA, RFC 4868: 192-bit ICV */
    ISAKMP_AALG_HMAC_SHA2_512 = 7, /* IANA, RFC 4868: 256-bit ICV */
    ISAKMP_AALG_HMAC_RIPEMD = 8,   /* IANA, RFC 2857 */
    ISAKMP_AALG_AES_XCBC_MAC = 9,  /* IANA, RFC 3566 */
};

/* ---- RFC 2407 4.6.2.1 identification types ------------------------------ */
enum isakmp_id {
    ISAKMP_ID_IPV4_ADDR = 1,        /* 4 bytes */
    ISAKMP_ID_FQDN = 2,             /* ASCII, no terminator */
    ISAKMP_ID_USER_FQDN = 3,        /* ASCII user@domain, no terminator */
    ISAKMP_ID_IPV4_ADDR_SUBNET = 4, /* address, mask: 4 + 4 bytes */
    ISAKMP_ID_IPV6_ADDR = 5,        /* 16 bytes */
    ISAKMP_ID_IPV6_ADDR_SUBNET = 6, /* address, mask: 16 + 16 bytes */
    ISAKMP_ID_IPV4_ADDR_RANGE = 7,  /* first, last: 4 + 4 bytes */
    ISAKMP_ID_IPV6_ADDR_RANGE = 8,  /* first, last: 16 + 16 bytes */
    ISAKMP_ID_DER_ASN1_DN = 9,      /* binary DER distinguished name */
    ISAKMP_ID_DER_ASN1_GN = 10,     /* binary DER general name */
    ISAKMP_ID_KEY_ID = 11,          /* opaque bytes */
};

/* ---- RFC 2408 3.9 certificate encodings (CERT and CR payloads) ---------- */
enum isakmp_cert {
    ISAKMP_CERT_NONE = 0,
    ISAKMP_CERT_PKCS7 = 1,      /* PKCS #7 wrapped X.509 certificate */
    ISAKMP_CERT_PGP = 2,        /* PGP certificate */
    ISAKMP_CERT_DNS = 3,        /* DNS signed key */
    ISAKMP_CERT_X509_SIG = 4,   /* X.509 certificate, signature */
    ISAKMP_CERT_X509_KE = 5,    /* X.509 certificate, key exchange */
    ISAKMP_CERT_KERBEROS = 6,   /* Kerberos tokens */
    ISAKMP_CERT_CRL = 7,        /* certificate revocation list */
    ISAKMP_CERT_ARL = 8,        /* authority revocation list */
    ISAKMP_CERT_SPKI = 9,       /* SPKI certificate */
    ISAKMP_CERT_X509_ATTR = 10, /* X.509 certificate, attribute */
};

/* ---- Notify message types ------------------------------------------------ */
enum isakmp_notify {
    /* RFC 2408 3.14.1 errors (1-8191) */
    ISAKMP_N_INVALID_PAYLOAD_TYPE = 1,
    ISAKMP_N_DOI_NOT_SUPPORTED = 2,
    ISAKMP_N_SITUATION_NOT_SUPPORTED = 3,
    ISAKMP_N_INVALID_COOKIE = 4,
    ISAKMP_N_INVALID_MAJOR_VERSION = 5,
    ISAKMP_N_INVALID_MINOR_VERSION = 6,
    ISAKMP_N_INVALID_EXCHANGE_TYPE = 7,
    ISAKMP_N_INVALID_FLAGS = 8,
    ISAKMP_N_INVALID_MESSAGE_ID = 9,
    ISAKMP_N_INVALID_PROTOCOL_ID = 10,
    ISAKMP_N_INVALID_SPI = 11,
    ISAKMP_N_INVALID_TRANSFORM_ID = 12,
    ISAKMP_N_ATTRIBUTES_NOT_SUPPORTED = 13,
    ISAKMP_N_NO_PROPOSAL_CHOSEN = 14,
    ISAKMP_N_BAD_PROPOSAL_SYNTAX = 15,
    ISAKMP_N_PAYLOAD_MALFORMED = 16,
    ISAKMP_N_INVALID_KEY_INFORMATION = 17,
    ISAKMP_N_INVALID_ID_INFORMATION = 18,
    ISAKMP_N_INVALID_CERT_ENCODING = 19,
    ISAKMP_N_INVALID_CERTIFICATE = 20,
    ISAKMP_N_CERT_TYPE_UNSUPPORTED = 21,
    ISAKMP_N_INVALID_CERT_AUTHORITY = 22,
    ISAKMP_N_INVALID_HASH_INFORMATION = 23,
    ISAKMP_N_AUTHENTICATION_FAILED = 24,
    ISAKMP_N_INVALID_SIGNATURE = 25,
    ISAKMP_N_ADDRESS_NOTIFICATION = 26,
    ISAKMP_N_NOTIFY_SA_LIFETIME = 27,
    ISAKMP_N_CERTIFICATE_UNAVAILABLE = 28,
    ISAKMP_N_UNSUPPORTED_EXCHANGE_TYPE = 29,
    ISAKMP_N_UNEQUAL_PAYLOAD_LENGTHS = 30,
    /* RFC 2408 3.14.1 status (16384-24575) */
    ISAKMP_N_CONNECTED = 16384,
    /* RFC 2407 4.6.3 IPsec DOI status (24576-32767) */
    ISAKMP_N_RESPONDER_LIFETIME = 24576,
    ISAKMP_N_REPLAY_STATUS = 24577,
    ISAKMP_N_INITIAL_CONTACT = 24578,
    /* RFC 3706 5.3 dead peer detection */
    ISAKMP_N_R_U_THERE = 36136,
    ISAKMP_N_R_U_THERE_ACK = 36137,
};

/* RFC 2409 5: nonce length bounds, bytes */
#define ISAKMP_NONCE_MIN 8
#define ISAKMP_NONCE_MAX 256

/* ---- Vendor IDs (RFC 2408 3.16) ------------------------------------------
 * The values kmd recognises; docs/isakmp.md says which peer sends which. */
enum isakmp_vid {
    ISAKMP_VID_UNKNOWN = 0,
    ISAKMP_VID_NATT_RFC3947,   /* MD5("RFC 3947"): RFC 3947 3.1 */
    ISAKMP_VID_NATT_DRAFT_02N, /* MD5("draft-ietf-ipsec-nat-t-ike-02\n"), strongSwan MM1 */
    ISAKMP_VID_NATT_DRAFT_02,  /* MD5("draft-ietf-ipsec-nat-t-ike-02") */
    ISAKMP_VID_NATT_DRAFT_03,  /* MD5("draft-ietf-ipsec-nat-t-ike-03") */
    ISAKMP_VID_NATT_DRAFT_01,  /* MD5("draft-ietf-ipsec-nat-t-ike-01") */
    ISAKMP_VID_NATT_DRAFT_00,  /* MD5("draft-ietf-ipsec-nat-t-ike-00") */
    ISAKMP_VID_NATT_DRAFT,     /* MD5("draft-ietf-ipsec-nat-t-ike") */
    ISAKMP_VID_DPD,            /* RFC 3706 5.1, version 1.0 */
    ISAKMP_VID_XAUTH,          /* draft-ietf-ipsec-isakmp-xauth (8 bytes) */
    ISAKMP_VID_CISCO_FRAG,     /* MD5("FRAGMENTATION") + 4 flag bytes, prefix match */
    ISAKMP_VID_COUNT
};

/* Mask of the NAT-T vendor IDs (1u << enum isakmp_vid) */
#define ISAKMP_VID_NATT_MASK                                                                       \
    ((1u << ISAKMP_VID_NATT_RFC3947) | (1u << ISAKMP_VID_NATT_DRAFT_02N) |                         \
     (1u << ISAKMP_VID_NATT_DRAFT_02) | (1u << ISAKMP_VID_NATT_DRAFT_03) |                         \
     (1u << ISAKMP_VID_NATT_DRAFT_01) | (1u << ISAKMP_VID_NATT_DRAFT_00) |                         \
     (1u << ISAKMP_VID_NATT_DRAFT))

/* ---- Names ---------------------------------------------------------------
 * Each returns the RFC name of a value, or NULL when the value is unknown. */
const char *isakmp_exch_name(unsigned v);
const char *isakmp_payload_name(unsigned v);
const char *isakmp_notify_name(unsigned v);
const char *isakmp_proto_name(unsigned v);
const char *isakmp_doi_name(unsigned v);
const char *isakmp_id_name(unsigned v);
const char *isakmp_cert_name(unsigned v);
/* Transform identifier, interpreted per protocol (ISAKMP, AH, ESP, IPCOMP). */
const char *isakmp_xform_name(unsigned proto, unsigned id);
/* Attribute types and values: phase 1 (RFC 2409) and phase 2 (RFC 2407). */
const char *isakmp_p1_attr_name(unsigned type);
const char *isakmp_p1_value_name(unsigned type, unsigned value);
const char *isakmp_p2_attr_name(unsigned type);
const char *isakmp_p2_value_name(unsigned type, unsigned value);
/* 1 when RFC 2409 appendix A / RFC 2407 4.5 say the attribute is basic (TV
 * only), 0 when variable, -1 when the type is unknown. */
int isakmp_p1_attr_basic(unsigned type);
int isakmp_p2_attr_basic(unsigned type);

/* name, or "unknown(N)" written to buf; returns buf or name. */
const char *isakmp_fmt(char *buf, size_t len, const char *name, unsigned v);

/* Vendor IDs: recognise a payload body, name one, get the bytes kmd sends. */
enum isakmp_vid isakmp_vid_lookup(const uint8_t *data, size_t len);
const char *isakmp_vid_name(enum isakmp_vid vid);
const uint8_t *isakmp_vid_bytes(enum isakmp_vid vid, size_t *len);

#endif
