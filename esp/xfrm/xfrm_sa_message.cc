#include "esp/xfrm/xfrm_sa_message.h"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "esp/replay_window.h"
#include "esp/xfrm/netlink_attr.h"
#include "esp/xfrm/xfrm_algorithms.h"

namespace ipop::esp::xfrm {
namespace {

constexpr uint32_t kBitsPerByte = 8;
constexpr uint32_t kReplayBitmapWordBits = 32;
constexpr uint32_t kMaxSpi = 0xffffffff;

// Appends an attribute of `length` payload bytes and returns its zeroed
// payload, so that keys are written straight into the request buffer and
// never pass through a temporary copy.
std::byte* ReserveAttribute(nlmsghdr* message, uint16_t type, size_t length) {
  auto* attribute = static_cast<nlattr*>(mnl_nlmsg_get_payload_tail(message));
  const size_t attribute_length = MNL_ATTR_HDRLEN + length;
  attribute->nla_type = type;
  attribute->nla_len = static_cast<uint16_t>(attribute_length);
  auto* payload = static_cast<std::byte*>(mnl_attr_get_payload(attribute));
  std::memset(payload, 0, MNL_ALIGN(attribute_length) - MNL_ATTR_HDRLEN);
  message->nlmsg_len += MNL_ALIGN(attribute_length);
  return payload;
}

void CopyName(char (&target)[64], std::string_view name) {
  const size_t length = std::min(name.size(), sizeof(target) - 1);
  std::memcpy(target, name.data(), length);
  target[length] = '\0';
}

uint32_t ToKeyBits(ByteView key) { return static_cast<uint32_t>(key.size() * kBitsPerByte); }

Ipv4Address FromNetworkOrder(uint32_t address) { return Ipv4Address(ntohl(address)); }

std::string ReadName(const char (&name)[64]) {
  return std::string(name, strnlen(name, sizeof(name)));
}

Result<void> PutAlgorithms(nlmsghdr* message, const EspSaConfig& config) {
  auto cipher = ToKernelCipher(config.cipher);
  if (!cipher) {
    return std::unexpected(cipher.error());
  }
  if (cipher->aead) {
    PutAeadAlgorithm(message, cipher->name, config.cipher_key.view(), cipher->icv_bits);
    return {};
  }
  PutCryptAlgorithm(message, cipher->name, config.cipher_key.view());
  if (config.integrity == crypto::EspIntegrity::kNone) {
    return {};
  }
  auto integrity = ToKernelIntegrity(config.integrity);
  if (!integrity) {
    return std::unexpected(integrity.error());
  }
  PutAuthTruncAlgorithm(message, integrity->name, config.integrity_key.view(),
                        integrity->truncation_bits);
  return {};
}

xfrm_usersa_info MakeSaInfo(Ipv4Address source, Ipv4Address destination, uint32_t spi,
                            uint32_t reqid, uint8_t mode) {
  xfrm_usersa_info info{};
  // A transport-mode SA with an empty selector serves every flow between
  // its two addresses; the policies choose which flows use it.
  info.sel.family = AF_INET;
  info.id.daddr.a4 = htonl(destination.value());
  info.id.spi = htonl(spi);
  info.id.proto = kIpProtocolEsp;
  info.saddr.a4 = htonl(source.value());
  info.family = AF_INET;
  info.reqid = reqid;
  info.mode = mode;
  info.lft = MakeUnlimitedLifetime();
  // The window travels in XFRMA_REPLAY_ESN_VAL, and the kernel rejects that
  // attribute unless this legacy field is 0.
  info.replay_window = 0;
  return info;
}

}  // namespace

void PutCryptAlgorithm(nlmsghdr* message, std::string_view name, ByteView key) {
  std::byte* payload = ReserveAttribute(message, XFRMA_ALG_CRYPT, sizeof(xfrm_algo) + key.size());
  xfrm_algo header{};
  CopyName(header.alg_name, name);
  header.alg_key_len = ToKeyBits(key);
  std::memcpy(payload, &header, sizeof(header));
  std::memcpy(payload + sizeof(header), key.data(), key.size());
}

void PutAuthTruncAlgorithm(nlmsghdr* message, std::string_view name, ByteView key,
                           uint32_t truncation_bits) {
  std::byte* payload =
      ReserveAttribute(message, XFRMA_ALG_AUTH_TRUNC, sizeof(xfrm_algo_auth) + key.size());
  xfrm_algo_auth header{};
  CopyName(header.alg_name, name);
  header.alg_key_len = ToKeyBits(key);
  header.alg_trunc_len = truncation_bits;
  std::memcpy(payload, &header, sizeof(header));
  std::memcpy(payload + sizeof(header), key.data(), key.size());
}

void PutAeadAlgorithm(nlmsghdr* message, std::string_view name, ByteView key, uint32_t icv_bits) {
  std::byte* payload =
      ReserveAttribute(message, XFRMA_ALG_AEAD, sizeof(xfrm_algo_aead) + key.size());
  xfrm_algo_aead header{};
  CopyName(header.alg_name, name);
  header.alg_key_len = ToKeyBits(key);
  header.alg_icv_len = icv_bits;
  std::memcpy(payload, &header, sizeof(header));
  std::memcpy(payload + sizeof(header), key.data(), key.size());
}

void PutReplayWindow(nlmsghdr* message, uint32_t window) {
  const uint32_t words = (window + kReplayBitmapWordBits - 1) / kReplayBitmapWordBits;
  std::byte* payload = ReserveAttribute(
      message, XFRMA_REPLAY_ESN_VAL, sizeof(xfrm_replay_state_esn) + words * sizeof(uint32_t));
  xfrm_replay_state_esn state{};
  state.bmp_len = words;
  state.replay_window = window;
  std::memcpy(payload, &state, sizeof(state));
}

void PutUdpEncapsulation(nlmsghdr* message, const UdpEncapsulation& encapsulation) {
  xfrm_encap_tmpl encap{};
  encap.encap_type = kUdpEncapEspInUdp;
  encap.encap_sport = htons(encapsulation.source_port);
  encap.encap_dport = htons(encapsulation.destination_port);
  mnl_attr_put(message, XFRMA_ENCAP, sizeof(encap), &encap);
}

xfrm_lifetime_cfg MakeSaLifetime(const SaLifetime& lifetime) {
  xfrm_lifetime_cfg result = MakeUnlimitedLifetime();
  if (lifetime.soft_bytes != 0) {
    result.soft_byte_limit = lifetime.soft_bytes;
  }
  if (lifetime.hard_bytes != 0) {
    result.hard_byte_limit = lifetime.hard_bytes;
  }
  result.soft_add_expires_seconds = static_cast<uint64_t>(lifetime.soft_time.count());
  result.hard_add_expires_seconds = static_cast<uint64_t>(lifetime.hard_time.count());
  return result;
}

Result<XfrmMessage> BuildNewSa(const EspSaConfig& config, uint32_t reqid, bool update,
                               uint32_t sequence) {
  if (config.replay_window == 0) {
    return Fail(ErrorCode::kInvalidArgument,
                "replay window 0 for SPI " + std::to_string(config.spi) +
                    " would switch anti-replay off; configure 1 to " +
                    std::to_string(kMaxReplayWindow) + " packets");
  }
  if (config.replay_window > kMaxReplayWindow) {
    return Fail(ErrorCode::kInvalidArgument,
                "replay window " + std::to_string(config.replay_window) + " above the maximum " +
                    std::to_string(kMaxReplayWindow));
  }
  const uint8_t mode =
      config.mode == IpsecMode::kTunnel ? XFRM_MODE_TUNNEL : XFRM_MODE_TRANSPORT;
  XfrmMessage message(update ? XFRM_MSG_UPDSA : XFRM_MSG_NEWSA, NLM_F_REQUEST | NLM_F_ACK,
                      sequence);
  auto* info = static_cast<xfrm_usersa_info*>(
      mnl_nlmsg_put_extra_header(message.header(), sizeof(xfrm_usersa_info)));
  *info = MakeSaInfo(config.source, config.destination, config.spi, reqid, mode);
  info->lft = MakeSaLifetime(config.lifetime);

  if (auto algorithms = PutAlgorithms(message.header(), config); !algorithms) {
    return std::unexpected(algorithms.error());
  }
  PutReplayWindow(message.header(), config.replay_window);
  if (config.encapsulation) {
    PutUdpEncapsulation(message.header(), *config.encapsulation);
  }
  return message;
}

XfrmMessage BuildDeleteSa(uint32_t spi, Ipv4Address destination, uint32_t sequence) {
  XfrmMessage message(XFRM_MSG_DELSA, NLM_F_REQUEST | NLM_F_ACK, sequence);
  auto* id = static_cast<xfrm_usersa_id*>(
      mnl_nlmsg_put_extra_header(message.header(), sizeof(xfrm_usersa_id)));
  id->daddr.a4 = htonl(destination.value());
  id->spi = htonl(spi);
  id->family = AF_INET;
  id->proto = kIpProtocolEsp;
  return message;
}

XfrmMessage BuildAllocateSpi(Ipv4Address source, Ipv4Address destination, uint32_t reqid,
                             uint32_t sequence) {
  // The kernel replies with the new state, then with the acknowledgement.
  XfrmMessage message(XFRM_MSG_ALLOCSPI, NLM_F_REQUEST | NLM_F_ACK, sequence);
  auto* request = static_cast<xfrm_userspi_info*>(
      mnl_nlmsg_put_extra_header(message.header(), sizeof(xfrm_userspi_info)));
  request->info = MakeSaInfo(source, destination, 0, reqid, XFRM_MODE_TRANSPORT);
  request->min = kMinAllocatedSpi;
  request->max = kMaxSpi;
  return message;
}

XfrmMessage BuildSaDump(uint32_t sequence) {
  return XfrmMessage(XFRM_MSG_GETSA, NLM_F_REQUEST | NLM_F_DUMP, sequence);
}

namespace {

struct SaAttributes {
  const nlattr* crypt = nullptr;
  const nlattr* aead = nullptr;
  const nlattr* auth_trunc = nullptr;
  const nlattr* auth = nullptr;
  const nlattr* replay_esn = nullptr;
  const nlattr* encap = nullptr;
};

int CollectSaAttribute(const nlattr* attribute, void* data) {
  auto* parsed = static_cast<SaAttributes*>(data);
  switch (mnl_attr_get_type(attribute)) {
    case XFRMA_ALG_CRYPT:
      parsed->crypt = attribute;
      break;
    case XFRMA_ALG_AEAD:
      parsed->aead = attribute;
      break;
    case XFRMA_ALG_AUTH_TRUNC:
      parsed->auth_trunc = attribute;
      break;
    case XFRMA_ALG_AUTH:
      parsed->auth = attribute;
      break;
    case XFRMA_REPLAY_ESN_VAL:
      parsed->replay_esn = attribute;
      break;
    case XFRMA_ENCAP:
      parsed->encap = attribute;
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

// Copies the fixed-size head of an attribute's payload into `value`, after
// checking that the payload is long enough.
template <typename T>
Result<void> ReadAttributeHead(const nlattr* attribute, const char* what, T& value) {
  if (mnl_attr_get_payload_len(attribute) < sizeof(T)) {
    return Fail(ErrorCode::kTruncated, std::string(what) + " shorter than its struct (" +
                                           std::to_string(mnl_attr_get_payload_len(attribute)) +
                                           " < " + std::to_string(sizeof(T)) + ")");
  }
  std::memcpy(&value, mnl_attr_get_payload(attribute), sizeof(T));
  return {};
}

Result<void> ReadSaAttributes(const SaAttributes& attributes, KernelSa& sa) {
  if (attributes.aead != nullptr) {
    xfrm_algo_aead aead{};
    if (auto read = ReadAttributeHead(attributes.aead, "XFRMA_ALG_AEAD", aead); !read) {
      return read;
    }
    sa.cipher_name = ReadName(aead.alg_name);
    sa.icv_bits = aead.alg_icv_len;
  }
  if (attributes.crypt != nullptr) {
    xfrm_algo crypt{};
    if (auto read = ReadAttributeHead(attributes.crypt, "XFRMA_ALG_CRYPT", crypt); !read) {
      return read;
    }
    sa.cipher_name = ReadName(crypt.alg_name);
  }
  if (attributes.auth_trunc != nullptr) {
    xfrm_algo_auth auth{};
    if (auto read = ReadAttributeHead(attributes.auth_trunc, "XFRMA_ALG_AUTH_TRUNC", auth); !read) {
      return read;
    }
    sa.integrity_name = ReadName(auth.alg_name);
    sa.icv_bits = auth.alg_trunc_len;
  } else if (attributes.auth != nullptr) {
    xfrm_algo auth{};
    if (auto read = ReadAttributeHead(attributes.auth, "XFRMA_ALG_AUTH", auth); !read) {
      return read;
    }
    sa.integrity_name = ReadName(auth.alg_name);
  }
  if (attributes.replay_esn != nullptr) {
    xfrm_replay_state_esn replay{};
    if (auto read = ReadAttributeHead(attributes.replay_esn, "XFRMA_REPLAY_ESN_VAL", replay);
        !read) {
      return read;
    }
    sa.replay_window = replay.replay_window;
  }
  if (attributes.encap != nullptr) {
    xfrm_encap_tmpl encap{};
    if (auto read = ReadAttributeHead(attributes.encap, "XFRMA_ENCAP", encap); !read) {
      return read;
    }
    sa.encapsulation =
        UdpEncapsulation{.source_port = ntohs(encap.encap_sport),
                         .destination_port = ntohs(encap.encap_dport)};
  }
  return {};
}

// Checks the message type and length and copies its fixed header.
template <typename T>
Result<T> ReadMessageHead(const nlmsghdr* message, uint16_t expected_type,
                          uint16_t other_type, const char* what) {
  if (message->nlmsg_type != expected_type && message->nlmsg_type != other_type) {
    return Fail(ErrorCode::kMalformed, std::string("not ") + what + " (type " +
                                           std::to_string(message->nlmsg_type) + ")");
  }
  if (mnl_nlmsg_get_payload_len(message) < sizeof(T)) {
    return Fail(ErrorCode::kTruncated, std::string(what) + " shorter than its struct (" +
                                           std::to_string(mnl_nlmsg_get_payload_len(message)) +
                                           " < " + std::to_string(sizeof(T)) + ")");
  }
  T value{};
  std::memcpy(&value, mnl_nlmsg_get_payload(message), sizeof(T));
  return value;
}

}  // namespace

Result<KernelSa> ParseSaMessage(const nlmsghdr* message) {
  auto info = ReadMessageHead<xfrm_usersa_info>(message, XFRM_MSG_NEWSA, XFRM_MSG_UPDSA,
                                                "an SA message");
  if (!info) {
    return std::unexpected(info.error());
  }
  SaAttributes attributes;
  if (mnl_attr_parse(message, sizeof(xfrm_usersa_info), CollectSaAttribute, &attributes) <
      MNL_CB_STOP) {
    return Fail(ErrorCode::kMalformed, "invalid attribute in SA message");
  }

  KernelSa sa;
  sa.spi = ntohl(info->id.spi);
  sa.protocol = info->id.proto;
  sa.source = FromNetworkOrder(info->saddr.a4);
  sa.destination = FromNetworkOrder(info->id.daddr.a4);
  sa.reqid = info->reqid;
  sa.mode = info->mode;
  sa.replay_window = info->replay_window;
  sa.lifetime = info->lft;
  sa.current = info->curlft;
  sa.stats = info->stats;
  if (auto read = ReadSaAttributes(attributes, sa); !read) {
    return std::unexpected(read.error());
  }
  return sa;
}

Result<KernelAcquire> ParseAcquireMessage(const nlmsghdr* message) {
  auto acquire = ReadMessageHead<xfrm_user_acquire>(message, XFRM_MSG_ACQUIRE, XFRM_MSG_ACQUIRE,
                                                    "an ACQUIRE message");
  if (!acquire) {
    return std::unexpected(acquire.error());
  }
  KernelAcquire result;
  // For transport mode the template leaves the SA addresses open, and the
  // kernel fills them from the flow: id.daddr and saddr are the packet's.
  result.source = FromNetworkOrder(acquire->saddr.a4);
  result.destination = FromNetworkOrder(acquire->id.daddr.a4);
  result.protocol = acquire->sel.proto;
  result.policy_index = acquire->policy.index;
  result.policy_direction = acquire->policy.dir;
  return result;
}

Result<SaExpire> ParseExpireMessage(const nlmsghdr* message) {
  auto expire = ReadMessageHead<xfrm_user_expire>(message, XFRM_MSG_EXPIRE, XFRM_MSG_EXPIRE,
                                                  "an EXPIRE message");
  if (!expire) {
    return std::unexpected(expire.error());
  }
  return SaExpire{.spi = ntohl(expire->state.id.spi),
                  .destination = FromNetworkOrder(expire->state.id.daddr.a4),
                  .hard = expire->hard != 0};
}

}  // namespace ipop::esp::xfrm
