// File: lmc/dispatch/sigterm_extension.h
//
// SigtermExtension: an internal Lambda extension that exists only so that Lambda sends the
// runtime SIGTERM at shutdown. Lambda announces shutdown with SIGTERM only when at least one
// extension is registered; one that subscribes to no events is enough, as long as it parks in
// /extension/event/next (init waits for every extension's first call). It holds its own
// connection and thread for the process's lifetime.
//
// Start-up cost: registering is a round trip to the Runtime API. Start() returns at once and the
// extension's thread registers while start-up goes on (the init hook, signal handlers, the
// loops' connections), then calls event/next straight away. The one ordering rule is Lambda's:
// registration closes when the runtime first calls /runtime/invocation/next (a later register
// gets 403 Extension.RegistrationClosed), so AwaitRegistration() must return before any loop
// asks for an event.
//
// Example:
//
//   std::unique_ptr<SigtermExtension> extension = SigtermExtension::Start(config.runtime_api,
//   sink);
//   ...                              // the rest of start-up, while the registration is under way
//   extension->AwaitRegistration();  // before the first /next
//   ...                              // serve; SIGTERM now arrives at shutdown (ShutdownSignals)
//   extension.reset();               // unparks and joins
#pragma once

#include <memory>
#include <string_view>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "lmc/base/log_sink.h"
#include "lmc/mutex.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {

// SigtermExtension
//
// Owns its client and thread; not copyable. AwaitRegistration() is thread-safe. The destructor
// aborts the parked call and joins (after a registration still under way has had its reply).
class SigtermExtension {
 public:
  // Start()
  //
  // Starts registering extension "lmc" (no events) at `runtime_api` on the extension's own
  // thread, which then parks in event/next. Returns nullptr only when no client can be made for
  // `runtime_api`. A registration the API refuses or cannot answer is a WARN line saying SIGTERM
  // will not announce shutdown; the runtime runs on without it. `sink` must outlive the
  // extension.
  static std::unique_ptr<SigtermExtension> Start(std::string_view runtime_api, const LogSink& sink);
  ~SigtermExtension();
  SigtermExtension(const SigtermExtension&) = delete;
  SigtermExtension& operator=(const SigtermExtension&) = delete;

  // AwaitRegistration()
  //
  // Blocks until the registration's reply has arrived or the attempt failed. Returns true when
  // the extension is registered.
  bool AwaitRegistration();

 private:
  SigtermExtension(std::unique_ptr<RuntimeApiClient> client, const LogSink& sink);
  // The extension's thread: register, then park in event/next.
  void RegisterAndPark(const LogSink& sink);

  std::unique_ptr<RuntimeApiClient> client_;
  Mutex mu_;
  bool settled_ ABSL_GUARDED_BY(mu_) = false;     // the registration attempt is over
  bool registered_ ABSL_GUARDED_BY(mu_) = false;  // and it succeeded
  // Last: started by the constructor once every member above exists.
  std::thread thread_;
};

}  // namespace lmc
