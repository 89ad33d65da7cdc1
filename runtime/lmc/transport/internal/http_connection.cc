#include "lmc/transport/internal/http_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <climits>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "lmc/base/http/chunked_encoder.h"
#include "lmc/strings.h"

// g++ says __SANITIZE_THREAD__, clang says __has_feature(thread_sanitizer).
#if defined(__SANITIZE_THREAD__)
#define LMC_THREAD_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define LMC_THREAD_SANITIZER 1
#endif
#endif
#ifndef LMC_THREAD_SANITIZER
#define LMC_THREAD_SANITIZER 0
#endif

namespace lmc::transport_internal {
namespace {

// The reply's header section limit (RFC 9110 sets none; 64 KiB is far above what the Runtime
// API sends, whose largest header, the client context, is at most 3.5 KB).
constexpr size_t kMaxHeaderBytes = size_t{64} * 1024;

// A chunk whose remaining data is at least this long is received in place; shorter ones go
// through the read buffer, where the chunk framing around them arrives in the same recv().
constexpr uint64_t kMinInPlaceChunkRun = 4096;

// A close-delimited body is received in place this much at a time (the sink grows its buffer
// geometrically; a Content-Length body is received in runs as long as what is left).
constexpr size_t kUntilCloseStep = size_t{64} * 1024;

absl::Status ErrnoUnavailable(std::string_view what, int error) {
  return absl::UnavailableError(absl::StrCat(AsAbsl(what), ": ", ErrnoMessage(error)));
}

}  // namespace

absl::StatusOr<HttpEndpoint> ParseEndpoint(std::string_view endpoint) {
  HttpEndpoint parsed;
  std::string_view host;
  std::string_view port;
  if (!endpoint.empty() && endpoint.front() == '[') {
    const size_t close = endpoint.find(']');
    if (close == std::string_view::npos || close + 1 >= endpoint.size() ||
        endpoint[close + 1] != ':') {
      return absl::InvalidArgumentError(
          absl::StrCat("endpoint \"", AsAbsl(endpoint), "\" is not [address]:port"));
    }
    host = endpoint.substr(1, close - 1);
    port = endpoint.substr(close + 2);
  } else {
    const size_t colon = endpoint.rfind(':');
    if (colon == std::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("endpoint \"", AsAbsl(endpoint), "\" is not host:port"));
    }
    host = endpoint.substr(0, colon);
    port = endpoint.substr(colon + 1);
  }
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (host.empty() || port.empty() || port.size() > 5 || ec != std::errc() ||
      end != port.data() + port.size() || value < 1 || value > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint \"", AsAbsl(endpoint), "\" is not host:port (port 1..65535)"));
  }
  parsed.host.assign(host);
  parsed.port = static_cast<uint16_t>(value);
  parsed.authority.assign(endpoint);

  sockaddr_storage storage{};
  auto* v4 = reinterpret_cast<sockaddr_in*>(&storage);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&storage);
  if (::inet_pton(AF_INET, parsed.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(parsed.port);
    parsed.numeric_address = storage;
    parsed.numeric_address_length = sizeof(sockaddr_in);
  } else if (::inet_pton(AF_INET6, parsed.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(parsed.port);
    parsed.numeric_address = storage;
    parsed.numeric_address_length = sizeof(sockaddr_in6);
  } else if (endpoint.front() == '[') {
    return absl::InvalidArgumentError(
        absl::StrCat("endpoint \"", AsAbsl(endpoint), "\": brackets hold no IPv6 address"));
  }
  return parsed;
}

HttpConnection::HttpConnection(HttpEndpoint endpoint, HttpConnectionOptions options)
    : endpoint_(std::move(endpoint)), options_(std::move(options)) {}

HttpConnection::~HttpConnection() { Close(); }

void HttpConnection::Abort() {
  MutexLock lock(&mu_);
  aborted_ = true;
  if (!long_poll_active_ || shared_fd_ < 0 || reply_started_) return;
  // A reply that has reached the socket is an event the server has handed over: it must be
  // received and served, not thrown away (Lambda would only time it out). So the socket is left
  // alone when reply bytes are already queued on it.
  pollfd p{.fd = shared_fd_, .events = POLLIN, .revents = 0};
  if (::poll(&p, 1, 0) == 1 && (p.revents & POLLIN) != 0) return;
  // Wakes the recv() (or connect's poll) of the long poll at once. Under mu_, so the descriptor
  // cannot be closed, and its number reused, while we shut it down.
  ::shutdown(shared_fd_, SHUT_RDWR);
}

void HttpConnection::NoteReplyStarted() {
  MutexLock lock(&mu_);
  reply_started_ = true;
}

bool HttpConnection::AbortRequested() {
  MutexLock lock(&mu_);
  return aborted_;
}

void HttpConnection::Close() {
  if (fd_ < 0) return;
  {
    MutexLock lock(&mu_);
    shared_fd_ = -1;
  }
  // Never retried on EINTR: on Linux the descriptor is released whatever close() returns.
  ::close(fd_);
  fd_ = -1;
}

absl::Status HttpConnection::WaitFor(short events, Deadline deadline) {
  for (;;) {
    int timeout_ms = -1;
    if (deadline.has_value()) {
      const auto left = *deadline - std::chrono::steady_clock::now();
      if (left <= std::chrono::steady_clock::duration::zero()) {
        return absl::DeadlineExceededError("the request timed out");
      }
      // Rounded up, so the last wait does not end a hair early and spin on a zero timeout.
      const auto ms = std::chrono::ceil<std::chrono::milliseconds>(left).count();
      timeout_ms = static_cast<int>(std::min<int64_t>(ms, INT_MAX));
    }
    pollfd p{};
    p.fd = fd_;
    p.events = events;
    const int r = ::poll(&p, 1, timeout_ms);
    // Readiness includes errors and hang-ups: the recv()/send() that follows reports them.
    if (r > 0) return absl::OkStatus();
    if (r < 0 && errno != EINTR) return ErrnoUnavailable("poll", errno);
    // Timed out or interrupted: the deadline check above decides.
  }
}

absl::Status HttpConnection::ConnectOne(int family, const sockaddr* address, socklen_t length,
                                        Deadline deadline, bool long_poll) {
  // Non-blocking only for connect(), so that it can be bounded by poll().
  const int fd = ::socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return ErrnoUnavailable("socket", errno);
  {
    MutexLock lock(&mu_);
    if (long_poll && aborted_) {
      ::close(fd);
      return absl::CancelledError("aborted");
    }
    // From here on Abort() can shut the socket down, connecting or not.
    shared_fd_ = fd;
  }
  fd_ = fd;
  const int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  if (::connect(fd_, address, length) != 0) {
    // EINTR: the connection attempt goes on asynchronously, like EINPROGRESS.
    if (errno != EINPROGRESS && errno != EINTR) {
      const int error = errno;
      Close();
      return ErrnoUnavailable(absl::StrCat("connect to ", endpoint_.authority), error);
    }
    if (absl::Status waited = WaitFor(POLLOUT, deadline); !waited.ok()) {
      Close();
      return absl::UnavailableError(
          absl::StrCat("connect to ", endpoint_.authority, " failed: ", waited.message()));
    }
    int error = 0;
    socklen_t size = sizeof(error);
    if (::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
    if (error != 0) {
      Close();
      return ErrnoUnavailable(absl::StrCat("connect to ", endpoint_.authority), error);
    }
  }
  // Back to blocking: requests without a timeout then cost one syscall per send and receive.
  int off = 0;
  if (::ioctl(fd_, FIONBIO, &off) != 0) {
    const int error = errno;
    Close();
    return ErrnoUnavailable("ioctl(FIONBIO)", error);
  }
  ++connections_opened_;
  return absl::OkStatus();
}

absl::Status HttpConnection::Open(Deadline deadline, bool long_poll) {
  Deadline connect_deadline = std::chrono::steady_clock::now() + options_.connect_timeout;
  if (deadline.has_value() && *deadline < *connect_deadline) connect_deadline = deadline;
  if (endpoint_.numeric_address.has_value()) {
    const sockaddr_storage& address = *endpoint_.numeric_address;
    return ConnectOne(address.ss_family, reinterpret_cast<const sockaddr*>(&address),
                      endpoint_.numeric_address_length, connect_deadline, long_poll);
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(endpoint_.port);
  if (const int rc = ::getaddrinfo(endpoint_.host.c_str(), port.c_str(), &hints, &found); rc != 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot resolve ", endpoint_.host, ": ", ::gai_strerror(rc)));
  }
  absl::Status status = absl::UnavailableError(absl::StrCat("no address for ", endpoint_.host));
  // Each address in the resolver's order (e.g. ::1, then 127.0.0.1 for localhost).
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    status = ConnectOne(a->ai_family, a->ai_addr, a->ai_addrlen, connect_deadline, long_poll);
    if (status.ok() || absl::IsCancelled(status)) break;
  }
  ::freeaddrinfo(found);
  return status;
}

void HttpConnection::BuildHead(const OutgoingRequest& request) {
  head_.clear();
  head_.append(request.method)
      .append(" ")
      .append(request.target)
      .append(" HTTP/1.1\r\nHost: ")
      .append(endpoint_.authority)
      .append("\r\nUser-Agent: ")
      .append(options_.user_agent)
      .append("\r\n");
  for (const HttpHeader& header : request.headers) {
    head_.append(header.name).append(": ").append(header.value).append("\r\n");
  }
  if (request.chunked) {
    head_.append("Transfer-Encoding: chunked\r\n");
  } else if (request.has_body) {
    char digits[24];
    const auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), request.body.size());
    head_.append("Content-Length: ").append(digits, end).append("\r\n");
  }
  head_.append("\r\n");
}

