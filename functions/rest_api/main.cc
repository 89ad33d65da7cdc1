// example-rest-api: the item store of functions/rest_api/rest_api.h as a Lambda function
// (handler name "rest-api"). Deploy it behind API Gateway (REST or HTTP API), a Function URL or
// an ALB: it answers each in its own shape.
#include "functions/rest_api/rest_api.h"
#include "lmc/lmc.h"

int main() {
  lmc::examples::ItemStore store;
  lmc::http::Router router;
  lmc::examples::AddRestApiRoutes(router, store);
  lmc::HandlerRegistry handlers;
  if (!handlers.Register("rest-api", router.AsHandler()).ok()) return 1;
  return lmc::Run(handlers);
}
