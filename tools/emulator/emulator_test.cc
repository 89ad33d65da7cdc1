#include "tools/emulator/emulator.h"

#include <curl/curl.h>

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
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::emulator {
namespace {

using internal::RawHttpClient;
using internal::RawHttpResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

constexpr char kNext[] = "/2018-06-01/runtime/invocation/next";
constexpr absl::Duration kWait = absl::Seconds(10);  // generous bound for slow sanitizer builds

std::string ResponsePath(std::string_view id) {
  return "/2018-06-01/runtime/invocation/" + std::string(id) + "/response";
}
std::string ErrorPath(std::string_view id) {
  return "/2018-06-01/runtime/invocation/" + std::string(id) + "/error";
}

// Unwraps a StatusOr, recording a test failure (and returning an empty value) on error.
template <typename T>
T Ok(absl::StatusOr<T> value) {
  if (!value.ok()) {
    ADD_FAILURE() << value.status();
    return T{};
  }
  return *std::move(value);
}

std::unique_ptr<Emulator> StartEmulator(EmulatorOptions options = {}) {
  auto emulator = std::make_unique<Emulator>(std::move(options));
  const absl::Status started = emulator->Start();
  EXPECT_TRUE(started.ok()) << started;
  return emulator;
}

std::unique_ptr<RawHttpClient> Connect(const Emulator& emulator) {
  auto client = std::make_unique<RawHttpClient>();
  const absl::Status connected = client->Connect(emulator.port());
  EXPECT_TRUE(connected.ok()) << connected;
  return client;
}

std::string Header(const RawHttpResponse& r, std::string_view name) {
  const std::string* value = r.FindHeader(name);
  return value == nullptr ? "<absent>" : *value;
}

// True when `s` is `n` lower-case hex digits.
bool IsHex(std::string_view s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// 8-4-4-4-12 lower-case hex, version nibble 4, variant 10xx.
bool IsUuid4(std::string_view s) {
  return s.size() == 36 && IsHex(s.substr(0, 8), 8) && s[8] == '-' && IsHex(s.substr(9, 4), 4) &&
         s[13] == '-' && s[14] == '4' && IsHex(s.substr(14, 4), 4) && s[18] == '-' &&
         std::string_view("89ab").find(s[19]) != std::string_view::npos &&
         IsHex(s.substr(19, 4), 4) && s[23] == '-' && IsHex(s.substr(24), 12);
}

// Root=1-<8hex>-<24hex>;Parent=<16hex>;Sampled=0
bool IsGeneratedTraceId(std::string_view s) {
  return s.size() == 74 && s.substr(0, 7) == "Root=1-" && IsHex(s.substr(7, 8), 8) &&
         s[15] == '-' && IsHex(s.substr(16, 24), 24) && s.substr(40, 8) == ";Parent=" &&
         IsHex(s.substr(48, 16), 16) && s.substr(64) == ";Sampled=0";
}

EventSpec Event(std::string body) {
  EventSpec e;
  e.body = std::move(body);
  return e;
}

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

TEST(Emulator, ParkedNextCallsAreServedInArrivalOrder) {
  auto emulator = StartEmulator();
  std::vector<std::unique_ptr<RawHttpClient>> clients;
  for (size_t i = 0; i < 5; ++i) {
    clients.push_back(Connect(*emulator));
    ASSERT_TRUE(clients.back()->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
    ASSERT_TRUE(emulator->WaitForWaitingNext(i + 1, kWait));  // pins the arrival order
  }
  for (int i = 0; i < 5; ++i) emulator->Enqueue(Event(std::to_string(i)));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(Ok(clients[i]->ReadResponse()).body, std::to_string(i));
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

TEST(Emulator, GeneratorProducesExactlyCountEventsAfterQueuedOnes) {
  auto emulator = StartEmulator();
  std::atomic<uint64_t> calls{0};
  emulator->SetGenerator(
      [&calls](uint64_t index) {
        ++calls;
        return Event("generated-" + std::to_string(index));
      },
      3);
  emulator->Enqueue(Event("queued"));
  EXPECT_EQ(emulator->stats().queued, 4u);
  EXPECT_EQ(calls.load(), 0u);  // lazily: nothing produced before a /next asks
  auto client = Connect(*emulator);
  EXPECT_EQ(Ok(client->Get(kNext)).body, "queued");
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(Ok(client->Get(kNext)).body, "generated-" + std::to_string(i));
  }
  EXPECT_EQ(calls.load(), 3u);
  ASSERT_TRUE(client->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  EXPECT_TRUE(emulator->WaitForWaitingNext(1, kWait));  // exhausted: the fifth call parks
  EXPECT_EQ(emulator->stats().queued, 0u);
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

TEST(Emulator, SecondAnswerIsRejectedAsDuplicateAndRecorded) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "dup";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  EXPECT_EQ(Ok(client->Post(ResponsePath("dup"), "1")).status, 202);
  EXPECT_EQ(Ok(client->Post(ErrorPath("dup"), "2")).status, 400);
  EXPECT_EQ(Ok(client->Post(ResponsePath("dup"), "3")).status, 400);
  const InvocationRecord record = *emulator->record("dup");
  ASSERT_EQ(record.answers.size(), 3u);
  EXPECT_EQ(record.answers[1].status_returned, 400);
  EXPECT_EQ(record.answers[2].body, "3");
  const Stats s = emulator->stats();
  EXPECT_EQ(s.duplicate_answers, 2u);
  EXPECT_EQ(s.responses, 1u);
  EXPECT_EQ(s.closed, 1u);
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

TEST(Emulator, OversizedResponseGets413AndTheInvocationStaysOpenForAnError) {
  EmulatorOptions options;
  options.max_response_bytes = 100;
  options.max_error_bytes = 50;
  auto emulator = StartEmulator(options);
  EventSpec e = Event("{}");
  e.request_id = "big";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  const RawHttpResponse r = Ok(client->Post(ResponsePath("big"), std::string(101, 'x')));
  EXPECT_EQ(r.status, 413);
  EXPECT_THAT(r.body, HasSubstr("RequestEntityTooLarge"));
  EXPECT_FALSE(emulator->record("big")->closed);
  EXPECT_EQ(Ok(client->Post(ErrorPath("big"), std::string(51, 'e'))).status, 413);
  EXPECT_EQ(Ok(client->Post(ErrorPath("big"), std::string(50, 'e'))).status, 202);
  const InvocationRecord record = *emulator->record("big");
  EXPECT_TRUE(record.closed);
  EXPECT_EQ(record.answers.size(), 3u);
  EXPECT_EQ(emulator->stats().rejected_posts, 2u);
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

TEST(Emulator, LateAnswerGets410OnlyWhenDeadlinesAreEnforced) {
  for (const bool enforce : {true, false}) {
    SCOPED_TRACE(enforce);
    EmulatorOptions options;
    options.enforce_deadlines = enforce;
    auto emulator = StartEmulator(options);
    EventSpec e = Event("{}");
    e.request_id = "late";
    e.timeout = std::chrono::milliseconds(-1);  // the deadline has passed at dispatch
    emulator->Enqueue(e);
    auto client = Connect(*emulator);
    Ok(client->Get(kNext));
    const RawHttpResponse r = Ok(client->Post(ResponsePath("late"), "{}"));
    EXPECT_EQ(r.status, enforce ? 410 : 202);
    if (enforce) {
      EXPECT_THAT(r.body, HasSubstr("InvokeTimeout"));
    }
    EXPECT_TRUE(emulator->record("late")->closed);
  }
}

TEST(Emulator, AnswerStatusForcesTheReplyAndTheClosingRule) {
  auto emulator = StartEmulator();
  EventSpec stays_open = Event("{}");
  stays_open.request_id = "500";
  stays_open.answer_status = 500;
  emulator->Enqueue(stays_open);
  EventSpec closes = Event("{}");
  closes.request_id = "410";
  closes.answer_status = 410;
  emulator->Enqueue(closes);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  Ok(client->Get(kNext));
  EXPECT_EQ(Ok(client->Post(ResponsePath("500"), "{}")).status, 500);
  EXPECT_EQ(Ok(client->Post(ErrorPath("500"), "{}")).status, 500);
  EXPECT_FALSE(emulator->record("500")->closed);
  const RawHttpResponse gone = Ok(client->Post(ResponsePath("410"), "{}"));
  EXPECT_EQ(gone.status, 410);
  EXPECT_THAT(gone.body, HasSubstr("InvokeTimeout"));
  EXPECT_TRUE(emulator->record("410")->closed);
  const Stats s = emulator->stats();
  EXPECT_EQ(s.rejected_posts, 3u);
  EXPECT_EQ(s.responses + s.errors, 0u);
}

TEST(Emulator, ReusedRequestIdSupersedesTheOpenInvocation) {
  auto emulator = StartEmulator();
  EventSpec first = Event("first");
  first.request_id = "same";
  first.invocation_id = "attempt-1";
  EventSpec second = Event("second");
  second.request_id = "same";
  second.invocation_id = "attempt-2";
  emulator->Enqueue(first);
  emulator->Enqueue(second);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  Ok(client->Get(kNext));
  // The first attempt's late answer must not complete the second attempt.
  EXPECT_EQ(
      Ok(client->Post(ResponsePath("same"), "old", {{"Lambda-Runtime-Invocation-Id", "attempt-1"}}))
          .status,
      400);
  EXPECT_EQ(
      Ok(client->Post(ResponsePath("same"), "new", {{"Lambda-Runtime-Invocation-Id", "attempt-2"}}))
          .status,
      202);
  const std::vector<InvocationRecord> records = emulator->records();
  ASSERT_EQ(records.size(), 2u);
  EXPECT_TRUE(records[0].superseded);
  EXPECT_TRUE(records[0].answers.empty());
  EXPECT_FALSE(records[1].superseded);
  ASSERT_EQ(records[1].answers.size(), 2u);
  EXPECT_EQ(records[1].answers[1].body, "new");
  EXPECT_EQ(emulator->record("same")->event_body, "second");
  EXPECT_EQ(emulator->stats().closed, 2u);
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

// ---------------------------------------------------------------------------------------------
// /init/error

TEST(Emulator, InitErrorIsAcceptedOnceAndThenNextIsForbidden) {
  auto emulator = StartEmulator();
  auto parked = Connect(*emulator);
  ASSERT_TRUE(parked->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  auto client = Connect(*emulator);
  const RawHttpResponse first =
      Ok(client->Post("/2018-06-01/runtime/init/error", R"({"errorMessage":"bad config"})",
                      {{"Lambda-Runtime-Function-Error-Type", "Runtime.BadConfig"}}));
  EXPECT_EQ(first.status, 202);
  EXPECT_TRUE(emulator->WaitForInitError(kWait));
  EXPECT_EQ(Ok(client->Post("/2018-06-01/runtime/init/error", "{}")).status, 403);
  // The call parked before the init error and a new call are both refused.
  const RawHttpResponse parked_reply = Ok(parked->ReadResponse());
  EXPECT_EQ(parked_reply.status, 403);
  EXPECT_THAT(parked_reply.body, HasSubstr("InvalidStateTransition"));
  EXPECT_EQ(Ok(client->Get(kNext)).status, 403);
  const std::vector<Answer> errors = emulator->init_errors();
  ASSERT_EQ(errors.size(), 2u);
  EXPECT_EQ(errors[0].status_returned, 202);
  EXPECT_EQ(errors[0].body, R"({"errorMessage":"bad config"})");
  EXPECT_EQ(*errors[0].FindHeader("lambda-runtime-function-error-type"), "Runtime.BadConfig");
  EXPECT_EQ(errors[1].status_returned, 403);
  EXPECT_EQ(emulator->stats().init_errors, 2u);
}

// ---------------------------------------------------------------------------------------------
// Fault injection

TEST(Emulator, NextFaultsAreAppliedInOrderBeforeEvents) {
  auto emulator = StartEmulator();
  emulator->InjectNextFaults({{.status = 500}, {.status = 503}});
  emulator->Enqueue(Event("after faults"));
  auto client = Connect(*emulator);
  const RawHttpResponse r1 = Ok(client->Get(kNext));
  EXPECT_EQ(r1.status, 500);
  EXPECT_THAT(r1.body, HasSubstr(R"("errorType":"InternalServerError")"));
  const RawHttpResponse r2 = Ok(client->Get(kNext));
  EXPECT_EQ(r2.status, 503);
  EXPECT_THAT(r2.body, HasSubstr("errorMessage"));
  EXPECT_EQ(Ok(client->Get(kNext)).body, "after faults");  // same keep-alive connection
  EXPECT_EQ(emulator->stats().faults_applied, 2u);
}

TEST(Emulator, NextResetFaultClosesWithoutAReply) {
  auto emulator = StartEmulator();
  emulator->InjectNextFaults({{.reset = true}});
  emulator->Enqueue(Event("kept"));
  auto client = Connect(*emulator);
  const absl::StatusOr<RawHttpResponse> r = client->Get(kNext);
  EXPECT_TRUE(absl::IsAborted(r.status()) || absl::IsUnavailable(r.status())) << r.status();
  EXPECT_EQ(Ok(Connect(*emulator)->Get(kNext)).body, "kept");  // the event was not consumed
}

TEST(Emulator, NextTruncateFaultSendsAShortBodyThenCloses) {
  auto emulator = StartEmulator();
  emulator->InjectNextFaults({{.truncate = true}});
  auto client = Connect(*emulator);
  const absl::StatusOr<RawHttpResponse> r = client->Get(kNext);
  EXPECT_TRUE(absl::IsDataLoss(r.status())) << r.status();
  EXPECT_EQ(emulator->stats().dispatched, 0u);
}

TEST(Emulator, NextDelayFaultServesNormallyAfterTheDelay) {
  auto emulator = StartEmulator();
  emulator->InjectNextFaults({{.delay = std::chrono::milliseconds(150)}});
  emulator->Enqueue(Event("delayed"));
  auto client = Connect(*emulator);
  const absl::Time start = absl::Now();
  const RawHttpResponse r = Ok(client->Get(kNext));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(150));  // it cannot arrive earlier
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "delayed");
}

TEST(Emulator, DelayedStatusFaultRepliesWithTheStatus) {
  auto emulator = StartEmulator();
  emulator->InjectNextFaults({{.status = 502, .delay = std::chrono::milliseconds(50)}});
  auto client = Connect(*emulator);
  const absl::Time start = absl::Now();
  EXPECT_EQ(Ok(client->Get(kNext)).status, 502);
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(50));
}

TEST(Emulator, FaultInjectedWhileParkedAppliesToTheParkedCall) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  ASSERT_TRUE(client->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  emulator->InjectNextFaults({{.status = 504}});
  EXPECT_EQ(Ok(client->ReadResponse()).status, 504);
  EXPECT_EQ(emulator->stats().waiting_next, 0u);
}

TEST(Emulator, PostFaultStatusLeavesTheInvocationOpenForARetry) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "retry";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  emulator->InjectPostFaults({{.status = 500}});
  EXPECT_EQ(Ok(client->Post(ResponsePath("retry"), "1")).status, 500);
  EXPECT_FALSE(emulator->record("retry")->closed);
  EXPECT_EQ(Ok(client->Post(ResponsePath("retry"), "2")).status, 202);
  const InvocationRecord record = *emulator->record("retry");
  ASSERT_EQ(record.answers.size(), 2u);
  EXPECT_EQ(record.answers[0].status_returned, 500);
  EXPECT_EQ(record.answers[1].status_returned, 202);
  EXPECT_TRUE(record.closed);
}

TEST(Emulator, PostResetFaultRecordsStatusZeroAndLeavesTheInvocationOpen) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "reset";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  emulator->InjectPostFaults({{.reset = true}});
  const absl::StatusOr<RawHttpResponse> r = client->Post(ResponsePath("reset"), "1");
  EXPECT_FALSE(r.ok());
  const InvocationRecord record = *emulator->record("reset");
  ASSERT_EQ(record.answers.size(), 1u);
  EXPECT_EQ(record.answers[0].status_returned, 0);
  EXPECT_FALSE(record.closed);
  EXPECT_EQ(Ok(Connect(*emulator)->Post(ResponsePath("reset"), "2")).status, 202);
}

TEST(Emulator, PostDelayFaultAnswersAfterTheDelay) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "slow";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  emulator->InjectPostFaults({{.delay = std::chrono::milliseconds(100)}});
  EXPECT_EQ(Ok(client->Post(ResponsePath("slow"), "1")).status, 202);
  const absl::Time replied = absl::Now();
  // received_at is when the body arrived, before the delay; the reply came after the delay.
  EXPECT_GE(replied - emulator->record("slow")->answers[0].received_at, absl::Milliseconds(100));
}

// ---------------------------------------------------------------------------------------------
// Shutdown and extensions

TEST(Emulator, BeginShutdownAnswersParkedNextWith500AndClosesTheConnection) {
  auto emulator = StartEmulator();
  auto a = Connect(*emulator);
  auto b = Connect(*emulator);
  ASSERT_TRUE(a->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  ASSERT_TRUE(b->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  ASSERT_TRUE(emulator->WaitForWaitingNext(2, kWait));
  emulator->BeginShutdown();
  for (RawHttpClient* client : {a.get(), b.get()}) {
    const RawHttpResponse r = Ok(client->ReadResponse());
    EXPECT_EQ(r.status, 500);
    EXPECT_EQ(Header(r, "connection"), "close");
    EXPECT_TRUE(client->ExpectClosed().ok());
  }
  EXPECT_EQ(Ok(Connect(*emulator)->Get(kNext)).status, 500);  // and so is any later call
  EXPECT_EQ(emulator->stats().waiting_next, 0u);
}

TEST(Emulator, ExtensionRegistersAndReceivesShutdown) {
  EmulatorOptions options;
  options.function_name = "fn";
  options.function_version = "7";
  options.handler = "echo";
  auto emulator = StartEmulator(options);
  auto ext = Connect(*emulator);
  const RawHttpResponse reg =
      Ok(ext->Post("/2020-01-01/extension/register", R"({"events":["SHUTDOWN"]})",
                   {{"Lambda-Extension-Name", "lmc-sigterm"}}));
  EXPECT_EQ(reg.status, 200);
  EXPECT_EQ(reg.body, R"({"functionName":"fn","functionVersion":"7","handler":"echo"})");
  const std::string identifier = Header(reg, "lambda-extension-identifier");
  EXPECT_EQ(identifier.size(), 36u);
  auto silent = Connect(*emulator);
  const std::string silent_id =
      Header(Ok(silent->Post("/2020-01-01/extension/register", R"({"events":[]})",
                             {{"Lambda-Extension-Name", "quiet"}})),
             "lambda-extension-identifier");

  ASSERT_TRUE(ext->Send(internal::BuildRequest("GET", "/2020-01-01/extension/event/next", "",
                                               {{"Lambda-Extension-Identifier", identifier}}))
                  .ok());
  ASSERT_TRUE(silent
                  ->Send(internal::BuildRequest("GET", "/2020-01-01/extension/event/next", "",
                                                {{"Lambda-Extension-Identifier", silent_id}}))
                  .ok());
  ASSERT_TRUE(emulator->WaitFor([](const Stats& s) { return s.extension_next_calls >= 2; }, kWait));
  EXPECT_TRUE(ext->NothingPending());
  emulator->BeginShutdown("timeout");
  const RawHttpResponse event = Ok(ext->ReadResponse());
  EXPECT_EQ(event.status, 200);
  EXPECT_THAT(event.body, HasSubstr(R"("eventType":"SHUTDOWN","shutdownReason":"timeout")"));
  EXPECT_THAT(event.body, HasSubstr(R"("deadlineMs":)"));
  EXPECT_TRUE(silent->NothingPending());  // not registered for SHUTDOWN: stays parked

  const std::vector<ExtensionRegistration> extensions = emulator->extensions();
  ASSERT_EQ(extensions.size(), 2u);
  EXPECT_EQ(extensions[0].name, "lmc-sigterm");
  EXPECT_THAT(extensions[0].events, ElementsAre("SHUTDOWN"));
  EXPECT_EQ(extensions[0].identifier, identifier);
  EXPECT_TRUE(extensions[1].events.empty());
  EXPECT_EQ(emulator->stats().extension_registrations, 2u);
}

TEST(Emulator, ExtensionRegistrationClosesAtTheRuntimesFirstNext) {
  auto emulator = StartEmulator();
  auto runtime = Connect(*emulator);
  ASSERT_TRUE(runtime->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  const RawHttpResponse late = Ok(Connect(*emulator)->Post(
      "/2020-01-01/extension/register", R"({"events":[]})", {{"Lambda-Extension-Name", "late"}}));
  EXPECT_EQ(late.status, 403);
  EXPECT_THAT(late.body, HasSubstr("Extension.RegistrationClosed"));
  EXPECT_TRUE(emulator->extensions().empty());
  EXPECT_EQ(emulator->stats().extension_registrations, 0u);
}

TEST(Emulator, ExtensionRequestsAreValidated) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  EXPECT_EQ(Ok(client->Post("/2020-01-01/extension/register", R"({"events":[]})")).status, 400);
  EXPECT_EQ(Ok(client->Post("/2020-01-01/extension/register", "not json",
                            {{"Lambda-Extension-Name", "x"}}))
                .status,
            400);
  EXPECT_EQ(Ok(client->Post("/2020-01-01/extension/register", R"({"events":["LOGS"]})",
                            {{"Lambda-Extension-Name", "x"}}))
                .status,
            400);
  EXPECT_EQ(Ok(client->Get("/2020-01-01/extension/event/next",
                           {{"Lambda-Extension-Identifier", "unknown"}}))
                .status,
            403);
  EXPECT_EQ(Ok(client->Get("/2020-01-01/extension/event/next")).status, 403);
  EXPECT_TRUE(emulator->extensions().empty());
}

// ---------------------------------------------------------------------------------------------
// HTTP behaviour

TEST(Emulator, UnknownPathIs404AndWrongMethodIs405) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  const RawHttpResponse missing = Ok(client->Get("/2018-06-01/runtime/nothing-here"));
  EXPECT_EQ(missing.status, 404);
  EXPECT_THAT(missing.body, HasSubstr("errorType"));
  EXPECT_EQ(Ok(client->Get("/")).status, 404);
  const RawHttpResponse wrong = Ok(client->Post(kNext, ""));
  EXPECT_EQ(wrong.status, 405);
  EXPECT_EQ(Header(wrong, "allow"), "GET");
  EXPECT_EQ(Ok(client->Get(ResponsePath("x"))).status, 405);
  EXPECT_EQ(Ok(client->Get("/2018-06-01/runtime/init/error")).status, 405);
  EXPECT_EQ(emulator->stats().connections, 1u);  // errors keep the connection alive
}

TEST(Emulator, ExtraRoutesServeOtherPathsAndLeaveTheRestTo404) {
  EmulatorOptions options;
  options.extra_routes = [](const ExtraRequest& r) -> std::optional<ExtraReply> {
    if (r.target.starts_with("/reset")) return ExtraReply{.reset = true};
    if (!r.target.starts_with("/2025-12-01/")) return std::nullopt;
    ExtraReply reply;
    reply.status = 429;
    reply.body = std::string(r.method) + " " + std::string(r.target) + " " + std::string(r.body);
    reply.headers = {{"X-Amzn-ErrorType", "TooManyRequestsException"}};
    return reply;
  };
  auto emulator = StartEmulator(std::move(options));
  auto client = Connect(*emulator);
  const RawHttpResponse served = Ok(client->Post("/2025-12-01/x?a=b", "body"));
  EXPECT_EQ(served.status, 429);
  EXPECT_EQ(served.body, "POST /2025-12-01/x?a=b body");
  EXPECT_EQ(Header(served, "x-amzn-errortype"), "TooManyRequestsException");
  EXPECT_EQ(Ok(client->Get("/elsewhere")).status, 404);
  // Runtime API paths are never offered to the extra routes.
  EXPECT_EQ(Ok(client->Post(kNext, "")).status, 405);
  auto reset = Connect(*emulator);
  ASSERT_TRUE(reset->Send(internal::BuildRequest("GET", "/reset", "", {})).ok());
  EXPECT_FALSE(reset->ReadResponse().ok());
}

TEST(Emulator, PipelinedRequestsAreAnsweredInOrder) {
  auto emulator = StartEmulator();
  for (const char* id : {"p1", "p2"}) {
    EventSpec e = Event(id);
    e.request_id = id;
    emulator->Enqueue(e);
  }
  auto client = Connect(*emulator);
  ASSERT_TRUE(client
                  ->Send(internal::BuildRequest("GET", kNext, "", {}) +
                         internal::BuildRequest("POST", ResponsePath("p1"), "r1", {}) +
                         internal::BuildRequest("GET", kNext, "", {}) +
                         internal::BuildRequest("POST", ResponsePath("p2"), "r2", {}) +
                         internal::BuildRequest("GET", "/nope", "", {}))
                  .ok());
  EXPECT_EQ(Ok(client->ReadResponse()).body, "p1");
  EXPECT_EQ(Ok(client->ReadResponse()).status, 202);
  EXPECT_EQ(Ok(client->ReadResponse()).body, "p2");
  EXPECT_EQ(Ok(client->ReadResponse()).status, 202);
  EXPECT_EQ(Ok(client->ReadResponse()).status, 404);
}

TEST(Emulator, RequestsPipelinedBehindAParkedNextWaitForIt) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  ASSERT_TRUE(client
                  ->Send(internal::BuildRequest("GET", kNext, "", {}) +
                         internal::BuildRequest("GET", "/nope", "", {}))
                  .ok());
  ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  EXPECT_TRUE(client->NothingPending());  // the 404 must not overtake the parked reply
  emulator->Enqueue(Event("first"));
  EXPECT_EQ(Ok(client->ReadResponse()).body, "first");
  EXPECT_EQ(Ok(client->ReadResponse()).status, 404);
}

TEST(Emulator, ExpectContinueGetsAnInterimResponseBeforeTheBody) {
  auto emulator = StartEmulator();
  EventSpec e = Event("{}");
  e.request_id = "ec";
  emulator->Enqueue(e);
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  ASSERT_TRUE(client
                  ->Send("POST /2018-06-01/runtime/invocation/ec/response HTTP/1.1\r\n"
                         "Expect: 100-continue\r\nContent-Length: 4\r\n\r\n")
                  .ok());
  EXPECT_EQ(Ok(client->ReadResponse()).status, 100);  // before any body byte was sent
  ASSERT_TRUE(client->Send("body").ok());
  EXPECT_EQ(Ok(client->ReadResponse()).status, 202);
  EXPECT_EQ(emulator->record("ec")->answers[0].body, "body");
}

TEST(Emulator, ConnectionCloseIsHonoured) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  const RawHttpResponse r = Ok(client->Get("/nope", {{"Connection", "close"}}));
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(Header(r, "connection"), "close");
  EXPECT_TRUE(client->ExpectClosed().ok());
}

TEST(Emulator, Http10ClientsAreClosedUnlessTheyAskForKeepAlive) {
  auto emulator = StartEmulator();
  auto plain = Connect(*emulator);
  ASSERT_TRUE(plain->Send("GET /nope HTTP/1.0\r\n\r\n").ok());
  EXPECT_EQ(Ok(plain->ReadResponse()).status, 404);
  EXPECT_TRUE(plain->ExpectClosed().ok());
  auto kept = Connect(*emulator);
  ASSERT_TRUE(kept->Send("GET /nope HTTP/1.0\r\nConnection: keep-alive\r\n\r\n").ok());
  const RawHttpResponse r = Ok(kept->ReadResponse());
  EXPECT_EQ(Header(r, "connection"), "keep-alive");
  EXPECT_TRUE(kept->NothingPending());
}

TEST(Emulator, OversizedHeadersGet431AndTheConnectionCloses) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  const RawHttpResponse r = Ok(client->Get(kNext, {{"X-Big", std::string(70 * 1024, 'h')}}));
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(client->ExpectClosed().ok());
  EXPECT_EQ(emulator->stats().next_calls, 0u);
}

TEST(Emulator, MalformedRequestGets400AndTheConnectionCloses) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  ASSERT_TRUE(client->Send("THIS IS NOT HTTP\r\n\r\n").ok());
  const RawHttpResponse r = Ok(client->ReadResponse());
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Header(r, "connection"), "close");
  EXPECT_TRUE(client->ExpectClosed().ok());
}

