#include "esp/datapath.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <string>

#include "base/log.h"
#include "esp/datapath_worker.h"

namespace ipop::esp {

uint64_t DatapathStatistics::total_drops() const {
  uint64_t total = 0;
  for (uint64_t count : drops) {
    total += count;
  }
  return total;
}

DatapathStatistics DatapathCounters::Read() const {
  DatapathStatistics statistics;
  statistics.tun_packets_read = tun_packets_read.load(std::memory_order_relaxed);
  statistics.esp_packets_sent = esp_packets_sent.load(std::memory_order_relaxed);
  statistics.esp_packets_received = esp_packets_received.load(std::memory_order_relaxed);
  statistics.tun_packets_written = tun_packets_written.load(std::memory_order_relaxed);
  statistics.acquires_requested = acquires_requested.load(std::memory_order_relaxed);
  statistics.packets_held = packets_held.load(std::memory_order_relaxed);
  statistics.held_packets_sent = held_packets_sent.load(std::memory_order_relaxed);
  statistics.natt_ike_received = natt_ike_received.load(std::memory_order_relaxed);
  statistics.natt_keepalives_received = natt_keepalives_received.load(std::memory_order_relaxed);
  statistics.peer_endpoint_changes = peer_endpoint_changes.load(std::memory_order_relaxed);
  for (size_t i = 0; i < kDropReasonCount; ++i) {
    statistics.drops[i] = drops[i].load(std::memory_order_relaxed);
  }
  return statistics;
}

Datapath::Datapath(UserspaceBackend& backend, std::vector<PacketIo*> ios, DatapathOptions options)
    : backend_(backend),
      options_(std::move(options)),
      flows_(options_.max_flows, options_.flow_idle_timeout) {
  if (!options_.now) {
    options_.now = [] { return Clock::now(); };
  }
  // NOTE: a worker index beyond backend.worker_count() would have no crypto
  // context; the extra PacketIo objects are ignored.
  const size_t count = std::min(ios.size(), backend_.worker_count());
  for (size_t i = 0; i < count; ++i) {
    workers_.push_back(
        std::make_unique<DatapathWorker>(backend_, *ios[i], i, options_, counters_, flows_));
  }
  backend_.set_snapshot_listener([this] { WakeWorkers(); });
}

Datapath::~Datapath() {
  Stop();
  backend_.set_snapshot_listener(nullptr);
}

Result<void> Datapath::Start() {
  if (!threads_.empty()) {
    return Fail(ErrorCode::kInvalidState, "datapath already started");
  }
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    return Fail(ErrorCode::kSystem, std::string("eventfd failed: ") + std::strerror(errno));
  }
  for (auto& worker : workers_) {
    if (!worker->OpenWakeFd()) {
      const int error = errno;
      Stop();
      return Fail(ErrorCode::kSystem, std::string("eventfd failed: ") + std::strerror(error));
    }
  }
  for (auto& worker : workers_) {
    DatapathWorker* raw = worker.get();
    const int stop_fd = stop_fd_;
    threads_.emplace_back([raw, stop_fd] { raw->Run(stop_fd); });
  }
  IPOP_LOG(kInfo) << "userspace ESP datapath started with " << workers_.size() << " worker(s)";
  return {};
}

void Datapath::Stop() {
  if (stop_fd_ < 0) {
    return;
  }
  const uint64_t one = 1;
  if (write(stop_fd_, &one, sizeof(one)) != sizeof(one)) {
    IPOP_LOG(kError) << "cannot signal datapath workers to stop: " << std::strerror(errno);
  }
  for (auto& thread : threads_) {
    thread.join();
  }
  const bool was_running = !threads_.empty();
  threads_.clear();
  close(stop_fd_);
  stop_fd_ = -1;
  if (was_running) {
    IPOP_LOG(kInfo) << "userspace ESP datapath stopped";
  }
}

void Datapath::WakeWorkers() {
  for (auto& worker : workers_) {
    worker->Wake();
  }
}

}  // namespace ipop::esp
