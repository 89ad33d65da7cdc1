// File: lmc/plugin_loader.h
//
// The runtime side of lmc/plugin.h: turns `_HANDLER=libname.so:handler` into a loaded plugin
// and the handler it registered. Run() uses it whenever _HANDLER has that form, so every
// bootstrap (the layer's /opt/bootstrap and a function's own) loads plugins the same way.
//
// Example:
//
//   if (lmc::IsPluginHandler(config.handler)) {
//     auto loaded = lmc::Plugin::Load(config.handler, config.task_root);
//     if (auto* error = std::get_if<lmc::Error>(&loaded)) return Fail(*error);
//     const lmc::RegisteredHandler& handler = std::get<0>(loaded)->handler();
//   }
//
// Errors are Lambda init errors (errorType, errorMessage), one type per cause:
//   Runtime.PluginUnsupported    this bootstrap is statically linked (a static function.zip):
//                                plugins need a dynamically linked one, the layer's
//   Runtime.PluginNotFound       the file does not exist under LAMBDA_TASK_ROOT
//   Runtime.PluginLoadFailed     dlopen refused it (not an ELF for this machine, missing library
//                                or symbol it needs; dlerror()'s text is in the message)
//   Runtime.PluginSymbolMissing  it exports no `lmc_plugin` (not built with LMC_PLUGIN)
//   Runtime.PluginAbiMismatch    built against other lmc headers or another C++ ABI
//   Runtime.PluginRegisterFailed its registration function failed or threw
//   Runtime.NoSuchHandler        it registered no handler of that name (the message lists them)
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "lmc/handler.h"
#include "lmc/registry.h"

namespace lmc {

// The parts of a plugin _HANDLER: `file` (relative to LAMBDA_TASK_ROOT, or absolute) and
// `handler` (a name the plugin registers).
struct PluginHandlerName {
  std::string file;
  std::string handler;
};

// Whether `handler_setting` names a plugin handler: "<file>.so:<name>" or
// "<file>.so.<version>:<name>", both parts non-empty.
bool IsPluginHandler(std::string_view handler_setting);

// Splits a plugin _HANDLER; nullopt when IsPluginHandler() is false.
std::optional<PluginHandlerName> ParsePluginHandler(std::string_view handler_setting);

// Plugin
//
// One loaded plugin and its handlers. Owns its registry; the library stays mapped for the rest
// of the process (it is never dlclose()d: handlers may leave threads, thread-locals or static
// destructors behind, and the runtime serves until the process exits). Thread-safety: after
// Load() returns, every accessor is a read and safe from any thread.
class Plugin {
 public:
  // Loads the plugin named by `handler_setting` (see IsPluginHandler()) from `task_root`, checks
  // its ABI, calls its registration function and looks up the handler. Returns the plugin or the
  // Error to report through /runtime/init/error (types listed in the file comment). Call it
  // from the main thread during start-up: the plugin's registration code runs on the caller.
  static std::variant<std::unique_ptr<Plugin>, Error> Load(std::string_view handler_setting,
                                                           const std::filesystem::path& task_root);

  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // The handler named after the colon; valid as long as this Plugin.
  const RegisteredHandler& handler() const { return *handler_; }
  // The absolute path the plugin was loaded from.
  const std::filesystem::path& path() const { return path_; }

 private:
  Plugin() = default;

  std::filesystem::path path_;
  HandlerRegistry registry_;
  const RegisteredHandler* handler_ = nullptr;  // points into registry_
};

}  // namespace lmc
