#include "tools/emulator/emulator.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <deque>
#include <queue>
#include <random>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "lmc/json.h"
#include "lmc/mutex.h"
#include "lmc/strings.h"
#include "simdjson.h"
#include "tools/emulator/internal/answer_rules.h"
#include "tools/emulator/internal/http_request_parser.h"
#include "tools/emulator/internal/latency_histogram.h"

namespace lmc::emulator {
namespace internal {
namespace {

// --- Small formatting helpers (hot path: no iostreams, no temporaries) ---

void AppendUint(std::string& out, uint64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

void AppendInt(std::string& out, int64_t value) {
  char buf[24];
  const auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), value);
  out.append(buf, end);
}

// Appends the low `digits` nibbles of `value` as lower-case hex, zero-padded.
void AppendHex(std::string& out, uint64_t value, int digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) out.push_back(kHex[(value >> (4 * i)) & 0xf]);
}

void AppendHeader(std::string& out, std::string_view name, std::string_view value) {
  out.append(name);
  out.append(": ");
  out.append(value);
  out.append("\r\n");
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 202:
      return "Accepted";
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 410:
      return "Gone";
    case 413:
      return "Request Entity Too Large";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Status";
  }
}

std::string LambdaErrorBody(std::string_view error_type, std::string_view message) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("errorMessage").String(message).Key("errorType").String(error_type);
  w.EndObject();
  return out;
}

// Decodes %XX escapes in a path segment; a malformed escape is kept literally.
std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() &&
        absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 1])) &&
        absl::ascii_isxdigit(static_cast<unsigned char>(s[i + 2]))) {
      int v = 0;
      std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      out.push_back(static_cast<char>(v));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

}  // namespace
}  // namespace internal

const std::string* Answer::FindHeader(std::string_view lower_name) const {
  return internal::FindField(headers, lower_name);
}

// Emulator::Impl
//
// Ownership and locking:
//  - mu_ guards the protocol state shared with API callers: queued events, the generator,
//    faults, invocations, init errors, extensions, counters. The server thread takes it briefly
//    per request; callers take it per call; condition waits wait on it.
//  - Everything marked "server thread" (sockets, connections, parked-call queues, timers, the
//    random generator) is touched only by the server thread, after Start() and until the thread
//    is joined, so it needs no lock.
class Emulator::Impl {
 public:
  explicit Impl(EmulatorOptions options) : options_(std::move(options)) {
    std::random_device seed;
    rng_.seed((uint64_t{seed()} << 32) ^ seed());
  }

  ~Impl() {
    if (thread_.joinable()) {
      stop_.store(true);
      Wake();
      thread_.join();
    }
    for (int fd : {listen_fd_, epoll_fd_, wake_fd_.load()}) {
      if (fd >= 0) close(fd);
    }
  }

  absl::Status Start();
  int port() const { return port_.load(); }

  void Enqueue(EventSpec event) {
    {
      lmc::MutexLock lock(&mu_);
      queue_.push_back(std::move(event));
    }
    Wake();
  }

  void SetGenerator(std::function<EventSpec(uint64_t)> make, uint64_t count) {
    {
      lmc::MutexLock lock(&mu_);
      generator_ = std::make_shared<const std::function<EventSpec(uint64_t)>>(std::move(make));
      generator_count_ = count;
      generator_next_ = 0;
    }
    Wake();
  }

  void InjectNextFaults(std::vector<NextFault> faults) {
    {
      lmc::MutexLock lock(&mu_);
      next_faults_.insert(next_faults_.end(), faults.begin(), faults.end());
    }
    Wake();
  }

  void InjectPostFaults(std::vector<PostFault> faults) {
    lmc::MutexLock lock(&mu_);
    post_faults_.insert(post_faults_.end(), faults.begin(), faults.end());
  }

  void BeginShutdown(std::string reason) {
    {
      lmc::MutexLock lock(&mu_);
      if (!shutdown_) {
        shutdown_ = true;
        shutdown_reason_ = std::move(reason);
      }
    }
    Wake();
  }

  Stats stats() const {
    lmc::MutexLock lock(&mu_);
    return SnapshotLocked();
  }

  std::vector<InvocationRecord> records(size_t limit) const {
    lmc::MutexLock lock(&mu_);
    std::vector<InvocationRecord> out;
    if (options_.keep_records) {
      out.reserve(std::min(limit, kept_.size()));
      for (size_t i = 0; i < kept_.size() && i < limit; ++i) out.push_back(kept_[i]->record);
    } else {
      std::vector<const Invocation*> open;
      open.reserve(live_.size());
      for (const auto& [id, inv] : live_) open.push_back(inv.get());
      std::sort(open.begin(), open.end(),
                [](const Invocation* a, const Invocation* b) { return a->serial < b->serial; });
      open.resize(std::min(limit, open.size()));
      for (const Invocation* inv : open) out.push_back(inv->record);
    }
    return out;
  }

  std::optional<InvocationRecord> record(std::string_view request_id) const {
    lmc::MutexLock lock(&mu_);
    const Invocation* inv = FindLocked(std::string(request_id));
    if (inv == nullptr) return std::nullopt;
    return inv->record;
  }

  std::vector<Answer> init_errors() const {
    lmc::MutexLock lock(&mu_);
    return init_error_posts_;
  }

  std::vector<ExtensionRegistration> extensions() const {
    lmc::MutexLock lock(&mu_);
    return extensions_;
  }

