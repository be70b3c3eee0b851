#include "ike/credentials.h"


#include "base/bytes.h"
#include "base/log.h"
#include "config/config_error.h"
#include "config/psk_file.h"

namespace ipop::ike {

namespace {

bool UsesAuthMethod(const config::RemoteConfig& remote, config::AuthMethod method) {
  for (const config::Phase1Proposal& proposal : remote.proposals) {
    if (proposal.auth_method == method) {
      return true;
    }
  }
  return false;
}

std::string RemoteName(const config::RemoteConfig& remote) {
  std::string name = remote.address ? remote.address->ToString() : std::string("anonymous");
  if (!remote.origin.empty()) {
    name += " (" + remote.origin + ")";
  }
  return name;
}

Result<void> LoadOwnCertificate(const config::RemoteConfig& remote, const std::string& where,
                                RemoteCredentials& loaded) {
  if (remote.certificate_file.empty() || remote.private_key_file.empty()) {
    return Fail(ErrorCode::kNotFound, where + ": rsasig needs certificate_type x509 with a certificate and a key");
  }
  auto chain = crypto::Certificate::LoadPemBundle(remote.certificate_file);
  if (!chain) {
    return Fail(ErrorCode::kNotFound, where + ": cannot load certificate " + remote.certificate_file + ": " +
                                          ToString(chain.error()));
  }
  auto key = crypto::PrivateKey::LoadPemFile(remote.private_key_file);
  if (!key) {
    return Fail(ErrorCode::kNotFound, where + ": cannot load private key " + remote.private_key_file + ": " +
                                          ToString(key.error()));
  }
  // The first certificate is ours, and the rest of the file is its chain.
  if (!key->Matches(chain->front())) {
    return Fail(ErrorCode::kInvalidArgument, where + ": private key " + remote.private_key_file +
                                                 " does not match the first certificate in " +
                                                 remote.certificate_file);
  }
  IPOP_LOG(kDebug) << where << ": loaded certificate " << chain->front().SubjectText() << " and "
                   << chain->size() - 1 << " intermediate CA certificates";
  loaded.certificate = chain->front();
  loaded.intermediates.assign(chain->begin() + 1, chain->end());
  loaded.private_key = std::move(*key);
  return {};
}

Result<RemoteCredentials> LoadRemote(const config::RemoteConfig& remote) {
  RemoteCredentials loaded;
  const std::string where = "remote " + RemoteName(remote);
  if (auto own = LoadOwnCertificate(remote, where, loaded); !own) {
    return std::unexpected(own.error());
  }
  if (!remote.peers_certificate_file.empty()) {
    auto peer = crypto::Certificate::LoadPemFile(remote.peers_certificate_file);
    if (!peer) {
      return Fail(ErrorCode::kNotFound, where + ": cannot load peers_certfile " + remote.peers_certificate_file +
                                            ": " + ToString(peer.error()));
    }
    loaded.peer_certificate = std::move(*peer);
  }
  if (remote.ca_file.empty()) {
    // A certificate from peers_certfile is trusted as configured, so only a
    // certificate the peer sends needs a CA.
    if (remote.verify_cert && !loaded.peer_certificate) {
      return Fail(ErrorCode::kNotFound, where + ": verify_cert is on but no ca_type x509 file is configured");
    }
    return loaded;
  }
  // The CA file may contain several certificates: trust anchors and the
  // intermediate CAs between them and the peer.
  auto authorities = crypto::Certificate::LoadPemBundle(remote.ca_file);
  if (!authorities) {
    return Fail(ErrorCode::kNotFound, where + ": cannot load CA certificate " + remote.ca_file + ": " +
                                          ToString(authorities.error()));
  }
  for (const crypto::Certificate& authority : *authorities) {
    loaded.trust_anchors.AddTrustAnchor(authority);
  }
  return loaded;
}

}  // namespace

Result<void> Credentials::Load(const config::RuntimeConfig& config) {
  bool needs_psk = false;
  for (const config::RemoteConfig& remote : config.remotes) {
    if (UsesAuthMethod(remote, config::AuthMethod::kPreSharedKey)) {
      needs_psk = true;
    }
    if (!UsesAuthMethod(remote, config::AuthMethod::kRsaSignature)) {
      continue;
    }
    auto loaded = LoadRemote(remote);
    if (!loaded) {
      return std::unexpected(loaded.error());
    }
    remotes_[&remote] = std::move(*loaded);
  }
  if (!needs_psk) {
    return {};
  }
  if (config.pre_shared_key_file.empty()) {
    return Fail(ErrorCode::kNotFound, "pre_shared_key authentication needs `path pre_shared_key`");
  }
  try {
    for (auto& [identity, key] : config::LoadPskFile(config.pre_shared_key_file)) {
      pre_shared_keys_[identity] = std::move(key);
    }
  } catch (const config::ConfigError& error) {
    return Fail(ErrorCode::kInvalidArgument, error.what());
  }
  return {};
}

const RemoteCredentials* Credentials::ForRemote(const config::RemoteConfig& remote) const {
  auto found = remotes_.find(&remote);
  return found == remotes_.end() ? nullptr : &found->second;
}

const crypto::SecretBytes* Credentials::PreSharedKey(Ipv4Address peer) const {
  auto found = pre_shared_keys_.find(peer.ToString());
  return found == pre_shared_keys_.end() ? nullptr : &found->second;
}

void Credentials::AddPreSharedKey(const std::string& identity, crypto::SecretBytes key) {
  pre_shared_keys_[identity] = std::move(key);
}

}  // namespace ipop::ike
