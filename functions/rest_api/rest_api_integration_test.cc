// example-rest-api end to end: the real executable against the Runtime API emulator at
// concurrency 8. The store must stay consistent under concurrent writes.
#include <stdlib.h>

#include <map>
#include <set>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

// An API Gateway HTTP API (2.0) event.
std::string HttpApiEvent(const std::string& method, const std::string& path,
                         const std::string& body) {
  return absl::StrCat(R"({"version":"2.0","routeKey":"$default","rawPath":")", path,
                      R"(","rawQueryString":"","headers":{"content-type":"application/json"},)",
                      R"("requestContext":{"http":{"method":")", method, R"(","path":")", path,
                      R"("},"requestId":"r","stage":"$default"},"body":)", body,
                      R"(,"isBase64Encoded":false})");
}

class RestApiIntegrationTest : public BootstrapTest {
 protected:
  // The fixture runs $LMC_TEST_BOOTSTRAP; set once, before any thread of the suite exists.
  // Before any of the suite's threads start; NOLINTNEXTLINE(concurrency-mt-unsafe)
  static void SetUpTestSuite() { ::setenv("LMC_TEST_BOOTSTRAP", LMC_EXAMPLE_REST_API_PATH, 1); }

  // Runs `events` and returns the body of each answer, in order.
  std::vector<std::string> Answers(size_t first, size_t count) {
    std::vector<std::string> out;
    for (const emulator::InvocationRecord& record : emulator().records()) {
      if (first > 0) {
        --first;
        continue;
      }
      if (out.size() == count) break;
      EXPECT_EQ(record.answers.size(), 1u);
      out.push_back(record.answers.empty() ? "" : record.answers[0].body);
    }
    return out;
  }
};

TEST_F(RestApiIntegrationTest, ConcurrentCreatesAtConcurrencyEightAreAllKeptWithDistinctIds) {
  constexpr int kCreates = 64;
  StartEmulator();
  for (int i = 0; i < kCreates; ++i) {
    emulator().Enqueue(
        {.body = HttpApiEvent("POST", "/items", absl::StrCat(R"("{\"n\":)", i, R"(}")"))});
  }
  StartBootstrap("rest-api", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  ASSERT_TRUE(emulator().WaitForClosed(kCreates, kWait));
  EXPECT_GT(emulator().stats().max_in_flight, 1u) << "the creates should overlap";
  std::set<std::string> ids;
  for (const std::string& answer : Answers(0, kCreates)) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = ParseJson(parser, answer);
    EXPECT_EQ(static_cast<int64_t>(doc["statusCode"]), 201) << answer;
    simdjson::dom::parser item_parser;
    simdjson::dom::element item =
        ParseJson(item_parser, std::string{static_cast<std::string_view>(doc["body"])});
    ids.insert(std::string{static_cast<std::string_view>(item["id"])});
  }
  EXPECT_EQ(ids.size(), size_t{kCreates});

  // Concurrent replaces of one item, then a read: the item is one of the writes, whole.
  for (int i = 0; i < 16; ++i) {
    emulator().Enqueue(
        {.body = HttpApiEvent("PUT", "/items/1", absl::StrCat(R"("{\"v\":)", i, R"(}")"))});
  }
  ASSERT_TRUE(emulator().WaitForClosed(kCreates + 16, kWait));
  emulator().Enqueue({.body = HttpApiEvent("GET", "/items", "null")});
  emulator().Enqueue({.body = HttpApiEvent("GET", "/items/1", "null")});
  ASSERT_TRUE(emulator().WaitForClosed(kCreates + 18, kWait));
  const std::vector<std::string> reads = Answers(kCreates + 16, 2);
  ASSERT_EQ(reads.size(), 2u);
  simdjson::dom::parser parser;
  simdjson::dom::element list = ParseJson(parser, reads[0]);
  simdjson::dom::parser items_parser;
  simdjson::dom::element items =
      ParseJson(items_parser, std::string{static_cast<std::string_view>(list["body"])});
  EXPECT_EQ(simdjson::dom::array(items["items"]).size(), size_t{kCreates});
  simdjson::dom::parser one_parser;
  simdjson::dom::element one = ParseJson(one_parser, reads[1]);
  const std::string body = std::string{static_cast<std::string_view>(one["body"])};
  EXPECT_TRUE(body.starts_with(R"({"id":"1","v":)")) << body;

  EXPECT_EQ(Terminate().code, 0);
  JsonLogLines();  // every line the example logged is JSON
}

TEST_F(RestApiIntegrationTest, AnswersErrorsInTheContractsShape) {
  StartEmulator();
  emulator().Enqueue({.body = HttpApiEvent("POST", "/items", R"("{oops")")});
  emulator().Enqueue({.body = HttpApiEvent("PATCH", "/items", "null")});
  emulator().Enqueue({.body = HttpApiEvent("GET", "/nowhere", "null")});
  StartBootstrap("rest-api", {"AWS_LAMBDA_MAX_CONCURRENCY=8"});
  ASSERT_TRUE(emulator().WaitForClosed(3, kWait));
  std::map<int64_t, std::string> by_status;
  for (const std::string& answer : Answers(0, 3)) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc = ParseJson(parser, answer);
    by_status[static_cast<int64_t>(doc["statusCode"])] =
        std::string{static_cast<std::string_view>(doc["body"])};
    if (static_cast<int64_t>(doc["statusCode"]) == 405) {
      EXPECT_EQ(std::string_view(doc["headers"]["Allow"]), "GET, POST");
    }
  }
  EXPECT_EQ(by_status[400], R"({"message":"the body is not valid JSON"})");
  EXPECT_EQ(by_status[405], R"({"message":"Method Not Allowed"})");
  EXPECT_EQ(by_status[404], R"({"message":"Not Found"})");
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
