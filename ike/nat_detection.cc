#include "ike/nat_detection.h"

#include "base/byte_writer.h"
#include "crypto/hash.h"
#include "crypto/secret.h"

namespace ipop::ike {

NatTraversalVersion NatTraversalVersionOf(KnownVendorId id) {
  switch (id) {
    case KnownVendorId::kRfc3947:
      return NatTraversalVersion::kRfc3947;
    case KnownVendorId::kNatTDraft02:
    case KnownVendorId::kNatTDraft02Newline:
      return NatTraversalVersion::kDraft02;
    case KnownVendorId::kNatTDraft03:
      return NatTraversalVersion::kDraft03;
    case KnownVendorId::kUnknown:
    case KnownVendorId::kDpd:
    case KnownVendorId::kIkeFragmentation:
      return NatTraversalVersion::kNone;
  }
  return NatTraversalVersion::kNone;
}

KnownVendorId SelectNatTraversalVendorId(std::span<const KnownVendorId> received) {
  KnownVendorId selected = KnownVendorId::kUnknown;
  for (KnownVendorId id : received) {
    if (NatTraversalVersionOf(id) > NatTraversalVersionOf(selected)) {
      selected = id;
    }
  }
  return selected;
}

PayloadType NatDPayloadType(NatTraversalVersion version) {
  return version == NatTraversalVersion::kRfc3947 ? PayloadType::kNatD : PayloadType::kNatDDraft;
}

PayloadType NatOaPayloadType(NatTraversalVersion version) {
  return version == NatTraversalVersion::kRfc3947 ? PayloadType::kNatOa : PayloadType::kNatOaDraft;
}

uint16_t UdpTransportEncapsulationMode(NatTraversalVersion version) {
  return version == NatTraversalVersion::kRfc3947 ? kEncapsulationUdpTransport : kEncapsulationUdpTransportDraft;
}

uint16_t UdpTunnelEncapsulationMode(NatTraversalVersion version) {
  return version == NatTraversalVersion::kRfc3947 ? kEncapsulationUdpTunnel : kEncapsulationUdpTunnelDraft;
}

Bytes ComputeNatDHash(crypto::HashAlgorithm hash, const Cookie& initiator_cookie, const Cookie& responder_cookie,
                      const Endpoint& endpoint) {
  ByteWriter input;
  input.WriteBytes(initiator_cookie);
  input.WriteBytes(responder_cookie);
  input.WriteU32(endpoint.address.value());
  input.WriteU16(endpoint.port);
  return crypto::Hash(hash, input.bytes());
}

NatDetectionResult DetectNat(crypto::HashAlgorithm hash, const Cookie& initiator_cookie,
                             const Cookie& responder_cookie, const Endpoint& local, const Endpoint& remote,
                             std::span<const Bytes> received_hashes) {
  NatDetectionResult result;
  if (received_hashes.empty()) {
    // TODO(ike): a peer that announced NAT-T but sent no NAT-D payload is
    // treated as not behind a NAT; the exchange may want to reject it.
    return result;
  }
  const Bytes expected_local = ComputeNatDHash(hash, initiator_cookie, responder_cookie, local);
  result.local_behind_nat = !crypto::ConstantTimeEqual(received_hashes.front(), expected_local);

  const Bytes expected_remote = ComputeNatDHash(hash, initiator_cookie, responder_cookie, remote);
  bool remote_matched = false;
  for (const Bytes& received : received_hashes.subspan(1)) {
    remote_matched = crypto::ConstantTimeEqual(received, expected_remote) || remote_matched;
  }
  result.peer_behind_nat = !remote_matched;
  return result;
}

}  // namespace ipop::ike
