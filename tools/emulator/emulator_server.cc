// The emulator's HTTP server (see internal/emulator_impl.h): one thread, non-blocking sockets,
// edge-triggered epoll. Accepts connections, reads requests into each connection's parser, hands
// complete requests to the routes (emulator_routes.cc), writes replies with keep-alive and
// pipelining, parks /next calls until an event is there, and runs the timers of fault delays and
// lingering closes.

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
#include <cerrno>

#include "absl/strings/str_cat.h"
#include "absl/types/span.h"
#include "tools/emulator/internal/answer_rules.h"
#include "tools/emulator/internal/emulator_impl.h"

namespace lmc::emulator {

Emulator::Impl::Impl(EmulatorOptions options)
    : options_(std::move(options)), state_(internal::RuntimeStateOptions::For(options_)) {
  std::random_device seed;
  rng_.seed((uint64_t{seed()} << 32) ^ seed());
}

Emulator::Impl::~Impl() {
  if (thread_.joinable()) {
    stop_.store(true);
    Wake();
    thread_.join();
  }
  for (int fd : {listen_fd_, epoll_fd_, wake_fd_.load()}) {
    if (fd >= 0) close(fd);
  }
}

void Emulator::Impl::Wake() {
  // One write per batch of changes is enough to interrupt epoll_wait.
  const int fd = wake_fd_.load();
  if (fd >= 0 && !wake_pending_.exchange(true)) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(fd, &one, sizeof(one));
  }
}

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
    state_.ConnectionOpened();
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
  using Result = internal::HttpRequestParser::Result;
  while (c.state == ConnState::kReading && !c.close_after_flush && !c.reset_now) {
    const Result result = c.parser.Parse(c.request);
    // Chunks count as they arrive, before their request is complete.
    const size_t chunks =
        result == Result::kRequest ? c.request.chunks.size() : c.parser.pending_chunks();
    if (chunks > c.chunks_counted) state_.CountChunks(chunks - c.chunks_counted);
    c.chunks_counted = result == Result::kNeedMore ? chunks : 0;
    if (result == Result::kNeedMore) {
      if (c.parser.AwaitingContinue()) {
        c.out.append("HTTP/1.1 100 Continue\r\n\r\n");
        c.parser.ContinueSent();
      }
      return;
    }
    if (result == Result::kError) {
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
  if (!c.marks.empty()) MarkDelivered(c);
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

void Emulator::Impl::MarkDelivered(Connection& c) {
  size_t delivered = 0;
  while (delivered < c.marks.size() && c.marks[delivered].reply_end <= c.out_pos) ++delivered;
  if (delivered == 0) return;  // nothing written in full yet: no need for the lock
  state_.MarkDelivered(absl::MakeConstSpan(c.marks).first(delivered), absl::Now());
  c.marks.erase(c.marks.begin(), c.marks.begin() + static_cast<ptrdiff_t>(delivered));
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
  // A parked /next's entry in waiting_ goes stale; ServeWaiters() skips it.
  state_.ConnectionClosed(/*was_parked_next=*/c.state == ConnState::kParkedNext);
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
  if (shutdown_applied_) return;
  const std::optional<std::string> reason = state_.shutdown_reason();
  if (!reason) return;
  shutdown_applied_ = true;
  const std::vector<uint64_t> parked = parked_extensions_;
  for (uint64_t key : parked) {
    auto it = connections_.find(key);
    if (it == connections_.end()) continue;
    Connection& c = *it->second;
    if (!state_.ExtensionWantsShutdown(c.extension_id)) continue;
    parked_extensions_.erase(std::remove(parked_extensions_.begin(), parked_extensions_.end(), key),
                             parked_extensions_.end());
    c.state = ConnState::kReading;
    ReplyShutdownEvent(c, *reason);
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
    internal::NextDecision action = state_.ServeOldestParked();
    if (action.kind == internal::NextDecision::Kind::kPark) return;  // nothing to hand out yet
    waiting_.pop_front();
    c.state = ConnState::kReading;
    ActOnNext(c, std::move(action));
    Service(c);
  }
}

void Emulator::Impl::Park(Connection& c) {
  c.state = ConnState::kParkedNext;
  c.park_seq = ++park_seq_;
  waiting_.emplace_back(c.id, c.park_seq);
  state_.NextParked();
}

void Emulator::Impl::Reply(Connection& c, int status, std::string_view content_type,
                           std::string_view body, internal::HeaderList headers) {
  internal::AppendReply(c.out, status, content_type, body, headers, c.mode());
  if (!c.keep_alive) c.close_after_flush = true;
}

void Emulator::Impl::ReplyError(Connection& c, int status, std::string_view error_type,
                                std::string_view message) {
  Reply(c, status, "application/json", internal::LambdaErrorBody(error_type, message));
}

void Emulator::Impl::RunClosedCallback(const std::optional<InvocationRecord>& closed) {
  if (closed && options_.on_closed) options_.on_closed(*closed);
}

}  // namespace lmc::emulator
