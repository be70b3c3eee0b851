// The IKEv1 engine that the daemon drives: it owns every ISAKMP SA and every
// exchange in progress, responds to peers, starts negotiations on ACQUIRE and
// installs the negotiated ESP SAs through esp::KernelSeam.
//
// Threading: every member function, and every timer callback the service
// schedules, must run on the one thread that owns `timers` (the IKE thread).
#ifndef IPOP_IKE_IKE_SERVICE_H_
#define IPOP_IKE_IKE_SERVICE_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "base/error.h"
#include "base/ip_address.h"
#include "base/timer.h"
#include "config/runtime_config.h"
#include "crypto/algorithms.h"
#include "esp/kernel_seam.h"

namespace ipop::ike {

class KeyLog;

// Sends IKE datagrams for the service. When `local.port` is the NAT-T port
// (4500) the daemon prepends the 4-byte non-ESP marker (RFC 3948 §2.2).
class DatagramSender {
 public:
  virtual ~DatagramSender() = default;
  virtual void SendDatagram(const Endpoint& local, const Endpoint& remote, ByteView message) = 0;
};

// Totals since start, for `ipop-esp statistics`. Drops are keyed by a short
// reason such as "malformed message" or "decryption failed".
struct IkeCounters {
  uint64_t datagrams_received = 0;
  uint64_t datagrams_sent = 0;
  uint64_t retransmissions = 0;
  uint64_t phase1_established = 0;
  uint64_t phase1_failed = 0;
  uint64_t phase2_established = 0;
  uint64_t phase2_failed = 0;
  uint64_t dpd_requests_sent = 0;  // R-U-THERE (RFC 3706 §5)
  uint64_t dpd_acks_received = 0;  // R-U-THERE-ACK matching the last request
  uint64_t dpd_peers_dead = 0;     // peers declared dead after dpd_maxfail requests
  // Phase 1 messages sent in IKE fragments, and messages reassembled.
  uint64_t fragmented_messages_sent = 0;
  uint64_t fragmented_messages_received = 0;
  std::map<std::string, uint64_t> drops;
};

// One ISAKMP SA, established or still negotiating, for `ipop-esp sa`.
struct IsakmpSaStatus {
  Endpoint local;
  Endpoint remote;
  uint64_t cookie_i = 0;  // CKY-I as the 8 header bytes read big-endian
  uint64_t cookie_r = 0;  // 0 until the responder has replied
  bool initiator = false;
  bool established = false;
  std::string state;  // e.g. "established", "MM: sent message 3"
  // The negotiated transform; meaningful once the responder's SA is known.
  crypto::IkeCipher cipher = crypto::IkeCipher::k3desCbc;
  size_t key_bits = 0;  // AES key length, 0 for 3DES
  crypto::HashAlgorithm hash = crypto::HashAlgorithm::kSha1;
  config::AuthMethod auth_method = config::AuthMethod::kRsaSignature;
  crypto::DhGroup dh_group = crypto::DhGroup::kModp1024;
  std::chrono::seconds lifetime{0};
  std::chrono::seconds age{0};
  bool nat_detected_local = false;  // we are behind a NAT
  bool nat_detected_peer = false;   // the peer is behind a NAT
  std::string peer_identity;        // certificate subject or ID payload text
};

// The start of esp::Policy::origin for policies that a responder installs
// under `generate_policy`; the rest is the peer's address.
inline constexpr std::string_view kGeneratedPolicyOrigin = "generate_policy";

// The kind of change to an ISAKMP SA, for racoon's `script` hooks.
enum class Phase1EventKind {
  kUp,    // established (racoon's phase1_up)
  kDown,  // an established SA was deleted or expired (phase1_down)
  kDead,  // DPD declared the peer dead (phase1_dead)
};

// One phase 1 event with what racoon passes to its hook scripts.
struct Phase1Event {
  Phase1EventKind kind = Phase1EventKind::kUp;
  Endpoint local;
  Endpoint remote;
  std::string peer_identity;  // the peer's ID as text; empty when not known yet
  config::ScriptHooks scripts;  // of the remote section in effect
};

using Phase1EventHandler = std::function<void(const Phase1Event&)>;

class IkeService {
 public:
  // Keeps references to every argument; they must outlive the service.
  IkeService(const config::RuntimeConfig& config, TimerService& timers, esp::KernelSeam& kernel,
             DatagramSender& sender);
  ~IkeService();
  IkeService(const IkeService&) = delete;
  IkeService& operator=(const IkeService&) = delete;