  bool WaitForClosed(uint64_t n, absl::Duration timeout) {
    lmc::MutexLock lock(&mu_);
    auto reached = [this, n]() {
      mu_.AssertReaderHeld();
      return closed_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  bool WaitForWaitingNext(size_t n, absl::Duration timeout) {
    lmc::MutexLock lock(&mu_);
    auto reached = [this, n]() {
      mu_.AssertReaderHeld();
      return waiting_next_ >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  bool WaitForInitError(absl::Duration timeout) {
    lmc::MutexLock lock(&mu_);
    auto reached = [this]() {
      mu_.AssertReaderHeld();
      return !init_error_posts_.empty();
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  bool WaitFor(const std::function<bool(const Stats&)>& predicate, absl::Duration timeout) {
    lmc::MutexLock lock(&mu_);
    auto reached = [this, &predicate]() {
      mu_.AssertReaderHeld();
      return predicate(SnapshotLocked());
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
  }

  // Releasing the mutex makes absl re-evaluate every waiter's condition.
  void NotifyWaiters() { lmc::MutexLock lock(&mu_); }

 private:
  // One dispatched event (guarded by mu_ through its owner).
  struct Invocation {
    InvocationRecord record;
    uint64_t serial = 0;  // dispatch order, unique
    std::optional<int> answer_status;
    bool expect_invocation_id = false;  // a Lambda-Runtime-Invocation-Id was sent
  };

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
    internal::HttpRequest request;
    absl::Time received_at;
    std::optional<PostFault> fault;
  };

  // Offset in Connection::out at which a /next reply ends; when flushed past it, the
  // invocation's dispatched_at is set.
  struct DispatchMark {
    size_t end = 0;
    uint64_t serial = 0;
    std::string request_id;
  };

  // One client connection (server thread).
  struct Connection {
    uint64_t id = 0;
    int fd = -1;
    ConnState state = ConnState::kReading;
    // Bodies up to a streamed response's 200 MiB (and a little framing slack) are parsed; the
    // per-endpoint limits are applied to the whole answer (FinishAnswer()).
    internal::HttpRequestParser parser{{.max_body_bytes = size_t{256} * 1024 * 1024}};
    internal::HttpRequest request;  // the request being handled, reused between requests
    size_t chunks_counted = 0;      // chunks of the request in progress already in Stats
    bool keep_alive = true;         // of the request being answered
    bool http10 = false;
    std::string out;  // bytes owed to the client
    size_t out_pos = 0;
    std::vector<DispatchMark> marks;
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

  void Wake() {
    // One write per batch of changes is enough to interrupt epoll_wait.
    const int fd = wake_fd_.load();
    if (fd >= 0 && !wake_pending_.exchange(true)) {
      const uint64_t one = 1;
      [[maybe_unused]] ssize_t n = write(fd, &one, sizeof(one));
    }
  }

  Stats SnapshotLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_) {
    Stats s = counters_;
    s.queued = queue_.size() + static_cast<size_t>(generator_count_ - generator_next_);
    s.waiting_next = waiting_next_;
    s.in_flight = in_flight_;
    s.closed = closed_;
    s.latency_p50_ms = latency_.PercentileMs(0.50);
    s.latency_p99_ms = latency_.PercentileMs(0.99);
    s.latency_max_ms = latency_.MaxMs();
    s.first_byte_p50_ms = first_byte_.PercentileMs(0.50);
    s.first_byte_p99_ms = first_byte_.PercentileMs(0.99);
    return s;
  }

  void UpdatePeaksLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    counters_.max_waiting_next = std::max(counters_.max_waiting_next, waiting_next_);
    counters_.max_in_flight = std::max(counters_.max_in_flight, in_flight_);
    counters_.max_outstanding = std::max(counters_.max_outstanding, waiting_next_ + in_flight_);
  }

  Invocation* FindLocked(const std::string& request_id) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (options_.keep_records) {
      auto it = by_id_.find(request_id);
      return it == by_id_.end() ? nullptr : it->second;
    }
    auto it = live_.find(request_id);
    return it == live_.end() ? nullptr : it->second.get();
  }

  // Marks `inv` closed at `at`, by an answer or (`superseded`) by a newer attempt with its
  // request id; only answers count towards the latency histogram (and, when streamed, towards the
  // first-byte histogram). With keep_records=false the
  // invocation is destroyed: `inv` must not be used afterwards.
  void CloseLocked(Invocation* inv, absl::Time at, bool superseded = false)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    inv->record.closed = true;
    inv->record.superseded = superseded;
    ++closed_;
    --in_flight_;
    counters_.last_close_at = std::max(counters_.last_close_at, at);
    if (!superseded && inv->record.dispatched_at != absl::InfinitePast()) {
      latency_.Add(at - inv->record.dispatched_at);
      if (!inv->record.answers.empty() && inv->record.answers.back().chunked) {
        const Answer& answer = inv->record.answers.back();
        ++counters_.streamed_answers;
        counters_.streamed_bytes += answer.body.size();
        if (!answer.chunks.empty()) {
          first_byte_.Add(answer.chunks.front().arrived_at - inv->record.dispatched_at);
        }
      }
    }
    if (options_.on_closed) closed_callbacks_.push_back(inv->record);
    if (!options_.keep_records) live_.erase(inv->record.request_id);
  }

  // Calls on_closed for invocations closed since the last call, without the lock.
  void RunClosedCallbacks() ABSL_LOCKS_EXCLUDED(mu_) {
    if (closed_callbacks_.empty()) return;
    std::vector<InvocationRecord> batch;
    batch.swap(closed_callbacks_);
    for (const InvocationRecord& r : batch) options_.on_closed(r);
  }

  // --- Server thread ---
  void Run();
  void AcceptAll();
  // Reads what the socket holds into the parser. `until_eagain`: keep reading until EAGAIN or
  // EOF even after a short read (the edge reported a hang-up).
  void ReadFrom(Connection& c, bool until_eagain);
  void Service(Connection& c);
  void ProcessRequests(Connection& c);
  bool Flush(Connection& c);
  void MarkDispatched(Connection& c);
  void BeginLinger(Connection& c);
  void Destroy(Connection& c, bool reset);
  void ArmTimer(Connection& c, absl::Time due);
  void RunDueTimers();
  int NextTimeoutMs() const;
  void ApplyShutdownToExtensions();
  void ServeWaiters();

  // What to do with one /next call, decided under the lock and carried out without it.
  struct NextAction {
    enum class Kind { kPark, kForbidden, kShutdown, kFault, kEvent, kGenerate };
    Kind kind = Kind::kPark;
    NextFault fault;
    // Optional so that deciding costs no allocation (a default EventSpec allocates strings).
    std::optional<EventSpec> event;
    std::shared_ptr<const std::function<EventSpec(uint64_t)>> generator;
    uint64_t index = 0;
  };
  // Takes the state, fault or event that answers a /next. `allow_fault`: false for a call whose
  // fault (a pure delay) was already consumed. `allow_event`: false while older calls are parked.
  NextAction DecideNextLocked(bool allow_fault, bool allow_event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void ActOnNext(Connection& c, NextAction action);

  void HandleRequest(Connection& c, absl::Time now);
  void HandleNext(Connection& c, absl::Time now);
  void Park(Connection& c);
  void ApplyNextFault(Connection& c, const NextFault& fault);
  void Dispatch(Connection& c, EventSpec event);
  void HandleAnswer(Connection& c, Answer::Kind kind, std::string request_id, absl::Time now);
  void FinishAnswer(Connection& c, PendingPost post);
  void HandleInitError(Connection& c, absl::Time now);
  void HandleExtensionRegister(Connection& c);
  void HandleExtensionNext(Connection& c);
  void ReplyShutdownEvent(Connection& c, const std::string& reason);

  void Reply(Connection& c, int status, std::string_view content_type, std::string_view body,
             std::initializer_list<std::pair<std::string_view, std::string_view>> headers = {});
  void ReplyError(Connection& c, int status, std::string_view error_type, std::string_view message);
  std::string NewUuid();
  std::string NewTraceId(absl::Time now);

  const EmulatorOptions options_;

  mutable lmc::Mutex mu_;
  std::deque<EventSpec> queue_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const std::function<EventSpec(uint64_t)>> generator_ ABSL_GUARDED_BY(mu_);
  uint64_t generator_count_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t generator_next_ ABSL_GUARDED_BY(mu_) = 0;
  std::deque<NextFault> next_faults_ ABSL_GUARDED_BY(mu_);
  std::deque<PostFault> post_faults_ ABSL_GUARDED_BY(mu_);
  // keep_records: every invocation in dispatch order (owner) and the latest per request id.
  std::vector<std::unique_ptr<Invocation>> kept_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, Invocation*> by_id_ ABSL_GUARDED_BY(mu_);
  // !keep_records: the open invocations only (owner).
  absl::flat_hash_map<std::string, std::unique_ptr<Invocation>> live_ ABSL_GUARDED_BY(mu_);
  uint64_t next_serial_ ABSL_GUARDED_BY(mu_) = 0;
  std::vector<Answer> init_error_posts_ ABSL_GUARDED_BY(mu_);
  bool init_error_accepted_ ABSL_GUARDED_BY(mu_) = false;
  std::vector<ExtensionRegistration> extensions_ ABSL_GUARDED_BY(mu_);
  bool shutdown_ ABSL_GUARDED_BY(mu_) = false;
  std::string shutdown_reason_ ABSL_GUARDED_BY(mu_);
  Stats counters_ ABSL_GUARDED_BY(mu_);  // monotonic counters, peaks and timestamps
  size_t waiting_next_ ABSL_GUARDED_BY(mu_) = 0;
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;
  uint64_t closed_ ABSL_GUARDED_BY(mu_) = 0;
  internal::LatencyHistogram latency_ ABSL_GUARDED_BY(mu_);
  internal::LatencyHistogram first_byte_ ABSL_GUARDED_BY(mu_);  // streamed answers only

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
  std::vector<InvocationRecord> closed_callbacks_;
  std::mt19937_64 rng_;
  simdjson::dom::parser json_parser_;
  std::string read_buffer_ = std::string(kReadChunk, '\0');
};

absl::Status Emulator::Impl::Start() {
  if (listen_fd_ >= 0) return absl::FailedPreconditionError("Emulator::Start() called twice");
  // Each concurrent runtime worker holds a connection; the default soft limit (often 1024) is
  // too low for LMI-scale tests. The hard limit is what an unprivileged process may use.
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
  listen_fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (listen_fd_ < 0) return absl::ErrnoToStatus(errno, "socket");
  const int one = 1;
  setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(options_.port));
  if (bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("bind 127.0.0.1:", options_.port));
  }
  if (listen(listen_fd_, SOMAXCONN) != 0) return absl::ErrnoToStatus(errno, "listen");
  socklen_t len = sizeof(addr);
  if (getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    return absl::ErrnoToStatus(errno, "getsockname");
  }
  port_.store(ntohs(addr.sin_port));
  epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
  if (epoll_fd_ < 0) return absl::ErrnoToStatus(errno, "epoll_create1");
  const int wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (wake_fd < 0) return absl::ErrnoToStatus(errno, "eventfd");
  wake_fd_.store(wake_fd);
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = kListenKey;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, listen_fd_, &ev) != 0) {
    return absl::ErrnoToStatus(errno, "epoll_ctl");
  }
  ev.events = EPOLLIN | EPOLLET;
  ev.data.u64 = kWakeKey;
  if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd, &ev) != 0) {
    return absl::ErrnoToStatus(errno, "epoll_ctl");
  }
  thread_ = std::thread([this] { Run(); });
  pthread_setname_np(thread_.native_handle(), "lmc-emulator");  // for top, perf, gdb
  return absl::OkStatus();
}

