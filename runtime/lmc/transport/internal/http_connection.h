// File: lmc/transport/internal/http_connection.h
//
// HttpConnection: one kept-alive HTTP/1.1 connection to `host:port`, driven by blocking system
// calls on a plain TCP socket. It is the direct transport's whole network layer: the Runtime API
// is plain HTTP/1.1 on the local host with one known peer, so a small client that does exactly
// what is needed replaces libcurl's general machinery (and the 30 shared libraries it brings).
//
// What one RoundTrip() costs on a live connection with a small reply: one sendmsg() (request
// head and the caller's body as two iovecs, the body never copied) and one recv(); plus one
// poll() when the request has a timeout. A large reply body is received straight into the
// caller's memory (HttpResponseSink::PrepareInPlace) once the headers are parsed: only the body
// bytes that arrived together with the headers are copied, once.
//
// Connection management:
//   - Opened lazily on the first request (numeric addresses need no resolver; names go through
//     getaddrinfo), SOCK_CLOEXEC, TCP_NODELAY, connected with a timeout (non-blocking connect
//     plus poll, then back to blocking).
//   - Kept alive unless the reply says `Connection: close`, is HTTP/1.0 without keep-alive, is
//     close-delimited, or more bytes than the reply arrived. After any error it is closed and the
//     next request opens a new one.
//   - Stale keep-alive: when a request on a reused connection fails to send, or the connection
//     ends (EOF or reset) before any byte of the reply arrived, the peer most likely closed the
//     idle connection; the request is sent again, once, on a new connection (as browsers and
//     libcurl do). Never after Abort(), never once a reply byte arrived.
//   - Abort() cancels long polls: the one in progress (its socket is shut down, so the blocked
//     recv() returns at once) and every later one (kCancelled at once). Other requests are not
//     affected. A long poll whose reply has begun to arrive (bytes received, or queued on the
//     socket) is not cut short: the server has handed that event over, so it completes. What
//     is left is a window of a few instructions between a recv() that takes the first bytes of
//     a reply longer than one segment and the note that it did; Lambda sends no events after
//     SIGTERM, so in practice it never opens.
//
// Example:
//
//   auto endpoint = lmc::transport_internal::ParseEndpoint("127.0.0.1:9001");
//   lmc::transport_internal::HttpConnection connection(*endpoint, {});
//   lmc::transport_internal::HttpHeader headers[] = {{"Content-Type", "application/json"}};
//   lmc::transport_internal::OutgoingRequest request{.method = "POST", .target = "/path",
//                                      .headers = headers, .body = "{}", .has_body = true};
//   MySink sink;  // an HttpResponseSink
//   absl::StatusOr<int> status = connection.RoundTrip(request, sink);
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/mutex.h"
#include "lmc/transport/internal/http_response_parser.h"

