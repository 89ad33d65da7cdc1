// File: lmc/dispatch/stream_answer.h
//
// Running a StreamingHandler (lmc/response_stream.h) for one invocation and delivering its
// streamed answer over the loop's LoopClient (a RuntimeApiClient). The poll loop calls
// StreamAnswer() where it would call a buffered handler; what the handler writes reaches the
// Runtime API write by write (the transport's streamed POST), and the result decides how the stream
// ends:
//
//   success                       the stream ends plainly (an empty stream if nothing was written);
//   Error before any byte         nothing was sent: the Error is returned for the loop to deliver
//                                 through /error exactly like a buffered handler's;
//   Error after bytes were sent   the stream ends with the trailers Lambda-Runtime-Function-
//                                 Error-Type and Lambda-Runtime-Function-Error-Body (base64 of
//                                 the error JSON);
//   a write over 200 MiB          refused (ResourceExhausted to the handler); the stream ends with
//                                 Function.ResponseSizeTooLarge, whatever the handler returns.
//
// Example (inside the poll loop):
//
//   std::optional<Result> unsent = StreamAnswer(handler, event, context, client, answer);
//   if (unsent.has_value()) Deliver(*unsent, ...);   // failed before writing: goes to /error
//
// Each loop streams on its own connection, so a slow reader holds only its own invocation.
#pragma once

#include <optional>
#include <string_view>

#include "lmc/base/log_sink.h"
#include "lmc/context.h"
#include "lmc/dispatch/loop_client.h"
#include "lmc/event.h"
#include "lmc/handler.h"
#include "lmc/response_stream.h"

namespace lmc {

// Which invocation a streamed answer belongs to.
struct StreamTarget {
  std::string_view request_id;
  std::string_view invocation_id;  // echoed when non-empty
  LogFields fields;                // for the log lines about this answer
};

// StreamAnswer()
//
// Calls `handler` (exceptions become Errors, as CallHandler() does) with a ResponseStream bound to
// `client`, then ends the stream. Returns the Error to deliver the buffered way when the handler
// failed before writing anything; nullopt when the answer went (or failed to go) as a stream,
// which is then already logged. Runs on the loop's thread; `client` is used only by it.
std::optional<Result> StreamAnswer(const StreamingHandler& handler, const Event& event,
                                   const Context& context, LoopClient& client,
                                   const StreamTarget& target, const LogSink& sink);

}  // namespace lmc
