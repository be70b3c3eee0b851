// Error values for code that must not throw: packet parsing, exchanges and the
// packet path. Exceptions are used only at start-up and configuration load.
#ifndef IPOP_BASE_ERROR_H_
#define IPOP_BASE_ERROR_H_

#include <cstdint>
#include <expected>
#include <string>
#include <utility>

namespace ipop {

enum class ErrorCode {
  kTruncated,             // input ends before a field or a declared length
  kMalformed,             // lengths or values are inconsistent
  kUnsupported,           // well-formed but not implemented
  kNoProposalChosen,      // no acceptable proposal or transform
  kAuthenticationFailed,  // bad hash, signature, ICV or certificate
  kInvalidState,          // input not expected in the current state
  kReplay,                // duplicate or too old sequence number
  kNotFound,              // no SA, policy or file for the key given
  kTimedOut,
  kSystem,                // a system call failed; detail carries strerror
  kInvalidArgument,       // a caller passed a bad value
};

const char* ErrorCodeName(ErrorCode code);

struct Error {
  ErrorCode code;
  std::string detail;  // short and specific, e.g. "nonce too short (7 < 8)"
  // ISAKMP notify message type to send back (RFC 2408 §3.14.1), 0 for none.
  uint16_t notify = 0;
};

template <typename T>
using Result = std::expected<T, Error>;

// Builds the unexpected value of a Result in one expression.
inline std::unexpected<Error> Fail(ErrorCode code, std::string detail, uint16_t notify = 0) {
  return std::unexpected<Error>(Error{code, std::move(detail), notify});
}

// Renders "malformed: nonce too short (7 < 8)".
std::string ToString(const Error& error);

}  // namespace ipop

#endif  // IPOP_BASE_ERROR_H_
