// The public Run() entry points: each builds the registry it needs and hands over to
// internal::Run(registry, options) in runtime.cc, which does the work.
#include <unistd.h>

#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lmc/base/config.h"
#include "lmc/internal/run_options.h"
#include "lmc/runtime.h"

namespace lmc {
namespace {

// The name a single handler is registered under when _HANDLER is unset or empty (Run(registry)
// then serves the only handler there is).
constexpr char kSingleHandlerName[] = "handler";

// Registers `handler` under the name _HANDLER gives, so that Run(registry) selects it whatever
// the function's Handler setting says, and runs it.
template <typename AnyHandler>
int RunSingle(AnyHandler handler, InitHook init, const internal::RunOptions& options) {
  const EnvMap env = options.env.has_value() ? *options.env : EnvFromProcess();
  const auto it = env.find("_HANDLER");
  std::string name = it != env.end() && !it->second.empty() ? it->second : kSingleHandlerName;
  HandlerRegistry registry;
  if (absl::Status status = registry.Register(std::move(name), std::move(handler), std::move(init));
      !status.ok()) {
    // Only an empty handler gets here: a programming error in main(), before any log exists.
    const std::string line = absl::StrCat("lmc::Run: ", status.ToString(), "\n");
    [[maybe_unused]] const ssize_t written = ::write(STDERR_FILENO, line.data(), line.size());
    return kExitInitFailed;
  }
  internal::RunOptions with_env = options;
  with_env.env = env;
  return internal::Run(registry, with_env);
}

}  // namespace

int Run(const HandlerRegistry& registry) { return internal::Run(registry, {}); }

int Run(Handler handler, InitHook init) {
  return internal::Run(std::move(handler), std::move(init), {});
}

int Run(StreamingHandler handler, InitHook init) {
  return internal::Run(std::move(handler), std::move(init), {});
}

namespace internal {

int Run(Handler handler, InitHook init, const RunOptions& options) {
  return RunSingle(std::move(handler), std::move(init), options);
}

int Run(StreamingHandler handler, InitHook init, const RunOptions& options) {
  return RunSingle(std::move(handler), std::move(init), options);
}

}  // namespace internal
}  // namespace lmc
