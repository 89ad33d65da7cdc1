#include "handlers/diagnostic/diagnostic_handlers.h"

#include <filesystem>
#include <string>

#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

namespace lmc::diagnostic {
namespace {

using ::lmc::testing::Invocation;
using ::lmc::testing::Invoke;
using ::lmc::testing::Outcome;
using ::testing::HasSubstr;

Invocation WithEvent(std::string event) {
  Invocation invocation;
  invocation.event = std::move(event);
  return invocation;
}

simdjson::dom::element ParseBody(simdjson::dom::parser& parser, const std::string& body) {
  simdjson::dom::element element;
  EXPECT_EQ(parser.parse(body).get(element), simdjson::SUCCESS) << body;
  return element;
}

TEST(Echo, ReturnsTheEventBytesExactlyWithTheirContentType) {
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  Invocation invocation = WithEvent(binary);
  invocation.content_type = "application/octet-stream";
  Outcome outcome = Invoke(Echo, invocation);
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.body, binary);
  EXPECT_EQ(outcome.result.response().content_type(), "application/octet-stream");
}

TEST(Echo, EmptyEventGivesEmptyBody) {
  Outcome outcome = Invoke(Echo, WithEvent(""));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.body, "");
}

TEST(Sleep, ReturnsTheRequestedDuration) {
  Outcome outcome = Invoke(Sleep, WithEvent(R"({"ms":5})"));
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.body, R"({"slept_ms":5})");
  EXPECT_EQ(outcome.result.response().content_type(), "application/json");
}

TEST(Sleep, RejectsMissingNegativeOrNonIntegerDurations) {
  for (const char* bad : {"{}", R"({"ms":-1})", R"({"ms":"5"})", R"({"ms":1.5})", "[]", "nope"}) {
    Outcome outcome = Invoke(Sleep, WithEvent(bad));
    ASSERT_FALSE(outcome.result.ok()) << bad;
    EXPECT_EQ(outcome.result.error().type(), "InvalidEvent") << bad;
  }
}

TEST(ContextInfo, ReportsEveryFieldOfTheInvocation) {
  Invocation invocation;
  invocation.request_id = "req-42";
  invocation.tenant_id = "tenant a/b";
  invocation.trace_id = "Root=1-abc;Sampled=1";
  invocation.function_arn = "arn:aws:lambda:eu-west-1:1:function:f";
  invocation.client_context = R"({"custom":{"k":"v"}})";
  invocation.cognito_identity = R"({"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"})";
  Outcome outcome = Invoke(ContextInfo, invocation);
  ASSERT_TRUE(outcome.result.ok());
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseBody(parser, outcome.body);
  EXPECT_EQ(std::string_view(doc["request_id"]), "req-42");
  EXPECT_EQ(std::string_view(doc["tenant_id"]), "tenant a/b");
  EXPECT_EQ(std::string_view(doc["trace_id"]), "Root=1-abc;Sampled=1");
  EXPECT_EQ(std::string_view(doc["function_arn"]), "arn:aws:lambda:eu-west-1:1:function:f");
  EXPECT_GT(int64_t(doc["deadline_ms"]), 1'600'000'000'000);
  EXPECT_EQ(std::string_view(doc["client_context"]["custom"]["k"]), "v");
  EXPECT_EQ(std::string_view(doc["cognito_identity"]["cognitoIdentityPoolId"]), "pool");
  EXPECT_EQ(std::string_view(doc["tmp_dir"]), outcome.tmp_dir.string());
}

TEST(ContextInfo, AbsentTenantIsNullAndEmptyTenantIsEmptyString) {
  simdjson::dom::parser parser;
  Outcome absent = Invoke(ContextInfo, Invocation{});
  EXPECT_TRUE(ParseBody(parser, absent.body)["tenant_id"].is_null());
  Invocation empty;
  empty.tenant_id = "";
  Outcome present = Invoke(ContextInfo, empty);
  EXPECT_EQ(std::string_view(ParseBody(parser, present.body)["tenant_id"]), "");
}

