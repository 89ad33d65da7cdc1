// lmc-emulator-bench: measures how many /next + /response pairs the emulator serves per second.
//
//   lmc-emulator-bench [--clients C] [--pairs N] [--body-bytes B]
//
// C client threads (default 1), each with one keep-alive connection, loop GET /next -> POST
// /response with a B-byte body until N pairs (default 200000) are done; events come from the
// emulator's generator and records are not kept, as in a soak run. It prints the wall-clock rate
// and, because clients and server share the machine, the server thread's own CPU time per pair
// (process CPU minus the clients' CPU), i.e. the rate one server core could sustain.
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "tools/emulator/command_support.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::emulator {
namespace {

double ThreadCpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

// CPU seconds (user + system) used so far by this process's thread named `name`, from
// /proc/self/task/*/stat; -1 when there is no such thread.
double NamedThreadCpuSeconds(const std::string& name) {
  namespace fs = std::filesystem;
  for (const fs::directory_entry& task : fs::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string thread_name;
    std::getline(comm, thread_name);
    if (thread_name != name) continue;
    std::ifstream stat_file(task.path() / "stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    // Fields after the parenthesised name: state is field 3; utime and stime are 14 and 15.
    std::istringstream fields(stat.substr(stat.rfind(')') + 2));
    std::string field;
    double utime = 0;
    double stime = 0;
    for (int i = 3; i <= 15 && fields >> field; ++i) {
      if (i == 14) utime = std::stod(field);
      if (i == 15) stime = std::stod(field);
    }
    return (utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
  }
  return -1;
}

double ProcessCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

// One client: `pairs` GET /next + POST /response exchanges on one kept-alive connection. False
// at the first failure.
bool RunClient(int port, uint64_t pairs) {
  internal::RawHttpClient client;
  if (!client.Connect(port).ok()) return false;
  for (uint64_t i = 0; i < pairs; ++i) {
    absl::StatusOr<internal::RawHttpResponse> next =
        client.Get("/2018-06-01/runtime/invocation/next");
    const std::string* id = next.ok() ? next->FindHeader("lambda-runtime-aws-request-id") : nullptr;
    if (id == nullptr) return false;
    absl::StatusOr<internal::RawHttpResponse> posted =
        client.Post("/2018-06-01/runtime/invocation/" + *id + "/response", next->body);
    if (!posted.ok() || posted->status != 202) return false;
  }
  return true;
}

int Main(int argc, char** argv) {
  uint64_t clients = 1;
  uint64_t pairs = 200000;
  uint64_t body_bytes = 16;
  ArgReader args(argc, argv);
  while (!args.done()) {
    std::string v;
    uint64_t* target = nullptr;
    if (args.Value("--clients", &v)) {
      target = &clients;
    } else if (args.Value("--pairs", &v)) {
      target = &pairs;
    } else if (args.Value("--body-bytes", &v)) {
      target = &body_bytes;
    } else {
      args.Fail("unknown argument: " + std::string(args.current()));
      break;
    }
    if (!ParseUint(v, target)) args.Fail("not a number: " + v);
  }
  if (args.failed() || clients == 0 || pairs < clients) {
    std::fprintf(stderr,
                 "usage: lmc-emulator-bench [--clients C] [--pairs N] [--body-bytes B]\n%s\n",
                 args.error().c_str());
    return 2;
  }

  EmulatorOptions options;
  options.keep_records = false;
  Emulator emulator(options);
  if (absl::Status s = emulator.Start(); !s.ok()) {
    std::fprintf(stderr, "%s\n", s.ToString().c_str());
    return 1;
  }
  const std::string body(body_bytes, 'x');
  emulator.SetGenerator(
      [&body](uint64_t) {
        EventSpec e;
        e.body = body;
        return e;
      },
      pairs);

  std::atomic<double> client_cpu{0};
  std::atomic<uint64_t> failures{0};
  const double cpu_before = ProcessCpuSeconds();
  const double server_cpu_before = NamedThreadCpuSeconds("lmc-emulator");
  const absl::Time start = absl::Now();
  std::vector<std::thread> threads;
  for (uint64_t c = 0; c < clients; ++c) {
    const uint64_t share = pairs / clients + (c < pairs % clients ? 1 : 0);
    threads.emplace_back([&, share] {
      const double cpu0 = ThreadCpuSeconds();
      if (!RunClient(emulator.port(), share)) ++failures;
      double expected = client_cpu.load();
      const double used = ThreadCpuSeconds() - cpu0;
      while (!client_cpu.compare_exchange_weak(expected, expected + used)) {
      }
    });
  }
  for (std::thread& t : threads) t.join();
  const double wall = absl::ToDoubleSeconds(absl::Now() - start);
  // The server thread's own accounting; the process-minus-clients estimate as a fallback.
  double server_cpu = NamedThreadCpuSeconds("lmc-emulator") - server_cpu_before;
  if (server_cpu_before < 0) server_cpu = ProcessCpuSeconds() - cpu_before - client_cpu.load();
  const Stats s = emulator.stats();
  std::printf("clients=%llu pairs=%llu body_bytes=%llu failures=%llu\n",
              static_cast<unsigned long long>(clients), static_cast<unsigned long long>(pairs),
              static_cast<unsigned long long>(body_bytes),
              static_cast<unsigned long long>(failures.load()));
  std::printf("wall %.3f s: %.0f pairs/s, %.0f HTTP requests/s\n", wall,
              static_cast<double>(s.responses) / wall,
              2.0 * static_cast<double>(s.responses) / wall);
  std::printf("server thread cpu %.3f s: %.2f us per pair, %.0f pairs/s per server core\n",
              server_cpu, server_cpu * 1e6 / static_cast<double>(s.responses),
              static_cast<double>(s.responses) / server_cpu);
  std::printf("client cpu %.3f s; latency p50 %.3f ms p99 %.3f ms\n", client_cpu.load(),
              s.latency_p50_ms, s.latency_p99_ms);
  return failures.load() == 0 && s.responses == pairs ? 0 : 1;
}

}  // namespace
}  // namespace lmc::emulator

int main(int argc, char** argv) { return lmc::emulator::Main(argc, argv); }
