// File: handlers/metrics/runtime_metrics.h
//
// WithRuntimeMetrics(): opt-in runtime metrics for any handler, built on the public API only
// (a wrapper around the Handler, no runtime internals). Each invocation writes one EMF line
// (handlers/metrics/metric_set.h) with:
//
//   Duration             Milliseconds  the handler's wall time (exceptions included)
//   Errors               Count         1 when the handler returned an Error or threw, else 0
//   ConcurrentExecutions Count         invocations of this handler in flight when it started,
//                                      itself included
//   ConcurrencyUtilization  Percent    ConcurrentExecutions / AWS_LAMBDA_MAX_CONCURRENCY: the
//                                      saturation signal Managed Instances scale on (100 means
//                                      every slot of the environment was busy)
//
// under the dimension FunctionName (plus the options' own dimensions, plus TenantId when
// `tenant_dimension` is set and the invocation has a non-empty tenant; CloudWatch rejects empty
// dimension values, so absent and empty tenants both report without it). Each tenant id is a
// separate CloudWatch metric: a cost that grows with the number of tenants, hence opt-in.
//
// Example:
//
//   lmc::HandlerRegistry handlers;
//   handlers.Register("orders", lmc::metrics::WithRuntimeMetrics(HandleOrder, {.name_space =
//                                                                 "Shop"}));
#pragma once

#include <string>
#include <vector>

#include "handlers/metrics/metric_set.h"
#include "lmc/handler.h"

namespace lmc::metrics {

// RuntimeMetricsOptions
struct RuntimeMetricsOptions {
  std::string name_space = "lmc";
  // Added to every line after FunctionName (e.g. {"Service", "checkout"}).
  std::vector<Dimension> dimensions;
  // Adds a TenantId dimension for invocations with a non-empty tenant id.
  bool tenant_dimension = false;
};

// Returns a handler that calls `handler` and writes one EMF line per invocation through the
// invocation's logger (see the file comment). Thread-safe like `handler`; the returned handler
// owns `handler` and an in-flight counter shared by its copies. Results and exceptions pass
// through unchanged. Invalid options (see MetricSet) make it write nothing.
Handler WithRuntimeMetrics(Handler handler, RuntimeMetricsOptions options = {});

}  // namespace lmc::metrics
