// lmc-invoke: runs a bootstrap against an in-process Runtime API emulator and reports what it
// did. This is what the README demo, the integration tests and the benchmarks call.
//
//   lmc-invoke --bootstrap build/bootstrap --handler echo --concurrency 8
//              --event '{"n":1}' --count 1000 [--json]
//
// Exit status: 0 when every event was answered exactly once and the bootstrap ended cleanly
// (exit code 0, or killed by the SIGTERM lmc-invoke sent); 1 otherwise; 2 for bad usage.
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/cleanup/cleanup.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "lmc/json.h"
#include "tools/emulator/command_support.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"

namespace lmc::emulator {
namespace {

constexpr char kUsage[] =
    R"(usage: lmc-invoke --bootstrap PATH --handler NAME [options] EVENTS

Runs PATH as a Lambda custom runtime against a local Runtime API emulator, waits until every
event is answered, stops the bootstrap (SIGTERM, then SIGKILL) and prints a summary.

EVENTS (exactly one):
  --event JSON [--count K]    the same event K times (default 1)
  --events FILE_OR_DIR ...    one event per file; a directory means its *.json files, by name
  --stdin                     one event per line of standard input

options:
  --concurrency N     sets AWS_LAMBDA_MAX_CONCURRENCY=N for the bootstrap
  --tenant ID         sends Lambda-Runtime-Aws-Tenant-Id: ID with every event
  --timeout-ms MS     invocation timeout behind Lambda-Runtime-Deadline-Ms (default 30000)
  --env K=V           extra environment variable for the bootstrap (repeatable)
  --show N            sample answers to print (default 3)
  --json              print one JSON object instead of the human summary
  --logs FILE         write the bootstrap's stdout and stderr to FILE
  --deadline-s S      give up waiting for answers after S seconds (default 120)
  --term-grace-ms MS  time between SIGTERM and SIGKILL (default 5000)

exit status: 0 all events answered exactly once and the bootstrap ended cleanly; 1 otherwise;
2 bad usage.
)";

// Above this many events, records are not kept (memory stays bounded); samples then come only
// from invocations still open at the end.
constexpr uint64_t kMaxKeptRecords = 100000;
// RAPID (LMI) gives the runtime up to 600 ms after SIGTERM before it shuts the API down.
constexpr absl::Duration kShutdownAfterTerm = absl::Milliseconds(600);
constexpr size_t kSampleBodyChars = 120;
constexpr size_t kJsonSampleBodyBytes = 4096;
constexpr int kLogTailLines = 20;

struct Config {
  std::string bootstrap;
  std::string handler;
  std::optional<uint64_t> concurrency;
  std::optional<std::string> event;
  std::optional<uint64_t> count;
  std::vector<std::string> event_paths;
  bool read_stdin = false;
  std::optional<std::string> tenant;
  uint64_t timeout_ms = 30000;
  std::vector<std::pair<std::string, std::string>> env;
  uint64_t show = 3;
  bool json = false;
  std::string logs;
  double deadline_s = 120;
  uint64_t term_grace_ms = 5000;
};

// Parses argv into `config`; returns an error message for bad usage.
std::optional<std::string> ParseArgs(int argc, char** argv, Config& config) {
  ArgReader args(argc, argv);
  auto number = [&args](const std::string& text, std::string_view flag, uint64_t* out) {
    if (!ParseUint(text, out)) args.Fail(absl::StrCat(std::string(flag), ": not a number: ", text));
  };
  while (!args.done()) {
    std::string v;
    uint64_t n = 0;
    if (args.Value("--bootstrap", &config.bootstrap) || args.Value("--handler", &config.handler) ||
        args.Values("--events", &config.event_paths) || args.Value("--logs", &config.logs)) {
      continue;
    }
    if (args.Value("--concurrency", &v)) {
      number(v, "--concurrency", &n);
      if (n == 0) args.Fail("--concurrency must be at least 1");
      config.concurrency = n;
    } else if (args.Value("--event", &v)) {
      config.event = v;
    } else if (args.Value("--count", &v)) {
      number(v, "--count", &n);
      config.count = n;
    } else if (args.Switch("--stdin")) {
      config.read_stdin = true;
    } else if (args.Value("--tenant", &v)) {
      config.tenant = v;
    } else if (args.Value("--timeout-ms", &v)) {
      number(v, "--timeout-ms", &config.timeout_ms);
    } else if (args.Value("--env", &v)) {
      const size_t eq = v.find('=');
      if (eq == std::string::npos || eq == 0) args.Fail("--env wants KEY=VALUE, got " + v);
      config.env.emplace_back(v.substr(0, eq), v.substr(eq + 1));
    } else if (args.Value("--show", &v)) {
      number(v, "--show", &config.show);
    } else if (args.Switch("--json")) {
      config.json = true;
    } else if (args.Value("--deadline-s", &v)) {
      if (!ParseDouble(v, &config.deadline_s) || config.deadline_s <= 0) {
        args.Fail("--deadline-s wants a positive number of seconds");
      }
    } else if (args.Value("--term-grace-ms", &v)) {
      number(v, "--term-grace-ms", &config.term_grace_ms);
    } else {
      args.Fail(absl::StrCat("unknown argument: ", std::string(args.current())));
    }
  }
  if (args.failed()) return args.error();
  if (config.bootstrap.empty()) return "--bootstrap is required";
  if (config.handler.empty()) return "--handler is required";
  const int sources =
      (config.event ? 1 : 0) + (config.event_paths.empty() ? 0 : 1) + (config.read_stdin ? 1 : 0);
  if (sources != 1) return "give exactly one of --event, --events, --stdin";
  if (config.count && !config.event) return "--count goes with --event";
  if (config.count && *config.count == 0) return "--count must be at least 1";
  return std::nullopt;
}

// The answer that decided an invocation: its accepted (202) answer, else its last one.
const Answer* DecidingAnswer(const InvocationRecord& r) {
  for (const Answer& a : r.answers) {
    if (a.status_returned == 202) return &a;
  }
  return r.answers.empty() ? nullptr : &r.answers.back();
}

std::string SignalName(int signal) {
  const char* abbrev = sigabbrev_np(signal);
  return abbrev != nullptr ? absl::StrCat("SIG", abbrev) : absl::StrCat("signal ", signal);
}

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// What a streamed (chunked) answer looked like on arrival.
struct StreamFacts {
  size_t chunks = 0;
  uint64_t bytes = 0;
  double first_byte_ms = 0;                 // dispatch -> first chunk
  const std::string* error_type = nullptr;  // the error trailers, when the stream failed
  const std::string* error_body = nullptr;  // base64, as sent
};

std::optional<StreamFacts> StreamOf(const InvocationRecord& r, const Answer& a) {
  if (!a.chunked) return std::nullopt;
  StreamFacts facts;
  facts.chunks = a.chunks.size();
  facts.bytes = a.body.size();
  if (!a.chunks.empty()) facts.first_byte_ms = Ms(a.chunks.front().arrived_at - r.dispatched_at);
  for (const auto& [name, value] : a.trailers) {
    if (name == "lambda-runtime-function-error-type") facts.error_type = &value;
    if (name == "lambda-runtime-function-error-body") facts.error_body = &value;
  }
  return facts;
}

// What happened to the child, for the summary.
struct Ending {
  Subprocess::ExitStatus status;
  bool exited_on_its_own = false;
  bool term_sent = false;
  bool kill_sent = false;
  bool clean() const {
    if (kill_sent) return false;
    if (status.exited) return status.code == 0;
    return term_sent && status.signal == SIGTERM;
  }
  std::string Describe(uint64_t grace_ms) const {
    if (kill_sent) {
      return absl::StrFormat("bootstrap ignored SIGTERM, killed by SIGKILL after %.1f s",
                             static_cast<double>(grace_ms) / 1000);
    }
    const std::string how = status.exited ? absl::StrCat("exited ", status.code)
                                          : absl::StrCat("killed by ", SignalName(status.signal));
    return absl::StrCat("bootstrap ", how,
                        exited_on_its_own ? " before lmc-invoke stopped it" : " after SIGTERM");
  }
};

void AppendDouble(JsonWriter& w, double value) { w.Raw(absl::StrFormat("%.3f", value)); }

int Run(const Config& config) {
  std::atomic<bool> interrupted{false};
  std::atomic<bool> child_exited{false};
  NotifyTarget wake_target;
  // First, before any thread exists, so every thread inherits the blocked SIGINT/SIGTERM.
  SignalWatcher watcher([&](int) {
    interrupted.store(true);
    wake_target.Notify();
  });

  std::vector<std::string> bodies;
  if (!config.event_paths.empty()) {
    absl::StatusOr<std::vector<std::string>> loaded = LoadEventFiles(config.event_paths);
    if (!loaded.ok()) {
      std::fprintf(stderr, "lmc-invoke: %s\n", std::string(loaded.status().message()).c_str());
      return 2;
    }
    bodies = *std::move(loaded);
  } else if (config.read_stdin) {
    const std::string text((std::istreambuf_iterator<char>(std::cin)),
                           std::istreambuf_iterator<char>());
    bodies = SplitEventLines(text);
  }
  const uint64_t total = config.event ? config.count.value_or(1) : bodies.size();
  if (total == 0) {
    std::fprintf(stderr, "lmc-invoke: no events to send\n");
    return 2;
  }

  EmulatorOptions options;
  options.keep_records = total <= kMaxKeptRecords;
  options.handler = config.handler;
  Emulator emulator(options);
  if (absl::Status s = emulator.Start(); !s.ok()) {
    std::fprintf(stderr, "lmc-invoke: emulator: %s\n", s.ToString().c_str());
    return 1;
  }
  wake_target.Set(&emulator);
  // Declared after the emulator, so destroyed (detaching the signal path) before it.
  const auto detach = absl::MakeCleanup([&wake_target] { wake_target.Set(nullptr); });
  EventSpec base;
  base.tenant_id = config.tenant;
  base.timeout = std::chrono::milliseconds(static_cast<int64_t>(config.timeout_ms));
  if (config.event) {
    base.body = *config.event;
    emulator.SetGenerator([base](uint64_t) { return base; }, total);
  } else {
    for (std::string& body : bodies) {
      EventSpec e = base;
      e.body = std::move(body);
      emulator.Enqueue(std::move(e));
    }
  }

  // The bootstrap's environment: what Lambda sets for a custom runtime, nothing inherited but
  // PATH and TMPDIR, then --env overrides.
  auto inherited = [](const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return std::string(value != nullptr ? value : fallback);
  };
  std::vector<std::pair<std::string, std::string>> env = {
      {"AWS_LAMBDA_RUNTIME_API", emulator.address()},
      {"_HANDLER", config.handler},
      {"AWS_LAMBDA_FUNCTION_NAME", options.function_name},
      {"AWS_LAMBDA_FUNCTION_VERSION", options.function_version},
      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048"},
      {"AWS_REGION", "us-east-1"},
      {"TMPDIR", inherited("TMPDIR", "/tmp")},
      {"PATH", inherited("PATH", "/usr/local/bin:/usr/bin:/bin")},
  };
  if (config.concurrency) {
    env.emplace_back("AWS_LAMBDA_MAX_CONCURRENCY", std::to_string(*config.concurrency));
  }
  for (const auto& [key, value] : config.env) {
    auto same = [&key = key](const auto& kv) { return kv.first == key; };
    if (auto it = std::find_if(env.begin(), env.end(), same); it != env.end()) {
      it->second = value;
    } else {
      env.emplace_back(key, value);
    }
  }
  Subprocess::Options spawn;
  spawn.argv = {config.bootstrap};
  for (const auto& [key, value] : env) spawn.env.push_back(absl::StrCat(key, "=", value));
  spawn.merge_stderr = true;
  if (!config.logs.empty()) {
    const int fd = open(config.logs.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
      std::fprintf(stderr, "lmc-invoke: cannot write %s: %s\n", config.logs.c_str(),
                   strerror(errno));
      return 1;
    }
    close(fd);
    spawn.output_path = config.logs;
  }

  const absl::Time spawned_at = absl::Now();
  absl::StatusOr<std::unique_ptr<Subprocess>> started = Subprocess::Start(std::move(spawn));
  if (!started.ok()) {
    std::fprintf(stderr, "lmc-invoke: %s\n", started.status().ToString().c_str());
    return 1;
  }
  Subprocess& child = **started;
  std::thread exit_watch([&] {
    child.WaitForExit(absl::InfiniteDuration());
    child_exited.store(true);
    emulator.NotifyWaiters();
  });

  const absl::Time deadline = spawned_at + absl::Seconds(config.deadline_s);
  const bool finished = emulator.WaitFor(
      [&](const Stats& s) { return s.closed >= total || child_exited || interrupted; },
      deadline - absl::Now());

  Ending ending;
  ending.exited_on_its_own = child_exited.load();
  if (!ending.exited_on_its_own) {
    // As RAPID does at shutdown: SIGTERM, a short wait, then the API shuts down (blocked /next
    // calls get 500, SHUTDOWN-registered extensions their event), then SIGKILL after the grace.
    const absl::Duration grace = absl::Milliseconds(static_cast<int64_t>(config.term_grace_ms));
    ending.term_sent = child.Signal(SIGTERM).ok();
    if (!child.WaitForExit(std::min(kShutdownAfterTerm, grace))) {
      emulator.BeginShutdown("spindown");
      if (!child.WaitForExit(grace - std::min(kShutdownAfterTerm, grace))) {
        ending.kill_sent = child.Signal(SIGKILL).ok();
        child.WaitForExit(absl::InfiniteDuration());
      }
    }
  }
  exit_watch.join();
  ending.status = child.exit_status();

  const Stats s = emulator.stats();
  const std::vector<InvocationRecord> samples = emulator.records(config.show);
  const std::vector<Answer> init_errors = emulator.init_errors();
  const uint64_t answered = s.responses + s.errors;
  const uint64_t unanswered = total > answered ? total - answered : 0;
  const bool ok = answered == total && s.duplicate_answers == 0 && s.unknown_request_posts == 0 &&
                  ending.clean();
  const bool has_wall =
      s.first_dispatch_at != absl::InfinitePast() && s.last_close_at != absl::InfinitePast();
  const double wall_ms = has_wall ? Ms(s.last_close_at - s.first_dispatch_at) : 0;
  const double throughput = wall_ms > 0 ? static_cast<double>(answered) * 1000 / wall_ms : 0;
  const bool has_startup = s.first_next_at != absl::InfinitePast();
  const double startup_ms = has_startup ? Ms(s.first_next_at - spawned_at) : 0;
  std::string stopped;
  if (interrupted) {
    stopped = "interrupted by a signal";
  } else if (!finished && !ending.exited_on_its_own) {
    stopped = absl::StrFormat("deadline of %g s passed", config.deadline_s);
  }

  if (config.json) {
    std::string out;
    JsonWriter w(&out);
    w.BeginObject().Key("handler").String(config.handler).Key("concurrency");
    if (config.concurrency) {
      w.Uint(*config.concurrency);
    } else {
      w.Null();
    }
    w.Key("ok").Bool(ok);
    w.Key("invocations").Uint(total).Key("dispatched").Uint(s.dispatched);
    w.Key("answered").Uint(answered).Key("responses").Uint(s.responses);
    w.Key("errors").Uint(s.errors).Key("unanswered").Uint(unanswered);
    w.Key("max_in_flight").Uint(s.max_in_flight).Key("max_outstanding").Uint(s.max_outstanding);
    w.Key("max_waiting_next").Uint(s.max_waiting_next).Key("next_calls").Uint(s.next_calls);
    w.Key("duplicate_answers").Uint(s.duplicate_answers);
    w.Key("unknown_request_posts").Uint(s.unknown_request_posts);
    w.Key("rejected_posts").Uint(s.rejected_posts).Key("init_errors").Uint(s.init_errors);
    w.Key("wall_ms");
    AppendDouble(w, wall_ms);
    w.Key("throughput_per_s");
    AppendDouble(w, throughput);
    w.Key("latency_ms").BeginObject().Key("p50");
    AppendDouble(w, s.latency_p50_ms);
    w.Key("p99");
    AppendDouble(w, s.latency_p99_ms);
    w.Key("max");
    AppendDouble(w, s.latency_max_ms);
    w.EndObject().Key("startup_ms");
    if (has_startup) {
      AppendDouble(w, startup_ms);
    } else {
      w.Null();
    }
    w.Key("exit").BeginObject().Key("exited").Bool(ending.status.exited);
    w.Key("code").Int(ending.status.code).Key("signal").Int(ending.status.signal);
    w.Key("term_sent").Bool(ending.term_sent).Key("kill_sent").Bool(ending.kill_sent).EndObject();
    w.Key("stopped").String(stopped.empty() ? "all events closed" : stopped);
    w.Key("samples").BeginArray();
    for (const InvocationRecord& r : samples) {
      const Answer* a = DecidingAnswer(r);
      w.BeginObject().Key("request_id").String(r.request_id).Key("kind");
      if (a == nullptr) {
        w.Null().Key("status").Null().Key("content_type").Null().Key("error_type").Null();
        w.Key("body").Null();
      } else {
        w.String(a->kind == Answer::Kind::kResponse ? "response" : "error");
        w.Key("status").Int(a->status_returned).Key("content_type").String(a->content_type);
        w.Key("error_type");
        if (const std::string* t = a->FindHeader("lambda-runtime-function-error-type")) {
          w.String(*t);
        } else {
          w.Null();
        }
        w.Key("body").String(std::string_view(a->body).substr(0, kJsonSampleBodyBytes));
        w.Key("body_bytes").Uint(a->body.size());
        w.Key("stream");
        if (const std::optional<StreamFacts> st = StreamOf(r, *a)) {
          w.BeginObject().Key("chunks").Uint(st->chunks).Key("bytes").Uint(st->bytes);
          w.Key("first_byte_ms");
          AppendDouble(w, st->first_byte_ms);
          w.Key("trailer_error_type");
          if (st->error_type != nullptr) {
            w.String(*st->error_type);
          } else {
            w.Null();
          }
          w.Key("trailer_error_body");
          if (st->error_body != nullptr) {
            w.String(*st->error_body);
          } else {
            w.Null();
          }
          w.EndObject();
        } else {
          w.Null();
        }
      }
      w.EndObject();
    }
    w.EndArray().EndObject();
    std::printf("%s\n", out.c_str());
  } else {
    std::printf("lmc-invoke: handler=%s concurrency=%s bootstrap=%s\n", config.handler.c_str(),
                config.concurrency ? std::to_string(*config.concurrency).c_str() : "unset",
                config.bootstrap.c_str());
    std::printf(
        "  invocations   %llu sent, %llu answered (%llu responses, %llu errors), %llu "
        "unanswered\n",
        static_cast<unsigned long long>(total), static_cast<unsigned long long>(answered),
        static_cast<unsigned long long>(s.responses), static_cast<unsigned long long>(s.errors),
        static_cast<unsigned long long>(unanswered));
    std::printf(
        "  concurrency   %zu reached (max in flight), %zu max outstanding (waiting /next + "
        "in flight)\n",
        s.max_in_flight, s.max_outstanding);
    if (has_wall) {
      std::printf("  wall time     %.1f ms (first dispatch -> last answer), %.1f invocations/s\n",
                  wall_ms, throughput);
      std::printf("  latency       p50 %.1f ms, p99 %.1f ms, max %.1f ms (dispatch -> answer)\n",
                  s.latency_p50_ms, s.latency_p99_ms, s.latency_max_ms);
    }
    if (has_startup) {
      std::printf("  startup       %.1f ms (spawn -> first /next)\n", startup_ms);
    } else {
      std::printf("  startup       the bootstrap never called /next\n");
    }
    std::printf("  exit          %s\n", ending.Describe(config.term_grace_ms).c_str());
    if (!stopped.empty()) std::printf("  stopped       %s\n", stopped.c_str());
    if (s.duplicate_answers + s.unknown_request_posts + s.rejected_posts > 0) {
      std::printf(
          "  problems      %llu duplicate answers, %llu answers for unknown ids, %llu "
          "rejected posts\n",
          static_cast<unsigned long long>(s.duplicate_answers),
          static_cast<unsigned long long>(s.unknown_request_posts),
          static_cast<unsigned long long>(s.rejected_posts));
    }
    for (const Answer& e : init_errors) {
      const std::string* type = e.FindHeader("lambda-runtime-function-error-type");
      std::printf("  init error    %d %s %s\n", e.status_returned,
                  type != nullptr ? type->c_str() : "-", OneLine(e.body, kSampleBodyChars).c_str());
    }
    for (size_t i = 0; i < samples.size(); ++i) {
      const InvocationRecord& r = samples[i];
      const Answer* a = DecidingAnswer(r);
      std::string line;
      if (a == nullptr) {
        line = absl::StrCat("#", i + 1, " no answer (", r.request_id, ")");
      } else if (a->kind == Answer::Kind::kError) {
        const std::string* type = a->FindHeader("lambda-runtime-function-error-type");
        line = absl::StrCat("#", i + 1, " ", a->status_returned, " error ",
                            type != nullptr ? *type : "-", " ", OneLine(a->body, kSampleBodyChars));
      } else {
        line = absl::StrCat("#", i + 1, " ", a->status_returned, " ",
                            a->content_type.empty() ? "-" : a->content_type, " ",
                            OneLine(a->body, kSampleBodyChars));
      }
      if (a != nullptr) {
        if (const std::optional<StreamFacts> st = StreamOf(r, *a)) {
          absl::StrAppend(&line,
                          absl::StrFormat(" [streamed: %zu chunks, %llu bytes, first byte "
                                          "after %.1f ms",
                                          st->chunks, static_cast<unsigned long long>(st->bytes),
                                          st->first_byte_ms));
          if (st->error_type != nullptr) {
            absl::StrAppend(&line, ", trailer error ", *st->error_type);
          }
          absl::StrAppend(&line, "]");
        }
      }
      std::printf("  %-13s %s\n", i == 0 ? "samples" : "", line.c_str());
    }
  }
  if (!ok && config.logs.empty()) {
    // The bootstrap's own words are the quickest diagnosis; only the tail, only on failure.
    const std::string output = child.stdout_text();
    std::vector<std::string_view> lines;
    for (size_t start = 0; start < output.size();) {
      const size_t nl = output.find('\n', start);
      lines.push_back(std::string_view(output).substr(start, nl - start));
      start = nl == std::string::npos ? output.size() : nl + 1;
    }
    const size_t from = lines.size() > kLogTailLines ? lines.size() - kLogTailLines : 0;
    std::fprintf(stderr, "lmc-invoke: bootstrap output (last %zu lines):\n", lines.size() - from);
    for (size_t i = from; i < lines.size(); ++i) {
      std::fprintf(stderr, "  | %s\n", std::string(lines[i]).c_str());
    }
  }
  std::fflush(stdout);
  return ok ? 0 : 1;
}

}  // namespace
}  // namespace lmc::emulator

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]) == "--help" || std::string_view(argv[i]) == "-h") {
      std::fputs(lmc::emulator::kUsage, stdout);
      return 0;
    }
  }
  lmc::emulator::Config config;
  if (std::optional<std::string> error = lmc::emulator::ParseArgs(argc, argv, config)) {
    std::fprintf(stderr, "lmc-invoke: %s\n\n%s", error->c_str(), lmc::emulator::kUsage);
    return 2;
  }
  return lmc::emulator::Run(config);
}
