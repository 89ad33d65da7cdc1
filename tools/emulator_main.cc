// lmc-emulator: the Runtime API emulator as a standalone server, for running a bootstrap by hand.
//
//   $ lmc-emulator --event '{"n":1}' --count 3 --exit-when-done
//   AWS_LAMBDA_RUNTIME_API=127.0.0.1:41235
//   (in another shell) AWS_LAMBDA_RUNTIME_API=127.0.0.1:41235 _HANDLER=echo build/bootstrap
//
// The first stdout line is the address to export; then one line per answered invocation; then
// statistics on SIGINT/SIGTERM, or once every event is answered with --exit-when-done.
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "tools/emulator/command_support.h"
#include "tools/emulator/emulator.h"

namespace lmc::emulator {
namespace {

constexpr char kUsage[] =
    R"(usage: lmc-emulator [options]

Serves the Lambda Runtime API on 127.0.0.1 until SIGINT/SIGTERM. Prints
AWS_LAMBDA_RUNTIME_API=127.0.0.1:<port> first, then one line per answered invocation.

events (any combination; queued events go out before generated ones):
  --events FILE_OR_DIR ...  one event per file; a directory means its *.json files, by name
  --stdin                   one event per line of standard input, queued as lines arrive
  --event JSON --count N    the same event N times (default 1)

options:
  --port P                  listen port (default: an ephemeral port)
  --tenant ID               send Lambda-Runtime-Aws-Tenant-Id: ID with every event
  --timeout-ms MS           invocation timeout behind Lambda-Runtime-Deadline-Ms (default 30000)
  --enforce-deadlines       answer late POSTs with 410 InvokeTimeout
  --concurrency-report      add in-flight and waiting /next counts to every answer line
  --exit-when-done          print statistics and exit once every event is answered
)";

constexpr size_t kBodyChars = 120;

struct Config {
  int port = 0;
  EventFlags events;
  bool enforce_deadlines = false;
  bool concurrency_report = false;
  bool exit_when_done = false;
};

std::optional<std::string> ParseArgs(int argc, char** argv, Config& config) {
  ArgReader args(argc, argv);
  while (!args.done()) {
    std::string v;
    uint64_t n = 0;
    if (config.events.Read(args)) continue;
    if (args.Value("--port", &v)) {
      if (!ParseUint(v, &n) || n > 65535) args.Fail("--port wants 0..65535");
      config.port = static_cast<int>(n);
    } else if (args.Switch("--enforce-deadlines")) {
      config.enforce_deadlines = true;
    } else if (args.Switch("--concurrency-report")) {
      config.concurrency_report = true;
    } else if (args.Switch("--exit-when-done")) {
      config.exit_when_done = true;
    } else {
      args.Fail(absl::StrCat("unknown argument: ", std::string(args.current())));
    }
  }
  if (args.failed()) return args.error();
  if (config.events.count && !config.events.event) return "--count goes with --event";
  return std::nullopt;
}

// Counts the events handed to the emulator and whether more may come (stdin still open); the
// done-predicate reads it under the emulator's waits, so changes are followed by NotifyWaiters().
struct EventTally {
  std::atomic<uint64_t> total{0};
  std::atomic<bool> complete{false};
};

// Queues one event per line of stdin as lines arrive; stops at EOF or when `stop_fd` is
// signalled. Runs on its own thread.
void ReadStdinEvents(Emulator& emulator, const EventSpec& base, EventTally& tally, int stop_fd) {
  std::string pending;
  char chunk[65536];
  pollfd fds[2] = {{0, POLLIN, 0}, {stop_fd, POLLIN, 0}};
  auto enqueue = [&](std::string_view lines) {
    for (std::string& line : SplitEventLines(lines)) {
      EventSpec e = base;
      e.body = std::move(line);
      ++tally.total;
      emulator.Enqueue(std::move(e));
    }
  };
  // Queues the complete lines of `pending`; with `at_eof`, the unterminated last one too.
  auto enqueue_lines = [&](bool at_eof) {
    size_t complete = pending.size();
    if (!at_eof) {
      const size_t last_nl = pending.rfind('\n');
      complete = last_nl == std::string::npos ? 0 : last_nl + 1;
    }
    enqueue(std::string_view(pending).substr(0, complete));
    pending.erase(0, complete);
  };
  for (;;) {
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents != 0) return;
    const ssize_t n = read(0, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    pending.append(chunk, static_cast<size_t>(n));
    enqueue_lines(false);
  }
  enqueue_lines(true);
  tally.complete.store(true);
  emulator.NotifyWaiters();
}

void PrintStats(const Stats& s) {
  std::printf(
      "stats next_calls=%llu dispatched=%llu responses=%llu errors=%llu rejected_posts=%llu "
      "duplicate_answers=%llu unknown_request_posts=%llu init_errors=%llu queued=%zu "
      "in_flight=%zu\n",
      static_cast<unsigned long long>(s.next_calls), static_cast<unsigned long long>(s.dispatched),
      static_cast<unsigned long long>(s.responses), static_cast<unsigned long long>(s.errors),
      static_cast<unsigned long long>(s.rejected_posts),
      static_cast<unsigned long long>(s.duplicate_answers),
      static_cast<unsigned long long>(s.unknown_request_posts),
      static_cast<unsigned long long>(s.init_errors), s.queued, s.in_flight);
  std::printf("stats latency_ms p50=%.1f p99=%.1f max=%.1f\n", s.latency_p50_ms, s.latency_p99_ms,
              s.latency_max_ms);
  std::printf(
      "stats concurrency max_in_flight=%zu max_waiting_next=%zu max_outstanding=%zu "
      "max_connections=%zu\n",
      s.max_in_flight, s.max_waiting_next, s.max_outstanding, s.max_connections);
  std::fflush(stdout);
}

// The line printed when an invocation closes: "answered <id> response|error <status> <ms> <body>"
// or "superseded <id>".
std::string AnswerLine(const InvocationRecord& r) {
  if (r.answers.empty()) return absl::StrCat("superseded ", r.request_id);
  const Answer& a = r.answers.back();
  const double ms = r.dispatched_at == absl::InfinitePast()
                        ? 0
                        : absl::ToDoubleMilliseconds(a.received_at - r.dispatched_at);
  return absl::StrFormat("answered %s %s %d %.1fms %s", r.request_id,
                         a.kind == Answer::Kind::kResponse ? "response" : "error",
                         a.status_returned, ms, OneLine(a.body, kBodyChars));
}

// Hands the file events and the generated ones (--event, --count) to the emulator, counting them.
void QueueEvents(const EventFlags& flags, const EventSpec& base,
                 std::vector<std::string> file_events, Emulator& emulator, EventTally& tally) {
  for (std::string& body : file_events) {
    EventSpec e = base;
    e.body = std::move(body);
    ++tally.total;
    emulator.Enqueue(std::move(e));
  }
  if (flags.event) {
    EventSpec e = base;
    e.body = *flags.event;
    tally.total += flags.count.value_or(1);
    emulator.SetGenerator([e](uint64_t) { return e; }, flags.count.value_or(1));
  }
}

int Run(const Config& config) {
  Interruption interruption;  // first, before any thread: see SignalWatcher
  std::vector<std::string> file_events;
  if (!config.events.event_paths.empty()) {
    absl::StatusOr<std::vector<std::string>> loaded = LoadEventFiles(config.events.event_paths);
    if (!loaded.ok()) {
      std::fprintf(stderr, "lmc-emulator: %s\n", std::string(loaded.status().message()).c_str());
      return 2;
    }
    file_events = *std::move(loaded);
  }

  // Filled in below, before the server can close anything; read by on_closed.
  Emulator* self = nullptr;
  // Answer lines printed so far. The done-predicate counts these rather than Stats::closed, so
  // the statistics come after the last answer line (waiters can see a close before on_closed
  // has run).
  std::atomic<uint64_t> printed{0};
  EmulatorOptions options;
  options.port = config.port;
  options.enforce_deadlines = config.enforce_deadlines;
  // A manual session may run for hours: keep only open invocations.
  options.keep_records = false;
  options.on_closed = [&self, &config, &printed](const InvocationRecord& r) {
    std::string line = AnswerLine(r);
    if (config.concurrency_report) {
      const Stats s = self->stats();
      absl::StrAppend(&line, " in_flight=", s.in_flight, " waiting_next=", s.waiting_next);
    }
    line.push_back('\n');
    std::fwrite(line.data(), 1, line.size(), stdout);  // one call: lines never interleave
    std::fflush(stdout);
    ++printed;
    self->NotifyWaiters();
  };
  Emulator emulator(options);
  self = &emulator;
  const Interruption::Watch watch(interruption, emulator);
  if (absl::Status s = emulator.Start(); !s.ok()) {
    std::fprintf(stderr, "lmc-emulator: %s\n", s.ToString().c_str());
    return 1;
  }
  std::printf("AWS_LAMBDA_RUNTIME_API=%s\n", emulator.address().c_str());
  std::fflush(stdout);

  const EventSpec base = config.events.Base();
  EventTally tally;
  QueueEvents(config.events, base, std::move(file_events), emulator, tally);
  const int stop_fd = eventfd(0, EFD_CLOEXEC);
  std::thread stdin_reader;
  if (config.events.read_stdin) {
    stdin_reader = std::thread([&] { ReadStdinEvents(emulator, base, tally, stop_fd); });
  } else {
    tally.complete.store(true);
  }

  emulator.WaitFor(
      [&](const Stats&) {
        return interruption.interrupted() || (config.exit_when_done && tally.complete.load() &&
                                              printed.load() >= tally.total.load());
      },
      absl::InfiniteDuration());
  if (stdin_reader.joinable()) {
    const uint64_t one = 1;
    [[maybe_unused]] ssize_t n = write(stop_fd, &one, sizeof(one));
    stdin_reader.join();
  }
  close(stop_fd);
  PrintStats(emulator.stats());
  return 0;
}

}  // namespace
}  // namespace lmc::emulator

int main(int argc, char** argv) {
  return lmc::emulator::CommandMain<lmc::emulator::Config>(
      argc, argv, "lmc-emulator", lmc::emulator::kUsage, lmc::emulator::ParseArgs,
      lmc::emulator::Run);
}
