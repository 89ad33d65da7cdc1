#include "lmc/handler.h"

#include <stdexcept>

#include "gtest/gtest.h"
#include "lmc/clock.h"
#include "lmc/registry.h"
#include "lmc/testing/handler_harness.h"
#include "simdjson.h"

namespace lmc {
namespace {

TEST(Response, OwnsOrBorrowsItsBody) {
  Response owned = Response::Json("{\"a\":1}");
  EXPECT_EQ(owned.body(), "{\"a\":1}");
  EXPECT_EQ(owned.content_type(), "application/json");
  static constexpr std::string_view kStatic = "static bytes";
  Response borrowed = Response::Borrowed(kStatic, "text/plain");
  EXPECT_EQ(borrowed.body().data(), kStatic.data());  // No copy.
  Response moved = std::move(borrowed);
  EXPECT_EQ(moved.body().data(), kStatic.data());
  // Copying is what this checks.
  Response copy = owned;  // NOLINT(performance-unnecessary-copy-initialization)
  EXPECT_EQ(copy.body(), owned.body());
  EXPECT_NE(copy.body().data(), owned.body().data());
  EXPECT_EQ(Response::Text("hi").content_type(), "text/plain; charset=utf-8");
}

TEST(Error, ToJsonIsTheLambdaErrorDocumentWithExactText) {
  Error error("My\"Type", "line1\nline2", {"frame 1"});
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(error.ToJson()).get(doc), simdjson::SUCCESS);
  EXPECT_EQ(std::string_view(doc["errorType"]), "My\"Type");
  EXPECT_EQ(std::string_view(doc["errorMessage"]), "line1\nline2");
  EXPECT_EQ(std::string_view(doc["stackTrace"].at(0)), "frame 1");
  EXPECT_EQ(Error("T", "M").ToJson(), R"({"errorMessage":"M","errorType":"T","stackTrace":[]})");
}

TEST(Error, FromStatusNamesTheCode) {
  Error error = Error::FromStatus(absl::NotFoundError("no such key"));
  EXPECT_EQ(error.type(), "NotFound");
  EXPECT_EQ(error.message(), "no such key");
}

TEST(Result, ConvertsFromResponsesErrorsAndStatuses) {
  Result ok = Response::Json("1");
  EXPECT_TRUE(ok.ok());
  Result failed = Error("T", "M");
  EXPECT_FALSE(failed.ok());
  Result from_status = absl::InvalidArgumentError("bad");
  ASSERT_FALSE(from_status.ok());
  EXPECT_EQ(from_status.error().type(), "InvalidArgument");
  Result ok_status = absl::OkStatus();
  ASSERT_TRUE(ok_status.ok());
  EXPECT_EQ(ok_status.response().body(), "null");
  Result from_statusor = absl::StatusOr<Response>(Response::Text("x"));
  EXPECT_TRUE(from_statusor.ok());
  Result from_bad_statusor = absl::StatusOr<Response>(absl::DeadlineExceededError("slow"));
  EXPECT_EQ(from_bad_statusor.error().type(), "DeadlineExceeded");
}

TEST(CallHandler, ExceptionsBecomeErrorsNamedAfterTheirType) {
  testing::Outcome outcome = testing::Invoke(
      [](const Event&, const Context&) -> Result { throw std::out_of_range("index 7"); });
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "std::out_of_range");
  EXPECT_EQ(outcome.result.error().message(), "index 7");
  EXPECT_TRUE(outcome.tmp_dir_removed);
}

TEST(CallHandler, NonStandardThrowsBecomeUnknownException) {
  testing::Outcome outcome =
      testing::Invoke([](const Event&, const Context&) -> Result { throw 42; });
  ASSERT_FALSE(outcome.result.ok());
  EXPECT_EQ(outcome.result.error().type(), "UnknownException");
}

TEST(HandlerRegistry, RegistersFindsAndRefusesDuplicates) {
  HandlerRegistry registry;
  const Handler echo = [](const Event& e, const Context&) -> Result {
    return Response::Borrowed(e.bytes(), "application/json");
  };
  ASSERT_TRUE(registry.Register("b", echo).ok());
  ASSERT_TRUE(
      registry.Register("a", echo, [](const InitContext&) { return absl::OkStatus(); }).ok());
  EXPECT_EQ(registry.Register("a", echo).code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(registry.Register("", echo).code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(registry.Register("c", Handler()).code(), absl::StatusCode::kInvalidArgument);
  ASSERT_NE(registry.Find("a"), nullptr);
  EXPECT_TRUE(registry.Find("a")->init);
  EXPECT_FALSE(registry.Find("b")->init);
  EXPECT_EQ(registry.Find("A"), nullptr);  // Names are exact.
  EXPECT_EQ(registry.Names(), (std::vector<std::string>{"a", "b"}));
}

TEST(Context, RemainingTimeFollowsTheClockAndStopsAtZero) {
  FakeClock clock;
  testing::Invocation invocation;
  invocation.clock = &clock;
  invocation.timeout = std::chrono::milliseconds(1000);
  std::chrono::milliseconds first{0}, second{0}, late{0};
  testing::Invoke(
      [&](const Event&, const Context& context) -> Result {
        first = context.remaining_time();
        clock.Advance(std::chrono::milliseconds(400));
        second = context.remaining_time();
        clock.Advance(std::chrono::milliseconds(5000));
        late = context.remaining_time();
        return absl::OkStatus();
      },
      invocation);
  EXPECT_EQ(first, std::chrono::milliseconds(1000));
  EXPECT_EQ(second, std::chrono::milliseconds(600));
  EXPECT_EQ(late, std::chrono::milliseconds(0));
}

TEST(Context, LoggerLinesCarryTheInvocationIds) {
  testing::Invocation invocation;
  invocation.request_id = "req-ctx";
  invocation.tenant_id = "ten";
  invocation.trace_id = "Root=1-x";
  testing::Outcome outcome = testing::Invoke(
      [](const Event&, const Context& context) -> Result {
        context.logger().Info("hello");
        return absl::OkStatus();
      },
      invocation);
  EXPECT_NE(
      outcome.logs.find("\"requestId\":\"req-ctx\",\"tenantId\":\"ten\",\"traceId\":\"Root=1-x\""),
      std::string::npos)
      << outcome.logs;
}

TEST(InitError, CarriesItsErrorTypeAndKeepsCodeAndMessage) {
  const absl::Status status = InitError("Inference.ModelLoadFailed", "no model");
  EXPECT_EQ(status.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(status.message(), "no model");
  EXPECT_EQ(InitErrorType(status), "Inference.ModelLoadFailed");
  EXPECT_EQ(InitErrorType(absl::InternalError("plain")), "");
  EXPECT_EQ(InitErrorType(absl::OkStatus()), "");
}

}  // namespace
}  // namespace lmc
