// File: lmc/context.h
//
// Context: everything a handler knows about its invocation besides the event itself: ids,
// deadline, caller identity, tenant, its private temp directory and a logger bound to it.
// Nothing per-invocation lives in process-wide state (no setenv of _X_AMZN_TRACE_ID): with
// AWS_LAMBDA_MAX_CONCURRENCY > 1 many Contexts are alive at once, one per running invocation.
//
// Example:
//
//   lmc::Result Handle(const lmc::Event& event, const lmc::Context& context) {
//     if (context.remaining_time() < std::chrono::seconds(1)) {
//       return lmc::Error("Function.TooLate", "not enough time left");
//     }
//     std::ofstream scratch(context.tmp_dir() / "work.bin");   // removed after the invocation
//     if (auto tenant = context.tenant_id()) route_to(*tenant);
//     context.logger().Info("done");
//     ...
//   }
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "lmc/cancellation.h"
#include "lmc/logger.h"

namespace lmc {

// The runtime's side of a Context (private: lmc/base/, lmc/internal/).
class Clock;
class LazyTempDir;
namespace internal {
class Cancellation;
class SurfaceAccess;
}  // namespace internal

// FunctionInfo
//
// Static facts about the function, read once from the environment at start-up.
struct FunctionInfo {
  std::string name;         // AWS_LAMBDA_FUNCTION_NAME
  std::string version;      // AWS_LAMBDA_FUNCTION_VERSION
  int memory_mb = 0;        // AWS_LAMBDA_FUNCTION_MEMORY_SIZE; 0 when unknown
  std::string region;       // AWS_REGION
  int max_concurrency = 1;  // AWS_LAMBDA_MAX_CONCURRENCY as used by this process
};

namespace internal {

// InvocationFields
//
// The per-invocation values a Context exposes, as views into storage owned by the runtime for
// the duration of the invocation. Filled by the runtime (lmc/internal/surface_access.h).
struct InvocationFields {
  std::string_view request_id;
  std::string_view invocation_id;  // "" when the Runtime API sent none
  std::string_view function_arn;
  std::string_view trace_id;          // "" when absent
  std::string_view client_context;    // raw JSON; "" when absent
  std::string_view cognito_identity;  // raw JSON; "" when absent
  std::optional<std::string_view> tenant_id;
  std::chrono::system_clock::time_point deadline;
};

}  // namespace internal

// Context
//
// Valid only during the handler call it is passed to; the views it returns likewise. Every
// method is const and thread-safe, so a handler may share the Context with threads it joins
// before returning. Created only by the runtime and by the testing harness
// (lmc/testing/handler_harness.h); not copyable.
class Context {
 public:
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // The AWS request id (Lambda-Runtime-Aws-Request-Id).
  std::string_view request_id() const { return fields_.request_id; }
  // The per-attempt id (Lambda-Runtime-Invocation-Id); "" when absent.
  std::string_view invocation_id() const { return fields_.invocation_id; }
  // When Lambda stops waiting for this invocation (wall clock).
  std::chrono::system_clock::time_point deadline() const { return fields_.deadline; }
  // Time left before the deadline; zero once it has passed.
  std::chrono::milliseconds remaining_time() const;
  // The ARN that was invoked (function, version or alias).
  std::string_view function_arn() const { return fields_.function_arn; }
  // The X-Ray trace header (Lambda-Runtime-Trace-Id); "" when absent. Pass it on outgoing AWS
  // SDK calls as X-Amzn-Trace-Id: it is not in the process environment.
  std::string_view trace_id() const { return fields_.trace_id; }
  // Mobile SDK client context, raw JSON; "" when absent.
  std::string_view client_context() const { return fields_.client_context; }
  // Cognito identity, raw JSON; "" when absent.
  std::string_view cognito_identity() const { return fields_.cognito_identity; }
  // The tenant of a tenant-isolated function. nullopt when the header was absent; an empty
  // view when it was present but empty. Untrusted bytes: never use them raw in a path.
  std::optional<std::string_view> tenant_id() const { return fields_.tenant_id; }
  // This invocation's private scratch directory (mode 0700, under $TMPDIR), removed after the
  // invocation whatever the handler did. It is created on the first call (creating it costs
  // real time on most filesystems, and most invocations never need one), so the first call may
  // throw std::filesystem::filesystem_error if it cannot be created (e.g. a full disk).
  // Thread-safe; every call returns the same path.
  const std::filesystem::path& tmp_dir() const;
  // A logger whose lines carry this invocation's requestId, tenantId and traceId.
  const Logger& logger() const { return logger_; }
  // Static facts about the function.
  const FunctionInfo& function() const { return function_; }

  // True once the handler should stop: its deadline passed (the runtime's watchdog noticed) or
  // the runtime is shutting down. Cheap enough to call in a loop.
  bool cancelled() const;
  // Why it was cancelled (kNone while it is not).
  CancellationReason cancellation_reason() const;
  // Blocks until cancelled or `timeout` passes; returns cancelled(). A handler waiting on
  // something else can use it as an interruptible sleep.
  bool WaitForCancellation(std::chrono::nanoseconds timeout) const;

 private:
  friend class internal::SurfaceAccess;

  // `fields` views, `tmp_dir`, `function`, `clock` and `cancellation` (which may be null: never
  // cancelled) must outlive the Context. `tmp_dir` must have been Reset() for this invocation.
  Context(const internal::InvocationFields& fields, LazyTempDir& tmp_dir, Logger logger,
          const FunctionInfo& function, const Clock& clock,
          const internal::Cancellation* cancellation)
      : fields_(fields),
        tmp_dir_(tmp_dir),
        function_(function),
        clock_(clock),
        cancellation_(cancellation),
        logger_(logger) {}

  internal::InvocationFields fields_;
  LazyTempDir& tmp_dir_;
  const FunctionInfo& function_;
  const Clock& clock_;
  const internal::Cancellation* cancellation_;
  Logger logger_;
};

}  // namespace lmc
