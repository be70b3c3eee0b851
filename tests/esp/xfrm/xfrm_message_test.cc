#include "esp/xfrm/xfrm_message.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <libmnl/libmnl.h>
#include <sys/socket.h>

#include <array>
#include <cstring>
#include <map>
#include <vector>

#include "esp/xfrm/netlink_attr.h"

namespace ipop::esp::xfrm {
namespace {

// Every attribute of a message, decoded with libmnl, by type.
using AttributeMap = std::map<uint16_t, std::vector<const nlattr*>>;

int CollectAll(const nlattr* attribute, void* data) {
  (*static_cast<AttributeMap*>(data))[mnl_attr_get_type(attribute)].push_back(attribute);
  return MNL_CB_OK;
}

AttributeMap DecodeAttributes(const nlmsghdr* message, size_t body_size) {
  AttributeMap attributes;
  EXPECT_EQ(mnl_attr_parse(message, body_size, CollectAll, &attributes), MNL_CB_OK);
  return attributes;
}

KernelPolicy MakeRequireOutPolicy() {
  KernelPolicy policy;
  Selector selector;
  selector.source = Ipv4Prefix{*Ipv4Address::Parse("192.168.1.100"), 32};
  selector.destination = Ipv4Prefix{*Ipv4Address::Parse("192.168.0.0"), 16};
  policy.selector = MakeSelector(selector);
  policy.direction = XFRM_POLICY_OUT;
  policy.action = XFRM_POLICY_ALLOW;
  policy.priority = 0x40000002;
  policy.index = 0x49500011;
  policy.esp_template = MakeRequiredEspTransportTemplate();
  return policy;
}

TEST(XfrmMessage, UpdatePolicyHeader) {
  const XfrmMessage message = BuildUpdatePolicy(MakeRequireOutPolicy(), 77);
  const nlmsghdr* header = message.header();

  EXPECT_EQ(header->nlmsg_type, XFRM_MSG_UPDPOLICY);
  EXPECT_EQ(header->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(header->nlmsg_seq, 77u);
  EXPECT_EQ(header->nlmsg_len, message.bytes().size());
  // Header, body, XFRMA_TMPL and XFRMA_POLICY_TYPE, each 4-byte aligned.
  EXPECT_EQ(header->nlmsg_len, NLMSG_ALIGN(sizeof(nlmsghdr)) +
                                   NLMSG_ALIGN(sizeof(xfrm_userpolicy_info)) +
                                   NLA_ALIGN(NLA_HDRLEN + sizeof(xfrm_user_tmpl)) +
                                   NLA_ALIGN(NLA_HDRLEN + sizeof(xfrm_userpolicy_type)));
}

TEST(XfrmMessage, UpdatePolicyBody) {
  const XfrmMessage message = BuildUpdatePolicy(MakeRequireOutPolicy(), 1);
  ASSERT_GE(mnl_nlmsg_get_payload_len(message.header()), sizeof(xfrm_userpolicy_info));
  xfrm_userpolicy_info info{};
  std::memcpy(&info, mnl_nlmsg_get_payload(message.header()), sizeof(info));

  in_addr source{};
  in_addr destination{};
  ASSERT_EQ(inet_pton(AF_INET, "192.168.1.100", &source), 1);
  ASSERT_EQ(inet_pton(AF_INET, "192.168.0.0", &destination), 1);
  EXPECT_EQ(info.sel.saddr.a4, source.s_addr);
  EXPECT_EQ(info.sel.daddr.a4, destination.s_addr);
  EXPECT_EQ(info.sel.prefixlen_s, 32);
  EXPECT_EQ(info.sel.prefixlen_d, 16);
  EXPECT_EQ(info.sel.family, AF_INET);
  EXPECT_EQ(info.dir, XFRM_POLICY_OUT);
  EXPECT_EQ(info.action, XFRM_POLICY_ALLOW);
  EXPECT_EQ(info.priority, 0x40000002u);
  EXPECT_EQ(info.index, 0x49500011u);
  EXPECT_EQ(info.share, XFRM_SHARE_ANY);
  EXPECT_EQ(info.flags, 0);
  EXPECT_EQ(info.lft.hard_byte_limit, XFRM_INF);
  EXPECT_EQ(info.lft.hard_add_expires_seconds, 0u);
}

TEST(XfrmMessage, UpdatePolicyAttributes) {
  const XfrmMessage message = BuildUpdatePolicy(MakeRequireOutPolicy(), 1);
  AttributeMap attributes = DecodeAttributes(message.header(), sizeof(xfrm_userpolicy_info));

  EXPECT_EQ(attributes.size(), 2u);
  ASSERT_EQ(attributes[XFRMA_TMPL].size(), 1u);
  const nlattr* tmpl_attribute = attributes[XFRMA_TMPL][0];
  ASSERT_EQ(mnl_attr_get_payload_len(tmpl_attribute), sizeof(xfrm_user_tmpl));
  xfrm_user_tmpl tmpl{};
  std::memcpy(&tmpl, mnl_attr_get_payload(tmpl_attribute), sizeof(tmpl));
  EXPECT_EQ(tmpl.id.proto, IPPROTO_ESP);
  EXPECT_EQ(tmpl.mode, XFRM_MODE_TRANSPORT);
  EXPECT_EQ(tmpl.optional, 0);
  EXPECT_EQ(tmpl.family, AF_INET);
  EXPECT_EQ(tmpl.ealgos, 0xffffffffu);

  ASSERT_EQ(attributes[XFRMA_POLICY_TYPE].size(), 1u);
  const nlattr* type_attribute = attributes[XFRMA_POLICY_TYPE][0];
  ASSERT_EQ(mnl_attr_get_payload_len(type_attribute), sizeof(xfrm_userpolicy_type));
  xfrm_userpolicy_type type{};
  std::memcpy(&type, mnl_attr_get_payload(type_attribute), sizeof(type));
  EXPECT_EQ(type.type, XFRM_POLICY_TYPE_MAIN);
}

TEST(XfrmMessage, AllowPolicyHasNoTemplate) {
  KernelPolicy policy = MakeRequireOutPolicy();
  policy.esp_template.reset();
  const XfrmMessage message = BuildUpdatePolicy(policy, 1);
  AttributeMap attributes = DecodeAttributes(message.header(), sizeof(xfrm_userpolicy_info));

  EXPECT_EQ(attributes.count(XFRMA_TMPL), 0u);
  EXPECT_EQ(attributes.count(XFRMA_POLICY_TYPE), 1u);
}

TEST(XfrmMessage, BlockPolicyAction) {
  KernelPolicy policy = MakeRequireOutPolicy();
  policy.action = XFRM_POLICY_BLOCK;
  policy.esp_template.reset();
  const XfrmMessage message = BuildUpdatePolicy(policy, 1);
  xfrm_userpolicy_info info{};
  std::memcpy(&info, mnl_nlmsg_get_payload(message.header()), sizeof(info));

  EXPECT_EQ(info.action, XFRM_POLICY_BLOCK);
}

TEST(XfrmMessage, DeletePolicyByIndex) {
  const XfrmMessage message =
      BuildDeletePolicy(0x49500008, XFRM_POLICY_IN, XFRM_POLICY_TYPE_MAIN, 9);
  const nlmsghdr* header = message.header();

  EXPECT_EQ(header->nlmsg_type, XFRM_MSG_DELPOLICY);
  EXPECT_EQ(header->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  EXPECT_EQ(header->nlmsg_seq, 9u);
  ASSERT_GE(mnl_nlmsg_get_payload_len(header), sizeof(xfrm_userpolicy_id));
  xfrm_userpolicy_id id{};
  std::memcpy(&id, mnl_nlmsg_get_payload(header), sizeof(id));
  EXPECT_EQ(id.index, 0x49500008u);
  EXPECT_EQ(id.dir, XFRM_POLICY_IN);

  AttributeMap attributes = DecodeAttributes(header, sizeof(xfrm_userpolicy_id));
  EXPECT_EQ(attributes.size(), 1u);
  EXPECT_EQ(attributes.count(XFRMA_POLICY_TYPE), 1u);
}

TEST(XfrmMessage, PolicyDumpRequest) {
  const XfrmMessage message = BuildPolicyDump(4);
  const nlmsghdr* header = message.header();

  EXPECT_EQ(header->nlmsg_type, XFRM_MSG_GETPOLICY);
  EXPECT_EQ(header->nlmsg_flags, NLM_F_REQUEST | NLM_F_DUMP);
  EXPECT_EQ(header->nlmsg_seq, 4u);
  EXPECT_EQ(header->nlmsg_len, NLMSG_HDRLEN);
}

// A policy as the kernel reports it in a dump: XFRM_MSG_NEWPOLICY with the
// body, templates, the policy type and, for marked policies, XFRMA_MARK.
// Built here with libmnl directly, not with the code under test.
struct KernelReport {
  alignas(nlmsghdr) std::array<std::byte, 1024> buffer{};
  nlmsghdr* header = nullptr;
};

void BuildKernelReport(KernelReport& report, const xfrm_userpolicy_info& info,
                       const std::vector<xfrm_user_tmpl>& templates, bool with_mark) {
  report.header = mnl_nlmsg_put_header(report.buffer.data());
  report.header->nlmsg_type = XFRM_MSG_NEWPOLICY;
  void* body = mnl_nlmsg_put_extra_header(report.header, sizeof(info));
  std::memcpy(body, &info, sizeof(info));
  if (!templates.empty()) {
    mnl_attr_put(report.header, XFRMA_TMPL, templates.size() * sizeof(xfrm_user_tmpl),
                 templates.data());
  }
  xfrm_userpolicy_type type{};
  type.type = XFRM_POLICY_TYPE_MAIN;
  mnl_attr_put(report.header, XFRMA_POLICY_TYPE, sizeof(type), &type);
  if (with_mark) {
    xfrm_mark mark{};
    mark.v = 1;
    mark.m = 0xff;
    mnl_attr_put(report.header, XFRMA_MARK, sizeof(mark), &mark);
  }
}

xfrm_userpolicy_info MakeReportedInfo() {
  xfrm_userpolicy_info info{};
  info.sel.family = AF_INET;
  info.sel.prefixlen_s = 24;
  info.sel.prefixlen_d = 24;
  EXPECT_EQ(inet_pton(AF_INET, "10.91.0.0", &info.sel.saddr.a4), 1);
  EXPECT_EQ(inet_pton(AF_INET, "10.92.0.0", &info.sel.daddr.a4), 1);
  info.dir = XFRM_POLICY_IN;
  info.action = XFRM_POLICY_ALLOW;
  info.priority = 12;
  info.index = 0x49500008;
  return info;
}

TEST(XfrmMessage, ParseReportedPolicy) {
  xfrm_user_tmpl ah{};
  ah.id.proto = IPPROTO_AH;
  const xfrm_user_tmpl esp = MakeRequiredEspTransportTemplate();
  KernelReport report;
  BuildKernelReport(report, MakeReportedInfo(), {ah, esp}, false);

  Result<KernelPolicy> policy = ParsePolicyMessage(report.header);

  ASSERT_TRUE(policy.has_value()) << ToString(policy.error());
  EXPECT_EQ(policy->direction, XFRM_POLICY_IN);
  EXPECT_EQ(policy->action, XFRM_POLICY_ALLOW);
  EXPECT_EQ(policy->priority, 12u);
  EXPECT_EQ(policy->index, 0x49500008u);
  EXPECT_EQ(policy->type, XFRM_POLICY_TYPE_MAIN);
  EXPECT_EQ(DescribeSelector(policy->selector), "10.91.0.0/24[any] -> 10.92.0.0/24[any] proto any");
  ASSERT_TRUE(policy->esp_template.has_value());
  EXPECT_EQ(policy->esp_template->id.proto, IPPROTO_ESP);
  EXPECT_FALSE(policy->has_mark_or_interface);
}

TEST(XfrmMessage, ParseMarkedPolicyWithoutTemplate) {
  KernelReport report;
  BuildKernelReport(report, MakeReportedInfo(), {}, true);

  Result<KernelPolicy> policy = ParsePolicyMessage(report.header);

  ASSERT_TRUE(policy.has_value()) << ToString(policy.error());
  EXPECT_FALSE(policy->esp_template.has_value());
  EXPECT_TRUE(policy->has_mark_or_interface);
}

TEST(XfrmMessage, ParseRoundTripOfUpdate) {
  const KernelPolicy original = MakeRequireOutPolicy();
  XfrmMessage message = BuildUpdatePolicy(original, 1);

  Result<KernelPolicy> parsed = ParsePolicyMessage(message.header());

  ASSERT_TRUE(parsed.has_value()) << ToString(parsed.error());
  EXPECT_TRUE(SameSelector(parsed->selector, original.selector));
  EXPECT_EQ(parsed->index, original.index);
  EXPECT_EQ(parsed->priority, original.priority);
  EXPECT_TRUE(parsed->esp_template.has_value());
}

TEST(XfrmMessage, ParseRejectsOtherTypes) {
  const XfrmMessage message = BuildDeletePolicy(8, XFRM_POLICY_IN, XFRM_POLICY_TYPE_MAIN, 1);

  Result<KernelPolicy> policy = ParsePolicyMessage(message.header());

  ASSERT_FALSE(policy.has_value());
  EXPECT_EQ(policy.error().code, ErrorCode::kMalformed);
}

TEST(XfrmMessage, ParseRejectsEveryTruncatedBody) {
  KernelReport report;
  BuildKernelReport(report, MakeReportedInfo(), {}, false);
  const uint32_t full_length = report.header->nlmsg_len;

  for (uint32_t body = 0; body < sizeof(xfrm_userpolicy_info); ++body) {
    report.header->nlmsg_len = NLMSG_HDRLEN + body;
    Result<KernelPolicy> policy = ParsePolicyMessage(report.header);
    ASSERT_FALSE(policy.has_value()) << "body of " << body << " bytes";
    EXPECT_EQ(policy.error().code, ErrorCode::kTruncated) << "body of " << body << " bytes";
  }
  report.header->nlmsg_len = full_length;
  EXPECT_TRUE(ParsePolicyMessage(report.header).has_value());
}

}  // namespace
}  // namespace ipop::esp::xfrm
