// File: handlers/durable/testing/fake_checkpoint_service.h
//
// FakeCheckpointService: an in-memory CheckpointService for unit tests of durable workflows
// (library lmc_durable_testing). It keeps each execution's operation log the way the service
// does (PROTOCOL.md §4: START/SUCCEED/FAIL/RETRY/CANCEL, waits that come due, retries that get
// READY, callback ids), enforces the token rules (each CheckpointToken is accepted once; any
// other token is answered kAborted "Invalid Checkpoint Token"), records every batch it accepted,
// notices two calls in flight for one execution, pages logs when asked to, and can fail calls
// on purpose. Invoke() runs a durable handler once through lmc's offline harness with the
// execution's next event and returns the parsed answer, so a test drives an execution
// invocation by invocation, advancing its FakeClock in between.
//
// Example (GoogleTest):
//
//   lmc::FakeClock clock;
//   auto service = std::make_shared<lmc::durable::testing::FakeCheckpointService>(clock);
//   lmc::Handler handler = lmc::durable::Handler(Workflow, {.service = service});
//   service->StartExecution("arn:1", R"({"steps":2})");
//   auto first = service->Invoke(handler, "arn:1");       // PENDING: a wait began
//   clock.Advance(std::chrono::seconds(30));
//   auto second = service->Invoke(handler, "arn:1");      // SUCCEEDED
//   EXPECT_EQ(second.output->result, R"({"sum":1})");
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "handlers/durable/checkpoint_service.h"
#include "handlers/durable/operation.h"
#include "handlers/durable/wire_json.h"
#include "lmc/clock.h"
#include "lmc/handler.h"
#include "lmc/mutex.h"
#include "lmc/testing/handler_harness.h"

namespace lmc::durable::testing {

// InvokeOutcome
//
// One invocation: the durable answer (when the handler answered through /response), or the
// Lambda error it reported (`invocation_error`, e.g. Durable.CheckpointFailed).
struct InvokeOutcome {
  std::optional<InvocationOutput> output;
  std::optional<lmc::Error> invocation_error;
  std::string logs;
};

// FakeCheckpointService
//
// Thread-safe. `clock` must outlive it.
class FakeCheckpointService : public CheckpointService {
 public:
  explicit FakeCheckpointService(const Clock& clock = Clock::Real());

  // CheckpointService
  absl::StatusOr<CheckpointResponse> Checkpoint(const CheckpointRequest& request) override;
  absl::StatusOr<StateResponse> GetState(const StateRequest& request) override;

  // Creates execution `arn` whose input is `input_payload` (JSON text).
  void StartExecution(const std::string& arn, const std::string& input_payload);
  // The invocation event for the execution's next invocation: a fresh token and its log (the
  // first page; NextMarker when a page size is set and the log is longer). Waits and retries
  // that are due by the clock become SUCCEEDED and READY first.
  std::string NextEvent(const std::string& arn);
  // Runs `handler` once on NextEvent(arn) through lmc::testing::Invoke.
  InvokeOutcome Invoke(const lmc::Handler& handler, const std::string& arn);

  // Completes a callback (by its CallbackId) or a chained invoke (by operation Id).
  absl::Status SucceedCallback(const std::string& callback_id, const std::string& result);
  absl::Status FailCallback(const std::string& callback_id, const ErrorObject& error);
  absl::Status TimeOutCallback(const std::string& callback_id);
  absl::Status FinishInvoke(const std::string& arn, const std::string& operation_id,
                            OperationStatus status, std::optional<std::string> result,
                            std::optional<ErrorObject> error);

  // Inspection.
  std::vector<CheckpointRequest> Batches(const std::string& arn) const;
  std::vector<Operation> Operations(const std::string& arn) const;
  std::optional<Operation> FindByName(const std::string& arn, const std::string& name) const;
  int rejected_tokens() const;
  int overlapping_calls() const;
  int state_calls() const;

  // Faults and paging.
  // The next `count` calls (Checkpoint or GetState) fail with `status` without effect.
  void FailNextCalls(int count, absl::Status status);
  // Operations per page of events and state answers (0: no paging).
  void SetPageSize(size_t page_size);
  // The next checkpoint answers carry no token (the execution ended service-side).
  void EndExecution(const std::string& arn);
  // Appends `op` to the log as if an earlier invocation had left it there (to stage replays:
  // an interrupted step, a log another SDK wrote).
  void AppendOperation(const std::string& arn, Operation op);

 private:
  struct Execution {
    std::vector<Operation> log;  // in the order operations were created
    std::string token;
    std::vector<CheckpointRequest> batches;
    bool in_flight = false;
    bool ended = false;
  };

  Execution* Find(const std::string& arn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  Operation* FindOp(Execution& execution, const std::string& id) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status Apply(Execution& execution, const OperationUpdate& update,
                     std::vector<Operation>& changed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Start(Execution& execution, const OperationUpdate& update, Operation* existing,
             std::vector<Operation>& changed) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status TakeFault() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::string NewToken() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  int64_t NowMs() const;

  const Clock& clock_;
  mutable Mutex mu_;
  std::map<std::string, Execution> executions_ ABSL_GUARDED_BY(mu_);
  int next_token_ ABSL_GUARDED_BY(mu_) = 0;
  int next_callback_ ABSL_GUARDED_BY(mu_) = 0;
  int rejected_tokens_ ABSL_GUARDED_BY(mu_) = 0;
  int overlapping_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int state_calls_ ABSL_GUARDED_BY(mu_) = 0;
  int faults_left_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Status fault_ ABSL_GUARDED_BY(mu_);
  size_t page_size_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace lmc::durable::testing
