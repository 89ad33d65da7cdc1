#include "functions/sqs_consumer/sqs_consumer.h"

#include "handlers/batch/event_batches.h"
#include "simdjson.h"

namespace lmc::examples {

absl::Status ProcessMessage(const events::SqsMessage& message, const Context&) {
  // A parser per message: messages run on several threads at once, and a body is small.
  simdjson::dom::parser parser;
  simdjson::dom::object object;
  if (parser.parse(message.body.data(), message.body.size()).get(object) != simdjson::SUCCESS) {
    return absl::OkStatus();  // not a JSON object: succeeds by contract
  }
  bool fail = false;
  if (object["fail"].get(fail) == simdjson::SUCCESS && fail) {
    return absl::InvalidArgumentError("the message asked to fail");
  }
  return absl::OkStatus();
}

Handler SqsConsumer() {
  return batch::SqsBatchHandler(ProcessMessage, {.max_parallelism = kMaxParallelism});
}

}  // namespace lmc::examples
