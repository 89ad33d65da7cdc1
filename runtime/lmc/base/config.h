// File: lmc/base/config.h
//
// The runtime's configuration, read from environment variables through an injectable map so
// that tests never touch the real environment. Unusable values of optional settings fall back
// to their defaults and leave a warning in Config::warnings (logged once the logger exists);
// only a missing AWS_LAMBDA_RUNTIME_API is an error.
//
//   Variable                         Field               Default / rule
//   AWS_LAMBDA_RUNTIME_API           runtime_api         required, "host:port"
//   AWS_LAMBDA_MAX_CONCURRENCY       max_concurrency     1; 1..1600, otherwise 1 plus a warning
//   LMC_MAX_CONCURRENCY              max_concurrency     lowers N below Lambda's value (1..N);
//                                                        LMC_POOL_SIZE is its deprecated alias
//   LMC_OVERDUE_GRACE_MS             overdue_grace       1000; 0..900000 (see LoopSupervisor)
//   LMC_MAX_DETACHED                 max_detached        max_concurrency; 0..1600
//   LMC_STUCK_GRACE_MS               stuck_grace         30000; 0..900000
//   _HANDLER                         handler             ""
//   LAMBDA_TASK_ROOT                 task_root           "/var/task"
//   AWS_LAMBDA_LOG_FORMAT            log_format          JSON; "JSON" or "Text"
//   AWS_LAMBDA_LOG_LEVEL             log_level           INFO; TRACE..FATAL
//   AWS_LAMBDA_FUNCTION_NAME         function_name       ""
//   AWS_LAMBDA_FUNCTION_VERSION      function_version    "$LATEST"
//   AWS_LAMBDA_FUNCTION_MEMORY_SIZE  memory_mb           0 (unknown)
//   AWS_REGION / AWS_DEFAULT_REGION  region              ""
//   TMPDIR                           tmp_root            "/tmp"; must be an absolute path
//
// Example:
//
//   absl::StatusOr<lmc::Config> config = lmc::ParseConfig(lmc::EnvFromProcess());
//   if (!config.ok()) { ... }
//   for (const std::string& w : config->warnings) logger.Warn(w);
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "lmc/base/log_sink.h"

namespace lmc {

// EnvMap
//
// Environment variables by name. std::less<> allows lookups by std::string_view.
using EnvMap = std::map<std::string, std::string, std::less<>>;

// Returns a copy of the process environment. Call it before starting threads that may setenv().
EnvMap EnvFromProcess();

// The largest AWS_LAMBDA_MAX_CONCURRENCY Lambda accepts (PerExecutionEnvironmentMaxConcurrency).
inline constexpr int kMaxConcurrencyLimit = 1600;

// LogSettings
//
// AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL.
struct LogSettings {
  LogFormat format = LogFormat::kJson;
  LogLevel level = LogLevel::kInfo;
};

// Reads the two log variables (the one place they are parsed): unusable values keep the
// defaults and, when `warnings` is not null, add a line to it. ParseConfig() calls it; Run()
// calls it alone to log a configuration error in the format asked for.
LogSettings ParseLogSettings(const EnvMap& env, std::vector<std::string>* warnings);

// Config
//
// A plain value; copy freely.
struct Config {
  std::string runtime_api;
  // N: the invocations this process serves at once (one poll loop, thread and connection each).
  // AWS_LAMBDA_MAX_CONCURRENCY, lowered by LMC_MAX_CONCURRENCY: a loop beyond Lambda's value
  // could never be given an event.
  int max_concurrency = 1;
  // Capacity under hung handlers (lmc/dispatch/loop_supervisor.h): how long past its deadline an
  // invocation may hold its loop before a replacement loop polls; how many such detached
  // invocations may run at once; how long all N loops may be held by overdue invocations
  // before the process exits so Lambda replaces it.
  std::chrono::milliseconds overdue_grace{1000};
  int max_detached = 1;
  std::chrono::milliseconds stuck_grace{30000};
  std::string handler;
  std::string task_root = "/var/task";
  LogFormat log_format = LogFormat::kJson;
  LogLevel log_level = LogLevel::kInfo;
  std::string function_name;
  std::string function_version = "$LATEST";
  int memory_mb = 0;
  std::string region;
  std::filesystem::path tmp_root = "/tmp";

  // Human-readable notes about values that were ignored, one per line, for a WARN log record.
  std::vector<std::string> warnings;
};

// ParseConfig()
//
// Reads the variables in the table above from `env`. Returns InvalidArgument when
// AWS_LAMBDA_RUNTIME_API is missing or malformed; every other problem is a warning.
absl::StatusOr<Config> ParseConfig(const EnvMap& env);

}  // namespace lmc
