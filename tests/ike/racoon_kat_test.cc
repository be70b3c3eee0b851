// Reproduces every key and hash of a real racoon exchange with our crypto and
// key derivation. The exchange is the capture in
// tests/vectors/racoon-3des-sha1-modp1024 (see its README.md): Main Mode with
// RSA signatures, 3DES-CBC, SHA1 and MODP-1024, 10.77.0.1 (side A) as
// initiator, then Quick Mode with PFS MODP-1024 keying two ESP SAs with
// 3DES-CBC and HMAC-SHA1-96. All values are read from racoon's debug logs,
// its SAD dump and the Wireshark key tables at run time.
#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <optional>
#include <regex>
#include <sstream>
#include <string>

#include "base/byte_reader.h"
#include "crypto/dh.h"
#include "crypto/ike_cipher.h"
#include "crypto/x509.h"
#include "ike/key_derivation.h"
#include "tests/ike/racoon_kat_log.h"

namespace ipop::ike {
namespace {

using crypto::DhGroup;
using crypto::DhKeyPair;
using crypto::HashAlgorithm;
using crypto::SecretBytes;
using test::RacoonLog;

const std::string kVectorDir =
    std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024/";

constexpr HashAlgorithm kPrf = HashAlgorithm::kSha1;
constexpr size_t k3desKeyLength = 24;
constexpr size_t k3desBlockSize = 8;
constexpr size_t kModp1024Bytes = 128;
constexpr size_t kCookieLength = 8;
constexpr size_t kHmacSha1KeyLength = 20;
// racoon derives 4 SHA1 blocks of KEYMAT for 3DES + HMAC-SHA1 (log line
// "generating K1...K4 for KEYMAT").
constexpr size_t kRacoonKeymatLength = 80;

// ISAKMP payload types (RFC 2408 §3.1) used to walk the logged hash inputs.
constexpr uint8_t kPayloadSa = 1;
constexpr uint8_t kPayloadNonce = 10;
constexpr size_t kGenericHeaderLength = 4;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw std::runtime_error("cannot read " + path);
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string HexOf(const SecretBytes& value) { return ToHex(value.view()); }

ByteView Slice(const Bytes& bytes, size_t offset, size_t length) {
  return ByteView(bytes).subspan(offset, length);
}

// CKY-I and CKY-R from racoon's "ISAKMP-SA established ... spi:I:R" line.
std::pair<Bytes, Bytes> ReadCookies(const std::string& log_path) {
  static const std::regex kEstablished(
      R"(ISAKMP-SA established .* spi:([0-9a-f]{16}):([0-9a-f]{16}))");
  std::smatch match;
  const std::string text = ReadFile(log_path);
  if (!std::regex_search(text, match, kEstablished)) {
    throw std::runtime_error("no ISAKMP-SA established line in " + log_path);
  }
  return {HexToBytes(match[1].str()), HexToBytes(match[2].str())};
}

// Walks a chain of ISAKMP payloads that starts with `first_type` and must
// fill `chain` exactly. Returns the body of the first payload of
// `requested_type`, or nothing when the chain is malformed or lacks it.
std::optional<Bytes> FindPayloadBody(ByteView chain, uint8_t first_type, uint8_t requested_type) {
  std::optional<Bytes> found;
  uint8_t type = first_type;
  size_t offset = 0;
  while (type != 0) {
    if (chain.size() - offset < kGenericHeaderLength) {
      return std::nullopt;
    }
    const uint8_t next_type = static_cast<uint8_t>(chain[offset]);
    const size_t length = LoadU16(chain.subspan(offset + 2, 2));
    if (length < kGenericHeaderLength || length > chain.size() - offset) {
      return std::nullopt;
    }
    if (type == requested_type && !found) {
      ByteView body = chain.subspan(offset + kGenericHeaderLength, length - kGenericHeaderLength);
      found = Bytes(body.begin(), body.end());
    }
    offset += length;
    type = next_type;
  }
  if (offset != chain.size()) {
    return std::nullopt;
  }
  return found;
}

// Length of SAi_b (DOI, situation and the proposal payloads, RFC 2407 §4.6.1)
// at the start of `bytes`.
size_t SaBodyLength(ByteView bytes) {
  size_t offset = 8;  // DOI and situation
  while (true) {
    const uint8_t next = static_cast<uint8_t>(bytes[offset]);
    offset += LoadU16(bytes.subspan(offset + 2, 2));
    if (next == 0) {
      return offset;
    }
  }
}

struct EspSaKeys {
  Bytes encryption_key;
  Bytes authentication_key;
};

// SPI -> keys from `setkey -D` output ("spi=N(0x...)", "E: alg key", "A: alg key").
std::map<uint32_t, EspSaKeys> ReadSad(const std::string& path) {
  static const std::regex kSpi(R"(spi=\d+\(0x([0-9a-f]{8})\))");
  static const std::regex kKey(R"(^\s*([EA]): \S+\s+([0-9a-f ]+?)\s*$)");
  std::map<uint32_t, EspSaKeys> sad;
  std::istringstream lines(ReadFile(path));
  std::string line;
  uint32_t spi = 0;
  std::smatch match;
  while (std::getline(lines, line)) {
    if (std::regex_search(line, match, kSpi)) {
      spi = static_cast<uint32_t>(std::stoul(match[1].str(), nullptr, 16));
    } else if (std::regex_match(line, match, kKey)) {
      Bytes& key = match[1].str() == "E" ? sad[spi].encryption_key : sad[spi].authentication_key;
      key = HexToBytes(match[2].str());
    }
  }
  return sad;
}

// SPI -> keys from Wireshark's esp_sa table.
std::map<uint32_t, EspSaKeys> ReadWiresharkEspSa(const std::string& path) {
  static const std::regex kRow(
      R"re("0x([0-9a-f]{8})","[^"]*","0x([0-9a-f]+)","[^"]*","0x([0-9a-f]+)")re");
  std::map<uint32_t, EspSaKeys> table;
  const std::string text = ReadFile(path);
  for (auto it = std::sregex_iterator(text.begin(), text.end(), kRow); it != std::sregex_iterator();
       ++it) {
    const uint32_t spi = static_cast<uint32_t>(std::stoul((*it)[1].str(), nullptr, 16));
    table[spi] = {HexToBytes((*it)[2].str()), HexToBytes((*it)[3].str())};
  }
  return table;
}

class RacoonKat : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    log_a_ = new RacoonLog(RacoonLog::Load(kVectorDir + "racoon-a.log"));
    log_b_ = new RacoonLog(RacoonLog::Load(kVectorDir + "racoon-b.log"));
  }
  static void TearDownTestSuite() {
    delete log_a_;
    delete log_b_;
  }

