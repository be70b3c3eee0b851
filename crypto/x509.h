// X.509 certificates, RSA keys and the IKEv1 RSA signature. IKEv1 signs the
// raw HASH_I or HASH_R with PKCS#1 v1.5 type 1 padding and no DigestInfo
// (RFC 2409 §5.1), which is what racoon's RSA_private_encrypt produces.
#ifndef IPOP_CRYPTO_X509_H_
#define IPOP_CRYPTO_X509_H_

#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"

namespace ipop::crypto {

// The subjectAltName entries (RFC 5280 §4.2.1.6) that IKE identities are
// compared with.
struct SubjectAltNames {
  std::vector<Bytes> ip_addresses;  // iPAddress: 4 bytes for IPv4, 16 for IPv6
  std::vector<std::string> dns_names;
  std::vector<std::string> emails;  // rfc822Name
};

class Certificate {
 public:
  static Result<Certificate> LoadPemFile(const std::string& path);
  // Every certificate of a PEM file, in file order: a node certificate
  // followed by the intermediate CAs that issued it, or a CA bundle. Fails
  // when the file contains no certificate or a block does not parse.
  static Result<std::vector<Certificate>> LoadPemBundle(const std::string& path);
  static Result<Certificate> FromDer(ByteView der);

  Certificate(const Certificate&);
  Certificate& operator=(const Certificate&);
  Certificate(Certificate&&) noexcept;
  Certificate& operator=(Certificate&&) noexcept;
  ~Certificate();

  Bytes Der() const;
  // DER of the subject Name, as an ID_DER_ASN1_DN identity carries it.
  Bytes SubjectDer() const;
  Bytes IssuerDer() const;
  // One-line form as racoon prints it: "/O=example/CN=10.0.0.1".
  std::string SubjectText() const;
  std::string CommonName() const;
  // Empty lists when the certificate has no subjectAltName extension.
  SubjectAltNames AltNames() const;

  void* native() const;  // X509*, for crypto/ internals only

 private:
  struct State;
  explicit Certificate(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

class PrivateKey {
 public:
  static Result<PrivateKey> LoadPemFile(const std::string& path);

  PrivateKey(PrivateKey&&) noexcept;
  PrivateKey& operator=(PrivateKey&&) noexcept;
  ~PrivateKey();

  // IKEv1 RSA signature over a raw hash (see the file comment).
  Result<Bytes> SignIkeHash(ByteView hash) const;
  // True when this key's public half matches the certificate's.
  bool Matches(const Certificate& certificate) const;

 private:
  struct State;
  explicit PrivateKey(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Checks an IKEv1 RSA signature made with the certificate's key.
Result<void> VerifyIkeSignature(const Certificate& signer, ByteView hash, ByteView signature);

// True when two DER-encoded X.509 Names are the same name under RFC 5280
// §7.1 comparison: string types (PrintableString or UTF8String), ASCII case
// and repeated spaces do not matter. False when either fails to parse.
// Peers encode the same DN differently: OpenSSL's CLI writes UTF8String,
// strongSwan 5.9 encodes an ID_DER_ASN1_DN from text with PrintableString.
bool SameDistinguishedName(ByteView first_der, ByteView second_der);

// Trust anchors from ca_type; verifies a peer's certificate chain.
class CertificateStore {
 public:
  CertificateStore();
  ~CertificateStore();
  CertificateStore(CertificateStore&&) noexcept;
  CertificateStore& operator=(CertificateStore&&) noexcept;

  void AddTrustAnchor(const Certificate& ca);
  const std::vector<Certificate>& trust_anchors() const;
  // Checks signature chain and validity period up to a trust anchor.
  // `intermediates` may be empty.
  Result<void> Verify(const Certificate& leaf, const std::vector<Certificate>& intermediates) const;

 private:
  std::vector<Certificate> anchors_;
};

}  // namespace ipop::crypto

#endif  // IPOP_CRYPTO_X509_H_
