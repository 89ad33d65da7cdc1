// The `example-sqs-consumer` executable: deploy it as `bootstrap` with _HANDLER=sqs-consumer
// (see functions/sqs_consumer/sqs_consumer.h for its contract).
#include "functions/sqs_consumer/sqs_consumer.h"
#include "lmc/lmc.h"

int main() {
  lmc::HandlerRegistry handlers;
  if (!handlers.Register(lmc::examples::kSqsConsumerHandlerName, lmc::examples::SqsConsumer())
           .ok()) {
    return lmc::kExitInitFailed;
  }
  return lmc::Run(handlers);
}