void Emulator::Impl::Run() {
  std::vector<epoll_event> events(256);
  while (!stop_.load()) {
    const int n =
        epoll_wait(epoll_fd_, events.data(), static_cast<int>(events.size()), NextTimeoutMs());
    if (n < 0 && errno != EINTR) break;
    for (int i = 0; i < n; ++i) {
      const uint64_t key = events[i].data.u64;
      if (key == kListenKey) {
        AcceptAll();
      } else if (key == kWakeKey) {
        // Drain first, then clear the flag: a Wake() after the clear writes the eventfd again,
        // and one between the two is covered by the state checks that end this iteration.
        // (Clearing first would let a drain swallow the write of a Wake() that follows it.)
        uint64_t count;
        [[maybe_unused]] ssize_t r = read(wake_fd_.load(), &count, sizeof(count));
        wake_pending_.store(false);
      } else {
        auto it = connections_.find(key);
        if (it == connections_.end()) continue;  // closed earlier in this batch
        Connection& c = *it->second;
        const uint32_t ready = events[i].events;
        if (ready & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
          ReadFrom(c, /*until_eagain=*/(ready & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
        }
        Service(c);
      }
    }
    RunDueTimers();
    ApplyShutdownToExtensions();
    ServeWaiters();
  }
  for (auto& [key, c] : connections_) close(c->fd);
  connections_.clear();
}

void Emulator::Impl::AcceptAll() {
  for (;;) {
    const int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) {
      // EAGAIN: drained. EMFILE/ENFILE: out of descriptors; the pending connections wait in the
      // backlog until the next connection attempt triggers another accept round.
      if (errno == EINTR || errno == ECONNABORTED) continue;
      return;
    }
    const int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    auto c = std::make_unique<Connection>();
    c->id = next_connection_key_++;
    c->fd = fd;
    epoll_event ev{};
    // Edge-triggered: reads go until EAGAIN or a short read. EPOLLOUT is added only while
    // output is blocked (see Flush()): registered permanently, every ACK that frees send
    // buffer space would wake the server for nothing.
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET;
    ev.data.u64 = c->id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      continue;
    }
    connections_.emplace(c->id, std::move(c));
    lmc::MutexLock lock(&mu_);
    ++counters_.connections;
    counters_.max_connections = std::max(counters_.max_connections, counters_.connections);
  }
}

