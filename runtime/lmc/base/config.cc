#include "lmc/base/config.h"

#include <unistd.h>

#include <charconv>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

extern char** environ;  // NOLINT: POSIX declares it nowhere else.

namespace lmc {
namespace {

const std::string* Find(const EnvMap& env, std::string_view name) {
  auto it = env.find(name);
  return it == env.end() ? nullptr : &it->second;
}

// Parses a whole decimal integer (surrounding spaces allowed). nullopt on anything else.
std::optional<long long> ParseInteger(std::string_view text) {
  text = StripAsciiWhitespace(text);
  long long value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// Accepts "host:port" with a non-empty host free of '/', spaces and '@', and a port in 1..65535.
// The value is glued into URLs, so anything that could change the URL's meaning is refused.
bool IsValidEndpoint(std::string_view endpoint) {
  const size_t colon = endpoint.rfind(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  for (char c : endpoint.substr(0, colon)) {
    if (c == '/' || c == '@' || c == '?' || c == '#' ||
        absl::ascii_isspace(static_cast<unsigned char>(c)) ||
        absl::ascii_iscntrl(static_cast<unsigned char>(c))) {
      return false;
    }
  }
  const auto port = ParseInteger(endpoint.substr(colon + 1));
  return port.has_value() && *port >= 1 && *port <= 65535 &&
         endpoint.substr(colon + 1).find(' ') == std::string_view::npos;
}

// Reads `name` as an integer in [min, max] into `out`; a set but unusable value leaves `out`
// as it is and adds a warning.
template <typename T>
void ReadBounded(const EnvMap& env, std::string_view name, long long min, long long max, T& out,
                 std::vector<std::string>& warnings) {
  const std::string* v = Find(env, name);
  if (v == nullptr || v->empty()) return;
  const auto n = ParseInteger(*v);
  if (n.has_value() && *n >= min && *n <= max) {
    out = static_cast<T>(*n);
    return;
  }
  warnings.push_back(absl::StrCat(AsAbsl(name), "=\"", *v, "\" is not an integer in ", min, "..",
                                  max, "; ignored"));
}

// AWS_LAMBDA_MAX_CONCURRENCY, then lmc's own cap on it (LMC_MAX_CONCURRENCY, or its deprecated
// first name LMC_POOL_SIZE), which may only lower it.
void ReadConcurrency(const EnvMap& env, Config& config) {
  if (const std::string* v = Find(env, "AWS_LAMBDA_MAX_CONCURRENCY"); v != nullptr) {
    const auto n = ParseInteger(*v);
    if (n.has_value() && *n >= 1 && *n <= kMaxConcurrencyLimit) {
      config.max_concurrency = static_cast<int>(*n);
    } else {
      config.warnings.push_back(absl::StrCat("AWS_LAMBDA_MAX_CONCURRENCY=\"", *v,
                                             "\" is not an integer in 1..", kMaxConcurrencyLimit,
                                             "; running one invocation at a time"));
    }
  }
  // LMC_POOL_SIZE was the first name of LMC_MAX_CONCURRENCY; it still works, with a warning.
  const char* cap_name = "LMC_MAX_CONCURRENCY";
  const std::string* cap = Find(env, cap_name);
  if (const std::string* old = Find(env, "LMC_POOL_SIZE"); old != nullptr && !old->empty()) {
    if (cap == nullptr || cap->empty()) {
      cap = old;
      cap_name = "LMC_POOL_SIZE";
      config.warnings.push_back("LMC_POOL_SIZE is deprecated; use LMC_MAX_CONCURRENCY");
    } else {
      config.warnings.push_back(
          "LMC_POOL_SIZE is deprecated and ignored: LMC_MAX_CONCURRENCY is set");
    }
  }
  if (cap == nullptr || cap->empty()) return;
  const auto n = ParseInteger(*cap);
  if (!n.has_value() || *n < 1) {
    config.warnings.push_back(absl::StrCat(
        cap_name, "=\"", *cap, "\" is not a positive integer; using ", config.max_concurrency));
  } else if (*n > config.max_concurrency) {
    config.warnings.push_back(absl::StrCat(
        cap_name, "=", *n, " exceeds AWS_LAMBDA_MAX_CONCURRENCY=", config.max_concurrency,
        "; using ", config.max_concurrency));
  } else {
    config.max_concurrency = static_cast<int>(*n);
  }
}

// What Lambda tells a function about itself (name, version, memory, region), and its task root
// and temp dir root.
void ReadFunctionFacts(const EnvMap& env, Config& config) {
  if (const std::string* v = Find(env, "_HANDLER")) config.handler = *v;
  if (const std::string* v = Find(env, "LAMBDA_TASK_ROOT"); v != nullptr && !v->empty()) {
    config.task_root = *v;
  }
  if (const std::string* v = Find(env, "AWS_LAMBDA_FUNCTION_NAME")) config.function_name = *v;
  if (const std::string* v = Find(env, "AWS_LAMBDA_FUNCTION_VERSION"); v && !v->empty()) {
    config.function_version = *v;
  }
  if (const std::string* v = Find(env, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"); v && !v->empty()) {
    const auto n = ParseInteger(*v);
    if (n.has_value() && *n > 0 && *n <= 1 << 20) {
      config.memory_mb = static_cast<int>(*n);
    } else {
      config.warnings.push_back(absl::StrCat("AWS_LAMBDA_FUNCTION_MEMORY_SIZE=\"", *v,
                                             "\" is not a size in MB; ignored"));
    }
  }
  if (const std::string* v = Find(env, "AWS_REGION"); v && !v->empty()) {
    config.region = *v;
  } else if (const std::string* d = Find(env, "AWS_DEFAULT_REGION"); d && !d->empty()) {
    config.region = *d;
  }
  if (const std::string* v = Find(env, "TMPDIR"); v != nullptr && !v->empty()) {
    std::filesystem::path p(*v);
    if (p.is_absolute()) {
      config.tmp_root = p;
    } else {
      config.warnings.push_back(
          absl::StrCat("TMPDIR=\"", *v, "\" is not an absolute path; using /tmp"));
    }
  }
}

}  // namespace

EnvMap EnvFromProcess() {
  EnvMap env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view kv(*entry);
    const size_t eq = kv.find('=');
    if (eq == std::string_view::npos) continue;
    env.emplace(std::string(kv.substr(0, eq)), std::string(kv.substr(eq + 1)));
  }
  return env;
}

LogSettings ParseLogSettings(const EnvMap& env, std::vector<std::string>* warnings) {
  LogSettings log;
  if (const std::string* v = Find(env, "AWS_LAMBDA_LOG_FORMAT"); v != nullptr && !v->empty()) {
    if (auto format = ParseLogFormat(*v)) {
      log.format = *format;
    } else if (warnings != nullptr) {
      warnings->push_back(
          absl::StrCat("AWS_LAMBDA_LOG_FORMAT=\"", *v, "\" is neither JSON nor Text; using JSON"));
    }
  }
  if (const std::string* v = Find(env, "AWS_LAMBDA_LOG_LEVEL"); v != nullptr && !v->empty()) {
    if (auto level = ParseLogLevel(*v)) {
      log.level = *level;
    } else if (warnings != nullptr) {
      warnings->push_back(absl::StrCat("AWS_LAMBDA_LOG_LEVEL=\"", *v,
                                       "\" is not one of TRACE, DEBUG, INFO, WARN, ERROR, "
                                       "FATAL; using INFO"));
    }
  }
  return log;
}

absl::StatusOr<Config> ParseConfig(const EnvMap& env) {
  Config config;
  const std::string* api = Find(env, "AWS_LAMBDA_RUNTIME_API");
  if (api == nullptr || api->empty()) {
    return absl::InvalidArgumentError(
        "AWS_LAMBDA_RUNTIME_API is not set: this program is a Lambda custom runtime and must be "
        "started by Lambda or a Runtime API emulator (e.g. tools/lmc-invoke)");
  }
  if (!IsValidEndpoint(*api)) {
    return absl::InvalidArgumentError(
        absl::StrCat("AWS_LAMBDA_RUNTIME_API must be host:port, got \"", *api, "\""));
  }
  config.runtime_api = *api;
  ReadConcurrency(env, config);
  constexpr long long kMaxGraceMs = 900'000;  // Lambda's longest timeout.
  ReadBounded(env, "LMC_OVERDUE_GRACE_MS", 0, kMaxGraceMs, config.overdue_grace, config.warnings);
  config.max_detached = config.max_concurrency;
  ReadBounded(env, "LMC_MAX_DETACHED", 0, kMaxConcurrencyLimit, config.max_detached,
              config.warnings);
  ReadBounded(env, "LMC_STUCK_GRACE_MS", 0, kMaxGraceMs, config.stuck_grace, config.warnings);
  const LogSettings log = ParseLogSettings(env, &config.warnings);
  config.log_format = log.format;
  config.log_level = log.level;
  ReadFunctionFacts(env, config);
  return config;
}

}  // namespace lmc
