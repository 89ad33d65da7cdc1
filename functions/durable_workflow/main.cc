// The `example-durable-workflow` executable: deploy it as `bootstrap` of a durable function with
// _HANDLER=durable-workflow (see functions/durable_workflow/durable_workflow.h).
#include "functions/durable_workflow/durable_workflow.h"
#include "lmc/lmc.h"

int main() {
  lmc::HandlerRegistry handlers;
  if (!handlers
           .Register(lmc::examples::kDurableWorkflowHandlerName, lmc::examples::DurableWorkflow())
           .ok()) {
    return lmc::kExitInitFailed;
  }
  return lmc::Run(handlers);
}