void Emulator::Impl::ReadFrom(Connection& c, bool until_eagain) {
  for (;;) {
    const ssize_t n = recv(c.fd, read_buffer_.data(), read_buffer_.size(), 0);
    if (n > 0) {
      // A closing connection's input is drained and dropped; the response is already out.
      if (c.state != ConnState::kClosing) {
        c.parser.Feed(std::string_view(read_buffer_.data(), static_cast<size_t>(n)));
        // A large streamed body arrives faster than one read per edge: let the parser move what
        // it can into the request (and answer what is complete) before calling it a flood.
        if (c.parser.buffered_bytes() > kMaxBufferedInput && c.state == ConnState::kReading) {
          ProcessRequests(c);
        }
        if (c.parser.buffered_bytes() > kMaxBufferedInput) {
          c.broken = true;
          return;
        }
      }
      // A short read drained the socket: bytes arriving later raise a new edge, so the
      // recv() that would only say EAGAIN can be skipped (a syscall per request). Not when the
      // edge also reported the peer's FIN: that EOF must be read now, no further edge comes.
      if (!until_eagain && static_cast<size_t>(n) < read_buffer_.size()) return;
      continue;
    }
    if (n == 0) {
      c.peer_closed = true;
      return;
    }
    if (errno == EINTR) continue;
    if (errno != EAGAIN) c.broken = true;
    return;
  }
}

// Drives a connection after any I/O event: answers what can be answered, writes, and closes when
// the connection is finished. May destroy `c`; callers must not touch it afterwards.
void Emulator::Impl::Service(Connection& c) {
  if (c.broken) return Destroy(c, /*reset=*/false);
  if (c.reset_now) return Destroy(c, /*reset=*/true);
  if (c.state == ConnState::kClosing) {
    if (c.peer_closed) Destroy(c, false);
    return;
  }
  if (c.state == ConnState::kReading) ProcessRequests(c);
  if (c.reset_now) return Destroy(c, true);
  if (!Flush(c)) return Destroy(c, false);
  if (c.out_pos < c.out.size()) return;  // EPOLLOUT will bring us back
  if (c.close_after_flush) return BeginLinger(c);
  // EOF: a parked or delayed call is abandoned (as Lambda cancels a /next whose client went
  // away); a reading connection has answered all it could.
  if (c.peer_closed) return Destroy(c, false);
}

void Emulator::Impl::ProcessRequests(Connection& c) {
  while (c.state == ConnState::kReading && !c.close_after_flush && !c.reset_now) {
    const auto result = c.parser.Parse(c.request);
    const size_t chunks = result == internal::HttpRequestParser::Result::kRequest
                              ? c.request.chunks.size()
                              : c.parser.pending_chunks();
    if (chunks > c.chunks_counted) {
      lmc::MutexLock lock(&mu_);
      counters_.chunks_received += chunks - c.chunks_counted;
    }
    c.chunks_counted = result == internal::HttpRequestParser::Result::kNeedMore ? chunks : 0;
    if (result == internal::HttpRequestParser::Result::kNeedMore) {
      if (c.parser.AwaitingContinue()) {
        c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
        c.parser.ContinueSent();
      }
      return;
    }
    if (result == internal::HttpRequestParser::Result::kError) {
      c.keep_alive = false;
      const int status = c.parser.error_status();
      ReplyError(c, status, internal::ErrorTypeForStatus(status), c.parser.error_message());
      return;
    }
    c.keep_alive = c.request.keep_alive;
    c.http10 = c.request.minor_version == 0;
    HandleRequest(c, absl::Now());
  }
}

bool Emulator::Impl::Flush(Connection& c) {
  while (c.out_pos < c.out.size()) {
    const ssize_t n = send(c.fd, c.out.data() + c.out_pos, c.out.size() - c.out_pos, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_pos += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) break;
    return false;
  }
  // Watch for writability only while output is blocked.
  const bool blocked = c.out_pos < c.out.size();
  if (blocked != c.watching_output) {
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP | EPOLLET | (blocked ? EPOLLOUT : 0u);
    ev.data.u64 = c.id;
    if (epoll_ctl(epoll_fd_, EPOLL_CTL_MOD, c.fd, &ev) != 0) return false;
    c.watching_output = blocked;
  }
  if (!c.marks.empty()) MarkDispatched(c);
  if (c.out_pos == c.out.size()) {
    c.out_pos = 0;
    if (c.out.capacity() > (1 << 20)) {
      std::string().swap(c.out);  // do not keep a 6 MB event's buffer for a long-lived client
    } else {
      c.out.clear();
    }
  }
  return true;
}

void Emulator::Impl::MarkDispatched(Connection& c) {
  const absl::Time now = absl::Now();
  lmc::MutexLock lock(&mu_);
  size_t fired = 0;
  for (const DispatchMark& mark : c.marks) {
    if (mark.end > c.out_pos) break;
    ++fired;
    ++counters_.delivered;
    Invocation* inv = FindLocked(mark.request_id);
    if (inv != nullptr && inv->serial == mark.serial) inv->record.dispatched_at = now;
  }
  c.marks.erase(c.marks.begin(), c.marks.begin() + static_cast<ptrdiff_t>(fired));
}

void Emulator::Impl::BeginLinger(Connection& c) {
  if (c.peer_closed) return Destroy(c, false);
  // Half-close and wait for the client's FIN: closing with unread input would make the kernel
  // send RST, which can destroy the response we just wrote before the client reads it.
  shutdown(c.fd, SHUT_WR);
  c.state = ConnState::kClosing;
  ArmTimer(c, absl::Now() + kLinger);
}

void Emulator::Impl::Destroy(Connection& c, bool reset) {
  if (reset) {
    linger l{};
    l.l_onoff = 1;
    l.l_linger = 0;
    setsockopt(c.fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l));
  }
  close(c.fd);
  if (c.state == ConnState::kParkedExtension) {
    parked_extensions_.erase(
        std::remove(parked_extensions_.begin(), parked_extensions_.end(), c.id),
        parked_extensions_.end());
  }
  {
    lmc::MutexLock lock(&mu_);
    if (c.state == ConnState::kParkedNext) --waiting_next_;  // its waiting_ entry goes stale
    --counters_.connections;
  }
  connections_.erase(c.id);
}

void Emulator::Impl::ArmTimer(Connection& c, absl::Time due) {
  c.timer_token = ++timer_seq_;
  timers_.push(Timer{due, c.id, c.timer_token});
}

int Emulator::Impl::NextTimeoutMs() const {
  if (timers_.empty()) return -1;
  const absl::Duration left = timers_.top().due - absl::Now();
  if (left <= absl::ZeroDuration()) return 0;
  return static_cast<int>(std::min<int64_t>(
      absl::ToInt64Milliseconds(absl::Ceil(left, absl::Milliseconds(1))), 60 * 1000));
}

