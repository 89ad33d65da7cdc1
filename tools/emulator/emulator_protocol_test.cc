// The Runtime API over sockets: what GET /next hands out with every header, and what the server
// reads and replies to /response and /error. The rules that decide each answer are pinned without
// sockets in internal/answer_rules_test.cc and internal/runtime_state_test.cc.
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/mutex.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/emulator_test_support.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::emulator {
namespace {

using internal::RawHttpResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// ---------------------------------------------------------------------------------------------
// GET /next
TEST(Emulator, NextReturnsQueuedEventWithLambdaHeaders) {
  auto emulator = StartEmulator();
  EventSpec e = Event(R"({"hello":"world"})");
  e.request_id = "req-1";
  e.trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  e.invocation_id = "inv-1";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  const RawHttpResponse r = Ok(client->Get(kNext));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"hello":"world"})");
  EXPECT_EQ(Header(r, "content-type"), "application/json");
  EXPECT_EQ(Header(r, "content-length"), "17");
  EXPECT_EQ(Header(r, "lambda-runtime-aws-request-id"), "req-1");
  EXPECT_EQ(Header(r, "lambda-runtime-invoked-function-arn"),
            "arn:aws:lambda:us-east-1:123456789012:function:lmc-local");
  EXPECT_EQ(Header(r, "lambda-runtime-trace-id"), *e.trace_id);
  EXPECT_EQ(Header(r, "lambda-runtime-invocation-id"), "inv-1");
  EXPECT_NE(Header(r, "lambda-runtime-deadline-ms"), "<absent>");
  const Stats s = emulator->stats();
  EXPECT_EQ(s.next_calls, 1u);
  EXPECT_EQ(s.dispatched, 1u);
  EXPECT_EQ(s.in_flight, 1u);
  EXPECT_EQ(s.queued, 0u);
  // The client has read the whole reply, so it was written in full (the count follows the send).
  EXPECT_TRUE(emulator->WaitFor([](const Stats& st) { return st.delivered == 1; }, kWait));
  const std::vector<InvocationRecord> records = emulator->records();
  ASSERT_EQ(records.size(), 1u);
  EXPECT_EQ(records[0].request_id, "req-1");
  EXPECT_EQ(records[0].invocation_id, "inv-1");
  EXPECT_EQ(records[0].event_body, R"({"hello":"world"})");
  EXPECT_FALSE(records[0].closed);
}

TEST(Emulator, ParkedNextIsAnsweredWhenEventArrives) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  ASSERT_TRUE(client->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  EXPECT_TRUE(client->NothingPending());
  EXPECT_EQ(emulator->stats().waiting_next, 1u);
  emulator->Enqueue(Event("late"));
  const RawHttpResponse r = Ok(client->ReadResponse());
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "late");
  EXPECT_EQ(emulator->stats().waiting_next, 0u);
}

TEST(Emulator, OptionalHeadersAreSentOnlyWhenSet) {
  auto emulator = StartEmulator();
  EventSpec bare = Event("{}");
  bare.send_trace_id = false;
  bare.send_invocation_id = false;
  emulator->Enqueue(bare);
  EventSpec full = Event("{}");
  full.tenant_id = "tenant-a";
  full.client_context = R"({"client":{}})";
  full.cognito_identity = R"({"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"})";
  emulator->Enqueue(full);
  EventSpec empty_tenant = Event("{}");
  empty_tenant.tenant_id = "";
  emulator->Enqueue(empty_tenant);

  auto client = Connect(*emulator);
  const RawHttpResponse r1 = Ok(client->Get(kNext));
  for (const char* absent :
       {"lambda-runtime-trace-id", "lambda-runtime-invocation-id", "lambda-runtime-aws-tenant-id",
        "lambda-runtime-client-context", "lambda-runtime-cognito-identity"}) {
    EXPECT_EQ(r1.FindHeader(absent), nullptr) << absent;
  }
  const RawHttpResponse r2 = Ok(client->Get(kNext));
  EXPECT_EQ(Header(r2, "lambda-runtime-aws-tenant-id"), "tenant-a");
  EXPECT_EQ(Header(r2, "lambda-runtime-client-context"), *full.client_context);
  EXPECT_EQ(Header(r2, "lambda-runtime-cognito-identity"), *full.cognito_identity);
  const RawHttpResponse r3 = Ok(client->Get(kNext));
  EXPECT_EQ(Header(r3, "lambda-runtime-aws-tenant-id"), "");
  const std::vector<InvocationRecord> records = emulator->records();
  ASSERT_EQ(records.size(), 3u);
  EXPECT_EQ(emulator->records(2).size(), 2u);
  EXPECT_EQ(records[0].tenant_id, std::nullopt);
  EXPECT_EQ(records[0].invocation_id, "");
  EXPECT_EQ(records[1].tenant_id, "tenant-a");
  EXPECT_EQ(records[2].tenant_id, "");
}

