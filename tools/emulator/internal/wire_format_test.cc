#include "tools/emulator/internal/wire_format.h"

#include <string>

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace lmc::emulator::internal {
namespace {

const absl::Time kT0 = absl::FromUnixMillis(1'700'000'000'123);

TEST(WireFormat, ReplyHasStatusLineLengthAndHeadersInOrder) {
  std::string out = "kept|";
  AppendReply(out, 202, "application/json", R"({"status":"OK"})", {{"X-A", "1"}, {"X-B", "2"}}, {});
  EXPECT_EQ(out,
            "kept|HTTP/1.1 202 Accepted\r\nContent-Type: application/json\r\n"
            "Content-Length: 15\r\nX-A: 1\r\nX-B: 2\r\n\r\n{\"status\":\"OK\"}");
}

TEST(WireFormat, ReplyWithoutContentTypeOmitsTheField) {
  std::string out;
  AppendReply(out, 404, "", "", {}, {});
  EXPECT_EQ(out, "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
}

TEST(WireFormat, ConnectionFieldFollowsTheConnectionMode) {
  std::string close;
  AppendReply(close, 200, "", "", {}, {.keep_alive = false, .http10 = true});
  EXPECT_NE(close.find("\r\nConnection: close\r\n\r\n"), std::string::npos);
  std::string http10;
  AppendReply(http10, 200, "", "", {}, {.keep_alive = true, .http10 = true});
  EXPECT_NE(http10.find("\r\nConnection: keep-alive\r\n\r\n"), std::string::npos);
  std::string http11;
  AppendReply(http11, 200, "", "", {}, {});
  EXPECT_EQ(http11.find("Connection:"), std::string::npos);  // HTTP/1.1 keeps alive by default
}

TEST(WireFormat, UnknownStatusesGetAGenericReasonPhrase) {
  EXPECT_EQ(ReasonPhrase(413), "Payload Too Large");
  EXPECT_EQ(ReasonPhrase(418), "Status");
}

TEST(WireFormat, LambdaErrorBodyIsEscapedJson) {
  EXPECT_EQ(LambdaErrorBody("Bad.Type", "say \"hi\""),
            R"({"errorMessage":"say \"hi\"","errorType":"Bad.Type"})");
}

TEST(WireFormat, NextReplyCarriesTheLambdaHeadersInOrder) {
  EventSpec event{.body = "{}",
                  .tenant_id = "tenant",
                  .client_context = "ctx",
                  .cognito_identity = "cog",
                  .extra_headers = {{"X-Extra", "v"}}};
  std::string out;
  AppendNextReply(out, event,
                  {.request_id = "req",
                   .invocation_id = "nonce",
                   .deadline = kT0,
                   .generated_trace_id = "Root=gen"},
                  {});
  EXPECT_EQ(out,
            "HTTP/1.1 200 OK\r\n"
            "Content-Type: application/json\r\n"
            "Content-Length: 2\r\n"
            "Lambda-Runtime-Aws-Request-Id: req\r\n"
            "Lambda-Runtime-Deadline-Ms: 1700000000123\r\n"
            "Lambda-Runtime-Invoked-Function-Arn: "
            "arn:aws:lambda:us-east-1:123456789012:function:lmc-local\r\n"
            "Lambda-Runtime-Trace-Id: Root=gen\r\n"
            "Lambda-Runtime-Client-Context: ctx\r\n"
            "Lambda-Runtime-Cognito-Identity: cog\r\n"
            "Lambda-Runtime-Aws-Tenant-Id: tenant\r\n"
            "Lambda-Runtime-Invocation-Id: nonce\r\n"
            "X-Extra: v\r\n"
            "\r\n"
            "{}");
}

TEST(WireFormat, NextReplyLeavesOutWhatTheEventTurnsOff) {
  EventSpec event{
      .body = "x", .trace_id = "Root=given", .send_invocation_id = false, .deadline_header = ""};
  std::string out;
  AppendNextReply(out, event, {.request_id = "req", .generated_trace_id = "Root=unused"},
                  {.keep_alive = false});
  EXPECT_EQ(out.find("Deadline"), std::string::npos);
  EXPECT_EQ(out.find("Invocation-Id"), std::string::npos);
  EXPECT_EQ(out.find("Tenant"), std::string::npos);
  EXPECT_NE(out.find("Lambda-Runtime-Trace-Id: Root=given\r\n"), std::string::npos);
  EXPECT_NE(out.find("Connection: close\r\n\r\nx"), std::string::npos);
  event.send_trace_id = false;
  event.deadline_header = "42";
  out.clear();
  AppendNextReply(out, event, {.request_id = "req"}, {});
  EXPECT_EQ(out.find("Trace-Id"), std::string::npos);
  EXPECT_NE(out.find("Lambda-Runtime-Deadline-Ms: 42\r\n"), std::string::npos);
}

TEST(WireFormat, TruncatedNextReplyPromisesMoreThanItSends) {
  std::string out;
  AppendTruncatedNextReply(out, "req", kT0);
  const size_t body = out.find("\r\n\r\n");
  ASSERT_NE(body, std::string::npos);
  EXPECT_NE(out.find("Content-Length: 1024\r\n"), std::string::npos);
  EXPECT_NE(out.find("Lambda-Runtime-Deadline-Ms: 1700000000123\r\n"), std::string::npos);
  EXPECT_LT(out.size() - body - 4, 1024u);
}

TEST(WireFormat, PercentDecodeKeepsMalformedEscapesLiterally) {
  EXPECT_EQ(PercentDecode("a%2Fb%20c"), "a/b c");
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
}

TEST(WireFormat, UuidHasTheVersionAndVariantBits) {
  EXPECT_EQ(FormatUuidV4(0, 0), "00000000-0000-4000-8000-000000000000");
  EXPECT_EQ(FormatUuidV4(~uint64_t{0}, ~uint64_t{0}), "ffffffff-ffff-4fff-bfff-ffffffffffff");
}

TEST(WireFormat, TraceIdStartsWithTheEpochSecondsInHex) {
  EXPECT_EQ(FormatTraceId(absl::FromUnixSeconds(0x6553f100), 0x1'deadbeef, 0x0123456789abcdef, 42),
            "Root=1-6553f100-deadbeef0123456789abcdef;Parent=000000000000002a;Sampled=0");
}

TEST(WireFormat, ExtensionBodies) {
  EXPECT_EQ(ShutdownEventBody("spindown", kT0),
            R"({"eventType":"SHUTDOWN","shutdownReason":"spindown","deadlineMs":1700000000123})");
  EmulatorOptions options;
  options.handler = "echo";
  EXPECT_EQ(ExtensionRegisterBody(options, /*with_account_id=*/false),
            R"({"functionName":"lmc-local","functionVersion":"$LATEST","handler":"echo"})");
  EXPECT_NE(ExtensionRegisterBody(options, true).find(R"("accountId":"123456789012")"),
            std::string::npos);
}

}  // namespace
}  // namespace lmc::emulator::internal
