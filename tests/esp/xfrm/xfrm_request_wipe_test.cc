// RequestAndWipe against a real kernel, in a private network namespace that
// a forked child creates with unshare(CLONE_NEWNET), so nothing reaches the
// host's XFRM tables. Skipped without the privilege to create one.
#include <gtest/gtest.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "esp/xfrm/xfrm_sa_message.h"
#include "esp/xfrm/xfrm_socket.h"

namespace ipop::esp::xfrm {
namespace {

constexpr int kChildSkipped = 77;
constexpr int kChildKeysLeft = 1;
constexpr int kChildSetupFailed = 2;

bool Contains(const std::byte* begin, const std::byte* end, ByteView needle) {
  return std::search(begin, end, needle.begin(), needle.end()) != end;
}

// Runs in the child: sends one keyed NEWSA and reports whether any key byte
// pattern is still in the request buffer afterwards.
int SendKeyedRequestInPrivateNamespace() {
  if (unshare(CLONE_NEWNET) != 0) {
    return kChildSkipped;
  }
  auto socket = XfrmSocket::Open();
  if (!socket) {
    return kChildSetupFailed;
  }
  EspSaConfig config;
  config.spi = 0x2000;
  config.source = Ipv4Address(0x0a000001);
  config.destination = Ipv4Address(0x0a000002);
  config.cipher = crypto::EspCipher::kAesCbc;
  config.aes_key_bits = 128;
  config.integrity = crypto::EspIntegrity::kHmacSha1_96;
  config.cipher_key = crypto::SecretBytes(16);
  config.integrity_key = crypto::SecretBytes(20);
  std::ranges::fill(config.cipher_key.mutable_view(), std::byte{0xa5});
  std::ranges::fill(config.integrity_key.mutable_view(), std::byte{0x5a});

  auto request = BuildNewSa(config, 0, false, socket->NextSequence());
  if (!request) {
    return kChildSetupFailed;
  }
  const auto* begin = reinterpret_cast<const std::byte*>(request->header());
  const std::byte* end = begin + XfrmMessage::kBufferSize;
  if (!Contains(begin, end, config.cipher_key.view())) {
    return kChildSetupFailed;
  }
  // The kernel may accept or reject the SA; the buffer must be wiped either way.
  (void)socket->RequestAndWipe(*request);
  const bool keys_left = Contains(begin, end, config.cipher_key.view()) ||
                         Contains(begin, end, config.integrity_key.view());
  return keys_left ? kChildKeysLeft : 0;
}

TEST(XfrmRequestWipe, KeysGoneAfterSend) {
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    _exit(SendKeyedRequestInPrivateNamespace());
  }
  int status = 0;
  ASSERT_EQ(waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFEXITED(status));
  if (WEXITSTATUS(status) == kChildSkipped) {
    GTEST_SKIP() << "cannot create a network namespace (needs CAP_SYS_ADMIN)";
  }
  EXPECT_NE(WEXITSTATUS(status), kChildSetupFailed) << "child could not build or open the socket";
  EXPECT_NE(WEXITSTATUS(status), kChildKeysLeft) << "key bytes remained in the sent request";
  EXPECT_EQ(WEXITSTATUS(status), 0);
}

}  // namespace
}  // namespace ipop::esp::xfrm
