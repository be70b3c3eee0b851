// Parses every ISAKMP message of the racoon capture in
// tests/vectors/racoon-3des-sha1-modp1024 and checks the decoded values
// against what racoon logged (racoon-a.log from the initiator 10.77.0.1,
// racoon-b.log from the responder 10.77.0.2). Encrypted messages are
// decrypted with the 3DES key and the IVs racoon logged, so this tests the
// wire codec, not the key derivation.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "base/byte_reader.h"
#include "crypto/ike_cipher.h"
#include "crypto/x509.h"
#include "ike/message.h"
#include "ike/nat_detection.h"
#include "ike/payload_certificate.h"
#include "ike/payload_certificate_request.h"
#include "ike/payload_delete.h"
#include "ike/payload_hash.h"
#include "ike/payload_identification.h"
#include "ike/payload_key_exchange.h"
#include "ike/payload_nat_d.h"
#include "ike/payload_nonce.h"
#include "ike/payload_notification.h"
#include "ike/payload_sa.h"
#include "ike/payload_signature.h"
#include "ike/payload_vendor_id.h"
#include "ike/vendor_ids.h"
#include "tests/ike/racoon_kat_log.h"
#include "tests/support/pcap_file.h"

namespace ipop::ike {
namespace {

using test::RacoonLog;

const std::string kVectorDir = std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024/";
constexpr size_t k3desBlockSize = 8;

const Endpoint kNodeA{*Ipv4Address::Parse("10.77.0.1"), 500};
const Endpoint kNodeB{*Ipv4Address::Parse("10.77.0.2"), 500};

// Payload order of each message as racoon logged it while parsing
// ("seen nptype=..." lines in racoon-a.log and racoon-b.log).
using P = PayloadType;
const std::vector<std::vector<PayloadType>> kExpectedPayloads = {
    {P::kSa, P::kVendorId, P::kVendorId, P::kVendorId, P::kVendorId},                    // MM1 A->B
    {P::kSa, P::kVendorId, P::kVendorId},                                                // MM2 B->A
    {P::kKeyExchange, P::kNonce, P::kNatD, P::kNatD},                                    // MM3 A->B
    {P::kKeyExchange, P::kNonce, P::kCertificateRequest, P::kNatD, P::kNatD},            // MM4 B->A
    {P::kIdentification, P::kCertificate, P::kSignature, P::kCertificateRequest},        // MM5 A->B
    {P::kIdentification, P::kCertificate, P::kSignature},                                // MM6 B->A
    {P::kHash, P::kNotification},                                                        // Info B->A
    {P::kHash, P::kNotification},                                                        // Info A->B
    {P::kHash, P::kSa, P::kNonce, P::kKeyExchange, P::kIdentification, P::kIdentification},  // QM1
    {P::kHash, P::kSa, P::kNonce, P::kKeyExchange, P::kIdentification, P::kIdentification},  // QM2
    {P::kHash},                                                                          // QM3 A->B
    {P::kHash, P::kDelete},                                                              // Info A->B
    {P::kHash, P::kDelete},                                                              // Info A->B
};
const std::vector<ExchangeType> kExpectedExchanges = {
    ExchangeType::kIdentityProtection, ExchangeType::kIdentityProtection, ExchangeType::kIdentityProtection,
    ExchangeType::kIdentityProtection, ExchangeType::kIdentityProtection, ExchangeType::kIdentityProtection,
    ExchangeType::kInformational,      ExchangeType::kInformational,      ExchangeType::kQuickMode,
    ExchangeType::kQuickMode,          ExchangeType::kQuickMode,          ExchangeType::kInformational,
    ExchangeType::kInformational,
};
constexpr size_t kFirstEncrypted = 4;

class RacoonCaptureTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    const auto file = test::ReadPcapFile(kVectorDir + "selftest.pcap");
    ASSERT_TRUE(file.has_value()) << ToString(file.error());
    captured_ = new std::vector<test::CapturedIkeMessage>(test::ExtractIkeMessages(*file));
    log_a_ = new RacoonLog(RacoonLog::Load(kVectorDir + "racoon-a.log"));
    log_b_ = new RacoonLog(RacoonLog::Load(kVectorDir + "racoon-b.log"));
  }
  static void TearDownTestSuite() {
    delete captured_;
    delete log_a_;
    delete log_b_;
  }

