// File: tools/emulator/emulator.h
//
// A local AWS Lambda Runtime API server (the part of Lambda that a `bootstrap` talks to, called
// RAPID in AWS's sources) for tests, the demo and benchmarks. It is a real HTTP/1.1 server on
// 127.0.0.1: one server thread, non-blocking sockets and epoll, keep-alive and pipelining,
// thousands of concurrent connections, so a multi-concurrent runtime (Lambda Managed Instances,
// `AWS_LAMBDA_MAX_CONCURRENCY` workers each with its own connection) can be driven and observed
// exactly as on Lambda. It implements:
//
//   GET  /2018-06-01/runtime/invocation/next            events, parked FIFO until one is queued
//   POST /2018-06-01/runtime/invocation/{id}/response   buffered or streamed (chunked + trailers)
//   POST /2018-06-01/runtime/invocation/{id}/error
//   POST /2018-06-01/runtime/init/error
//   POST /2020-01-01/extension/register                 Extensions API, enough for SIGTERM and
//   GET  /2020-01-01/extension/event/next               SHUTDOWN handling; registration closes
//                                                       at the runtime's first /next (403)
//
// with the status codes of /work/shared/runtime-api.md (202, 400, 403, 410, 413, 500), and it
// records every invocation and every answer so tests can assert on them. Faults can be injected
// into /next (error statuses, resets, truncated replies, delays) and into answers.
//
// Example:
//
//   lmc::emulator::Emulator emulator;
//   absl::Status started = emulator.Start();                  // binds 127.0.0.1:<ephemeral>
//   emulator.Enqueue({.body = R"({"n":1})"});
//   // ... run a bootstrap with AWS_LAMBDA_RUNTIME_API=emulator.address() ...
//   if (emulator.WaitForClosed(1, absl::Seconds(5))) {
//     InvocationRecord r = emulator.records()[0];            // r.answers[0].body, .status_returned
//   }
//
// Threading: every public method may be called from any thread. Protocol state (queued events,
// faults, invocation records, statistics) lives under one mutex shared by the callers and the
// server thread; sockets are owned by the server thread alone.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace lmc::emulator {

// Header or trailer fields: (name, value) pairs in arrival or sending order.
using Fields = std::vector<std::pair<std::string, std::string>>;

// EventSpec
//
// One event to hand out on GET /next: the payload and every header the runtime will see. The
// defaults give what Lambda sends for a plain synchronous invoke.
struct EventSpec {
  // Raw event bytes, binary-safe; up to the 16 MiB the emulator handles (Lambda: 6 MB).
  std::string body;
  std::string content_type = "application/json";
  // Lambda-Runtime-Aws-Request-Id. Empty: a fresh UUID v4. Reusing the id of an invocation that
  // is still open supersedes it (see InvocationRecord::superseded), as a retry does on Lambda.
  std::string request_id;
  // Lambda-Runtime-Aws-Tenant-Id. nullopt: no header; "": the header with an empty value.
  std::optional<std::string> tenant_id;
  // Lambda-Runtime-Trace-Id. nullopt: generated "Root=1-<8hex>-<24hex>;Parent=<16hex>;Sampled=0".
  std::optional<std::string> trace_id;
  bool send_trace_id = true;
  std::optional<std::string> client_context;    // Lambda-Runtime-Client-Context, only when set
  std::optional<std::string> cognito_identity;  // Lambda-Runtime-Cognito-Identity, only when set
  // Lambda-Runtime-Invocation-Id (the per-attempt nonce): sent when true, with `invocation_id`
  // or, when that is empty, a fresh UUID. Answers that carry a different value are rejected.
  bool send_invocation_id = true;
  std::string invocation_id;
  // Lambda-Runtime-Deadline-Ms = wall clock at dispatch + timeout, in Unix epoch milliseconds.
  // A negative timeout gives a deadline already in the past.
  std::chrono::milliseconds timeout{30000};
  // Raw replacement for the deadline header's value; "" omits the header.
  std::optional<std::string> deadline_header;
  std::string function_arn = "arn:aws:lambda:us-east-1:123456789012:function:lmc-local";
  Fields extra_headers;  // appended verbatim after the standard headers
  // When set, these exact bytes are written as the whole /next reply (status line, headers and
  // body are the caller's) and the connection is then closed, so close-delimited and malformed
  // replies are well defined. The invocation is still recorded as dispatched under request_id.
  std::optional<std::string> raw_response;
  // When set, every /response or /error POST for this invocation is answered with this status
  // (with the matching Lambda error body, or {"status":"OK"} for 202) instead of the normal
  // checks. Closing follows the usual rule: 202, 400, 403 and 410 close; others leave it open.
  std::optional<int> answer_status;
};

