// Protocol numbers and limits of ISAKMP (RFC 2408), the IPsec DOI (RFC 2407),
// IKEv1 (RFC 2409), NAT traversal (RFC 3947) and DPD (RFC 3706). Every value
// that goes on the wire is named here, with the section that defines it.
#ifndef IPOP_IKE_CONSTANTS_H_
#define IPOP_IKE_CONSTANTS_H_

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace ipop::ike {

// ---- ISAKMP header, RFC 2408 §3.1 ----

inline constexpr size_t kCookieSize = 8;
using Cookie = std::array<std::byte, kCookieSize>;

inline constexpr size_t kIsakmpHeaderSize = 28;
inline constexpr uint8_t kIsakmpMajorVersion = 1;
inline constexpr uint8_t kIsakmpMinorVersion = 0;

// Header flags, RFC 2408 §3.1. Bits 3-7 are unused and must be zero.
inline constexpr uint8_t kFlagEncryption = 0x01;
inline constexpr uint8_t kFlagCommit = 0x02;
inline constexpr uint8_t kFlagAuthenticationOnly = 0x04;
inline constexpr uint8_t kFlagsDefined = kFlagEncryption | kFlagCommit | kFlagAuthenticationOnly;

// Exchange types, RFC 2408 §3.1 and RFC 2409 §5.5 (Quick Mode), §6.2
// (New Group Mode). Values 6-31 are reserved for ISAKMP, 34-239 for DOIs,
// 240-255 for private use.
enum class ExchangeType : uint8_t {
  kNone = 0,
  kBase = 1,
  kIdentityProtection = 2,  // Main Mode in RFC 2409
  kAuthenticationOnly = 3,
  kAggressive = 4,
  kInformational = 5,
  kQuickMode = 32,
  kNewGroupMode = 33,
};

// ---- Payloads, RFC 2408 §3.1 (next payload types) and §3.2 ----

// Payload types. Values 14-127 are reserved (RFC 3947 later took 20 and 21),
// 128-255 are private use; the NAT-T drafts used 130 and 131 before RFC 3947.
enum class PayloadType : uint8_t {
  kNone = 0,
  kSa = 1,
  kProposal = 2,
  kTransform = 3,
  kKeyExchange = 4,
  kIdentification = 5,
  kCertificate = 6,
  kCertificateRequest = 7,
  kHash = 8,
  kSignature = 9,
  kNonce = 10,
  kNotification = 11,
  kDelete = 12,
  kVendorId = 13,
  kNatD = 20,        // RFC 3947 §3.2
  kNatOa = 21,       // RFC 3947 §5.1
  kNatDDraft = 130,  // draft-ietf-ipsec-nat-t-ike-02/03
  kNatOaDraft = 131,
  // IKE fragment of the IKEv1 fragmentation scheme that racoon, strongSwan
  // and Cisco share (see payload_fragment.h); no RFC assigns it.
  kFragment = 132,
};

// First value of the private-use range of payload types, RFC 2408 §3.1.
inline constexpr uint8_t kFirstPrivatePayloadType = 128;

// Generic payload header: next payload, RESERVED (zero), payload length.
inline constexpr size_t kGenericPayloadHeaderSize = 4;  // RFC 2408 §3.2

// Proposal and transform headers before their variable parts, RFC 2408
// §3.5 and §3.6 (both include the 4-byte generic header).
inline constexpr size_t kProposalHeaderSize = 8;
inline constexpr size_t kTransformHeaderSize = 8;

// Data attributes, RFC 2408 §3.3: the AF bit marks the basic (TV) format.
inline constexpr uint16_t kAttributeFormatBasic = 0x8000;
inline constexpr uint16_t kAttributeTypeMask = 0x7fff;

// ---- Domain of interpretation and situation ----

inline constexpr uint32_t kDoiIsakmp = 0;  // RFC 2408 §3.4
inline constexpr uint32_t kDoiIpsec = 1;   // RFC 2407 §4.2
// Situation bits, RFC 2407 §4.2.
inline constexpr uint32_t kSituationIdentityOnly = 0x01;
inline constexpr uint32_t kSituationSecrecy = 0x02;
inline constexpr uint32_t kSituationIntegrity = 0x04;

// ---- Protocol and transform identifiers, RFC 2407 §4.4 ----

inline constexpr uint8_t kProtocolIsakmp = 1;   // RFC 2407 §4.4.1
inline constexpr uint8_t kProtocolAh = 2;
inline constexpr uint8_t kProtocolEsp = 3;
inline constexpr uint8_t kProtocolIpcomp = 4;

inline constexpr uint8_t kTransformKeyIke = 1;         // RFC 2407 §4.4.2
inline constexpr uint8_t kTransformEspDes = 2;         // RFC 2407 §4.4.4
inline constexpr uint8_t kTransformEsp3des = 3;        // RFC 2407 §4.4.4
inline constexpr uint8_t kTransformEspNull = 11;       // RFC 2407 §4.4.4
inline constexpr uint8_t kTransformEspAes = 12;        // RFC 3602 §5.2
inline constexpr uint8_t kTransformEspAesGcm16 = 20;   // RFC 4106 §8.4
inline constexpr uint8_t kTransformIpcompDeflate = 2;  // RFC 2407 §4.4.5

// SPI sizes in proposals: none for ISAKMP in Main Mode (RFC 2409 §5, the
// cookies identify the SA), 4 bytes for ESP (RFC 2407 §4.4.4), 2 for IPComp
// CPIs (RFC 3173 §4.1).
inline constexpr size_t kSpiSizeIsakmp = 0;
inline constexpr size_t kSpiSizeEsp = 4;
inline constexpr size_t kSpiSizeIpcomp = 2;
// A phase 1 SA in a Delete payload is named by both cookies, RFC 2408 §3.15.
inline constexpr size_t kSpiSizeIsakmpCookiePair = 2 * kCookieSize;

// ---- Phase 1 attributes, RFC 2409 Appendix A ----

inline constexpr uint16_t kIkeAttributeEncryptionAlgorithm = 1;
inline constexpr uint16_t kIkeAttributeHashAlgorithm = 2;
inline constexpr uint16_t kIkeAttributeAuthenticationMethod = 3;
inline constexpr uint16_t kIkeAttributeGroupDescription = 4;
inline constexpr uint16_t kIkeAttributeGroupType = 5;
inline constexpr uint16_t kIkeAttributeLifeType = 11;
inline constexpr uint16_t kIkeAttributeLifeDuration = 12;
inline constexpr uint16_t kIkeAttributePrf = 13;
inline constexpr uint16_t kIkeAttributeKeyLength = 14;

inline constexpr uint16_t kIkeEncryptionDesCbc = 1;
inline constexpr uint16_t kIkeEncryption3desCbc = 5;
inline constexpr uint16_t kIkeEncryptionAesCbc = 7;  // RFC 3602 §5.1

inline constexpr uint16_t kIkeHashMd5 = 1;
inline constexpr uint16_t kIkeHashSha1 = 2;
// SHA-2 values come from the IANA "IPSEC Hash Algorithm" registry.
inline constexpr uint16_t kIkeHashSha2_256 = 4;
inline constexpr uint16_t kIkeHashSha2_384 = 5;
inline constexpr uint16_t kIkeHashSha2_512 = 6;

inline constexpr uint16_t kIkeAuthPreSharedKey = 1;
inline constexpr uint16_t kIkeAuthDssSignature = 2;
inline constexpr uint16_t kIkeAuthRsaSignature = 3;
inline constexpr uint16_t kIkeAuthRsaEncryption = 4;
inline constexpr uint16_t kIkeAuthRsaRevisedEncryption = 5;

inline constexpr uint16_t kIkeGroupModp768 = 1;    // RFC 2409 §6.1
inline constexpr uint16_t kIkeGroupModp1024 = 2;   // RFC 2409 §6.2
inline constexpr uint16_t kIkeGroupModp1536 = 5;   // RFC 3526 §2
inline constexpr uint16_t kIkeGroupModp2048 = 14;  // RFC 3526 §3
inline constexpr uint16_t kIkeGroupModp3072 = 15;  // RFC 3526 §4
inline constexpr uint16_t kIkeGroupModp4096 = 16;  // RFC 3526 §5
inline constexpr uint16_t kIkeGroupModp6144 = 17;  // RFC 3526 §6
inline constexpr uint16_t kIkeGroupModp8192 = 18;  // RFC 3526 §7
inline constexpr uint16_t kIkeGroupEcp256 = 19;    // RFC 5903 §3.1
inline constexpr uint16_t kIkeGroupEcp384 = 20;    // RFC 5903 §3.2

inline constexpr uint16_t kIkeLifeTypeSeconds = 1;
inline constexpr uint16_t kIkeLifeTypeKilobytes = 2;

// ---- IPsec DOI SA attributes, RFC 2407 §4.5 ----

inline constexpr uint16_t kIpsecAttributeSaLifeType = 1;
inline constexpr uint16_t kIpsecAttributeSaLifeDuration = 2;
inline constexpr uint16_t kIpsecAttributeGroupDescription = 3;
inline constexpr uint16_t kIpsecAttributeEncapsulationMode = 4;
inline constexpr uint16_t kIpsecAttributeAuthenticationAlgorithm = 5;
inline constexpr uint16_t kIpsecAttributeKeyLength = 6;
inline constexpr uint16_t kIpsecAttributeKeyRounds = 7;

inline constexpr uint16_t kIpsecLifeTypeSeconds = 1;
inline constexpr uint16_t kIpsecLifeTypeKilobytes = 2;

inline constexpr uint16_t kEncapsulationTunnel = 1;                  // RFC 2407 §4.5
inline constexpr uint16_t kEncapsulationTransport = 2;               // RFC 2407 §4.5
inline constexpr uint16_t kEncapsulationUdpTunnel = 3;               // RFC 3947 §5.2
inline constexpr uint16_t kEncapsulationUdpTransport = 4;            // RFC 3947 §5.2
inline constexpr uint16_t kEncapsulationUdpTunnelDraft = 61443;      // draft-ietf-ipsec-nat-t-ike-02/03
inline constexpr uint16_t kEncapsulationUdpTransportDraft = 61444;   // draft-ietf-ipsec-nat-t-ike-02/03

inline constexpr uint16_t kAuthHmacMd5 = 1;
inline constexpr uint16_t kAuthHmacSha1 = 2;
// HMAC-SHA2 values come from the IANA IPsec DOI "Authentication Algorithm"
// registry; RFC 4868 defines the algorithms.
inline constexpr uint16_t kAuthHmacSha2_256 = 5;
inline constexpr uint16_t kAuthHmacSha2_384 = 6;
inline constexpr uint16_t kAuthHmacSha2_512 = 7;

// ---- Identification types, RFC 2407 §4.6.2.1 ----

inline constexpr uint8_t kIdIpv4Address = 1;
inline constexpr uint8_t kIdFqdn = 2;
inline constexpr uint8_t kIdUserFqdn = 3;
inline constexpr uint8_t kIdIpv4AddressSubnet = 4;
inline constexpr uint8_t kIdIpv6Address = 5;
inline constexpr uint8_t kIdIpv6AddressSubnet = 6;
inline constexpr uint8_t kIdIpv4AddressRange = 7;
inline constexpr uint8_t kIdIpv6AddressRange = 8;
inline constexpr uint8_t kIdDerAsn1Dn = 9;
inline constexpr uint8_t kIdDerAsn1Gn = 10;
inline constexpr uint8_t kIdKeyId = 11;

// ---- Certificate encodings, RFC 2408 §3.9 ----

inline constexpr uint8_t kCertEncodingPkcs7 = 1;
inline constexpr uint8_t kCertEncodingPgp = 2;
inline constexpr uint8_t kCertEncodingX509Signature = 4;
inline constexpr uint8_t kCertEncodingX509KeyExchange = 5;
inline constexpr uint8_t kCertEncodingCrl = 7;

// ---- Notify message types ----

// Errors, RFC 2408 §3.14.1.
inline constexpr uint16_t kNotifyInvalidPayloadType = 1;
inline constexpr uint16_t kNotifyDoiNotSupported = 2;
inline constexpr uint16_t kNotifySituationNotSupported = 3;
inline constexpr uint16_t kNotifyInvalidCookie = 4;
inline constexpr uint16_t kNotifyInvalidMajorVersion = 5;
inline constexpr uint16_t kNotifyInvalidMinorVersion = 6;
inline constexpr uint16_t kNotifyInvalidExchangeType = 7;
inline constexpr uint16_t kNotifyInvalidFlags = 8;
inline constexpr uint16_t kNotifyInvalidMessageId = 9;
inline constexpr uint16_t kNotifyInvalidProtocolId = 10;
inline constexpr uint16_t kNotifyInvalidSpi = 11;
inline constexpr uint16_t kNotifyInvalidTransformId = 12;
inline constexpr uint16_t kNotifyAttributesNotSupported = 13;
inline constexpr uint16_t kNotifyNoProposalChosen = 14;
inline constexpr uint16_t kNotifyBadProposalSyntax = 15;
inline constexpr uint16_t kNotifyPayloadMalformed = 16;
inline constexpr uint16_t kNotifyInvalidKeyInformation = 17;
inline constexpr uint16_t kNotifyInvalidIdInformation = 18;
inline constexpr uint16_t kNotifyInvalidCertEncoding = 19;
inline constexpr uint16_t kNotifyInvalidCertificate = 20;
inline constexpr uint16_t kNotifyCertTypeUnsupported = 21;
inline constexpr uint16_t kNotifyInvalidCertAuthority = 22;
inline constexpr uint16_t kNotifyInvalidHashInformation = 23;
inline constexpr uint16_t kNotifyAuthenticationFailed = 24;
inline constexpr uint16_t kNotifyInvalidSignature = 25;
inline constexpr uint16_t kNotifyAddressNotification = 26;
inline constexpr uint16_t kNotifySaLifetime = 27;
inline constexpr uint16_t kNotifyCertificateUnavailable = 28;
inline constexpr uint16_t kNotifyUnsupportedExchangeType = 29;
inline constexpr uint16_t kNotifyUnequalPayloadLengths = 30;
// Status messages of the IPsec DOI, RFC 2407 §4.6.3.
inline constexpr uint16_t kNotifyResponderLifetime = 24576;
inline constexpr uint16_t kNotifyReplayStatus = 24577;
inline constexpr uint16_t kNotifyInitialContact = 24578;
// Dead Peer Detection, RFC 3706 §5.3.
inline constexpr uint16_t kNotifyDpdRUThere = 36136;
inline constexpr uint16_t kNotifyDpdRUThereAck = 36137;

// ---- Limits ----

// Largest ISAKMP message accepted or built. The header length field has 32
// bits, but a message travels in one UDP datagram, so 64 KiB bounds it.
inline constexpr size_t kMaxMessageSize = 65535;
// Nonce data length, inclusive, RFC 2409 §5.
inline constexpr size_t kMinNonceSize = 8;
inline constexpr size_t kMaxNonceSize = 256;
// Message ID of phase 1 exchanges, RFC 2408 §3.1.
inline constexpr uint32_t kPhase1MessageId = 0;

// Names for logs: "SA", "Identity Protection", "INVALID-PAYLOAD-TYPE".
// Unknown values render as their decimal number.
std::string PayloadTypeName(PayloadType type);
std::string ExchangeTypeName(ExchangeType type);
std::string NotifyTypeName(uint16_t notify_type);

}  // namespace ipop::ike

#endif  // IPOP_IKE_CONSTANTS_H_
