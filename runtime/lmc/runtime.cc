#include "lmc/runtime.h"

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lmc/base/log_sink.h"
#include "lmc/dispatch/crash_handler.h"
#include "lmc/dispatch/loop_supervisor.h"
#include "lmc/dispatch/shutdown_signals.h"
#include "lmc/dispatch/sigterm_extension.h"
#include "lmc/internal/run_options.h"
#include "lmc/internal/surface_access.h"
#include "lmc/plugin_loader.h"
#include "lmc/strings.h"
#include "lmc/transport/api_request.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {
namespace {

// Reports a start-up failure through /runtime/init/error (when the Runtime API is reachable) and
// the log, and returns the exit status.
int FailInit(RuntimeApiClient* client, const LogSink& sink, const Error& error) {
  sink.Write(LogLevel::kFatal, {},
             absl::StrCat("init failed: ", error.type(), ": ", error.message()));
  if (client != nullptr) {
    absl::StatusOr<ApiReply> reply =
        client->PostInitError(HeaderErrorType(error.type()), error.ToJson());
    if (!reply.ok()) {
      sink.Write(LogLevel::kError, {},
                 absl::StrCat("could not report the init error: ", reply.status().ToString()));
    }
  }
  return kExitInitFailed;
}

// Each loop holds a connection, and handlers open files: make sure N = 1600 loops fit under the
// descriptor limit by raising the soft limit to the hard one (the default soft limit, 1024, is
// too low). Warns when even the hard limit is too low.
void RaiseDescriptorLimit(int max_concurrency, const LogSink& sink) {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
  if (limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
    ::getrlimit(RLIMIT_NOFILE, &limit);
  }
  // A connection per loop, plus one for the control client and the extension, plus headroom
  // for handlers and the process itself.
  const rlim_t needed = static_cast<rlim_t>(max_concurrency) + 2 + 256;
  if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < needed) {
    sink.Write(
        LogLevel::kWarn, {},
        absl::StrCat("the open-file limit is ", limit.rlim_cur, "; ", max_concurrency,
                     " poll loops need about ", needed, ". Connections may fail under full load"));
  }
}

// Picks the handler: the one named by _HANDLER, or the only one registered when _HANDLER is
// unset (container images often leave it out).
const RegisteredHandler* SelectHandler(const HandlerRegistry& registry, const Config& config) {
  if (config.handler.empty() && registry.size() == 1) {
    return registry.Find(registry.Names().front());
  }
  return registry.Find(config.handler);
}

// Reads the configuration; a bad one is logged (with the log settings read on their own, so
// even this line is written as asked) and nullopt returned.
std::optional<Config> ConfigureOrLog(const EnvMap& env, const internal::RunOptions& options) {
  absl::StatusOr<Config> parsed = ParseConfig(env);
  if (parsed.ok()) return *std::move(parsed);
  const LogSettings log = ParseLogSettings(env, nullptr);
  LogSink sink(options.log_fd, log.format, log.level, *options.clock);
  sink.Write(LogLevel::kFatal, {}, AsStd(parsed.status().message()));
  return std::nullopt;
}

// The handler to serve: the one a plugin registers when _HANDLER is libname.so:handler (the
// plugin is loaded into `plugin`, which must outlive it), else SelectHandler(). The Error to
// report through /runtime/init/error when there is none.
std::variant<const RegisteredHandler*, Error> ResolveHandler(const HandlerRegistry& registry,
                                                             const Config& config,
                                                             std::unique_ptr<Plugin>& plugin) {
  if (IsPluginHandler(config.handler)) {
    auto loaded = Plugin::Load(config.handler, config.task_root);
    if (auto* error = std::get_if<Error>(&loaded)) return std::move(*error);
    plugin = std::move(std::get<std::unique_ptr<Plugin>>(loaded));
    return &plugin->handler();
  }
  if (const RegisteredHandler* handler = SelectHandler(registry, config)) return handler;
  const std::string known = absl::StrJoin(registry.Names(), ", ");
  return Error("Runtime.NoSuchHandler",
               config.handler.empty()
                   ? absl::StrCat("_HANDLER is not set; registered handlers: ", known)
                   : absl::StrCat("no handler named \"", config.handler,
                                  "\" is registered; registered handlers: ", known));
}

