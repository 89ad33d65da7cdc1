// File: bench/tcp_relay.h
//
// TcpRelay: a byte-counting TCP relay on 127.0.0.1 for benchmarks. Every connection made to its
// port is forwarded to a target port on 127.0.0.1, and the bytes that cross it are counted in
// each direction: what a client really puts on the wire (HTTP request lines, headers, signatures
// and bodies) and what comes back, without touching client or server.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<lmc::bench::TcpRelay>> relay =
//       lmc::bench::TcpRelay::Start(service_port);
//   // point the client at http://127.0.0.1:(*relay)->port()
//   uint64_t sent = (*relay)->upstream_bytes();
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "lmc/mutex.h"

namespace lmc::bench {

// TcpRelay
//
// Thread-safe. One thread accepts; each connection has a thread of its own. The destructor
// closes the listener and every connection and joins every thread.
class TcpRelay {
 public:
  static absl::StatusOr<std::unique_ptr<TcpRelay>> Start(int target_port);
  ~TcpRelay();
  TcpRelay(const TcpRelay&) = delete;
  TcpRelay& operator=(const TcpRelay&) = delete;

  int port() const { return port_; }
  uint64_t upstream_bytes() const { return upstream_.load(); }      // client -> target
  uint64_t downstream_bytes() const { return downstream_.load(); }  // target -> client
  uint64_t connections() const { return connections_.load(); }

 private:
  TcpRelay(int listen_fd, int port, int target_port);
  void AcceptLoop();
  // Forwards between `client` and `server` until either side closes.
  void Pump(int client, int server);

  const int listen_fd_;
  const int port_;
  const int target_port_;
  std::atomic<uint64_t> upstream_{0};
  std::atomic<uint64_t> downstream_{0};
  std::atomic<uint64_t> connections_{0};
  Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<int> fds_ ABSL_GUARDED_BY(mu_);  // every connection's two sockets
  std::vector<std::thread> pumps_ ABSL_GUARDED_BY(mu_);
  std::thread acceptor_;
};

}  // namespace lmc::bench
