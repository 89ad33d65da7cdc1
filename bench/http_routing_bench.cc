// lmc-http-bench: what handlers/http and handlers/events cost per API Gateway HTTP API (2.0)
// request, and that cost's share of a whole invocation's runtime cost, measured side by side in
// one run (the machines are shared and noisy: compare within a run, not across runs).
//
//   1. routing + typed parsing, in process: Router::Handle() on a realistic 2.0 event (parse
//      into HttpRequest, match among 10 routes, a trivial route, encode the 2.0 answer), CPU
//      time per request over many requests (median of 5 rounds);
//   2. the runtime's cost of one invocation: `bootstrap` serving echo at N=1 through the
//      emulator, CPU of the bootstrap process per invocation (lmc-bench's "echo N=1" figure);
//   3. as a cross-check, `example-rest-api` serving GET /items/{id} at N=1 the same way: its
//      CPU per invocation minus echo's is routing + parsing + the route + its log line.
//
//   build-release/bench/lmc-http-bench [--quick] [--bootstrap build-release/runtime/bootstrap]
//       [--rest-api build-release/functions/rest_api/example-rest-api]
#include <signal.h>
#include <time.h>

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/process_stats.h"
#include "handlers/http/router.h"
#include "lmc/base/log_sink.h"
#include "lmc/base/padded_buffer.h"
#include "lmc/base/temp_dir.h"
#include "lmc/clock.h"
#include "lmc/internal/surface_access.h"
#include "tools/emulator/command_support.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/subprocess.h"

namespace {

using lmc::emulator::Emulator;
using lmc::emulator::EmulatorOptions;
using lmc::emulator::EventSpec;
using lmc::emulator::Subprocess;

// A 2.0 request as API Gateway sends it: ~1.3 KB with the usual headers and request context.
std::string HttpApiEvent(const std::string& method, const std::string& path) {
  return absl::StrCat(
      R"({"version":"2.0","routeKey":"$default","rawPath":")", path,
      R"(","rawQueryString":"verbose=1","cookies":["session=abc123","theme=dark"],)",
      R"("headers":{"accept":"application/json","accept-encoding":"gzip, deflate, br",)",
      R"("content-length":"0","host":"r3pmxmplak.execute-api.us-east-2.amazonaws.com",)",
      R"("user-agent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36",)",
      R"("x-amzn-trace-id":"Root=1-5e6722a7-cc56xmpl46db7ae02d4da47e",)",
      R"("x-forwarded-for":"205.255.255.176","x-forwarded-port":"443",)",
      R"("x-forwarded-proto":"https"},"queryStringParameters":{"verbose":"1"},)",
      R"("requestContext":{"accountId":"123456789012","apiId":"r3pmxmplak",)",
      R"("domainName":"r3pmxmplak.execute-api.us-east-2.amazonaws.com",)",
      R"("domainPrefix":"r3pmxmplak","http":{"method":")", method, R"(","path":")", path,
      R"(","protocol":"HTTP/1.1","sourceIp":"205.255.255.176",)",
      R"("userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36"},)",
      R"("requestId":"JKJaXmPLvHcESHA=","routeKey":"$default","stage":"$default",)",
      R"("time":"10/Mar/2020:05:16:23 +0000","timeEpoch":1583817383220},)",
      R"("isBase64Encoded":false})");
}

double ThreadCpuSeconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Microseconds of CPU per Router::Handle() on `event` (median of 5 rounds of `n`).
double RoutingMicros(const std::string& event_bytes, uint64_t n) {
  lmc::http::Router router;
  const auto reply = [](std::string_view body) {
    return [body](const lmc::http::RouteRequest&) -> absl::StatusOr<lmc::http::HttpResponse> {
      return lmc::http::HttpResponse::Json(200, std::string(body));
    };
  };
  // A table of the size a small service has; the request hits one of the deeper entries.
  router.Get("/health", reply("{}"))
      .Get("/items", reply("[]"))
      .Post("/items", reply("{}"))
      .Get("/items/{id}", reply(R"({"id":"1"})"))
      .Put("/items/{id}", reply("{}"))
      .Delete("/items/{id}", reply("{}"))
      .Get("/items/{id}/tags", reply("[]"))
      .Get("/users/{user}/orders/{order}", reply("{}"))
      .Get("/static/{path+}", reply("{}"))
      .Post("/orders", reply("{}"));

  const lmc::Clock& clock = lmc::Clock::Real();
  const lmc::LogSink sink(-1, lmc::LogFormat::kJson, lmc::LogLevel::kFatal, clock);
  lmc::LazyTempDir dir("/tmp");
  dir.Reset(std::nullopt);
  const lmc::FunctionInfo function{"bench", "$LATEST", 2048, "us-east-1", 1};
  const lmc::internal::InvocationFields fields{
      "req", "", "arn", "", "", "", std::nullopt, clock.Now() + std::chrono::minutes(1)};
  const lmc::Context context =
      lmc::internal::SurfaceAccess::MakeContext(fields, dir, sink, function, clock);
  lmc::PaddedBuffer buffer;
  buffer.Append(event_bytes.data(), event_bytes.size());
  simdjson::ondemand::parser parser;
  const lmc::Event event = lmc::internal::SurfaceAccess::MakeEvent(
      buffer.view(), buffer.capacity() + lmc::PaddedBuffer::kPadding, "application/json", &parser);

  std::vector<double> rounds;
  size_t sink_bytes = 0;
  for (int round = 0; round < 5; ++round) {
    const double start = ThreadCpuSeconds();
    for (uint64_t i = 0; i < n; ++i) {
      lmc::Result result = router.Handle(event, context);
      sink_bytes += result.ok() ? result.response().body().size() : 0;
    }
    rounds.push_back((ThreadCpuSeconds() - start) * 1e6 / static_cast<double>(n));
  }
  if (sink_bytes == 0) std::fprintf(stderr, "the router answered nothing\n");
  std::sort(rounds.begin(), rounds.end());
  return rounds[rounds.size() / 2];
}

