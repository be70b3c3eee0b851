#include "esp/drop_reason.h"

namespace ipop::esp {

const char* DropReasonName(DropReason reason) {
  switch (reason) {
    case DropReason::kNotIpv4:
      return "not_ipv4";
    case DropReason::kNoPolicy:
      return "no_policy";
    case DropReason::kBypassPolicy:
      return "bypass_policy";
    case DropReason::kDiscardPolicy:
      return "discard_policy";
    case DropReason::kFragment:
      return "fragment";
    case DropReason::kTooBig:
      return "too_big";
    case DropReason::kSequenceExhausted:
      return "sequence_exhausted";
    case DropReason::kHoldOverflow:
      return "hold_overflow";
    case DropReason::kHoldTableFull:
      return "hold_table_full";
    case DropReason::kHoldTimeout:
      return "hold_timeout";
    case DropReason::kSealFailed:
      return "seal_failed";
    case DropReason::kSendFailed:
      return "send_failed";
    case DropReason::kMalformed:
      return "malformed";
    case DropReason::kUnknownSpi:
      return "unknown_spi";
    case DropReason::kReplay:
      return "replay";
    case DropReason::kIntegrity:
      return "integrity";
    case DropReason::kBadTrailer:
      return "bad_trailer";
    case DropReason::kBadPadding:
      return "bad_padding";
    case DropReason::kDummyPacket:
      return "dummy_packet";
    case DropReason::kInboundPolicy:
      return "inbound_policy";
    case DropReason::kLifetimeExpired:
      return "lifetime_expired";
    case DropReason::kWriteFailed:
      return "write_failed";
    case DropReason::kNattInvalid:
      return "natt_invalid";
    case DropReason::kEncapsulationMismatch:
      return "encapsulation_mismatch";
    case DropReason::kWrongNextHeader:
      return "wrong_next_header";
    case DropReason::kCount:
      break;
  }
  return "unknown";
}

}  // namespace ipop::esp
