// File: tools/emulator/testdata/fake_bootstrap.cc
//
// A tiny stand-in for the lmc `bootstrap`, used to test `lmc-invoke` and `lmc-emulator` before
// (and independently of) the real runtime. It speaks the Runtime API like a minimal
// multi-concurrent runtime: AWS_LAMBDA_MAX_CONCURRENCY worker threads, each with its own
// keep-alive connection, looping GET /next -> handle -> POST /response or /error, echoing
// Lambda-Runtime-Invocation-Id. A worker stops when /next fails (e.g. the 500 of a shutdown);
// the process exits 0 when every worker has stopped, or at once on SIGTERM.
//
// _HANDLER selects the behaviour:
//   echo            respond with the event body
//   sleep           sleep for the event's "sleep_ms" (an integer field), respond {"slept_ms":N}
//   barrier         wait until AWS_LAMBDA_MAX_CONCURRENCY handlers run at once, then respond;
//                   proves the runtime reached its concurrency (hangs otherwise)
//   error           POST /error with Lambda-Runtime-Function-Error-Type: Function.TestError
//   double          answer every event twice (a runtime bug the emulator must count)
//   crash           exit(3) on the first event without answering
//   hang            never answer (the handler blocks)
//   init_error      POST /runtime/init/error, then exit(1)
//   env             respond with selected environment variables as JSON
//   ignore_sigterm  like echo, but SIGTERM is ignored (the supervisor must SIGKILL)
//
// Example:
//
//   AWS_LAMBDA_RUNTIME_API=127.0.0.1:9001 _HANDLER=echo AWS_LAMBDA_MAX_CONCURRENCY=4 fake_bootstrap
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "lmc/json.h"
#include "lmc/mutex.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace {

using lmc::emulator::internal::RawHttpClient;
using lmc::emulator::internal::RawHttpResponse;
using Fields = std::vector<std::pair<std::string, std::string>>;

constexpr char kNext[] = "/2018-06-01/runtime/invocation/next";

// Configuration read once in main() before the workers start; immutable afterwards.
struct Config {
  int port = 0;
  std::string handler;
  int concurrency = 1;
};

// The "barrier" handler's rendezvous: every worker waits until `parties` have arrived.
class Barrier {
 public:
  explicit Barrier(int parties) : parties_(parties) {}
  void ArriveAndWait() {
    lmc::MutexLock lock(&mu_);
    ++arrived_;
    auto all_here = [this] {
      mu_.AssertReaderHeld();
      return arrived_ >= parties_;
    };
    mu_.AwaitWithTimeout(absl::Condition(&all_here), absl::InfiniteDuration());
  }

 private:
  lmc::Mutex mu_;
  const int parties_;
  int arrived_ ABSL_GUARDED_BY(mu_) = 0;
};

std::string Getenv(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

// Extracts the integer after `"key":` in a flat JSON object; 0 when absent.
long IntField(const std::string& json, const std::string& key) {
  const size_t at = json.find("\"" + key + "\":");
  if (at == std::string::npos) return 0;
  return std::strtol(json.c_str() + at + key.size() + 3, nullptr, 10);
}

std::string EnvJson() {
  std::string out;
  lmc::JsonWriter w(&out);
  w.BeginObject();
  for (const char* name : {"_HANDLER", "AWS_LAMBDA_MAX_CONCURRENCY", "AWS_LAMBDA_FUNCTION_NAME",
                           "LMC_EXTRA", "HOME"}) {
    w.Key(name);
    const char* value = std::getenv(name);
    if (value == nullptr) {
      w.Null();
    } else {
      w.String(value);
    }
  }
  w.EndObject();
  return out;
}

void Worker(const Config& config, Barrier& barrier) {
  RawHttpClient client;
  // No I/O timeout: /next long-polls for as long as there is no event.
  if (!client.Connect(config.port, absl::InfiniteDuration()).ok()) return;
  for (;;) {
    const absl::StatusOr<RawHttpResponse> next = client.Get(kNext);
    if (!next.ok() || next->status != 200) return;
    const std::string* id = next->FindHeader("lambda-runtime-aws-request-id");
    if (id == nullptr) return;
    Fields headers = {{"Content-Type", "application/json"}};
    if (const std::string* nonce = next->FindHeader("lambda-runtime-invocation-id")) {
      headers.emplace_back("Lambda-Runtime-Invocation-Id", *nonce);
    }
    const std::string base = "/2018-06-01/runtime/invocation/" + *id;
    std::string path = base + "/response";
    std::string body = next->body;
    const std::string& handler = config.handler;
    if (handler == "sleep") {
      const long ms = IntField(next->body, "sleep_ms");
      std::this_thread::sleep_for(std::chrono::milliseconds(ms));  // simulated handler work
      body = "{\"slept_ms\":" + std::to_string(ms) + "}";
    } else if (handler == "barrier") {
      barrier.ArriveAndWait();
    } else if (handler == "error") {
      path = base + "/error";
      headers.emplace_back("Lambda-Runtime-Function-Error-Type", "Function.TestError");
      body = R"({"errorMessage":"requested failure","errorType":"TestError","stackTrace":[]})";
    } else if (handler == "crash") {
      std::_Exit(3);
    } else if (handler == "hang") {
      for (;;) pause();
    } else if (handler == "env") {
      body = EnvJson();
    }
    if (!client.Post(path, body, headers).ok()) return;
    if (handler == "double" && !client.Post(path, body, headers).ok()) return;
  }
}

}  // namespace

int main() {
  Config config;
  const std::string api = Getenv("AWS_LAMBDA_RUNTIME_API");
  const size_t colon = api.rfind(':');
  if (colon == std::string::npos) {
    std::fprintf(stderr, "fake_bootstrap: AWS_LAMBDA_RUNTIME_API is not host:port\n");
    return 2;
  }
  config.port = std::atoi(api.c_str() + colon + 1);
  config.handler = Getenv("_HANDLER");
  config.concurrency = std::max(1, std::atoi(Getenv("AWS_LAMBDA_MAX_CONCURRENCY").c_str()));
  if (config.handler == "ignore_sigterm") {
    signal(SIGTERM, SIG_IGN);
  } else {
    // Exit 0 on SIGTERM, as a well-behaved runtime does after draining.
    signal(SIGTERM, [](int) { std::_Exit(0); });
  }
  std::printf("fake_bootstrap: handler=%s concurrency=%d\n", config.handler.c_str(),
              config.concurrency);
  std::fflush(stdout);
  if (config.handler == "init_error") {
    RawHttpClient client;
    if (client.Connect(config.port).ok()) {
      client
          .Post("/2018-06-01/runtime/init/error",
                R"({"errorMessage":"cannot initialise","errorType":"InitFailure"})",
                {{"Lambda-Runtime-Function-Error-Type", "Runtime.InitFailure"}})
          .IgnoreError();
    }
    std::fprintf(stderr, "fake_bootstrap: init failed\n");
    return 1;
  }
  Barrier barrier(config.concurrency);
  std::vector<std::thread> workers;
  for (int i = 0; i < config.concurrency; ++i) {
    workers.emplace_back([&config, &barrier] { Worker(config, barrier); });
  }
  for (std::thread& t : workers) t.join();
  if (config.handler == "ignore_sigterm") {
    // A runtime that refuses to die: it also outlives the API shutting down, so only SIGKILL
    // ends it (otherwise its exit would race the supervisor's SIGKILL).
    for (;;) ::pause();
  }
  return 0;
}
