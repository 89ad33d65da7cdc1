// The contract of lmc/transport/runtime_api_client.h, pinned against the in-process emulator.
// This one source is compiled twice, linked once with each implementation (libcurl and direct),
// and registered as `transport-curl.*` and `transport-direct.*`: whatever one transport does
// here, the other must do too.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/base/log_sink.h"
#include "lmc/mutex.h"
#include "lmc/transport/runtime_api_client.h"
#include "tests/support/scripted_server.h"
#include "tools/emulator/emulator.h"

namespace lmc {
namespace {

using ::testing::HasSubstr;

// Upper bound on waits, generous for sanitizer builds on a loaded machine; never relied on for
// correctness, only to fail instead of hanging.
const absl::Duration kWait = absl::Seconds(120);

class TransportContractTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(InitializeTransport().ok());
    // An in-memory file collects the transport's log lines (what it logs is part of the
    // contract: non-2xx replies with status and body).
    log_fd_ = ::memfd_create("transport-log", MFD_CLOEXEC);
    ASSERT_GE(log_fd_, 0);
    sink_ = std::make_unique<LogSink>(log_fd_, LogFormat::kText, LogLevel::kWarn);
    StartEmulator({});
  }
  void TearDown() override {
    emulator_.reset();
    ::close(log_fd_);
  }

  void StartEmulator(emulator::EmulatorOptions options) {
    emulator_ = std::make_unique<emulator::Emulator>(std::move(options));
    ASSERT_TRUE(emulator_->Start().ok());
  }

  std::unique_ptr<RuntimeApiClient> NewClient(RuntimeApiClientOptions options = {}) {
    auto client = RuntimeApiClient::Create(emulator_->address(), *sink_, options);
    EXPECT_TRUE(client.ok()) << client.status();
    return client.ok() ? std::move(*client) : nullptr;
  }

  // Everything logged so far.
  std::string Log() const {
    std::string out;
    char buffer[4096];
    for (off_t offset = 0;;) {
      const ssize_t n = ::pread(log_fd_, buffer, sizeof(buffer), offset);
      if (n <= 0) return out;
      out.append(buffer, static_cast<size_t>(n));
      offset += n;
    }
  }

  emulator::Emulator& emulator() { return *emulator_; }

  // Enqueues an event with `request_id` and `body`, default headers otherwise.
  void Enqueue(const std::string& request_id, std::string body = "{}") {
    emulator::EventSpec event;
    event.request_id = request_id;
    event.body = std::move(body);
    emulator_->Enqueue(std::move(event));
  }

  // Takes one event (status 200 expected) and answers it, so the client's connection has been
  // used once and is kept alive.
  void WarmUp(RuntimeApiClient& client, const std::string& request_id) {
    Enqueue(request_id);
    NextInvocation next;
    ASSERT_TRUE(client.Next(next).ok());
    ASSERT_EQ(next.request_id, request_id);
    const auto reply = client.PostResponse(next.request_id, next.invocation_id, "", "{}");
    ASSERT_TRUE(reply.ok()) << reply.status();
    ASSERT_EQ(reply->status, 202);
  }

  std::unique_ptr<emulator::Emulator> emulator_;
  int log_fd_ = -1;
  std::unique_ptr<LogSink> sink_;
};

// Bytes of every value, CR LF sequences and NULs included.
std::string BinaryBody(size_t size) {
  std::string body(size, '\0');
  uint32_t x = 12345;
  for (size_t i = 0; i < size; ++i) {
    x = x * 1103515245 + 12345;
    body[i] = static_cast<char>(x >> 24);
  }
  for (size_t i = 0; i + 4 < size; i += 4099) body.replace(i, 4, "\r\n\r\n");
  return body;
}

