// The `inference-bootstrap` executable (packaged as `bootstrap`): the lmc runtime with the
// `inference` handler (see inference_handler.h for its environment contract).
#include "handlers/inference/inference_handler.h"
#include "lmc/lmc.h"

int main() {
  lmc::HandlerRegistry handlers;
  if (!lmc::inference::Register(handlers).ok()) return lmc::kExitInitFailed;
  return lmc::Run(handlers);
}
