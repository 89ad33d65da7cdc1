#include "lmc/runtime.h"

#include <signal.h>
#include <sys/resource.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <variant>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "lmc/base/log_sink.h"
#include "lmc/dispatch/crash_handler.h"
#include "lmc/dispatch/loop_supervisor.h"
#include "lmc/dispatch/shutdown_signals.h"
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

// Keeps an internal extension registered for the process's lifetime. Lambda sends SIGTERM at
// shutdown only when at least one extension is registered; an internal one that subscribes to
// no events is enough. It must keep calling /extension/event/next, which blocks until shutdown.
class SigtermExtension {
 public:
  static std::unique_ptr<SigtermExtension> Register(const Config& config, const LogSink& sink) {
    absl::StatusOr<std::unique_ptr<RuntimeApiClient>> client =
        RuntimeApiClient::Create(config.runtime_api, sink);
    if (!client.ok()) return nullptr;
    absl::StatusOr<ApiReply> reply = (*client)->RegisterExtension("lmc", R"({"events":[]})");
    if (!reply.ok() || reply->status != 200 || reply->extension_id.empty()) {
      sink.Write(LogLevel::kWarn, {},
                 absl::StrCat(
                     "could not register the internal extension (",
                     reply.ok() ? absl::StrCat("HTTP ", reply->status) : reply.status().ToString(),
                     "); SIGTERM will not announce shutdown"));
      return nullptr;
    }
    return std::unique_ptr<SigtermExtension>(
        new SigtermExtension(std::move(*client), std::move(reply->extension_id)));
  }

  ~SigtermExtension() {
    client_->Abort();
    thread_.join();
  }

 private:
  SigtermExtension(std::unique_ptr<RuntimeApiClient> client, std::string id)
      : client_(std::move(client)), id_(std::move(id)) {
    thread_ = std::thread([this] {
      pthread_setname_np(pthread_self(), "lmc-extension");
      // Parks in event/next until shutdown. Calling it once is what Lambda needs (init waits for
      // every extension's first call); whatever the answer, there is no reason to call again,
      // and not calling again rules out a busy loop on an API that answers at once.
      client_->NextExtensionEvent(id_).IgnoreError();
    });
  }

  std::unique_ptr<RuntimeApiClient> client_;
  std::string id_;
  std::thread thread_;
};

}  // namespace

int internal::Run(const HandlerRegistry& registry, const internal::RunOptions& options) {
  const EnvMap env = options.env.has_value() ? *options.env : EnvFromProcess();
  // A network server must not die because a peer closed a socket it was writing to.
  ::signal(SIGPIPE, SIG_IGN);

  absl::StatusOr<Config> parsed = ParseConfig(env);
  if (!parsed.ok()) {
    // The log settings are read on their own, so even this error is logged as asked.
    const LogSettings log = ParseLogSettings(env, nullptr);
    LogSink sink(options.log_fd, log.format, log.level, *options.clock);
    sink.Write(LogLevel::kFatal, {}, AsStd(parsed.status().message()));
    return kExitInitFailed;
  }
  const Config& config = *parsed;
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

  // _HANDLER=libname.so:handler names a handler in a plugin (lmc/plugin_loader.h).
  std::unique_ptr<Plugin> plugin;
  if (IsPluginHandler(config.handler)) {
    auto loaded = Plugin::Load(config.handler, config.task_root);
    if (auto* error = std::get_if<Error>(&loaded)) return FailInit(control->get(), sink, *error);
    plugin = std::move(std::get<std::unique_ptr<Plugin>>(loaded));
  }
  const RegisteredHandler* handler =
      plugin != nullptr ? &plugin->handler() : SelectHandler(registry, config);
  if (handler == nullptr) {
    const std::string known = absl::StrJoin(registry.Names(), ", ");
    return FailInit(control->get(), sink,
                    Error("Runtime.NoSuchHandler",
                          config.handler.empty()
                              ? absl::StrCat("_HANDLER is not set; registered handlers: ", known)
                              : absl::StrCat("no handler named \"", config.handler,
                                             "\" is registered; registered handlers: ", known)));
  }
  sink.Write(LogLevel::kInfo, {},
             absl::StrCat("lmc starting: handler=", handler->name,
                          " max_concurrency=", config.max_concurrency,
                          " log_format=", config.log_format == LogFormat::kJson ? "JSON" : "Text",
                          " tmp=", config.tmp_root.string()));

  std::unique_ptr<SigtermExtension> extension;
  if (options.register_extension) extension = SigtermExtension::Register(config, sink);

  const FunctionInfo function{config.function_name, config.function_version, config.memory_mb,
                              config.region, config.max_concurrency};
  if (handler->init) {
    const Logger init_logger = internal::SurfaceAccess::MakeLogger(sink);
    const InitContext init_context{config.task_root, function, init_logger};
    absl::Status init_status;
    try {
      init_status = handler->init(init_context);
    } catch (const std::exception& e) {
      init_status = absl::InternalError(absl::StrCat("the init hook threw: ", e.what()));
    } catch (...) {
      init_status = absl::InternalError("the init hook threw a non-std::exception value");
    }
    if (!init_status.ok()) {
      if (std::string type = InitErrorType(init_status); !type.empty()) {
        return FailInit(control->get(), sink,
                        Error(std::move(type), std::string{init_status.message()}));
      }
      return FailInit(control->get(), sink, Error("Function.InitError", init_status.ToString()));
    }
  }

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
  settings.handler = &handler->handler;
  if (handler->streaming) settings.streaming_handler = &handler->streaming;
  settings.sink = &sink;
  settings.clock = options.clock;
  settings.function = function;
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
  if (absl::Status status = supervisor.Start(); !status.ok()) {
    return FailInit(control->get(), sink, Error("Runtime.StartFailed", status.ToString()));
  }

  std::thread signal_waiter;
  if (signals != nullptr) {
    signal_waiter = std::thread([&] {
      pthread_setname_np(pthread_self(), "lmc-signals");
      const int signal_number = signals->Wait();
      if (signal_number == 0) return;
      sink.Write(LogLevel::kInfo, {},
                 absl::StrCat(signal_number == SIGTERM ? "SIGTERM" : "SIGINT",
                              ": no new events; finishing the invocations in flight"));
      supervisor.Stop();
    });
  }
  const absl::Status result = supervisor.Wait();
  if (signals != nullptr) {
    signals->Wake();
    signal_waiter.join();
  }
  extension.reset();
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

}  // namespace lmc