TEST(Emulator, BodyOver256MiBGets413AndTheConnectionCloses) {
  auto emulator = StartEmulator();
  auto client = Connect(*emulator);
  ASSERT_TRUE(client
                  ->Send("POST /2018-06-01/runtime/invocation/x/response HTTP/1.1\r\n"
                         "Content-Length: 268435457\r\n\r\n")
                  .ok());
  EXPECT_EQ(Ok(client->ReadResponse()).status, 413);
  EXPECT_TRUE(client->ExpectClosed().ok());
}

// libcurl as a real client: keep-alive reuse, Expect: 100-continue and a chunked upload with
// trailers, as a streaming runtime built on libcurl would send them.
size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct ChunkSource {
  std::vector<std::string> chunks;
  size_t next = 0;
};

size_t ReadChunk(char* buffer, size_t size, size_t n, void* arg) {
  auto* source = static_cast<ChunkSource*>(arg);
  if (source->next == source->chunks.size()) return 0;
  const std::string& chunk = source->chunks[source->next++];
  const size_t len = std::min(chunk.size(), size * n);
  // libcurl's upload buffer holds bytes, not a C string.
  std::memcpy(buffer, chunk.data(), len);  // NOLINT(bugprone-not-null-terminated-result)
  return len;
}

int AddTrailers(curl_slist** list, void*) {
  *list = curl_slist_append(*list, "Lambda-Runtime-Function-Error-Type: Runtime.StreamError");
  return CURL_TRAILERFUNC_OK;
}

