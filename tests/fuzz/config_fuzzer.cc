// Fuzzes configuration parsing: the input is read as "NAME=value" lines forming the environment.
// Whatever the values, ParseConfig() either refuses (only for the Runtime API endpoint) or
// returns a configuration inside its documented bounds.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lmc/base/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  lmc::EnvMap env;
  size_t start = 0;
  while (start < input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    const std::string_view line = input.substr(start, end - start);
    const size_t eq = line.find('=');
    if (eq != std::string_view::npos) {
      env[std::string(line.substr(0, eq))] = std::string(line.substr(eq + 1));
    }
    start = end + 1;
  }
  const absl::StatusOr<lmc::Config> config = lmc::ParseConfig(env);
  if (!config.ok()) return 0;
  if (config->max_concurrency < 1 || config->max_concurrency > lmc::kMaxConcurrencyLimit) {
    __builtin_trap();
  }
  if (!config->tmp_root.is_absolute()) __builtin_trap();
  if (config->runtime_api.empty() || config->runtime_api.find('/') != std::string::npos) {
    __builtin_trap();
  }
  if (config->memory_mb < 0) __builtin_trap();
  return 0;
}
