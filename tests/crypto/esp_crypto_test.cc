#include "crypto/esp_crypto.h"

#include <gtest/gtest.h>
#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <string>

#include "base/byte_reader.h"
#include "crypto/hash.h"
#include "crypto/ike_cipher.h"

namespace ipop::crypto {
namespace {

// Counts OpenSSL heap allocations while `g_counting` is set. The hooks are
// installed during static initialisation, before OpenSSL allocates anything,
// because CRYPTO_set_mem_functions fails once it has.
std::atomic<bool> g_counting{false};
std::atomic<long> g_openssl_allocations{0};

void* CountingMalloc(size_t size, const char* /*file*/, int /*line*/) {
  if (g_counting) {
    ++g_openssl_allocations;
  }
  return std::malloc(size);
}
void* CountingRealloc(void* pointer, size_t size, const char* /*file*/, int /*line*/) {
  if (g_counting) {
    ++g_openssl_allocations;
  }
  return std::realloc(pointer, size);
}
void CountingFree(void* pointer, const char* /*file*/, int /*line*/) { std::free(pointer); }

const bool g_allocation_hooks_installed =
    CRYPTO_set_mem_functions(CountingMalloc, CountingRealloc, CountingFree) == 1;

constexpr size_t kHeaderLength = 8;  // SPI and sequence number (RFC 4303 §2)

struct Suite {
  const char* name;
  EspCipher cipher;
  EspIntegrity integrity;
  size_t cipher_key_length;
  size_t integrity_key_length;
};

const Suite kSuites[] = {
    {"3DES-CBC/HMAC-SHA1-96", EspCipher::k3desCbc, EspIntegrity::kHmacSha1_96, 24, 20},
    {"AES-128-CBC/HMAC-SHA1-96", EspCipher::kAesCbc, EspIntegrity::kHmacSha1_96, 16, 20},
    {"AES-256-CBC/HMAC-SHA2-256-128", EspCipher::kAesCbc, EspIntegrity::kHmacSha256_128, 32, 32},
    {"AES-192-CBC/HMAC-SHA2-256-96", EspCipher::kAesCbc, EspIntegrity::kHmacSha256_96, 24, 32},
    {"3DES-CBC/HMAC-SHA2-256-128", EspCipher::k3desCbc, EspIntegrity::kHmacSha256_128, 24, 32},
    {"AES-128-CBC/HMAC-SHA2-384-192", EspCipher::kAesCbc, EspIntegrity::kHmacSha384_192, 16, 48},
    {"AES-256-CBC/HMAC-SHA2-512-256", EspCipher::kAesCbc, EspIntegrity::kHmacSha512_256, 32, 64},
    {"AES-GCM-16-128", EspCipher::kAesGcm16, EspIntegrity::kNone, 20, 0},
    {"AES-GCM-16-256", EspCipher::kAesGcm16, EspIntegrity::kNone, 36, 0},
};

std::unique_ptr<EspCrypto> CreateSuite(const Suite& suite) {
  Bytes cipher_key(suite.cipher_key_length);
  Bytes integrity_key(suite.integrity_key_length);
  for (size_t i = 0; i < cipher_key.size(); ++i) {
    cipher_key[i] = std::byte(0x10 + i);
  }
  for (size_t i = 0; i < integrity_key.size(); ++i) {
    integrity_key[i] = std::byte(0x80 + i);
  }
  Result<std::unique_ptr<EspCrypto>> crypto =
      EspCrypto::Create(suite.cipher, suite.integrity, cipher_key, integrity_key);
  EXPECT_TRUE(crypto.has_value()) << suite.name << ": " << crypto.error().detail;
  return crypto.has_value() ? std::move(*crypto) : nullptr;
}

// Builds a packet with SPI, sequence, room for IV and ICV, and a trailer of
// `blocks` cipher blocks filled with a counting pattern.
Bytes MakePacket(const EspCrypto& crypto, uint32_t sequence, size_t blocks) {
  Bytes packet(kHeaderLength + crypto.iv_size() + blocks * crypto.block_size() + crypto.icv_size());
  StoreU32(MutableByteView(packet).first(4), 0xc0ffee01);
  StoreU32(MutableByteView(packet).subspan(4, 4), sequence);
  for (size_t i = kHeaderLength + crypto.iv_size(); i < packet.size() - crypto.icv_size(); ++i) {
    packet[i] = std::byte(i * 7);
  }
  return packet;
}

TEST(EspCrypto, SealOpenRoundTripEverySuite) {
  for (const Suite& suite : kSuites) {
    SCOPED_TRACE(suite.name);
    std::unique_ptr<EspCrypto> crypto = CreateSuite(suite);
    ASSERT_NE(crypto, nullptr);
    for (uint32_t sequence = 1; sequence <= 3; ++sequence) {
      const Bytes original = MakePacket(*crypto, sequence, 4);
      Bytes packet = original;
      ASSERT_TRUE(crypto->Seal(packet));
      const size_t body_offset = kHeaderLength + crypto->iv_size();
      const size_t body_length = packet.size() - body_offset - crypto->icv_size();
      EXPECT_NE(ToHex(ByteView(packet).subspan(body_offset, body_length)),
                ToHex(ByteView(original).subspan(body_offset, body_length)));
      EXPECT_EQ(ToHex(ByteView(packet).first(kHeaderLength)),
                ToHex(ByteView(original).first(kHeaderLength)));

      ASSERT_TRUE(crypto->Open(packet));
      EXPECT_EQ(ToHex(ByteView(packet).subspan(body_offset, body_length)),
                ToHex(ByteView(original).subspan(body_offset, body_length)));
    }
  }
}

TEST(EspCrypto, AnyFlippedBitFailsOpen) {
  for (const Suite& suite : kSuites) {
    SCOPED_TRACE(suite.name);
    std::unique_ptr<EspCrypto> crypto = CreateSuite(suite);
    ASSERT_NE(crypto, nullptr);
    Bytes sealed = MakePacket(*crypto, 7, 2);
    ASSERT_TRUE(crypto->Seal(sealed));

    for (size_t byte = 0; byte < sealed.size(); ++byte) {
      for (int bit = 0; bit < 8; ++bit) {
        Bytes tampered = sealed;
        tampered[byte] ^= std::byte(1 << bit);
        const Bytes before_open = tampered;
        ASSERT_FALSE(crypto->Open(tampered)) << "byte " << byte << " bit " << bit;
        ASSERT_EQ(tampered, before_open) << "failed Open changed byte " << byte << " bit " << bit;
      }
    }
    // The untouched packet still opens after all the failures.
    EXPECT_TRUE(crypto->Open(sealed));
  }
}

TEST(EspCrypto, CbcIcvCoversHeaderIvAndCiphertext) {
  const Bytes cipher_key = HexToBytes("0123456789abcdef0123456789abcdef");
  const Bytes integrity_key = HexToBytes("0102030405060708090a0b0c0d0e0f1011121314");
  Result<std::unique_ptr<EspCrypto>> crypto =
      EspCrypto::Create(EspCipher::kAesCbc, EspIntegrity::kHmacSha1_96, cipher_key, integrity_key);
  ASSERT_TRUE(crypto.has_value());
  const Bytes original = MakePacket(**crypto, 9, 2);
  Bytes packet = original;
  ASSERT_TRUE((*crypto)->Seal(packet));

  // Checks the sealed packet with the separate CBC and HMAC functions.
  const ByteView iv = ByteView(packet).subspan(kHeaderLength, 16);
  const ByteView body = ByteView(packet).subspan(kHeaderLength + 16, 32);
  Result<Bytes> plaintext = IkeCbcDecrypt(IkeCipher::kAesCbc, cipher_key, iv, body);
  ASSERT_TRUE(plaintext.has_value());
  EXPECT_EQ(ToHex(*plaintext), ToHex(ByteView(original).subspan(kHeaderLength + 16, 32)));
  SecretBytes mac =
      HmacOnce(HashAlgorithm::kSha1, integrity_key, ByteView(packet).first(packet.size() - 12));
  EXPECT_EQ(ToHex(mac.view().first(12)), ToHex(ByteView(packet).last(12)));
}

TEST(EspCrypto, GcmSealOpenAllocateNothing) {
  if (!g_allocation_hooks_installed) {
    GTEST_SKIP() << "OpenSSL allocated before the counting hooks could be installed";
  }
  // Creating the contexts allocates, which shows that the hooks count.
  g_openssl_allocations = 0;
  g_counting = true;
  std::unique_ptr<EspCrypto> crypto = CreateSuite(kSuites[7]);
  g_counting = false;
  ASSERT_NE(crypto, nullptr);
  ASSERT_GT(g_openssl_allocations.load(), 0);

  Bytes packet = MakePacket(*crypto, 1, 16);
  Bytes forged = packet;
  ASSERT_TRUE(crypto->Seal(forged));
  forged[kHeaderLength + 10] ^= std::byte{1};

  g_openssl_allocations = 0;
  g_counting = true;
  for (uint32_t sequence = 1; sequence <= 10; ++sequence) {
    StoreU32(MutableByteView(packet).subspan(4, 4), sequence);
    EXPECT_TRUE(crypto->Seal(packet));
    EXPECT_TRUE(crypto->Open(packet));
  }
  EXPECT_FALSE(crypto->Open(forged));
  g_counting = false;
  EXPECT_EQ(g_openssl_allocations.load(), 0);
}

TEST(EspCrypto, CbcIvsDifferBetweenPackets) {
  std::unique_ptr<EspCrypto> crypto = CreateSuite(kSuites[1]);
  ASSERT_NE(crypto, nullptr);
  Bytes first = MakePacket(*crypto, 1, 2);
  Bytes second = first;
  ASSERT_TRUE(crypto->Seal(first));
  ASSERT_TRUE(crypto->Seal(second));
  EXPECT_NE(ToHex(ByteView(first).subspan(kHeaderLength, 16)),
            ToHex(ByteView(second).subspan(kHeaderLength, 16)));
}

// The trailer and packets below come from tests/crypto/esp_vectors.py, which
// builds them with Python's `cryptography` AESGCM, AES-CBC and hmac modules.
const char kTrailer[] = "404142434445464748494a4b4c4d4e4f505152535455565758595a5b01020204";

TEST(EspCrypto, AesGcm128KnownAnswer) {
  const Bytes key = HexToBytes("feffe9928665731c6d6a8f9467308308cafebabe");  // key | salt
  const char* kExpected[] = {
      "c0ffee01000000010000000000000001cc05e8dab00b3afe4cf3fb21aecc2f0d"
      "0f8386c485945561aa5be1ef715af8fd6f9ec09edfe5ab88be3e6dc353f56bfc",
      "c0ffee010000000200000000000000020250bfcb21d75221e933a139dd3e2081"
      "42c3690e254339e7c68036128b734b13c2a6a6fa3b3c6b7fdfc158a51d4a2c59",
  };
  Result<std::unique_ptr<EspCrypto>> sealer =
      EspCrypto::Create(EspCipher::kAesGcm16, EspIntegrity::kNone, key, {});
  Result<std::unique_ptr<EspCrypto>> opener =
      EspCrypto::Create(EspCipher::kAesGcm16, EspIntegrity::kNone, key, {});
  ASSERT_TRUE(sealer.has_value());
  ASSERT_TRUE(opener.has_value());

  for (uint32_t sequence = 1; sequence <= 2; ++sequence) {
    SCOPED_TRACE("sequence " + std::to_string(sequence));
    Bytes packet(kHeaderLength + 8 + 32 + 16);
    StoreU32(MutableByteView(packet).first(4), 0xc0ffee01);
    StoreU32(MutableByteView(packet).subspan(4, 4), sequence);
    const Bytes trailer = HexToBytes(kTrailer);
    std::copy(trailer.begin(), trailer.end(), packet.begin() + kHeaderLength + 8);
    ASSERT_TRUE((*sealer)->Seal(packet));
    EXPECT_EQ(ToHex(packet), kExpected[sequence - 1]);

    Bytes received = HexToBytes(kExpected[sequence - 1]);
    ASSERT_TRUE((*opener)->Open(received));
    EXPECT_EQ(ToHex(ByteView(received).subspan(kHeaderLength + 8, 32)), kTrailer);
  }
}

TEST(EspCrypto, AesCbcHmacSha1KnownAnswer) {
  const Bytes cipher_key = HexToBytes("0123456789abcdef0123456789abcdef");
  const Bytes integrity_key = HexToBytes("0102030405060708090a0b0c0d0e0f1011121314");
  const char* kPackets[] = {
      "c0ffee0100000001000102030405060708090a0b0c0d0e0f5862452d33693750"
      "c383c208894f98a98ed2eee9fb36ab23ca42a63c05276e7abf7dd8239a3c4649"
      "f3f05d94",
      "c0ffee0100000002f0e0d0c0b0a090807060504030201000841ba4e7293ac31f"
      "497a52697aa61bec76805c14ad6eeeac5e48a2405522ac7a8e0422c2cf357a72"
      "251ef1bd",
  };
  Result<std::unique_ptr<EspCrypto>> crypto =
      EspCrypto::Create(EspCipher::kAesCbc, EspIntegrity::kHmacSha1_96, cipher_key, integrity_key);
  ASSERT_TRUE(crypto.has_value());
  // Two packets through one instance, so the reused HMAC and cipher contexts
  // are exercised with a second IV and key re-initialisation.
  for (const char* hex : kPackets) {
    Bytes packet = HexToBytes(hex);
    ASSERT_EQ(packet.size(), kHeaderLength + 16 + 32 + 12);
    ASSERT_TRUE((*crypto)->Open(packet)) << hex;
    EXPECT_EQ(ToHex(ByteView(packet).subspan(kHeaderLength + 16, 32)), kTrailer);
  }
}

// RFC 4868 §2.1: HMAC-SHA2-384 and HMAC-SHA2-512 with a key as long as the
// hash output, truncated to half of it (24 and 32 bytes).
TEST(EspCrypto, AesCbcHmacSha2KnownAnswers) {
  const Bytes cipher_key = HexToBytes("0123456789abcdef0123456789abcdef");
  const struct {
    const char* name;
    EspIntegrity integrity;
    size_t key_length;
    const char* packet;
  } kCases[] = {
      {"HMAC-SHA2-384-192", EspIntegrity::kHmacSha384_192, 48,
       "c0ffee0100000001000102030405060708090a0b0c0d0e0f5862452d33693750"
       "c383c208894f98a98ed2eee9fb36ab23ca42a63c05276e7aa41aab72e59df757"
       "b609812ebcc5ff8a858f47e1599c9f35"},
      {"HMAC-SHA2-512-256", EspIntegrity::kHmacSha512_256, 64,
       "c0ffee0100000001000102030405060708090a0b0c0d0e0f5862452d33693750"
       "c383c208894f98a98ed2eee9fb36ab23ca42a63c05276e7ade7936ab786ef3fc"
       "c37f24b5cc9658a1131a1c98bc2d0d416b318d03e683139c"},
  };
  for (const auto& test_case : kCases) {
    SCOPED_TRACE(test_case.name);
    Bytes integrity_key(test_case.key_length);
    for (size_t i = 0; i < integrity_key.size(); ++i) {
      integrity_key[i] = std::byte(0x01 + i);
    }
    Result<std::unique_ptr<EspCrypto>> crypto =
        EspCrypto::Create(EspCipher::kAesCbc, test_case.integrity, cipher_key, integrity_key);
    ASSERT_TRUE(crypto.has_value()) << crypto.error().detail;
    EXPECT_EQ((*crypto)->icv_size(), EspIntegrityIcvLength(test_case.integrity));

    Bytes packet = HexToBytes(test_case.packet);
    ASSERT_EQ(packet.size(), kHeaderLength + 16 + 32 + (*crypto)->icv_size());
    ASSERT_TRUE((*crypto)->Open(packet));
    EXPECT_EQ(ToHex(ByteView(packet).subspan(kHeaderLength + 16, 32)), kTrailer);

    // The same packet with the ICV cut to 12 bytes, as an HMAC-SHA1-96 or
    // 96-bit HMAC-SHA2-256 peer would send it, must not open.
    Bytes short_icv = HexToBytes(test_case.packet);
    short_icv.resize(short_icv.size() - (*crypto)->icv_size() + 12);
    EXPECT_FALSE((*crypto)->Open(short_icv));
  }
}

TEST(EspCrypto, RejectsBadPacketLengths) {
  for (const Suite& suite : kSuites) {
    SCOPED_TRACE(suite.name);
    std::unique_ptr<EspCrypto> crypto = CreateSuite(suite);
    ASSERT_NE(crypto, nullptr);
    const size_t overhead = kHeaderLength + crypto->iv_size() + crypto->icv_size();
    // No encrypted part, a part one byte short of a block, and a truncated
    // header.
    for (size_t size : {overhead, overhead + crypto->block_size() - 1, size_t{4}, size_t{0}}) {
      Bytes packet(size);
      EXPECT_FALSE(crypto->Seal(packet)) << "size " << size;
      EXPECT_FALSE(crypto->Open(packet)) << "size " << size;
    }
  }
}

TEST(EspCrypto, CreateRejectsBadParameters) {
  const Bytes key16(16), key20(20), key24(24), key32(32), key36(36);
  EXPECT_FALSE(
      EspCrypto::Create(EspCipher::k3desCbc, EspIntegrity::kHmacSha1_96, key16, key20).has_value());
  EXPECT_FALSE(
      EspCrypto::Create(EspCipher::kAesCbc, EspIntegrity::kHmacSha1_96, key20, key20).has_value());
  EXPECT_FALSE(
      EspCrypto::Create(EspCipher::kAesCbc, EspIntegrity::kHmacSha1_96, key16, key16).has_value());
  EXPECT_FALSE(EspCrypto::Create(EspCipher::kAesCbc, EspIntegrity::kHmacSha256_128, key16, key20)
                   .has_value());
  // GCM keys are AES key | 4-byte salt, and GCM takes no integrity transform.
  EXPECT_FALSE(EspCrypto::Create(EspCipher::kAesGcm16, EspIntegrity::kNone, key16, {}).has_value());
  EXPECT_FALSE(EspCrypto::Create(EspCipher::kAesGcm16, EspIntegrity::kHmacSha1_96, key20, key20)
                   .has_value());
  EXPECT_TRUE(EspCrypto::Create(EspCipher::kAesGcm16, EspIntegrity::kNone, key36, {}).has_value());
}

TEST(EspCrypto, UnsupportedCombinations) {
  Result<std::unique_ptr<EspCrypto>> null_cipher =
      EspCrypto::Create(EspCipher::kNull, EspIntegrity::kHmacSha1_96, {}, Bytes(20));
  ASSERT_FALSE(null_cipher.has_value());
  EXPECT_EQ(null_cipher.error().code, ErrorCode::kUnsupported);

  Result<std::unique_ptr<EspCrypto>> no_integrity =
      EspCrypto::Create(EspCipher::kAesCbc, EspIntegrity::kNone, Bytes(16), {});
  ASSERT_FALSE(no_integrity.has_value());
  EXPECT_EQ(no_integrity.error().code, ErrorCode::kUnsupported);
}

TEST(EspCrypto, SizesPerSuite) {
  std::unique_ptr<EspCrypto> tdes = CreateSuite(kSuites[0]);
  std::unique_ptr<EspCrypto> aes = CreateSuite(kSuites[2]);
  std::unique_ptr<EspCrypto> gcm = CreateSuite(kSuites[7]);
  ASSERT_NE(tdes, nullptr);
  ASSERT_NE(aes, nullptr);
  ASSERT_NE(gcm, nullptr);
  EXPECT_EQ(tdes->iv_size(), 8u);
  EXPECT_EQ(tdes->block_size(), 8u);
  EXPECT_EQ(tdes->icv_size(), 12u);
  EXPECT_EQ(aes->iv_size(), 16u);
  EXPECT_EQ(aes->block_size(), 16u);
  EXPECT_EQ(aes->icv_size(), 16u);
  EXPECT_EQ(gcm->iv_size(), 8u);
  EXPECT_EQ(gcm->block_size(), 4u);
  EXPECT_EQ(gcm->icv_size(), 16u);
}

}  // namespace
}  // namespace ipop::crypto
