// Logs: one JSON object per line, intact under concurrency; Text mode; level filtering; no
// payloads above DEBUG.
#include <map>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// True for an RFC 3339 UTC timestamp with milliseconds: "2026-11-23T11:17:00.123Z".
// (No std::regex: GCC 12 reports false -Wmaybe-uninitialized inside <regex> under ASan.)
bool IsTimestamp(std::string_view t) {
  constexpr std::string_view kShape = "dddd-dd-ddTdd:dd:dd.dddZ";
  if (t.size() != kShape.size()) return false;
  for (size_t i = 0; i < t.size(); ++i) {
    if (kShape[i] == 'd' ? (t[i] < '0' || t[i] > '9') : t[i] != kShape[i]) return false;
  }
  return true;
}

TEST_F(BootstrapTest, LogLinesStayIntactUnderConcurrency) {
  StartEmulator();
  constexpr int kEvents = 16;
  constexpr int kLines = 200;
  constexpr int kSize = 5000;  // Longer than PIPE_BUF: a torn write would show.
  const std::vector<std::string> ids =
      EnqueueMany(absl::StrCat("{\"lines\":", kLines, ",\"size\":", kSize, "}"), kEvents);
  StartBootstrap("log", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  ASSERT_TRUE(emulator().WaitForClosed(kEvents, kWait));
  EXPECT_EQ(emulator().stats().max_in_flight, 8u);
  EXPECT_EQ(Terminate().code, 0);
  std::map<std::string, int> per_request;
  for (const LogLine& line : JsonLogLines()) {
    if (!line.request_id.has_value() || line.level != "INFO") continue;
    ++per_request[*line.request_id];
    ASSERT_EQ(line.message.size(), static_cast<size_t>(kSize)) << line.raw.substr(0, 200);
  }
  ASSERT_EQ(per_request.size(), ids.size());
  for (const std::string& id : ids) EXPECT_EQ(per_request[id], kLines) << id;
}

TEST_F(BootstrapTest, TextModeWritesPlainTabSeparatedLines) {
  StartEmulator();
  EnqueueMany(R"({"lines":3,"size":12})", 1);
  StartBootstrap("log", {"AWS_LAMBDA_LOG_FORMAT=Text"});
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  EXPECT_EQ(Terminate().code, 0);
  int matched = 0;
  for (const std::string& line : StdoutLines()) {
    EXPECT_NE(line.front(), '{') << line;
    const std::vector<std::string> fields = absl::StrSplit(line, '\t');
    ASSERT_EQ(fields.size(), 4u) << line;
    EXPECT_TRUE(IsTimestamp(fields[0])) << line;
    // The handler's lines: "<i>:xxxxxxxxxx" (12 characters) at INFO for this request.
    if (fields[1] == "req-0-0000-4000-8000-000000000000" && fields[2] == "INFO" &&
        fields[3].size() == 12 && fields[3][1] == ':') {
      ++matched;
    }
  }
  EXPECT_EQ(matched, 3);
}

TEST_F(BootstrapTest, LogLevelFiltersHandlerAndRuntimeLines) {
  StartEmulator();
  emulator::EventSpec info;
  info.body = R"({"lines":3,"size":8,"level":"INFO"})";
  info.request_id = "req-info";
  emulator::EventSpec error;
  error.body = R"({"lines":2,"size":8,"level":"ERROR"})";
  error.request_id = "req-error";
  emulator().Enqueue(info);
  emulator().Enqueue(error);
  StartBootstrap("log", {"AWS_LAMBDA_LOG_LEVEL=warn"});
  ASSERT_TRUE(emulator().WaitForClosed(2, kWait));
  EXPECT_EQ(Terminate().code, 0);
  int info_lines = 0, error_lines = 0;
  for (const LogLine& line : JsonLogLines()) {
    EXPECT_NE(line.level, "INFO") << line.raw;  // The runtime's own INFO lines are filtered too.
    if (line.request_id == "req-info") ++info_lines;
    if (line.request_id == "req-error") ++error_lines;
  }
  EXPECT_EQ(info_lines, 0);
  EXPECT_EQ(error_lines, 2);
}

TEST_F(BootstrapTest, PayloadsAreNeverLoggedAboveDebug) {
  const std::string marker = "PAYLOAD-MARKER-7f3a";
  for (const char* level : {"INFO", "DEBUG", "TRACE"}) {
    SCOPED_TRACE(level);
    StartEmulator();
    EnqueueMany("{\"secret\":\"" + marker + "\"}", 1);
    StartBootstrap("echo", {std::string("AWS_LAMBDA_LOG_LEVEL=") + level});
    ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
    EXPECT_EQ(Terminate().code, 0);
    const std::string out = bootstrap().stdout_text() + bootstrap().stderr_text();
    if (std::string(level) == "TRACE") {
      EXPECT_THAT(out, HasSubstr(marker));
    } else {
      EXPECT_THAT(out, Not(HasSubstr(marker)));
    }
  }
}

}  // namespace
}  // namespace lmc::integration