TEST(Emulator, GeneratedIdsAreUniqueVersion4Uuids) {
  auto emulator = StartEmulator();
  constexpr int kCount = 200;
  for (int i = 0; i < kCount; ++i) emulator->Enqueue(Event("{}"));
  auto client = Connect(*emulator);
  std::set<std::string> ids;
  for (int i = 0; i < kCount; ++i) {
    const RawHttpResponse r = Ok(client->Get(kNext));
    const std::string request_id = Header(r, "lambda-runtime-aws-request-id");
    const std::string invocation_id = Header(r, "lambda-runtime-invocation-id");
    EXPECT_TRUE(IsUuid4(request_id)) << request_id;
    EXPECT_TRUE(IsUuid4(invocation_id)) << invocation_id;
    EXPECT_TRUE(IsGeneratedTraceId(Header(r, "lambda-runtime-trace-id")))
        << Header(r, "lambda-runtime-trace-id");
    ids.insert(request_id);
    ids.insert(invocation_id);
  }
  EXPECT_EQ(ids.size(), 2u * kCount);
}

TEST(Emulator, DeadlineIsDispatchTimePlusTimeout) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.timeout = std::chrono::milliseconds(90000);
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  const int64_t before = absl::ToUnixMillis(absl::Now());
  const RawHttpResponse r = Ok(client->Get(kNext));
  const int64_t after = absl::ToUnixMillis(absl::Now());
  const int64_t deadline = std::stoll(Header(r, "lambda-runtime-deadline-ms"));
  EXPECT_GE(deadline, before + 90000);
  EXPECT_LE(deadline, after + 90000);
  EXPECT_EQ(absl::ToUnixMillis(emulator->records()[0].deadline), deadline);
}

TEST(Emulator, DeadlineHeaderCanBeOverriddenOrOmitted) {
  auto emulator = StartEmulator();
  EventSpec raw = Event("{}");
  raw.deadline_header = "not-a-number";
  emulator->Enqueue(raw);
  EventSpec omitted = Event("{}");
  omitted.deadline_header = "";
  emulator->Enqueue(omitted);
  auto client = Connect(*emulator);
  EXPECT_EQ(Header(Ok(client->Get(kNext)), "lambda-runtime-deadline-ms"), "not-a-number");
  EXPECT_EQ(Ok(client->Get(kNext)).FindHeader("lambda-runtime-deadline-ms"), nullptr);
}

TEST(Emulator, ExtraHeadersAndContentTypeAreSentVerbatim) {
  auto emulator = StartEmulator();
  EventSpec e = Event("<xml/>");
  e.content_type = "application/xml";
  e.function_arn = "arn:aws:lambda:eu-west-1:1:function:f:alias";
  e.extra_headers = {{"X-Custom", "one"}, {"lambda-runtime-aws-request-id", "duplicate"}};
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  const RawHttpResponse r = Ok(client->Get(kNext));
  EXPECT_EQ(Header(r, "content-type"), "application/xml");
  EXPECT_EQ(Header(r, "lambda-runtime-invoked-function-arn"), e.function_arn);
  EXPECT_EQ(Header(r, "x-custom"), "one");
  int request_id_headers = 0;
  for (const auto& [name, value] : r.headers) {
    request_id_headers += name == "lambda-runtime-aws-request-id";
  }
  EXPECT_EQ(request_id_headers, 2);
}