  // The Main Mode DH shared value, computed from side A's logged private
  // value and side B's logged public value.
  static SecretBytes Phase1Shared() {
    Result<DhKeyPair> pair =
        DhKeyPair::FromPrivate(DhGroup::kModp1024, log_a_->Get("compute DH's private.", 0));
    EXPECT_TRUE(pair.has_value());
    Result<SecretBytes> shared = pair->ComputeShared(log_b_->Get("compute DH's public.", 0));
    EXPECT_TRUE(shared.has_value());
    return std::move(*shared);
  }

  static SecretBytes Skeyid() {
    return ComputeSkeyidForSignatures(kPrf, log_a_->Get("nonce1:"), log_a_->Get("nonce2:"),
                                      Phase1Shared());
  }

  static Phase1Keys DeriveKeys() {
    const auto [cookie_i, cookie_r] = ReadCookies(kVectorDir + "racoon-a.log");
    return DerivePhase1Keys(kPrf, Skeyid(), Phase1Shared(), cookie_i, cookie_r, k3desKeyLength);
  }

  static RacoonLog* log_a_;
  static RacoonLog* log_b_;
};

RacoonLog* RacoonKat::log_a_ = nullptr;
RacoonLog* RacoonKat::log_b_ = nullptr;

TEST_F(RacoonKat, Phase1SharedValue) {
  EXPECT_EQ(HexOf(Phase1Shared()), ToHex(log_a_->Get("compute DH's shared.", 0)));
  EXPECT_EQ(HexOf(Phase1Shared()), ToHex(log_b_->Get("compute DH's shared.", 0)));
}

