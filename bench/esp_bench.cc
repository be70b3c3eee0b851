// Measures the per-packet cost of ESP: the crypto transform alone (Seal,
// Open) and the whole transport-mode path (EncapsulateTransport,
// DecapsulateTransport) for each supported algorithm and a few payload
// sizes. bench/RESULTS.md has the command and the recorded runs.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <vector>

#include "base/byte_reader.h"
#include "crypto/algorithms.h"
#include "crypto/esp_crypto.h"
#include "esp/esp_transport.h"
#include "esp/ipv4_packet.h"
#include "esp/sad.h"

namespace ipop::esp {
namespace {

struct Algorithm {
  const char* name;
  crypto::EspCipher cipher;
  size_t aes_key_bits;
  crypto::EspIntegrity integrity;
};

const Algorithm kAlgorithms[] = {
    {"3des_sha1", crypto::EspCipher::k3desCbc, 0, crypto::EspIntegrity::kHmacSha1_96},
    {"aes128cbc_sha1", crypto::EspCipher::kAesCbc, 128, crypto::EspIntegrity::kHmacSha1_96},
    {"aes256cbc_sha256", crypto::EspCipher::kAesCbc, 256,
     crypto::EspIntegrity::kHmacSha256_128},
    {"aes256cbc_sha384", crypto::EspCipher::kAesCbc, 256,
     crypto::EspIntegrity::kHmacSha384_192},
    {"aes256cbc_sha512", crypto::EspCipher::kAesCbc, 256,
     crypto::EspIntegrity::kHmacSha512_256},
    {"aes128gcm16", crypto::EspCipher::kAesGcm16, 128, crypto::EspIntegrity::kNone},
    {"aes256gcm16", crypto::EspCipher::kAesGcm16, 256, crypto::EspIntegrity::kNone},
};

EspSaConfig MakeConfig(const Algorithm& algorithm, bool inbound) {
  EspSaConfig config;
  config.spi = 0x12345678;
  config.source = Ipv4Address(0xc0a80164);       // 192.168.1.100
  config.destination = Ipv4Address(0xc0a80165);  // 192.168.1.101
  config.inbound = inbound;
  config.cipher = algorithm.cipher;
  config.aes_key_bits = algorithm.aes_key_bits;
  config.integrity = algorithm.integrity;
  // Anti-replay off, so that one packet can be decapsulated again and again.
  config.replay_window = 0;
  config.cipher_key =
      crypto::SecretBytes(crypto::EspCipherKeyLength(algorithm.cipher, algorithm.aes_key_bits));
  config.integrity_key = crypto::SecretBytes(crypto::EspIntegrityKeyLength(algorithm.integrity));
  for (size_t i = 0; i < config.cipher_key.size(); ++i) {
    config.cipher_key.mutable_view()[i] = static_cast<std::byte>(i * 5 + 1);
  }
  for (size_t i = 0; i < config.integrity_key.size(); ++i) {
    config.integrity_key.mutable_view()[i] = static_cast<std::byte>(i * 7 + 3);
  }
  return config;
}

std::shared_ptr<SecurityAssociation> MakeSa(const Algorithm& algorithm, bool inbound) {
  auto sa = SecurityAssociation::Create(MakeConfig(algorithm, inbound), 1,
                                        std::chrono::system_clock::now());
  return sa ? *sa : nullptr;
}

// Builds a UDP packet 192.168.1.100 -> 192.168.1.101 with `payload` bytes
// after the 20-byte header.
Bytes MakeInnerPacket(size_t payload) {
  Bytes packet(kIpv4MinHeaderLength + payload, std::byte{0x5a});
  MutableByteView view(packet);
  packet[0] = std::byte{0x45};
  packet[1] = std::byte{0};
  StoreU16(view.subspan(2, 2), static_cast<uint16_t>(packet.size()));
  StoreU32(view.subspan(4, 4), 0);
  packet[8] = std::byte{64};
  packet[9] = std::byte{kIpProtocolUdp};
  StoreU16(view.subspan(10, 2), 0);
  StoreU32(view.subspan(12, 4), 0xc0a80164);
  StoreU32(view.subspan(16, 4), 0xc0a80165);
  StoreU16(view.subspan(10, 2), Ipv4HeaderChecksum(view.first(kIpv4MinHeaderLength)));
  return packet;
}

// Benchmark arguments: algorithm index, payload size in bytes.
void PayloadArguments(benchmark::internal::Benchmark* benchmark) {
  for (int algorithm = 0; algorithm < static_cast<int>(std::size(kAlgorithms)); ++algorithm) {
    for (int payload : {64, 512, 1400}) {
      benchmark->Args({algorithm, payload});
    }
  }
}

// Seal alone, on an ESP packet (header through ICV) whose plaintext is
// already in place.
void BM_Seal(benchmark::State& state) {
  const Algorithm& algorithm = kAlgorithms[state.range(0)];
  auto sa = MakeSa(algorithm, false);
  const size_t payload = static_cast<size_t>(state.range(1));
  crypto::EspCrypto& crypto = sa->crypto(0);
  const size_t encrypted = (payload + 2 + crypto.block_size() - 1) / crypto.block_size() *
                           crypto.block_size();
  Bytes esp(kEspHeaderLength + crypto.iv_size() + encrypted + crypto.icv_size(), std::byte{1});
  uint32_t sequence = 0;
  for (auto _ : state) {
    StoreU32(MutableByteView(esp).subspan(4, 4), ++sequence);
    benchmark::DoNotOptimize(crypto.Seal(esp));
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload));
  state.SetLabel(algorithm.name);
}
BENCHMARK(BM_Seal)->Apply(PayloadArguments);

// Open alone. Open decrypts in place, so every iteration first restores the
// sealed packet with a memcpy of its size, and that copy is part of the time.
void BM_Open(benchmark::State& state) {
  const Algorithm& algorithm = kAlgorithms[state.range(0)];
  auto sender = MakeSa(algorithm, false);
  auto receiver = MakeSa(algorithm, true);
  const size_t payload = static_cast<size_t>(state.range(1));
  crypto::EspCrypto& seal = sender->crypto(0);
  const size_t encrypted =
      (payload + 2 + seal.block_size() - 1) / seal.block_size() * seal.block_size();
  Bytes sealed(kEspHeaderLength + seal.iv_size() + encrypted + seal.icv_size(), std::byte{1});
  StoreU32(MutableByteView(sealed).subspan(4, 4), 1);
  if (!seal.Seal(sealed)) {
    state.SkipWithError("Seal failed");
    return;
  }
  Bytes working(sealed.size());
  crypto::EspCrypto& open = receiver->crypto(0);
  for (auto _ : state) {
    std::memcpy(working.data(), sealed.data(), sealed.size());
    if (!open.Open(working)) {
      state.SkipWithError("Open rejected the packet");
      break;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload));
  state.SetLabel(algorithm.name);
}
BENCHMARK(BM_Open)->Apply(PayloadArguments);

// The whole outbound transport-mode step: header copy, padding, sequence
// number, Seal, header rewrite.
void BM_Encapsulate(benchmark::State& state) {
  const Algorithm& algorithm = kAlgorithms[state.range(0)];
  auto sa = MakeSa(algorithm, false);
  const size_t payload = static_cast<size_t>(state.range(1));
  const Bytes inner = MakeInnerPacket(payload);
  Bytes out(kIpv4MaxPacketLength);
  for (auto _ : state) {
    auto length = EncapsulateTransport(inner, *sa, 0, out);
    if (!length) {
      state.SkipWithError(DropReasonName(length.error()));
      break;
    }
    benchmark::DoNotOptimize(*length);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload));
  state.SetLabel(algorithm.name);
}
BENCHMARK(BM_Encapsulate)->Apply(PayloadArguments);

