// File: lmc/plugin.h
//
// The handler plugin entry point: a shared library that registers handlers into a bootstrap it
// was not linked into. With `_HANDLER=libname.so:handler`, the runtime (the layer's
// /opt/bootstrap, or any bootstrap built on lmc::Run()) loads LAMBDA_TASK_ROOT/libname.so with
// dlopen, checks its ABI version, lets it register its handlers and serves the one named after
// the colon. A function zip then carries only its handlers; the runtime comes from the layer.
//
// Example (the whole plugin; build it as a shared library, see packaging/README.md):
//
//   #include "lmc/plugin.h"
//
//   namespace {
//   absl::Status RegisterHandlers(lmc::HandlerRegistry& handlers) {
//     return handlers.Register("hello", [](const lmc::Event&, const lmc::Context& context) {
//       context.logger().Info("hello from a plugin");
//       return lmc::Response::Json(R"({"hello":"plugin"})");
//     });
//   }
//   }  // namespace
//
//   LMC_PLUGIN(RegisterHandlers)
//
// The ABI is C++: the plugin and the runtime share lmc's types (HandlerRegistry, Event, Context,
// Response, Error, Logger), the C++ standard library (libstdc++, shared) and Abseil's types.
// The plugin links none of lmc's libraries: the runtime exports its symbols to the plugin
// (bootstraps are linked with ENABLE_EXPORTS). kPluginAbiVersion encodes the lmc revision of
// those types and the C++ ABI facts both sides must agree on; the runtime refuses a plugin whose
// value differs, before calling any of its code, with a clear /runtime/init/error.
#pragma once

#include <cstdint>

#include "absl/status/status.h"
#include "lmc/context.h"   // IWYU pragma: export
#include "lmc/event.h"     // IWYU pragma: export
#include "lmc/handler.h"   // IWYU pragma: export
#include "lmc/logger.h"    // IWYU pragma: export
#include "lmc/registry.h"  // IWYU pragma: export

namespace lmc {

// Bumped whenever a type shared with plugins changes layout or meaning (the headers above, or
// the objects the runtime hands a handler). A plugin must be rebuilt against the new headers.
inline constexpr uint32_t kPluginAbiRevision = 1;

// The value a plugin and the runtime compare: the revision, the pointer size and libstdc++'s
// dual string ABI (a std::string built with the old ABI is a different type).
inline constexpr uint32_t kPluginAbiVersion = (kPluginAbiRevision << 16) |
                                              (static_cast<uint32_t>(sizeof(void*)) << 8) |
#if defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
                                              1U;
#else
                                              0U;
#endif

// The name of the data symbol a plugin exports (what LMC_PLUGIN defines).
inline constexpr char kPluginSymbol[] = "lmc_plugin";

// PluginInfo
//
// What a plugin exports under kPluginSymbol. Layout rule, for every future revision:
// `abi_version` stays the first member, so any runtime can read it before trusting the rest.
struct PluginInfo {
  uint32_t abi_version;  // kPluginAbiVersion of the headers the plugin was built with
  uint32_t info_size;    // sizeof(PluginInfo) on the plugin's side
  // Registers the plugin's handlers (and their init hooks) into `handlers`. Called once, on the
  // main thread, before any handler runs; a non-OK status fails start-up.
  absl::Status (*register_handlers)(HandlerRegistry& handlers);
};

}  // namespace lmc

// LMC_PLUGIN(function)
//
// Defines the plugin's entry point: `function` has the signature
// `absl::Status function(lmc::HandlerRegistry&)`. Use it once per shared library, at namespace
// scope.
#define LMC_PLUGIN(function)                                                               \
  extern "C" __attribute__((visibility("default"))) const ::lmc::PluginInfo lmc_plugin;    \
  extern "C" __attribute__((visibility("default"))) const ::lmc::PluginInfo lmc_plugin = { \
      ::lmc::kPluginAbiVersion, sizeof(::lmc::PluginInfo), &(function)}
