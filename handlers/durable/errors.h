// File: handlers/durable/errors.h
//
// The errors a durable workflow sees and raises. Durable operations report failures by
// throwing, like the official SDKs, so a workflow reads as straight-line code with ordinary
// try/catch:
//   - Failure: what a workflow (or a step body) throws to fail with a chosen errorType, message
//     and data. Any other exception fails too: its errorType is its C++ type name
//     ("std::runtime_error"), its message what().
//   - OperationError and its kinds (StepError, CallbackError, InvokeError, ChildContextError,
//     WaitForConditionError): a durable operation that failed for good, carrying the failure
//     exactly as it was logged (ErrorObject). On replay the same error is thrown again without
//     running anything. Left uncaught it fails the execution with that same ErrorObject, so a
//     step's errorType reaches the execution's result unchanged.
//
// Example:
//
//   int price = ctx.Step("price", [&] {
//     if (!in_stock) throw lmc::durable::Failure("Shop.OutOfStock", "sku " + sku);
//     return 42;
//   }, {.retry = lmc::durable::NoRetry()});
//   try {
//     ctx.Step("charge", Charge);
//   } catch (const lmc::durable::StepError& e) {
//     ctx.logger().Warn(e.what());   // e.error().type: the errorType the step failed with
//   }
#pragma once

#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "handlers/durable/operation.h"

namespace lmc::durable {

// Failure
//
// Thrown by user code to fail a step, a child context or the whole execution with an
// errorType of its choosing. Immutable; thread-safe to read.
class Failure : public std::runtime_error {
 public:
  Failure(std::string type, const std::string& message, std::optional<std::string> data = {})
      : std::runtime_error(message), type_(std::move(type)), data_(std::move(data)) {}

  const std::string& type() const { return type_; }
  const std::optional<std::string>& data() const { return data_; }

 private:
  std::string type_;
  std::optional<std::string> data_;
};

// OperationError
//
// A durable operation that failed for good. what() is the logged message. Immutable.
class OperationError : public std::runtime_error {
 public:
  explicit OperationError(ErrorObject error)
      : std::runtime_error(error.message.value_or(error.type.value_or("operation failed"))),
        error_(std::move(error)) {}

  // The failure as logged: errorType, message, data, stack trace.
  const ErrorObject& error() const { return error_; }

 private:
  ErrorObject error_;
};

// A step failed (its retries, if any, exhausted) or was interrupted under at-most-once.
class StepError : public OperationError {
  using OperationError::OperationError;
};
// A callback failed, or timed out (timed_out(): error().type is "Callback.Timeout" or
// "Callback.Heartbeat").
class CallbackError : public OperationError {
 public:
  CallbackError(ErrorObject error, bool timed_out)
      : OperationError(std::move(error)), timed_out_(timed_out) {}
  bool timed_out() const { return timed_out_; }

 private:
  bool timed_out_;
};
// A chained invoke failed, timed out or was stopped.
class InvokeError : public OperationError {
  using OperationError::OperationError;
};
// A child context (RunInChildContext, WaitForCallback) failed.
class ChildContextError : public OperationError {
  using OperationError::OperationError;
};
// A WaitForCondition check failed or ran out of attempts.
class WaitForConditionError : public OperationError {
  using OperationError::OperationError;
};

// ErrorFromException()
//
// The ErrorObject an exception is logged as: an OperationError's own, a Failure's type/message/
// data, any other std::exception's demangled type name and what(), "Unknown" for anything else.
// Call it inside a catch block (it inspects std::current_exception()).
ErrorObject ErrorFromException(const std::exception_ptr& exception);

}  // namespace lmc::durable
