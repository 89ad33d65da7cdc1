// lmc-durable: runs a durable function to completion locally: a bootstrap (spawned as
// lmc-invoke spawns one, tools/invoke/) against the local durable-execution service
// (tools/durable/), with time skipped and callbacks answered, then prints each execution's
// history. `lmc-durable callback` completes a callback of a running `lmc-durable --serve`.
//
//   lmc-durable --bootstrap build/example-durable-workflow --handler durable-workflow
//       --input '{"steps":3,"wait_seconds":3600,"callback":true}'
//       --callback 'approval=succeed:"approved"'
//
// Exit status: 0 when every execution succeeded; 1 otherwise (one failed, the deadline passed,
// the bootstrap could not run); 2 for bad usage.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "lmc/json.h"
#include "lmc/mutex.h"
#include "lmc/strings.h"
#include "tools/durable/callback_client.h"
#include "tools/durable/history_printer.h"
#include "tools/durable/local_runner.h"
#include "tools/durable/wire_json.h"
#include "tools/emulator/command_support.h"

namespace lmc::durable_service {
namespace {

using emulator::ArgReader;

constexpr char kUsage[] =
    R"(usage: lmc-durable --bootstrap PATH --handler NAME [options] INPUT
       lmc-durable callback --endpoint URL --id CALLBACK_ID ACTION

Runs PATH as a durable function against a local durable-execution service: starts one
execution per input, re-invokes it after waits, retries, callbacks and chained invokes (time is
skipped, so a one-hour wait costs nothing), then prints each execution's history.

INPUT (exactly one):
  --input JSON [--count K]    K executions of the same input (default 1)
  --inputs FILE_OR_DIR ...    one execution per file; a directory means its *.json files

options:
  --function NAME           the function's name (default: the handler)
  --concurrency N           AWS_LAMBDA_MAX_CONCURRENCY for the bootstrap
  --target NAME[=HANDLER]   a function the workflow may Invoke: the same bootstrap serving
                            _HANDLER=HANDLER (default NAME); append :plain for a function that is
                            not durable (repeatable)
  --callback NAME=ACTION[@S]  answers callbacks named NAME (* for any), S seconds after they
                            start on the execution's clock; ACTION: succeed:JSON,
                            fail:TYPE[:MESSAGE] or heartbeat (repeatable, used in order)
  --serve                   print the service's endpoint and each callback as it starts, keep
                            callback timeouts in real time, and wait for answers from
                            `lmc-durable callback` (and for SIGINT once every execution ended)
  --real-time               do not skip time
  --json                    print JSON (outcome and history of each execution) instead of text
  --logs FILE               write the bootstrap's stdout and stderr to FILE
  --env K=V                 extra environment variable for the bootstrap (repeatable)
  --deadline-s S            give up after S seconds (default 120; with --serve, none)
  --term-grace-ms MS        time between SIGTERM and SIGKILL (default 5000)

callback ACTION: succeed [JSON] | fail [TYPE [MESSAGE]] | heartbeat

exit status: 0 every execution succeeded (callback: the service accepted it); 1 otherwise;
2 bad usage.
)";

struct Target {
  std::string name;
  std::string handler;
  bool durable = true;
};

struct Config {
  RunnerFunction function;
  std::vector<Target> targets;
  std::optional<std::string> input;
  uint64_t count = 1;
  std::vector<std::string> input_paths;
  std::vector<CallbackScript> callbacks;
  bool serve = false;
  bool real_time = false;
  bool json = false;
  std::optional<double> deadline_s;
  uint64_t term_grace_ms = 5000;
};

// NAME=succeed:JSON | NAME=fail:TYPE[:MESSAGE] | NAME=heartbeat, each with an optional @SECONDS.
std::optional<CallbackScript> ParseCallbackFlag(std::string_view flag) {
  CallbackScript s;
  const size_t eq = flag.find('=');
  if (eq == std::string_view::npos || eq == 0) return std::nullopt;
  s.name = std::string(flag.substr(0, eq));
  std::string_view action = flag.substr(eq + 1);
  if (const size_t at = action.rfind('@'); at != std::string_view::npos) {
    double seconds = 0;
    if (emulator::ParseDouble(action.substr(at + 1), &seconds) && seconds >= 0) {
      s.delay = absl::Seconds(seconds);
      action = action.substr(0, at);
    }
  }
  if (action.starts_with("succeed:")) {
    s.action = CallbackScript::Action::kSucceed;
    s.result = std::string(action.substr(8));
  } else if (action == "succeed") {
    s.action = CallbackScript::Action::kSucceed;
  } else if (action.starts_with("fail:")) {
    s.action = CallbackScript::Action::kFail;
    std::string_view rest = action.substr(5);
    const size_t colon = rest.find(':');
    s.error.error_type = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) {
      s.error.error_message = std::string(rest.substr(colon + 1));
    }
  } else if (action == "heartbeat") {
    s.action = CallbackScript::Action::kHeartbeat;
  } else {
    return std::nullopt;
  }
  return s;
}