TEST_F(RacoonKat, SkeyidChain) {
  // nonce1 is Ni_b on both sides: side B logs the same two values in the
  // same order.
  ASSERT_EQ(log_a_->Get("nonce1:"), log_b_->Get("nonce1:"));
  ASSERT_EQ(log_a_->Get("nonce2:"), log_b_->Get("nonce2:"));

  const Phase1Keys keys = DeriveKeys();
  for (const RacoonLog* log : {log_a_, log_b_}) {
    EXPECT_EQ(HexOf(keys.skeyid), ToHex(log->Get("SKEYID computed:")));
    EXPECT_EQ(HexOf(keys.skeyid_d), ToHex(log->Get("SKEYID_d computed:")));
    EXPECT_EQ(HexOf(keys.skeyid_a), ToHex(log->Get("SKEYID_a computed:")));
    EXPECT_EQ(HexOf(keys.skeyid_e), ToHex(log->Get("SKEYID_e computed:")));
  }
}

TEST_F(RacoonKat, EncryptionKeyExpansion) {
  const Phase1Keys keys = DeriveKeys();
  // racoon logs the input and then the output of each Kn step.
  const Bytes& k1_input = log_a_->Get("compute intermediate encryption key K1", 0);
  const Bytes& k1 = log_a_->Get("compute intermediate encryption key K1", 1);
  const Bytes& k2_input = log_a_->Get("compute intermediate encryption key K2", 0);
  const Bytes& k2 = log_a_->Get("compute intermediate encryption key K2", 1);
  EXPECT_EQ(ToHex(k1_input), "00");
  EXPECT_EQ(k2_input, k1);

  ASSERT_EQ(keys.encryption_key.size(), k3desKeyLength);
  EXPECT_EQ(ToHex(keys.encryption_key.view().first(20)), ToHex(k1));
  EXPECT_EQ(ToHex(keys.encryption_key.view().subspan(20)), ToHex(ByteView(k2).first(4)));
  EXPECT_EQ(HexOf(keys.encryption_key), ToHex(log_a_->Get("final encryption key computed:")));
  EXPECT_EQ(HexOf(keys.encryption_key), ToHex(log_b_->Get("final encryption key computed:")));

  // Wireshark's IKEv1 table: "CKY-I,Ka".
  const std::string table = ReadFile(kVectorDir + "wireshark/ikev1_decryption_table");
  const auto [cookie_i, cookie_r] = ReadCookies(kVectorDir + "racoon-a.log");
  EXPECT_EQ(table.substr(0, table.find_first_of("\r\n")),
            ToHex(cookie_i) + "," + HexOf(keys.encryption_key));
}

TEST_F(RacoonKat, Phase1Iv) {
  const Bytes iv = ComputePhase1Iv(kPrf, log_a_->Get("compute DH's public.", 0),
                                   log_b_->Get("compute DH's public.", 0), k3desBlockSize);
  EXPECT_EQ(ToHex(iv), ToHex(log_a_->Get("IV computed:")));
  EXPECT_EQ(ToHex(iv), ToHex(log_b_->Get("IV computed:")));
}