namespace lmc::transport_internal {

// HttpEndpoint
//
// Where to connect, parsed from "host:port".
struct HttpEndpoint {
  std::string host;       // without IPv6 brackets: "127.0.0.1", "::1", "localhost"
  uint16_t port = 0;      // 1..65535
  std::string authority;  // the Host header's value: the endpoint as given ("[::1]:9001")
  // Set when `host` is a numeric IPv4 or IPv6 address: connect without a resolver.
  std::optional<sockaddr_storage> numeric_address;
  socklen_t numeric_address_length = 0;
};

// ParseEndpoint()
//
// Parses AWS_LAMBDA_RUNTIME_API: "host:port" where host is a name, an IPv4 address, or an IPv6
// address in brackets ("[::1]:9001"; an unbracketed IPv6 address is accepted too, the port being
// after the last colon). InvalidArgument when there is no host or the port is not 1..65535.
absl::StatusOr<HttpEndpoint> ParseEndpoint(std::string_view endpoint);

// HttpHeader
//
// One request header field. Views: the caller keeps the bytes alive during RoundTrip(). Neither
// part may contain CR, LF or NUL (the caller validates; the connection sends them as given).
struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

// OutgoingRequest
//
// One request this client sends (not a request received, nor an HTTP event: those are
// tools/emulator's ReceivedRequest and handlers/events' HttpRequest). Views into the caller's
// memory, valid during RoundTrip().
struct OutgoingRequest {
  std::string_view method;              // "GET", "POST"
  std::string_view target;              // origin-form: "/2018-06-01/runtime/invocation/next"
  std::span<const HttpHeader> headers;  // sent after Host and User-Agent
  std::string_view body;                // sent in place, never copied
  bool has_body = false;                // sends Content-Length (also for an empty body)
  // The body is streamed (BeginStream(), SendChunk(), FinishStream()): sends
  // Transfer-Encoding: chunked instead of Content-Length; `body` is ignored.
  bool chunked = false;
  // Whole-request limit (connect, send, receive); zero means none.
  std::chrono::milliseconds timeout{0};
  // A long poll (GET /next, extension event/next): cancelled by Abort().
  bool long_poll = false;
  // Reply body limit; over it RoundTrip() fails with kResourceExhausted.
  uint64_t max_response_body_bytes = std::numeric_limits<uint64_t>::max();
};

// HttpResponseSink
//
// Receives the reply (see HttpResponseCallbacks) and may offer memory for receiving the body in
// place. Called on the thread of RoundTrip() only.
class HttpResponseSink : public HttpResponseCallbacks {
 public:
  // Memory for up to `max_bytes` (> 0) more body bytes, or an empty span to have them delivered
  // through OnBody() instead. The connection recv()s into it and then calls CommitInPlace().
  virtual std::span<char> PrepareInPlace(size_t max_bytes) {
    (void)max_bytes;
    return {};
  }
  // `bytes` bytes were written at the start of the span PrepareInPlace() returned. Called after
  // every PrepareInPlace() that returned memory, with 0 when nothing arrived (EOF, error).
  virtual void CommitInPlace(size_t bytes) { (void)bytes; }
};

// HttpConnectionOptions
struct HttpConnectionOptions {
  // Bound on establishing a connection (also within a request's own timeout).
  std::chrono::milliseconds connect_timeout{2000};
  std::string user_agent = "lmc/0.1";
  // Receive buffer for reply heads and small bodies, allocated on first use.
  size_t read_buffer_bytes = size_t{16} * 1024;
};

// HttpConnection
//
// Not thread-safe, except Abort(), which any thread may call at any time. Owns its socket;
// neither copyable nor movable (Abort() may be called through a reference held elsewhere).
class HttpConnection {
 public:
  HttpConnection(HttpEndpoint endpoint, HttpConnectionOptions options);
  // Closes the socket. No RoundTrip() may be running.
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // RoundTrip()
  //
  // Sends `request` and reads the reply into `sink`. Returns the final status code (any, 4xx and
  // 5xx included) once the whole reply has arrived. Otherwise: kCancelled for a long poll after
  // Abort(); kResourceExhausted when the reply body exceeds request.max_response_body_bytes (the
  // header lines were already delivered); kDeadlineExceeded when request.timeout passed;
  // kUnavailable when no complete, valid reply arrived (refused, reset, closed, malformed). On
  // any failure the connection is closed, and the sink may hold part of a reply.
  absl::StatusOr<int> RoundTrip(const OutgoingRequest& request, HttpResponseSink& sink);

  // Streaming a request body (Transfer-Encoding: chunked), for Lambda's streamed responses:
  //
  //   BeginStream(request)      the head, with Transfer-Encoding: chunked (request.chunked);
  //   SendChunk(bytes)...       each call one chunk, in the kernel's hands before it returns;
  //   FinishStream(last, sink)  the last chunk and trailers (lmc/base/http/chunked_encoder.h),
  //                             then the reply, like RoundTrip().
  //
  // No timeout applies (request.timeout is ignored): a slow reader holds only this connection.
  // A kept-alive connection that the peer has closed while idle is replaced before the head is
  // sent; once the head is out nothing is retried (the body cannot be replayed). After a failure
  // the connection is closed and later calls fail until the next BeginStream() or RoundTrip().
  absl::Status BeginStream(const OutgoingRequest& request);
  absl::Status SendChunk(std::string_view bytes);
  absl::StatusOr<int> FinishStream(std::string_view last_chunk, HttpResponseSink& sink);