std::optional<Target> ParseTargetFlag(std::string_view flag) {
  Target t;
  if (flag.ends_with(":plain")) {
    t.durable = false;
    flag.remove_suffix(6);
  }
  const size_t eq = flag.find('=');
  t.name = std::string(flag.substr(0, eq));
  t.handler = eq == std::string_view::npos ? t.name : std::string(flag.substr(eq + 1));
  if (t.name.empty() || t.handler.empty()) return std::nullopt;
  return t;
}

// Reads one flag at the cursor; false when it is not one of lmc-durable's.
bool ReadFlag(ArgReader& args, Config& config) {
  RunnerFunction& f = config.function;
  std::string v;
  if (args.Value("--bootstrap", &f.bootstrap) || args.Value("--handler", &f.handler) ||
      args.Value("--function", &f.name) || args.Value("--logs", &f.logs_path) ||
      args.Values("--inputs", &config.input_paths)) {
    return true;
  }
  if (args.Value("--input", &v)) {
    config.input = v;
  } else if (args.Value("--count", &v)) {
    if (!emulator::ParseUint(v, &config.count) || config.count == 0) {
      args.Fail("--count wants a number >= 1");
    }
  } else if (args.Value("--concurrency", &v)) {
    uint64_t n = 0;
    if (!emulator::ParseUint(v, &n) || n == 0) args.Fail("--concurrency wants a number >= 1");
    f.concurrency = n;
  } else if (args.Value("--target", &v)) {
    std::optional<Target> t = ParseTargetFlag(v);
    if (!t) args.Fail("--target wants NAME[=HANDLER][:plain], got " + v);
    if (t) config.targets.push_back(*t);
  } else if (args.Value("--callback", &v)) {
    std::optional<CallbackScript> s = ParseCallbackFlag(v);
    if (!s) args.Fail("--callback wants NAME=succeed:JSON|fail:TYPE[:MESSAGE]|heartbeat[@S]");
    if (s) config.callbacks.push_back(*s);
  } else if (args.Value("--env", &v)) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) args.Fail("--env wants KEY=VALUE, got " + v);
    f.env.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  } else if (args.Switch("--serve")) {
    config.serve = true;
  } else if (args.Switch("--real-time")) {
    config.real_time = true;
  } else if (args.Switch("--json")) {
    config.json = true;
  } else if (args.Value("--deadline-s", &v)) {
    double s = 0;
    if (!emulator::ParseDouble(v, &s) || s <= 0) args.Fail("--deadline-s wants seconds > 0");
    config.deadline_s = s;
  } else if (args.Value("--term-grace-ms", &v)) {
    if (!emulator::ParseUint(v, &config.term_grace_ms)) args.Fail("--term-grace-ms: " + v);
  } else {
    return false;
  }
  return true;
}

std::optional<std::string> ParseArgs(int argc, char** argv, Config& config) {
  ArgReader args(argc, argv);
  while (!args.done()) {
    if (!ReadFlag(args, config)) {
      args.Fail(absl::StrCat("unknown argument: ", std::string(args.current())));
    }
  }
  if (args.failed()) return args.error();
  if (config.function.bootstrap.empty()) return "--bootstrap is required";
  if (config.function.handler.empty()) return "--handler is required";
  if (config.function.name.empty()) config.function.name = config.function.handler;
  if ((config.input ? 1 : 0) + (config.input_paths.empty() ? 0 : 1) != 1) {
    return "give exactly one of --input, --inputs";
  }
  return std::nullopt;
}

// The service to stop waiting on when a signal arrives, for as long as it exists.
class WakeTarget {
 public:
  void Set(DurableService* service) {
    MutexLock lock(&mu_);
    service_ = service;
  }
  void Wake() {
    MutexLock lock(&mu_);
    if (service_ != nullptr) service_->Wake();
  }

