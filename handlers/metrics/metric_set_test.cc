#include "handlers/metrics/metric_set.h"

#include <chrono>
#include <limits>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

namespace lmc::metrics {
namespace {

using ::testing::HasSubstr;

const std::chrono::system_clock::time_point kTime(std::chrono::milliseconds(1'700'000'000'123));

TEST(MetricSet, DrainWritesTheEmfEnvelopeDimensionsAndValues) {
  MetricSet metrics("Shop", {{"Service", "checkout"}, {"Stage", "prod"}});
  ASSERT_TRUE(metrics.Put("Orders", 1, Unit::kCount).ok());
  ASSERT_TRUE(metrics.Put("Latency", 12.5, Unit::kMilliseconds).ok());
  ASSERT_TRUE(metrics.Put("Orders", 3, Unit::kCount).ok());
  const std::vector<std::string> lines = metrics.Drain(kTime);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0],
            R"({"_aws":{"Timestamp":1700000000123,"CloudWatchMetrics":[{"Namespace":"Shop",)"
            R"("Dimensions":[["Service","Stage"]],"Metrics":[{"Name":"Orders","Unit":"Count"},)"
            R"({"Name":"Latency","Unit":"Milliseconds"}]}]},"Service":"checkout","Stage":"prod",)"
            R"("Orders":[1,3],"Latency":12.5})");
  EXPECT_TRUE(metrics.empty());
  EXPECT_TRUE(metrics.Drain(kTime).empty());
}

TEST(MetricSet, NoDimensionsGiveOneEmptyDimensionSet) {
  MetricSet metrics("Shop");
  ASSERT_TRUE(metrics.Put("Orders", 2).ok());
  const std::vector<std::string> lines = metrics.Drain(kTime);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0],
              HasSubstr(R"("Dimensions":[[]],"Metrics":[{"Name":"Orders","Unit":"None"}])"));
  EXPECT_THAT(lines[0], HasSubstr(R"("Orders":2})"));
}

TEST(MetricSet, ValuesRoundTripExactly) {
  MetricSet metrics("Shop");
  const std::vector<double> values = {0.1, 1e-300, 123456789.125, -2.5, 1.0 / 3.0};
  for (double value : values) ASSERT_TRUE(metrics.Put("V", value).ok());
  const std::vector<std::string> lines = metrics.Drain(kTime);
  ASSERT_EQ(lines.size(), 1u);
  simdjson::dom::parser parser;
  simdjson::dom::array array;
  ASSERT_EQ(parser.parse(lines[0])["V"].get_array().get(array), simdjson::SUCCESS);
  std::vector<double> parsed;
  for (simdjson::dom::element element : array) parsed.push_back(element.get_double().value());
  EXPECT_EQ(parsed, values);
}

TEST(MetricSet, RejectsValuesAndNamesCloudWatchWouldRefuse) {
  MetricSet metrics("Shop", {{"Service", "checkout"}});
  EXPECT_FALSE(metrics.Put("Latency", std::numeric_limits<double>::quiet_NaN()).ok());
  EXPECT_FALSE(metrics.Put("Latency", std::numeric_limits<double>::infinity()).ok());
  EXPECT_FALSE(metrics.Put("", 1).ok());
  EXPECT_FALSE(metrics.Put("_aws", 1).ok());
  EXPECT_FALSE(metrics.Put("Service", 1).ok());
  ASSERT_TRUE(metrics.Put("Latency", 1, Unit::kMilliseconds).ok());
  EXPECT_EQ(metrics.Put("Latency", 1, Unit::kSeconds).code(), absl::StatusCode::kInvalidArgument);
  const std::vector<std::string> lines = metrics.Drain(kTime);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_THAT(lines[0], HasSubstr(R"("Latency":1})"));
}

TEST(MetricSet, InvalidNamespaceOrDimensionsRecordNothing) {
  std::vector<Dimension> too_many;
  for (size_t i = 0; i <= MetricSet::kMaxDimensions; ++i) {
    too_many.push_back({absl::StrCat("D", i), "v"});
  }
  std::vector<std::unique_ptr<MetricSet>> sets;
  sets.push_back(std::make_unique<MetricSet>(""));
  sets.push_back(std::make_unique<MetricSet>("Shop", std::vector<Dimension>{{"A", ""}}));
  sets.push_back(
      std::make_unique<MetricSet>("Shop", std::vector<Dimension>{{"A", "x"}, {"A", "y"}}));
  sets.push_back(std::make_unique<MetricSet>("Shop", too_many));
  for (const auto& metrics : sets) {
    EXPECT_FALSE(metrics->status().ok());
    EXPECT_EQ(metrics->Put("Orders", 1), metrics->status());
    EXPECT_TRUE(metrics->empty());
  }
}