TEST_F(TransportContractTest, NextAndResponseCarryEveryHeaderBothWays) {
  emulator::EventSpec event;
  event.request_id = "req-all-headers";
  event.body = R"({"hello":"world"})";
  event.content_type = "application/x-custom";
  event.tenant_id = "tenant-7";
  event.trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  event.client_context = R"({"client":{"app_title":"t"},"custom":{"k":"v"}})";
  event.cognito_identity = R"({"cognitoIdentityId":"id","cognitoIdentityPoolId":"pool"})";
  event.invocation_id = "inv-42";
  event.function_arn = "arn:aws:lambda:us-east-1:123456789012:function:contract";
  event.timeout = std::chrono::milliseconds(30000);
  emulator().Enqueue(event);
  auto client = NewClient();
  NextInvocation next;
  const absl::Time before = absl::Now();
  ASSERT_TRUE(client->Next(next).ok());
  EXPECT_EQ(next.http_status, 200);
  EXPECT_EQ(next.request_id, "req-all-headers");
  EXPECT_EQ(next.invocation_id, "inv-42");
  EXPECT_EQ(next.function_arn, event.function_arn);
  EXPECT_EQ(next.trace_id, *event.trace_id);
  EXPECT_EQ(next.client_context, *event.client_context);
  EXPECT_EQ(next.cognito_identity, *event.cognito_identity);
  EXPECT_TRUE(next.has_tenant_id);
  EXPECT_EQ(next.tenant_id, "tenant-7");
  EXPECT_EQ(next.content_type, "application/x-custom");
  ASSERT_TRUE(next.content_length.has_value());
  EXPECT_EQ(*next.content_length, event.body.size());
  EXPECT_EQ(next.body.view(), event.body);
  EXPECT_TRUE(next.has_deadline_header);
  ASSERT_TRUE(next.deadline_ms.has_value());
  EXPECT_GE(*next.deadline_ms, absl::ToUnixMillis(before + absl::Seconds(29)));
  EXPECT_LE(*next.deadline_ms, absl::ToUnixMillis(absl::Now() + absl::Seconds(31)));

  const auto reply = client->PostResponse(next.request_id, next.invocation_id, "text/plain",
                                          "the answer", std::chrono::milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  EXPECT_EQ(reply->body, R"({"status":"OK"})");
  const auto record = emulator().record("req-all-headers");
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->answers.size(), 1u);
  const emulator::Answer& answer = record->answers[0];
  EXPECT_EQ(answer.kind, emulator::Answer::Kind::kResponse);
  EXPECT_EQ(answer.body, "the answer");
  EXPECT_EQ(answer.content_type, "text/plain");
  ASSERT_NE(answer.FindHeader("lambda-runtime-invocation-id"), nullptr);
  EXPECT_EQ(*answer.FindHeader("lambda-runtime-invocation-id"), "inv-42");
  ASSERT_NE(answer.FindHeader("user-agent"), nullptr);
  EXPECT_EQ(*answer.FindHeader("user-agent"), "lmc/0.1");
  ASSERT_NE(answer.FindHeader("host"), nullptr);
  EXPECT_EQ(*answer.FindHeader("host"), emulator().address());
  EXPECT_FALSE(answer.chunked);
  EXPECT_EQ(answer.FindHeader("expect"), nullptr);  // No 100-continue round trip.
  EXPECT_TRUE(record->closed);
}

TEST_F(TransportContractTest, TenantHeaderAbsentEmptyOrPresent) {
  const std::vector<std::optional<std::string>> tenants = {std::nullopt, "", "t-1"};
  for (size_t i = 0; i < tenants.size(); ++i) {
    emulator::EventSpec event;
    event.request_id = absl::StrCat("tenant-", i);
    event.tenant_id = tenants[i];
    emulator().Enqueue(event);
  }
  auto client = NewClient();
  for (size_t i = 0; i < tenants.size(); ++i) {
    NextInvocation next;
    ASSERT_TRUE(client->Next(next).ok());
    EXPECT_EQ(next.request_id, absl::StrCat("tenant-", i));
    EXPECT_EQ(next.has_tenant_id, tenants[i].has_value()) << i;
    EXPECT_EQ(next.tenant_id, tenants[i].value_or("")) << i;
  }
}