// Encrypts the logged plaintexts of Main Mode messages 5 and 6 with the
// derived key. CBC chains the IV across messages (RFC 2409 Appendix B), so
// the last ciphertext block of each message must be the IV that racoon saved
// for the next one.
TEST_F(RacoonKat, MainModeEncryptionChain) {
  const Phase1Keys keys = DeriveKeys();
  const Bytes& phase1_iv = log_a_->Get("IV computed:");

  // Message 5 (side A sends): racoon logs the padded plaintext under the
  // "pad length = N" message.
  const Bytes& message5 = log_a_->Get("pad length = 5");
  ASSERT_EQ(ToHex(log_a_->Get("encrypted payload by IV:", 0)), ToHex(phase1_iv));
  Result<Bytes> ciphertext5 = crypto::IkeCbcEncrypt(
      crypto::IkeCipher::k3desCbc, keys.encryption_key.view(), phase1_iv, message5);
  ASSERT_TRUE(ciphertext5.has_value()) << ciphertext5.error().detail;
  const Bytes& iv_after5 = log_a_->Get("save IV for next:", 0);
  EXPECT_EQ(ToHex(ByteView(*ciphertext5).last(k3desBlockSize)), ToHex(iv_after5));

  // Message 6 (side A receives and decrypts with the chained IV).
  ASSERT_EQ(ToHex(log_a_->Get("decrypted payload by IV:", 0)), ToHex(iv_after5));
  const Bytes& message6 = log_a_->Get("decrypted payload, but not trimed.", 0);
  Result<Bytes> ciphertext6 = crypto::IkeCbcEncrypt(
      crypto::IkeCipher::k3desCbc, keys.encryption_key.view(), iv_after5, message6);
  ASSERT_TRUE(ciphertext6.has_value()) << ciphertext6.error().detail;
  const Bytes& iv_after6 = log_a_->Get("IV was saved for next processing:", 0);
  EXPECT_EQ(ToHex(ByteView(*ciphertext6).last(k3desBlockSize)), ToHex(iv_after6));

  // Decrypting gives the plaintext back, and the last block of message 6 is
  // what phase 2 IVs are computed from.
  Result<Bytes> decrypted6 = crypto::IkeCbcDecrypt(
      crypto::IkeCipher::k3desCbc, keys.encryption_key.view(), iv_after5, *ciphertext6);
  ASSERT_TRUE(decrypted6.has_value());
  EXPECT_EQ(*decrypted6, message6);
  EXPECT_EQ(ToHex(ByteView(log_a_->Get("phase1 last IV:", 0)).first(k3desBlockSize)),
            ToHex(iv_after6));
}

TEST_F(RacoonKat, HashIAndHashR) {
  const SecretBytes skeyid = Skeyid();
  const auto [cookie_i, cookie_r] = ReadCookies(kVectorDir + "racoon-a.log");
  const Bytes& public_i = log_a_->Get("compute DH's public.", 0);
  const Bytes& public_r = log_b_->Get("compute DH's public.", 0);

  // HASH_I input: g^xi | g^xr | CKY-I | CKY-R | SAi_b | IDii_b.
  const Bytes& input_i = log_a_->Get("HASH with:", 0);
  const size_t sa_offset = 2 * kModp1024Bytes + 2 * kCookieLength;
  ASSERT_EQ(ToHex(Slice(input_i, 0, kModp1024Bytes)), ToHex(public_i));
  ASSERT_EQ(ToHex(Slice(input_i, kModp1024Bytes, kModp1024Bytes)), ToHex(public_r));
  ASSERT_EQ(ToHex(Slice(input_i, 2 * kModp1024Bytes, kCookieLength)), ToHex(cookie_i));
  const size_t sa_length = SaBodyLength(ByteView(input_i).subspan(sa_offset));
  const ByteView sa_i_body = Slice(input_i, sa_offset, sa_length);
  const ByteView id_i_body = ByteView(input_i).subspan(sa_offset + sa_length);

  const Bytes hash_i =
      ComputeHashI(kPrf, skeyid, public_i, public_r, cookie_i, cookie_r, sa_i_body, id_i_body);
  EXPECT_EQ(ToHex(hash_i), ToHex(log_a_->Get("HASH (init) computed:", 0)));
  EXPECT_EQ(ToHex(hash_i), ToHex(log_b_->Get("HASH (resp) computed:", 0)));

  // HASH_R input: g^xr | g^xi | CKY-R | CKY-I | SAi_b | IDir_b.
  const Bytes& input_r = log_a_->Get("HASH with:", 1);
  ASSERT_EQ(ToHex(Slice(input_r, sa_offset, sa_length)), ToHex(sa_i_body));
  const ByteView id_r_body = ByteView(input_r).subspan(sa_offset + sa_length);
  const Bytes hash_r =
      ComputeHashR(kPrf, skeyid, public_i, public_r, cookie_i, cookie_r, sa_i_body, id_r_body);
  EXPECT_EQ(ToHex(hash_r), ToHex(log_a_->Get("HASH (init) computed:", 1)));
  EXPECT_EQ(ToHex(hash_r), ToHex(log_b_->Get("HASH (resp) computed:", 1)));

  // The identities are the ID_DER_ASN1_DN subjects of the node certificates
  // after the 4-byte type, protocol and port header (RFC 2407 §4.6.2).
  Result<crypto::Certificate> cert_a =
      crypto::Certificate::LoadPemFile(kVectorDir + "certs/10.77.0.1/cert.pem");
  ASSERT_TRUE(cert_a.has_value());
  EXPECT_EQ(ToHex(id_i_body.subspan(4)), ToHex(cert_a->SubjectDer()));
}