void Emulator::Impl::RunDueTimers() {
  const absl::Time now = absl::Now();
  while (!timers_.empty() && timers_.top().due <= now) {
    const Timer t = timers_.top();
    timers_.pop();
    auto it = connections_.find(t.conn_id);
    if (it == connections_.end() || it->second->timer_token != t.token) continue;
    Connection& c = *it->second;
    c.timer_token = 0;
    if (c.state == ConnState::kClosing) {
      Destroy(c, false);
      continue;
    }
    if (c.state != ConnState::kDelayed) continue;
    c.state = ConnState::kReading;
    if (c.pending_next_fault) {
      const NextFault fault = *c.pending_next_fault;
      c.pending_next_fault.reset();
      ApplyNextFault(c, fault);
    } else if (c.pending_post) {
      PendingPost post = std::move(*c.pending_post);
      c.pending_post.reset();
      FinishAnswer(c, std::move(post));
    }
    Service(c);
  }
}

void Emulator::Impl::ApplyShutdownToExtensions() {
  std::string reason;
  {
    lmc::MutexLock lock(&mu_);
    if (!shutdown_ || shutdown_applied_) return;
    reason = shutdown_reason_;
  }
  shutdown_applied_ = true;
  const std::vector<uint64_t> parked = parked_extensions_;
  for (uint64_t key : parked) {
    auto it = connections_.find(key);
    if (it == connections_.end()) continue;
    Connection& c = *it->second;
    bool wants_shutdown = false;
    {
      lmc::MutexLock lock(&mu_);
      for (const ExtensionRegistration& e : extensions_) {
        if (e.identifier == c.extension_id) {
          wants_shutdown =
              std::find(e.events.begin(), e.events.end(), "SHUTDOWN") != e.events.end();
        }
      }
    }
    if (!wants_shutdown) continue;
    parked_extensions_.erase(std::remove(parked_extensions_.begin(), parked_extensions_.end(), key),
                             parked_extensions_.end());
    c.state = ConnState::kReading;
    ReplyShutdownEvent(c, reason);
    Service(c);
  }
}

void Emulator::Impl::ServeWaiters() {
  while (!waiting_.empty()) {
    const auto [key, seq] = waiting_.front();
    auto it = connections_.find(key);
    if (it == connections_.end() || it->second->state != ConnState::kParkedNext ||
        it->second->park_seq != seq) {
      waiting_.pop_front();  // stale: closed, or served and parked again later
      continue;
    }
    Connection& c = *it->second;
    NextAction action;
    {
      lmc::MutexLock lock(&mu_);
      action = DecideNextLocked(/*allow_fault=*/true, /*allow_event=*/true);
      if (action.kind == NextAction::Kind::kPark) return;  // nothing to hand out yet
      --waiting_next_;
    }
    waiting_.pop_front();
    c.state = ConnState::kReading;
    ActOnNext(c, std::move(action));
    Service(c);
  }
}

Emulator::Impl::NextAction Emulator::Impl::DecideNextLocked(bool allow_fault, bool allow_event) {
  NextAction a;
  if (init_error_accepted_) {
    a.kind = NextAction::Kind::kForbidden;
  } else if (shutdown_) {
    a.kind = NextAction::Kind::kShutdown;
  } else if (allow_fault && !next_faults_.empty()) {
    a.kind = NextAction::Kind::kFault;
    a.fault = next_faults_.front();
    next_faults_.pop_front();
    ++counters_.faults_applied;
  } else if (!allow_event) {
    a.kind = NextAction::Kind::kPark;
  } else if (!queue_.empty()) {
    a.kind = NextAction::Kind::kEvent;
    a.event = std::move(queue_.front());
    queue_.pop_front();
  } else if (generator_ != nullptr && generator_next_ < generator_count_) {
    a.kind = NextAction::Kind::kGenerate;
    a.generator = generator_;
    a.index = generator_next_++;
  }
  return a;
}

void Emulator::Impl::ActOnNext(Connection& c, NextAction action) {
  switch (action.kind) {
    case NextAction::Kind::kPark:
      return Park(c);
    case NextAction::Kind::kForbidden:
      return ReplyError(c, 403, "InvalidStateTransition", "/next after /init/error");
    case NextAction::Kind::kShutdown:
      c.keep_alive = false;  // RAPID fails blocked /next calls at shutdown; the worker should exit
      return ReplyError(c, 500, "InternalServerError", "the runtime is shutting down");
    case NextAction::Kind::kFault:
      return ApplyNextFault(c, action.fault);
    case NextAction::Kind::kEvent:
      return Dispatch(c, *std::move(action.event));
    case NextAction::Kind::kGenerate:
      // User code: runs without the lock so it may call back into the emulator.
      return Dispatch(c, (*action.generator)(action.index));
  }
}

void Emulator::Impl::HandleRequest(Connection& c, absl::Time now) {
  std::string_view target = c.request.target;
  target = target.substr(0, target.find('?'));
  const std::string& method = c.request.method;
  auto require = [&](std::string_view wanted) {
    if (method == wanted) return true;
    Reply(c, 405, "application/json",
          internal::LambdaErrorBody("MethodNotAllowed", absl::StrCat(method, " not allowed")),
          {{"Allow", wanted}});
    return false;
  };
  constexpr std::string_view kRuntime = "/2018-06-01/runtime/";
  constexpr std::string_view kExtension = "/2020-01-01/extension/";
  if (internal::StartsWith(target, kRuntime)) {
    std::string_view rest = target.substr(kRuntime.size());
    if (rest == "invocation/next") {
      if (require("GET")) HandleNext(c, now);
      return;
    }
    if (rest == "init/error") {
      if (require("POST")) HandleInitError(c, now);
      return;
    }
    constexpr std::string_view kInvocation = "invocation/";
    if (internal::StartsWith(rest, kInvocation)) {
      rest.remove_prefix(kInvocation.size());
      const size_t slash = rest.rfind('/');
      if (slash != std::string_view::npos) {
        const std::string_view action = rest.substr(slash + 1);
        if (action == "response" || action == "error") {
          if (require("POST")) {
            HandleAnswer(c, action == "response" ? Answer::Kind::kResponse : Answer::Kind::kError,
                         internal::PercentDecode(rest.substr(0, slash)), now);
          }
          return;
        }
      }
    }
  } else if (internal::StartsWith(target, kExtension)) {
    const std::string_view rest = target.substr(kExtension.size());
    if (rest == "register") {
      if (require("POST")) HandleExtensionRegister(c);
      return;
    }
    if (rest == "event/next") {
      if (require("GET")) HandleExtensionNext(c);
      return;
    }
  }
  ReplyError(c, 404, "NotFound", absl::StrCat("no such endpoint: ", c.request.target));
}