  // Abort()
  //
  // Makes the long poll in progress, if any, fail promptly with kCancelled unless its reply has
  // begun to arrive (then it completes), and every later long poll fail at once. Requests that
  // are not long polls go on unaffected. Idempotent.
  void Abort();

  // For tests and diagnostics; owner thread only.
  bool is_open() const { return fd_ >= 0; }
  // Connections opened so far (a new one after each close or stale retry).
  uint64_t connections_opened() const { return connections_opened_; }

 private:
  // How one attempt at a request ended.
  struct Attempt {
    absl::Status status;
    int http_status = 0;
    // Worth one more attempt on a new connection if this one was reused: the peer had closed it.
    bool stale = false;
  };
  using Deadline = std::optional<std::chrono::steady_clock::time_point>;

  absl::Status Open(Deadline deadline, bool long_poll);
  absl::Status ConnectOne(int family, const sockaddr* address, socklen_t length, Deadline deadline,
                          bool long_poll);
  void Close();
  Attempt Exchange(const OutgoingRequest& request, HttpResponseSink& sink, Deadline deadline);
  // Sends the head and body; errno-style failure in the returned status.
  absl::Status Send(std::string_view body, Deadline deadline, bool& stale);
  // Sends all of `parts` (at most 3) with sendmsg(); `stale` is set when the peer had closed.
  absl::Status SendParts(std::span<const std::string_view> parts, Deadline deadline, bool& stale);
  // Reads the reply to the request just sent into `sink`.
  Attempt ReadReply(bool long_poll, uint64_t max_body_bytes, HttpResponseSink& sink,
                    Deadline deadline);
  // Closes a kept-alive connection the peer has closed (or sent unasked-for bytes on).
  void DropIfPeerClosed();
  // recv() with the deadline; returns bytes (0 at EOF) or a failure status.
  absl::StatusOr<size_t> Receive(char* into, size_t capacity, Deadline deadline, int& error);
  // Waits for `events` on the socket until `deadline` (poll); kDeadlineExceeded when it passes.
  absl::Status WaitFor(short events, Deadline deadline);
  void BuildHead(const OutgoingRequest& request);
  bool AbortRequested();
  // Tells Abort() that the long poll's reply has begun to arrive.
  void NoteReplyStarted();

  const HttpEndpoint endpoint_;
  const HttpConnectionOptions options_;

  // Owner-thread state.
  int fd_ = -1;
  uint64_t connections_opened_ = 0;
  std::string head_;  // the request head being sent; reused, so it keeps its capacity
  std::unique_ptr<char[]> read_buffer_;
  HttpResponseParser parser_;
  // A streamed request is in progress (BeginStream() succeeded, FinishStream() not yet called),
  // and the reply body limit it asked for.
  bool streaming_ = false;
  uint64_t stream_max_body_bytes_ = 0;

  // Shared with Abort(), which may run on any thread. `shared_fd_` mirrors fd_ for Abort(): it
  // is set right after socket() and cleared before close(), both under mu_, so Abort() never
  // shuts down a descriptor number the kernel may already have reused.
  Mutex mu_;
  int shared_fd_ ABSL_GUARDED_BY(mu_) = -1;
  bool aborted_ ABSL_GUARDED_BY(mu_) = false;
  bool long_poll_active_ ABSL_GUARDED_BY(mu_) = false;
  // Some bytes of the current long poll's reply were received: Abort() leaves it to complete.
  bool reply_started_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace lmc::transport_internal
