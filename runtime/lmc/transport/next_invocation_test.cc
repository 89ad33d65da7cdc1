#include "lmc/transport/next_invocation.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace lmc {
namespace {

TEST(IsValidRequestId, AcceptsUuidsAndUnreservedCharacters) {
  EXPECT_TRUE(IsValidRequestId("8476a536-e9f4-11e8-9739-2dfe598c3fcd"));
  EXPECT_TRUE(IsValidRequestId("a.b_c~d-E9"));
  EXPECT_TRUE(IsValidRequestId(std::string(kMaxRequestIdLength, 'a')));
}

TEST(IsValidRequestId, RejectsAnythingThatCouldChangeAUrlOrPath) {
  for (const std::string& bad : std::vector<std::string>{
           "", "a/b", "..%2f", "a b", "a?b", "a#b", "a\r\nb", std::string("a\0b", 3), "\xc3\xa9",
           std::string(kMaxRequestIdLength + 1, 'a')}) {
    EXPECT_FALSE(IsValidRequestId(bad)) << bad;
  }
}

TEST(CheckAnswerArguments, RefusesAnUnsafeRequestIdOrAnyUnsafeHeaderValue) {
  EXPECT_TRUE(CheckAnswerArguments("req-1", {"inv-1", "application/json"}).ok());
  EXPECT_TRUE(CheckAnswerArguments("req-1", {}).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(CheckAnswerArguments("../x", {"inv-1"})));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckAnswerArguments("req-1", {"ok", "a\r\nb"})));
  EXPECT_TRUE(absl::IsInvalidArgument(CheckAnswerArguments("req-1", {std::string(9000, 'x')})));
}

TEST(IsValidHeaderValue, RejectsLineBreaksAndNul) {
  EXPECT_TRUE(IsValidHeaderValue("application/json; charset=utf-8"));
  EXPECT_TRUE(IsValidHeaderValue(""));
  EXPECT_FALSE(IsValidHeaderValue("a\r\nX-Injected: 1"));
  EXPECT_FALSE(IsValidHeaderValue("a\nb"));
  EXPECT_FALSE(IsValidHeaderValue(std::string("a\0b", 3)));
  EXPECT_FALSE(IsValidHeaderValue(std::string(8193, 'a')));
}

TEST(ParseDeadlineMs, ParsesEpochMillisecondsOnly) {
  EXPECT_EQ(ParseDeadlineMs("1542409706888"), 1542409706888);
  EXPECT_EQ(ParseDeadlineMs(" 42 "), 42);
  EXPECT_EQ(ParseDeadlineMs(""), std::nullopt);
  EXPECT_EQ(ParseDeadlineMs("-5"), std::nullopt);
  EXPECT_EQ(ParseDeadlineMs("+5"), std::nullopt);
  EXPECT_EQ(ParseDeadlineMs("12abc"), std::nullopt);
  EXPECT_EQ(ParseDeadlineMs("1.5"), std::nullopt);
  EXPECT_EQ(ParseDeadlineMs("99999999999999999999999"), std::nullopt);
}

TEST(NextInvocation, ParsesEveryLambdaHeaderCaseInsensitively) {
  NextInvocation next;
  next.ApplyHeaderLine("HTTP/1.1 200 OK\r\n");
  next.ApplyHeaderLine("lambda-runtime-aws-request-id: req-1\r\n");
  next.ApplyHeaderLine("LAMBDA-RUNTIME-DEADLINE-MS: 1700000000000\r\n");
  next.ApplyHeaderLine("Lambda-Runtime-Invoked-Function-Arn: arn:aws:lambda:x\r\n");
  next.ApplyHeaderLine("Lambda-Runtime-Trace-Id: Root=1-a;Parent=b;Sampled=0\r\n");
  next.ApplyHeaderLine("Lambda-Runtime-Client-Context: {\"a\":1}\r\n");
  next.ApplyHeaderLine("Lambda-Runtime-Cognito-Identity: {\"b\":2}\r\n");
  next.ApplyHeaderLine("Lambda-Runtime-Aws-Tenant-Id: tenant:1/x\r\n");
  next.ApplyHeaderLine("lambda-runtime-invocation-id: inv-7\r\n");
  next.ApplyHeaderLine("Content-Type: application/json\r\n");
  next.ApplyHeaderLine("Content-Length: 17\r\n");
  next.ApplyHeaderLine("X-Unknown: ignored\r\n");
  next.ApplyHeaderLine("\r\n");
  EXPECT_EQ(next.request_id, "req-1");
  EXPECT_EQ(next.deadline_ms, 1700000000000);
  EXPECT_TRUE(next.has_deadline_header);
  EXPECT_EQ(next.function_arn, "arn:aws:lambda:x");
  EXPECT_EQ(next.trace_id, "Root=1-a;Parent=b;Sampled=0");
  EXPECT_EQ(next.client_context, "{\"a\":1}");
  EXPECT_EQ(next.cognito_identity, "{\"b\":2}");
  EXPECT_TRUE(next.has_tenant_id);
  EXPECT_EQ(next.tenant_id, "tenant:1/x");
  EXPECT_EQ(next.invocation_id, "inv-7");
  EXPECT_EQ(next.content_type, "application/json");
  EXPECT_EQ(next.content_length, 17u);
}

TEST(NextInvocation, AbsentAndEmptyTenantAreDistinct) {
  NextInvocation absent;
  absent.ApplyHeaderLine("Lambda-Runtime-Aws-Request-Id: r\r\n");
  EXPECT_FALSE(absent.has_tenant_id);
  NextInvocation empty;
  empty.ApplyHeaderLine("Lambda-Runtime-Aws-Tenant-Id:\r\n");
  EXPECT_TRUE(empty.has_tenant_id);
  EXPECT_EQ(empty.tenant_id, "");
}

TEST(NextInvocation, GarbageDeadlineIsRecordedAsPresentButUnparsed) {
  NextInvocation next;
  next.ApplyHeaderLine("Lambda-Runtime-Deadline-Ms: soon\r\n");
  EXPECT_TRUE(next.has_deadline_header);
  EXPECT_EQ(next.deadline_ms, std::nullopt);
}

TEST(NextInvocation, InterimStatusLineResetsHeaders) {
  NextInvocation next;
  next.ApplyHeaderLine("HTTP/1.1 100 Continue\r\n");
  next.ApplyHeaderLine("Lambda-Runtime-Aws-Request-Id: stale\r\n");
  next.ApplyHeaderLine("HTTP/1.1 200 OK\r\n");
  EXPECT_EQ(next.request_id, "");
}

TEST(NextInvocation, MalformedLinesAreIgnored) {
  NextInvocation next;
  for (const char* line :
       {"no colon here\r\n", ": empty name\r\n", "\r\n", "", "Lambda-Runtime-: x\r\n"}) {
    next.ApplyHeaderLine(line);
  }
  EXPECT_EQ(next.request_id, "");
  EXPECT_FALSE(next.has_tenant_id);
}

TEST(NextInvocation, ResetKeepsNothingButMemory) {
  NextInvocation next;
  next.ApplyHeaderLine("Lambda-Runtime-Aws-Request-Id: r\r\n");
  next.ApplyHeaderLine("Lambda-Runtime-Aws-Tenant-Id: t\r\n");
  next.body.Append("abc", 3);
  next.Reset();
  EXPECT_EQ(next.request_id, "");
  EXPECT_FALSE(next.has_tenant_id);
  EXPECT_TRUE(next.body.empty());
  EXPECT_GE(next.body.capacity(), 3u);
}

}  // namespace
}  // namespace lmc
