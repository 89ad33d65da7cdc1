// File: functions/sqs_consumer/sqs_consumer.h
//
// The `example-sqs-consumer` function: an SQS consumer with partial batch responses
// (handlers/batch). Its contract is fixed:
//
//   - a message whose body is a JSON object with "fail": true fails; every other message
//     (any other JSON, "fail" of another value or type, a body that is not JSON) succeeds;
//   - the answer is {"batchItemFailures":[{"itemIdentifier":<messageId>},...]} listing exactly
//     the failed messages, in batch order; from a FIFO queue (eventSourceARN ending ".fifo") the
//     batch stops at the first failure, which is reported with every later message;
//   - an event that is not an SQS event fails the invocation with errorType "InvalidEvent".
//
// Messages of a standard queue are processed up to kMaxParallelism at a time.
//
// Example (main.cc):
//
//   lmc::HandlerRegistry handlers;
//   handlers.Register(lmc::examples::kSqsConsumerHandlerName, lmc::examples::SqsConsumer());
//   return lmc::Run(handlers);
#pragma once

#include "absl/status/status.h"
#include "handlers/events/sqs_event.h"
#include "lmc/handler.h"

namespace lmc::examples {

// The name main() registers the handler under (the function's _HANDLER setting).
inline constexpr char kSqsConsumerHandlerName[] = "sqs-consumer";
inline constexpr int kMaxParallelism = 4;

// One message: InvalidArgument for a body that is a JSON object with "fail": true, else OK.
// Thread-safe.
absl::Status ProcessMessage(const events::SqsMessage& message, const Context& context);

// The function's handler (see the file comment). Thread-safe.
Handler SqsConsumer();

}  // namespace lmc::examples