absl::Status HttpConnection::Send(std::string_view body, Deadline deadline, bool& stale) {
  const std::string_view parts[2] = {head_, body};
  return SendParts(std::span<const std::string_view>(parts, body.empty() ? 1 : 2), deadline, stale);
}

absl::Status HttpConnection::SendParts(std::span<const std::string_view> parts, Deadline deadline,
                                       bool& stale) {
  iovec vectors[3];
  size_t left = 0;
  size_t count = 0;
  for (std::string_view part : parts.first(std::min<size_t>(parts.size(), 3))) {
    if (part.empty()) continue;
    vectors[count++] = {const_cast<char*>(part.data()), part.size()};
    left += part.size();
  }
  msghdr message{};
  message.msg_iov = vectors;
  message.msg_iovlen = count;
  // With a timeout the send must not block past it: MSG_DONTWAIT, and poll() only when the
  // socket buffer is full. Without one, a blocking sendmsg() takes everything in one call.
  const int flags = MSG_NOSIGNAL | (deadline.has_value() ? MSG_DONTWAIT : 0);
  while (left > 0) {
    const ssize_t n = ::sendmsg(fd_, &message, flags);
    if (n < 0) {
      if (errno == EINTR) continue;
      if ((errno == EAGAIN || errno == EWOULDBLOCK) && deadline.has_value()) {
        if (absl::Status waited = WaitFor(POLLOUT, deadline); !waited.ok()) return waited;
        continue;
      }
      // EPIPE / ECONNRESET on a reused connection: the peer had closed it while idle.
      stale = true;
      return ErrnoUnavailable("send", errno);
    }
    left -= static_cast<size_t>(n);
    // A partial write: skip what went out and send the rest.
    size_t sent = static_cast<size_t>(n);
    while (message.msg_iovlen > 0 && sent >= message.msg_iov->iov_len) {
      sent -= message.msg_iov->iov_len;
      ++message.msg_iov;
      --message.msg_iovlen;
    }
    if (message.msg_iovlen > 0) {
      message.msg_iov->iov_base = static_cast<char*>(message.msg_iov->iov_base) + sent;
      message.msg_iov->iov_len -= sent;
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<size_t> HttpConnection::Receive(char* into, size_t capacity, Deadline deadline,
                                               int& error) {
  for (;;) {
    if (deadline.has_value()) {
      if (absl::Status waited = WaitFor(POLLIN, deadline); !waited.ok()) return waited;
    }
#if LMC_THREAD_SANITIZER
    if (!deadline.has_value()) {
      // ThreadSanitizer runs a signal handler at once only when the signal interrupts a call it
      // knows to block (poll does; recv, in Debian 12's TSan, does not): otherwise it defers the
      // handler until the call returns. A long poll's recv() is restarted (SA_RESTART) and may
      // never return, so SIGTERM landing on a loop thread was lost. Waiting in poll() first
      // keeps TSan builds deliverable; release builds save the system call.
      pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
      (void)::poll(&p, 1, -1);
    }
#endif
    const ssize_t n = ::recv(fd_, into, capacity, deadline.has_value() ? MSG_DONTWAIT : 0);
    if (n >= 0) return static_cast<size_t>(n);
    if (errno == EINTR) continue;
    // A spurious readiness report: wait again (only possible with a deadline, non-blocking).
    if ((errno == EAGAIN || errno == EWOULDBLOCK) && deadline.has_value()) continue;
    error = errno;
    return ErrnoUnavailable("recv", error);
  }
}

HttpConnection::Attempt HttpConnection::Exchange(const OutgoingRequest& request,
                                                 HttpResponseSink& sink, Deadline deadline) {
  Attempt attempt;
  if (absl::Status sent = Send(request.body, deadline, attempt.stale); !sent.ok()) {
    attempt.status = std::move(sent);
    return attempt;
  }
  return ReadReply(request.long_poll, request.max_response_body_bytes, sink, deadline);
}

HttpConnection::Attempt HttpConnection::ReadReply(bool long_poll, uint64_t max_body_bytes,
                                                  HttpResponseSink& sink, Deadline deadline) {
  Attempt attempt;
  HttpResponseLimits limits;
  limits.max_header_bytes = kMaxHeaderBytes;
  limits.max_body_bytes = max_body_bytes;
  parser_.Reset(&sink, limits);
  if (read_buffer_ == nullptr) {
    // Not value-initialised: no memset of bytes that recv() overwrites anyway.
    read_buffer_.reset(new char[options_.read_buffer_bytes]);
  }
  bool received_any = false;
  bool extra_bytes = false;
  while (!parser_.done()) {
    const uint64_t run = parser_.InPlaceBodyRun();
    const HttpBodyFraming framing = parser_.head().framing;
    std::span<char> space;
    if (run > 0 && (framing != HttpBodyFraming::kChunked || run >= kMinInPlaceChunkRun)) {
      const uint64_t step = framing == HttpBodyFraming::kUntilClose
                                ? std::min<uint64_t>(run, kUntilCloseStep)
                                : std::min<uint64_t>(run, SIZE_MAX);
      space = sink.PrepareInPlace(static_cast<size_t>(step));
    }
    int error = 0;
    if (!space.empty()) {
      // The body straight into the caller's memory: no copy.
      const absl::StatusOr<size_t> n = Receive(space.data(), space.size(), deadline, error);
      sink.CommitInPlace(n.ok() ? *n : 0);
      if (!n.ok()) {
        attempt.status = n.status();
        return attempt;
      }
      if (*n == 0) {
        parser_.FinishOnEof();
        break;
      }
      parser_.ConsumeInPlaceBody(*n);
      continue;
    }
    const absl::StatusOr<size_t> n =
        Receive(read_buffer_.get(), options_.read_buffer_bytes, deadline, error);
    if (!n.ok()) {
      attempt.status = n.status();
      attempt.stale = !received_any && error == ECONNRESET;
      return attempt;
    }
    if (*n == 0) {
      if (!received_any) {
        attempt.status = absl::UnavailableError("the connection closed before any reply");
        attempt.stale = true;
        return attempt;
      }
      parser_.FinishOnEof();
      break;
    }
    if (!received_any && long_poll) NoteReplyStarted();
    received_any = true;
    const size_t used = parser_.Feed(std::string_view(read_buffer_.get(), *n));
    // Bytes past the reply's end: nothing was asked for them, so the stream is out of step.
    if (used < *n) extra_bytes = true;
  }
  if (parser_.failed()) {
    if (parser_.error() == HttpResponseError::kBodyTooLarge) {
      attempt.status = absl::ResourceExhaustedError(
          absl::StrCat("the reply body is larger than ", max_body_bytes, " bytes"));
    } else {
      attempt.status =
          absl::UnavailableError(absl::StrCat("invalid reply: ", AsAbsl(parser_.error_message())));
    }
    return attempt;
  }
  if (!parser_.head().keep_alive || extra_bytes) Close();
  attempt.http_status = parser_.head().status_code;
  return attempt;
}

absl::StatusOr<int> HttpConnection::RoundTrip(const OutgoingRequest& request,
                                              HttpResponseSink& sink) {
  Deadline deadline;
  if (request.timeout > std::chrono::milliseconds::zero()) {
    deadline = std::chrono::steady_clock::now() + request.timeout;
  }
  if (request.long_poll) {
    MutexLock lock(&mu_);
    if (aborted_) return absl::CancelledError("aborted");
    long_poll_active_ = true;
    reply_started_ = false;
  }
  BuildHead(request);
  Attempt attempt;
  for (int tries = 1;; ++tries) {
    const bool reused = fd_ >= 0;
    if (!reused) {
      if (absl::Status opened = Open(deadline, request.long_poll); !opened.ok()) {
        attempt.status = std::move(opened);
        break;
      }
    }
    attempt = Exchange(request, sink, deadline);
    if (attempt.status.ok()) break;
    Close();
    // One more try, on a new connection, only when the reused one had gone stale.
    if (!reused || !attempt.stale || tries > 1) break;
    if (request.long_poll && AbortRequested()) break;
  }
  if (request.long_poll) {
    bool aborted = false;
    {
      MutexLock lock(&mu_);
      long_poll_active_ = false;
      aborted = aborted_;
    }
    if (aborted) {
      // Abort() may have shut the socket down even though the reply made it: never reuse it.
      Close();
      if (!attempt.status.ok()) return absl::CancelledError("aborted");
    }
  }
  if (!attempt.status.ok()) return attempt.status;
  return attempt.http_status;
}

void HttpConnection::DropIfPeerClosed() {
  if (fd_ < 0) return;
  pollfd p{.fd = fd_, .events = POLLIN, .revents = 0};
  // Readable while idle: EOF, a reset, or bytes nobody asked for. None leaves it usable.
  if (::poll(&p, 1, 0) == 1) Close();
}

absl::Status HttpConnection::BeginStream(const OutgoingRequest& request) {
  streaming_ = false;
  // A streamed body cannot be sent twice, so the usual stale retry (after the body failed) is not
  // available: check for a connection the peer has already closed before starting instead.
  DropIfPeerClosed();
  BuildHead(request);
  for (int tries = 1;; ++tries) {
    const bool reused = fd_ >= 0;
    if (!reused) {
      if (absl::Status opened = Open(std::nullopt, /*long_poll=*/false); !opened.ok()) {
        return opened;
      }
    }
    bool stale = false;
    const std::string_view head = head_;
    absl::Status sent = SendParts(std::span<const std::string_view>(&head, 1), std::nullopt, stale);
    if (sent.ok()) break;
    Close();
    // Only the head went out (or not): one more try on a new connection is safe.
    if (!reused || !stale || tries > 1) return sent;
  }
  streaming_ = true;
  stream_max_body_bytes_ = request.max_response_body_bytes;
  return absl::OkStatus();
}

absl::Status HttpConnection::SendChunk(std::string_view bytes) {
  if (!streaming_ || fd_ < 0) return absl::FailedPreconditionError("no streamed request open");
  if (bytes.empty()) return absl::OkStatus();  // an empty chunk would end the body
  const http::ChunkSizeLine size_line(bytes.size());
  const std::string_view parts[3] = {size_line.view(), bytes, http::kChunkDataEnd};
  bool stale = false;
  absl::Status sent = SendParts(parts, std::nullopt, stale);
  if (!sent.ok()) {
    streaming_ = false;
    Close();
  }
  return sent;
}

absl::StatusOr<int> HttpConnection::FinishStream(std::string_view last_chunk,
                                                 HttpResponseSink& sink) {
  if (!streaming_ || fd_ < 0) return absl::FailedPreconditionError("no streamed request open");
  streaming_ = false;
  bool stale = false;
  if (absl::Status sent =
          SendParts(std::span<const std::string_view>(&last_chunk, 1), std::nullopt, stale);
      !sent.ok()) {
    Close();
    return sent;
  }
  Attempt attempt = ReadReply(/*long_poll=*/false, stream_max_body_bytes_, sink, std::nullopt);
  if (!attempt.status.ok()) {
    Close();
    return attempt.status;
  }
  return attempt.http_status;
}

}  // namespace lmc::transport_internal
