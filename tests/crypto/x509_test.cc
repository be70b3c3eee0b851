#include "crypto/x509.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>

#include "crypto/hash.h"

namespace ipop::crypto {
namespace {

const std::string kCertDir =
    std::string(IPOP_TEST_DATA_DIR) + "/vectors/racoon-3des-sha1-modp1024/certs/";

Certificate LoadCert(const std::string& relative_path) {
  Result<Certificate> cert = Certificate::LoadPemFile(kCertDir + relative_path);
  if (!cert.has_value()) {
    throw std::runtime_error(ToString(cert.error()));
  }
  return *cert;
}

PrivateKey LoadKey(const std::string& relative_path) {
  Result<PrivateKey> key = PrivateKey::LoadPemFile(kCertDir + relative_path);
  if (!key.has_value()) {
    throw std::runtime_error(ToString(key.error()));
  }
  return std::move(*key);
}

TEST(Certificate, SubjectFieldsOfNodeCertificate) {
  const Certificate cert = LoadCert("10.77.0.1/cert.pem");
  EXPECT_EQ(cert.SubjectText(), "/O=rh-racoon-harness/CN=10.77.0.1");
  EXPECT_EQ(cert.CommonName(), "10.77.0.1");
  // The ID_DER_ASN1_DN body that racoon sent for this node, without the
  // 4-byte ID type, protocol and port header (racoon-a.log, "HASH with:").
  EXPECT_EQ(ToHex(cert.SubjectDer()),
            "3030311a3018060355040a0c1172682d7261636f6f6e2d6861726e657373"
            "3112301006035504030c0931302e37372e302e31");
  EXPECT_EQ(cert.IssuerDer(), LoadCert("rootCA.pem").SubjectDer());
}

TEST(Certificate, DerRoundTrip) {
  const Certificate cert = LoadCert("10.77.0.2/cert.pem");
  const Bytes der = cert.Der();
  ASSERT_FALSE(der.empty());
  Result<Certificate> parsed = Certificate::FromDer(der);
  ASSERT_TRUE(parsed.has_value()) << parsed.error().detail;
  EXPECT_EQ(parsed->Der(), der);
  EXPECT_EQ(parsed->CommonName(), "10.77.0.2");
}

TEST(Certificate, FromDerRejectsGarbage) {
  const Bytes der = LoadCert("10.77.0.2/cert.pem").Der();
  Bytes truncated(der.begin(), der.end() - 1);
  Bytes trailing = der;
  trailing.push_back(std::byte{0});
  EXPECT_FALSE(Certificate::FromDer(truncated).has_value());
  EXPECT_FALSE(Certificate::FromDer(trailing).has_value());
  EXPECT_FALSE(Certificate::FromDer({}).has_value());
}

TEST(Certificate, LoadMissingFileIsNotFound) {
  Result<Certificate> cert = Certificate::LoadPemFile(kCertDir + "no-such-file.pem");
  ASSERT_FALSE(cert.has_value());
  EXPECT_EQ(cert.error().code, ErrorCode::kNotFound);
}

TEST(Certificate, LoadNonCertificateFails) {
  Result<Certificate> cert = Certificate::LoadPemFile(kCertDir + "10.77.0.1/key.pem");
  ASSERT_FALSE(cert.has_value());
  EXPECT_EQ(cert.error().code, ErrorCode::kMalformed);
}

TEST(PrivateKey, MatchesOwnCertificateOnly) {
  const PrivateKey key = LoadKey("10.77.0.1/key.pem");
  EXPECT_TRUE(key.Matches(LoadCert("10.77.0.1/cert.pem")));
  EXPECT_FALSE(key.Matches(LoadCert("10.77.0.2/cert.pem")));
}

TEST(IkeSignature, SignVerifyRoundTrip) {
  const PrivateKey key = LoadKey("10.77.0.1/key.pem");
  const Certificate cert = LoadCert("10.77.0.1/cert.pem");
  const Bytes hash = Hash(HashAlgorithm::kSha1, AsBytes("HASH_I stand-in"));
  Result<Bytes> signature = key.SignIkeHash(hash);
  ASSERT_TRUE(signature.has_value()) << signature.error().detail;
  EXPECT_EQ(signature->size(), 256u);  // 2048-bit key
  Result<void> verified = VerifyIkeSignature(cert, hash, *signature);
  EXPECT_TRUE(verified.has_value()) << verified.error().detail;
}

TEST(IkeSignature, RejectsTamperedHashAndSignature) {
  const PrivateKey key = LoadKey("10.77.0.1/key.pem");
  const Certificate cert = LoadCert("10.77.0.1/cert.pem");
  const Bytes hash = Hash(HashAlgorithm::kSha256, AsBytes("HASH_R stand-in"));
  Result<Bytes> signature = key.SignIkeHash(hash);
  ASSERT_TRUE(signature.has_value());

  Bytes tampered_hash = hash;
  tampered_hash[5] ^= std::byte{0x01};
  Result<void> wrong_hash = VerifyIkeSignature(cert, tampered_hash, *signature);
  ASSERT_FALSE(wrong_hash.has_value());
  EXPECT_EQ(wrong_hash.error().code, ErrorCode::kAuthenticationFailed);

  Bytes tampered_signature = *signature;
  tampered_signature[100] ^= std::byte{0x80};
  EXPECT_FALSE(VerifyIkeSignature(cert, hash, tampered_signature).has_value());

  Bytes short_signature(signature->begin(), signature->end() - 1);
  EXPECT_FALSE(VerifyIkeSignature(cert, hash, short_signature).has_value());

  // A hash signed by another node's key does not verify with this cert.
  EXPECT_FALSE(VerifyIkeSignature(LoadCert("10.77.0.2/cert.pem"), hash, *signature).has_value());
}

TEST(IkeSignature, RejectsTruncatedHash) {
  // The recovered content must equal the whole hash, not merely start with
  // the hash that the verifier expects.
  const PrivateKey key = LoadKey("10.77.0.2/key.pem");
  const Certificate cert = LoadCert("10.77.0.2/cert.pem");
  const Bytes hash = Hash(HashAlgorithm::kSha1, AsBytes("x"));
  Result<Bytes> signature = key.SignIkeHash(hash);
  ASSERT_TRUE(signature.has_value());
  EXPECT_FALSE(VerifyIkeSignature(cert, ByteView(hash).first(19), *signature).has_value());
}

// A scratch directory that removes itself.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "ipop-x509-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("mkdtemp failed");
    }
    path_ = pattern;
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

TEST(CertificateStore, AcceptsNodeCertificatesUnderRootCa) {
  CertificateStore store;
  store.AddTrustAnchor(LoadCert("rootCA.pem"));
  ASSERT_EQ(store.trust_anchors().size(), 1u);
  for (const char* node : {"10.77.0.1/cert.pem", "10.77.0.2/cert.pem"}) {
    Result<void> verified = store.Verify(LoadCert(node), {});
    EXPECT_TRUE(verified.has_value()) << node << ": " << verified.error().detail;
  }
}

TEST(CertificateStore, RejectsWithoutTrustAnchor) {
  CertificateStore store;
  Result<void> verified = store.Verify(LoadCert("10.77.0.1/cert.pem"), {});
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().code, ErrorCode::kAuthenticationFailed);
}

