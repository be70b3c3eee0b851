#include "crypto/x509.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstring>

#include "crypto/openssl_util.h"
#include "crypto/secret.h"

namespace ipop::crypto {

namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct StoreDeleter {
  void operator()(X509_STORE* store) const { X509_STORE_free(store); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* ctx) const { X509_STORE_CTX_free(ctx); }
};
struct CertStackDeleter {
  // The stack only borrows its certificates, so the certificates stay.
  void operator()(STACK_OF(X509) * stack) const { sk_X509_free(stack); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using StorePtr = std::unique_ptr<X509_STORE, StoreDeleter>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter>;
using CertStackPtr = std::unique_ptr<STACK_OF(X509), CertStackDeleter>;

Result<BioPtr> OpenFile(const std::string& path) {
  errno = 0;
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (bio == nullptr) {
    const int saved_errno = errno;
    ERR_clear_error();
    if (saved_errno == ENOENT) {
      return Fail(ErrorCode::kNotFound, path + ": file not found");
    }
    return Fail(ErrorCode::kSystem, path + ": cannot open: " + std::strerror(saved_errno));
  }
  return bio;
}

// DER encoding through an i2d_* function, or empty on a library error.
template <typename T>
Bytes EncodeDer(int (*encode)(const T*, unsigned char**), const T* object) {
  const int length = encode(object, nullptr);
  if (length <= 0) {
    return {};
  }
  Bytes der(static_cast<size_t>(length));
  unsigned char* cursor = AsUChar(MutableByteView(der));
  if (encode(object, &cursor) != length) {
    return {};
  }
  return der;
}

}  // namespace

// ---------------------------------------------------------------- Certificate

struct Certificate::State {
  X509Ptr cert;
};

Certificate::Certificate(std::shared_ptr<State> state) : state_(std::move(state)) {}
Certificate::Certificate(const Certificate&) = default;
Certificate& Certificate::operator=(const Certificate&) = default;
Certificate::Certificate(Certificate&&) noexcept = default;
Certificate& Certificate::operator=(Certificate&&) noexcept = default;
Certificate::~Certificate() = default;

Result<Certificate> Certificate::LoadPemFile(const std::string& path) {
  Result<BioPtr> bio = OpenFile(path);
  if (!bio) {
    return std::unexpected(bio.error());
  }
  X509Ptr cert(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
  if (cert == nullptr) {
    return Fail(ErrorCode::kMalformed,
                internal::OpenSslError((path + ": no PEM certificate could be read").c_str()));
  }
  auto state = std::make_shared<State>();
  state->cert = std::move(cert);
  return Certificate(std::move(state));
}

Result<std::vector<Certificate>> Certificate::LoadPemBundle(const std::string& path) {
  Result<BioPtr> bio = OpenFile(path);
  if (!bio) {
    return std::unexpected(bio.error());
  }
  std::vector<Certificate> certificates;
  while (true) {
    X509Ptr cert(PEM_read_bio_X509(bio->get(), nullptr, nullptr, nullptr));
    if (cert == nullptr) {
      break;
    }
    auto state = std::make_shared<State>();
    state->cert = std::move(cert);
    certificates.push_back(Certificate(std::move(state)));
  }
  // PEM_read_bio_X509 ends with "no start line" once the file is used up;
  // any other error means a block that does not parse.
  const unsigned long error = ERR_peek_last_error();
  if (ERR_GET_LIB(error) == ERR_LIB_PEM && ERR_GET_REASON(error) == PEM_R_NO_START_LINE) {
    ERR_clear_error();
  } else if (error != 0) {
    return Fail(ErrorCode::kMalformed,
                internal::OpenSslError((path + ": certificate " + std::to_string(certificates.size() + 1) +
                                        " could not be read")
                                           .c_str()));
  }
  if (certificates.empty()) {
    return Fail(ErrorCode::kMalformed, path + ": no PEM certificate found");
  }
  return certificates;
}

Result<Certificate> Certificate::FromDer(ByteView der) {
  const unsigned char* cursor = AsUChar(der);
  X509Ptr cert(d2i_X509(nullptr, &cursor, static_cast<long>(der.size())));
  if (cert == nullptr) {
    return Fail(ErrorCode::kMalformed, internal::OpenSslError("invalid DER certificate"));
  }
  const size_t consumed = static_cast<size_t>(cursor - AsUChar(der));
  if (consumed != der.size()) {
    return Fail(ErrorCode::kMalformed, "DER certificate followed by " +
                                           std::to_string(der.size() - consumed) +
                                           " unexpected bytes");
  }
  auto state = std::make_shared<State>();
  state->cert = std::move(cert);
  return Certificate(std::move(state));
}

Bytes Certificate::Der() const { return EncodeDer<X509>(i2d_X509, state_->cert.get()); }

Bytes Certificate::SubjectDer() const {
  return EncodeDer<X509_NAME>(i2d_X509_NAME, X509_get_subject_name(state_->cert.get()));
}

Bytes Certificate::IssuerDer() const {
  return EncodeDer<X509_NAME>(i2d_X509_NAME, X509_get_issuer_name(state_->cert.get()));
}

std::string Certificate::SubjectText() const {
  // X509_NAME_oneline produces the "/O=.../CN=..." form that racoon logs.
  char* text = X509_NAME_oneline(X509_get_subject_name(state_->cert.get()), nullptr, 0);
  if (text == nullptr) {
    return {};
  }
  std::string result = text;
  OPENSSL_free(text);
  return result;
}

std::string Certificate::CommonName() const {
  X509_NAME* name = X509_get_subject_name(state_->cert.get());
  const int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) {
    return {};
  }
  ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) {
    return {};
  }
  std::string result(reinterpret_cast<char*>(utf8), static_cast<size_t>(length));
  OPENSSL_free(utf8);
  return result;
}

SubjectAltNames Certificate::AltNames() const {
  SubjectAltNames names;
  auto* general_names = static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(state_->cert.get(), NID_subject_alt_name, nullptr, nullptr));
  if (general_names == nullptr) {
    ERR_clear_error();
    return names;
  }
  const auto text_of = [](const ASN1_IA5STRING* value) {
    return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(value)),
                       static_cast<size_t>(ASN1_STRING_length(value)));
  };
  for (int i = 0; i < sk_GENERAL_NAME_num(general_names); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(general_names, i);
    if (name->type == GEN_IPADD) {
      const unsigned char* data = ASN1_STRING_get0_data(name->d.iPAddress);
      const auto* bytes = reinterpret_cast<const std::byte*>(data);
      names.ip_addresses.emplace_back(bytes, bytes + ASN1_STRING_length(name->d.iPAddress));
    } else if (name->type == GEN_DNS) {
      names.dns_names.push_back(text_of(name->d.dNSName));
    } else if (name->type == GEN_EMAIL) {
      names.emails.push_back(text_of(name->d.rfc822Name));
    }
  }
  GENERAL_NAMES_free(general_names);
  return names;
}

