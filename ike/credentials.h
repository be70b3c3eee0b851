// Authentication material: per `remote` section the certificate, private
// key and trust anchors it names, and the pre-shared keys of the
// `path pre_shared_key` file.
#ifndef IPOP_IKE_CREDENTIALS_H_
#define IPOP_IKE_CREDENTIALS_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/error.h"
#include "base/ip_address.h"
#include "config/runtime_config.h"
#include "crypto/secret.h"
#include "crypto/x509.h"

namespace ipop::ike {

// The certificate material of one `remote` section.
struct RemoteCredentials {
  std::optional<crypto::Certificate> certificate;
  // The certificates after the first in the certificate_type file: the
  // intermediate CAs sent after ours so that the peer can build the chain.
  std::vector<crypto::Certificate> intermediates;
  std::optional<crypto::PrivateKey> private_key;
  crypto::CertificateStore trust_anchors;
  // The certificate from peers_certfile. When set, the peer's CERT
  // payloads are not used.
  std::optional<crypto::Certificate> peer_certificate;
};

class Credentials {
 public:
  // Loads the files of every remote that authenticates with rsasig, and the
  // pre-shared key file when a remote uses pre_shared_key. The error names
  // the file and the remote section.
  Result<void> Load(const config::RuntimeConfig& config);

  // Returns the material loaded for `remote` (a section of the same config),
  // or nullptr when it has none.
  const RemoteCredentials* ForRemote(const config::RemoteConfig& remote) const;
  // Returns the pre-shared key for a peer address, or nullptr.
  const crypto::SecretBytes* PreSharedKey(Ipv4Address peer) const;

  // Adds a pre-shared key directly, for tests and for keys not in a file.
  void AddPreSharedKey(const std::string& identity, crypto::SecretBytes key);

 private:
  std::map<const config::RemoteConfig*, RemoteCredentials> remotes_;
  std::map<std::string, crypto::SecretBytes> pre_shared_keys_;  // keyed by identity text
};

}  // namespace ipop::ike

#endif  // IPOP_IKE_CREDENTIALS_H_