TEST(ContextInfo, GarbledOrAbsentMobileHeadersAreNull) {
  Invocation invocation;
  invocation.client_context = "{not json";
  Outcome outcome = Invoke(ContextInfo, invocation);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseBody(parser, outcome.body);
  EXPECT_TRUE(doc["client_context"].is_null());
  EXPECT_TRUE(doc["cognito_identity"].is_null());
}

TEST(Fail, ReportsTheExactTypeAndMessage) {
  Outcome outcome =
      Invoke(Fail, WithEvent(R"({"type":"My.\"Odd\"\nType","message":"line1\nline2 \u00e9"})"));
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "My.\"Odd\"\nType");
  EXPECT_EQ(outcome.result.error().message(), "line1\nline2 \xC3\xA9");
}

TEST(Tmp, WritesFilesIntoItsOwnTempDirWhichIsRemovedAfterwards) {
  Outcome outcome = Invoke(Tmp, WithEvent(R"({"files":3,"bytes":1000})"));
  ASSERT_TRUE(outcome.result.ok());
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseBody(parser, outcome.body);
  EXPECT_EQ(std::string_view(doc["tmp_dir"]), outcome.tmp_dir.string());
  simdjson::dom::array files = doc["files"];
  EXPECT_EQ(files.size(), 3u);
  EXPECT_TRUE(outcome.tmp_dir_removed);
}

TEST(Tmp, FailureStillRemovesTheTempDir) {
  Outcome outcome = Invoke(Tmp, WithEvent(R"({"files":2,"bytes":10,"fail":true})"));
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "TmpFailed");
  EXPECT_EQ(outcome.result.error().message(), outcome.tmp_dir.string());
  EXPECT_TRUE(outcome.tmp_dir_removed);
}

TEST(Tmp, RejectsAbsurdSizes) {
  Outcome outcome = Invoke(Tmp, WithEvent(R"({"files":100000,"bytes":1073741824})"));
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "InvalidEvent");
}

TEST(Log, LogsExactlySizedLinesAtTheRequestedLevel) {
  Invocation invocation = WithEvent(R"({"lines":3,"size":40,"level":"WARN"})");
  invocation.request_id = "req-log";
  Outcome outcome = Invoke(Log, invocation);
  ASSERT_TRUE(outcome.result.ok());
  EXPECT_EQ(outcome.body, R"({"logged":3})");
  std::vector<std::string> lines = absl::StrSplit(outcome.logs, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u);
  simdjson::dom::parser parser;
  for (size_t i = 0; i < lines.size(); ++i) {
    simdjson::dom::element line = ParseBody(parser, lines[i]);
    EXPECT_EQ(std::string_view(line["level"]), "WARN");
    EXPECT_EQ(std::string_view(line["requestId"]), "req-log");
    const std::string_view message = line["message"];
    EXPECT_EQ(message.size(), 40u);
    EXPECT_TRUE(message.starts_with(std::to_string(i) + ":"));
  }
}

TEST(Log, UnknownLevelIsAnInvalidEvent) {
  Outcome outcome = Invoke(Log, WithEvent(R"({"lines":1,"level":"LOUD"})"));
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_THAT(outcome.result.error().message(), HasSubstr("LOUD"));
}

TEST(RegisterAll, RegistersTheSevenHandlersWithStreamAsAStreamer) {
  HandlerRegistry registry;
  ASSERT_TRUE(RegisterAll(registry).ok());
  EXPECT_EQ(registry.Names(),
            (std::vector<std::string>{"context", "echo", "fail", "log", "sleep", "stream", "tmp"}));
  ASSERT_NE(registry.Find("stream"), nullptr);
  EXPECT_TRUE(static_cast<bool>(registry.Find("stream")->streaming));
  EXPECT_FALSE(static_cast<bool>(registry.Find("stream")->handler));
  EXPECT_FALSE(RegisterAll(registry).ok());  // Names are taken now.
}

}  // namespace
}  // namespace lmc::diagnostic