// The whole inbound step: parse, replay check, Open, commit, trailer and
// padding checks, header rebuild. Includes restoring the packet with a
// memcpy per iteration, as in BM_Open.
void BM_Decapsulate(benchmark::State& state) {
  const Algorithm& algorithm = kAlgorithms[state.range(0)];
  auto sender = MakeSa(algorithm, false);
  auto receiver = MakeSa(algorithm, true);
  const size_t payload = static_cast<size_t>(state.range(1));
  Bytes sealed(kIpv4MaxPacketLength);
  auto length = EncapsulateTransport(MakeInnerPacket(payload), *sender, 0, sealed);
  if (!length) {
    state.SkipWithError(DropReasonName(length.error()));
    return;
  }
  sealed.resize(*length);
  Bytes working(sealed.size());
  for (auto _ : state) {
    std::memcpy(working.data(), sealed.data(), sealed.size());
    auto info = ParseEspPacket(working);
    if (!info) {
      state.SkipWithError(DropReasonName(info.error()));
      break;
    }
    auto inner = DecapsulateTransport(*info, *receiver, 0, working);
    if (!inner) {
      state.SkipWithError(DropReasonName(inner.error()));
      break;
    }
    benchmark::DoNotOptimize(inner->data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload));
  state.SetLabel(algorithm.name);
}
BENCHMARK(BM_Decapsulate)->Apply(PayloadArguments);

}  // namespace
}  // namespace ipop::esp

BENCHMARK_MAIN();
