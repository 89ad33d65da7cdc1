// lmc-invoke: runs a bootstrap against an in-process Runtime API emulator and reports what it
// did. scripts/demo, scripts/demo-inference and packaging (prove, prove-consumer, prove-image) run
// it; its parts (launching and stopping a bootstrap, the report) live in tools/invoke/ for other
// commands to share.
//
//   lmc-invoke --bootstrap build/bootstrap --handler echo --concurrency 8
//              --event '{"n":1}' --count 1000 [--json]
//
// Exit status: 0 when every event was answered exactly once and the bootstrap ended cleanly
// (exit code 0, or killed by the SIGTERM lmc-invoke sent); 1 otherwise; 2 for bad usage.
#include <unistd.h>

#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "tools/emulator/command_support.h"
#include "tools/emulator/emulator.h"
#include "tools/invoke/bootstrap_process.h"
#include "tools/invoke/invoke_report.h"

namespace lmc::invoke {
namespace {

using emulator::ArgReader;
using emulator::Emulator;
using emulator::EventSpec;
using emulator::Interruption;
using emulator::Stats;

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
  --answers FILE      write every answer's body to FILE, one per line in dispatch order (line
                      breaks inside a body become spaces; JSON stays JSON)
  --logs FILE         write the bootstrap's stdout and stderr to FILE
  --deadline-s S      give up waiting for answers after S seconds (default 120)
  --term-grace-ms MS  time between SIGTERM and SIGKILL (default 5000)

exit status: 0 all events answered exactly once and the bootstrap ended cleanly; 1 otherwise;
2 bad usage.
)";

// Above this many events, records are not kept (memory stays bounded); samples then come only
// from invocations still open at the end.
constexpr uint64_t kMaxKeptRecords = 100000;
constexpr size_t kLogTailLines = 20;

struct Config {
  BootstrapLaunch launch;  // runtime_api is filled in once the emulator listens
  emulator::EventFlags events;
  uint64_t show = 3;
  bool json = false;
  std::string answers_path;  // --answers: every answer's body, one per line
  double deadline_s = 120;
  uint64_t term_grace_ms = 5000;
};

// Reads one lmc-invoke flag that is not an event flag; false when it is none of them.
bool ReadInvokeFlag(ArgReader& args, Config& config) {
  BootstrapLaunch& launch = config.launch;
  std::string v;
  uint64_t n = 0;
  if (args.Value("--bootstrap", &launch.path) || args.Value("--handler", &launch.handler) ||
      args.Value("--logs", &launch.logs_path) || args.Value("--answers", &config.answers_path)) {
    return true;
  }
  if (args.Value("--concurrency", &v)) {
    if (!emulator::ParseUint(v, &n) || n == 0) args.Fail("--concurrency wants a number >= 1");
    launch.concurrency = n;
  } else if (args.Value("--env", &v)) {
    const size_t eq = v.find('=');
    if (eq == std::string::npos || eq == 0) args.Fail("--env wants KEY=VALUE, got " + v);
    launch.extra_env.emplace_back(v.substr(0, eq), v.substr(eq + 1));
  } else if (args.Value("--show", &v)) {
    if (!emulator::ParseUint(v, &config.show)) args.Fail("--show wants a number, got " + v);
  } else if (args.Switch("--json")) {
    config.json = true;
  } else if (args.Value("--deadline-s", &v)) {
    if (!emulator::ParseDouble(v, &config.deadline_s) || config.deadline_s <= 0) {
      args.Fail("--deadline-s wants a positive number of seconds");
    }
  } else if (args.Value("--term-grace-ms", &v)) {
    if (!emulator::ParseUint(v, &config.term_grace_ms)) {
      args.Fail("--term-grace-ms wants a number, got " + v);
    }
  } else {
    return false;
  }
  return true;
}

// Writes the first answer's body of every kept record to `path`, one line each.
bool WriteAnswers(const Emulator& emulator, const std::string& path) {
  std::FILE* file = std::fopen(path.c_str(), "w");
  if (file == nullptr) return false;
  for (const emulator::InvocationRecord& record : emulator.records()) {
    std::string body = record.answers.empty() ? std::string() : record.answers[0].body;
    for (char& c : body) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    body += '\n';
    std::fwrite(body.data(), 1, body.size(), file);
  }
  return std::fclose(file) == 0;
}

// Parses argv into `config`; returns an error message for bad usage.
std::optional<std::string> ParseArgs(int argc, char** argv, Config& config) {
  ArgReader args(argc, argv);
  while (!args.done()) {
    if (!config.events.Read(args) && !ReadInvokeFlag(args, config)) {
      args.Fail(absl::StrCat("unknown argument: ", std::string(args.current())));
    }
  }
  if (args.failed()) return args.error();
  if (config.launch.path.empty()) return "--bootstrap is required";
  if (config.launch.handler.empty()) return "--handler is required";
  const emulator::EventFlags& e = config.events;
  if ((e.event ? 1 : 0) + (e.event_paths.empty() ? 0 : 1) + (e.read_stdin ? 1 : 0) != 1) {
    return "give exactly one of --event, --events, --stdin";
  }
  if (e.count && !e.event) return "--count goes with --event";
  return std::nullopt;
}