TEST_F(TransportContractTest, AbsentInvocationIdIsNotEchoedAndEmptyContentTypeIsNotSent) {
  emulator::EventSpec event;
  event.request_id = "no-nonce";
  event.send_invocation_id = false;
  event.send_trace_id = false;
  emulator().Enqueue(event);
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  EXPECT_TRUE(next.invocation_id.empty());
  EXPECT_TRUE(next.trace_id.empty());
  EXPECT_TRUE(next.client_context.empty());
  EXPECT_FALSE(next.has_tenant_id);
  const auto reply = client->PostResponse(next.request_id, "", "", "x");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  const emulator::Answer answer = emulator().record("no-nonce")->answers.at(0);
  EXPECT_EQ(answer.FindHeader("lambda-runtime-invocation-id"), nullptr);
  EXPECT_EQ(answer.FindHeader("content-type"), nullptr);
  EXPECT_EQ(answer.body, "x");
}

TEST_F(TransportContractTest, SixMegabyteBinaryBodiesArriveByteExactBothWays) {
  const std::string body = BinaryBody(6 * 1024 * 1024);
  emulator::EventSpec event;
  event.request_id = "big-binary";
  event.body = body;
  event.content_type = "application/octet-stream";
  emulator().Enqueue(event);
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  ASSERT_EQ(next.body.size(), body.size());
  EXPECT_TRUE(next.body.view() == body);
  const auto reply = client->PostResponse(next.request_id, next.invocation_id,
                                          "application/octet-stream", next.body.view());
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  const emulator::Answer answer = emulator().record("big-binary")->answers.at(0);
  ASSERT_EQ(answer.body.size(), body.size());
  EXPECT_TRUE(answer.body == body);
}

TEST_F(TransportContractTest, ChunkedNextReplyIsDechunkedWithExtensionsAndTrailers) {
  emulator::EventSpec event;
  event.request_id = "chunked-next";
  event.raw_response =
      "HTTP/1.1 200 OK\r\n"
      "Content-Type: application/json\r\n"
      "Transfer-Encoding: chunked\r\n"
      "Lambda-Runtime-Aws-Request-Id: chunked-next\r\n"
      "Lambda-Runtime-Deadline-Ms: 4102444800000\r\n"
      "\r\n"
      "7;ext=1\r\n{\"a\":\"b\r\n"
      "A\r\nc\",\"n\":12}\r\n"
      "0\r\n"
      "X-Trailer: ignored\r\n"
      "\r\n";
  emulator().Enqueue(event);
  Enqueue("after-chunked");
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  EXPECT_EQ(next.http_status, 200);
  EXPECT_EQ(next.request_id, "chunked-next");
  EXPECT_EQ(next.deadline_ms, 4102444800000);
  EXPECT_FALSE(next.content_length.has_value());
  EXPECT_EQ(next.body.view(), R"({"a":"bc","n":12})");
  // The emulator closed that connection; the next call works on a new one.
  ASSERT_TRUE(client->Next(next).ok());
  EXPECT_EQ(next.request_id, "after-chunked");
}

TEST_F(TransportContractTest, InterimContinueBeforeTheNextReplyIsSkipped) {
  emulator::EventSpec event;
  event.request_id = "after-100";
  event.raw_response =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\n"
      "Lambda-Runtime-Aws-Request-Id: after-100\r\n"
      "Content-Length: 2\r\n"
      "\r\n"
      "{}";
  emulator().Enqueue(event);
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  EXPECT_EQ(next.http_status, 200);
  EXPECT_EQ(next.request_id, "after-100");
  EXPECT_EQ(next.body.view(), "{}");
}

