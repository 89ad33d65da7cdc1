// File: tools/emulator/internal/runtime_state.h
//
// RuntimeState: the emulator's Runtime API state without sockets. Queued events and the event
// generator, scripted faults, dispatched invocations and their answers, deadlines, /init/error,
// extension registrations, shutdown, and the counters behind Stats. The server thread tells it
// what happened on the wire (a /next arrived, a reply was written, an answer was received) and
// gets back what to do; API callers read snapshots and wait for conditions. Every Runtime API
// rule that does not need a socket lives here, so the rules are unit-tested without a server.
//
// Example (what the server does for one GET /next and the POST that answers it):
//
//   RuntimeState state(RuntimeStateOptions{});
//   state.Enqueue({.body = R"({"n":1})"});
//   NextDecision action = state.BeginNext(absl::Now(), /*older_calls_parked=*/false);
//   // action.kind == NextDecision::Kind::kEvent: write the /next reply for *action.event, then
//   InvocationRecord record;
//   record.request_id = "id-1";
//   const DispatchResult dispatched = state.Dispatch(std::move(record), {}, false, absl::Now());
//   ...
//   Answer answer;
//   answer.received_at = absl::Now();
//   AnswerOutcome outcome = state.RecordAnswer("id-1", std::move(answer), std::nullopt);
//   // outcome.verdict.status == 202, state.stats().closed == 1
//
// Thread-safety: every method is thread-safe; all state is guarded by one mutex, taken once per
// call, so a call's effects are atomic and the server takes it a bounded number of times per
// request. No method calls user code (generators, on_closed): the server does that without the
// lock, which is why the results hand back what to run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"
#include "absl/types/span.h"
#include "lmc/mutex.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/internal/answer_rules.h"
#include "tools/emulator/internal/latency_histogram.h"

namespace lmc::emulator::internal {

// Produces the event with index 0, 1, ... (Emulator::SetGenerator()).
using EventGenerator = std::function<EventSpec(uint64_t index)>;

// RuntimeStateOptions
//
// The parts of EmulatorOptions the protocol rules depend on.
struct RuntimeStateOptions {
  // false: closed invocations are forgotten (they fold into Stats), see EmulatorOptions.
  bool keep_records = true;
  // true: an answer received after its invocation's deadline gets 410 and closes it.
  bool enforce_deadlines = false;
  AnswerLimits answer_limits = {.response = 6 * 1024 * 1024 + 100,
                                .streamed_response = size_t{200} * 1024 * 1024,
                                .error = size_t{1} << 20};
  size_t max_init_error_bytes = size_t{1} << 20;  // over it: 413
  // true: each closing call returns a copy of the closed record (for EmulatorOptions::on_closed);
  // false spares that copy.
  bool copy_closed_records = false;