 private:
  lmc::Mutex mu_;
  DurableService* service_ ABSL_GUARDED_BY(mu_) = nullptr;
};

// Prints each callback once, as it starts (--serve), so a person can answer it.
void AnnounceCallbacks(DurableService& service, std::vector<std::string>& announced) {
  for (const std::string& arn : service.ExecutionArns()) {
    std::optional<ExecutionSnapshot> s = service.Describe(arn);
    for (const HistoryEvent& e : s->history) {
      if (e.type != "CallbackStarted" || !e.details.callback_id) continue;
      const std::string& id = *e.details.callback_id;
      if (std::find(announced.begin(), announced.end(), id) != announced.end()) continue;
      announced.push_back(id);
      std::printf(
          "callback %s started: lmc-durable callback --endpoint %s --id '%s' succeed JSON\n",
          e.name.value_or(e.op_id.value_or("")).c_str(), service.endpoint().c_str(), id.c_str());
      std::fflush(stdout);
    }
  }
}

// Prints the executions' outcomes and histories: in text with --serve, each as soon as it ends
// (Flush), so a person answering callbacks sees the result without stopping the service; else
// (and always for --json, one document) all at the end in start order (Finish).
class Reporter {
 public:
  Reporter(const Config& config, DurableService& service) : config_(config), service_(service) {}

  void Flush() {
    if (!config_.serve || config_.json) return;
    for (const std::string& arn : service_.ExecutionArns()) {
      if (std::find(printed_.begin(), printed_.end(), arn) != printed_.end()) continue;
      const ExecutionSnapshot s = *service_.Describe(arn);
      if (s.status == ExecutionStatus::kRunning) continue;
      printed_.push_back(arn);
      std::printf("%s", RenderExecutionText(s).c_str());
      std::fflush(stdout);
    }
  }

  // Returns whether every execution succeeded.
  bool Finish() {
    std::string json;
    JsonWriter w(&json);
    w.BeginObject().Key("Executions").BeginArray();
    size_t succeeded = 0;
    const std::vector<std::string> arns = service_.ExecutionArns();
    for (const std::string& arn : arns) {
      const ExecutionSnapshot s = *service_.Describe(arn);
      succeeded += s.status == ExecutionStatus::kSucceeded;
      if (config_.json) {
        AppendExecutionJson(w, s);
      } else if (std::find(printed_.begin(), printed_.end(), arn) == printed_.end()) {
        std::printf("%s", RenderExecutionText(s).c_str());
      }
    }
    const bool all_succeeded = succeeded == arns.size();
    if (config_.json) {
      w.EndArray().Key("ok").Bool(all_succeeded).EndObject();
      std::printf("%s\n", json.c_str());
    } else {
      const ServiceStats st = service_.stats();
      std::printf(
          "%zu of %zu executions succeeded; %llu invocations, %llu checkpoints, at most %zu "
          "invocations in flight\n",
          succeeded, arns.size(), static_cast<unsigned long long>(st.invocations),
          static_cast<unsigned long long>(st.checkpoints), st.max_in_flight);
    }
    return all_succeeded;
  }

 private:
  const Config& config_;
  DurableService& service_;
  std::vector<std::string> printed_;
};

