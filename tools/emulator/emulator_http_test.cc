// The HTTP/1.1 server as a client sees it: injected faults on the socket (resets, truncation,
// delays, parked calls), shutdown and the Extensions API, routing, pipelining, keep-alive,
// 100-continue, limits, and libcurl as a real client. Which fault applies to which call is
// pinned in internal/runtime_state_test.cc.
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
#include "tools/emulator/emulator.h"
#include "tools/emulator/emulator_test_support.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::emulator {
namespace {

using internal::RawHttpClient;
using internal::RawHttpResponse;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;

// ---------------------------------------------------------------------------------------------
// Fault injection
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

}  // namespace
}  // namespace lmc::emulator