// Runs the handler's init hook, if it has one; the Error to report when it failed or threw.
std::optional<Error> RunInitHook(const RegisteredHandler& handler, const Config& config,
                                 const FunctionInfo& function, const LogSink& sink) {
  if (!handler.init) return std::nullopt;
  const Logger init_logger = internal::SurfaceAccess::MakeLogger(sink);
  const InitContext init_context{config.task_root, function, init_logger};
  absl::Status status;
  try {
    status = handler.init(init_context);
  } catch (const std::exception& e) {
    status = absl::InternalError(absl::StrCat("the init hook threw: ", e.what()));
  } catch (...) {
    status = absl::InternalError("the init hook threw a non-std::exception value");
  }
  if (status.ok()) return std::nullopt;
  if (std::string type = InitErrorType(status); !type.empty()) {
    return Error(std::move(type), std::string{status.message()});
  }
  return Error("Function.InitError", status.ToString());
}

// Turns the first SIGTERM/SIGINT into LoopSupervisor::Stop(), on a thread of its own, for as long
// as it lives (nothing when `signals` is null).
class StopOnSignal {
 public:
  StopOnSignal(ShutdownSignals* signals, LoopSupervisor& supervisor, const LogSink& sink)
      : signals_(signals) {
    if (signals_ == nullptr) return;
    thread_ = std::thread([this, &supervisor, &sink] {
      pthread_setname_np(pthread_self(), "lmc-signals");
      const int signal_number = signals_->Wait();
      if (signal_number == 0) return;
      sink.Write(LogLevel::kInfo, {},
                 absl::StrCat(signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
                              ": no new events; finishing the invocations in flight"));
      supervisor.Stop();
    });
  }
  ~StopOnSignal() {
    if (signals_ == nullptr) return;
    signals_->Wake();
    thread_.join();
  }
  StopOnSignal(const StopOnSignal&) = delete;
  StopOnSignal& operator=(const StopOnSignal&) = delete;

 private:
  ShutdownSignals* const signals_;
  std::thread thread_;
};

// Everything Serve() needs, built by start-up.
struct Started {
  const Config& config;
  const RegisteredHandler& handler;
  FunctionInfo function;
  const LogSink& sink;
  RuntimeApiClient& control;  // reports a failed start
  std::unique_ptr<SigtermExtension> extension;
};

// Starts N poll loops and waits until they stop (SIGTERM/SIGINT, a fatal Runtime API condition,
// lost capacity); returns the exit status. Ends the process itself (_Exit) when abandoned
// handlers still run on its state.
int Serve(Started started, const internal::RunOptions& options) {
  const Config& config = started.config;
  const LogSink& sink = started.sink;
  std::unique_ptr<ShutdownSignals> signals;
  if (options.handle_signals) {
    absl::StatusOr<std::unique_ptr<ShutdownSignals>> installed =
        ShutdownSignals::Install(options.log_fd, config.log_format);
    if (installed.ok()) {
      signals = std::move(*installed);
    } else {
      sink.Write(LogLevel::kWarn, {}, installed.status().ToString());
    }
  }
  RaiseDescriptorLimit(config.max_concurrency, sink);
  DispatchSettings settings;
  settings.handler = &started.handler.handler;
  if (started.handler.streaming) settings.streaming_handler = &started.handler.streaming;
  settings.sink = &sink;
  settings.clock = options.clock;
  settings.function = started.function;
  settings.tmp_root = config.tmp_root;
  const Capacity capacity{.max_concurrency = config.max_concurrency,
                          .detach_grace = config.overdue_grace,
                          .max_detached = config.max_detached,
                          .stuck_grace = config.stuck_grace};
  LoopSupervisor supervisor(settings, capacity,
                            [&]() -> absl::StatusOr<std::unique_ptr<LoopClient>> {
                              absl::StatusOr<std::unique_ptr<RuntimeApiClient>> client =
                                  RuntimeApiClient::Create(config.runtime_api, sink);
                              if (!client.ok()) return client.status();
                              return WrapRuntimeApiClient(std::move(*client));
                            });
  // Lambda closes extension registration at the runtime's first /next: the first loop waits for
  // the reply before it asks, while the other loops are being made.
  SigtermExtension* const extension = started.extension.get();
  if (absl::Status status = supervisor.Start([extension] {
        if (extension != nullptr) extension->AwaitRegistration();
      });
      !status.ok()) {
    return FailInit(&started.control, sink, Error("Runtime.StartFailed", status.ToString()));
  }
  absl::Status result;
  {
    const StopOnSignal stop_on_signal(signals.get(), supervisor, sink);
    result = supervisor.Wait();
  }
  started.extension.reset();
  sink.Write(LogLevel::kInfo, {},
             absl::StrCat("lmc stopped after ", supervisor.invocations(), " invocations",
                          result.ok() ? "" : absl::StrCat(": ", result.ToString())));
  const int code = result.ok()                         ? kExitOk
                   : absl::IsResourceExhausted(result) ? kExitCapacityLost
                                                       : kExitRuntimeApiFailed;
  if (supervisor.abandoned() > 0) {
    // Hung handlers still run on threads that use the sink, the settings and the supervisor:
    // nothing here may be destroyed under them. Lambda has failed their invocations already.
    std::fflush(nullptr);
    std::_Exit(code);
  }
  return code;
}

}  // namespace

