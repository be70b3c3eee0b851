#include "crypto/ike_cipher.h"

#include <gtest/gtest.h>

#include <string>

namespace ipop::crypto {
namespace {

struct CbcVector {
  const char* source;
  IkeCipher cipher;
  const char* key;
  const char* iv;
  const char* plaintext;
  const char* ciphertext;
};

const CbcVector kVectors[] = {
    {"RFC 3602 §4 case #1", IkeCipher::kAesCbc, "06a9214036b8a15b512e03d534120006",
     "3dafba429d9eb430b422da802c9fac41", "53696e676c6520626c6f636b206d7367",
     "e353779c1079aeb82708942dbe77181a"},
    {"RFC 3602 §4 case #2", IkeCipher::kAesCbc, "c286696d887c9aa0611bbb3e2025a45a",
     "562e17996d093d28ddb3ba695a2e6f58",
     "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
     "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1"},
    {"NIST SP 800-38A F.2.5 CBC-AES256 blocks 1-2", IkeCipher::kAesCbc,
     "603deb1015ca71be2b73aef0857d77811f352c073b6108d72d9810a30914dff4",
     "000102030405060708090a0b0c0d0e0f",
     "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51",
     "f58c4c04d6e5f1ba779eabfb5f7bfbd69cfc4e967edb808d679f777bc6702c7d"},
    // Made with: printf 'IPOP 3DES known answer, 32 bytes' | openssl enc
    //   -des-ede3-cbc -nopad -K 0123456789abcdeffedcba987654321089abcdef01234567
    //   -iv 1020304050607080 (OpenSSL 3.0.19), and the same with Python's
    //   cryptography TripleDES in CBC mode.
    {"openssl enc -des-ede3-cbc", IkeCipher::k3desCbc,
     "0123456789abcdeffedcba987654321089abcdef01234567", "1020304050607080",
     "49504f502033444553206b6e6f776e20616e737765722c203332206279746573",
     "e1f7d2bfdbe7a09b37de8111a3b8e4b43e9c6acb6e3dd254675defc5a31df8d5"},
};

TEST(IkeCbc, EncryptMatchesKnownAnswers) {
  for (const CbcVector& vector : kVectors) {
    Result<Bytes> ciphertext = IkeCbcEncrypt(vector.cipher, HexToBytes(vector.key),
                                             HexToBytes(vector.iv), HexToBytes(vector.plaintext));
    ASSERT_TRUE(ciphertext.has_value()) << vector.source << ": " << ciphertext.error().detail;
    EXPECT_EQ(ToHex(*ciphertext), vector.ciphertext) << vector.source;
  }
}

TEST(IkeCbc, DecryptMatchesKnownAnswers) {
  for (const CbcVector& vector : kVectors) {
    Result<Bytes> plaintext = IkeCbcDecrypt(vector.cipher, HexToBytes(vector.key),
                                            HexToBytes(vector.iv), HexToBytes(vector.ciphertext));
    ASSERT_TRUE(plaintext.has_value()) << vector.source << ": " << plaintext.error().detail;
    EXPECT_EQ(ToHex(*plaintext), vector.plaintext) << vector.source;
  }
}

TEST(IkeCbc, Aes192RoundTrip) {
  const Bytes key(24, std::byte{0x5a});
  const Bytes iv(16, std::byte{0x01});
  const Bytes plaintext(48, std::byte{0x33});
  Result<Bytes> ciphertext = IkeCbcEncrypt(IkeCipher::kAesCbc, key, iv, plaintext);
  ASSERT_TRUE(ciphertext.has_value());
  EXPECT_NE(*ciphertext, plaintext);
  Result<Bytes> decrypted = IkeCbcDecrypt(IkeCipher::kAesCbc, key, iv, *ciphertext);
  ASSERT_TRUE(decrypted.has_value());
  EXPECT_EQ(*decrypted, plaintext);
}

TEST(IkeCbc, RejectsWrongKeyLength) {
  const Bytes iv8(8), iv16(16), block16(16);
  EXPECT_FALSE(IkeCbcEncrypt(IkeCipher::k3desCbc, Bytes(16), iv8, block16).has_value());
  EXPECT_FALSE(IkeCbcEncrypt(IkeCipher::kAesCbc, Bytes(20), iv16, block16).has_value());
  EXPECT_FALSE(IkeCbcDecrypt(IkeCipher::kAesCbc, Bytes(0), iv16, block16).has_value());
}

TEST(IkeCbc, RejectsWrongIvLength) {
  Result<Bytes> result = IkeCbcEncrypt(IkeCipher::kAesCbc, Bytes(16), Bytes(8), Bytes(16));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
}

TEST(IkeCbc, RejectsPartialBlock) {
  Result<Bytes> result = IkeCbcDecrypt(IkeCipher::k3desCbc, Bytes(24), Bytes(8), Bytes(12));
  ASSERT_FALSE(result.has_value());
  EXPECT_EQ(result.error().code, ErrorCode::kMalformed);
}

TEST(IkeCbc, EmptyInputGivesEmptyOutput) {
  Result<Bytes> result = IkeCbcEncrypt(IkeCipher::kAesCbc, Bytes(16), Bytes(16), {});
  ASSERT_TRUE(result.has_value());
  EXPECT_TRUE(result->empty());
}

}  // namespace
}  // namespace ipop::crypto