void Emulator::Impl::HandleNext(Connection& c, absl::Time now) {
  NextAction action;
  {
    lmc::MutexLock lock(&mu_);
    ++counters_.next_calls;
    if (counters_.first_next_at == absl::InfinitePast()) counters_.first_next_at = now;
    // Older parked calls get events first (FIFO); ServeWaiters() runs at the end of the loop.
    action = DecideNextLocked(/*allow_fault=*/true, /*allow_event=*/waiting_.empty());
  }
  ActOnNext(c, std::move(action));
}

void Emulator::Impl::Park(Connection& c) {
  c.state = ConnState::kParkedNext;
  c.park_seq = ++park_seq_;
  waiting_.emplace_back(c.id, c.park_seq);
  lmc::MutexLock lock(&mu_);
  ++waiting_next_;
  UpdatePeaksLocked();
}

void Emulator::Impl::ApplyNextFault(Connection& c, const NextFault& fault) {
  if (fault.delay > std::chrono::milliseconds::zero()) {
    c.state = ConnState::kDelayed;
    NextFault rest = fault;
    rest.delay = std::chrono::milliseconds::zero();
    c.pending_next_fault = rest;
    ArmTimer(c, absl::Now() + absl::FromChrono(fault.delay));
    return;
  }
  if (fault.reset) {
    c.reset_now = true;
    return;
  }
  if (fault.truncate) {
    // A reply that promises more than it delivers, then FIN: the runtime's read of the event
    // must fail cleanly rather than hand a partial payload to the handler.
    c.out.append("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1024\r\n");
    internal::AppendHeader(c.out, "Lambda-Runtime-Aws-Request-Id", NewUuid());
    c.out.append("Lambda-Runtime-Deadline-Ms: ");
    internal::AppendInt(c.out, absl::ToUnixMillis(absl::Now() + absl::Seconds(30)));
    c.out.append("\r\n\r\n{\"truncated\":\"");
    c.close_after_flush = true;
    return;
  }
  if (fault.status != 0) {
    ReplyError(c, fault.status, internal::ErrorTypeForStatus(fault.status), "injected fault");
    return;
  }
  // A pure delay: now serve the call as if it had just arrived.
  NextAction action;
  {
    lmc::MutexLock lock(&mu_);
    action = DecideNextLocked(/*allow_fault=*/false, /*allow_event=*/waiting_.empty());
  }
  ActOnNext(c, std::move(action));
}

void Emulator::Impl::Dispatch(Connection& c, EventSpec event) {
  const absl::Time now = absl::Now();
  auto inv = std::make_unique<Invocation>();
  InvocationRecord& r = inv->record;
  r.request_id = event.request_id.empty() ? NewUuid() : std::move(event.request_id);
  if (event.send_invocation_id) {
    r.invocation_id = event.invocation_id.empty() ? NewUuid() : std::move(event.invocation_id);
  }
  r.tenant_id = event.tenant_id;
  r.deadline = now + absl::FromChrono(event.timeout);
  // Refined by MarkDispatched() once the last byte is handed to the kernel. Set now as well:
  // the client can read the reply before this thread returns from send() and records that.
  r.dispatched_at = now;
  inv->answer_status = event.answer_status;
  inv->expect_invocation_id = event.send_invocation_id;

  if (event.raw_response) {
    c.out.append(*event.raw_response);
    c.close_after_flush = true;
  } else {
    std::string& out = c.out;
    out.append("HTTP/1.1 200 OK\r\n");
    internal::AppendHeader(out, "Content-Type", event.content_type);
    out.append("Content-Length: ");
    internal::AppendUint(out, event.body.size());
    out.append("\r\n");
    internal::AppendHeader(out, "Lambda-Runtime-Aws-Request-Id", r.request_id);
    if (!event.deadline_header) {
      out.append("Lambda-Runtime-Deadline-Ms: ");
      internal::AppendInt(out, absl::ToUnixMillis(r.deadline));
      out.append("\r\n");
    } else if (!event.deadline_header->empty()) {
      internal::AppendHeader(out, "Lambda-Runtime-Deadline-Ms", *event.deadline_header);
    }
    internal::AppendHeader(out, "Lambda-Runtime-Invoked-Function-Arn", event.function_arn);
    if (event.send_trace_id) {
      if (event.trace_id) {
        internal::AppendHeader(out, "Lambda-Runtime-Trace-Id", *event.trace_id);
      } else {
        internal::AppendHeader(out, "Lambda-Runtime-Trace-Id", NewTraceId(now));
      }
    }
    if (event.client_context) {
      internal::AppendHeader(out, "Lambda-Runtime-Client-Context", *event.client_context);
    }
    if (event.cognito_identity) {
      internal::AppendHeader(out, "Lambda-Runtime-Cognito-Identity", *event.cognito_identity);
    }
    if (event.tenant_id) {
      internal::AppendHeader(out, "Lambda-Runtime-Aws-Tenant-Id", *event.tenant_id);
    }
    if (event.send_invocation_id) {
      internal::AppendHeader(out, "Lambda-Runtime-Invocation-Id", r.invocation_id);
    }
    for (const auto& [name, value] : event.extra_headers) internal::AppendHeader(out, name, value);
    if (!c.keep_alive) {
      out.append("Connection: close\r\n");
      c.close_after_flush = true;
    } else if (c.http10) {
      out.append("Connection: keep-alive\r\n");
    }
    out.append("\r\n");
    out.append(event.body);
  }
  r.event_body = std::move(event.body);
  c.marks.push_back(DispatchMark{c.out.size(), 0, r.request_id});

  {
    lmc::MutexLock lock(&mu_);
    inv->serial = ++next_serial_;
    c.marks.back().serial = inv->serial;
    ++counters_.dispatched;
    ++in_flight_;
    if (counters_.first_dispatch_at == absl::InfinitePast()) counters_.first_dispatch_at = now;
    // An open invocation with the same id is superseded: Lambda forgot the old attempt (it
    // timed out) and routes this id's answers to the new one.
    if (Invocation* old = FindLocked(r.request_id); old != nullptr && !old->record.closed) {
      CloseLocked(old, now, /*superseded=*/true);
    }
    if (options_.keep_records) {
      by_id_[inv->record.request_id] = inv.get();
      kept_.push_back(std::move(inv));
    } else {
      std::string id = inv->record.request_id;
      live_[std::move(id)] = std::move(inv);
    }
    UpdatePeaksLocked();
  }
  RunClosedCallbacks();
}

