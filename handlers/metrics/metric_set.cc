#include "handlers/metrics/metric_set.h"

#include <algorithm>
#include <cmath>
#include <set>
#include <string>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lmc/json.h"
#include "lmc/strings.h"

namespace lmc::metrics {
namespace {

absl::Status Validate(std::string_view name_space, const std::vector<Dimension>& dimensions) {
  if (name_space.empty()) return absl::InvalidArgumentError("the metric namespace is empty");
  if (dimensions.size() > MetricSet::kMaxDimensions) {
    return absl::InvalidArgumentError(absl::StrCat("CloudWatch allows at most ",
                                                   MetricSet::kMaxDimensions, " dimensions; got ",
                                                   dimensions.size()));
  }
  std::set<std::string_view> names;
  for (const Dimension& dimension : dimensions) {
    if (dimension.name.empty() || dimension.value.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("dimension \"", AsAbsl(dimension.name), "\" has an empty name or value"));
    }
    if (dimension.name == "_aws" || !names.insert(dimension.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("dimension name \"", AsAbsl(dimension.name), "\" is reserved or repeated"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::string_view UnitName(Unit unit) {
  switch (unit) {
    case Unit::kNone:
      return "None";
    case Unit::kCount:
      return "Count";
    case Unit::kPercent:
      return "Percent";
    case Unit::kSeconds:
      return "Seconds";
    case Unit::kMilliseconds:
      return "Milliseconds";
    case Unit::kMicroseconds:
      return "Microseconds";
    case Unit::kBytes:
      return "Bytes";
    case Unit::kKilobytes:
      return "Kilobytes";
    case Unit::kMegabytes:
      return "Megabytes";
    case Unit::kBytesPerSecond:
      return "Bytes/Second";
    case Unit::kCountPerSecond:
      return "Count/Second";
  }
  return "None";
}

MetricSet::MetricSet(std::string name_space, std::vector<Dimension> dimensions)
    : name_space_(std::move(name_space)),
      dimensions_(std::move(dimensions)),
      status_(Validate(name_space_, dimensions_)) {}

absl::Status MetricSet::Put(std::string_view name, double value, Unit unit) {
  if (!status_.ok()) return status_;
  if (!std::isfinite(value)) {
    return absl::InvalidArgumentError(
        absl::StrCat("metric \"", AsAbsl(name), "\": value is not a finite number"));
  }
  if (name.empty() || name == "_aws") {
    return absl::InvalidArgumentError(absl::StrCat("invalid metric name \"", AsAbsl(name), "\""));
  }
  for (const Dimension& dimension : dimensions_) {
    if (dimension.name == name) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric \"", AsAbsl(name), "\" has the name of a dimension"));
    }
  }
  MutexLock lock(&mu_);
  for (Metric& metric : metrics_) {
    if (metric.name != name) continue;
    if (metric.unit != unit) {
      return absl::InvalidArgumentError(
          absl::StrCat("metric \"", AsAbsl(name), "\" was recorded in ",
                       AsAbsl(UnitName(metric.unit)), ", not ", AsAbsl(UnitName(unit))));
    }
    metric.values.push_back(value);
    return absl::OkStatus();
  }
  metrics_.push_back(Metric{std::string(name), unit, {value}});
  return absl::OkStatus();
}

bool MetricSet::empty() const {
  MutexLock lock(&mu_);
  return metrics_.empty();
}

std::vector<std::string> MetricSet::Drain(std::chrono::system_clock::time_point time) {
  std::vector<Metric> metrics;
  {
    MutexLock lock(&mu_);
    metrics.swap(metrics_);
  }
  std::vector<std::string> lines;
  if (metrics.empty()) return lines;
  const int64_t timestamp_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(time.time_since_epoch()).count();
  size_t most_values = 0;
  for (const Metric& metric : metrics) most_values = std::max(most_values, metric.values.size());
  // Values [offset, offset + kMaxValuesPerMetric) of every metric that has them, in lines of at
  // most kMaxMetricsPerLine metrics.
  for (size_t offset = 0; offset < most_values; offset += kMaxValuesPerMetric) {
    std::vector<Metric> slice;
    for (const Metric& metric : metrics) {
      if (metric.values.size() <= offset) continue;
      const size_t end = std::min(metric.values.size(), offset + kMaxValuesPerMetric);
      slice.push_back(
          Metric{metric.name, metric.unit,
                 std::vector<double>(metric.values.begin() + static_cast<std::ptrdiff_t>(offset),
                                     metric.values.begin() + static_cast<std::ptrdiff_t>(end))});
    }
    for (size_t first = 0; first < slice.size(); first += kMaxMetricsPerLine) {
      std::string line;
      AppendLine(slice, first, std::min(slice.size(), first + kMaxMetricsPerLine), timestamp_ms,
                 line);
      lines.push_back(std::move(line));
    }
  }
  return lines;
}

void MetricSet::AppendLine(const std::vector<Metric>& metrics, size_t first, size_t last,
                           int64_t timestamp_ms, std::string& out) const {
  JsonWriter w(&out);
  w.BeginObject().Key("_aws").BeginObject();
  w.Key("Timestamp").Int(timestamp_ms);
  w.Key("CloudWatchMetrics").BeginArray().BeginObject();
  w.Key("Namespace").String(name_space_);
  w.Key("Dimensions").BeginArray().BeginArray();
  for (const Dimension& dimension : dimensions_) w.String(dimension.name);
  w.EndArray().EndArray();
  w.Key("Metrics").BeginArray();
  for (size_t i = first; i < last; ++i) {
    w.BeginObject()
        .Key("Name")
        .String(metrics[i].name)
        .Key("Unit")
        .String(UnitName(metrics[i].unit))
        .EndObject();
  }
  w.EndArray().EndObject().EndArray().EndObject();
  for (const Dimension& dimension : dimensions_) w.Key(dimension.name).String(dimension.value);
  for (size_t i = first; i < last; ++i) {
    const std::vector<double>& values = metrics[i].values;
    w.Key(metrics[i].name);
    // One value is written as a number, several as an array (both are EMF).
    if (values.size() == 1) {
      w.Double(values[0]);
      continue;
    }
    w.BeginArray();
    for (const double value : values) w.Double(value);
    w.EndArray();
  }
  w.EndObject();
}

void MetricSet::Flush(const Logger& logger) {
  if (empty()) return;
  for (const std::string& line : Drain(std::chrono::system_clock::now())) {
    logger.WriteRecord(line);
  }
}

}  // namespace lmc::metrics