TEST_F(TransportContractTest, OversizedEventIsResourceExhaustedWithTheRequestIdParsed) {
  Enqueue("too-big", std::string(5000, 'x'));
  Enqueue("small-after");
  RuntimeApiClientOptions options;
  options.max_event_bytes = 1000;
  auto client = NewClient(options);
  NextInvocation next;
  const absl::Status status = client->Next(next);
  EXPECT_EQ(status.code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(next.request_id, "too-big");
  // The client recovers: the next event arrives whole.
  ASSERT_TRUE(client->Next(next).ok());
  EXPECT_EQ(next.request_id, "small-after");
  EXPECT_EQ(next.body.view(), "{}");
}

TEST_F(TransportContractTest, OversizedChunkedEventIsResourceExhaustedToo) {
  emulator::EventSpec event;
  event.request_id = "too-big-chunked";
  event.raw_response = absl::StrCat(
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
      "Lambda-Runtime-Aws-Request-Id: too-big-chunked\r\n\r\n"
      "400\r\n",
      std::string(0x400, 'a'), "\r\n400\r\n", std::string(0x400, 'b'), "\r\n0\r\n\r\n");
  emulator().Enqueue(event);
  RuntimeApiClientOptions options;
  options.max_event_bytes = 1500;
  auto client = NewClient(options);
  NextInvocation next;
  EXPECT_EQ(client->Next(next).code(), absl::StatusCode::kResourceExhausted);
  EXPECT_EQ(next.request_id, "too-big-chunked");
}

TEST_F(TransportContractTest, ErrorPostCarriesTheErrorTypeHeader) {
  Enqueue("will-fail");
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  const std::string error_json =
      R"({"errorMessage":"boom","errorType":"Function.Boom","stackTrace":[]})";
  const auto reply = client->PostError(next.request_id, next.invocation_id, "Function.Boom",
                                       error_json, std::chrono::milliseconds(5000));
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  const emulator::Answer answer = emulator().record("will-fail")->answers.at(0);
  EXPECT_EQ(answer.kind, emulator::Answer::Kind::kError);
  ASSERT_NE(answer.FindHeader("lambda-runtime-function-error-type"), nullptr);
  EXPECT_EQ(*answer.FindHeader("lambda-runtime-function-error-type"), "Function.Boom");
  EXPECT_EQ(answer.content_type, "application/json");
  EXPECT_EQ(*answer.FindHeader("lambda-runtime-invocation-id"), next.invocation_id);
  EXPECT_EQ(answer.body, error_json);
}

TEST_F(TransportContractTest, StreamedResponseArrivesChunkedWithTheStreamingHeaders) {
  Enqueue("streamed");
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  ASSERT_TRUE(
      client->BeginStreamedResponse(next.request_id, next.invocation_id, "text/plain").ok());
  ASSERT_TRUE(client->WriteStreamChunk("hello ").ok());
  ASSERT_TRUE(client->WriteStreamChunk("").ok());  // sends nothing (an empty chunk would end it)
  const std::string binary = BinaryBody(100000);
  ASSERT_TRUE(client->WriteStreamChunk(binary).ok());
  const auto reply = client->FinishStreamedResponse("", "");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  const emulator::Answer answer = emulator().record("streamed")->answers.at(0);
  EXPECT_TRUE(answer.chunked);
  EXPECT_EQ(answer.body, "hello " + binary);
  EXPECT_EQ(answer.content_type, "text/plain");
  ASSERT_NE(answer.FindHeader("lambda-runtime-function-response-mode"), nullptr);
  EXPECT_EQ(*answer.FindHeader("lambda-runtime-function-response-mode"), "streaming");
  ASSERT_NE(answer.FindHeader("transfer-encoding"), nullptr);
  EXPECT_EQ(*answer.FindHeader("transfer-encoding"), "chunked");
  ASSERT_NE(answer.FindHeader("trailer"), nullptr);
  EXPECT_EQ(*answer.FindHeader("trailer"),
            "Lambda-Runtime-Function-Error-Type, Lambda-Runtime-Function-Error-Body");
  EXPECT_EQ(answer.FindHeader("content-length"), nullptr);
  EXPECT_EQ(*answer.FindHeader("lambda-runtime-invocation-id"), next.invocation_id);
  EXPECT_TRUE(answer.trailers.empty());
  ASSERT_FALSE(answer.chunks.empty());
  EXPECT_EQ(answer.chunks.front().size, 6u);
  // The connection stays usable for the next invocation.
  WarmUp(*client, "after-stream");
}

TEST_F(TransportContractTest, EachStreamedWriteReachesTheServerBeforeTheNextOne) {
  Enqueue("prompt");
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  ASSERT_TRUE(client->BeginStreamedResponse(next.request_id, next.invocation_id, "").ok());
  for (uint64_t i = 1; i <= 3; ++i) {
    ASSERT_TRUE(client->WriteStreamChunk(absl::StrCat("part ", i)).ok());
    // Nothing else is sent until this chunk has arrived: a transport that held writes back
    // would never get here.
    EXPECT_TRUE(
        emulator().WaitFor([i](const emulator::Stats& s) { return s.chunks_received >= i; }, kWait))
        << "chunk " << i << " did not arrive on its own";
  }
  const auto reply = client->FinishStreamedResponse("", "");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  EXPECT_EQ(emulator().record("prompt")->answers.at(0).body, "part 1part 2part 3");
}

TEST_F(TransportContractTest, StreamedErrorEndsTheStreamWithRealTrailers) {
  Enqueue("mid-stream");
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  ASSERT_TRUE(client->BeginStreamedResponse(next.request_id, next.invocation_id, "").ok());
  ASSERT_TRUE(client->WriteStreamChunk("partial").ok());
  const auto reply = client->FinishStreamedResponse("Function.Boom", "eyJlcnJvciI6MX0=");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  const emulator::Answer answer = emulator().record("mid-stream")->answers.at(0);
  EXPECT_EQ(answer.body, "partial");  // no trailer text inside the body
  EXPECT_EQ(answer.trailers,
            (emulator::Fields{{"lambda-runtime-function-error-type", "Function.Boom"},
                              {"lambda-runtime-function-error-body", "eyJlcnJvciI6MX0="}}));
  // Content type left empty: none is sent (the dispatch layer picks the default).
  EXPECT_EQ(answer.FindHeader("content-type"), nullptr);
}

TEST_F(TransportContractTest, StreamCallsOutOfOrderAndUnsafeValuesAreRefused) {
  auto client = NewClient();
  EXPECT_TRUE(absl::IsFailedPrecondition(client->WriteStreamChunk("x")));
  EXPECT_TRUE(absl::IsFailedPrecondition(client->FinishStreamedResponse("", "").status()));
  EXPECT_TRUE(absl::IsInvalidArgument(client->BeginStreamedResponse("bad/id", "", "")));
  EXPECT_TRUE(absl::IsInvalidArgument(client->BeginStreamedResponse("id", "", "a\r\nb")));
}

TEST_F(TransportContractTest, ErrorPostWithoutAnErrorTypeSendsNoHeader) {
  Enqueue("untyped-failure");
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  ASSERT_TRUE(client->PostError(next.request_id, next.invocation_id, "", "{}").ok());
  const emulator::Answer answer = emulator().record("untyped-failure")->answers.at(0);
  EXPECT_EQ(answer.FindHeader("lambda-runtime-function-error-type"), nullptr);
}

TEST_F(TransportContractTest, InitErrorIsPostedWithItsType) {
  auto client = NewClient();
  const auto reply = client->PostInitError("Runtime.NoSuchHandler", R"({"errorMessage":"no"})");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  ASSERT_TRUE(emulator().WaitForInitError(kWait));
  const std::vector<emulator::Answer> errors = emulator().init_errors();
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(*errors[0].FindHeader("lambda-runtime-function-error-type"), "Runtime.NoSuchHandler");
  EXPECT_EQ(errors[0].body, R"({"errorMessage":"no"})");
}

TEST_F(TransportContractTest, ExtensionRegistersAndReceivesShutdown) {
  auto client = NewClient();
  const auto registered = client->RegisterExtension("lmc-contract", R"({"events":["SHUTDOWN"]})");
  ASSERT_TRUE(registered.ok()) << registered.status();
  EXPECT_EQ(registered->status, 200);
  ASSERT_FALSE(registered->extension_id.empty());
  EXPECT_THAT(registered->body, HasSubstr("functionName"));
  const std::vector<emulator::ExtensionRegistration> extensions = emulator().extensions();
  ASSERT_EQ(extensions.size(), 1u);
  EXPECT_EQ(extensions[0].name, "lmc-contract");
  EXPECT_EQ(extensions[0].identifier, registered->extension_id);

  absl::StatusOr<ApiReply> event;
  std::thread waiter([&] { event = client->NextExtensionEvent(registered->extension_id); });
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.extension_next_calls >= 1; }, kWait));
  emulator().BeginShutdown("spindown");
  waiter.join();
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->status, 200);
  EXPECT_THAT(event->body, HasSubstr("SHUTDOWN"));
  EXPECT_THAT(event->body, HasSubstr("spindown"));
}

