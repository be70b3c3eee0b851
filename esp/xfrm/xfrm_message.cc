#include "esp/xfrm/xfrm_message.h"

#include <libmnl/libmnl.h>

#include <cstring>
#include <string>

#include "crypto/secret.h"
#include "esp/xfrm/netlink_attr.h"

namespace ipop::esp::xfrm {
namespace {

struct ParsedAttributes {
  const nlattr* tmpl = nullptr;
  const nlattr* policy_type = nullptr;
  bool has_mark_or_interface = false;
};

int CollectAttribute(const nlattr* attribute, void* data) {
  auto* parsed = static_cast<ParsedAttributes*>(data);
  switch (mnl_attr_get_type(attribute)) {
    case XFRMA_TMPL:
      parsed->tmpl = attribute;
      break;
    case XFRMA_POLICY_TYPE:
      parsed->policy_type = attribute;
      break;
    case XFRMA_MARK:
    case XFRMA_IF_ID:
      parsed->has_mark_or_interface = true;
      break;
    default:
      break;
  }
  return MNL_CB_OK;
}

// Reads the first ESP template of XFRMA_TMPL, if any. A policy whose
// templates are all for other protocols (AH, IPComp) reads as one without.
std::optional<xfrm_user_tmpl> ReadEspTemplate(const nlattr* attribute) {
  const size_t length = mnl_attr_get_payload_len(attribute);
  const auto* payload = static_cast<const std::byte*>(mnl_attr_get_payload(attribute));
  for (size_t offset = 0; offset + sizeof(xfrm_user_tmpl) <= length;
       offset += sizeof(xfrm_user_tmpl)) {
    xfrm_user_tmpl tmpl{};
    std::memcpy(&tmpl, payload + offset, sizeof(tmpl));
    if (tmpl.id.proto == kIpProtocolEsp) {
      return tmpl;
    }
  }
  return std::nullopt;
}

}  // namespace

XfrmMessage::XfrmMessage(uint16_t type, uint16_t flags, uint32_t sequence) {
  header_ = mnl_nlmsg_put_header(buffer_.data());
  header_->nlmsg_type = type;
  header_->nlmsg_flags = flags;
  header_->nlmsg_seq = sequence;
}

XfrmMessage::XfrmMessage(const XfrmMessage& other) : buffer_(other.buffer_) {
  header_ = reinterpret_cast<nlmsghdr*>(buffer_.data());
}

XfrmMessage& XfrmMessage::operator=(const XfrmMessage& other) {
  buffer_ = other.buffer_;
  header_ = reinterpret_cast<nlmsghdr*>(buffer_.data());
  return *this;
}

XfrmMessage::~XfrmMessage() { crypto::Wipe(buffer_); }

void XfrmMessage::Wipe() {
  const uint16_t type = header_->nlmsg_type;
  const uint16_t flags = header_->nlmsg_flags;
  const uint32_t sequence = header_->nlmsg_seq;
  crypto::Wipe(buffer_);
  header_ = mnl_nlmsg_put_header(buffer_.data());
  header_->nlmsg_type = type;
  header_->nlmsg_flags = flags;
  header_->nlmsg_seq = sequence;
}

ByteView XfrmMessage::bytes() const { return ByteView(buffer_.data(), header_->nlmsg_len); }

XfrmMessage BuildUpdatePolicy(const KernelPolicy& policy, uint32_t sequence) {
  XfrmMessage message(XFRM_MSG_UPDPOLICY, NLM_F_REQUEST | NLM_F_ACK, sequence);
  auto* info = static_cast<xfrm_userpolicy_info*>(
      mnl_nlmsg_put_extra_header(message.header(), sizeof(xfrm_userpolicy_info)));
  info->sel = policy.selector;
  info->lft = MakeUnlimitedLifetime();
  info->priority = policy.priority;
  info->index = policy.index;
  info->dir = policy.direction;
  info->action = policy.action;
  info->share = XFRM_SHARE_ANY;

  if (policy.esp_template) {
    PutTemplate(message.header(), *policy.esp_template);
  }
  PutPolicyType(message.header(), policy.type);
  return message;
}

XfrmMessage BuildDeletePolicy(uint32_t index, uint8_t direction, uint8_t type,
                              uint32_t sequence) {
  XfrmMessage message(XFRM_MSG_DELPOLICY, NLM_F_REQUEST | NLM_F_ACK, sequence);
  auto* id = static_cast<xfrm_userpolicy_id*>(
      mnl_nlmsg_put_extra_header(message.header(), sizeof(xfrm_userpolicy_id)));
  id->index = index;
  id->dir = direction;
  PutPolicyType(message.header(), type);
  return message;
}

XfrmMessage BuildPolicyDump(uint32_t sequence) {
  return XfrmMessage(XFRM_MSG_GETPOLICY, NLM_F_REQUEST | NLM_F_DUMP, sequence);
}

Result<KernelPolicy> ParsePolicyMessage(const nlmsghdr* message) {
  if (message->nlmsg_type != XFRM_MSG_NEWPOLICY && message->nlmsg_type != XFRM_MSG_UPDPOLICY) {
    return Fail(ErrorCode::kMalformed,
                "not a policy message (type " + std::to_string(message->nlmsg_type) + ")");
  }
  if (mnl_nlmsg_get_payload_len(message) < sizeof(xfrm_userpolicy_info)) {
    return Fail(ErrorCode::kTruncated, "policy message shorter than xfrm_userpolicy_info (" +
                                           std::to_string(mnl_nlmsg_get_payload_len(message)) +
                                           " < " + std::to_string(sizeof(xfrm_userpolicy_info)) +
                                           ")");
  }
  xfrm_userpolicy_info info{};
  std::memcpy(&info, mnl_nlmsg_get_payload(message), sizeof(info));

  ParsedAttributes attributes;
  if (mnl_attr_parse(message, sizeof(xfrm_userpolicy_info), CollectAttribute, &attributes) <
      MNL_CB_STOP) {
    return Fail(ErrorCode::kMalformed, "invalid attribute in policy message");
  }

  KernelPolicy policy;
  policy.selector = info.sel;
  policy.direction = info.dir;
  policy.action = info.action;
  policy.priority = info.priority;
  policy.index = info.index;
  policy.has_mark_or_interface = attributes.has_mark_or_interface;
  if (attributes.tmpl != nullptr) {
    policy.esp_template = ReadEspTemplate(attributes.tmpl);
  }
  if (attributes.policy_type != nullptr) {
    if (mnl_attr_get_payload_len(attributes.policy_type) < sizeof(xfrm_userpolicy_type)) {
      return Fail(ErrorCode::kTruncated, "XFRMA_POLICY_TYPE shorter than xfrm_userpolicy_type");
    }
    xfrm_userpolicy_type type{};
    std::memcpy(&type, mnl_attr_get_payload(attributes.policy_type), sizeof(type));
    policy.type = type.type;
  }
  return policy;
}

}  // namespace ipop::esp::xfrm