void* Certificate::native() const { return state_->cert.get(); }

// ---------------------------------------------------------------- PrivateKey

struct PrivateKey::State {
  internal::PkeyPtr key;
};

PrivateKey::PrivateKey(std::unique_ptr<State> state) : state_(std::move(state)) {}
PrivateKey::PrivateKey(PrivateKey&&) noexcept = default;
PrivateKey& PrivateKey::operator=(PrivateKey&&) noexcept = default;
PrivateKey::~PrivateKey() = default;

Result<PrivateKey> PrivateKey::LoadPemFile(const std::string& path) {
  Result<BioPtr> bio = OpenFile(path);
  if (!bio) {
    return std::unexpected(bio.error());
  }
  internal::PkeyPtr key(PEM_read_bio_PrivateKey(bio->get(), nullptr, nullptr, nullptr));
  if (key == nullptr) {
    return Fail(ErrorCode::kMalformed,
                internal::OpenSslError((path + ": no PEM private key could be read").c_str()));
  }
  // IKEv1 signature authentication here means RSA (RFC 2409 §5.1).
  if (EVP_PKEY_is_a(key.get(), "RSA") != 1) {
    return Fail(ErrorCode::kUnsupported, path + ": not an RSA private key");
  }
  auto state = std::make_unique<State>();
  state->key = std::move(key);
  return PrivateKey(std::move(state));
}

Result<Bytes> PrivateKey::SignIkeHash(ByteView hash) const {
  // PKCS#1 v1.5 type 1 padding over the bare hash: with no signature digest
  // set, EVP_PKEY_sign pads `hash` as it is and adds no DigestInfo.
  internal::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, state_->key.get(), nullptr));
  if (ctx == nullptr || EVP_PKEY_sign_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("RSA signing setup failed"));
  }
  size_t length = 0;
  if (EVP_PKEY_sign(ctx.get(), nullptr, &length, AsUChar(hash), hash.size()) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("RSA signature size query failed"));
  }
  Bytes signature(length);
  if (EVP_PKEY_sign(ctx.get(), AsUChar(MutableByteView(signature)), &length, AsUChar(hash),
                    hash.size()) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("RSA signing failed"));
  }
  signature.resize(length);
  return signature;
}

bool PrivateKey::Matches(const Certificate& certificate) const {
  EVP_PKEY* public_key = X509_get0_pubkey(static_cast<X509*>(certificate.native()));
  return public_key != nullptr && EVP_PKEY_eq(state_->key.get(), public_key) == 1;
}

// ---------------------------------------------------------- VerifyIkeSignature

