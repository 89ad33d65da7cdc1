// File: handlers/diagnostic/stream_handler.h
//
// The diagnostic streaming handler `stream`, compiled into `bootstrap` (registered by
// lmc::diagnostic::RegisterAll()). Its contract is fixed; tests, benchmarks and outside harnesses
// rely on it:
//
//   stream   {"chunks":C,"bytes":B,"delay_ms":D,"fail_after":F?,"http":H?}: streams C chunks;
//            chunk i (from 0) is B bytes, each the character 'a' + i % 26; the first chunk is
//            written at once, then one every D ms (on a fixed schedule from the start). With
//            fail_after F (0 <= F <= C) it stops after F chunks and fails with errorType
//            "Diagnostic.StreamFailed" and errorMessage "failed after F chunks" (F = 0: nothing
//            was streamed, so the error goes to /error). With "http":true the content type is
//            application/vnd.awslambda.http-integration-response and the body starts with the
//            prelude {"statusCode":200,"headers":{"Content-Type":"text/plain"}} and 8 NUL bytes.
//            Default content type: application/octet-stream.
//
// The waits between chunks end early when the invocation is cancelled (deadline or shutdown):
// the handler then fails with errorType "Diagnostic.StreamCancelled". A write the runtime
// refuses (the 200 MiB limit, a broken connection) ends the handler with that error. An event it
// cannot use yields errorType "InvalidEvent".
//
// Example:
//
//   handlers.Register("stream", lmc::diagnostic::Stream);
#pragma once

#include <string_view>

#include "lmc/context.h"
#include "lmc/event.h"
#include "lmc/response_stream.h"

namespace lmc::diagnostic {

// Thread-safe (stateless).
StreamResult Stream(const Event& event, const Context& context, ResponseStream& stream);

// The error every diagnostic handler gives for an event it cannot use: errorType "InvalidEvent",
// `why` as the message. Thread-safe.
Error InvalidEvent(std::string_view why);

}  // namespace lmc::diagnostic