TEST_F(RacoonKat, SignaturesOverHashIAndHashR) {
  const Bytes hash_i = log_a_->Get("HASH (init) computed:", 0);
  const Bytes hash_r = log_a_->Get("HASH (init) computed:", 1);
  const std::string certs = kVectorDir + "certs/";
  Result<crypto::Certificate> cert_a =
      crypto::Certificate::LoadPemFile(certs + "10.77.0.1/cert.pem");
  Result<crypto::Certificate> cert_b =
      crypto::Certificate::LoadPemFile(certs + "10.77.0.2/cert.pem");
  Result<crypto::PrivateKey> key_a = crypto::PrivateKey::LoadPemFile(certs + "10.77.0.1/key.pem");
  Result<crypto::PrivateKey> key_b = crypto::PrivateKey::LoadPemFile(certs + "10.77.0.2/key.pem");
  ASSERT_TRUE(cert_a.has_value());
  ASSERT_TRUE(cert_b.has_value());
  ASSERT_TRUE(key_a.has_value());
  ASSERT_TRUE(key_b.has_value());

  // racoon's signatures verify with the signers' certificates.
  const Bytes& signature_i = log_a_->Get("SIGN computed:");
  const Bytes& signature_r = log_b_->Get("SIGN computed:");
  Result<void> verified_i = crypto::VerifyIkeSignature(*cert_a, hash_i, signature_i);
  Result<void> verified_r = crypto::VerifyIkeSignature(*cert_b, hash_r, signature_r);
  EXPECT_TRUE(verified_i.has_value()) << verified_i.error().detail;
  EXPECT_TRUE(verified_r.has_value()) << verified_r.error().detail;
  EXPECT_EQ(log_b_->Get("SIGN passed:"), signature_i);
  EXPECT_EQ(log_a_->Get("SIGN passed:"), signature_r);

  // PKCS#1 v1.5 signing is deterministic, so ours must equal racoon's byte
  // for byte, which shows that neither side adds a DigestInfo.
  Result<Bytes> our_signature_i = key_a->SignIkeHash(hash_i);
  Result<Bytes> our_signature_r = key_b->SignIkeHash(hash_r);
  ASSERT_TRUE(our_signature_i.has_value());
  ASSERT_TRUE(our_signature_r.has_value());
  EXPECT_EQ(ToHex(*our_signature_i), ToHex(signature_i));
  EXPECT_EQ(ToHex(*our_signature_r), ToHex(signature_r));

  // Swapped signers fail.
  EXPECT_FALSE(crypto::VerifyIkeSignature(*cert_b, hash_i, signature_i).has_value());
}