  static Message Parse(size_t index) {
    const auto message = ParseMessage(captured_->at(index).message);
    EXPECT_TRUE(message.has_value()) << "message " << index << ": " << ToString(message.error());
    return message.value_or(Message{});
  }

  static bool SentByA(size_t index) { return captured_->at(index).source == kNodeA; }

  // Returns the IV racoon used for encrypted message `index`: the initiator
  // logs "encrypted payload by IV:" for each message it sends and
  // "decrypted payload by IV:" for each it receives, in capture order.
  static Bytes IvFor(size_t index) {
    size_t same_direction_before = 0;
    for (size_t i = kFirstEncrypted; i < index; ++i) {
      same_direction_before += SentByA(i) == SentByA(index) ? 1 : 0;
    }
    const char* label = SentByA(index) ? "encrypted payload by IV:" : "decrypted payload by IV:";
    return log_a_->Get(label, same_direction_before);
  }

  static Message Decrypt(size_t index) {
    const Message encrypted = Parse(index);
    const auto plaintext = crypto::IkeCbcDecrypt(crypto::IkeCipher::k3desCbc,
                                                 log_a_->Get("final encryption key computed:"), IvFor(index),
                                                 encrypted.body());
    EXPECT_TRUE(plaintext.has_value()) << "message " << index << ": " << ToString(plaintext.error());
    if (!plaintext) {
      return Message{};
    }
    const auto message = ParseDecryptedMessage(encrypted, *plaintext);
    EXPECT_TRUE(message.has_value()) << "message " << index << ": " << ToString(message.error());
    return message.value_or(Message{});
  }

  // True when `log` contains a hex dump equal to `bytes`.
  static bool LogHasBlock(const RacoonLog& log, ByteView bytes) {
    return std::ranges::any_of(log.blocks(), [&](const test::RacoonLogBlock& block) {
      return std::ranges::equal(block.data, bytes);
    });
  }

  static std::vector<PayloadType> TypesOf(const Message& message) {
    std::vector<PayloadType> types;
    for (const Payload& payload : message.payloads()) {
      types.push_back(payload.type);
    }
    return types;
  }

  static std::vector<test::CapturedIkeMessage>* captured_;
  static RacoonLog* log_a_;
  static RacoonLog* log_b_;
};

std::vector<test::CapturedIkeMessage>* RacoonCaptureTest::captured_ = nullptr;
RacoonLog* RacoonCaptureTest::log_a_ = nullptr;
RacoonLog* RacoonCaptureTest::log_b_ = nullptr;

TEST_F(RacoonCaptureTest, EveryHeaderParses) {
  ASSERT_EQ(captured_->size(), kExpectedExchanges.size());
  for (size_t i = 0; i < captured_->size(); ++i) {
    const Message message = Parse(i);
    const IsakmpHeader& header = message.header();
    EXPECT_EQ(ToHex(header.initiator_cookie), "006d2aece15feaaa") << "message " << i;
    EXPECT_EQ(ToHex(header.responder_cookie), i == 0 ? "0000000000000000" : "a0faf56f5877efde") << "message " << i;
    EXPECT_EQ(header.exchange_type, kExpectedExchanges[i]) << "message " << i;
    EXPECT_EQ(header.length, captured_->at(i).message.size()) << "message " << i;
    EXPECT_EQ(header.encrypted(), i >= kFirstEncrypted) << "message " << i;
    EXPECT_EQ(header.next_payload, kExpectedPayloads[i].front()) << "message " << i;
    if (header.exchange_type == ExchangeType::kIdentityProtection) {
      EXPECT_EQ(header.message_id, kPhase1MessageId) << "message " << i;
    } else {
      EXPECT_NE(header.message_id, kPhase1MessageId) << "message " << i;
    }
  }
}

