// The `bootstrap` executable: the lmc runtime with the seven diagnostic handlers (echo, sleep,
// context, fail, tmp, log, stream) compiled in. _HANDLER picks one. A function of your own is built
// the same way: register your handlers instead, and name the executable `bootstrap`.
#include "handlers/diagnostic/diagnostic_handlers.h"
#include "lmc/lmc.h"

int main() {
  lmc::HandlerRegistry handlers;
  if (!lmc::diagnostic::RegisterAll(handlers).ok()) return lmc::kExitInitFailed;
  return lmc::Run(handlers);
}
