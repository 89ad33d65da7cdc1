// File: lmc/dispatch/poll_loop.h
//
// PollLoop: one of the N polling loops. It owns one Runtime API connection and runs, on its own
// thread, the cycle GET /next -> temp dir -> handler -> POST answer -> remove temp dir, forever.
// Because a loop takes its next event only after it has answered the previous one, N loops can
// never hold more than N events (waiting /next calls + invocations in flight <= N), and one slow
// handler never delays another invocation: each has its own loop, thread and connection.
//
// Per-loop state is reused across events (event buffer, header strings, simdjson parser), so
// the steady state allocates almost nothing per invocation.
//
// Example (what LoopSupervisor does for each loop):
//
//   lmc::PollLoop loop(0, std::move(client), settings, on_fatal);
//   std::thread thread([&] { loop.Run(); });
//   ...
//   loop.Stop();   // from any thread: a waiting /next is cancelled, a running handler finishes
//   thread.join();
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "lmc/base/backoff.h"
#include "lmc/base/clock.h"
#include "lmc/base/log_sink.h"
#include "lmc/base/mutex.h"
#include "lmc/context.h"
#include "lmc/dispatch/deadline_watchdog.h"
#include "lmc/handler.h"
#include "lmc/response_stream.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {

// DispatchSettings
//
// Everything the loops share. Read-only while loops run; the pointees must outlive them.
struct DispatchSettings {
  const Handler* handler = nullptr;
  // When set, used instead of `handler`: the answer is streamed (lmc/dispatch/stream_answer.h).
  const StreamingHandler* streaming_handler = nullptr;
  const LogSink* sink = nullptr;
  const Clock* clock = &Clock::Real();
  FunctionInfo function;
  std::filesystem::path tmp_root = "/tmp";

  // Backoff between failed /next calls (and failed POST attempts).
  std::chrono::milliseconds backoff_initial{10};
  std::chrono::milliseconds backoff_max{1000};
  // Returns uniformly random 64-bit values for jitter; empty: a seeded absl::BitGen.
  Backoff::RandomFn random;
  // Consecutive 500 replies to /next after which the runtime gives up (documented as fatal).
  int max_consecutive_fatal = 5;
  // Attempts at delivering one answer when POSTs fail transiently.
  int max_post_attempts = 6;
  // How long after its deadline an answer is still worth trying to deliver.
  std::chrono::milliseconds post_grace{30000};
  // Event buffers larger than this are released after use (a 6 MB event must not pin 6 MB per
  // loop for the rest of a 14-day lifetime).
  size_t retained_event_bytes = 1 << 20;
};

// PollLoop
//
// Run() runs on one dedicated thread. Stop(), invocations() and the destructor may be called
// from other threads (the destructor only after Run() returned).
class PollLoop {
 public:
  // Called (from the loop's thread) when the loop gives up because of a fatal condition.
  using FatalCallback = std::function<void(const absl::Status& reason)>;

  // `watchdog_slot` (may be null: no overrun reports) must outlive the loop.
  PollLoop(int index, std::unique_ptr<RuntimeApiClient> client, const DispatchSettings& settings,
           FatalCallback on_fatal, DeadlineWatchdog::Slot* watchdog_slot = nullptr);
  ~PollLoop();

  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  // Polls and runs events until Stop() or a fatal condition. An event already taken is always
  // run and answered before Run() returns. An exception escaping the loop's own code (not the
  // handler's: those become Errors) is logged, the event in hand is answered with
  // Runtime.InternalError, and the loop starts over.
  void Run();

  // Asks Run() to return: a waiting /next is cancelled at once, a backoff wait is cut short, a
  // running invocation finishes and is answered first. Thread-safe, idempotent.
  void Stop();

  // Invocations this loop has run (answered or not). Thread-safe.
  uint64_t invocations() const { return invocations_.load(std::memory_order_relaxed); }

 private:
  struct State;

  // The loop proper; Run() restarts it after an unexpected exception.
  void RunUntilStopped();
  // Runs one event end to end.
  void Process();
  // Delivers `result` for the current event, retrying transient failures within bounds.
  void Deliver(const Result& result, std::string_view invocation_id, Clock::TimePoint deadline,
               const LogFields& fields);
  // Posts one answer with retries; returns the final action.
  enum class Delivery { kDelivered, kTooLarge, kFailed };
  Delivery Post(bool is_error, std::string_view invocation_id, std::string_view content_type,
                std::string_view body, std::string_view error_type, Clock::TimePoint deadline,
                const LogFields& fields);
  // Waits for `delay` unless Stop() comes first. Returns true if stopping.
  bool WaitUnlessStopped(std::chrono::milliseconds delay);
  bool stopping() const;

  const int index_;
  const std::unique_ptr<RuntimeApiClient> client_;
  const DispatchSettings& settings_;
  const FatalCallback on_fatal_;
  DeadlineWatchdog::Slot* const watchdog_slot_;
  // Buffers, parser and backoff reused for every event; touched only by Run()'s thread.
  const std::unique_ptr<State> state_;
  std::atomic<uint64_t> invocations_{0};
  // True from the moment an event with a usable request id is taken until its answer was
  // attempted: what an unexpected exception must still answer. Loop thread only.
  bool answer_pending_ = false;

  mutable Mutex mu_;
  bool stop_ ABSL_GUARDED_BY(mu_) = false;
};

// Runs `handler` and turns anything it throws into an Error named after the exception's type
// (e.g. "std::runtime_error") carrying what(). Never throws.
Result CallHandler(const Handler& handler, const Event& event, const Context& context);

// Returns `error_type` if it is a safe Lambda-Runtime-Function-Error-Type value (1..128 bytes of
// [A-Za-z0-9._:-]), else "Unhandled". The JSON body always carries the exact type.
std::string_view HeaderErrorType(std::string_view error_type);

}  // namespace lmc