TEST_F(TransportContractTest, AbortCancelsAParkedNextAndLaterOnesButNotPosts) {
  Enqueue("taken-before-abort");
  auto client = NewClient();
  NextInvocation taken;
  ASSERT_TRUE(client->Next(taken).ok());
  NextInvocation next;
  absl::Status status;
  std::thread poller([&] { status = client->Next(next); });
  ASSERT_TRUE(emulator().WaitForWaitingNext(1, kWait));
  client->Abort();
  poller.join();  // Returns only because Abort() shut the socket down: no event was queued.
  EXPECT_EQ(status.code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(client->Next(next).code(), absl::StatusCode::kCancelled);
  // The event taken before Abort() can still be answered.
  const auto reply = client->PostResponse(taken.request_id, taken.invocation_id, "", "{}");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
}

TEST_F(TransportContractTest, AbortCancelsAParkedExtensionEventNext) {
  auto client = NewClient();
  const auto registered = client->RegisterExtension("quiet", R"({"events":[]})");
  ASSERT_TRUE(registered.ok());
  absl::StatusOr<ApiReply> event;
  std::thread waiter([&] { event = client->NextExtensionEvent(registered->extension_id); });
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.extension_next_calls >= 1; }, kWait));
  client->Abort();
  waiter.join();
  EXPECT_EQ(event.status().code(), absl::StatusCode::kCancelled);
  EXPECT_EQ(client->NextExtensionEvent(registered->extension_id).status().code(),
            absl::StatusCode::kCancelled);
}

