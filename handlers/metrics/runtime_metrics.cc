#include "handlers/metrics/runtime_metrics.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace lmc::metrics {
namespace {

// What every copy of one wrapped handler shares.
struct Shared {
  Handler handler;
  RuntimeMetricsOptions options;
  // Invocations of `handler` in flight. Lock-free: it is touched twice per invocation.
  std::atomic<int> in_flight{0};
};

void Report(const Shared& shared, const Context& context, std::chrono::nanoseconds elapsed,
            bool failed, int concurrent) {
  std::vector<Dimension> dimensions;
  dimensions.reserve(shared.options.dimensions.size() + 2);
  // CloudWatch rejects empty dimension values; a function always has a name on Lambda.
  const std::string& function_name = context.function().name;
  dimensions.push_back({"FunctionName", function_name.empty() ? "unknown" : function_name});
  dimensions.insert(dimensions.end(), shared.options.dimensions.begin(),
                    shared.options.dimensions.end());
  const std::optional<std::string_view> tenant = context.tenant_id();
  if (shared.options.tenant_dimension && tenant.has_value() && !tenant->empty()) {
    dimensions.push_back({"TenantId", std::string(*tenant)});
  }
  MetricSet metrics(shared.options.name_space, std::move(dimensions));
  const double max_concurrency = std::max(1, context.function().max_concurrency);
  // The Put()s fail only for invalid options, which MetricSet reports in every call alike.
  metrics
      .Put("Duration", std::chrono::duration<double, std::milli>(elapsed).count(),
           Unit::kMilliseconds)
      .IgnoreError();
  metrics.Put("Errors", failed ? 1 : 0, Unit::kCount).IgnoreError();
  metrics.Put("ConcurrentExecutions", concurrent, Unit::kCount).IgnoreError();
  metrics.Put("ConcurrencyUtilization", 100.0 * concurrent / max_concurrency, Unit::kPercent)
      .IgnoreError();
  metrics.Flush(context.logger());
}

}  // namespace

Handler WithRuntimeMetrics(Handler handler, RuntimeMetricsOptions options) {
  auto shared = std::make_shared<Shared>();
  shared->handler = std::move(handler);
  shared->options = std::move(options);
  return [shared](const Event& event, const Context& context) -> Result {
    const int concurrent = shared->in_flight.fetch_add(1, std::memory_order_relaxed) + 1;
    const auto start = std::chrono::steady_clock::now();
    const auto finish = [&](bool failed) {
      shared->in_flight.fetch_sub(1, std::memory_order_relaxed);
      Report(*shared, context, std::chrono::steady_clock::now() - start, failed, concurrent);
    };
    try {
      Result result = shared->handler(event, context);
      finish(!result.ok());
      return result;
    } catch (...) {
      finish(true);
      throw;  // the runtime reports it exactly as it would without the wrapper
    }
  };
}

}  // namespace lmc::metrics