// Start-up in order: configuration, log sink (and crash reports), transport and the control
// client, the handler, the SIGTERM extension (registering on its own thread from here on), the
// init hook; then Serve().
int internal::Run(const HandlerRegistry& registry, const internal::RunOptions& options) {
  const EnvMap env = options.env.has_value() ? *options.env : EnvFromProcess();
  // A network server must not die because a peer closed a socket it was writing to.
  ::signal(SIGPIPE, SIG_IGN);
  const std::optional<Config> configured = ConfigureOrLog(env, options);
  if (!configured) return kExitInitFailed;
  const Config& config = *configured;
  LogSink sink(options.log_fd, config.log_format, config.log_level, *options.clock);
  for (const std::string& warning : config.warnings) sink.Write(LogLevel::kWarn, {}, warning);
  if (options.handle_signals) InstallCrashHandler(options.log_fd, config.log_format);

  if (absl::Status status = InitializeTransport(); !status.ok()) {
    sink.Write(LogLevel::kFatal, {}, status.ToString());
    return kExitInitFailed;
  }
  absl::StatusOr<std::unique_ptr<RuntimeApiClient>> control =
      RuntimeApiClient::Create(config.runtime_api, sink);
  if (!control.ok()) {
    sink.Write(LogLevel::kFatal, {}, control.status().ToString());
    return kExitInitFailed;
  }
  std::unique_ptr<Plugin> plugin;
  const std::variant<const RegisteredHandler*, Error> resolved =
      ResolveHandler(registry, config, plugin);
  if (const Error* error = std::get_if<Error>(&resolved)) {
    return FailInit(control->get(), sink, *error);
  }
  const RegisteredHandler& handler = *std::get<const RegisteredHandler*>(resolved);
  sink.Write(LogLevel::kInfo, {},
             absl::StrCat("lmc starting: handler=", handler.name,
                          " max_concurrency=", config.max_concurrency,
                          " log_format=", config.log_format == LogFormat::kJson ? "JSON" : "Text",
                          " tmp=", config.tmp_root.string()));

  // Registers while the init hook and the rest of start-up run; Serve() awaits the reply before
  // the first /next.
  std::unique_ptr<SigtermExtension> extension;
  if (options.register_extension) extension = SigtermExtension::Start(config.runtime_api, sink);
  const FunctionInfo function{config.function_name, config.function_version, config.memory_mb,
                              config.region, config.max_concurrency};
  if (std::optional<Error> error = RunInitHook(handler, config, function, sink)) {
    return FailInit(control->get(), sink, *error);
  }
  return Serve(Started{config, handler, function, sink, **control, std::move(extension)}, options);
}

}  // namespace lmc
