// Text that the control socket returns for `ipop-esp sa` and `ipop-esp spd`.
//
// Control protocol (UNIX stream socket): the client sends one request line,
// a command word terminated by '\n' ("sa", "spd" or "status"). The daemon
// replies "OK\n" followed by the report lines, or a single line
// "ERROR <reason>\n", and then closes the connection. The report is meant for
// people; scripts should grep the daemon's log lines instead, whose shape is
// racoon's.
#ifndef IPOP_DAEMON_CONTROL_FORMAT_H_
#define IPOP_DAEMON_CONTROL_FORMAT_H_

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "esp/kernel_seam.h"
#include "esp/policy.h"
#include "ike/ike_service.h"

namespace ipop::daemon {

inline constexpr std::string_view kControlOk = "OK";
inline constexpr std::string_view kControlError = "ERROR";
// Maximum request line length; a longer line gets an ERROR reply.
inline constexpr size_t kMaxControlRequestLength = 256;

// Lays out rows under a header with columns padded to their widest cell and
// two spaces between them. Every line is indented by two spaces.
std::string FormatTable(const std::vector<std::string>& header,
                        const std::vector<std::vector<std::string>>& rows);

// "12s", "5m07s", "2h03m", "3d04h".
std::string FormatAge(std::chrono::seconds age);

// "3DES-CBC", "AES-CBC-256".
std::string FormatIkeCipher(crypto::IkeCipher cipher, size_t key_bits);
std::string FormatEspCipher(crypto::EspCipher cipher, size_t key_bits);

// A policy in setkey's words:
// "192.168.0.0/16[any] 192.168.0.0/16[any] any -P out ipsec esp/transport//require".
std::string FormatPolicyRule(const esp::Policy& policy);

std::string FormatIsakmpSas(const std::vector<ike::IsakmpSaStatus>& sas);
std::string FormatEspSas(const std::vector<esp::EspSaStatus>& sas,
                         std::chrono::system_clock::time_point now);
std::string FormatPolicies(const std::vector<esp::Policy>& policies);
// The same with a "backend" column: `carrier` ("kernel" or "userspace") is
// what enforces the policies.
std::string FormatPolicies(const std::vector<esp::Policy>& policies, std::string_view carrier);

// `setkey -D` layout, line by line where ipop-espd has the data. Keys are
// never shown, so the E: and A: lines name the algorithm only, and the
// reqid, replay and limit fields that SA status does not carry are left out.
std::string FormatSetkeySas(const std::vector<esp::EspSaStatus>& sas,
                            std::chrono::system_clock::time_point now);
// `setkey -DP` layout: selector, direction and action, template and
// lifetime lines. Kernel-only fields (spid, refcnt, created) are left out.
std::string FormatSetkeyPolicies(const std::vector<esp::Policy>& policies);

// Frames a successful reply and an error reply.
std::string ControlOkReply(std::string_view body);
std::string ControlErrorReply(std::string_view reason);

}  // namespace ipop::daemon

#endif  // IPOP_DAEMON_CONTROL_FORMAT_H_
