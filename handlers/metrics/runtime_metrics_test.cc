#include "handlers/metrics/runtime_metrics.h"

#include <latch>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

namespace lmc::metrics {
namespace {

using ::lmc::testing::Invocation;
using ::lmc::testing::Invoke;
using ::lmc::testing::Outcome;

// The one EMF line among the invocation's log lines (fails the test unless exactly one).
std::string EmfLine(const Outcome& outcome) {
  std::vector<std::string> emf;
  for (const std::string& line :
       std::vector<std::string>(absl::StrSplit(outcome.logs, '\n', absl::SkipEmpty()))) {
    if (line.find(R"("_aws")") != std::string::npos) emf.push_back(line);
  }
  EXPECT_EQ(emf.size(), 1u) << outcome.logs;
  return emf.empty() ? "{}" : emf[0];
}

std::vector<std::string> DimensionNames(simdjson::dom::element doc) {
  std::vector<std::string> names;
  const simdjson::dom::array set =
      doc["_aws"]["CloudWatchMetrics"].at(0)["Dimensions"].at(0).get_array().value();
  for (simdjson::dom::element name : set) {
    names.emplace_back(name.get_string().value());
  }
  return names;
}

TEST(WithRuntimeMetrics, WritesDurationErrorsAndConcurrencyPerInvocation) {
  const Handler handler = WithRuntimeMetrics(
      [](const Event&, const Context& context) -> Result {
        context.logger().Info("working");
        return Response::Json(R"({"ok":true})");
      },
      {.name_space = "Shop", .dimensions = {{"Service", "checkout"}}});
  Invocation invocation;
  invocation.function.name = "orders";
  invocation.function.max_concurrency = 4;
  const Outcome outcome = Invoke(handler, invocation);
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.body, R"({"ok":true})");
  simdjson::dom::parser parser;
  const simdjson::dom::element doc = parser.parse(EmfLine(outcome)).value();
  EXPECT_EQ(doc["_aws"]["CloudWatchMetrics"].at(0)["Namespace"].get_string().value(), "Shop");
  EXPECT_EQ(DimensionNames(doc), (std::vector<std::string>{"FunctionName", "Service"}));
  EXPECT_EQ(doc["FunctionName"].get_string().value(), "orders");
  EXPECT_GE(doc["Duration"].get_double().value(), 0);
  EXPECT_EQ(doc["Errors"].get_double().value(), 0);
  EXPECT_EQ(doc["ConcurrentExecutions"].get_double().value(), 1);
  EXPECT_EQ(doc["ConcurrencyUtilization"].get_double().value(), 25);
}

TEST(WithRuntimeMetrics, CountsReturnedErrorsAndThrownExceptions) {
  const Handler returns_error = WithRuntimeMetrics(
      [](const Event&, const Context&) -> Result { return Error("Boom", "no"); });
  const Outcome returned = Invoke(returns_error);
  ASSERT_FALSE(returned.result.ok());
  EXPECT_EQ(returned.result.error().type(), "Boom");
  simdjson::dom::parser parser;
  EXPECT_EQ(parser.parse(EmfLine(returned))["Errors"].get_double().value(), 1);

  const Handler throws = WithRuntimeMetrics(
      [](const Event&, const Context&) -> Result { throw std::runtime_error("thrown"); });
  const Outcome thrown = Invoke(throws);
  ASSERT_FALSE(thrown.result.ok());
  EXPECT_EQ(thrown.result.error().message(), "thrown");  // the exception still reaches the runtime
  EXPECT_EQ(parser.parse(EmfLine(thrown))["Errors"].get_double().value(), 1);
}

TEST(WithRuntimeMetrics, TenantDimensionOnlyWhenAskedAndTheTenantIsNonEmpty) {
  const Handler ok = [](const Event&, const Context&) -> Result { return Response::Json("1"); };
  const Handler with_tenant = WithRuntimeMetrics(ok, {.tenant_dimension = true});
  const Handler without_tenant = WithRuntimeMetrics(ok);
  simdjson::dom::parser parser;

  Invocation tenant;
  tenant.tenant_id = "acme";
  simdjson::dom::element doc = parser.parse(EmfLine(Invoke(with_tenant, tenant))).value();
  EXPECT_EQ(DimensionNames(doc), (std::vector<std::string>{"FunctionName", "TenantId"}));
  EXPECT_EQ(doc["TenantId"].get_string().value(), "acme");

  doc = parser.parse(EmfLine(Invoke(without_tenant, tenant))).value();
  EXPECT_EQ(DimensionNames(doc), (std::vector<std::string>{"FunctionName"}));

  Invocation empty;
  empty.tenant_id = "";
  doc = parser.parse(EmfLine(Invoke(with_tenant, empty))).value();
  EXPECT_EQ(DimensionNames(doc), (std::vector<std::string>{"FunctionName"}));
  doc = parser.parse(EmfLine(Invoke(with_tenant, Invocation{}))).value();
  EXPECT_EQ(DimensionNames(doc), (std::vector<std::string>{"FunctionName"}));
}

// Four invocations that are all inside the handler at once report 1, 2, 3 and 4 in flight.
TEST(WithRuntimeMetrics, ConcurrentExecutionsCountsInvocationsInFlight) {
  constexpr int kInvocations = 4;
  std::latch all_inside(kInvocations);
  const Handler handler = WithRuntimeMetrics([&all_inside](const Event&, const Context&) -> Result {
    all_inside.arrive_and_wait();
    return Response::Json("{}");
  });
  std::vector<std::string> lines(kInvocations);
  std::vector<std::thread> threads;
  threads.reserve(kInvocations);
  for (int i = 0; i < kInvocations; ++i) {
    threads.emplace_back([&, i] {
      Invocation invocation;
      invocation.function.max_concurrency = kInvocations;
      lines[static_cast<size_t>(i)] = EmfLine(Invoke(handler, invocation));
    });
  }
  for (std::thread& thread : threads) thread.join();
  simdjson::dom::parser parser;
  std::vector<double> concurrent;
  std::vector<double> utilization;
  for (const std::string& line : lines) {
    const simdjson::dom::element doc = parser.parse(line).value();
    concurrent.push_back(doc["ConcurrentExecutions"].get_double().value());
    utilization.push_back(doc["ConcurrencyUtilization"].get_double().value());
  }
  EXPECT_THAT(concurrent, ::testing::UnorderedElementsAre(1, 2, 3, 4));
  EXPECT_THAT(utilization, ::testing::UnorderedElementsAre(25, 50, 75, 100));
}

}  // namespace
}  // namespace lmc::metrics
