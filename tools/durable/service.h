// File: tools/durable/service.h
//
// A local durable-execution service: the Lambda API a durable function's SDK calls
// (CheckpointDurableExecution, GetDurableExecutionState, the callback APIs) and the ones a test
// or an operator calls (GetDurableExecution, GetDurableExecutionHistory, StopDurableExecution),
// over HTTP on 127.0.0.1 with the real paths, JSON shapes, status codes and error bodies, and
// the engine that runs executions: each one is started by queuing a durable invocation event
// into a Runtime API emulator (tools/emulator/emulator.h) that a real `bootstrap` polls, its
// answer ({"Status":"SUCCEEDED"|"FAILED"|"PENDING"}) is read back, and it is invoked again when
// a wait ends, a retry is due, a callback or a chained invoke completes. Many executions run at
// once over one bootstrap at concurrency N.
//
//   POST /2025-12-01/durable-executions/{arn}/checkpoint
//   GET  /2025-12-01/durable-executions/{arn}/state?CheckpointToken=&Marker=&MaxItems=
//   GET  /2025-12-01/durable-executions/{arn}            GetDurableExecution
//   GET  /2025-12-01/durable-executions/{arn}/history    ?IncludeExecutionData=&MaxItems=&Marker=
//   POST /2025-12-01/durable-executions/{arn}/stop
//   POST /2025-12-01/durable-execution-callbacks/{CallbackId}/succeed|fail|heartbeat
//
// Every request must carry an Authorization header of the SigV4 shape (signatures are not
// verified); one without is answered 403 as the service answers it. Errors are rest-json: the
// type in `X-Amzn-ErrorType` and the body ({"Type":"User","message":...}).
//
// Time is skipped by default (execution.h): a one-hour wait costs nothing. Faults can be
// injected (429, 5xx, a rejected checkpoint token, a reset connection) to test an SDK's answer.
//
// Example:
//
//   DurableService service;
//   if (absl::Status s = service.Start(); !s.ok()) return s;
//   absl::StatusOr<FunctionInfo> fn = service.AddFunction({.name = "durable-workflow"});
//   // spawn the bootstrap: AWS_LAMBDA_RUNTIME_API=fn->runtime_api,
//   //                      AWS_ENDPOINT_URL_LAMBDA=service.endpoint(), ...
//   absl::StatusOr<std::string> arn = service.StartExecution("durable-workflow", R"({"steps":3})");
//   service.WaitForExecution(*arn, absl::Seconds(10));
//   std::optional<ExecutionSnapshot> done = service.Describe(*arn);   // status, result, history
//
// Threading: every public method is thread-safe. The state of all executions lives under one
// mutex; it is changed by the HTTP server thread (API calls), the function emulators' server
// threads (invocation answers) and the scheduler thread (timers, dispatching invocations).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "lmc/clock.h"
#include "lmc/mutex.h"
#include "tools/durable/execution.h"
#include "tools/durable/model.h"
#include "tools/emulator/emulator.h"