Result<void> VerifyIkeSignature(const Certificate& signer, ByteView hash, ByteView signature) {
  EVP_PKEY* public_key = X509_get0_pubkey(static_cast<X509*>(signer.native()));
  if (public_key == nullptr || EVP_PKEY_is_a(public_key, "RSA") != 1) {
    return Fail(ErrorCode::kUnsupported,
                "signer certificate " + signer.SubjectText() + " has no RSA public key");
  }
  const int key_size = EVP_PKEY_get_size(public_key);
  if (key_size <= 0 || signature.size() != static_cast<size_t>(key_size)) {
    return Fail(ErrorCode::kAuthenticationFailed,
                "RSA signature length " + std::to_string(signature.size()) + " (expected " +
                    std::to_string(key_size) + ")");
  }

  internal::PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, public_key, nullptr));
  if (ctx == nullptr || EVP_PKEY_verify_recover_init(ctx.get()) != 1 ||
      EVP_PKEY_CTX_set_rsa_padding(ctx.get(), RSA_PKCS1_PADDING) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("RSA verification setup failed"));
  }
  // Recovers the padded content and compares it with the expected hash, which
  // is how an IKEv1 signature without DigestInfo is checked.
  Bytes recovered(static_cast<size_t>(key_size));
  size_t recovered_length = recovered.size();
  if (EVP_PKEY_verify_recover(ctx.get(), AsUChar(MutableByteView(recovered)), &recovered_length,
                              AsUChar(signature), signature.size()) != 1) {
    ERR_clear_error();
    return Fail(ErrorCode::kAuthenticationFailed, "RSA signature padding is invalid");
  }
  recovered.resize(recovered_length);
  if (!ConstantTimeEqual(recovered, hash)) {
    return Fail(ErrorCode::kAuthenticationFailed, "RSA signature does not match the hash");
  }
  return {};
}

// ----------------------------------------------------------- CertificateStore

CertificateStore::CertificateStore() = default;
CertificateStore::~CertificateStore() = default;
CertificateStore::CertificateStore(CertificateStore&&) noexcept = default;
CertificateStore& CertificateStore::operator=(CertificateStore&&) noexcept = default;

void CertificateStore::AddTrustAnchor(const Certificate& ca) { anchors_.push_back(ca); }

const std::vector<Certificate>& CertificateStore::trust_anchors() const { return anchors_; }

Result<void> CertificateStore::Verify(const Certificate& leaf,
                                      const std::vector<Certificate>& intermediates) const {
  StorePtr store(X509_STORE_new());
  CertStackPtr untrusted(sk_X509_new_null());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (store == nullptr || untrusted == nullptr || ctx == nullptr) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("certificate store setup failed"));
  }
  for (const Certificate& anchor : anchors_) {
    if (X509_STORE_add_cert(store.get(), static_cast<X509*>(anchor.native())) != 1) {
      return Fail(ErrorCode::kSystem, internal::OpenSslError("adding a trust anchor failed"));
    }
  }
  for (const Certificate& intermediate : intermediates) {
    if (sk_X509_push(untrusted.get(), static_cast<X509*>(intermediate.native())) <= 0) {
      return Fail(ErrorCode::kSystem, internal::OpenSslError("adding an intermediate failed"));
    }
  }

  // No CRL flags are set, so revocation is not checked.
  X509* leaf_cert = static_cast<X509*>(leaf.native());
  if (X509_STORE_CTX_init(ctx.get(), store.get(), leaf_cert, untrusted.get()) != 1) {
    return Fail(ErrorCode::kSystem, internal::OpenSslError("certificate check setup failed"));
  }
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    ERR_clear_error();
    return Fail(
        ErrorCode::kAuthenticationFailed,
        "certificate " + leaf.SubjectText() + " rejected: " + X509_verify_cert_error_string(error));
  }
  return {};
}

bool SameDistinguishedName(ByteView first_der, ByteView second_der) {
  const auto parse = [](ByteView der) {
    const unsigned char* cursor = reinterpret_cast<const unsigned char*>(der.data());
    X509_NAME* name = d2i_X509_NAME(nullptr, &cursor, static_cast<long>(der.size()));
    const bool whole = name != nullptr && cursor == reinterpret_cast<const unsigned char*>(der.data()) + der.size();
    if (!whole) {
      X509_NAME_free(name);
      return std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)>(nullptr, X509_NAME_free);
    }
    return std::unique_ptr<X509_NAME, decltype(&X509_NAME_free)>(name, X509_NAME_free);
  };
  const auto first = parse(first_der);
  const auto second = parse(second_der);
  if (!first || !second) {
    return false;
  }
  // X509_NAME_cmp compares OpenSSL's canonical encoding, which converts every
  // value to lower-case UTF-8 with spaces collapsed (OpenSSL 1.0.0 and later).
  return X509_NAME_cmp(first.get(), second.get()) == 0;
}

}  // namespace ipop::crypto
