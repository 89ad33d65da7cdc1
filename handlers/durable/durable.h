// File: handlers/durable/durable.h
//
// lmc::durable: Lambda durable functions in C++ on lmc (library lmc_durable). One include for a
// workflow: Handler() (handler.h) turns a function of a DurableContext (durable_context.h) into
// an ordinary lmc::Handler; the context's operations checkpoint their outcomes so the workflow
// survives waits of up to a year, callbacks, retries and process restarts. Values cross the log
// as JSON (json_codec.h); failures are exceptions (errors.h); retries and waits follow
// strategies (retry.h); Map/Parallel return a BatchResult (batch_result.h). The protocol facts
// are in handlers/durable/PROTOCOL.md, the design in durable_context.h.
//
// Example (a complete bootstrap):
//
//   #include "handlers/durable/durable.h"
//   #include "lmc/lmc.h"
//
//   struct Order { std::string id; int64_t cents = 0; };
//   void DescribeJson(lmc::JsonFields& f, Order& o) {
//     f.Required("id", o.id);
//     f.Optional("cents", o.cents);
//   }
//
//   int main() {
//     return lmc::Run(lmc::durable::Handler(
//         [](lmc::durable::DurableContext& ctx, const Order& order) {
//           std::string receipt = ctx.Step("charge", [&] { return Charge(order); });
//           ctx.Wait("cool-off", std::chrono::hours(1));
//           lmc::durable::Json approval = ctx.WaitForCallback(
//               "approval", [&](std::string_view id) { AskApprover(order, id); });
//           return receipt;
//         }));
//   }
#pragma once

#include "handlers/durable/batch_result.h"     // IWYU pragma: export
#include "handlers/durable/durable_context.h"  // IWYU pragma: export
#include "handlers/durable/errors.h"           // IWYU pragma: export
#include "handlers/durable/handler.h"          // IWYU pragma: export
#include "handlers/durable/json_codec.h"       // IWYU pragma: export
#include "handlers/durable/options.h"          // IWYU pragma: export
#include "handlers/durable/retry.h"            // IWYU pragma: export
