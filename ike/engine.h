// The implementation behind IkeService. Its member functions are split by
// exchange: engine.cc (dispatch, timers, sending, SA table), main_mode.cc,
// quick_mode.cc and informational.cc.
#ifndef IPOP_IKE_ENGINE_H_
#define IPOP_IKE_ENGINE_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "base/error.h"
#include "ike/credentials.h"
#include "ike/fragment_reassembler.h"
#include "ike/ike_service.h"
#include "ike/isakmp_sa.h"
#include "ike/key_log.h"
#include "ike/message.h"
#include "ike/payload_delete.h"
#include "ike/payload_identification.h"
#include "ike/payload_notification.h"

namespace ipop::ike {

class IkeService::Engine {
 public:
  Engine(const config::RuntimeConfig& config, TimerService& timers, esp::KernelSeam& kernel,
         DatagramSender& sender);
  ~Engine();

  Result<void> LoadCredentials() { return credentials_.Load(config_); }
  Credentials& credentials() { return credentials_; }
  void set_key_log(KeyLog* key_log) { key_log_ = key_log; }

  void HandleDatagram(const Endpoint& local, const Endpoint& remote, ByteView datagram);
  void Acquire(const esp::AcquireRequest& request);
  std::vector<IsakmpSaStatus> ListIsakmpSas() const;
  IkeCounters counters() const { return counters_; }
  void HandlePeerEndpointChange(const esp::SaEndpointChange& change);
  void HandleSaExpire(const esp::SaExpire& expire);
  void set_message_id_source(std::function<uint32_t()> source) { message_id_source_ = std::move(source); }
  void Shutdown();
  // engine_reload.cc
  Result<void> Reconfigure(config::RuntimeConfig& live, config::RuntimeConfig next);
  void set_phase1_event_handler(Phase1EventHandler handler) {
    phase1_event_handler_ = std::move(handler);
  }
  // Reports `kind` for `sa` to the phase 1 event handler. Transition()
  // reports kUp and kDown, and DeclarePeerDead reports kDead before it
  // removes the SA.
  void EmitPhase1Event(const IsakmpSa& sa, Phase1EventKind kind);

 private:
  // ---- engine.cc: table, dispatch, sending, timers ----
  // Parses a whole ISAKMP message, received in one datagram or reassembled
  // from fragments, and dispatches it by exchange type.
  void HandleMessage(const Endpoint& local, const Endpoint& remote, ByteView datagram);
  IsakmpSa* FindSa(const Cookie& cookie_i);
  IsakmpSa* FindSaById(uint64_t id);
  IsakmpSa* FindEstablishedSa(Ipv4Address peer);
  IsakmpSa* FindNegotiatingSa(Ipv4Address peer);
  IsakmpSa& CreateSa(bool initiator, const Endpoint& local, const Endpoint& remote,
                     const config::RemoteConfig& remote_config);
  // Removes a dead SA after the current call stack has unwound.
  void ScheduleRemoval(IsakmpSa& sa);
  void RemoveDeadSas();
  Endpoint LocalEndpointFor(Ipv4Address source) const;

  // Counts a dropped message under `reason` and logs it, rate-limited per
  // reason so that a flood cannot fill the log.
  void Drop(const std::string& reason, const Endpoint& remote, const std::string& detail);
  void Transition(IsakmpSa& sa, Phase1State next);
  void Transition(IsakmpSa& sa, QuickModeExchange& exchange, QuickModeState next);

  // Sends `bytes` and keeps them to resend when the peer repeats its
  // message. With `expect_reply` they are also retransmitted on a timer.
  // Non-empty `fragments` go out in place of `bytes` (see SentMessage).
  void SendAndRemember(std::optional<SentMessage>& slot, const Endpoint& local,
                       const Endpoint& remote, Bytes bytes, bool expect_reply,
                       const config::RemoteConfig& remote_config, std::function<void()> on_retransmit_due,
                       std::vector<Bytes> fragments = {});
  void Send(const Endpoint& local, const Endpoint& remote, ByteView bytes);
  // Sends a remembered message again: its fragments, or else its bytes.
  void SendStored(const SentMessage& message);
  void CancelRetransmission(std::optional<SentMessage>& slot);
  void Retransmit(std::optional<SentMessage>& slot, const config::RemoteConfig& remote_config,
                  std::function<void()> on_retransmit_due);
  // Returns true when `datagram` repeats the last message received, and
  // then resends our last message if `resend` (false when the repeated
  // message ended the exchange, so that nothing replies to it).
  bool AnswerDuplicate(const Bytes& last_received, std::optional<SentMessage>& last_sent,
                       ByteView datagram, const Endpoint& remote, bool resend);