TEST(Emulator, LibcurlClientInteroperates) {
  auto emulator = StartEmulator();
  for (const char* id : {"c1", "c2"}) {
    EventSpec e = Event(id);
    e.request_id = id;
    emulator->Enqueue(e);
  }
  CURL* curl = curl_easy_init();
  ASSERT_NE(curl, nullptr);
  const std::string base = "http://" + emulator->address();
  std::string body;
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  long status = 0;

  curl_easy_setopt(curl, CURLOPT_URL, (base + kNext).c_str());
  ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
  EXPECT_EQ(body, "c1");

  // Expect: 100-continue with a buffered body; a long expect timeout makes a missing interim
  // response show up as a test timeout instead of passing silently after curl's 1 s default.
  body.clear();
  const std::string payload(200000, 'p');
  curl_slist* headers = curl_slist_append(nullptr, "Expect: 100-continue");
  curl_easy_setopt(curl, CURLOPT_URL, (base + ResponsePath("c1")).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_EXPECT_100_TIMEOUT_MS, 60000L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, payload.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(payload.size()));
  ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  EXPECT_EQ(status, 202);
  curl_slist_free_all(headers);

  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_URL, (base + kNext).c_str());
  body.clear();
  ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
  EXPECT_EQ(body, "c2");

  // Streaming: chunked upload with a trailer.
  ChunkSource source{{"stream ", "of ", "chunks"}};
  headers = curl_slist_append(nullptr, "Transfer-Encoding: chunked");
  headers = curl_slist_append(headers, "Lambda-Runtime-Function-Response-Mode: streaming");
  headers = curl_slist_append(headers, "Trailer: Lambda-Runtime-Function-Error-Type");
  headers = curl_slist_append(headers, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, (base + ResponsePath("c2")).c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_READFUNCTION, &ReadChunk);
  curl_easy_setopt(curl, CURLOPT_READDATA, &source);
  curl_easy_setopt(curl, CURLOPT_TRAILERFUNCTION, &AddTrailers);
  ASSERT_EQ(curl_easy_perform(curl), CURLE_OK);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  EXPECT_EQ(status, 202);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);

  const InvocationRecord streamed = *emulator->record("c2");
  ASSERT_EQ(streamed.answers.size(), 1u);
  EXPECT_TRUE(streamed.answers[0].chunked);
  EXPECT_EQ(streamed.answers[0].body, "stream of chunks");
  EXPECT_THAT(streamed.answers[0].trailers,
              ElementsAre(Pair("lambda-runtime-function-error-type", "Runtime.StreamError")));
  EXPECT_EQ(emulator->record("c1")->answers[0].body, payload);
  EXPECT_EQ(emulator->stats().max_connections, 1u);  // one keep-alive connection throughout
}

