// Handler errors become exact /error reports; start-up failures become /init/error and exit 1.
#include "gmock/gmock.h"
#include "lmc/json.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

using ::testing::HasSubstr;

TEST_F(BootstrapTest, FailReportsTheExactTypeMessageAndHeader) {
  StartEmulator();
  const std::string type = "Custom.ValidationError";
  const std::string message = "field \"name\" is missing\nsecond line \xE2\x9C\x93 \\ end";
  emulator::EventSpec event;
  event.body = "{\"type\":" + JsonQuote(type) + ",\"message\":" + JsonQuote(message) + "}";
  event.request_id = "req-fail";
  emulator().Enqueue(event);
  StartBootstrap("fail");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().record("req-fail");
  ASSERT_EQ(record->answers.size(), 1u);
  const emulator::Answer& answer = record->answers[0];
  EXPECT_EQ(answer.kind, emulator::Answer::Kind::kError);
  EXPECT_EQ(answer.status_returned, 202);
  ASSERT_NE(answer.FindHeader("lambda-runtime-function-error-type"), nullptr);
  EXPECT_EQ(*answer.FindHeader("lambda-runtime-function-error-type"), type);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseJson(parser, answer.body);
  EXPECT_EQ(std::string_view(doc["errorType"]), type);
  EXPECT_EQ(std::string_view(doc["errorMessage"]), message);
  EXPECT_EQ(simdjson::dom::array(doc["stackTrace"]).size(), 0u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, UnsafeErrorTypeKeepsTheBodyExactAndSendsASafeHeader) {
  StartEmulator();
  emulator::EventSpec event;
  event.body = R"({"type":"Bad Type\r\nX-Injected: yes","message":"m"})";
  event.request_id = "req-unsafe";
  emulator().Enqueue(event);
  StartBootstrap("fail");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const emulator::Answer answer = emulator().record("req-unsafe")->answers.at(0);
  EXPECT_EQ(*answer.FindHeader("lambda-runtime-function-error-type"), "Unhandled");
  EXPECT_EQ(answer.FindHeader("x-injected"), nullptr);
  simdjson::dom::parser parser;
  EXPECT_EQ(std::string_view(ParseJson(parser, answer.body)["errorType"]),
            "Bad Type\r\nX-Injected: yes");
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, InvalidEventForTheSleepHandlerIsAnErrorNotACrash) {
  StartEmulator();
  EnqueueMany("this is not json", 1);
  EnqueueMany(R"({"ms":1})", 1);
  StartBootstrap("sleep");
  ASSERT_TRUE(emulator().WaitForClosed(2, kWait));
  EXPECT_EQ(emulator().stats().errors, 1u);
  EXPECT_EQ(emulator().stats().responses, 1u);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, UnknownHandlerPostsInitErrorAndExitsOne) {
  StartEmulator();
  StartBootstrap("no-such-handler");
  ASSERT_TRUE(emulator().WaitForInitError(kWait));
  const auto status = WaitForExit();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 1);
  const auto init_errors = emulator().init_errors();
  ASSERT_EQ(init_errors.size(), 1u);
  EXPECT_EQ(*init_errors[0].FindHeader("lambda-runtime-function-error-type"),
            "Runtime.NoSuchHandler");
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseJson(parser, init_errors[0].body);
  EXPECT_EQ(std::string_view(doc["errorType"]), "Runtime.NoSuchHandler");
  EXPECT_THAT(std::string(std::string_view(doc["errorMessage"])), HasSubstr("no-such-handler"));
  EXPECT_THAT(std::string(std::string_view(doc["errorMessage"])), HasSubstr("echo"));
  EXPECT_EQ(emulator().stats().next_calls, 0u);
  bool fatal = false;
  for (const LogLine& line : JsonLogLines()) fatal = fatal || line.level == "FATAL";
  EXPECT_TRUE(fatal);
}

TEST_F(BootstrapTest, MissingRuntimeApiExitsOneWithAClearMessage) {
  StartEmulator();
  StartBootstrap("echo", {"AWS_LAMBDA_RUNTIME_API="});
  const auto status = WaitForExit();
  EXPECT_TRUE(status.exited);
  EXPECT_EQ(status.code, 1);
  const std::vector<LogLine> lines = JsonLogLines();
  ASSERT_FALSE(lines.empty());
  EXPECT_EQ(lines.back().level, "FATAL");
  EXPECT_THAT(lines.back().message, HasSubstr("AWS_LAMBDA_RUNTIME_API"));
}

}  // namespace
}  // namespace lmc::integration
