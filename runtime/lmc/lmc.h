// File: lmc/lmc.h
//
// Everything a handler author needs, in one include: Run(), HandlerRegistry, Handler, Event,
// Context, Response/Error/Result, Logger, response streaming (ResponseStream, StreamingHandler)
// and typed JSON (ReadJson() into a struct, JsonWriter for answers). No internal header of the
// runtime comes with it (a CI test checks each public header). See lmc/runtime.h for complete
// examples; examples/ holds programs that CI compiles.
//
// Example (a complete bootstrap):
//
//   #include "lmc/lmc.h"
//
//   struct Request {
//     std::string name;
//   };
//   void DescribeJson(lmc::JsonFields& fields, Request& request) {
//     fields.Required("name", request.name);
//   }
//
//   int main() {
//     return lmc::Run([](const lmc::Event& event, const lmc::Context&) -> lmc::Result {
//       absl::StatusOr<Request> request = lmc::ReadJson<Request>(event);
//       if (!request.ok()) return lmc::Error::FromStatus(request.status());
//       std::string body;
//       lmc::JsonWriter(&body).BeginObject().Key("hello").String(request->name).EndObject();
//       return lmc::Response::Json(std::move(body));
//     });
//   }
#pragma once

#include "lmc/cancellation.h"     // IWYU pragma: export
#include "lmc/context.h"          // IWYU pragma: export
#include "lmc/event.h"            // IWYU pragma: export
#include "lmc/handler.h"          // IWYU pragma: export
#include "lmc/json.h"             // IWYU pragma: export
#include "lmc/json_reader.h"      // IWYU pragma: export
#include "lmc/log_level.h"        // IWYU pragma: export
#include "lmc/logger.h"           // IWYU pragma: export
#include "lmc/registry.h"         // IWYU pragma: export
#include "lmc/response_stream.h"  // IWYU pragma: export
#include "lmc/runtime.h"          // IWYU pragma: export