// NextFault
//
// A scripted failure of one GET /next. Faults are consumed one per /next call in FIFO order,
// before any event is served: by the next incoming call, or by the oldest call already parked
// when the fault is injected. A fault with only a delay is a pure delay: the call is then served
// (or parked) normally.
struct NextFault {
  int status = 0;         // e.g. 500, 502, 503, 504, answered with a Lambda-style JSON error body
  bool reset = false;     // close the connection without replying (RST, via SO_LINGER 0)
  bool truncate = false;  // a 200 whose Content-Length exceeds the bytes sent, then close
  std::chrono::milliseconds delay{0};  // wait this long before acting
};

// PostFault
//
// A scripted failure of one /response or /error POST (for any request id, known or not),
// consumed in FIFO order once the POST's body has been read completely. The answer is recorded
// with the status returned (0 for a reset). 5xx and resets leave the invocation open.
struct PostFault {
  int status = 0;
  bool reset = false;
  std::chrono::milliseconds delay{0};
};

// AnswerChunk
//
// One chunk of a chunked (streamed) answer: its data size and when its last byte arrived.
struct AnswerChunk {
  uint64_t size = 0;
  absl::Time arrived_at;
};

// Answer
//
// One POST to /response, /error or /init/error, as received and as answered.
struct Answer {
  enum class Kind { kResponse, kError };
  Kind kind = Kind::kResponse;
  int status_returned = 0;  // what the emulator replied (202, 400, 410, 413, ...); 0 = reset
  std::string body;         // de-chunked if the request was chunked
  std::string content_type;
  Fields headers;   // names lower-cased, in order
  Fields trailers;  // chunked requests only, names lower-cased
  bool chunked = false;
  std::vector<AnswerChunk> chunks;  // chunked requests only, in arrival order
  absl::Time received_at;           // when the body was fully received

  // The first header named `lower_name` (lower case), or nullptr.
  const std::string* FindHeader(std::string_view lower_name) const;
};

// InvocationRecord
//
// One dispatched event and everything posted for it.
struct InvocationRecord {
  std::string request_id;
  std::string invocation_id;             // empty when no Lambda-Runtime-Invocation-Id was sent
  std::optional<std::string> tenant_id;  // as sent (nullopt: no header)
  std::string event_body;
  // When the /next reply was fully handed to the kernel; until the server thread has recorded
  // that (microseconds after the client may already hold the reply), when it was queued.
  absl::Time dispatched_at;
  absl::Time deadline;          // dispatch time + EventSpec::timeout
  std::vector<Answer> answers;  // every POST for this invocation, in arrival order
  // An answer closed it: one answered 202, 400 (open id), 403 or 410. An answer rejected only
  // for carrying the wrong Lambda-Runtime-Invocation-Id does not close it: that is a stale post
  // from an earlier attempt and must not end the current one.
  bool closed = false;
  // Closed without an answer because an event with the same request id was dispatched while it
  // was open (Lambda's timed-out attempt followed by a retry).
  bool superseded = false;
};

// ExtensionRegistration
//
// One POST /2020-01-01/extension/register.
struct ExtensionRegistration {
  std::string name;                 // Lambda-Extension-Name
  std::vector<std::string> events;  // as sent, e.g. {"SHUTDOWN"}
  std::string identifier;           // Lambda-Extension-Identifier handed back (a UUID)
  Fields headers;                   // request headers, names lower-cased
};