TEST_F(RacoonKat, Phase2Ivs) {
  for (const RacoonLog* log : {log_a_, log_b_}) {
    size_t checked = 0;
    for (size_t i = 0;; ++i) {
      // "phase1 last IV:" logs the last phase 1 CBC block followed by the
      // message ID that the IV is computed for.
      Bytes input;
      try {
        input = log->Get("phase1 last IV:", i);
      } catch (const std::out_of_range&) {
        break;
      }
      ASSERT_EQ(input.size(), k3desBlockSize + 4);
      const uint32_t message_id = LoadU32(ByteView(input).subspan(k3desBlockSize));
      const Bytes iv =
          ComputePhase2Iv(kPrf, ByteView(input).first(k3desBlockSize), message_id, k3desBlockSize);
      EXPECT_EQ(ToHex(iv), ToHex(log->Get("phase2 IV computed:", i))) << "IV #" << i;
      ++checked;
    }
    EXPECT_GE(checked, 4u);
  }
}

// Quick Mode hashes, Informational hashes and KEYMAT. racoon logs every
// phase 2 hash as a "HASH with:" input followed by a "HASH computed:" output.
class RacoonKatPhase2 : public RacoonKat {
 protected:
  struct QuickMode {
    uint32_t message_id = 0;
    Bytes nonce_i;
    Bytes nonce_r;
  };

  // Finds the Quick Mode message ID and nonces from the logged HASH(1) and
  // HASH(2) inputs: M-ID | SA | Ni | ... and M-ID | Ni_b | SA | Nr | ...
  static QuickMode FindQuickMode(const RacoonLog& log) {
    QuickMode quick_mode;
    for (const test::RacoonLogBlock& block : log.blocks()) {
      if (block.label != "HASH with:" || block.data.size() < 4) {
        continue;
      }
      std::optional<Bytes> nonce =
          FindPayloadBody(ByteView(block.data).subspan(4), kPayloadSa, kPayloadNonce);
      if (nonce && quick_mode.nonce_i.empty()) {
        quick_mode.message_id = LoadU32(block.data);
        quick_mode.nonce_i = *nonce;
      }
    }
    Bytes prefix(4);
    StoreU32(MutableByteView(prefix), quick_mode.message_id);
    Append(prefix, quick_mode.nonce_i);
    for (const Bytes& input : log.FindStartingWith("HASH with:", prefix)) {
      std::optional<Bytes> nonce =
          FindPayloadBody(ByteView(input).subspan(prefix.size()), kPayloadSa, kPayloadNonce);
      if (nonce) {
        quick_mode.nonce_r = *nonce;
      }
    }
    return quick_mode;
  }
};

TEST_F(RacoonKatPhase2, QuickModeAndInformationalHashes) {
  const Phase1Keys keys = DeriveKeys();
  for (const RacoonLog* log : {log_a_, log_b_}) {
    const QuickMode quick_mode = FindQuickMode(*log);
    ASSERT_EQ(quick_mode.nonce_i.size(), 16u);
    ASSERT_EQ(quick_mode.nonce_r.size(), 16u);

    // Pairs each phase 2 "HASH with:" input (after the two phase 1 ones)
    // with the next "HASH computed:" output.
    std::map<std::string, int> kinds;
    for (size_t i = 0;; ++i) {
      Bytes input;
      try {
        input = log->Get("HASH with:", i + 2);
      } catch (const std::out_of_range&) {
        break;
      }
      const Bytes& expected = log->Get("HASH computed:", i);
      const uint32_t message_id = LoadU32(input);
      Bytes hash3_input = {std::byte{0}};
      hash3_input.resize(5);
      StoreU32(MutableByteView(hash3_input).subspan(1), quick_mode.message_id);
      Append(hash3_input, quick_mode.nonce_i);
      Append(hash3_input, quick_mode.nonce_r);

      Bytes computed;
      std::string kind;
      if (input == hash3_input) {
        kind = "HASH(3)";
        computed = ComputeQuickModeHash3(kPrf, keys.skeyid_a, quick_mode.message_id,
                                         quick_mode.nonce_i, quick_mode.nonce_r);
      } else if (message_id == quick_mode.message_id &&
                 input.size() >= 4 + quick_mode.nonce_i.size() &&
                 std::equal(quick_mode.nonce_i.begin(), quick_mode.nonce_i.end(),
                            input.begin() + 4)) {
        kind = "HASH(2)";
        computed = ComputeQuickModeHash2(kPrf, keys.skeyid_a, message_id, quick_mode.nonce_i,
                                         ByteView(input).subspan(4 + quick_mode.nonce_i.size()));
      } else if (message_id == quick_mode.message_id) {
        kind = "HASH(1)";
        computed =
            ComputeQuickModeHash1(kPrf, keys.skeyid_a, message_id, ByteView(input).subspan(4));
      } else {
        kind = "Informational HASH(1)";
        computed =
            ComputeInformationalHash(kPrf, keys.skeyid_a, message_id, ByteView(input).subspan(4));
      }
      EXPECT_EQ(ToHex(computed), ToHex(expected)) << kind << " #" << i;
      ++kinds[kind];
    }
    // One Quick Mode, and INITIAL-CONTACT plus Delete notifications in both
    // directions.
    EXPECT_EQ(kinds["HASH(1)"], 1);
    EXPECT_EQ(kinds["HASH(2)"], 1);
    EXPECT_EQ(kinds["HASH(3)"], 1);
    EXPECT_EQ(kinds["Informational HASH(1)"], 4);
  }
}

