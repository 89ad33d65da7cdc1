// Fuzzes event parsing as handlers do it (Event::Json() on the runtime's padded buffer), through
// the diagnostic handlers that read fields from events, and the client-context re-serialisation
// of the context handler. Whatever the bytes: no crash, no leak, and a well-formed Result.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>

#include "handlers/diagnostic/diagnostic_handlers.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  lmc::testing::Invocation invocation;
  invocation.event.assign(reinterpret_cast<const char*>(data), size);
  invocation.log_level = lmc::LogLevel::kFatal;
  // Each input creates and removes three temp dirs: on tmpfs when there is one, for speed.
  static const bool kHaveShm = std::filesystem::is_directory("/dev/shm");
  if (kHaveShm) invocation.tmp_root = "/dev/shm";

  const lmc::testing::Outcome failed = lmc::testing::Invoke(lmc::diagnostic::Fail, invocation);
  if (failed.result.ok()) __builtin_trap();  // Fail always fails (InvalidEvent or as asked).

  const lmc::testing::Outcome echoed = lmc::testing::Invoke(lmc::diagnostic::Echo, invocation);
  if (!echoed.result.ok() || echoed.body != invocation.event) __builtin_trap();

  // The event bytes as the client context: the context handler must still return valid JSON.
  invocation.client_context = invocation.event;
  const lmc::testing::Outcome context =
      lmc::testing::Invoke(lmc::diagnostic::ContextInfo, invocation);
  simdjson::dom::parser parser;
  if (!context.result.ok() || parser.parse(context.body).error() != simdjson::SUCCESS) {
    __builtin_trap();
  }
  return 0;
}