// A second CA with exactly the same subject as rootCA.pem issues a leaf for
// 10.77.0.1. The names chain, so only the signature check can reject it.
TEST(CertificateStore, RejectsCertificateFromImpostorCa) {
  TempDir dir;
  const std::string d = dir.path();
  const std::string commands =
      "cd '" + d + "' && " +
      "openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.pem -days 2 "
      "-subj '/O=rh-racoon-harness/CN=rh test root CA' && "
      "openssl req -new -newkey rsa:2048 -nodes -keyout leaf.key -out leaf.csr "
      "-subj '/O=rh-racoon-harness/CN=10.77.0.1' && "
      "openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial "
      "-out leaf.pem -days 1";
  ASSERT_EQ(std::system(("(" + commands + ") >/dev/null 2>&1").c_str()), 0)
      << "openssl CLI failed in " << d;

  Result<Certificate> impostor_leaf = Certificate::LoadPemFile(d + "/leaf.pem");
  Result<Certificate> impostor_ca = Certificate::LoadPemFile(d + "/ca.pem");
  ASSERT_TRUE(impostor_leaf.has_value());
  ASSERT_TRUE(impostor_ca.has_value());
  EXPECT_EQ(impostor_leaf->IssuerDer(), LoadCert("rootCA.pem").SubjectDer());

  CertificateStore store;
  store.AddTrustAnchor(LoadCert("rootCA.pem"));
  Result<void> verified = store.Verify(*impostor_leaf, {});
  ASSERT_FALSE(verified.has_value());
  EXPECT_EQ(verified.error().code, ErrorCode::kAuthenticationFailed);

  // Offering the impostor CA as an intermediate does not help either.
  EXPECT_FALSE(store.Verify(*impostor_leaf, {*impostor_ca}).has_value());

  // The same leaf verifies against its own CA, so the rejection above is
  // about trust, not a broken certificate.
  CertificateStore impostor_store;
  impostor_store.AddTrustAnchor(*impostor_ca);
  EXPECT_TRUE(impostor_store.Verify(*impostor_leaf, {}).has_value());
}

}  // namespace
}  // namespace ipop::crypto