  void FailPhase1(IsakmpSa& sa, const std::string& reason);
  void RetransmitPhase1(uint64_t sa_id);
  void OnPhase1Timeout(uint64_t sa_id);
  void OnPhase1Expired(uint64_t sa_id);

  // ---- main_mode.cc ----
  void StartPhase1(const Endpoint& local, const Endpoint& remote,
                   const config::RemoteConfig& remote_config);
  void HandleMainMode(const Message& message, const Endpoint& local, const Endpoint& remote,
                      ByteView datagram);
  Result<void> RespondToMessage1(const Message& message, const Endpoint& local, const Endpoint& remote);
  Result<void> HandleMessage2(IsakmpSa& sa, const Message& message);
  Result<void> HandleMessage3(IsakmpSa& sa, const Message& message);
  Result<void> HandleMessage4(IsakmpSa& sa, const Message& message);
  // Decrypts Main Mode message 5 or 6, checks the peer's authentication and
  // acts on its notifications. False: the check ended the exchange.
  Result<bool> AcceptAuthMessage(IsakmpSa& sa, const Message& encrypted, int number);
  Result<void> HandleMessage5(IsakmpSa& sa, const Message& message);
  Result<void> HandleMessage6(IsakmpSa& sa, const Message& message);
  // Checks the cookies and the peer of a message for `sa` and follows a
  // move to the NAT-T port; false when the message was dropped.
  bool AcceptPhase1Peer(IsakmpSa& sa, const IsakmpHeader& header, const Endpoint& local, const Endpoint& remote);
  // Counts a failed step as a drop, or keeps `datagram` for duplicate
  // detection after a successful one.
  void FinishPhase1Step(IsakmpSa& sa, const Result<void>& handled, const Endpoint& remote, ByteView datagram);
  // Admits a phase 1 in `mode` from `remote`, chooses a transform of its
  // SA payload and creates the responder SA. Returns nullptr when no
  // proposal was chosen and NO-PROPOSAL-CHOSEN went back instead.
  Result<IsakmpSa*> StartResponderSa(const Message& message, const Endpoint& local, const Endpoint& remote,
                                     config::ExchangeMode mode, OfferedPhase1Transform& chosen);
  // Returns the remote section under which we answer a phase 1 in `mode`
  // that `remote` starts. Fails when no section allows that mode for the
  // peer or the half-open responder SAs are at their limit.
  Result<const config::RemoteConfig*> AdmitResponder(const Endpoint& remote, config::ExchangeMode mode);
  void ReadVendorIds(IsakmpSa& sa, const Message& message);
  void AddVendorIds(MessageBuilder& builder, const config::RemoteConfig& remote_config);
  // Responder: repeats the chosen NAT-T vendor ID and announces DPD and IKE
  // fragmentation.
  void AddResponderVendorIds(IsakmpSa& sa, MessageBuilder& builder);
  void AddNatD(IsakmpSa& sa, MessageBuilder& builder);
  Result<void> ReadKeyExchangeAndNonce(IsakmpSa& sa, const Message& message);
  // Reads the peer's KE and nonce into `sa` after the payload rule passed,
  // and whether it sent a certificate request.
  Result<void> ReadPeerKeyExchange(IsakmpSa& sa, const Message& message);
  void DetectNatFrom(IsakmpSa& sa, const Message& message);
  // Moves the initiator's endpoints to the NAT-T port (RFC 3947 §4).
  void FloatToNatTraversalPort(IsakmpSa& sa);
  Result<void> ComputePhase1Keys(IsakmpSa& sa);
  Result<Bytes> BuildAuthMessage(IsakmpSa& sa, bool with_initial_contact);
  // Adds [CERT,] SIG or HASH proving that we own `id_body` (RFC 2409 §5.1,
  // §5.4), whose hash is HASH_I or HASH_R by our role.
  Result<void> AddOwnAuthentication(IsakmpSa& sa, MessageBuilder& builder, ByteView id_body);
  Result<void> VerifyPeerAuth(IsakmpSa& sa, const Message& message);
  // Checks the peer's HASH, or its certificate and SIG, against the peer's
  // identity `id_body`, which `message` may not carry (Aggressive Mode
  // message 3).
  Result<void> VerifyPeerProof(IsakmpSa& sa, const Message& message, ByteView id_body);
  // Finds the peer's certificate, checks SIG_I/SIG_R with its key, its
  // chain (verify_cert) and that it carries `id`. Returns the certificate.
  Result<crypto::Certificate> VerifyPeerCertificate(const IsakmpSa& sa, const Message& message,
                                                    const IdentificationPayload& id, ByteView expected_hash);
  Result<Bytes> OwnIdentityBody(const IsakmpSa& sa) const;
  void Phase1Established(IsakmpSa& sa);
  bool IsFirstSaWith(const IsakmpSa& sa) const;