TEST_F(RacoonCaptureTest, PlaintextPayloadOrder) {
  for (size_t i = 0; i < kFirstEncrypted; ++i) {
    EXPECT_EQ(TypesOf(Parse(i)), kExpectedPayloads[i]) << "message " << i;
  }
}

TEST_F(RacoonCaptureTest, EncryptedBodiesAreWholeBlocks) {
  for (size_t i = kFirstEncrypted; i < captured_->size(); ++i) {
    const Message message = Parse(i);
    EXPECT_TRUE(message.payloads().empty()) << "message " << i;
    EXPECT_GT(message.body().size(), 0u) << "message " << i;
    EXPECT_EQ(message.body().size() % k3desBlockSize, 0u) << "message " << i;
  }
}

TEST_F(RacoonCaptureTest, MainMode1Offer) {
  const Message message = Parse(0);
  const Payload* sa = message.Find(PayloadType::kSa);
  ASSERT_NE(sa, nullptr);
  // racoon dumps SAi_b as "total SA len=48"; the body must match it exactly.
  EXPECT_EQ(ToHex(sa->body), ToHex(log_a_->Get("total SA len=48")));
  const auto parsed = ParseSaPayload(sa->body);
  ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
  ASSERT_EQ(parsed->proposals.size(), 1u);
  const Transform& transform = parsed->proposals[0].transforms.at(0);
  EXPECT_EQ(transform.transform_id, kTransformKeyIke);
  EXPECT_EQ(transform.Find(kIkeAttributeEncryptionAlgorithm)->AsInteger(), kIkeEncryption3desCbc);
  EXPECT_EQ(transform.Find(kIkeAttributeHashAlgorithm)->AsInteger(), kIkeHashSha1);
  EXPECT_EQ(transform.Find(kIkeAttributeAuthenticationMethod)->AsInteger(), kIkeAuthRsaSignature);
  EXPECT_EQ(transform.Find(kIkeAttributeGroupDescription)->AsInteger(), kIkeGroupModp1024);
  EXPECT_EQ(transform.Find(kIkeAttributeLifeDuration)->AsInteger(), 28800u);

  std::vector<KnownVendorId> vendor_ids;
  for (const Payload* payload : message.FindAll(PayloadType::kVendorId)) {
    vendor_ids.push_back(RecognizeVendorId(payload->body));
  }
  const std::vector<KnownVendorId> expected = {KnownVendorId::kRfc3947, KnownVendorId::kNatTDraft02,
                                               KnownVendorId::kNatTDraft02Newline, KnownVendorId::kDpd};
  EXPECT_EQ(vendor_ids, expected);
}

TEST_F(RacoonCaptureTest, MainMode2Choice) {
  const Message message = Parse(1);
  const Payload* sa = message.Find(PayloadType::kSa);
  ASSERT_NE(sa, nullptr);
  const auto parsed = ParseSaPayload(sa->body);
  ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
  const auto offer = ParseSaPayload(Parse(0).Find(PayloadType::kSa)->body);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(*parsed, *offer);

  const auto vendor_ids = message.FindAll(PayloadType::kVendorId);
  ASSERT_EQ(vendor_ids.size(), 2u);
  EXPECT_EQ(RecognizeVendorId(vendor_ids[0]->body), KnownVendorId::kRfc3947);
  EXPECT_EQ(RecognizeVendorId(vendor_ids[1]->body), KnownVendorId::kDpd);
}