TEST_F(TransportContractTest, NextFaultsGiveTheDocumentedOutcomes) {
  // A reset and a truncated reply: no complete reply, kUnavailable. Each on a new client, so the
  // connection is fresh and no stale-connection retry applies.
  emulator().InjectNextFaults({{.reset = true}});
  NextInvocation reset;
  EXPECT_EQ(NewClient()->Next(reset).code(), absl::StatusCode::kUnavailable);
  emulator().InjectNextFaults({{.truncate = true}});
  NextInvocation truncated;
  EXPECT_EQ(NewClient()->Next(truncated).code(), absl::StatusCode::kUnavailable);
  // An error status is a reply: OK, with the status and body for the caller to judge.
  emulator().InjectNextFaults({{.status = 503}});
  NextInvocation unavailable;
  auto client = NewClient();
  ASSERT_TRUE(client->Next(unavailable).ok());
  EXPECT_EQ(unavailable.http_status, 503);
  EXPECT_THAT(unavailable.body.view(), HasSubstr("injected fault"));
  EXPECT_THAT(Log(),
              HasSubstr("Runtime API replied 503 to GET /2018-06-01/runtime/invocation/next"));
  // And the same connection serves the next event.
  Enqueue("after-faults");
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  EXPECT_EQ(next.request_id, "after-faults");
}

TEST_F(TransportContractTest, Non2xxPostRepliesAreReturnedAndLoggedWithStatusAndBody) {
  Enqueue("gets-a-503");
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  emulator().InjectPostFaults({{.status = 503}});
  const auto reply = client->PostResponse(next.request_id, next.invocation_id, "", "{}");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 503);
  EXPECT_THAT(reply->body, HasSubstr("injected fault"));
  EXPECT_THAT(Log(), HasSubstr(absl::StrCat("Runtime API replied 503 to POST /2018-06-01/runtime/"
                                            "invocation/gets-a-503/response: ",
                                            reply->body)));
}

TEST_F(TransportContractTest, PostThatOutlivesItsTimeoutIsUnavailableWithinBounds) {
  Enqueue("slow-answer");
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  emulator().InjectPostFaults({{.delay = std::chrono::milliseconds(20000)}});
  const absl::Time start = absl::Now();
  const auto reply = client->PostResponse(next.request_id, next.invocation_id, "", "{}",
                                          std::chrono::milliseconds(300));
  const absl::Duration elapsed = absl::Now() - start;
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_GE(elapsed, absl::Milliseconds(300));
  EXPECT_LT(elapsed, absl::Seconds(15));  // Far below the 20 s the server would have taken.
}

