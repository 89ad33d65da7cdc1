// File: tools/durable/history_printer.h
//
// An execution's outcome and history for people and for programs: the text `lmc-durable` prints
// (one line per history event: its number, when it happened on the execution's clock, what
// happened and to which operation) and the JSON it prints with --json (GetDurableExecution's
// fields plus GetDurableExecutionHistory's events, with their data).
//
// Example:
//
//   std::optional<ExecutionSnapshot> s = service.Describe(arn);
//   std::string text = RenderExecutionText(*s);
//   //  execution 3f2a9c1e (durable-workflow): SUCCEEDED after 3 invocations, 1h0m0.01s on its
//   clock
//   //    result  {"sum":5,"approval":"approved"}
//   //     1  +0.000s      ExecutionStarted     input {"steps":3,...}
//   //     2  +0.001s      StepStarted          square-0
//   //     ...
//
// Pure functions; thread-safe.
#pragma once

#include <string>

#include "lmc/json.h"
#include "tools/durable/execution.h"

namespace lmc::durable_service {

// RenderExecutionText()
//
// The outcome line, the result or error, then one line per event. Payloads are cut to one
// terminal line.
std::string RenderExecutionText(const ExecutionSnapshot& s);

// EventLine()
//
// One event's line without the number and time columns, e.g. "StepSucceeded  square-0 = 0".
std::string EventLine(const HistoryEvent& e);

// AppendExecutionJson()
//
// {"DurableExecutionArn","FunctionName","Status","Result"?,"Error"?,"StartTimestamp",
//  "EndTimestamp"?,"Invocations","Events":[...]} with epoch-second timestamps.
void AppendExecutionJson(JsonWriter& w, const ExecutionSnapshot& s);

}  // namespace lmc::durable_service
