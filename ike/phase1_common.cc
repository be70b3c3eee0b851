#include "ike/phase1_common.h"

#include <algorithm>

namespace ipop::ike {

std::string DropReasonFor(const Error& error) {
  switch (error.code) {
    case ErrorCode::kTruncated:
    case ErrorCode::kMalformed:
      return "malformed message";
    case ErrorCode::kAuthenticationFailed:
      return "authentication failed";
    case ErrorCode::kInvalidState:
      return "invalid state";
    case ErrorCode::kNoProposalChosen:
      return "no proposal chosen";
    case ErrorCode::kSystem:
      return "resource limit";
    default:
      return ErrorCodeName(error.code);
  }
}

Result<OfferedPhase1Transform> ChoosePhase1(const SaPayload& payload, const config::RemoteConfig& remote) {
  auto offered = DecodePhase1Sa(payload);
  if (!offered) {
    return std::unexpected(offered.error());
  }
  std::vector<Phase1Transform> values;
  for (const OfferedPhase1Transform& entry : *offered) {
    values.push_back(entry.value);
  }
  auto chosen = SelectPhase1(values, remote);
  if (!chosen) {
    return std::unexpected(chosen.error());
  }
  // SelectPhase1 returns the first offered transform that matches, so the
  // first entry with the same algorithms is the one it chose.
  for (const OfferedPhase1Transform& entry : *offered) {
    if (SamePhase1Algorithms(entry.value, *chosen)) {
      // The reply echoes the offer on the wire, but our SA lives as long
      // as proposal_check decided.
      OfferedPhase1Transform result = entry;
      result.value.lifetime = chosen->lifetime;
      return result;
    }
  }
  return Fail(ErrorCode::kNoProposalChosen, "selected transform not found in the offer", kNotifyNoProposalChosen);
}

Result<Phase1Transform> AcceptPhase1Reply(const SaPayload& reply, const std::vector<Phase1Transform>& offer) {
  auto offered = DecodePhase1Sa(reply);
  if (!offered || offered->size() != 1) {
    return Fail(ErrorCode::kNoProposalChosen, "the responder's SA is not one transform we can use",
                kNotifyNoProposalChosen);
  }
  const Phase1Transform& chosen = offered->front().value;
  auto ours = std::ranges::find_if(offer, [&](const Phase1Transform& mine) { return SamePhase1Algorithms(mine, chosen); });
  if (ours == offer.end()) {
    return Fail(ErrorCode::kNoProposalChosen, "the responder chose a transform we did not offer: " + DescribePhase1(chosen),
                kNotifyNoProposalChosen);
  }
  return *ours;
}

NotificationPayload InitialContactNotification(const Cookie& cookie_i, const Cookie& cookie_r) {
  NotificationPayload notification;
  notification.doi = kDoiIpsec;
  notification.protocol_id = kProtocolIsakmp;
  notification.notify_type = kNotifyInitialContact;
  notification.spi.assign(cookie_i.begin(), cookie_i.end());
  notification.spi.insert(notification.spi.end(), cookie_r.begin(), cookie_r.end());
  return notification;
}

}  // namespace ipop::ike