// Stats
//
// A consistent snapshot of counters. Answer counters refer to /response and /error POSTs.
struct Stats {
  uint64_t next_calls = 0;             // GET /next requests received
  uint64_t dispatched = 0;             // events handed out (their /next reply queued)
  uint64_t delivered = 0;              // of those, /next replies written to the socket in full
  uint64_t closed = 0;                 // invocations closed, by any answer or by being superseded
  uint64_t responses = 0;              // /response POSTs answered 202
  uint64_t errors = 0;                 // /error POSTs answered 202
  uint64_t rejected_posts = 0;         // POSTs not answered 202, faults and resets included
  uint64_t duplicate_answers = 0;      // POSTs for an already closed request id (also rejected)
  uint64_t unknown_request_posts = 0;  // POSTs for a request id never dispatched (also rejected)
  uint64_t init_errors = 0;            // POST /init/error requests, accepted or not
  uint64_t extension_registrations = 0;
  uint64_t extension_next_calls = 0;
  uint64_t faults_applied = 0;  // NextFault and PostFault entries consumed
  // Data chunks of chunked (streamed) POST bodies received, counted as each one arrives (before
  // its request is complete).
  uint64_t chunks_received = 0;
  size_t queued = 0;            // events not yet dispatched (queue + generator remainder)
  size_t waiting_next = 0;      // /next calls parked now
  size_t in_flight = 0;         // dispatched and not closed now
  size_t connections = 0;       // open client connections now
  size_t max_waiting_next = 0;  // peaks since Start()
  size_t max_in_flight = 0;
  size_t max_outstanding = 0;  // peak of waiting_next + in_flight: the runtime's concurrency
  size_t max_connections = 0;
  // Dispatch -> closing answer latency over closed invocations (0 when none), from a log-linear
  // histogram: p50/p99 within 0.4% of the exact value, max exact.
  double latency_p50_ms = 0;
  double latency_p99_ms = 0;
  double latency_max_ms = 0;
  // Streamed (chunked) closing answers: how many, their de-chunked bytes, and dispatch -> arrival
  // of their first data chunk (time to first byte; same histogram, 0 when none).
  uint64_t streamed_answers = 0;
  uint64_t streamed_bytes = 0;
  double first_byte_p50_ms = 0;
  double first_byte_p99_ms = 0;
  // absl::InfinitePast() until the first occurrence.
  absl::Time first_next_at = absl::InfinitePast();
  absl::Time first_dispatch_at = absl::InfinitePast();
  absl::Time last_close_at = absl::InfinitePast();
  // The latest event/next of a registered extension: with first_next_at, when Lambda would end
  // init (the runtime's first /next and every registered extension's first event/next).
  absl::Time last_extension_next_at = absl::InfinitePast();
};

// ExtraRequest
//
// A request on a path the emulator does not serve itself (EmulatorOptions::extra_routes). The
// views are valid only during the call.
struct ExtraRequest {
  std::string_view method;
  std::string_view target;  // as sent: path and query string
  const Fields& headers;    // names lower-cased, in arrival order
  std::string_view body;    // de-chunked
};

// ExtraReply
//
// The answer to an ExtraRequest: written as one HTTP/1.1 reply with Content-Length, or, with
// `reset`, no reply at all (the connection is reset).
struct ExtraReply {
  int status = 200;
  std::string content_type = "application/json";  // "" omits the field
  std::string body;
  Fields headers;  // written after Content-Type and Content-Length
  bool reset = false;
};

// EmulatorOptions
struct EmulatorOptions {
  int port = 0;  // 0: an ephemeral port, see Emulator::port()
  // false: only open invocations are tracked; closed ones fold into Stats, so memory stays
  // bounded for 10^6-event soaks. A POST for a forgotten id then counts as unknown, not duplicate.
  bool keep_records = true;
  // true: an answer received after the invocation's deadline gets 410 InvokeTimeout and closes it.
  bool enforce_deadlines = false;
  size_t max_response_bytes = 6 * 1024 * 1024 + 100;  // /response body limit -> 413
  // Limit of a streamed /response (Lambda-Runtime-Function-Response-Mode: streaming) -> 413.
  size_t max_streamed_response_bytes = size_t{200} * 1024 * 1024;
  size_t max_error_bytes = size_t{1} << 20;  // /error and /init/error body limit -> 413
  std::string function_name = "lmc-local";   // returned by extension/register
  std::string function_version = "$LATEST";
  std::string handler;
  // Called once per invocation that closes, on the server thread, without the emulator's lock,
  // with a copy of the record, before the closing POST is answered. Keep it short: the server
  // serves nobody while it runs. It may call any method but the blocking WaitFor* ones. Waiters
  // may see the close (Stats::closed) before the callback has run.
  std::function<void(const InvocationRecord&)> on_closed;
  // Serves requests whose path is neither under /2018-06-01/runtime/ nor /2020-01-01/extension/
  // (another API on the same server, as tools/durable/ adds the durable-execution API); nullopt
  // means the usual 404. Called on the server thread, without the emulator's lock: it may call
  // any method but the blocking WaitFor* ones, and the server serves nobody while it runs.
  std::function<std::optional<ExtraReply>(const ExtraRequest&)> extra_routes;
};