namespace lmc::durable_service {

// ServiceOptions
struct ServiceOptions {
  int port = 0;  // the API's port; 0: ephemeral
  std::string region = "us-east-1";
  std::string account = "123456789012";
  // Time skipping (see execution.h); false: every timer fires in real time.
  bool skip_time = true;
  // With skip_time, whether callback timeouts and heartbeat timeouts are skipped to as well.
  // false suits a person answering callbacks by hand: those timers then run in real time.
  bool skip_callback_timeouts = true;
  size_t page_items = 1000;  // operations per page (invocation event, GetDurableExecutionState)
  int max_invocation_attempts = 5;
  absl::Duration invocation_retry_delay = absl::Seconds(5);  // on the execution's clock
  // When set, requests must be signed with this access key id and carry this session token
  // (X-Amz-Security-Token), as the bootstrap's environment gives them; else 403.
  std::optional<std::string> access_key_id;
  std::optional<std::string> session_token;
  const lmc::Clock* clock = &lmc::Clock::Real();
};

// FunctionOptions: a function the service can invoke.
struct FunctionOptions {
  std::string name;
  // A durable function gets durable invocation events; a plain one (only a chained invoke's
  // target) gets the payload as its event and answers with any result.
  bool durable = true;
  absl::Duration invocation_timeout = absl::Minutes(15);  // Lambda-Runtime-Deadline-Ms
};

// FunctionInfo: where a function's bootstrap must poll.
struct FunctionInfo {
  std::string name;
  std::string runtime_api;  // AWS_LAMBDA_RUNTIME_API ("127.0.0.1:port")
  std::string function_arn;
};

// StartOptions
struct StartOptions {
  std::string name;  // DurableExecutionName; empty: a fresh UUID
  std::vector<CallbackScript> callbacks;
};

// ApiFault: a scripted failure of one API call, consumed in FIFO order by the first call that
// matches. The call has no effect (nothing applied, no token used).
struct ApiFault {
  enum class Api { kAny, kCheckpoint, kGetState, kCallback };
  Api api = Api::kCheckpoint;
  int status = 0;              // 429 (TooManyRequestsException) or 5xx (ServiceException)
  bool invalid_token = false;  // 400 InvalidParameterValueException "Invalid Checkpoint Token"
  bool reset = false;          // the connection is reset before any answer
};

// ServiceStats: counters since Start().
struct ServiceStats {
  uint64_t executions = 0;
  uint64_t invocations = 0;
  uint64_t checkpoints = 0;     // accepted CheckpointDurableExecution calls
  uint64_t rejected_calls = 0;  // API calls answered 4xx (faults excluded)
  uint64_t faults_applied = 0;
  uint64_t unsigned_calls = 0;  // answered 403 for a missing or malformed signature
  size_t max_in_flight = 0;     // peak of invocations in flight at once (all functions)
};

class DurableService {
 public:
  // A request's query string, decoded: its key=value pairs in order.
  using QueryPairs = std::vector<std::pair<std::string, std::string>>;

  explicit DurableService(ServiceOptions options = {});
  // Stops the scheduler and every server; running executions are left as they are.
  ~DurableService();
  DurableService(const DurableService&) = delete;
  DurableService& operator=(const DurableService&) = delete;

  // Binds the API server and starts the scheduler.
  absl::Status Start();
  // "http://127.0.0.1:<port>": the value for AWS_ENDPOINT_URL_LAMBDA.
  std::string endpoint() const;

  // AddFunction()
  //
  // Creates the function's Runtime API emulator (started). AlreadyExists for a taken name.
  absl::StatusOr<FunctionInfo> AddFunction(FunctionOptions options);
  // The function's emulator (for its statistics), or nullptr.
  emulator::Emulator* function_emulator(const std::string& name);

  // StartExecution()
  //
  // Starts a durable execution of `function` with `input` (JSON text): its first invocation is
  // queued at once. Returns its ARN. NotFound for an unknown function, InvalidArgument for a
  // plain one or input that is not JSON.
  absl::StatusOr<std::string> StartExecution(const std::string& function, std::string input,
                                             StartOptions options = {});

  // Condition waits (true when met before `timeout`).
  bool WaitForExecution(const std::string& arn, absl::Duration timeout);
  bool WaitForAll(absl::Duration timeout);  // every execution has ended
  // Waits until `predicate` holds for the execution (checked after every change).
  bool WaitUntil(const std::string& arn,
                 const std::function<bool(const ExecutionSnapshot&)>& predicate,
                 absl::Duration timeout);

  // WaitForChange()
  //
  // Blocks until the service's change counter passes `seen` (any execution changed, a callback
  // was answered, Wake() was called) or `timeout` passes; returns the counter.
  uint64_t WaitForChange(uint64_t seen, absl::Duration timeout);
  // Wakes WaitForChange() callers (a signal handler's way to stop a waiting command).
  void Wake();

  std::optional<ExecutionSnapshot> Describe(const std::string& arn) const;
  std::vector<std::string> ExecutionArns() const;  // in start order

  // The callback APIs, as their HTTP routes call them (InvalidArgument for an unknown or closed
  // callback, FailedPrecondition when it timed out).
  absl::Status SendCallbackSuccess(const std::string& callback_id,
                                   std::optional<std::string> result);
  absl::Status SendCallbackFailure(const std::string& callback_id, ErrorObject error);
  absl::Status SendCallbackHeartbeat(const std::string& callback_id);

  void InjectFaults(std::vector<ApiFault> faults);

