// File: handlers/batching/batch_queue.h
//
// BatchQueue: the type-erased core of lmc's dynamic batcher. It queues opaque items from many
// submitting threads, closes batches (max size, max wait, every concurrent caller queued), fails
// items whose deadline passes while queued, runs each batch on its one worker thread and keeps
// the metrics. It never looks inside an item: the typed front `lmc::batching::Batcher<Request,
// Response>` (batcher.h) is what handlers and plugins use; this header holds what both share
// (options, stats, per-request info) and the core itself.
//
// A batch closes, whichever comes first, when the sizes of its queued requests reach
// `max_batch_size`, when `max_callers` requests are queued (no other one can arrive: the runtime
// runs at most that many invocations at once, so a lone caller never waits for company), or when
// its oldest request has waited `max_wait`. While a batch runs, new requests queue for the next
// one. A request whose deadline passes before its batch starts fails with DeadlineExceeded
// instead of occupying the device. A request never splits: one larger than `max_batch_size` runs
// as a batch of its own.
//
// Wake-ups: a submitter wakes the worker only when the worker sleeps and either the queue was
// empty (the max_wait timer starts) or the batch can close now; the other arrivals cost one
// uncontended lock. Each submitter is woken once, when its own batch is done.
//
// Metrics: at the end of the first batch after each `metrics_interval`, the worker logs one INFO
// line "<name>: batches=... size=... requests=... expired=... mean_batch_size=...
// largest_batch_size=... mean_queue_wait_us=... mean_run_us=... batcher_share=...
// total_requests=... total_mean_batch_size=... total_batcher_share=..." (the interval, then
// totals since start). The batcher's share is the part of the requests' time in Submit() not
// spent in their batch's run function: queue wait and hand-over.
//
// Example (through the typed front; see batcher.h):
//
//   lmc::batching::Batcher<Query, Answer> batcher(RunMyModel, {.max_callers = 64});
//   absl::StatusOr<Answer> answer = batcher.Submit(query, context.deadline());
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
#include "absl/status/status.h"
#include "lmc/clock.h"
#include "lmc/logger.h"
#include "lmc/mutex.h"

namespace lmc::batching {

// BatcherOptions
//
// max_batch_size >= 1 (1 = no batching; sizes come from the request, see Batcher), max_callers
// >= 1 (the runtime's concurrency, InitContext::function.max_concurrency). `name` starts the
// metrics line.
struct BatcherOptions {
  size_t max_batch_size = 64;
  std::chrono::microseconds max_wait{500};
  size_t max_callers = 1;
  std::chrono::nanoseconds metrics_interval = std::chrono::seconds(10);
  std::string name = "batcher";
};

// BatcherStats
//
// Totals since construction (monotonic clock for durations).
struct BatcherStats {
  uint64_t batches = 0;
  uint64_t size = 0;                            // summed over batches: their sizes
  uint64_t requests = 0;                        // answered by a run of their batch
  uint64_t expired = 0;                         // failed with DeadlineExceeded
  uint64_t largest_batch = 0;                   // size
  std::chrono::nanoseconds queue_wait{0};       // summed over requests: enqueue -> batch start
  std::chrono::nanoseconds run{0};              // summed over batches: the run function
  std::chrono::nanoseconds submitted{0};        // summed over requests: enqueue -> answered
  std::chrono::nanoseconds run_per_request{0};  // summed over requests: their batch's run
};

// BatchInfo
//
// What batching did to one request: the batch it ran in and how long it queued.
struct BatchInfo {
  size_t batch_size = 0;      // the sum of the sizes of the batch's requests
  size_t batch_requests = 0;  // how many requests shared the batch
  std::chrono::nanoseconds queue_wait{0};
};

// BatchQueue
//
// Thread-safe: Submit() from any number of threads. Owns its worker thread. The destructor lets
// a running batch finish, fails queued requests with Unavailable, joins the worker and waits for
// every answered Submit() to return; no Submit() may start once it has begun. `run` is only
// ever called from the worker thread, one batch at a time.
class BatchQueue {
 public:
  // Runs one batch: the `items` given to Submit(), oldest first. Its status is every item's.
  using RunFunction = std::function<absl::Status(std::span<void* const> items)>;

  // `clock` (deadlines) and `metrics` (may be null: no metrics lines) must outlive the queue.
  BatchQueue(RunFunction run, BatcherOptions options, const Clock& clock, const Logger* metrics);
  ~BatchQueue();
  BatchQueue(const BatchQueue&) = delete;
  BatchQueue& operator=(const BatchQueue&) = delete;

  // Queues `item` (not owned; it must stay valid until Submit() returns) counting `size` >= 1
  // towards max_batch_size, and blocks until its batch has run: returns the run function's
  // status. DeadlineExceeded when `deadline` passes before the batch starts (the item was never
  // given to the run function); Unavailable when the queue is shutting down; InvalidArgument
  // for size 0. `info` (may be null) receives the batch's figures when the batch ran.
  absl::Status Submit(void* item, size_t size, Clock::TimePoint deadline, BatchInfo* info);

  // Refuses new requests (Unavailable) and fails the queued ones with Unavailable; a running
  // batch finishes and is answered. Does not block. The destructor calls it.
  void Shutdown();

  // Blocks until at least `count` requests are queued (not yet taken into a batch). For tests
  // and benchmarks that must know a request is waiting.
  void AwaitQueued(size_t count);

  BatcherStats stats() const;

 private:
  struct Entry;

  void WorkerLoop();
  // Sleeps (mu_ released) until a submitter or Shutdown() rings or the oldest request's
  // max_wait is up, whichever comes first.
  void SleepUntilRungOrDue() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // True when the queued requests should form a batch now.
  bool ShouldClose() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Moves the next batch out of the queue into `batch` (failing expired requests on the way);
  // returns its size.
  size_t TakeBatch(std::vector<Entry*>& batch) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // Runs `batch`, counts it in stats_ and then answers each request. Worker thread; takes mu_
  // only to count.
  void RunBatch(const std::vector<Entry*>& batch, size_t size) ABSL_LOCKS_EXCLUDED(mu_);
  // The metrics line when one is due (and resets the interval), else "".
  std::string TakeMetricsLine() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  const RunFunction run_;
  const BatcherOptions options_;
  const Clock& clock_;
  const Logger* const metrics_;

  mutable Mutex mu_;
  std::deque<Entry*> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_size_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  // True while the worker sleeps in SleepUntilRungOrDue(); the first submitter that needs it
  // awake clears it and rings, so one sleep takes at most one ring.
  bool worker_asleep_ ABSL_GUARDED_BY(mu_) = false;
  size_t in_flight_ ABSL_GUARDED_BY(mu_) = 0;  // Submit() calls between enqueue and return
  BatcherStats stats_ ABSL_GUARDED_BY(mu_);
  BatcherStats logged_ ABSL_GUARDED_BY(mu_);  // stats_ at the last metrics line
  std::chrono::steady_clock::time_point last_metrics_ ABSL_GUARDED_BY(mu_);

  // The worker's doorbell, apart from mu_ so that enqueueing never wakes it by itself.
  Mutex bell_mu_;
  bool rung_ ABSL_GUARDED_BY(bell_mu_) = false;

  std::vector<void*> items_;  // worker-only scratch (no lock): the running batch's items

  std::thread worker_;  // last: starts after everything above is initialised
};

}  // namespace lmc::batching