// ---------------------------------------------------------------------------------------------
// Scale, lifecycle, statistics

TEST(Emulator, ServesTwoThousandConcurrentParkedConnections) {
  auto emulator = StartEmulator();
  constexpr size_t kClients = 2000;
  std::vector<std::unique_ptr<RawHttpClient>> clients;
  clients.reserve(kClients);
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(Connect(*emulator));
    ASSERT_TRUE(clients.back()->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  }
  ASSERT_TRUE(emulator->WaitForWaitingNext(kClients, absl::Seconds(20)));
  for (size_t i = 0; i < kClients; ++i) emulator->Enqueue(Event(std::to_string(i)));
  // Every event is received before any is answered, so all 2000 are in flight at once.
  std::set<std::string> bodies;
  std::vector<std::string> ids;
  for (auto& client : clients) {
    const RawHttpResponse r = Ok(client->ReadResponse());
    ids.push_back(Header(r, "lambda-runtime-aws-request-id"));
    bodies.insert(r.body);
  }
  for (size_t i = 0; i < kClients; ++i) {
    ASSERT_TRUE(
        clients[i]->Send(internal::BuildRequest("POST", ResponsePath(ids[i]), "{}", {})).ok());
  }
  for (auto& client : clients) EXPECT_EQ(Ok(client->ReadResponse()).status, 202);
  EXPECT_EQ(bodies.size(), kClients);
  ASSERT_TRUE(emulator->WaitForClosed(kClients, kWait));
  const Stats s = emulator->stats();
  EXPECT_EQ(s.max_connections, kClients);
  EXPECT_EQ(s.max_waiting_next, kClients);
  EXPECT_EQ(s.max_in_flight, kClients);
  EXPECT_EQ(s.responses, kClients);
}