TEST_F(RacoonCaptureTest, MainMode3KeyExchange) {
  const Message message = Parse(2);
  const auto ke = ParseKeyExchangePayload(message.Find(PayloadType::kKeyExchange)->body);
  ASSERT_TRUE(ke.has_value());
  EXPECT_EQ(ToHex(ke->public_value), ToHex(log_a_->Get("compute DH's public.")));
  const auto nonce = ParseNoncePayload(message.Find(PayloadType::kNonce)->body);
  ASSERT_TRUE(nonce.has_value()) << ToString(nonce.error());
  EXPECT_EQ(ToHex(nonce->data), ToHex(log_a_->Get("nonce1:")));

  // RFC 3947 §3.2: first the hash of the destination (B), then the source (A).
  const auto nat_d = message.FindAll(PayloadType::kNatD);
  ASSERT_EQ(nat_d.size(), 2u);
  const Cookie& cookie_i = message.header().initiator_cookie;
  const Cookie& cookie_r = message.header().responder_cookie;
  EXPECT_EQ(ToHex(nat_d[0]->body),
            ToHex(ComputeNatDHash(crypto::HashAlgorithm::kSha1, cookie_i, cookie_r, kNodeB)));
  EXPECT_EQ(ToHex(nat_d[1]->body),
            ToHex(ComputeNatDHash(crypto::HashAlgorithm::kSha1, cookie_i, cookie_r, kNodeA)));
}

TEST_F(RacoonCaptureTest, MainMode4KeyExchange) {
  const Message message = Parse(3);
  const auto ke = ParseKeyExchangePayload(message.Find(PayloadType::kKeyExchange)->body);
  ASSERT_TRUE(ke.has_value());
  EXPECT_EQ(ToHex(ke->public_value), ToHex(log_b_->Get("compute DH's public.")));
  const auto nonce = ParseNoncePayload(message.Find(PayloadType::kNonce)->body);
  ASSERT_TRUE(nonce.has_value());
  EXPECT_EQ(ToHex(nonce->data), ToHex(log_a_->Get("nonce2:")));

  const auto request = ParseCertificateRequestPayload(message.Find(PayloadType::kCertificateRequest)->body);
  ASSERT_TRUE(request.has_value());
  EXPECT_EQ(request->certificate_type, kCertEncodingX509Signature);
  const auto root = crypto::Certificate::LoadPemFile(kVectorDir + "certs/rootCA.pem");
  ASSERT_TRUE(root.has_value()) << ToString(root.error());
  EXPECT_EQ(ToHex(request->authority), ToHex(root->SubjectDer()));

  std::vector<Bytes> hashes;
  for (const Payload* payload : message.FindAll(PayloadType::kNatD)) {
    hashes.emplace_back(payload->body.begin(), payload->body.end());
  }
  ASSERT_EQ(hashes.size(), 2u);
  // A received this message: destination A, source B. racoon logged "NAT not
  // detected".
  const auto result = DetectNat(crypto::HashAlgorithm::kSha1, message.header().initiator_cookie,
                                message.header().responder_cookie, kNodeA, kNodeB, hashes);
  EXPECT_FALSE(result.local_behind_nat);
  EXPECT_FALSE(result.peer_behind_nat);
}

TEST_F(RacoonCaptureTest, DecryptedBodiesMatchRacoon) {
  for (size_t i = kFirstEncrypted; i < captured_->size(); ++i) {
    const Message message = Decrypt(i);
    // The whole plaintext, padding included, appears in racoon-a.log: before
    // encryption for A's messages, after decryption for B's.
    EXPECT_TRUE(LogHasBlock(*log_a_, message.body())) << "message " << i << ": " << ToHex(message.body());
    EXPECT_EQ(TypesOf(message), kExpectedPayloads[i]) << "message " << i;
    // racoon pads every message here, with a whole block when the chain is
    // already aligned (messages 10 and 11).
    EXPECT_LE(message.bytes().size() - message.chain_end(), k3desBlockSize) << "message " << i;
  }
}

