// File: handlers/batching/batcher.h
//
// lmc::batching::Batcher<Request, Response>: lmc's dynamic batching for any model. Concurrent
// invocations each Submit() one request and block; one worker thread gathers the queued
// requests of many invocations into one batch, calls your RunBatch once for the whole batch and
// hands each invocation its own response. Bring any model and library (TensorRT, ONNX Runtime,
// libtorch, your own kernels): RunBatch is yours, over your own request and response types.
//
// What you get (see batch_queue.h for the exact rules): a batch closes at `max_batch_size`
// (counted in your unit: rows, texts, tokens; one per request unless you pass `size_of`), after
// `max_wait`, or as soon as every concurrent invocation (`max_callers`) is queued; a request
// whose Lambda deadline passes while queued fails with DeadlineExceeded without reaching the
// model; a metrics line (batch sizes, queue wait, run time, the batcher's share of the time)
// every `metrics_interval`, and stats() for your own metrics.
//
// Design: a thin typed front over a type-erased core (BatchQueue). The queue, its locking, the
// deadlines and the metrics are compiled once, in batch_queue.cc, tested once (also under TSan),
// and do not grow every user's compile; a plugin carries them as one object file. The price is
// one indirect call and a pointer cast per request per batch, nothing next to a forward pass.
// A template over the whole batcher would inline RunBatch, which runs once per batch and gains
// nothing from it.
//
// Example (a handler whose model scores feature vectors in batches):
//
//   struct Features { std::vector<float> values; };
//   struct Score { float value = 0; };
//   absl::Status RunBatch(std::span<const Features* const> requests,
//                         std::span<Score* const> responses) {
//     // One call for the whole batch: pack requests[i]->values, run the model once, and
//     // write responses[i]->value for every i.
//   }
//   lmc::batching::Batcher<Features, Score> batcher(
//       RunBatch, {.max_batch_size = 64, .max_wait = std::chrono::microseconds(500),
//                  .max_callers = init.function.max_concurrency});
//   // In the handler, on any number of threads at once:
//   absl::StatusOr<Score> score = batcher.Submit(features, context.deadline());
//
// Per-request failures (one bad input in a batch) belong in your Response type (for example an
// absl::Status member); a non-OK status from RunBatch fails every request of the batch.
#pragma once

#include <cstddef>
#include <functional>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "handlers/batching/batch_queue.h"
#include "lmc/clock.h"
#include "lmc/logger.h"

namespace lmc::batching {

// Batcher
//
// Request: any type; Submit() borrows it (no copy) until it returns. Response: default- and
// move-constructible; each request's Response is default-constructed on its caller's stack,
// RunBatch writes it in place, and Submit() moves it out.
//
// Thread-safe: Submit() from any number of threads; RunBatch runs on the worker thread only,
// one batch at a time, so it may keep scratch state without a lock. Destruction: see
// BatchQueue (queued requests fail with Unavailable; a running batch finishes).
template <typename Request, typename Response>
class Batcher {
 public:
  static_assert(std::is_default_constructible_v<Response> && std::is_move_constructible_v<Response>,
                "Batcher's Response must be default- and move-constructible");

  // Runs one batch: `requests` oldest first, `responses[i]` the response to write for
  // `requests[i]`. Both spans are valid only during the call.
  using RunBatchFunction = std::function<absl::Status(std::span<const Request* const> requests,
                                                      std::span<Response* const> responses)>;
  // A request's size in max_batch_size's unit, >= 1. Called on the submitting thread.
  using SizeFunction = std::function<size_t(const Request&)>;

  // `clock` (deadlines) and `metrics` (may be null: no metrics line) must outlive the
  // Batcher. Without `size_of`, every request counts 1.
  Batcher(RunBatchFunction run_batch, BatcherOptions options, const Clock& clock = Clock::Real(),
          const Logger* metrics = nullptr, SizeFunction size_of = nullptr)
      : run_batch_(std::move(run_batch)),
        size_of_(std::move(size_of)),
        queue_([this](std::span<void* const> items) { return RunErased(items); },
               std::move(options), clock, metrics) {}

  Batcher(const Batcher&) = delete;
  Batcher& operator=(const Batcher&) = delete;

  // Queues `request` and blocks until its batch has run; returns its response. Errors:
  // RunBatch's status; DeadlineExceeded when `deadline` passes before the batch starts;
  // Unavailable while shutting down; InvalidArgument for a size of 0. `info` (may be null)
  // receives the size of the batch and the queue wait.
  absl::StatusOr<Response> Submit(const Request& request, Clock::TimePoint deadline,
                                  BatchInfo* info = nullptr) {
    Slot slot{&request, Response{}};
    const size_t size = size_of_ ? size_of_(request) : 1;
    absl::Status status = queue_.Submit(&slot, size, deadline, info);
    if (!status.ok()) return status;
    return std::move(slot.response);
  }

  // See BatchQueue.
  void Shutdown() { queue_.Shutdown(); }
  void AwaitQueued(size_t count) { queue_.AwaitQueued(count); }
  BatcherStats stats() const { return queue_.stats(); }

 private:
  // One submitted request and its response, on the submitting thread's stack.
  struct Slot {
    const Request* request;
    Response response;
  };

  // The worker's call: unpacks the slots into the spans RunBatch takes.
  absl::Status RunErased(std::span<void* const> items) {
    requests_.clear();
    responses_.clear();
    for (void* item : items) {
      Slot* slot = static_cast<Slot*>(item);
      requests_.push_back(slot->request);
      responses_.push_back(&slot->response);
    }
    return run_batch_(requests_, responses_);
  }

  const RunBatchFunction run_batch_;
  const SizeFunction size_of_;
  // Worker-only scratch (no lock: only RunErased, on the worker thread, touches them).
  std::vector<const Request*> requests_;
  std::vector<Response*> responses_;
  BatchQueue queue_;  // last: destroyed first, joining the worker before the members above go
};

}  // namespace lmc::batching