  // RuntimeExited()
  //
  // The bootstrap serving `function` exited: its invocations in flight end with
  // Runtime.ExitError (`message`) and are retried like any failed invocation, once a new
  // bootstrap polls. Events not yet handed to the dead runtime stay queued for the next one.
  void RuntimeExited(const std::string& function, const std::string& message);

  ServiceStats stats() const;

 private:
  struct Function {
    FunctionOptions options;
    std::string arn;
    std::unique_ptr<emulator::Emulator> emulator;
  };

  struct Entry {
    std::unique_ptr<Execution> exec;
    std::string function;
    std::optional<std::string> tenant_id;  // a chained invoke's TenantId, sent with each event
    // A chained invoke's target: the parent execution and its CHAINED_INVOKE operation.
    std::optional<std::pair<std::string, std::string>> parent;
    bool finalized = false;  // its end has been passed on
  };

  // A chained invoke of a plain (non-durable) function: one ordinary invocation.
  struct PlainCall {
    std::string function;
    std::string parent_arn;
    std::string op_id;
    absl::Time started;
  };

  // The log's view of the service while one execution's checkpoint is applied (under mu_).
  class Hooks : public OperationLog::Hooks {
   public:
    Hooks(DurableService& service, Entry& entry, absl::Time now);
    std::string NewCallbackId(const Operation& callback) override;
    ChainedStart StartChainedInvoke(const Operation& op, const OperationUpdate& update) override;

   private:
    DurableService& service_;
    Entry& entry_;
    absl::Time now_;
  };

  // --- engine (service.cc) ---
  void SchedulerLoop();
  void Kick() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    kick_ = true;
    ++changes_;
  }
  void Dispatch(Entry& entry, absl::Time real_now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnClosed(const std::string& function, const emulator::InvocationRecord& record);
  void AfterChange(Entry& entry, absl::Time real_now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::string> StartLocked(const std::string& function, std::string input,
                                          StartOptions options, absl::Time real_now)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  ChainedStart StartChained(Entry& parent, const Operation& op, const OperationUpdate& update,
                            absl::Time real_now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CallbackAction(const std::string& callback_id, OperationLog::Completion how,
                              std::optional<std::string> result, std::optional<ErrorObject> error,
                              bool heartbeat);
  absl::Time Now() const { return absl::FromChrono(options_.clock->Now()); }
  std::string NewCallbackId();

  // --- HTTP API (service_routes.cc) ---
  std::optional<emulator::ExtraReply> HandleApi(const emulator::ExtraRequest& request);
  std::optional<emulator::ExtraReply> CheckSignature(const emulator::ExtraRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  std::optional<emulator::ExtraReply> TakeFault(ApiFault::Api api)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  emulator::ExtraReply Checkpoint(const std::string& arn, std::string_view body)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  emulator::ExtraReply GetState(const std::string& arn, const QueryPairs& query)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  emulator::ExtraReply GetExecution(const std::string& arn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  emulator::ExtraReply GetHistory(const std::string& arn, const QueryPairs& query)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  emulator::ExtraReply StopExecution(const std::string& arn) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  emulator::ExtraReply Callback(const std::string& callback_id, std::string_view action,
                                std::string_view body);

  const ServiceOptions options_;
  // The HTTP server (only its extra routes are used); reset first on destruction.
  std::unique_ptr<emulator::Emulator> api_;

  mutable lmc::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool kick_ ABSL_GUARDED_BY(mu_) = false;
  absl::flat_hash_map<std::string, std::unique_ptr<Function>> functions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, std::unique_ptr<Entry>> executions_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> order_ ABSL_GUARDED_BY(mu_);  // ARNs in start order
  // request id -> ARN of the execution whose invocation it is.
  absl::flat_hash_map<std::string, std::string> requests_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, PlainCall> plain_calls_ ABSL_GUARDED_BY(mu_);
  // callback id -> (ARN, operation id).
  absl::flat_hash_map<std::string, std::pair<std::string, std::string>> callbacks_
      ABSL_GUARDED_BY(mu_);
  std::vector<ApiFault> faults_ ABSL_GUARDED_BY(mu_);
  ServiceStats stats_ ABSL_GUARDED_BY(mu_);
  uint64_t changes_ ABSL_GUARDED_BY(mu_) = 0;
  std::thread scheduler_;
};

}  // namespace lmc::durable_service