  // Encrypts the chain of `builder` with `iv` and advances `iv` to the last
  // ciphertext block (RFC 2409 Appendix B).
  Result<Bytes> Seal(const IsakmpSa& sa, const MessageBuilder& builder, Bytes& iv);
  // Decrypts `message` with `iv`. On success `next_iv` is the last
  // ciphertext block; the caller commits it only once the content checks.
  Result<Message> Open(const IsakmpSa& sa, const Message& message, ByteView iv, Bytes& next_iv);

  // ---- aggressive_mode.cc ----
  void StartAggressiveMode(const Endpoint& local, const Endpoint& remote,
                           const config::RemoteConfig& remote_config);
  void HandleAggressiveMode(const Message& message, const Endpoint& local, const Endpoint& remote,
                            ByteView datagram);
  Result<void> RespondToAggressive1(const Message& message, const Endpoint& local, const Endpoint& remote);
  Result<void> HandleAggressive2(IsakmpSa& sa, const Message& message);
  Result<void> HandleAggressive3(IsakmpSa& sa, const Message& message);
  // Reads SA, KE, nonce and ID of Aggressive Mode message 1 or 2 into `sa`.
  Result<void> ReadAggressiveOffer(IsakmpSa& sa, const Message& message);
  // After Aggressive Mode, sends INITIAL-CONTACT in a protected
  // Informational exchange, because messages 1 to 3 are not encrypted.
  void SendInitialContact(IsakmpSa& sa);

  // ---- fragmentation.cc ----
  // Reassembles an IKE fragment and handles the message once complete.
  void HandleFragment(const Endpoint& local, const Endpoint& remote, ByteView datagram);
  // Sends a phase 1 message of `sa` through SendAndRemember, split into IKE
  // fragments when ike_frag and the peer call for it.
  void SendPhase1Message(IsakmpSa& sa, Bytes bytes, bool expect_reply);
  std::vector<Bytes> FragmentsFor(const IsakmpSa& sa, ByteView bytes);
  void AddFragmentationVendorId(MessageBuilder& builder, const config::RemoteConfig& remote_config);

  // ---- quick_mode.cc ----
  void StartQuickMode(IsakmpSa& sa, const esp::AcquireRequest& request);
  // `local` and `remote` are the datagram's endpoints; after NAT-T a change
  // of the peer's port is followed once the message authenticates.
  void HandleQuickMode(IsakmpSa& sa, const Message& message, ByteView datagram, const Endpoint& local,
                       const Endpoint& remote);
  // Runs the handler of the exchange step `message` belongs to. Returns true
  // when the message authenticated and was processed.
  bool DispatchQuickMode(IsakmpSa& sa, const Message& message, ByteView datagram, const Endpoint& remote);
  // Moves `sa` to the endpoints of an authenticated message when the peer's
  // NAT mapping changed (RFC 3947 §4 lets the NAT-T port mapping move).
  void FollowPeerEndpoint(IsakmpSa& sa, const Endpoint& local, const Endpoint& remote);
  Result<void> RespondToQuickMode1(IsakmpSa& sa, const Message& encrypted, ByteView datagram);
  Result<void> HandleQuickMode2(IsakmpSa& sa, QuickModeExchange& exchange, const Message& message);
  Result<void> HandleQuickMode3(IsakmpSa& sa, QuickModeExchange& exchange, const Message& message);
  Result<void> InstallEspSas(IsakmpSa& sa, QuickModeExchange& exchange);
  esp::EspSaConfig MakeEspSaConfig(const IsakmpSa& sa, const QuickModeExchange& exchange, bool inbound);
  // Installs the responder's inbound SA ahead of HASH(3); false on failure.
  bool InstallInboundEspEarly(IsakmpSa& sa, QuickModeExchange& exchange);
  // Removes an inbound SA installed ahead of an exchange that then failed.
  void RemoveEarlyInboundEsp(QuickModeExchange& exchange);
  uint32_t NewMessageId(const IsakmpSa& sa);
  void OnPhase2Timeout(uint64_t sa_id, uint32_t message_id);
  void RetransmitPhase2(uint64_t sa_id, uint32_t message_id);
  // Keeps a finished exchange for duplicate detection until the phase 2
  // time limit passes, then erases it.
  void RetireQuickMode(IsakmpSa& sa, QuickModeExchange& exchange);
  void FailQuickMode(IsakmpSa& sa, QuickModeExchange& exchange, const std::string& reason);