absl::Status AddFunctions(const Config& config, LocalRunner& runner) {
  if (absl::Status s = runner.AddFunction(config.function); !s.ok()) return s;
  for (const Target& t : config.targets) {
    RunnerFunction f = config.function;
    f.name = t.name;
    f.handler = t.handler;
    f.durable = t.durable;
    if (!f.logs_path.empty()) f.logs_path = absl::StrCat(f.logs_path, ".", t.name);
    if (absl::Status s = runner.AddFunction(std::move(f)); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::Status StartExecutions(const Config& config, DurableService& service) {
  std::vector<std::string> inputs;
  if (config.input) {
    inputs.assign(config.count, *config.input);
  } else {
    absl::StatusOr<std::vector<std::string>> files = emulator::LoadEventFiles(config.input_paths);
    if (!files.ok()) return files.status();
    inputs = *std::move(files);
  }
  for (std::string& input : inputs) {
    absl::StatusOr<std::string> arn = service.StartExecution(
        config.function.name, std::move(input), StartOptions{.callbacks = config.callbacks});
    if (!arn.ok()) return arn.status();
  }
  return absl::OkStatus();
}

int Run(const Config& config) {
  // First, before any thread: threads inherit the blocked SIGINT/SIGTERM (see SignalWatcher).
  std::atomic<bool> interrupted{false};
  WakeTarget wake;
  emulator::SignalWatcher signals([&](int) {
    interrupted.store(true);
    wake.Wake();
  });
  ServiceOptions options;
  options.skip_time = !config.real_time;
  options.skip_callback_timeouts = !config.serve;
  LocalRunner runner(options);
  runner.set_term_grace(absl::Milliseconds(static_cast<int64_t>(config.term_grace_ms)));
  absl::Status s = runner.Start();
  if (s.ok()) s = AddFunctions(config, runner);
  if (s.ok()) s = StartExecutions(config, runner.service());
  if (!s.ok()) {
    std::fprintf(stderr, "lmc-durable: %s\n", std::string(s.message()).c_str());
    return absl::IsInvalidArgument(s) ? 2 : 1;
  }
  DurableService& service = runner.service();
  wake.Set(&service);
  if (config.serve) std::printf("endpoint %s\n", service.endpoint().c_str());
  const double deadline_s = config.deadline_s.value_or(config.serve ? 1e9 : 120);
  const absl::Time deadline = absl::Now() + absl::Seconds(deadline_s);
  std::vector<std::string> announced;
  Reporter reporter(config, service);
  bool done = false;
  bool told_done = false;
  for (uint64_t seen = 0;;) {
    if (config.serve) AnnounceCallbacks(service, announced);
    done = service.WaitForAll(absl::ZeroDuration());
    reporter.Flush();
    if (done && config.serve && !told_done) {
      told_done = true;
      std::printf("every execution ended; SIGINT stops the service\n");
      std::fflush(stdout);
    }
    if (interrupted.load() || absl::Now() >= deadline || (done && !config.serve)) break;
    seen = service.WaitForChange(seen, deadline - absl::Now());
  }
  const bool all_succeeded = reporter.Finish();
  if (!done) std::fprintf(stderr, "lmc-durable: stopped before every execution ended\n");
  wake.Set(nullptr);
  return all_succeeded ? 0 : 1;
}

// lmc-durable callback --endpoint URL --id ID (succeed [JSON] | fail [TYPE [MESSAGE]] | heartbeat)
int RunCallback(int argc, char** argv) {
  std::string endpoint;
  std::string id;
  std::vector<std::string> words;
  for (int i = 0; i < argc; ++i) {
    const std::string_view a = argv[i];
    if ((a == "--endpoint" || a == "--id") && i + 1 < argc) {
      (a == "--endpoint" ? endpoint : id) = argv[++i];
    } else {
      words.emplace_back(a);
    }
  }
  if (endpoint.empty() || id.empty() || words.empty() ||
      (words[0] != "succeed" && words[0] != "fail" && words[0] != "heartbeat")) {
    std::fprintf(stderr, "lmc-durable callback: --endpoint, --id and an ACTION are required\n\n%s",
                 kUsage);
    return 2;
  }
  std::string body;
  if (words[0] == "succeed" && words.size() > 1) body = words[1];
  if (words[0] == "fail") {
    JsonWriter w(&body);
    w.BeginObject();
    if (words.size() > 1) w.Key("ErrorType").String(words[1]);
    if (words.size() > 2) w.Key("ErrorMessage").String(words[2]);
    w.EndObject();
  }
  absl::StatusOr<ApiReply> reply = SendCallback(endpoint, id, words[0], body);
  if (!reply.ok()) {
    std::fprintf(stderr, "lmc-durable callback: %s\n",
                 std::string(reply.status().message()).c_str());
    return absl::IsInvalidArgument(reply.status()) ? 2 : 1;
  }
  if (reply->status != 200) {
    std::fprintf(stderr, "lmc-durable callback: %d %s %s\n", reply->status,
                 reply->error_type.c_str(), reply->body.c_str());
    return 1;
  }
  std::printf("%s\n", reply->body.c_str());
  return 0;
}

}  // namespace
}  // namespace lmc::durable_service

int main(int argc, char** argv) {
  namespace service = lmc::durable_service;
  // `lmc-durable callback ...` is a command of its own; its --help is the common usage.
  if (!lmc::emulator::HelpRequested(argc, argv) && argc > 1 &&
      std::string_view(argv[1]) == "callback") {
    return service::RunCallback(argc - 2, argv + 2);
  }
  return lmc::emulator::CommandMain<service::Config>(argc, argv, "lmc-durable", service::kUsage,
                                                     service::ParseArgs, service::Run);
}