void Emulator::Impl::HandleAnswer(Connection& c, Answer::Kind kind, std::string request_id,
                                  absl::Time now) {
  PendingPost post;
  post.kind = kind;
  post.request_id = std::move(request_id);
  post.received_at = now;
  std::swap(post.request, c.request);
  {
    lmc::MutexLock lock(&mu_);
    if (!post_faults_.empty()) {
      post.fault = post_faults_.front();
      post_faults_.pop_front();
      ++counters_.faults_applied;
    }
  }
  if (post.fault && post.fault->delay > std::chrono::milliseconds::zero()) {
    const absl::Duration delay = absl::FromChrono(post.fault->delay);
    post.fault->delay = std::chrono::milliseconds::zero();
    c.state = ConnState::kDelayed;
    c.pending_post = std::move(post);
    ArmTimer(c, absl::Now() + delay);
    return;
  }
  FinishAnswer(c, std::move(post));
}

void Emulator::Impl::FinishAnswer(Connection& c, PendingPost post) {
  Answer answer;
  answer.kind = post.kind;
  answer.chunked = post.request.chunked;
  answer.received_at = post.received_at;
  answer.chunks.reserve(post.request.chunks.size());
  for (const internal::ReceivedChunk& chunk : post.request.chunks) {
    answer.chunks.push_back({chunk.size, chunk.arrived_at});
  }
  answer.body = std::move(post.request.body);
  answer.headers = std::move(post.request.headers);
  answer.trailers = std::move(post.request.trailers);
  if (const std::string* ct = answer.FindHeader("content-type")) answer.content_type = *ct;

  internal::AnswerVerdict verdict;
  {
    lmc::MutexLock lock(&mu_);
    Invocation* inv = FindLocked(post.request_id);
    internal::AnswerFacts facts;
    facts.is_error = post.kind == Answer::Kind::kError;
    if (post.fault) {
      facts.fault_reset = post.fault->reset;
      facts.fault_status = post.fault->status;
    }
    facts.invocation_known = inv != nullptr;
    if (inv != nullptr) {
      facts.invocation_closed = inv->record.closed;
      facts.forced_status = inv->answer_status;
      const std::string* nonce = answer.FindHeader("lambda-runtime-invocation-id");
      facts.invocation_id_mismatch =
          inv->expect_invocation_id && nonce != nullptr && *nonce != inv->record.invocation_id;
      facts.past_deadline = options_.enforce_deadlines && post.received_at > inv->record.deadline;
    }
    if (const std::string* mode = answer.FindHeader("lambda-runtime-function-response-mode")) {
      facts.mode = *mode;
    }
    facts.body_bytes = answer.body.size();
    verdict =
        internal::JudgeAnswer(facts, {.response = options_.max_response_bytes,
                                      .streamed_response = options_.max_streamed_response_bytes,
                                      .error = options_.max_error_bytes});
    if (verdict.unknown_request) ++counters_.unknown_request_posts;
    if (verdict.duplicate) ++counters_.duplicate_answers;
    const int status = verdict.status;
    if (status == 202) {
      ++(post.kind == Answer::Kind::kResponse ? counters_.responses : counters_.errors);
    } else {
      ++counters_.rejected_posts;
    }
    answer.status_returned = status;
    if (inv != nullptr) {
      inv->record.answers.push_back(std::move(answer));
      if (verdict.closes && !inv->record.closed) CloseLocked(inv, post.received_at);
    }
  }
  RunClosedCallbacks();
  if (verdict.status == 0) {
    c.reset_now = true;
  } else if (verdict.status == 202) {
    Reply(c, 202, "application/json", R"({"status":"OK"})");
  } else {
    ReplyError(c, verdict.status, verdict.error_type, verdict.message);
  }
}

void Emulator::Impl::HandleInitError(Connection& c, absl::Time now) {
  Answer answer;
  answer.kind = Answer::Kind::kError;
  answer.chunked = c.request.chunked;
  answer.received_at = now;
  answer.body = std::move(c.request.body);
  answer.headers = std::move(c.request.headers);
  answer.trailers = std::move(c.request.trailers);
  if (const std::string* ct = answer.FindHeader("content-type")) answer.content_type = *ct;
  int status = 202;
  {
    lmc::MutexLock lock(&mu_);
    ++counters_.init_errors;
    if (init_error_accepted_) {
      status = 403;
    } else if (answer.body.size() > options_.max_error_bytes) {
      status = 413;
    } else {
      init_error_accepted_ = true;
    }
    answer.status_returned = status;
    init_error_posts_.push_back(std::move(answer));
  }
  if (status == 202) {
    Reply(c, 202, "application/json", R"({"status":"OK"})");
  } else if (status == 403) {
    ReplyError(c, 403, "InvalidStateTransition", "an init error was already reported");
  } else {
    ReplyError(c, 413, "RequestEntityTooLarge", "payload exceeds the size limit");
  }
}

void Emulator::Impl::HandleExtensionRegister(Connection& c) {
  const std::string* name = c.request.FindHeader("lambda-extension-name");
  if (name == nullptr || name->empty()) {
    return ReplyError(c, 400, "InvalidRequestFormat", "missing Lambda-Extension-Name header");
  }
  ExtensionRegistration reg;
  reg.name = *name;
  simdjson::padded_string json(c.request.body);
  simdjson::dom::element doc;
  simdjson::dom::object root;
  if (json_parser_.parse(json).get(doc) != simdjson::SUCCESS ||
      doc.get(root) != simdjson::SUCCESS) {
    return ReplyError(c, 400, "InvalidRequestFormat", "body must be a JSON object");
  }
  simdjson::dom::element events;
  if (root["events"].get(events) == simdjson::SUCCESS) {
    simdjson::dom::array list;
    if (events.get(list) != simdjson::SUCCESS) {
      return ReplyError(c, 400, "InvalidRequestFormat", "events must be an array");
    }
    for (simdjson::dom::element e : list) {
      std::string_view event;
      if (e.get(event) != simdjson::SUCCESS || (event != "INVOKE" && event != "SHUTDOWN")) {
        return ReplyError(c, 400, "InvalidEventType", "events may be INVOKE and SHUTDOWN");
      }
      reg.events.emplace_back(event);
    }
  }
  reg.identifier = NewUuid();
  reg.headers = c.request.headers;
  const std::string* accept = c.request.FindHeader("lambda-extension-accept-feature");
  std::string body;
  JsonWriter w(&body);
  w.BeginObject()
      .Key("functionName")
      .String(options_.function_name)
      .Key("functionVersion")
      .String(options_.function_version)
      .Key("handler")
      .String(options_.handler);
  if (accept != nullptr && accept->find("accountId") != std::string::npos) {
    w.Key("accountId").String("123456789012");
  }
  w.EndObject();
  const std::string identifier = reg.identifier;
  {
    lmc::MutexLock lock(&mu_);
    ++counters_.extension_registrations;
    extensions_.push_back(std::move(reg));
  }
  Reply(c, 200, "application/json", body, {{"Lambda-Extension-Identifier", identifier}});
}

