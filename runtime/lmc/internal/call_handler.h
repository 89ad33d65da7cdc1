// File: lmc/internal/call_handler.h
//
// CallHandler(): runs a user's handler the way the runtime and the offline harness both must,
// turning anything it throws into an Error, so a handler's exception never unwinds into the
// runtime's own code. Part of the user surface's implementation (library lmc_api), not of its
// public API: users reach it only through lmc::Run() and lmc::testing::Invoke().
//
// Example:
//
//   const lmc::Result result = lmc::internal::CallHandler(handler, event, context);
//   if (!result.ok()) Report(result.error());
#pragma once

#include <string>
#include <typeinfo>

#include "lmc/context.h"
#include "lmc/event.h"
#include "lmc/handler.h"

namespace lmc::internal {

// Runs `handler` and turns anything it throws into an Error named after the exception's type
// (e.g. "std::runtime_error") carrying what(), or "UnknownException" for a value that is not a
// std::exception. Never throws. Thread-safe as far as `handler` is.
Result CallHandler(const Handler& handler, const Event& event, const Context& context);

// The demangled name of `type` ("std::out_of_range"), or its mangled name when demangling fails.
std::string DemangledTypeName(const std::type_info& type);

}  // namespace lmc::internal