  // The options an Emulator with `options` runs under.
  static RuntimeStateOptions For(const EmulatorOptions& options);
};

// NextDecision
//
// What answers one GET /next, decided under the lock and carried out by the server without it
// (the runtime's own reading of a /next reply is lmc::NextAction, lmc/dispatch/outcome.h).
struct NextDecision {
  enum class Kind {
    kPark,       // nothing to hand out: the call waits (FIFO) for an event
    kForbidden,  // 403: an /init/error was accepted, no invocation will follow
    kShutdown,   // 500 and close: BeginShutdown() was called
    kFault,      // apply `fault`
    kEvent,      // dispatch `event`
    kGenerate,   // dispatch (*generator)(index), called without the lock
  };
  Kind kind = Kind::kPark;
  NextFault fault;
  // Optional so that deciding costs no allocation (a default EventSpec allocates strings).
  std::optional<EventSpec> event;
  std::shared_ptr<const EventGenerator> generator;
  uint64_t index = 0;
};

// DispatchResult
//
// Dispatch()'s outcome: the invocation's serial (its identity among attempts that share a request
// id) and, with copy_closed_records, the open attempt with the same request id that it superseded.
struct DispatchResult {
  uint64_t serial = 0;
  std::optional<InvocationRecord> superseded;
};

// DeliveryMark
//
// A /next reply the server queued: once its last byte is written, MarkDelivered() stamps the
// invocation's dispatched_at. `reply_end` is the server's own bookkeeping (where the reply ends
// in its output buffer); RuntimeState ignores it.
struct DeliveryMark {
  size_t reply_end = 0;
  uint64_t serial = 0;
  std::string request_id;
};

// AnswerOutcome
//
// RecordAnswer()'s outcome: how to answer the POST and, with copy_closed_records, the record of
// the invocation the answer closed.
struct AnswerOutcome {
  AnswerVerdict verdict;
  std::optional<InvocationRecord> closed;
};

// ExtensionNextFacts
//
// What the server needs to answer an extension's GET /event/next.
struct ExtensionNextFacts {
  bool known = false;           // the identifier was handed out by extension/register
  bool wants_shutdown = false;  // that extension registered for SHUTDOWN
  bool shutting_down = false;   // BeginShutdown() was called
  std::string reason;           // its reason, when shutting down
};

// RuntimeState
//
// See the file comment. Not copyable or movable (waiters hold its mutex).
class RuntimeState {
 public:
  explicit RuntimeState(RuntimeStateOptions options);
  RuntimeState(const RuntimeState&) = delete;
  RuntimeState& operator=(const RuntimeState&) = delete;

  // --- Feeding and scripting (Emulator's public API) ---

  // Queues an event behind those already queued; queued events go out before generated ones.
  void Enqueue(EventSpec event);
  // Replaces the generator (its remaining events are dropped) with `count` events from `make`.
  void SetGenerator(EventGenerator make, uint64_t count);
  // Append to the FIFO fault scripts consumed by /next calls and answer POSTs.
  void InjectNextFaults(std::vector<NextFault> faults);
  void InjectPostFaults(std::vector<PostFault> faults);
  // From now on /next calls get 500 and extensions registered for SHUTDOWN get the event. The
  // first reason sticks; later calls change nothing.
  void BeginShutdown(std::string reason);

  // --- Observing (copies, consistent with one another at the moment of the call) ---

  Stats stats() const;
  // In dispatch order, the first `limit`. Without keep_records: the open invocations only.
  std::vector<InvocationRecord> records(size_t limit) const;
  // The most recently dispatched invocation with `request_id`, while it is tracked.
  std::optional<InvocationRecord> record(std::string_view request_id) const;
  std::vector<Answer> init_errors() const;
  std::vector<ExtensionRegistration> extensions() const;

  // Block until the condition holds (true) or `timeout` passes (false); woken by every state
  // change. `predicate` runs under the lock: it must be cheap and must not call this object.
  bool WaitForClosed(uint64_t n, absl::Duration timeout) const;
  bool WaitForWaitingNext(size_t n, absl::Duration timeout) const;
  bool WaitForInitError(absl::Duration timeout) const;
  bool WaitFor(const std::function<bool(const Stats&)>& predicate, absl::Duration timeout) const;
  // Makes every waiter evaluate its condition again (for predicates over outside state).
  void NotifyWaiters() const;

  // --- /next (server thread) ---

  // A GET /next arrived at `now`: counts it, then takes what answers it, in this order: 403
  // after an accepted /init/error, 500 once shutting down, the next NextFault, and else, unless
  // `older_calls_parked` (those are served first, FIFO), the next queued or generated event.
  NextDecision BeginNext(absl::Time now, bool older_calls_parked);
  // The same decision for a call whose NextFault was a pure delay that has now run out: no
  // further fault is taken for it.
  NextDecision ContinueDelayedNext(bool older_calls_parked);
  // The call was parked (kPark): counts it as waiting.
  void NextParked();
  // Decides for the oldest parked call; unless the answer is kPark again, it stops counting as
  // waiting.
  NextDecision ServeOldestParked();

