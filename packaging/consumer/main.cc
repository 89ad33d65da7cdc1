// An out-of-tree lmc function: one handler, built against an installed lmc (find_package) or
// lmc's source tree (FetchContent); see CMakeLists.txt.
#include "lmc/lmc.h"

int main() {
  lmc::HandlerRegistry handlers;
  const absl::Status registered =
      handlers.Register("greet", [](const lmc::Event& /*event*/, const lmc::Context& context) {
        context.logger().Info("greeting");
        return lmc::Response::Json(R"({"greeting":"hello from an out-of-tree function"})");
      });
  if (!registered.ok()) return lmc::kExitInitFailed;
  return lmc::Run(handlers);
}
