// File: handlers/diagnostic/diagnostic_handlers.h
//
// The diagnostic handlers compiled into `bootstrap`. Tests, the demo, benchmarks and outside
// harnesses rely on this contract, so it is fixed:
//
//   echo     response body = the event bytes exactly; content type as received.
//   sleep    {"ms":N}: waits N ms without burning CPU; returns {"slept_ms":N}.
//   context  returns {"request_id","tenant_id" (null when absent),"trace_id","function_arn",
//            "deadline_ms" (integer),"client_context","cognito_identity" (parsed JSON or null),
//            "tmp_dir"}.
//   fail     {"type":T,"message":M}: reports an error with errorType T and errorMessage M.
//   tmp      {"files":F,"bytes":B,"ms":W?,"fail":bool?}: writes F files of B bytes into the
//            invocation's temp dir, optionally waits W ms, optionally then fails (errorType
//            "TmpFailed", errorMessage = the temp dir path); returns {"tmp_dir":...,"files":[...]}.
//   log      {"lines":L,"size":S,"level":"INFO"?}: logs L lines whose message is exactly S
//            characters at that level through the invocation's logger; returns {"logged":L}.
//   stream   a streamed answer: see stream_handler.h for its contract.
//
// An event the handler cannot use (not a JSON object, wrong field types, out-of-range values)
// yields errorType "InvalidEvent" with a message naming the problem.
//
// Example:
//
//   lmc::HandlerRegistry handlers;
//   lmc::diagnostic::RegisterAll(handlers);
//   return lmc::Run(handlers);
#pragma once

#include "absl/status/status.h"
#include "lmc/handler.h"
#include "lmc/registry.h"

namespace lmc::diagnostic {

// Each handler is thread-safe (stateless).
Result Echo(const Event& event, const Context& context);
Result Sleep(const Event& event, const Context& context);
Result ContextInfo(const Event& event, const Context& context);
Result Fail(const Event& event, const Context& context);
Result Tmp(const Event& event, const Context& context);
Result Log(const Event& event, const Context& context);

// Registers the seven handlers under the names above.
absl::Status RegisterAll(HandlerRegistry& registry);

}  // namespace lmc::diagnostic
