// The `example-sqs-consumer` executable: deploy it as `bootstrap` with _HANDLER=sqs-consumer
// (see handlers/examples/sqs_consumer/sqs_consumer.h for its contract).
#include "handlers/examples/sqs_consumer/sqs_consumer.h"
#include "lmc/lmc.h"

int main() {
  lmc::HandlerRegistry handlers;
  if (!handlers.Register(lmc::examples::kSqsConsumerHandlerName, lmc::examples::SqsConsumer())
           .ok()) {
    return lmc::kExitInitFailed;
  }
  return lmc::Run(handlers);
}