TEST(Emulator, SixMegabyteBinaryEventAndResponseRoundTrip) {
  auto emulator = StartEmulator();
  std::string body(6 * 1024 * 1024, '\0');
  for (size_t i = 0; i < body.size(); ++i) body[i] = static_cast<char>(i * 131 % 256);
  EventSpec e = Event(body);
  e.content_type = "application/octet-stream";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  const RawHttpResponse next = Ok(client->Get(kNext));
  ASSERT_EQ(next.body.size(), body.size());
  EXPECT_TRUE(next.body == body);
  const std::string id = Header(next, "lambda-runtime-aws-request-id");
  const RawHttpResponse posted = Ok(client->Post(ResponsePath(id), next.body));
  EXPECT_EQ(posted.status, 202);
  const std::optional<InvocationRecord> record = emulator->record(id);
  ASSERT_TRUE(record.has_value());
  EXPECT_TRUE(record->event_body == body);
  ASSERT_EQ(record->answers.size(), 1u);
  EXPECT_TRUE(record->answers[0].body == body);
}

TEST(Emulator, RawResponseIsWrittenVerbatimThenConnectionCloses) {
  auto emulator = StartEmulator();
  EventSpec e = Event("ignored");
  e.request_id = "raw-1";
  e.raw_response = "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: raw-1\r\n\r\nclose-delimited";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  const RawHttpResponse r = Ok(client->Get(kNext));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "close-delimited");
  EXPECT_EQ(r.headers.size(), 1u);
  ASSERT_TRUE(emulator->record("raw-1").has_value());
  EXPECT_EQ(emulator->stats().dispatched, 1u);
}

// ---------------------------------------------------------------------------------------------
// POST /response and /error
TEST(Emulator, ResponseIsAcceptedAndClosesTheInvocation) {
  auto emulator = StartEmulator();
  emulator->Enqueue(Event("{}"));
  auto client = Connect(*emulator);
  const absl::Time asked = absl::Now();
  const RawHttpResponse next = Ok(client->Get(kNext));
  const absl::Time got = absl::Now();
  const std::string id = Header(next, "lambda-runtime-aws-request-id");
  const InvocationRecord dispatched = *emulator->record(id);
  EXPECT_GE(dispatched.dispatched_at, asked);
  EXPECT_LE(dispatched.dispatched_at, got);
  const RawHttpResponse r = Ok(client->Post(
      ResponsePath(id), R"({"ok":true})",
      {{"Content-Type", "application/json"},
       {"Lambda-Runtime-Invocation-Id", Header(next, "lambda-runtime-invocation-id")}}));
  EXPECT_EQ(r.status, 202);
  EXPECT_EQ(r.body, R"({"status":"OK"})");
  ASSERT_TRUE(emulator->WaitForClosed(1, kWait));
  const InvocationRecord record = *emulator->record(id);
  EXPECT_TRUE(record.closed);
  ASSERT_EQ(record.answers.size(), 1u);
  const Answer& a = record.answers[0];
  EXPECT_EQ(a.kind, Answer::Kind::kResponse);
  EXPECT_EQ(a.status_returned, 202);
  EXPECT_EQ(a.body, R"({"ok":true})");
  EXPECT_EQ(a.content_type, "application/json");
  EXPECT_FALSE(a.chunked);
  ASSERT_NE(a.FindHeader("lambda-runtime-invocation-id"), nullptr);
  EXPECT_GE(a.received_at, record.dispatched_at);
  const Stats s = emulator->stats();
  EXPECT_EQ(s.responses, 1u);
  EXPECT_EQ(s.errors, 0u);
  EXPECT_EQ(s.closed, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.rejected_posts, 0u);
}

