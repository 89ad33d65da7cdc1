// example-token-stream: functions/token_stream/token_stream.h as a Lambda function.
// "token-stream" streams (Function URL with InvokeMode RESPONSE_STREAM); "token-stream-buffered"
// answers the same route buffered (any HTTP integration).
#include "functions/token_stream/token_stream.h"
#include "lmc/lmc.h"

int main() {
  lmc::http::Router router;
  lmc::examples::AddTokenStreamRoutes(router);
  lmc::HandlerRegistry handlers;
  if (!handlers.Register("token-stream", router.AsStreamingHandler()).ok() ||
      !handlers.Register("token-stream-buffered", router.AsHandler()).ok()) {
    return 1;
  }
  return lmc::Run(handlers);
}
