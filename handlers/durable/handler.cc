#include "handlers/durable/handler.h"

#include <exception>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/internal/execution.h"
#include "handlers/durable/internal/signals.h"
#include "handlers/durable/lambda_client.h"
#include "handlers/durable/wire_json.h"
#include "lmc/context.h"
#include "lmc/event.h"
#include "lmc/mutex.h"
#include "lmc/strings.h"

namespace lmc::durable {
namespace internal {
namespace {

// Lambda's response limit, less the answer's envelope, as the official SDKs count it.
constexpr size_t kResponseLimit = size_t{6} * 1024 * 1024 - 50;

// The checkpoint service of every invocation of one handler: the configured one, or the
// Lambda client built from the environment at the first invocation that needs it.
class ServiceSlot {
 public:
  explicit ServiceSlot(std::shared_ptr<CheckpointService> service) : service_(std::move(service)) {}

  absl::StatusOr<std::shared_ptr<CheckpointService>> Get() {
    MutexLock lock(&mu_);
    if (service_ != nullptr) return service_;
    absl::StatusOr<std::unique_ptr<LambdaClient>> client = LambdaClient::FromEnvironment();
    if (!client.ok()) return client.status();
    service_ = std::move(*client);
    return service_;
  }

 private:
  Mutex mu_;
  std::shared_ptr<CheckpointService> service_ ABSL_GUARDED_BY(mu_);
};

bool RetriesInvocation(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsResourceExhausted(status) ||
         absl::IsAborted(status) || absl::IsDeadlineExceeded(status) || absl::IsInternal(status) ||
         absl::IsUnknown(status);
}

}  // namespace

// InvocationRunner
//
// One invocation of a durable handler (see handler.h for what it answers). Friend of
// DurableContext, which it creates the root of.
class InvocationRunner {
 public:
  InvocationRunner(const handler_internal::Workflow& workflow, const HandlerOptions& options,
                   ServiceSlot& services)
      : workflow_(workflow), options_(options), services_(services) {}

  lmc::Result Run(const Event& event, const Context& context) const;

 private:
  // Runs the workflow on a loaded execution and answers.
  lmc::Result Answer(Execution& execution, const Context& context) const;
  // The answer for a fatal error: /error (Lambda retries) or FAILED.
  static lmc::Result Fatal(const FatalError& fatal, const Context& context);
  // SUCCEEDED/FAILED with a result or error larger than the response limit: checkpointed on
  // the EXECUTION operation first, answered without it.
  lmc::Result Oversized(Execution& execution, InvocationOutput output,
                        const Context& context) const;

