#include "base/error.h"

namespace ipop {

const char* ErrorCodeName(ErrorCode code) {
  switch (code) {
    case ErrorCode::kTruncated:
      return "truncated";
    case ErrorCode::kMalformed:
      return "malformed";
    case ErrorCode::kUnsupported:
      return "unsupported";
    case ErrorCode::kNoProposalChosen:
      return "no proposal chosen";
    case ErrorCode::kAuthenticationFailed:
      return "authentication failed";
    case ErrorCode::kInvalidState:
      return "invalid state";
    case ErrorCode::kReplay:
      return "replay";
    case ErrorCode::kNotFound:
      return "not found";
    case ErrorCode::kTimedOut:
      return "timed out";
    case ErrorCode::kSystem:
      return "system error";
    case ErrorCode::kInvalidArgument:
      return "invalid argument";
  }
  return "unknown error";
}

std::string ToString(const Error& error) {
  // Built with append() because g++ 12 at -O3 warns falsely (-Wrestrict)
  // about operator+= on a string made from a literal.
  std::string out;
  out.append(ErrorCodeName(error.code));
  if (!error.detail.empty()) {
    out.append(": ").append(error.detail);
  }
  return out;
}

}  // namespace ipop
