// File: lmc/dispatch/sigterm_extension.h
//
// SigtermExtension: an internal Lambda extension that exists only so that Lambda sends the
// runtime SIGTERM at shutdown. Lambda announces shutdown with SIGTERM only when at least one
// extension is registered; one that subscribes to no events is enough, as long as it parks in
// /extension/event/next (init waits for every extension's first call). It holds its own
// connection and thread for the process's lifetime.
//
// Example:
//
//   std::unique_ptr<SigtermExtension> extension =
//       SigtermExtension::Register(config.runtime_api, sink);   // nullptr: not registered
//   ...   // serve; SIGTERM now arrives at shutdown (ShutdownSignals)
//   extension.reset();                                          // unparks and joins
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "lmc/base/log_sink.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {

// SigtermExtension
//
// Owns its client and thread; not copyable. The destructor aborts the parked call and joins.
class SigtermExtension {
 public:
  // Register()
  //
  // Registers extension "lmc" (no events) at `runtime_api` and parks its thread in event/next.
  // Returns nullptr when registration failed, after a WARN line saying SIGTERM will not announce
  // shutdown; the runtime runs on without it. `sink` must outlive the extension.
  static std::unique_ptr<SigtermExtension> Register(std::string_view runtime_api,
                                                    const LogSink& sink);
  ~SigtermExtension();
  SigtermExtension(const SigtermExtension&) = delete;
  SigtermExtension& operator=(const SigtermExtension&) = delete;

 private:
  SigtermExtension(std::unique_ptr<RuntimeApiClient> client, std::string id);

  std::unique_ptr<RuntimeApiClient> client_;
  std::string id_;
  std::thread thread_;
};

}  // namespace lmc