TEST(MetricSet, SplitsLinesAtOneHundredValuesPerMetric) {
  MetricSet metrics("Shop");
  for (int i = 0; i < 250; ++i) ASSERT_TRUE(metrics.Put("Many", i).ok());
  ASSERT_TRUE(metrics.Put("One", 7).ok());
  const std::vector<std::string> lines = metrics.Drain(kTime);
  ASSERT_EQ(lines.size(), 3u);
  simdjson::dom::parser parser;
  std::vector<double> all;
  for (const std::string& line : lines) {
    simdjson::dom::element doc = parser.parse(line).value();
    simdjson::dom::array many = doc["Many"].get_array().value();
    EXPECT_LE(many.size(), MetricSet::kMaxValuesPerMetric);
    for (simdjson::dom::element element : many) all.push_back(element.get_double().value());
  }
  ASSERT_EQ(all.size(), 250u);
  for (int i = 0; i < 250; ++i) EXPECT_EQ(all[static_cast<size_t>(i)], i);
  // "One" appears once, in the first line only.
  EXPECT_THAT(lines[0], HasSubstr(R"("One":7)"));
  EXPECT_THAT(lines[1], ::testing::Not(HasSubstr("One")));
}

TEST(MetricSet, SplitsLinesAtOneHundredMetrics) {
  MetricSet metrics("Shop");
  for (int i = 0; i < 150; ++i) ASSERT_TRUE(metrics.Put(absl::StrCat("M", i), i).ok());
  const std::vector<std::string> lines = metrics.Drain(kTime);
  ASSERT_EQ(lines.size(), 2u);
  simdjson::dom::parser parser;
  size_t declared = 0;
  for (const std::string& line : lines) {
    simdjson::dom::element doc = parser.parse(line).value();
    simdjson::dom::array names =
        doc["_aws"]["CloudWatchMetrics"].at(0)["Metrics"].get_array().value();
    EXPECT_LE(names.size(), MetricSet::kMaxMetricsPerLine);
    declared += names.size();
  }
  EXPECT_EQ(declared, 150u);
}

TEST(MetricSet, ConcurrentPutsAreAllKept) {
  MetricSet metrics("Shop");
  constexpr int kThreads = 8;
  constexpr int kPuts = 500;
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&metrics] {
      for (int i = 0; i < kPuts; ++i) EXPECT_TRUE(metrics.Put("Hits", 1, Unit::kCount).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  simdjson::dom::parser parser;
  size_t values = 0;
  for (const std::string& line : metrics.Drain(kTime)) {
    values += parser.parse(line)["Hits"].get_array().value().size();
  }
  EXPECT_EQ(values, size_t{kThreads} * kPuts);
}

TEST(MetricSet, FlushWritesEmfLinesThroughTheInvocationLogger) {
  const Handler handler = [](const Event&, const Context& context) -> Result {
    MetricSet metrics("Shop", {{"Service", "checkout"}});
    metrics.Put("Orders", 1, Unit::kCount).IgnoreError();
    metrics.Flush(context.logger());
    metrics.Flush(context.logger());  // nothing left: writes nothing
    return Response::Json("{}");
  };
  lmc::testing::Invocation invocation;
  invocation.log_level = LogLevel::kError;  // metrics are written at any log level
  const lmc::testing::Outcome outcome = lmc::testing::Invoke(handler, invocation);
  const std::vector<std::string> lines = absl::StrSplit(outcome.logs, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 1u) << outcome.logs;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(lines[0]).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(doc["_aws"]["CloudWatchMetrics"].at(0)["Namespace"].get_string().value(), "Shop");
  EXPECT_EQ(doc["Orders"].get_double().value(), 1);
  EXPECT_EQ(doc["Service"].get_string().value(), "checkout");
}

}  // namespace
}  // namespace lmc::metrics