// The event bodies of --events or --stdin (none for --event, which the emulator generates).
absl::StatusOr<std::vector<std::string>> ReadBodies(const emulator::EventFlags& flags) {
  if (!flags.event_paths.empty()) return emulator::LoadEventFiles(flags.event_paths);
  if (!flags.read_stdin) return std::vector<std::string>();
  absl::StatusOr<std::string> text = emulator::ReadAll(STDIN_FILENO);
  if (!text.ok()) return text.status();
  return emulator::SplitEventLines(*text);
}

// Hands the events to the emulator; returns how many there are.
uint64_t Serve(const emulator::EventFlags& flags, std::vector<std::string> bodies,
               Emulator& emulator) {
  const EventSpec base = flags.Base();
  if (flags.event) {
    EventSpec e = base;
    e.body = *flags.event;
    const uint64_t count = flags.count.value_or(1);
    emulator.SetGenerator([e](uint64_t) { return e; }, count);
    return count;
  }
  for (std::string& body : bodies) {
    EventSpec e = base;
    e.body = std::move(body);
    emulator.Enqueue(std::move(e));
  }
  return bodies.size();
}

int Run(Config config) {
  Interruption interruption;  // first, before any thread: see SignalWatcher
  absl::StatusOr<std::vector<std::string>> bodies = ReadBodies(config.events);
  if (!bodies.ok()) {
    std::fprintf(stderr, "lmc-invoke: %s\n", std::string(bodies.status().message()).c_str());
    return 2;
  }
  const uint64_t total = config.events.event ? config.events.count.value_or(1) : bodies->size();
  if (total == 0) {
    std::fprintf(stderr, "lmc-invoke: no events to send\n");
    return 2;
  }

  emulator::EmulatorOptions options;
  options.keep_records = total <= kMaxKeptRecords;
  options.handler = config.launch.handler;
  options.function_name = config.launch.function_name;
  options.function_version = config.launch.function_version;
  Emulator emulator(options);
  if (absl::Status s = emulator.Start(); !s.ok()) {
    std::fprintf(stderr, "lmc-invoke: emulator: %s\n", s.ToString().c_str());
    return 1;
  }
  const Interruption::Watch watch(interruption, emulator);
  Serve(config.events, *std::move(bodies), emulator);

  config.launch.runtime_api = emulator.address();
  absl::StatusOr<std::unique_ptr<BootstrapProcess>> started =
      BootstrapProcess::Start(config.launch, emulator);
  if (!started.ok()) {
    std::fprintf(stderr, "lmc-invoke: %s\n", started.status().ToString().c_str());
    return 1;
  }
  BootstrapProcess& child = **started;
  const absl::Time deadline = child.spawned_at() + absl::Seconds(config.deadline_s);
  const bool finished = emulator.WaitFor(
      [&](const Stats& s) {
        return s.closed >= total || child.exited() || interruption.interrupted();
      },
      deadline - absl::Now());

  InvokeReport report;
  report.ending = child.Stop(absl::Milliseconds(static_cast<int64_t>(config.term_grace_ms)));
  report.handler = config.launch.handler;
  report.bootstrap = config.launch.path;
  report.concurrency = config.launch.concurrency;
  report.events = total;
  report.stats = emulator.stats();
  report.samples = emulator.records(config.show);
  report.init_errors = emulator.init_errors();
  report.spawned_at = child.spawned_at();
  if (interruption.interrupted()) {
    report.stopped = "interrupted by a signal";
  } else if (!finished && !report.ending.exited_on_its_own) {
    report.stopped = absl::StrFormat("deadline of %g s passed", config.deadline_s);
  }

  if (!config.answers_path.empty() && !WriteAnswers(emulator, config.answers_path)) {
    std::fprintf(stderr, "lmc-invoke: cannot write %s\n", config.answers_path.c_str());
    return 1;
  }
  const std::string out = config.json ? FormatJsonReport(report) : FormatTextReport(report);
  std::fwrite(out.data(), 1, out.size(), stdout);
  if (!report.ok() && config.launch.logs_path.empty()) {
    // The bootstrap's own words are the quickest diagnosis; only the tail, only on failure.
    std::fprintf(stderr, "lmc-invoke: %s", OutputTail(child.output(), kLogTailLines).c_str());
  }
  std::fflush(stdout);
  return report.ok() ? 0 : 1;
}

}  // namespace
}  // namespace lmc::invoke

int main(int argc, char** argv) {
  return lmc::emulator::CommandMain<lmc::invoke::Config>(
      argc, argv, "lmc-invoke", lmc::invoke::kUsage, lmc::invoke::ParseArgs, lmc::invoke::Run);
}
