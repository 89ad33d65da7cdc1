// File: handlers/metrics/metric_set.h
//
// MetricSet: metrics a handler records, written to CloudWatch as Embedded Metric Format (EMF):
// one JSON log line per flush whose `_aws` envelope tells CloudWatch Logs which fields are
// metrics, so no PutMetricData call (and no network or SDK) is needed:
//
//   {"_aws":{"Timestamp":1700000000000,"CloudWatchMetrics":[{"Namespace":"Shop",
//     "Dimensions":[["Service"]],"Metrics":[{"Name":"Orders","Unit":"Count"}]}]},
//    "Service":"checkout","Orders":[1,2]}
//
// Lines go through the invocation's Logger (Logger::WriteRecord), so they never interleave with
// other log lines, and are written whatever the log level (they are metrics, not logs). Lambda's
// own application log-level filter counts a line without "level" as INFO: with
// ApplicationLogLevel WARN or above Lambda drops EMF lines, as it does for every runtime.
//
// Example:
//
//   lmc::Result Handle(const lmc::Event& event, const lmc::Context& context) {
//     lmc::metrics::MetricSet metrics("Shop", {{"Service", "checkout"}});
//     metrics.Put("Orders", 1, lmc::metrics::Unit::kCount).IgnoreError();
//     metrics.Put("BasketValue", 42.5, lmc::metrics::Unit::kNone).IgnoreError();
//     metrics.Flush(context.logger());   // one EMF line
//     ...
//   }
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "lmc/logger.h"
#include "lmc/mutex.h"

namespace lmc::metrics {

// Unit
//
// The CloudWatch units EMF accepts (written as their CloudWatch names, e.g. "Milliseconds").
enum class Unit {
  kNone,
  kCount,
  kPercent,
  kSeconds,
  kMilliseconds,
  kMicroseconds,
  kBytes,
  kKilobytes,
  kMegabytes,
  kBytesPerSecond,
  kCountPerSecond,
};

// Returns the CloudWatch name of `unit` ("Count", "Milliseconds", ...).
std::string_view UnitName(Unit unit);

// Dimension
//
// A name/value pair every metric of a set is reported under (CloudWatch aggregates by it).
struct Dimension {
  std::string name;
  std::string value;
};

// MetricSet
//
// Values recorded under one namespace and one set of dimensions, rendered as EMF. Thread-safe:
// Put() and Flush() may be called from any thread (a handler may share one set with worker
// threads, or keep one for the process and flush it from time to time). Owns its data.
//
// EMF limits are respected by splitting, never by dropping: at most kMaxMetricsPerLine metric
// names and kMaxValuesPerMetric values per metric go in one line; the rest go in further lines
// of the same flush.
class MetricSet {
 public:
  static constexpr size_t kMaxMetricsPerLine = 100;
  static constexpr size_t kMaxValuesPerMetric = 100;
  static constexpr size_t kMaxDimensions = 30;

  // `name_space` must be non-empty; dimension names must be distinct and non-empty, values
  // non-empty, and there may be at most kMaxDimensions (CloudWatch's rules). A set that breaks
  // them records nothing: every Put() returns the error that status() returns.
  explicit MetricSet(std::string name_space, std::vector<Dimension> dimensions = {});

  MetricSet(const MetricSet&) = delete;
  MetricSet& operator=(const MetricSet&) = delete;

  // OK, or why the namespace or dimensions given to the constructor are invalid.
  const absl::Status& status() const { return status_; }

  // Records `value` for metric `name`. InvalidArgument (and nothing recorded) when `value` is
  // not finite, `name` is empty, names a dimension or "_aws", or was recorded before with
  // another unit. Repeated values of one name are kept in order (CloudWatch receives each).
  absl::Status Put(std::string_view name, double value, Unit unit = Unit::kNone);

  // True when nothing has been recorded since the last flush.
  bool empty() const;

  // Renders everything recorded so far as EMF lines (no trailing newline) stamped with `time`,
  // and clears the set. Empty when nothing was recorded. Metrics appear in first-Put order.
  std::vector<std::string> Drain(std::chrono::system_clock::time_point time);

  // Drain(now), each line written with logger.WriteRecord(). Does nothing when empty.
  void Flush(const Logger& logger);

 private:
  struct Metric {
    std::string name;
    Unit unit;
    std::vector<double> values;
  };

  // Appends one EMF line holding metrics[first, last) and all their values.
  void AppendLine(const std::vector<Metric>& metrics, size_t first, size_t last,
                  int64_t timestamp_ms, std::string& out) const;

  const std::string name_space_;
  const std::vector<Dimension> dimensions_;
  const absl::Status status_;

  mutable Mutex mu_;
  // In first-Put order (EMF keeps the order the metrics are declared in).
  std::vector<Metric> metrics_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmc::metrics