// Emulator
//
// The server. Construct, Start(), feed events, observe; the destructor stops everything. All
// methods are thread-safe. Not copyable or movable.
class Emulator {
 public:
  explicit Emulator(EmulatorOptions options = {});
  // Stops the server thread and closes every socket; clients see their connections close.
  ~Emulator();
  Emulator(const Emulator&) = delete;
  Emulator& operator=(const Emulator&) = delete;

  // Start()
  //
  // Raises this process's RLIMIT_NOFILE soft limit to its hard limit (thousands of connections
  // need the descriptors), binds 127.0.0.1:options.port and starts the server thread. Fails if
  // the port cannot be bound or Start() was already called.
  absl::Status Start();

  // The bound port (valid after Start()), and "127.0.0.1:<port>", the value for
  // AWS_LAMBDA_RUNTIME_API.
  int port() const;
  std::string address() const;

  // Enqueue()
  //
  // Queues an event; a parked /next, if any, is answered with it at once. Events go out in
  // FIFO order, queued events before generated ones.
  void Enqueue(EventSpec event);

  // SetGenerator()
  //
  // Lazily produced events for large runs: `make(index)` is called for index 0..count-1, on the
  // server thread and without the emulator's lock, each time a /next is waiting and the queue is
  // empty. Replaces any previous generator (its remaining events are dropped).
  void SetGenerator(std::function<EventSpec(uint64_t index)> make, uint64_t count);

  // Appends scripted faults (see NextFault, PostFault).
  void InjectNextFaults(std::vector<NextFault> faults);
  void InjectPostFaults(std::vector<PostFault> faults);

  // BeginShutdown()
  //
  // What RAPID does at shutdown: every /next parked now or arriving later is answered 500 and
  // its connection closed; parked extension /event/next calls of extensions registered for
  // SHUTDOWN get {"eventType":"SHUTDOWN","shutdownReason":reason,"deadlineMs":now+2s} (so do
  // their later calls). Extensions not registered for SHUTDOWN stay parked. Idempotent.
  void BeginShutdown(std::string reason = "spindown");

  // Snapshots (copies), consistent with one another at the moment of the call.
  Stats stats() const;
  // In dispatch order, at most `limit` of them (the first ones). With keep_records=false: the
  // open invocations only.
  std::vector<InvocationRecord> records(size_t limit = SIZE_MAX) const;
  // The most recently dispatched invocation with this request id, if still known.
  std::optional<InvocationRecord> record(std::string_view request_id) const;
  std::vector<Answer> init_errors() const;  // every /init/error POST, in arrival order
  std::vector<ExtensionRegistration> extensions() const;

  // Condition waits: block until the condition holds (true) or `timeout` passes (false). They
  // are woken by state changes, never by polling.
  bool WaitForClosed(uint64_t n, absl::Duration timeout);     // stats().closed >= n
  bool WaitForWaitingNext(size_t n, absl::Duration timeout);  // stats().waiting_next >= n
  bool WaitForInitError(absl::Duration timeout);              // an /init/error was received
  // `predicate` runs under the emulator's lock after every state change, so it must be cheap
  // and must not call the emulator. It may also read state of its own; call NotifyWaiters()
  // after changing that state so the predicate is evaluated again.
  bool WaitFor(const std::function<bool(const Stats&)>& predicate, absl::Duration timeout);
  void NotifyWaiters();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace lmc::emulator
