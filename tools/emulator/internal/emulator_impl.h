// File: tools/emulator/internal/emulator_impl.h
//
// Emulator::Impl, the emulator's private implementation, shared by the files that define it:
//
//   emulator.cc           the public API, forwarding here
//   emulator_server.cc    the HTTP server: epoll loop, connections, reads, writes, keep-alive,
//                         pipelining, timers, parked calls
//   emulator_routes.cc    the routes: Runtime API and Extensions API paths to actions
//
// The Runtime API rules and all state shared with API callers live in internal::RuntimeState
// (runtime_state.h); the bytes written in internal/wire_format.h. This class owns the sockets
// and drives both.
//
// Example (emulator.cc):
//
//   void Emulator::Enqueue(EventSpec event) {
//     impl_->state().Enqueue(std::move(event));
//     impl_->Wake();  // a parked /next may now be served
//   }
//
// Threading: state() is thread-safe (its own mutex). Everything else here (sockets, connections,
// parked-call queues, timers, the random generator, the JSON parser) belongs to the server thread
// from Start() until the thread is joined, so it needs no lock; only the atomics are shared.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <queue>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/time/time.h"
#include "simdjson.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/internal/http_request_parser.h"
#include "tools/emulator/internal/runtime_state.h"
#include "tools/emulator/internal/wire_format.h"

namespace lmc::emulator {

// Emulator::Impl
//
// Constructed by Emulator, started once, destroyed (thread joined, sockets closed) with it.
class Emulator::Impl {
 public:
  explicit Impl(EmulatorOptions options);
  // Stops and joins the server thread, then closes every socket.
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Binds 127.0.0.1:options.port and starts the server thread (see Emulator::Start()).
  absl::Status Start();
  int port() const { return port_.load(); }

  // The protocol state, for the public API's calls. Thread-safe.
  internal::RuntimeState& state() { return state_; }
  const internal::RuntimeState& state() const { return state_; }

  // Interrupts the server's epoll_wait so it acts on a state change made by an API caller (an
  // event to hand to a parked /next, a fault for one, shutdown). Thread-safe; cheap when a wake-up
  // is already pending.
  void Wake();

 private:
  enum class ConnState {
    kReading,          // parsing and answering requests
    kParkedNext,       // a GET /next waits for an event
    kParkedExtension,  // an extension /event/next waits for SHUTDOWN
    kDelayed,          // a fault delay is running (timer)
    kClosing,          // output sent and write side shut; waiting for the peer's FIN (timer)
  };

  // A /response or /error POST whose handling may be deferred by a PostFault delay.
  struct PendingPost {
    Answer::Kind kind = Answer::Kind::kResponse;
    std::string request_id;
    internal::ReceivedRequest request;
    absl::Time received_at;
    std::optional<PostFault> fault;
  };

  // One client connection.
  struct Connection {
    uint64_t id = 0;
    int fd = -1;
    ConnState state = ConnState::kReading;
    // Bodies up to a streamed response's 200 MiB (and a little framing slack) are parsed; the
    // per-endpoint limits are applied to the whole answer (RuntimeState::RecordAnswer()).
    internal::HttpRequestParser parser{{.max_body_bytes = size_t{256} * 1024 * 1024}};
    internal::ReceivedRequest request;  // the request being handled, reused between requests
    size_t chunks_counted = 0;          // chunks of the request in progress already in Stats
    bool keep_alive = true;             // of the request being answered
    bool http10 = false;
    std::string out;  // bytes owed to the client
    size_t out_pos = 0;
    // /next replies in `out` not yet written in full, in order of reply_end.
    std::vector<internal::DeliveryMark> marks;
    bool close_after_flush = false;
    bool reset_now = false;
    bool peer_closed = false;      // EOF read: the client will send nothing more
    bool broken = false;           // a socket error: drop without further I/O
    bool watching_output = false;  // EPOLLOUT is registered (output was blocked)
    uint64_t park_seq = 0;         // identifies the current parking in waiting_
    uint64_t timer_token = 0;      // the armed timer, 0 when none
    std::optional<NextFault> pending_next_fault;
    std::optional<PendingPost> pending_post;
    std::string extension_id;  // while kParkedExtension

    internal::ConnectionMode mode() const { return {.keep_alive = keep_alive, .http10 = http10}; }
  };