  const handler_internal::Workflow& workflow_;
  const HandlerOptions& options_;
  ServiceSlot& services_;
};

lmc::Result InvocationRunner::Run(const Event& event, const Context& context) const {
  absl::StatusOr<InvocationInput> input = ParseInvocationInput(event);
  if (!input.ok()) {
    context.logger().Error(absl::StrCat(
        "not a durable execution invocation (is the function configured as durable?): ",
        input.status().message()));
    return lmc::Error("Durable.InvalidEvent", std::string(AsStd(input.status().message())));
  }
  absl::StatusOr<std::shared_ptr<CheckpointService>> service = services_.Get();
  if (!service.ok()) {
    return lmc::Error("Durable.Configuration", std::string(AsStd(service.status().message())));
  }
  const Clock& clock = options_.clock != nullptr ? *options_.clock : Clock::Real();
  Execution execution(std::move(input->durable_execution_arn), std::move(input->checkpoint_token),
                      **service, options_.checkpoints, clock, context.logger());
  absl::Status loaded = execution.Load(std::move(input->operations), input->next_marker);
  if (absl::IsInvalidArgument(loaded)) {
    return lmc::Error("Durable.InvalidEvent", std::string(AsStd(loaded.message())));
  }
  if (!loaded.ok()) {
    return Fatal(
        {{"Durable.CheckpointFailed", std::string(AsStd(loaded.message())), std::nullopt, {}},
         RetriesInvocation(loaded)},
        context);
  }
  return Answer(execution, context);
}

lmc::Result InvocationRunner::Answer(Execution& execution, const Context& context) const {
  DurableContext root(execution, nullptr, "", std::nullopt, context.logger());
  InvocationOutput output;
  bool suspended = false;
  try {
    output.result = workflow_(root, execution.input_payload());
  } catch (const SuspendSignal&) {
    suspended = true;
  } catch (const FatalSignal&) {
    // execution.fatal() says why.
  } catch (...) {
    output.error = ErrorFromException(std::current_exception());
  }
  // A suspension the workflow caught and swallowed still suspends it.
  suspended = suspended || root.suspended_;
  const absl::Status flushed = execution.checkpointer().Flush();
  if (!flushed.ok()) {
    execution.Fail(
        {{"Durable.CheckpointFailed", std::string(AsStd(flushed.message())), std::nullopt, {}},
         RetriesInvocation(flushed)});
  }
  if (std::optional<FatalError> fatal = execution.fatal()) return Fatal(*fatal, context);
  if (suspended) {
    output = InvocationOutput{InvocationStatus::kPending, std::nullopt, std::nullopt};
  } else if (output.error.has_value()) {
    output.status = InvocationStatus::kFailed;
    output.result.reset();
  } else {
    output.status = InvocationStatus::kSucceeded;
  }
  std::string body = InvocationOutputJson(output);
  if (body.size() > kResponseLimit) return Oversized(execution, std::move(output), context);
  return lmc::Response::Json(std::move(body));
}

lmc::Result InvocationRunner::Oversized(Execution& execution, InvocationOutput output,
                                        const Context& context) const {
  OperationUpdate update;
  update.id =
      absl::StrCat("execution-result-", std::chrono::duration_cast<std::chrono::milliseconds>(
                                            execution.clock().Now().time_since_epoch())
                                            .count());
  update.type = OperationType::kExecution;
  if (output.status == InvocationStatus::kSucceeded) {
    update.action = OperationAction::kSucceed;
    update.payload = std::move(output.result);
    output.result = "";
  } else {
    update.action = OperationAction::kFail;
    update.error = std::move(output.error);
    output.error.reset();
  }
  const absl::Status committed = execution.checkpointer().Commit(std::move(update));
  if (!committed.ok()) {
    return Fatal(
        {{"Durable.CheckpointFailed", std::string(AsStd(committed.message())), std::nullopt, {}},
         RetriesInvocation(committed)},
        context);
  }
  return lmc::Response::Json(InvocationOutputJson(output));
}

lmc::Result InvocationRunner::Fatal(const FatalError& fatal, const Context& context) {
  const std::string type = fatal.error.type.value_or("Durable.Error");
  const std::string message = fatal.error.message.value_or("");
  context.logger().Error(absl::StrCat("durable execution stopped: ", type, ": ", message));
  if (fatal.retry_invocation) return lmc::Error(type, message);
  return lmc::Response::Json(
      InvocationOutputJson({InvocationStatus::kFailed, std::nullopt, fatal.error}));
}

}  // namespace internal

namespace handler_internal {

lmc::Handler MakeHandler(Workflow workflow, HandlerOptions options) {
  struct State {
    State(Workflow w, HandlerOptions o)
        : workflow(std::move(w)), options(std::move(o)), services(options.service) {}
    Workflow workflow;
    HandlerOptions options;
    internal::ServiceSlot services;
  };
  auto state = std::make_shared<State>(std::move(workflow), std::move(options));
  return [state](const Event& event, const Context& context) -> lmc::Result {
    return internal::InvocationRunner(state->workflow, state->options, state->services)
        .Run(event, context);
  };
}

}  // namespace handler_internal
}  // namespace lmc::durable