TEST_F(RacoonCaptureTest, MainMode5And6Identities) {
  struct Side {
    size_t index;
    const char* certificate;
  };
  for (const Side side : {Side{4, "certs/10.77.0.1/cert.pem"}, Side{5, "certs/10.77.0.2/cert.pem"}}) {
    const Message message = Decrypt(side.index);
    const auto certificate = crypto::Certificate::LoadPemFile(kVectorDir + side.certificate);
    ASSERT_TRUE(certificate.has_value()) << ToString(certificate.error());

    const auto id = ParseIdentificationPayload(message.Find(PayloadType::kIdentification)->body);
    ASSERT_TRUE(id.has_value()) << ToString(id.error());
    EXPECT_EQ(id->id_type, kIdDerAsn1Dn);
    EXPECT_EQ(ToHex(id->data), ToHex(certificate->SubjectDer()));

    const auto cert = ParseCertificatePayload(message.Find(PayloadType::kCertificate)->body);
    ASSERT_TRUE(cert.has_value()) << ToString(cert.error());
    EXPECT_EQ(cert->encoding, kCertEncodingX509Signature);
    EXPECT_EQ(ToHex(cert->data), ToHex(certificate->Der()));

    const auto signature = ParseSignaturePayload(message.Find(PayloadType::kSignature)->body);
    ASSERT_TRUE(signature.has_value());
    EXPECT_EQ(signature->data.size(), 256u) << "RSA-2048 signature";
  }
}

TEST_F(RacoonCaptureTest, InitiatorIdMatchesHashInput) {
  // HASH_I is computed over ... | SAi_b | IDii_b (RFC 2409 §5), and racoon
  // logs that input; it must end with the ID body of message 5.
  const Message message = Decrypt(4);
  const Bytes& hash_input = log_a_->Get("HASH with:");
  const ByteView id_body = message.Find(PayloadType::kIdentification)->body;
  ASSERT_GE(hash_input.size(), id_body.size());
  EXPECT_EQ(ToHex(ByteView(hash_input).last(id_body.size())), ToHex(id_body));
}

TEST_F(RacoonCaptureTest, QuickModeHashInputs) {
  // HASH(1) = prf(SKEYID_a, M-ID | everything after HASH), RFC 2409 §5.5,
  // and the same form protects Informational messages (§5.7). racoon logs
  // each input as "HASH with:" and each result as "HASH computed:".
  for (size_t i : {size_t{6}, size_t{7}, size_t{8}, size_t{11}, size_t{12}}) {
    const Message message = Decrypt(i);
    const Payload* hash = message.Find(PayloadType::kHash);
    ASSERT_NE(hash, nullptr) << "message " << i;
    Bytes input(4);
    StoreU32(input, message.header().message_id);
    Append(input, message.BytesAfter(*hash));
    const RacoonLog& log = SentByA(i) ? *log_a_ : *log_b_;
    EXPECT_FALSE(log.FindStartingWith("HASH with:", input).empty()) << "message " << i << ": " << ToHex(input);
    EXPECT_TRUE(LogHasBlock(log, input)) << "message " << i;
    EXPECT_TRUE(LogHasBlock(log, hash->body)) << "message " << i << ": HASH " << ToHex(hash->body);
  }
}

