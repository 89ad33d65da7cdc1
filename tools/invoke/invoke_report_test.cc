#include "tools/invoke/invoke_report.h"

#include <signal.h>

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace lmc::invoke {
namespace {

using emulator::Answer;
using emulator::InvocationRecord;
using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kT0 = absl::FromUnixSeconds(1700000000);

Answer Accepted(std::string body, Answer::Kind kind = Answer::Kind::kResponse) {
  Answer a;
  a.kind = kind;
  a.status_returned = 202;
  a.body = std::move(body);
  a.content_type = "application/json";
  return a;
}

// Three events, all answered (two responses, one error), the bootstrap stopped by our SIGTERM.
InvokeReport ThreeAnswered() {
  InvokeReport r;
  r.handler = "echo";
  r.bootstrap = "build/bootstrap";
  r.concurrency = 2;
  r.events = 3;
  r.stats.responses = 2;
  r.stats.errors = 1;
  r.stats.dispatched = 3;
  r.stats.max_in_flight = 2;
  r.stats.max_outstanding = 2;
  r.spawned_at = kT0;
  r.stats.first_next_at = kT0 + absl::Milliseconds(7);
  r.stats.first_dispatch_at = kT0 + absl::Milliseconds(10);
  r.stats.last_close_at = kT0 + absl::Milliseconds(310);
  r.ending.status = {.exited = true, .code = 0};
  r.ending.term_sent = true;
  InvocationRecord ok{.request_id = "r1"};
  ok.answers.push_back(Accepted(R"({"n":1})"));
  InvocationRecord failed{.request_id = "r2"};
  Answer error = Accepted(R"({"errorMessage":"no"})", Answer::Kind::kError);
  error.headers = {{"lambda-runtime-function-error-type", "Bad.Input"}};
  failed.answers.push_back(error);
  r.samples = {ok, failed};
  return r;
}

TEST(InvokeReport, OkNeedsEveryEventAnsweredOnceAndACleanEnding) {
  EXPECT_TRUE(ThreeAnswered().ok());
  InvokeReport missing = ThreeAnswered();
  missing.events = 4;
  EXPECT_FALSE(missing.ok());
  EXPECT_EQ(missing.unanswered(), 1u);
  InvokeReport duplicate = ThreeAnswered();
  duplicate.stats.duplicate_answers = 1;
  EXPECT_FALSE(duplicate.ok());
  InvokeReport unknown = ThreeAnswered();
  unknown.stats.unknown_request_posts = 1;
  EXPECT_FALSE(unknown.ok());
  InvokeReport crashed = ThreeAnswered();
  crashed.ending.status = {.exited = false, .signal = SIGSEGV};
  EXPECT_FALSE(crashed.ok());
}

TEST(InvokeReport, TextSummaryCountsTimesAndSamples) {
  const std::string text = FormatTextReport(ThreeAnswered());
  EXPECT_THAT(text,
              HasSubstr("lmc-invoke: handler=echo concurrency=2 bootstrap=build/bootstrap\n"));
  EXPECT_THAT(text, HasSubstr("3 sent, 3 answered (2 responses, 1 errors), 0 unanswered\n"));
  EXPECT_THAT(text, HasSubstr("wall time     300.0 ms (first dispatch -> last answer), 10.0 "
                              "invocations/s\n"));
  EXPECT_THAT(text, HasSubstr("startup       7.0 ms (spawn -> first /next)\n"));
  EXPECT_THAT(text, HasSubstr("exit          bootstrap exited 0 after SIGTERM\n"));
  EXPECT_THAT(text, HasSubstr("  samples       #1 202 application/json {\"n\":1}\n"));
  EXPECT_THAT(text, HasSubstr("#2 202 error Bad.Input {\"errorMessage\":\"no\"}\n"));
  EXPECT_THAT(text, Not(HasSubstr("problems")));
  EXPECT_THAT(text, Not(HasSubstr("stopped")));
}

TEST(InvokeReport, TextSummaryNamesProblemsInitErrorsAndStreams) {
  InvokeReport r = ThreeAnswered();
  r.stats.first_next_at = absl::InfinitePast();
  r.stats.rejected_posts = 2;
  r.stopped = "deadline of 5 s passed";
  Answer init = Accepted(R"({"errorMessage":"boom"})", Answer::Kind::kError);
  init.headers = {{"lambda-runtime-function-error-type", "Runtime.Init"}};
  r.init_errors = {init};
  Answer streamed = Accepted("hello world");
  streamed.chunked = true;
  streamed.chunks = {{.size = 5, .arrived_at = kT0 + absl::Milliseconds(15)},
                     {.size = 6, .arrived_at = kT0 + absl::Milliseconds(20)}};
  streamed.trailers = {{"lambda-runtime-function-error-type", "Stream.Broke"}};
  r.samples[0].dispatched_at = kT0 + absl::Milliseconds(10);
  r.samples[0].answers = {streamed};
  r.samples.push_back(InvocationRecord{.request_id = "r3"});
  const std::string text = FormatTextReport(r);
  EXPECT_THAT(text, HasSubstr("startup       the bootstrap never called /next\n"));
  EXPECT_THAT(text, HasSubstr("stopped       deadline of 5 s passed\n"));
  EXPECT_THAT(text, HasSubstr("problems      0 duplicate answers, 0 answers for unknown ids, 2 "
                              "rejected posts\n"));
  EXPECT_THAT(text, HasSubstr("init error    202 Runtime.Init {\"errorMessage\":\"boom\"}\n"));
  EXPECT_THAT(text, HasSubstr("[streamed: 2 chunks, 11 bytes, first byte after 5.0 ms, trailer "
                              "error Stream.Broke]"));
  EXPECT_THAT(text, HasSubstr("#3 no answer (r3)\n"));
}

TEST(InvokeReport, JsonIsOneObjectWithTheDocumentedFields) {
  InvokeReport r = ThreeAnswered();
  r.concurrency.reset();
  const std::string json = FormatJsonReport(r);
  ASSERT_EQ(json.back(), '\n');
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  ASSERT_EQ(parser.parse(json).get(root), simdjson::SUCCESS) << json;
  EXPECT_TRUE(root["concurrency"].is_null());
  EXPECT_EQ(bool(root["ok"]), true);
  EXPECT_EQ(uint64_t(root["invocations"]), 3u);
  EXPECT_EQ(uint64_t(root["answered"]), 3u);
  EXPECT_EQ(uint64_t(root["unanswered"]), 0u);
  EXPECT_DOUBLE_EQ(double(root["wall_ms"]), 300.0);
  EXPECT_DOUBLE_EQ(double(root["startup_ms"]), 7.0);
  EXPECT_EQ(bool(root["exit"]["term_sent"]), true);
  EXPECT_EQ(std::string_view(root["stopped"]), "all events closed");
  EXPECT_EQ(std::string_view(root["samples"].at(1)["kind"]), "error");
  EXPECT_EQ(std::string_view(root["samples"].at(1)["error_type"]), "Bad.Input");
  EXPECT_TRUE(root["samples"].at(0)["stream"].is_null());
  for (const char* key :
       {"handler", "dispatched", "responses", "errors", "max_in_flight", "max_outstanding",
        "max_waiting_next", "next_calls", "duplicate_answers", "unknown_request_posts",
        "rejected_posts", "init_errors", "throughput_per_s", "latency_ms", "samples"}) {
    EXPECT_EQ(root[key].error(), simdjson::SUCCESS) << key;
  }
}

TEST(OutputTail, KeepsTheLastLinesUnderAHeading) {
  EXPECT_EQ(OutputTail("one\ntwo\nthree\n", 2),
            "bootstrap output (last 2 lines):\n  | two\n  | three\n");
  EXPECT_EQ(OutputTail("only", 5), "bootstrap output (last 1 lines):\n  | only\n");
}

}  // namespace
}  // namespace lmc::invoke