  struct Timer {
    absl::Time due;
    uint64_t conn_id;
    uint64_t token;
    bool operator>(const Timer& other) const { return due > other.due; }
  };

  static constexpr uint64_t kListenKey = 0;
  static constexpr uint64_t kWakeKey = 1;
  static constexpr uint64_t kFirstConnectionKey = 2;
  static constexpr size_t kReadChunk = 64 * 1024;
  // A peer that buffers this much unparsed input (pipelining behind a parked call) is dropped.
  static constexpr size_t kMaxBufferedInput = 40 * 1024 * 1024;
  static constexpr absl::Duration kLinger = absl::Seconds(1);
  static constexpr absl::Duration kShutdownGrace = absl::Seconds(2);

  // --- Server (emulator_server.cc) ---

  void Run();
  void AcceptAll();
  // Reads what the socket holds into the parser. `until_eagain`: keep reading until EAGAIN or
  // EOF even after a short read (the edge reported a hang-up).
  void ReadFrom(Connection& c, bool until_eagain);
  // Drives a connection after any I/O event: answers what can be answered, writes, and closes
  // when it is finished. May destroy `c`; callers must not touch it afterwards.
  void Service(Connection& c);
  void ProcessRequests(Connection& c);
  // Writes what the socket takes. False on a socket error.
  bool Flush(Connection& c);
  void MarkDelivered(Connection& c);
  void BeginLinger(Connection& c);
  void Destroy(Connection& c, bool reset);
  void ArmTimer(Connection& c, absl::Time due);
  void RunDueTimers();
  int NextTimeoutMs() const;
  void ApplyShutdownToExtensions();
  void ServeWaiters();
  // Parks a /next call until an event, fault or shutdown answers it (ServeWaiters()).
  void Park(Connection& c);
  // Appends a reply; a connection that does not keep alive is closed once it is written.
  void Reply(Connection& c, int status, std::string_view content_type, std::string_view body,
             internal::HeaderList headers = {});
  void ReplyError(Connection& c, int status, std::string_view error_type, std::string_view message);
  // Calls EmulatorOptions::on_closed, on this thread and without any lock.
  void RunClosedCallback(const std::optional<InvocationRecord>& closed);

  // --- Routes (emulator_routes.cc) ---

  // Routes the complete request in c.request, received at `now`.
  void HandleRequest(Connection& c, absl::Time now);
  void HandleNext(Connection& c, absl::Time now);
  void ActOnNext(Connection& c, internal::NextDecision action);
  void ApplyNextFault(Connection& c, const NextFault& fault);
  void Dispatch(Connection& c, EventSpec event);
  void HandleAnswer(Connection& c, Answer::Kind kind, std::string request_id, absl::Time now);
  void FinishAnswer(Connection& c, PendingPost post);
  void HandleInitError(Connection& c, absl::Time now);
  void HandleExtensionRegister(Connection& c);
  void HandleExtensionNext(Connection& c);
  void ReplyShutdownEvent(Connection& c, const std::string& reason);
  std::string NewUuid();
  std::string NewTraceId(absl::Time now);

  const EmulatorOptions options_;
  internal::RuntimeState state_;

  std::atomic<int> port_{0};
  std::atomic<bool> stop_{false};
  std::atomic<bool> wake_pending_{false};
  // Set by Start() before the server thread exists; closed by the destructor after it is joined.
  int listen_fd_ = -1;
  int epoll_fd_ = -1;
  std::atomic<int> wake_fd_{-1};  // atomic: Wake() may race with Start() from another thread
  std::thread thread_;

  // Server thread only.
  absl::flat_hash_map<uint64_t, std::unique_ptr<Connection>> connections_;
  uint64_t next_connection_key_ = kFirstConnectionKey;
  std::deque<std::pair<uint64_t, uint64_t>> waiting_;  // (connection key, park_seq), FIFO
  uint64_t park_seq_ = 0;
  std::vector<uint64_t> parked_extensions_;  // connection keys
  bool shutdown_applied_ = false;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<Timer>> timers_;
  uint64_t timer_seq_ = 0;
  std::mt19937_64 rng_;
  simdjson::dom::parser json_parser_;
  std::string read_buffer_ = std::string(kReadChunk, '\0');
};

}  // namespace lmc::emulator