  // ---- informational.cc ----
  void HandleInformational(IsakmpSa* sa, const Message& message, const Endpoint& remote);
  // Logs and counts the payloads of an Informational sent without
  // encryption. `sa` is the SA its cookies name, or null.
  void HandleUnprotectedInformational(IsakmpSa* sa, const Message& message, const Endpoint& remote);
  void HandleNotification(IsakmpSa* sa, const NotificationPayload& notification, bool authenticated,
                          const Endpoint& remote);
  void HandleDelete(IsakmpSa& sa, const DeletePayload& deletion);
  // Sends an unprotected notify during phase 1 (e.g. NO-PROPOSAL-CHOSEN).
  void SendClearNotify(const Endpoint& local, const Endpoint& remote, const Cookie& cookie_i,
                       const Cookie& cookie_r, uint16_t notify_type);
  // Sends HDR*, HASH(1), payload as a new Informational exchange.
  void SendProtectedInformational(IsakmpSa& sa, PayloadType type, Bytes body);
  // Sends a Delete through `sa` for each of `pairs` and removes them from
  // the kernel, then sends a Delete for `sa` itself.
  void SendDeletes(IsakmpSa& sa, const std::vector<InstalledEspPair>& pairs);
  // Sends a Delete for `pair` through `sa` and removes the pair.
  void SendEspDelete(IsakmpSa& sa, const InstalledEspPair& pair);
  // Removes both ESP SAs of `pair` from the kernel and from esp_pairs_.
  void DeleteEspPair(const InstalledEspPair& pair);
  // Removes the established SAs with the peer of `sa`, other than `sa`, and
  // every ESP SA not negotiated under `sa` (INITIAL-CONTACT).
  void RemoveOlderSas(IsakmpSa& sa);

  // ---- dpd.cc: Dead Peer Detection (RFC 3706) ----
  // Starts the idle check on a newly established SA when DPD applies to it.
  void StartDpd(IsakmpSa& sa);
  // Records an authenticated IKE message from the peer of `sa`.
  void NotePeerAlive(IsakmpSa& sa);
  void OnDpdIdleCheck(uint64_t sa_id);
  void OnDpdRetry(uint64_t sa_id);
  // Reads the packet counters of the inbound ESP SAs of the peer of `sa`
  // and moves `last_proof` to now when they grew since the last call.
  void CheckInboundEsp(IsakmpSa& sa);
  void SendDpdRequest(IsakmpSa& sa);
  void HandleDpdRequest(IsakmpSa& sa, const NotificationPayload& request, const Endpoint& remote);
  void HandleDpdAck(IsakmpSa& sa, const NotificationPayload& ack, const Endpoint& remote);
  // Deletes the ISAKMP SAs and ESP SAs of a peer that stopped answering, so
  // that its next outbound packet raises an ACQUIRE and renegotiates.
  void DeclarePeerDead(IsakmpSa& sa);