TEST_F(TransportContractTest, UnsafeValuesAreRefusedBeforeAnythingIsSent) {
  auto client = NewClient();
  EXPECT_EQ(client->PostInitError("A\r\nB: c", "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->RegisterExtension("bad\nname", "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->NextExtensionEvent(std::string("id\0x", 4)).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->PostError("a/b", "", "", "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(client->PostResponse("ok", "", std::string(9000, 'c'), "{}").status().code(),
            absl::StatusCode::kInvalidArgument);
  const emulator::Stats stats = emulator().stats();
  EXPECT_EQ(stats.init_errors + stats.extension_registrations + stats.unknown_request_posts, 0u);
}

TEST_F(TransportContractTest, ConnectionRefusedIsUnavailable) {
  std::string address;
  {
    emulator::Emulator gone;
    ASSERT_TRUE(gone.Start().ok());
    address = gone.address();
  }
  auto client = RuntimeApiClient::Create(address, *sink_);
  ASSERT_TRUE(client.ok());
  NextInvocation next;
  EXPECT_EQ((*client)->Next(next).code(), absl::StatusCode::kUnavailable);
  EXPECT_EQ((*client)->PostResponse("id", "", "", "{}").status().code(),
            absl::StatusCode::kUnavailable);
}

// Stale keep-alive: the server ends a connection the client keeps for reuse. The client must
// notice (or fail once and resend on a new connection), never report a failure.
TEST_F(TransportContractTest, PostOnAConnectionTheServerClosedAfterTheNextReplySucceeds) {
  // A complete keep-alive reply (no "Connection: close"), after which the emulator closes.
  emulator::EventSpec event;
  event.request_id = "closed-behind";
  event.raw_response =
      "HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: closed-behind\r\n"
      "Content-Length: 2\r\n\r\n{}";
  emulator().Enqueue(event);
  auto client = NewClient();
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  ASSERT_EQ(next.request_id, "closed-behind");
  const auto reply = client->PostResponse(next.request_id, "", "", "{}");
  ASSERT_TRUE(reply.ok()) << reply.status();
  EXPECT_EQ(reply->status, 202);
  EXPECT_EQ(emulator().record("closed-behind")->answers.size(), 1u);
}

TEST_F(TransportContractTest, NextOnAConnectionResetWhileIdleIsSentAgain) {
  auto client = NewClient();
  WarmUp(*client, "warm-up");
  // The next /next is reset without a reply: on a reused connection that reads as "closed
  // while idle", so the request goes out once more, on a new connection, and gets the event.
  emulator().InjectNextFaults({{.reset = true}});
  Enqueue("after-reset");
  NextInvocation next;
  ASSERT_TRUE(client->Next(next).ok());
  EXPECT_EQ(next.request_id, "after-reset");
  EXPECT_EQ(emulator().stats().next_calls, 3u);  // warm-up, the reset one, the resend
}

TEST_F(TransportContractTest, ServerClosingIdleConnectionsDoesNotFailTheNextRequest) {
  // A keep-alive server that serves one exchange per connection, then closes the connection
  // while the client is idle, as a server with a short keep-alive timeout does.
  integration::ScriptedServer server;
  server.Run([](integration::ScriptedServer& s) {
    for (int i = 0;; ++i) {
      const int fd = s.Accept();
      if (fd < 0) return;
      s.ReadRequest(fd);
      const std::string body = absl::StrCat("{\"n\":", i, "}");
      s.Send(fd, absl::StrCat("HTTP/1.1 200 OK\r\nLambda-Runtime-Aws-Request-Id: idle-", i,
                              "\r\nContent-Length: ", body.size(), "\r\n\r\n", body));
      s.Close(fd);
    }
  });
  auto created = RuntimeApiClient::Create(server.address(), *sink_);
  ASSERT_TRUE(created.ok());
  RuntimeApiClient& client = **created;
  for (int i = 0; i < 3; ++i) {
    NextInvocation next;
    const absl::Status status = client.Next(next);
    ASSERT_TRUE(status.ok()) << i << ": " << status;
    EXPECT_EQ(next.request_id, absl::StrCat("idle-", i));
    EXPECT_EQ(next.body.view(), absl::StrCat("{\"n\":", i, "}"));
    // The server has closed the connection the client would reuse.
    ASSERT_TRUE(server.WaitForClosed(i + 1));
  }
}

}  // namespace
}  // namespace lmc