TEST(Emulator, ClientDisconnectWhileParkedUnparksWithoutLosingTheEvent) {
  auto emulator = StartEmulator();
  {
    auto gone = Connect(*emulator);
    ASSERT_TRUE(gone->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
    ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  }  // closes the socket
  ASSERT_TRUE(emulator->WaitFor([](const Stats& s) { return s.waiting_next == 0; }, kWait));
  emulator->Enqueue(Event("for the living"));
  EXPECT_EQ(Ok(Connect(*emulator)->Get(kNext)).body, "for the living");
  EXPECT_EQ(emulator->stats().dispatched, 1u);
}

TEST(Emulator, WithoutKeptRecordsOnlyOpenInvocationsAreTracked) {
  EmulatorOptions options;
  options.keep_records = false;
  auto emulator = StartEmulator(options);
  for (const char* id : {"a", "b", "c"}) {
    EventSpec e = Event(id);
    e.request_id = id;
    emulator->Enqueue(e);
  }
  auto client = Connect(*emulator);
  for (int i = 0; i < 3; ++i) Ok(client->Get(kNext));
  EXPECT_EQ(Ok(client->Post(ResponsePath("b"), "{}")).status, 202);
  std::vector<InvocationRecord> open = emulator->records();
  ASSERT_EQ(open.size(), 2u);
  EXPECT_EQ(open[0].request_id, "a");
  EXPECT_EQ(open[1].request_id, "c");
  ASSERT_EQ(emulator->records(1).size(), 1u);
  EXPECT_EQ(emulator->records(1)[0].request_id, "a");
  EXPECT_FALSE(emulator->record("b").has_value());
  // A forgotten id is unknown rather than duplicate.
  EXPECT_EQ(Ok(client->Post(ResponsePath("b"), "{}")).status, 400);
  const Stats s = emulator->stats();
  EXPECT_EQ(s.unknown_request_posts, 1u);
  EXPECT_EQ(s.duplicate_answers, 0u);
  EXPECT_EQ(s.closed, 1u);
  EXPECT_EQ(s.in_flight, 2u);
}

TEST(Emulator, StatsTrackPeaksAndLatency) {
  auto emulator = StartEmulator();
  auto a = Connect(*emulator);
  auto b = Connect(*emulator);
  auto c = Connect(*emulator);
  for (RawHttpClient* client : {a.get(), b.get(), c.get()}) {
    ASSERT_TRUE(client->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  }
  ASSERT_TRUE(emulator->WaitForWaitingNext(3, kWait));
  emulator->Enqueue(Event("1"));
  emulator->Enqueue(Event("2"));
  const RawHttpResponse r1 = Ok(a->ReadResponse());
  const RawHttpResponse r2 = Ok(b->ReadResponse());
  EXPECT_EQ(Ok(a->Post(ResponsePath(Header(r1, "lambda-runtime-aws-request-id")), "x")).status,
            202);
  EXPECT_EQ(Ok(b->Post(ResponsePath(Header(r2, "lambda-runtime-aws-request-id")), "y")).status,
            202);
  const Stats s = emulator->stats();
  EXPECT_EQ(s.max_waiting_next, 3u);
  EXPECT_EQ(s.max_in_flight, 2u);
  EXPECT_EQ(s.max_outstanding, 3u);
  EXPECT_EQ(s.waiting_next, 1u);
  EXPECT_EQ(s.in_flight, 0u);
  EXPECT_EQ(s.closed, 2u);
  EXPECT_GT(s.latency_max_ms, 0);
  EXPECT_LE(s.latency_p50_ms, s.latency_p99_ms);
  EXPECT_LE(s.latency_p99_ms, s.latency_max_ms);
  EXPECT_NE(s.first_next_at, absl::InfinitePast());
  EXPECT_LE(s.first_next_at, s.first_dispatch_at);
  EXPECT_LE(s.first_dispatch_at, s.last_close_at);
}

TEST(Emulator, WaitForReturnsFalseWhenTheConditionNeverHolds) {
  auto emulator = StartEmulator();
  EXPECT_FALSE(emulator->WaitForClosed(1, absl::Milliseconds(20)));
  EXPECT_FALSE(emulator->WaitForWaitingNext(1, absl::Milliseconds(20)));
  EXPECT_FALSE(emulator->WaitForInitError(absl::Milliseconds(20)));
  EXPECT_FALSE(
      emulator->WaitFor([](const Stats& s) { return s.dispatched > 0; }, absl::Milliseconds(20)));
}

TEST(Emulator, NotifyWaitersReevaluatesPredicatesOverExternalState) {
  auto emulator = StartEmulator();
  std::atomic<bool> flag{false};
  std::thread setter([&] {
    flag.store(true);
    emulator->NotifyWaiters();
  });
  EXPECT_TRUE(emulator->WaitFor([&](const Stats&) { return flag.load(); }, kWait));
  setter.join();
}

TEST(Emulator, DestructorClosesClientConnections) {
  auto emulator = StartEmulator();
  auto parked = Connect(*emulator);
  ASSERT_TRUE(parked->Send(internal::BuildRequest("GET", kNext, "", {})).ok());
  ASSERT_TRUE(emulator->WaitForWaitingNext(1, kWait));
  emulator.reset();
  EXPECT_TRUE(parked->ExpectClosed().ok());
}

TEST(Emulator, StartFailsWhenThePortIsTakenOrStartIsRepeated) {
  auto first = StartEmulator();
  EmulatorOptions options;
  options.port = first->port();
  Emulator second(options);
  EXPECT_FALSE(second.Start().ok());
  EXPECT_EQ(first->Start().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(first->address(), "127.0.0.1:" + std::to_string(first->port()));
}

TEST(Emulator, EventsEnqueuedFromManyThreadsAreEachDeliveredOnce) {
  auto emulator = StartEmulator();
  constexpr int kThreads = 4;
  constexpr int kPerThread = 50;
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&emulator, t] {
      for (int i = 0; i < kPerThread; ++i) {
        emulator->Enqueue(Event(std::to_string(t * kPerThread + i)));
      }
    });
  }
  std::vector<std::thread> consumers;
  lmc::Mutex mu;
  std::set<std::string> seen;
  for (int t = 0; t < kThreads; ++t) {
    consumers.emplace_back([&] {
      RawHttpClient client;
      ASSERT_TRUE(client.Connect(emulator->port()).ok());
      for (int i = 0; i < kPerThread; ++i) {
        const RawHttpResponse r = Ok(client.Get(kNext));
        Ok(client.Post(ResponsePath(Header(r, "lambda-runtime-aws-request-id")), r.body));
        lmc::MutexLock lock(&mu);
        seen.insert(r.body);
      }
    });
  }
  for (auto& t : producers) t.join();
  for (auto& t : consumers) t.join();
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
  EXPECT_TRUE(emulator->WaitForClosed(kThreads * kPerThread, kWait));
}

TEST(Emulator, OnClosedIsCalledOncePerClosedInvocation) {
  lmc::Mutex mu;
  std::vector<std::string> closed;
  EmulatorOptions options;
  options.on_closed = [&](const InvocationRecord& r) {
    lmc::MutexLock lock(&mu);
    closed.push_back(r.request_id + ":" + std::to_string(r.answers.back().status_returned));
  };
  auto emulator = StartEmulator(options);
  for (const char* id : {"x", "y"}) {
    EventSpec e = Event("{}");
    e.request_id = id;
    emulator->Enqueue(e);
  }
  auto client = Connect(*emulator);
  Ok(client->Get(kNext));
  Ok(client->Get(kNext));
  Ok(client->Post(ResponsePath("x"), "{}"));
  Ok(client->Post(ResponsePath("x"), "{}"));  // duplicate: no second callback
  Ok(client->Post(ErrorPath("y"), "{}"));
  lmc::MutexLock lock(&mu);
  EXPECT_THAT(closed, ElementsAre("x:202", "y:202"));
}

}  // namespace
}  // namespace lmc::emulator