TEST_F(RacoonKatPhase2, KeymatForBothEspSas) {
  const Phase1Keys keys = DeriveKeys();
  const QuickMode quick_mode = FindQuickMode(*log_a_);

  // The Quick Mode PFS exchange: side A's second private value with side B's
  // second public value.
  Result<DhKeyPair> pair =
      DhKeyPair::FromPrivate(DhGroup::kModp1024, log_a_->Get("compute DH's private.", 1));
  ASSERT_TRUE(pair.has_value());
  Result<SecretBytes> pfs_shared = pair->ComputeShared(log_b_->Get("compute DH's public.", 1));
  ASSERT_TRUE(pfs_shared.has_value());
  EXPECT_EQ(HexOf(*pfs_shared), ToHex(log_a_->Get("compute DH's shared.", 1)));

  const std::map<uint32_t, EspSaKeys> sad = ReadSad(kVectorDir + "sad-a.txt");
  const std::map<uint32_t, EspSaKeys> wireshark =
      ReadWiresharkEspSa(kVectorDir + "wireshark/esp_sa");
  ASSERT_EQ(sad.size(), 2u);
  ASSERT_EQ(wireshark.size(), 2u);

  std::vector<std::string> our_keymats;
  for (const auto& [spi, sa_keys] : sad) {
    SCOPED_TRACE("SPI " + std::to_string(spi));
    const SecretBytes keymat =
        ComputeKeymat(kPrf, keys.skeyid_d, pfs_shared->view(), kKeymatProtocolEsp, spi,
                      quick_mode.nonce_i, quick_mode.nonce_r, kRacoonKeymatLength);
    our_keymats.push_back(HexOf(keymat));

    // ESP takes the cipher key first, then the integrity key.
    EXPECT_EQ(ToHex(keymat.view().first(k3desKeyLength)), ToHex(sa_keys.encryption_key));
    EXPECT_EQ(ToHex(keymat.view().subspan(k3desKeyLength, kHmacSha1KeyLength)),
              ToHex(sa_keys.authentication_key));
    ASSERT_TRUE(wireshark.contains(spi));
    EXPECT_EQ(ToHex(keymat.view().first(k3desKeyLength)), ToHex(wireshark.at(spi).encryption_key));
    EXPECT_EQ(ToHex(keymat.view().subspan(k3desKeyLength, kHmacSha1KeyLength)),
              ToHex(wireshark.at(spi).authentication_key));
  }

  // Every KEYMAT block that either side logged is one of ours.
  for (const RacoonLog* log : {log_a_, log_b_}) {
    for (size_t i = 0; i < 2; ++i) {
      const std::string logged = ToHex(log->Get("generating K1...K4 for KEYMAT.", i));
      EXPECT_NE(std::find(our_keymats.begin(), our_keymats.end(), logged), our_keymats.end())
          << logged;
    }
  }
}

}  // namespace
}  // namespace ipop::ike