TEST_F(RacoonCaptureTest, QuickModePayloads) {
  const Message first = Decrypt(8);
  const Message second = Decrypt(9);
  for (const Message* message : {&first, &second}) {
    const auto sa = ParseSaPayload(message->Find(PayloadType::kSa)->body);
    ASSERT_TRUE(sa.has_value()) << ToString(sa.error());
    ASSERT_EQ(sa->proposals.size(), 1u);
    const Proposal& proposal = sa->proposals[0];
    EXPECT_EQ(proposal.protocol_id, kProtocolEsp);
    EXPECT_EQ(proposal.spi.size(), kSpiSizeEsp);
    const Transform& transform = proposal.transforms.at(0);
    EXPECT_EQ(transform.transform_id, kTransformEsp3des);
    EXPECT_EQ(transform.Find(kIpsecAttributeEncapsulationMode)->AsInteger(), kEncapsulationTransport);
    EXPECT_EQ(transform.Find(kIpsecAttributeAuthenticationAlgorithm)->AsInteger(), kAuthHmacSha1);
    EXPECT_EQ(transform.Find(kIpsecAttributeGroupDescription)->AsInteger(), kIkeGroupModp1024);

    const auto nonce = ParseNoncePayload(message->Find(PayloadType::kNonce)->body);
    ASSERT_TRUE(nonce.has_value());
    const auto ke = ParseKeyExchangePayload(message->Find(PayloadType::kKeyExchange)->body);
    ASSERT_TRUE(ke.has_value());
    EXPECT_EQ(ke->public_value.size(), 128u);

    const auto ids = message->FindAll(PayloadType::kIdentification);
    ASSERT_EQ(ids.size(), 2u);
    const auto id_ci = ParseIdentificationPayload(ids[0]->body);
    const auto id_cr = ParseIdentificationPayload(ids[1]->body);
    ASSERT_TRUE(id_ci.has_value());
    ASSERT_TRUE(id_cr.has_value());
    EXPECT_EQ(id_ci->ToIpv4Prefix()->ToString(), "10.77.0.1/32");
    EXPECT_EQ(id_cr->ToIpv4Prefix()->ToString(), "10.77.0.2/32");
    EXPECT_EQ(ToHex(ids[0]->body), ToHex(log_a_->Get("IDci:")));
    EXPECT_EQ(ToHex(ids[1]->body), ToHex(log_a_->Get("IDcr:")));
  }
  // Nonces as tshark 4.0.17 decodes them with wireshark/ikev1_decryption_table.
  EXPECT_EQ(ToHex(first.Find(PayloadType::kNonce)->body), "e91f3fe7bdae60565e802fca77a4b6ec");
  EXPECT_EQ(ToHex(second.Find(PayloadType::kNonce)->body), "bb67d39d4dda68dbfe1407043db73b4c");

  // The Quick Mode KE values are the second DH key pairs of each side.
  EXPECT_EQ(ToHex(ParseKeyExchangePayload(first.Find(PayloadType::kKeyExchange)->body)->public_value),
            ToHex(log_a_->Get("compute DH's public.", 1)));
  EXPECT_EQ(ToHex(ParseKeyExchangePayload(second.Find(PayloadType::kKeyExchange)->body)->public_value),
            ToHex(log_b_->Get("compute DH's public.", 1)));
}

TEST_F(RacoonCaptureTest, InformationalPayloads) {
  // Both sides send INITIAL-CONTACT after phase 1, naming the cookie pair.
  for (size_t i : {size_t{6}, size_t{7}}) {
    const Message message = Decrypt(i);
    const auto notify = ParseNotificationPayload(message.Find(PayloadType::kNotification)->body);
    ASSERT_TRUE(notify.has_value()) << ToString(notify.error());
    EXPECT_EQ(notify->notify_type, kNotifyInitialContact) << "message " << i;
    EXPECT_EQ(notify->protocol_id, kProtocolIsakmp) << "message " << i;
    EXPECT_EQ(ToHex(notify->spi), "006d2aece15feaaaa0faf56f5877efde") << "message " << i;
  }
  // At shutdown A deletes the ESP SAs and then the ISAKMP SA.
  std::vector<uint8_t> deleted_protocols;
  for (size_t i : {size_t{11}, size_t{12}}) {
    const Message message = Decrypt(i);
    const auto deletion = ParseDeletePayload(message.Find(PayloadType::kDelete)->body);
    ASSERT_TRUE(deletion.has_value()) << ToString(deletion.error());
    ASSERT_FALSE(deletion->spis.empty());
    deleted_protocols.push_back(deletion->protocol_id);
    if (deletion->protocol_id == kProtocolIsakmp) {
      EXPECT_EQ(ToHex(deletion->spis[0]), "006d2aece15feaaaa0faf56f5877efde");
    } else {
      EXPECT_EQ(deletion->spi_size, kSpiSizeEsp);
    }
  }
  const std::vector<uint8_t> expected_order = {kProtocolEsp, kProtocolIsakmp};
  EXPECT_EQ(deleted_protocols, expected_order);
}