  // Records `record` (request_id, invocation_id, tenant_id, deadline, dispatched_at and
  // event_body filled in by the server) as dispatched at `now`. An open invocation with the same
  // request id is closed as superseded. `answer_status`: EventSpec::answer_status.
  // `expect_invocation_id`: a Lambda-Runtime-Invocation-Id was sent, so answers are checked
  // against it.
  DispatchResult Dispatch(InvocationRecord record, std::optional<int> answer_status,
                          bool expect_invocation_id, absl::Time now);
  // The replies of `delivered` were written in full at `now`: counts them as delivered and
  // refines each invocation's dispatched_at (if that attempt is still tracked).
  void MarkDelivered(absl::Span<const DeliveryMark> delivered, absl::Time now);

  // --- Answers (server thread) ---

  // Takes the next PostFault for an answer POST whose body has been read, if one is scripted.
  std::optional<PostFault> TakePostFault();
  // Judges `answer` to `request_id` (its received_at, headers and body are used) under `fault`
  // with JudgeAnswer(), counts it, stores it with the status returned on the invocation (when
  // tracked) and closes the invocation when the verdict says so.
  AnswerOutcome RecordAnswer(std::string_view request_id, Answer answer,
                             const std::optional<PostFault>& fault);
  // Records a POST /init/error and returns its status: 202 for the first one within the size
  // limit (from then on /next gets 403), 403 after that, 413 over the limit.
  int RecordInitError(Answer answer);

  // --- Extensions API (server thread) ---

  // Records a registration. False (nothing recorded) once the runtime has called /next: Lambda
  // closes registration at the runtime's first /next (RAPID answers 403
  // Extension.RegistrationClosed).
  bool AddExtension(ExtensionRegistration registration);
  // Counts an extension /event/next carrying `identifier` (nullptr: no header), received at `now`.
  ExtensionNextFacts BeginExtensionNext(absl::Time now, const std::string* identifier);
  // The shutdown reason once BeginShutdown() was called.
  std::optional<std::string> shutdown_reason() const;
  // Whether the extension with `identifier` registered for SHUTDOWN.
  bool ExtensionWantsShutdown(std::string_view identifier) const;

  // --- Connections (server thread) ---

  void ConnectionOpened();
  // `was_parked_next`: the connection held a parked /next, which stops counting as waiting.
  void ConnectionClosed(bool was_parked_next);
  // `n` more data chunks of streamed bodies arrived.
  void CountChunks(uint64_t n);

 private:
  // One dispatched event.
  struct Invocation {
    InvocationRecord record;
    uint64_t serial = 0;  // dispatch order, unique
    std::optional<int> answer_status;
    bool expect_invocation_id = false;
  };

  NextDecision DecideNextLocked(bool allow_fault, bool allow_event)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Stats SnapshotLocked() const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  void UpdatePeaksLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Invocation* FindLocked(std::string_view request_id) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool WantsShutdownLocked(std::string_view identifier) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  // Marks `inv` closed at `at`, by an answer or (`superseded`) by a newer attempt; only answers
  // count towards the latency (and first-byte) histograms. Returns the record's copy when
  // copy_closed_records. Without keep_records `inv` is destroyed: do not use it afterwards.
  std::optional<InvocationRecord> CloseLocked(Invocation* inv, absl::Time at, bool superseded)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RuntimeStateOptions options_;

  mutable lmc::Mutex mu_;
  std::deque<EventSpec> queue_ ABSL_GUARDED_BY(mu_);
  std::shared_ptr<const EventGenerator> generator_ ABSL_GUARDED_BY(mu_);
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
  LatencyHistogram latency_ ABSL_GUARDED_BY(mu_);
  LatencyHistogram first_byte_ ABSL_GUARDED_BY(mu_);  // streamed answers only
};

}  // namespace lmc::emulator::internal