void Emulator::Impl::HandleExtensionNext(Connection& c) {
  const std::string* id = c.request.FindHeader("lambda-extension-identifier");
  bool known = false;
  bool wants_shutdown = false;
  std::string reason;
  bool shutting_down = false;
  {
    lmc::MutexLock lock(&mu_);
    ++counters_.extension_next_calls;
    for (const ExtensionRegistration& e : extensions_) {
      if (id != nullptr && e.identifier == *id) {
        known = true;
        wants_shutdown = std::find(e.events.begin(), e.events.end(), "SHUTDOWN") != e.events.end();
      }
    }
    shutting_down = shutdown_;
    reason = shutdown_reason_;
  }
  if (!known) {
    return ReplyError(c, 403, "Extension.UnknownExtensionIdentifier",
                      "missing or unknown Lambda-Extension-Identifier");
  }
  if (shutting_down && wants_shutdown) return ReplyShutdownEvent(c, reason);
  // No timeout: an extension's next blocks until there is an event for it (runtime-api.md §8).
  c.state = ConnState::kParkedExtension;
  c.extension_id = *id;
  parked_extensions_.push_back(c.id);
}

void Emulator::Impl::ReplyShutdownEvent(Connection& c, const std::string& reason) {
  std::string body;
  JsonWriter w(&body);
  w.BeginObject()
      .Key("eventType")
      .String("SHUTDOWN")
      .Key("shutdownReason")
      .String(reason)
      .Key("deadlineMs")
      .Int(absl::ToUnixMillis(absl::Now() + kShutdownGrace));
  w.EndObject();
  Reply(c, 200, "application/json", body, {{"Lambda-Extension-Event-Identifier", NewUuid()}});
}

void Emulator::Impl::Reply(
    Connection& c, int status, std::string_view content_type, std::string_view body,
    std::initializer_list<std::pair<std::string_view, std::string_view>> headers) {
  std::string& out = c.out;
  out.append("HTTP/1.1 ");
  internal::AppendUint(out, static_cast<uint64_t>(status));
  out.push_back(' ');
  out.append(internal::ReasonPhrase(status));
  out.append("\r\n");
  if (!content_type.empty()) internal::AppendHeader(out, "Content-Type", content_type);
  out.append("Content-Length: ");
  internal::AppendUint(out, body.size());
  out.append("\r\n");
  for (const auto& [name, value] : headers) internal::AppendHeader(out, name, value);
  if (!c.keep_alive) {
    out.append("Connection: close\r\n");
    c.close_after_flush = true;
  } else if (c.http10) {
    out.append("Connection: keep-alive\r\n");
  }
  out.append("\r\n");
  out.append(body);
}

void Emulator::Impl::ReplyError(Connection& c, int status, std::string_view error_type,
                                std::string_view message) {
  Reply(c, status, "application/json", internal::LambdaErrorBody(error_type, message));
}

std::string Emulator::Impl::NewUuid() {
  uint64_t hi = rng_();
  uint64_t lo = rng_();
  hi = (hi & ~uint64_t{0xf000}) | uint64_t{0x4000};            // version 4
  lo = (lo & ~(uint64_t{0xc} << 60)) | (uint64_t{0x8} << 60);  // variant 10xx
  std::string out;
  out.reserve(36);
  internal::AppendHex(out, hi >> 32, 8);
  out.push_back('-');
  internal::AppendHex(out, hi >> 16, 4);
  out.push_back('-');
  internal::AppendHex(out, hi, 4);
  out.push_back('-');
  internal::AppendHex(out, lo >> 48, 4);
  out.push_back('-');
  internal::AppendHex(out, lo, 12);
  return out;
}

std::string Emulator::Impl::NewTraceId(absl::Time now) {
  std::string out = "Root=1-";
  internal::AppendHex(out, static_cast<uint64_t>(absl::ToUnixSeconds(now)), 8);
  out.push_back('-');
  internal::AppendHex(out, rng_(), 8);
  internal::AppendHex(out, rng_(), 16);
  out.append(";Parent=");
  internal::AppendHex(out, rng_(), 16);
  out.append(";Sampled=0");
  return out;
}

// --- Emulator: forwards to Impl ---

Emulator::Emulator(EmulatorOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Emulator::~Emulator() = default;
absl::Status Emulator::Start() { return impl_->Start(); }
int Emulator::port() const { return impl_->port(); }
std::string Emulator::address() const { return absl::StrCat("127.0.0.1:", impl_->port()); }
void Emulator::Enqueue(EventSpec event) { impl_->Enqueue(std::move(event)); }
void Emulator::SetGenerator(std::function<EventSpec(uint64_t)> make, uint64_t count) {
  impl_->SetGenerator(std::move(make), count);
}
void Emulator::InjectNextFaults(std::vector<NextFault> faults) {
  impl_->InjectNextFaults(std::move(faults));
}
void Emulator::InjectPostFaults(std::vector<PostFault> faults) {
  impl_->InjectPostFaults(std::move(faults));
}
void Emulator::BeginShutdown(std::string reason) { impl_->BeginShutdown(std::move(reason)); }
Stats Emulator::stats() const { return impl_->stats(); }
std::vector<InvocationRecord> Emulator::records(size_t limit) const {
  return impl_->records(limit);
}
std::optional<InvocationRecord> Emulator::record(std::string_view request_id) const {
  return impl_->record(request_id);
}
std::vector<Answer> Emulator::init_errors() const { return impl_->init_errors(); }
std::vector<ExtensionRegistration> Emulator::extensions() const { return impl_->extensions(); }
bool Emulator::WaitForClosed(uint64_t n, absl::Duration timeout) {
  return impl_->WaitForClosed(n, timeout);
}
bool Emulator::WaitForWaitingNext(size_t n, absl::Duration timeout) {
  return impl_->WaitForWaitingNext(n, timeout);
}
bool Emulator::WaitForInitError(absl::Duration timeout) { return impl_->WaitForInitError(timeout); }
bool Emulator::WaitFor(const std::function<bool(const Stats&)>& predicate, absl::Duration timeout) {
  return impl_->WaitFor(predicate, timeout);
}
void Emulator::NotifyWaiters() { impl_->NotifyWaiters(); }

}  // namespace lmc::emulator
