// File: handlers/inference/batcher.h
//
// Batcher: dynamic batching shared by every concurrent invocation. Each invocation submits its
// rows and blocks; one worker thread gathers the queued rows of many invocations into one batch,
// runs one forward pass (a BatchFunction, normally Backend::Run) and hands each invocation
// exactly its own output rows back.
//
// A batch closes, whichever comes first, when it holds `max_rows` rows, when `max_callers`
// invocations are queued (no other invocation can arrive: the runtime runs at most that many at
// once, so with one caller a request never waits for company), or when its oldest request has
// waited `max_wait`. While a batch runs, new requests queue for the next one. The queue is
// deadline-aware: a request whose deadline passes before its batch starts fails with
// DeadlineExceeded instead of occupying the device. A request never splits: one with more than
// `max_rows` rows runs as a batch of its own.
//
// Metrics: at the end of the first batch after each `metrics_interval`, the worker logs one
// INFO line "inference batcher: batches=... rows=... requests=... expired=... mean_batch_rows=...
// largest_batch_rows=... mean_queue_wait_us=... mean_forward_us=... batcher_share=..." for the
// interval, then total_requests, total_mean_batch_rows and total_batcher_share since start. The
// batcher's share is the part of the requests' time in Submit() not spent in their batch's
// forward pass: queue wait plus gather/scatter.
//
// Example:
//
//   lmc::inference::Batcher batcher(model.input_width(),
//       [&](const float* rows, size_t n, size_t k, lmc::inference::BatchOutput& out) {
//         return backend->Run(rows, n, k, out);
//       },
//       {.max_rows = 64, .max_wait = std::chrono::microseconds(500), .max_callers = 64},
//       lmc::Clock::Real(), &logger);
//   absl::StatusOr<lmc::inference::Batcher::Result> mine =
//       batcher.Submit(rows, /*k=*/0, context.deadline());
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "handlers/inference/backend.h"
#include "lmc/clock.h"
#include "lmc/logger.h"
#include "lmc/mutex.h"

namespace lmc::inference {

// Runs one batch: `num_rows` rows at `rows`, `k` the largest k any request in it asked for.
using BatchFunction =
    std::function<absl::Status(const float* rows, size_t num_rows, size_t k, BatchOutput& out)>;

// BatcherOptions
//
// max_rows >= 1 (1 = no batching), max_callers >= 1.
struct BatcherOptions {
  size_t max_rows = 64;
  std::chrono::microseconds max_wait{500};
  size_t max_callers = 1;
  std::chrono::nanoseconds metrics_interval = std::chrono::seconds(10);
};

// BatcherStats
//
// Totals since construction (monotonic clock for durations).
struct BatcherStats {
  uint64_t batches = 0;
  uint64_t rows = 0;
  uint64_t requests = 0;                            // answered by a forward pass
  uint64_t expired = 0;                             // failed with DeadlineExceeded
  uint64_t largest_batch = 0;                       // rows
  std::chrono::nanoseconds queue_wait{0};           // summed over requests: enqueue -> batch start
  std::chrono::nanoseconds forward{0};              // summed over batches: the BatchFunction
  std::chrono::nanoseconds gather_scatter{0};       // summed over batches: copying rows in and out
  std::chrono::nanoseconds submitted{0};            // summed over requests: time inside Submit()
  std::chrono::nanoseconds forward_per_request{0};  // summed over requests: their batch's forward
};

// Batcher
//
// Thread-safe: Submit() from any number of threads. Owns its worker thread. The destructor
// lets a running batch finish, fails queued requests with Unavailable, joins the worker and
// waits for every answered Submit() to return; no Submit() may start once it has begun.
// `run` is only ever called from the worker thread, one batch at a time.
class Batcher {
 public:
  // Result
  //
  // One request's rows of its batch's output, and what batching cost it.
  struct Result {
    BatchOutput output;
    size_t batch_rows = 0;
    std::chrono::nanoseconds queue_wait{0};
  };

  // `input_width` values per row. `clock` (deadlines) and `metrics` (may be null: no metrics
  // lines) must outlive the Batcher.
  Batcher(size_t input_width, BatchFunction run, BatcherOptions options, const Clock& clock,
          const Logger* metrics);
  ~Batcher();
  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `rows` (a multiple of input_width values, at least one row) and blocks until its
  // batch has run. `k` as for Backend::Run. DeadlineExceeded when `deadline` passes before the
  // batch starts; the BatchFunction's error when it fails; Unavailable when the Batcher is being
  // destroyed.
  absl::StatusOr<Result> Submit(std::span<const float> rows, size_t k, Clock::TimePoint deadline);

  // Refuses new requests (Unavailable) and fails the queued ones with Unavailable; a running
  // batch finishes and is answered. Does not block. The destructor calls it.
  void Shutdown();

  // Blocks until at least `count` requests are queued (not yet taken into a batch). For tests
  // and benchmarks that must know a request is waiting.
  void AwaitQueued(size_t count);

  BatcherStats stats() const;

 private:
  struct Request;

  void WorkerLoop();
  // True when the queued requests should form a batch now (max_wait is measured on the
  // monotonic clock).
  bool ShouldClose() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Gathers `batch`'s rows, runs them, counts the batch in stats_ and then hands each request
  // its rows. Worker thread; takes mu_ only to count.
  void RunBatch(const std::vector<Request*>& batch, size_t rows, size_t k) ABSL_LOCKS_EXCLUDED(mu_);
  // The metrics line when one is due (and resets the interval), else "".
  std::string TakeMetricsLine() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const size_t input_width_;
  const BatchFunction run_;
  const BatcherOptions options_;
  const Clock& clock_;
  const Logger* const metrics_;

  mutable Mutex mu_;
  std::deque<Request*> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_rows_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // Submit() calls between enqueue and return
  BatcherStats stats_ ABSL_GUARDED_BY(mu_);
  BatcherStats logged_ ABSL_GUARDED_BY(mu_);  // stats_ at the last metrics line
  std::chrono::steady_clock::time_point last_metrics_ ABSL_GUARDED_BY(mu_);

  // Worker-only state (no lock: only the worker thread touches it).
  std::vector<float> gathered_;
  BatchOutput output_;

  std::thread worker_;  // last: starts after everything above is initialised
};

}  // namespace lmc::inference