  // ---- rekey.cc: lifetimes of installed pairs, rekeying, duplicates ----
  // Starts the timers of a newly installed pair and retires the pairs it
  // replaces: an older generation, or the losing duplicate of a
  // simultaneous negotiation.
  void TrackNewEspPair(InstalledEspPair& pair, const QuickModeExchange& exchange);
  InstalledEspPair* FindEspPair(uint32_t inbound_spi, Ipv4Address local);
  void CancelEspPairTimers(const InstalledEspPair& pair);
  void OnEspRekeyDue(uint32_t inbound_spi, Ipv4Address local);
  void OnEspHardExpiry(uint32_t inbound_spi, Ipv4Address local);
  void Supersede(InstalledEspPair& pair, const InstalledEspPair& successor);
  void CheckRetirement(uint32_t inbound_spi, Ipv4Address local, uint32_t successor_spi, TimePoint deadline);
  // Sends a Delete for `pair` through an established ISAKMP SA with its
  // peer, if there is one, and removes the pair from the kernel.
  void DeleteEspPairAndNotify(const InstalledEspPair& pair);
  IsakmpSa* FindEstablishedSaForPair(const InstalledEspPair& pair);
  void SchedulePhase1Rekey(IsakmpSa& sa);
  // ---- isakmp_duplicates.cc: duplicate ISAKMP SAs ----
  // Retires one of `sa` and an ISAKMP SA with the same peer that came up
  // just before it, when the two are duplicates of a simultaneous Main Mode.
  void RetireDuplicateIsakmpSa(IsakmpSa& sa);
  void CheckIsakmpRetirement(uint64_t sa_id, TimePoint deadline);
  void OnPhase1RekeyDue(uint64_t sa_id);
  // Sets exchange.rekey_delay once, before the first SA of the pair goes in.
  void PrepareEspLifetime(QuickModeExchange& exchange);
  // Uses the RESPONDER-LIFETIME notify of Quick Mode message 2, when there
  // is one, to shorten the lifetime of the exchange's SAs.
  Result<void> ObeyResponderLifetime(const IsakmpSa& sa, const Message& message, QuickModeExchange& exchange);
  // Returns the RESPONDER-LIFETIME notify that carries the lifetime we
  // chose for `exchange` to the initiator.
  NotificationPayload MakeResponderLifetime(const QuickModeExchange& exchange) const;

  const config::RuntimeConfig& config_;
  TimerService& timers_;
  esp::KernelSeam& kernel_;
  DatagramSender& sender_;
  Credentials credentials_;
  IkeCounters counters_;
  std::map<uint64_t, std::unique_ptr<IsakmpSa>> sas_;
  uint64_t next_sa_id_ = 1;
  bool removal_scheduled_ = false;
  bool shut_down_ = false;
  // Peers with which an ISAKMP SA was established since start, so that
  // INITIAL-CONTACT goes only with the first one.
  std::set<Ipv4Address> peers_with_sa_;
  std::vector<InstalledEspPair> esp_pairs_;
  TimerId removal_timer_ = 0;
  KeyLog* key_log_ = nullptr;  // --keylog; not owned, null when off
  FragmentReassembler reassembler_;
  // Fragment ID of the next message we fragment. racoon sends 1 every time;
  // a new ID per message lets a receiver tell a new message from the old.
  uint16_t next_fragment_id_ = 1;
  Phase1EventHandler phase1_event_handler_;  // empty when nobody listens
  // What a reload and generate_policy need to know about an installed
  // pair beyond InstalledEspPair.
  struct PairDetails {
    // The Quick Mode IDs: subnets in tunnel mode, the two hosts otherwise.
    Ipv4Prefix local_id;
    Ipv4Prefix remote_id;
    // Generated policies the pair uses. Several pairs (after a rekey) may
    // share them, and the last one to go deletes them.
    std::vector<uint32_t> generated_policy_ids;
  };
  // Keyed by the pair's inbound SPI.
  std::map<uint32_t, PairDetails> pair_details_;

  // ---- generated_policies.cc ----
  // Installs inbound and outbound policies for the initiator's Quick Mode
  // IDs when the remote section has generate_policy and no policy of ours
  // matches them, or shares the generated ones already there.
  Result<void> GeneratePolicies(IsakmpSa& sa, QuickModeExchange& exchange, const Ipv4Prefix& local,
                                const Ipv4Prefix& remote);
  // Deletes each generated policy in `ids` that no installed pair still
  // uses, and clears `ids`.
  void ReleaseGeneratedPolicies(std::vector<uint32_t>& ids);
  // Returns true when an installed pair or a running exchange other than
  // the owner of `except` uses generated policy `id`.
  bool GeneratedPolicyInUse(uint32_t id, const std::vector<uint32_t>& except) const;

  // ---- engine_reload.cc ----
  // Returns true, and logs why, when the remote section of `peer` says
  // `passive on`, so that we never start a negotiation with it.
  bool IsPassivePeer(Ipv4Address peer) const;
  // Returns true when `next` still has a remote, a sainfo and the kernel
  // seam an outbound policy for `pair`.
  bool EspPairStillConfigured(const InstalledEspPair& pair, const config::RuntimeConfig& next) const;
  // Draws Quick Mode and Informational message IDs; tests replace it to
  // force two peers onto the same ID.
  std::function<uint32_t()> message_id_source_;
};

}  // namespace ipop::ike

#endif  // IPOP_IKE_ENGINE_H_