TEST(Emulator, ErrorIsAcceptedAndRecordsTheErrorTypeHeader) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "err-1";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  const RawHttpResponse r =
      Ok(client->Post(ErrorPath("err-1"), R"({"errorMessage":"boom","errorType":"E"})",
                      {{"Lambda-Runtime-Function-Error-Type", "Function.Boom"}}));
  EXPECT_EQ(r.status, 202);
  const InvocationRecord record = *emulator->record("err-1");
  ASSERT_EQ(record.answers.size(), 1u);
  EXPECT_EQ(record.answers[0].kind, Answer::Kind::kError);
  EXPECT_THAT(record.answers[0].headers,
              testing::Contains(Pair("lambda-runtime-function-error-type", "Function.Boom")));
  EXPECT_EQ(emulator->stats().errors, 1u);
}

TEST(Emulator, UnknownRequestIdIsRejectedWith400) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  const RawHttpResponse r = Ok(client->Post(ResponsePath("never-dispatched"), "{}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr(R"("errorType":"InvalidRequestID")"));
  const Stats s = emulator->stats();
  EXPECT_EQ(s.unknown_request_posts, 1u);
  EXPECT_EQ(s.rejected_posts, 1u);
}

TEST(Emulator, MismatchedInvocationIdIsRejectedAndLeavesTheInvocationOpen) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "r";
  e.invocation_id = "current";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  EXPECT_EQ(Ok(client->Post(ResponsePath("r"), "stale", {{"Lambda-Runtime-Invocation-Id", "old"}}))
                .status,
            400);
  EXPECT_FALSE(emulator->record("r")->closed);
  EXPECT_EQ(
      Ok(client->Post(ResponsePath("r"), "fresh", {{"lambda-runtime-invocation-id", "current"}}))
          .status,
      202);
  EXPECT_TRUE(emulator->record("r")->closed);

  // A runtime that does not echo the header at all is accepted (backward compatibility).
  EventSpec f = Event("{}");
  f.request_id = "s";
  emulator->Enqueue(f);
  Ok(client->Get(kNext));
  EXPECT_EQ(Ok(client->Post(ResponsePath("s"), "no header")).status, 202);
}

TEST(Emulator, DefaultResponseLimitIsSixMebibytesPlus100) {
  auto emulator = StartEmulator();
  for (const char* id : {"at-limit", "over-limit"}) {
    EventSpec e = Event("{}");
    e.request_id = id;
    emulator->Enqueue(e);
  }
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  Ok(client->Get(kNext));
  EXPECT_EQ(
      Ok(client->Post(ResponsePath("at-limit"), std::string(6 * 1024 * 1024 + 100, 'a'))).status,
      202);
  EXPECT_EQ(
      Ok(client->Post(ResponsePath("over-limit"), std::string(6 * 1024 * 1024 + 101, 'a'))).status,
      413);
}

TEST(Emulator, InvalidResponseModeIsRejectedAndClosesTheInvocation) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "mode";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  const RawHttpResponse r = Ok(client->Post(
      ResponsePath("mode"), "x", {{"Lambda-Runtime-Function-Response-Mode", "buffered"}}));
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("InvalidFunctionResponseMode"));
  EXPECT_TRUE(emulator->record("mode")->closed);
}