// CPU microseconds of `binary`'s process per invocation of `handler` on `event` at N=1, or -1.
double RuntimeMicros(const std::string& binary, const std::string& handler,
                     const std::string& event, uint64_t warmup, uint64_t count) {
  EmulatorOptions emulator_options;
  emulator_options.keep_records = false;
  Emulator emulator(emulator_options);
  if (!emulator.Start().ok()) return -1;
  emulator.SetGenerator(
      [&event](uint64_t) {
        EventSpec e;
        e.body = event;
        return e;
      },
      warmup + count);
  Subprocess::Options spawn;
  spawn.argv = {binary};
  spawn.env = {absl::StrCat("AWS_LAMBDA_RUNTIME_API=", emulator.address()),
               absl::StrCat("_HANDLER=", handler),
               "AWS_LAMBDA_MAX_CONCURRENCY=1",
               "TMPDIR=/tmp",
               "AWS_LAMBDA_FUNCTION_NAME=bench",
               "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048"};
  spawn.max_capture_bytes = 1 << 20;
  auto child = Subprocess::Start(spawn);
  if (!child.ok()) return -1;
  const absl::Duration limit = absl::Minutes(5);
  double micros = -1;
  if (emulator.WaitFor([&](const auto& s) { return s.closed >= warmup; }, limit)) {
    const auto before = lmc::bench::ReadProcessStats((*child)->pid());
    if (emulator.WaitFor([&](const auto& s) { return s.closed >= warmup + count; }, limit)) {
      const auto after = lmc::bench::ReadProcessStats((*child)->pid());
      if (before.ok() && after.ok() && emulator.stats().responses >= warmup + count) {
        micros = ((after->user_s + after->system_s) - (before->user_s + before->system_s)) * 1e6 /
                 static_cast<double>(count);
      }
    }
  }
  (*child)->Signal(SIGTERM).IgnoreError();
  (*child)->WaitForExit(absl::Seconds(30));
  return micros;
}

}  // namespace

int main(int argc, char** argv) {
  std::string bootstrap = "build-release/runtime/bootstrap";
  std::string rest_api = "build-release/functions/rest_api/example-rest-api";
  bool quick = false;
  lmc::emulator::ArgReader args(argc, argv);
  while (!args.done() || args.failed()) {
    if (args.failed()) {
      std::fprintf(stderr, "%s\n", args.error().c_str());
      return 2;
    }
    if (args.Value("--bootstrap", &bootstrap) || args.Value("--rest-api", &rest_api)) continue;
    if (args.Switch("--quick")) {
      quick = true;
      continue;
    }
    std::fprintf(stderr, "usage: lmc-http-bench [--bootstrap PATH] [--rest-api PATH] [--quick]\n");
    return 2;
  }
  const uint64_t scale = quick ? 10 : 1;
  const std::string get_item = HttpApiEvent("GET", "/items/1");
  const double routing_us = RoutingMicros(get_item, 200000 / scale);
  const std::string small = R"({"order":"o-1001","items":[1,2,3],"note":"bench"})";
  const double echo_us = RuntimeMicros(bootstrap, "echo", small, 500, 10000 / scale);
  const double rest_us = RuntimeMicros(rest_api, "rest-api", get_item, 500, 10000 / scale);
  std::printf("%-52s %9s\n", "measure", "value");
  std::printf("%-52s %9.2f\n", "routing + typed parsing, 2.0 GET /items/{id} (us/req)", routing_us);
  std::printf("%-52s %9.1f\n", "runtime CPU, bootstrap echo N=1 (us/inv)", echo_us);
  std::printf("%-52s %9.1f\n", "runtime CPU, example-rest-api GET /items/{id} N=1", rest_us);
  if (echo_us > 0) {
    std::printf("%-52s %8.1f%%\n", "routing + parsing / echo invocation cost",
                100.0 * routing_us / echo_us);
    std::printf("%-52s %8.1f%%\n", "routing + parsing share of an HTTP invocation",
                100.0 * routing_us / (echo_us + routing_us));
  }
  if (echo_us > 0 && rest_us > 0) {
    std::printf("%-52s %9.1f\n", "cross-check: rest-api minus echo (us/inv)", rest_us - echo_us);
  }
  return echo_us > 0 && rest_us > 0 ? 0 : 1;
}
