// IKE fragmentation in the engine (payload_fragment.h describes the
// scheme): reassembly of received fragments, and the choice to fragment a
// phase 1 message on send. `ike_frag on` fragments only for a peer that
// sent the fragmentation vendor ID; `ike_frag force` fragments whatever
// the peer sent. Only phase 1 messages are fragmented, as racoon does,
// because only they carry certificates and large KE payloads.
#include "base/log.h"
#include "ike/engine.h"
#include "ike/payload_fragment.h"
#include "ike/payload_vendor_id.h"
#include "ike/vendor_ids.h"

namespace ipop::ike {

void IkeService::Engine::HandleFragment(const Endpoint& local, const Endpoint& remote, ByteView datagram) {
  auto parsed = ParseFragmentMessage(datagram);
  if (!parsed) {
    Drop("malformed fragment", remote, parsed.error().detail);
    return;
  }
  const config::RemoteConfig* remote_config = config_.FindRemote(remote.address);
  if (remote_config == nullptr || remote_config->ike_fragmentation == config::IkeFragmentation::kOff) {
    Drop("fragmentation off", remote, "IKE fragment from a peer whose remote section has no ike_frag on or force");
    return;
  }

  FragmentAddResult added = reassembler_.Add(remote, parsed->header, parsed->fragment, timers_.Now());
  counters_.drops["fragment reassembly timed out"] += added.expired;
  counters_.drops["fragments discarded at a memory limit"] += added.evicted;
  if (added.replaced) {
    ++counters_.drops["fragment conflict"];
    IPOP_LOG(kDebug) << "fragment " << static_cast<int>(parsed->fragment.number) << " from " << remote.ToString()
                     << " differs from the one held; reassembly restarted";
  }
  switch (added.status) {
    case FragmentAddResult::Status::kIncomplete:
      IPOP_LOG(kDebug) << "fragment " << static_cast<int>(parsed->fragment.number) << " of ID "
                       << parsed->fragment.fragment_id << " from " << remote.ToString() << " held";
      return;
    case FragmentAddResult::Status::kDuplicate:
      ++counters_.drops["duplicate fragment"];
      return;
    case FragmentAddResult::Status::kDropped:
      Drop(added.drop_reason, remote, added.detail);
      return;
    case FragmentAddResult::Status::kComplete:
      break;
  }

  // The joined bytes must be one ISAKMP message of the same ISAKMP SA.
  auto header = ParseIsakmpHeader(added.message);
  if (!header) {
    Drop("malformed fragment", remote, "reassembled message: " + header.error().detail);
    return;
  }
  if (header->initiator_cookie != parsed->header.initiator_cookie ||
      header->responder_cookie != parsed->header.responder_cookie) {
    Drop("malformed fragment", remote, "reassembled message carries other cookies than its fragments");
    return;
  }
  if (IsFragmentDatagram(added.message)) {
    Drop("malformed fragment", remote, "reassembled message is itself a fragment");
    return;
  }
  ++counters_.fragmented_messages_received;
  IPOP_LOG(kDebug) << "reassembled a " << added.message.size() << "-byte message from " << remote.ToString();
  HandleMessage(local, remote, added.message);
}

std::vector<Bytes> IkeService::Engine::FragmentsFor(const IsakmpSa& sa, ByteView bytes) {
  const config::IkeFragmentation mode = sa.remote_config->ike_fragmentation;
  const bool fragment = mode == config::IkeFragmentation::kForce ||
                        (mode == config::IkeFragmentation::kOn && sa.peer_fragmentation);
  if (!fragment || bytes.size() <= kMaxFragmentDatagramSize) {
    return {};
  }
  std::vector<Bytes> fragments = SplitIntoFragments(bytes, next_fragment_id_, kMaxFragmentDatagramSize);
  // The counter skips 0 when it wraps and starts again at 1, the ID that
  // racoon 0.8 and strongSwan's fragment_payload.c send for every message.
  next_fragment_id_ = next_fragment_id_ == UINT16_MAX ? 1 : static_cast<uint16_t>(next_fragment_id_ + 1);
  if (fragments.empty()) {
    IPOP_LOG(kWarning) << "a " << bytes.size() << "-byte message to " << sa.remote.ToString()
                       << " needs more than 255 fragments; sent whole";
    return {};
  }
  ++counters_.fragmented_messages_sent;
  IPOP_LOG(kDebug) << "sending a " << bytes.size() << "-byte message to " << sa.remote.ToString() << " in "
                   << fragments.size() << " fragments";
  return fragments;
}

void IkeService::Engine::SendPhase1Message(IsakmpSa& sa, Bytes bytes, bool expect_reply) {
  std::vector<Bytes> fragments = FragmentsFor(sa, bytes);
  const uint64_t sa_id = sa.id;
  SendAndRemember(sa.last_sent, sa.local, sa.remote, std::move(bytes), expect_reply, *sa.remote_config,
                  [this, sa_id] { RetransmitPhase1(sa_id); }, std::move(fragments));
}

void IkeService::Engine::AddFragmentationVendorId(MessageBuilder& builder,
                                                  const config::RemoteConfig& remote_config) {
  if (remote_config.ike_fragmentation != config::IkeFragmentation::kOff) {
    builder.Add(VendorIdPayload{FragmentationVendorId(kFragmentationFlagsRacoon)});
  }
}

}  // namespace ipop::ike