TEST(Emulator, StreamedChunkedResponseIsDechunkedWithTrailers) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "stream";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  ASSERT_TRUE(client
                  ->Send("POST /2018-06-01/runtime/invocation/stream/response HTTP/1.1\r\n"
                         "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
                         "Transfer-Encoding: chunked\r\n"
                         "Trailer: Lambda-Runtime-Function-Error-Type, "
                         "Lambda-Runtime-Function-Error-Body\r\n"
                         "Content-Type: text/plain\r\n\r\n"
                         "6\r\nhello \r\n")
                  .ok());
  ASSERT_TRUE(client
                  ->Send("5;ext=1\r\nworld\r\n0\r\n"
                         "Lambda-Runtime-Function-Error-Type: Runtime.StreamError\r\n"
                         "Lambda-Runtime-Function-Error-Body: eyJlcnJvck1lc3NhZ2UiOiJ4In0=\r\n\r\n")
                  .ok());
  EXPECT_EQ(Ok(client->ReadResponse()).status, 202);
  const InvocationRecord record = *emulator->record("stream");
  ASSERT_EQ(record.answers.size(), 1u);
  const Answer& a = record.answers[0];
  EXPECT_TRUE(a.chunked);
  EXPECT_EQ(a.body, "hello world");
  EXPECT_EQ(a.content_type, "text/plain");
  EXPECT_THAT(
      a.trailers,
      ElementsAre(Pair("lambda-runtime-function-error-type", "Runtime.StreamError"),
                  Pair("lambda-runtime-function-error-body", "eyJlcnJvck1lc3NhZ2UiOiJ4In0=")));
  // Each chunk is recorded with its size and arrival time, in order.
  ASSERT_EQ(a.chunks.size(), 2u);
  EXPECT_EQ(a.chunks[0].size, 6u);
  EXPECT_EQ(a.chunks[1].size, 5u);
  EXPECT_LE(a.chunks[0].arrived_at, a.chunks[1].arrived_at);
  EXPECT_LE(a.chunks[1].arrived_at, a.received_at);
}

TEST(Emulator, OnlyStreamedAnswersCountTowardsTimeToFirstByte) {
  auto emulator = StartEmulator();
  EventSpec streamed = Event("{}");
  streamed.request_id = "streamed";
  EventSpec buffered = Event("{}");
  buffered.request_id = "buffered";
  emulator->Enqueue(streamed);
  emulator->Enqueue(buffered);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  ASSERT_TRUE(client
                  ->Send("POST /2018-06-01/runtime/invocation/streamed/response HTTP/1.1\r\n"
                         "Lambda-Runtime-Function-Response-Mode: streaming\r\n"
                         "Transfer-Encoding: chunked\r\n\r\n"
                         "3\r\nabc\r\n")
                  .ok());
  ASSERT_TRUE(client->Send("4\r\ndefg\r\n0\r\n\r\n").ok());
  EXPECT_EQ(Ok(client->ReadResponse()).status, 202);
  Ok(client->Get(kNext));
  EXPECT_EQ(Ok(client->Post(ResponsePath("buffered"), "a buffered answer")).status, 202);

  const Stats stats = emulator->stats();
  EXPECT_EQ(stats.streamed_answers, 1u);
  EXPECT_EQ(stats.streamed_bytes, 7u);  // de-chunked, the buffered answer not counted
  const InvocationRecord record = *emulator->record("streamed");
  ASSERT_EQ(record.answers.size(), 1u);
  ASSERT_FALSE(record.answers[0].chunks.empty());
  const double exact_ms =
      absl::ToDoubleMilliseconds(record.answers[0].chunks[0].arrived_at - record.dispatched_at);
  // One sample: p50 and p99 are that sample, within the histogram's resolution.
  EXPECT_NEAR(stats.first_byte_p50_ms, exact_ms, exact_ms * 0.01 + 0.001);
  EXPECT_NEAR(stats.first_byte_p99_ms, exact_ms, exact_ms * 0.01 + 0.001);
}

TEST(Emulator, PercentEncodedRequestIdIsDecoded) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "a/b c";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  EXPECT_EQ(Ok(client->Post(ResponsePath("a%2Fb%20c"), "{}")).status, 202);
  EXPECT_TRUE(emulator->record("a/b c")->closed);
}

}  // namespace
}  // namespace lmc::emulator