TEST_F(RacoonCaptureTest, TruncatedCaptureMessagesFail) {
  // Every message of the capture, cut at every byte, must fail cleanly.
  for (size_t i = 0; i < captured_->size(); ++i) {
    const Bytes& bytes = captured_->at(i).message;
    for (size_t size = 0; size < bytes.size(); ++size) {
      EXPECT_FALSE(ParseMessage(ByteView(bytes).first(size)).has_value()) << "message " << i << " size " << size;
    }
  }
}

// Parses every payload body of `message` with its typed parser; only the
// absence of crashes and sanitizer reports matters here.
void ParseEveryBody(const Message& message) {
  for (const Payload& payload : message.payloads()) {
    switch (payload.type) {
      case PayloadType::kSa:
        (void)ParseSaPayload(payload.body);
        break;
      case PayloadType::kIdentification:
        (void)ParseIdentificationPayload(payload.body);
        break;
      case PayloadType::kNotification:
        (void)ParseNotificationPayload(payload.body);
        break;
      case PayloadType::kDelete:
        (void)ParseDeletePayload(payload.body);
        break;
      case PayloadType::kCertificate:
        (void)ParseCertificatePayload(payload.body);
        break;
      case PayloadType::kNonce:
        (void)ParseNoncePayload(payload.body);
        break;
      default:
        break;
    }
  }
}

TEST_F(RacoonCaptureTest, MutatedMessagesNeverCrash) {
  // Each byte of each plaintext message and decrypted body is replaced by
  // three values; the parsers must return, whatever the result.
  std::vector<Bytes> inputs;
  for (size_t i = 0; i < captured_->size(); ++i) {
    // Decrypted bodies lose their padding so that ParseMessage accepts them.
    const Message message = i < kFirstEncrypted ? Parse(i) : Decrypt(i);
    Bytes input(message.bytes().begin(), message.bytes().begin() + message.chain_end());
    StoreU32(MutableByteView(input).subspan(24, 4), static_cast<uint32_t>(input.size()));
    input[19] &= ~std::byte{kFlagEncryption};
    ASSERT_TRUE(ParseMessage(input).has_value()) << "message " << i;
    inputs.push_back(std::move(input));
  }
  size_t parsed_count = 0;
  for (const Bytes& input : inputs) {
    for (size_t offset = kIsakmpHeaderSize; offset < input.size(); ++offset) {
      for (uint8_t value : {uint8_t{0x00}, uint8_t{0xff}, uint8_t{0x04}}) {
        Bytes mutated = input;
        mutated[offset] = std::byte{value};
        const auto message = ParseMessage(mutated);
        if (message) {
          ++parsed_count;
          ParseEveryBody(*message);
        }
      }
    }
  }
  // Mutations inside opaque bodies (certificate, signature) still parse.
  EXPECT_GT(parsed_count, 0u);
}

TEST_F(RacoonCaptureTest, BuilderReproducesPlaintextMessages) {
  // Re-encoding the parsed payloads with MessageBuilder gives racoon's bytes.
  for (size_t i = 0; i < kFirstEncrypted; ++i) {
    const Message message = Parse(i);
    MessageBuilder builder(message.header());
    for (const Payload& payload : message.payloads()) {
      builder.AddRaw(payload.type, payload.body);
    }
    EXPECT_EQ(ToHex(builder.Build()), ToHex(captured_->at(i).message)) << "message " << i;
  }
}

}  // namespace
}  // namespace ipop::ike
