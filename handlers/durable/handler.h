// File: handlers/durable/handler.h
//
// lmc::durable::Handler(fn): turns a durable workflow into an ordinary lmc::Handler, to
// register in an lmc::HandlerRegistry or pass to lmc::Run. Each invocation is one step of one
// execution: the handler reads the durable event (PROTOCOL.md §1), pages the rest of the
// operation log, runs `fn` from the top (replaying what the log already holds), flushes its
// checkpoints and answers SUCCEEDED, FAILED or PENDING (§2). Invocations are independent, so
// with AWS_LAMBDA_MAX_CONCURRENCY = N one Managed Instance runs N executions at once.
//
// `fn` is callable as fn(DurableContext&, const In&) -> Out or fn(DurableContext&) -> Out. In is
// read from the execution's input (json_codec.h types; an absent input reads as `{}`), Out is
// the execution's result (void: null). What the answer is:
//   - fn returns: SUCCEEDED with the result (checkpointed on the EXECUTION operation first when
//     it is larger than Lambda's response limit);
//   - fn throws: FAILED with the exception's ErrorObject (an uncaught StepError keeps the step's
//     errorType);
//   - an operation suspended: PENDING;
//   - non-deterministic replay, an unreadable logged value, an input In cannot hold: FAILED
//     (Durable.NonDeterministicExecution, Durable.SerializationFailed, Durable.InvalidInput);
//   - a checkpoint that failed transiently or with a stale token: the invocation fails through
//     the Runtime API's /error (errorType Durable.CheckpointFailed) and Lambda retries it; one
//     the service refused for good: FAILED;
//   - an event that is not a durable invocation, or a malformed log: /error, errorType
//     Durable.InvalidEvent.
//
// Example:
//
//   struct Input { int64_t n = 0; };
//   void DescribeJson(lmc::JsonFields& fields, Input& in) { fields.Optional("n", in.n); }
//
//   int main() {
//     return lmc::Run(lmc::durable::Handler(
//         [](lmc::durable::DurableContext& ctx, const Input& in) {
//           int64_t doubled = ctx.Step("double", [&] { return in.n * 2; });
//           ctx.Wait("rest", std::chrono::seconds(30));
//           return ctx.Step("report", [&] { return Report(doubled); });
//         }));
//   }
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>

#include "handlers/durable/checkpoint_service.h"
#include "handlers/durable/durable_context.h"
#include "handlers/durable/errors.h"
#include "handlers/durable/json_codec.h"
#include "lmc/clock.h"
#include "lmc/handler.h"
#include "lmc/strings.h"

namespace lmc::durable {

// HandlerOptions
struct HandlerOptions {
  // Where checkpoints go. Null: the Lambda API client configured from the environment
  // (handlers/durable/lambda_client.h), created at the first invocation and shared by all.
  std::shared_ptr<CheckpointService> service;
  CheckpointOptions checkpoints;
  // The clock (EXECUTION update ids); null: the real one. Must outlive the handler.
  const Clock* clock = nullptr;
};

namespace handler_internal {

// A workflow with its input and result still JSON text.
using Workflow = std::function<std::string(DurableContext& context, std::string_view input)>;

lmc::Handler MakeHandler(Workflow workflow, HandlerOptions options);

// The result, arity and input type of a workflow callable.
template <typename R, typename... A>
struct SignatureOf {
  using Result = R;
  static constexpr size_t kArity = sizeof...(A);
  using Input = std::decay_t<std::tuple_element_t<sizeof...(A) - 1, std::tuple<A...>>>;
};
template <typename F>
struct Signature : Signature<decltype(&F::operator())> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...) const> : SignatureOf<R, A...> {};
template <typename C, typename R, typename... A>
struct Signature<R (C::*)(A...)> : SignatureOf<R, A...> {};
template <typename R, typename... A>
struct Signature<R (*)(A...)> : SignatureOf<R, A...> {};

}  // namespace handler_internal

// Handler()
//
// See the file comment. The returned lmc::Handler is thread-safe as long as `fn` is (it is
// called concurrently, once per invocation).
template <typename F>
lmc::Handler Handler(F fn, HandlerOptions options = {}) {
  using Sig = handler_internal::Signature<std::decay_t<F>>;
  handler_internal::Workflow workflow = [fn = std::move(fn)](DurableContext& context,
                                                             std::string_view input) mutable {
    auto call = [&]() -> decltype(auto) {
      if constexpr (Sig::kArity == 1) {
        return fn(context);
      } else {
        using In = typename Sig::Input;
        absl::StatusOr<In> in = DecodeJson<In>(input.empty() ? std::string_view("{}") : input);
        if (!in.ok()) {
          throw Failure("Durable.InvalidInput",
                        "the execution's input: " + std::string(AsStd(in.status().message())));
        }
        return fn(context, *in);
      }
    };
    if constexpr (std::is_void_v<typename Sig::Result>) {
      call();
      return std::string("null");
    } else {
      return EncodeJson(call());
    }
  };
  return handler_internal::MakeHandler(std::move(workflow), std::move(options));
}

}  // namespace lmc::durable
