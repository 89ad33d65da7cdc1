// File: bench/durable_bench_service.h
//
// BenchCheckpointService: the in-memory CheckpointService of lmc-durable-bench. It keeps one
// execution's operation log the way the service does for the calls a workflow of plain steps
// makes (START creates an operation, SUCCEED/FAIL finish it; each answer carries a new token and
// every operation the request changed, once), serves GetDurableExecutionState pages of a given
// log, and counts what it was sent. It does as little as a service can (an index by id, no token
// check, no copy of the requests unless asked), so that a benchmark of the SDK against it
// measures the SDK; its own cost can be measured apart (Replay()).
//
// handlers/durable/testing's FakeCheckpointService is the one to test with: it enforces the
// token rules, records every batch and finds operations by a linear scan, which is right for
// tests and would be most of the cost of a 1,000-step benchmark.
//
// Example:
//
//   auto service = std::make_shared<lmc::bench::BenchCheckpointService>();
//   lmc::Handler handler = lmc::durable::Handler(Workflow, {.service = service});
//   ... invoke ...
//   BenchCheckpointService::Totals t = service->totals();   // calls, updates
//   std::vector<lmc::durable::Operation> log = service->log();
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "handlers/durable/checkpoint_service.h"
#include "handlers/durable/operation.h"
#include "lmc/mutex.h"

namespace lmc::bench {

// BenchCheckpointService
//
// Thread-safe (one mutex; the SDK never has two calls of one execution in flight).
class BenchCheckpointService : public durable::CheckpointService {
 public:
  struct Options {
    // Served by GetState: the marker is the offset into `pages`, pages hold `max_items`.
    std::vector<durable::Operation> pages;
    // Keep every request and answer (for byte counts and for Replay()).
    bool record = false;
    // Epoch milliseconds written as the operations' timestamps.
    int64_t now_ms = 1'765'000'000'000;
  };

  struct Totals {
    uint64_t checkpoints = 0;  // CheckpointDurableExecution calls
    uint64_t updates = 0;      // updates in them
    uint64_t state_calls = 0;  // GetDurableExecutionState calls
  };

  BenchCheckpointService() : BenchCheckpointService(Options{}) {}
  explicit BenchCheckpointService(Options options);

  absl::StatusOr<durable::CheckpointResponse> Checkpoint(
      const durable::CheckpointRequest& request) override;
  absl::StatusOr<durable::StateResponse> GetState(const durable::StateRequest& request) override;

  Totals totals() const;
  // The operations created so far, in creation order.
  std::vector<durable::Operation> log() const;
  // With Options::record: every request and its answer, in order.
  std::vector<durable::CheckpointRequest> requests() const;
  std::vector<durable::CheckpointResponse> responses() const;

  // Applies `requests` to a fresh service of its own, `rounds` times over: the service's own
  // share of a benchmark that sent them. Returns the CPU seconds of the calling thread spent.
  static double Replay(const std::vector<durable::CheckpointRequest>& requests, int rounds);

 private:
  const std::vector<durable::Operation> pages_;
  const bool record_;
  const int64_t now_ms_;
  mutable Mutex mu_;
  std::vector<durable::Operation> log_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> index_ ABSL_GUARDED_BY(mu_);
  uint64_t next_token_ ABSL_GUARDED_BY(mu_) = 0;
  Totals totals_ ABSL_GUARDED_BY(mu_);
  std::vector<durable::CheckpointRequest> requests_ ABSL_GUARDED_BY(mu_);
  std::vector<durable::CheckpointResponse> responses_ ABSL_GUARDED_BY(mu_);
};

// The calling thread's CPU time, seconds.
double ThreadCpuSeconds();

}  // namespace lmc::bench