  // Loads every certificate, private key, CA and the pre-shared key file
  // that the configuration names. Fails with the file and reason so the
  // daemon can refuse to start.
  Result<void> LoadCredentials();

  // Processes one ISAKMP message that arrived on `local` from `remote`. On
  // port 4500 the daemon strips the non-ESP marker first. Never fails: bad
  // input is logged, counted and dropped, and some errors are reported to the peer with a notify.
  void HandleDatagram(const Endpoint& local, const Endpoint& remote, ByteView message);

  // Starts phase 1 with the request's destination unless an ISAKMP SA
  // exists or is being negotiated, then Quick Mode for the request's policy.
  // While phase 1 is in progress the request waits in a queue. The local
  // endpoint is the `listen isakmp` address that equals the request's source,
  // or the source with port 500.
  void Acquire(const esp::AcquireRequest& request);

  std::vector<IsakmpSaStatus> ListIsakmpSas() const;
  IkeCounters counters() const;

  // Moves the established ISAKMP SA whose peer endpoint is
  // `change.old_peer` to `change.new_peer`, after the data path saw an
  // authenticated ESP packet from the peer's new NAT mapping, so that IKE
  // messages follow the ESP SAs. Call it on the IKE thread.
  void HandlePeerEndpointChange(const esp::SaEndpointChange& change);

  // Renegotiates the ESP SA pair of `expire.spi` on a soft expiry, and
  // removes the pair and tells the peer on a hard one, as a kernel EXPIRE
  // reports them (XFRM backend) or the data path does for byte limits.
  // The engine keeps its own lifetime timers as well, so backends that
  // report nothing still rekey. Call it on the IKE thread.
  void HandleSaExpire(const esp::SaExpire& expire);

  // Replaces the random source of Quick Mode and Informational message IDs.
  // For tests that need two peers to pick the same ID.
  void SetMessageIdSourceForTesting(std::function<uint32_t()> source);

  // Makes the service append the keys of every ISAKMP SA and ESP SA it
  // establishes to `key_log` (see ike/key_log.h). Null turns it off. The log
  // must outlive the service.
  void SetKeyLog(KeyLog* key_log);

  // Calls `handler` on the IKE thread for each phase 1 event. The handler
  // must not block, because the IKE thread waits for it.
  void SetPhase1EventHandler(Phase1EventHandler handler);

  // Switches to the reloaded configuration `next`. First loads the
  // credentials `next` names and fails, changing nothing, if one cannot be
  // loaded. Then deletes, with Delete payloads, every ESP SA whose peer has
  // no remote section, whose IDs have no sainfo or whose outbound policy is
  // gone from the kernel seam, and every ISAKMP SA whose peer has no remote
  // section. The other SAs stay and follow the new sections. `live` must be
  // the configuration the service was built with; it is assigned `next`.
  // Update the kernel seam's policies before calling this.
  Result<void> Reconfigure(config::RuntimeConfig& live, config::RuntimeConfig next);

  // Sends a Delete for every ESP and ISAKMP SA (best effort, no
  // retransmission), removes the ESP SAs through the kernel seam and cancels
  // every timer. The service accepts no further work afterwards.
  void Shutdown();

 private:
  class Engine;
  std::unique_ptr<Engine> engine_;
};

}  // namespace ipop::ike

#endif  // IPOP_IKE_IKE_SERVICE_H_
