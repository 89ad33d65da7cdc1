#include "lmc/testing/log_capture.h"

#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc::testing {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(LogCapture, KeepsEachLineAsTheRuntimeWritesIt) {
  const LogCapture capture;
  capture.logger().Info("model loaded");
  capture.logger().WriteRecord(R"({"_aws":{}})");
  const std::string lines = capture.Lines();
  const std::vector<std::string> split = absl::StrSplit(lines, '\n', absl::SkipEmpty());
  ASSERT_EQ(split.size(), 2u) << lines;
  EXPECT_THAT(split[0], HasSubstr(R"("level":"INFO")"));
  EXPECT_THAT(split[0], HasSubstr(R"("message":"model loaded")"));
  EXPECT_EQ(split[1], R"({"_aws":{}})");
}

TEST(LogCapture, DropsRecordsBelowItsLevel) {
  const LogCapture capture(LogLevel::kWarn);
  capture.logger().Info("quiet");
  capture.logger().Warn("loud");
  EXPECT_THAT(capture.Lines(), Not(HasSubstr("quiet")));
  EXPECT_THAT(capture.Lines(), HasSubstr("loud"));
}

TEST(LogCapture, LinesFromManyThreadsNeverInterleave) {
  const LogCapture capture;
  constexpr int kThreads = 8;
  constexpr int kLines = 200;
  const std::string payload(3000, 'x');  // Longer than a pipe's atomic write.
  std::vector<std::thread> threads;
  threads.reserve(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kLines; ++i) capture.logger().Info(absl::StrCat(t, ":", payload));
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::vector<std::string> split = absl::StrSplit(capture.Lines(), '\n', absl::SkipEmpty());
  ASSERT_EQ(split.size(), static_cast<size_t>(kThreads * kLines));
  for (const std::string& line : split) {
    EXPECT_EQ(line.front(), '{');
    EXPECT_EQ(line.back(), '}');
    EXPECT_THAT(line, HasSubstr(payload));
  }
}

}  // namespace
}  // namespace lmc::testing
