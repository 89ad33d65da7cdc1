// lmc-durable run as a real process over the conformance bootstrap: a workflow to completion
// with its wait skipped, JSON output, a callback answered from a flag and, with --serve, from a
// second command (`lmc-durable callback`), a failed execution's exit status, bad usage.
#include <signal.h>

#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/durable/scenarios.h"
#include "tests/support/command_run.h"
#include "tools/emulator/subprocess.h"

namespace lmc::durable_testing {
namespace {

using emulator::Subprocess;
using integration::RunCommand;
using Result = integration::CommandResult;
using ::testing::HasSubstr;

constexpr char kDurable[] = LMC_DURABLE_PATH;
constexpr char kBootstrap[] = LMC_CONFORMANCE_BOOTSTRAP;

// lmc-durable over the conformance bootstrap's `conformance` handler, running `scenario`.
std::vector<std::string> Durable(const std::string& scenario, const std::string& input,
                                 std::vector<std::string> more = {}) {
  std::vector<std::string> argv = {kDurable,
                                   "--bootstrap",
                                   kBootstrap,
                                   "--handler",
                                   "conformance",
                                   "--input",
                                   R"({"scenario":")" + scenario + R"(","input":)" + input + "}"};
  argv.insert(argv.end(), more.begin(), more.end());
  return argv;
}

TEST(LmcDurable, RunsExecutionsToCompletionSkippingTheirWaits) {
  const absl::Time start = absl::Now();
  const Result r = RunCommand(Durable("steps-and-wait", R"("cmd")",
                                      {"--count", "3", "--concurrency", "8", "--logs",
                                       ::testing::TempDir() + "/lmc_durable_cmd.log"}));
  EXPECT_EQ(r.code, 0) << r.out << r.err;
  // Each execution: two invocations around the 30 s wait, skipped on the execution's clock.
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));
  EXPECT_EQ(CountLines(r.out, "SUCCEEDED after 2 invocations"), 3) << r.out;
  EXPECT_EQ(CountLines(r.out, "WaitSucceeded"), 3) << r.out;
  EXPECT_EQ(CountLines(r.out, "ExecutionSucceeded     = 5"), 3) << r.out;
  EXPECT_THAT(r.out, HasSubstr("3 of 3 executions succeeded; 6 invocations"));
}

TEST(LmcDurable, PrintsEachExecutionAsJsonAndAnswersCallbacksFromTheFlag) {
  const Result r = RunCommand(
      Durable("4-1", R"("Cb4aName01")", {"--json", "--callback", R"(Cb4aName01=succeed:"Paid")"}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_EQ(parser.parse(r.out).get(doc), simdjson::SUCCESS) << r.out;
  EXPECT_EQ(doc["ok"].get_bool().value_unsafe(), true);
  simdjson::dom::array executions = doc["Executions"].get_array().value_unsafe();
  ASSERT_EQ(executions.size(), 1U);
  simdjson::dom::element e = executions.at(0).value_unsafe();
  EXPECT_EQ(e["Status"].get_string().value_unsafe(), "SUCCEEDED");
  EXPECT_EQ(e["Result"].get_string().value_unsafe(), R"("Paid")");
  std::vector<std::string> types;
  const simdjson::dom::array events = e["Events"].get_array().value_unsafe();
  for (simdjson::dom::element event : events) {
    types.emplace_back(event["EventType"].get_string().value_unsafe());
  }
  EXPECT_THAT(types, ::testing::IsSupersetOf({"ExecutionStarted", "CallbackStarted",
                                              "CallbackSucceeded", "ExecutionSucceeded"}));
}

// The id of the callback a --serve run announced: "... --id 'ID' succeed JSON".
std::string AnnouncedId(const std::string& out, const std::string& name) {
  const size_t line = out.find("callback " + name + " started");
  const size_t at = out.find("--id '", line);
  if (line == std::string::npos || at == std::string::npos) return "";
  const size_t begin = at + 6;
  return out.substr(begin, out.find('\'', begin) - begin);
}

TEST(LmcDurable, ServeWaitsForACallbackAnsweredBySecondCommand) {
  std::unique_ptr<Subprocess> serve =
      integration::StartCommand(Durable("4-2", R"("approval")", {"--serve"}));
  ASSERT_NE(serve, nullptr);
  ASSERT_TRUE(serve->WaitForOutput("callback approval started", kWait)) << serve->stderr_text();
  const std::string out = serve->stdout_text();
  ASSERT_EQ(out.rfind("endpoint http://", 0), 0U) << out;
  const std::string endpoint = out.substr(9, out.find('\n') - 9);
  const std::string id = AnnouncedId(out, "approval");
  ASSERT_FALSE(id.empty()) << out;

  const Result unknown = RunCommand(
      {kDurable, "callback", "--endpoint", endpoint, "--id", "bm9wZQ==", "succeed", "1"});
  EXPECT_EQ(unknown.code, 1);
  EXPECT_THAT(unknown.err, HasSubstr("InvalidParameterValueException"));

  const Result answer =
      RunCommand({kDurable, "callback", "--endpoint", endpoint, "--id", id, "succeed", R"("yes")"});
  EXPECT_EQ(answer.code, 0) << answer.err;
  // The execution's report comes as soon as it ends; the service stays up until SIGINT.
  ASSERT_TRUE(serve->WaitForOutput("every execution ended", kWait)) << serve->stdout_text();
  EXPECT_THAT(serve->stdout_text(), HasSubstr("ExecutionSucceeded     = \"yes\""));
  ASSERT_TRUE(serve->Signal(SIGINT).ok());
  const Result r = integration::FinishCommand(*serve);
  EXPECT_EQ(r.code, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("1 of 1 executions succeeded"));
  // An answer to a closed callback is refused.
  EXPECT_EQ(
      RunCommand({kDurable, "callback", "--endpoint", endpoint, "--id", id, "heartbeat"}).code, 1);
}

TEST(LmcDurable, ExitsWithOneWhenAnExecutionFails) {
  // 4-3's callback has a 5 s timeout, which passes at once on the skipped clock.
  const Result r = RunCommand(Durable("4-3", R"("Cb4cName03")"));
  EXPECT_EQ(r.code, 1) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("FAILED"));
  EXPECT_THAT(r.out, HasSubstr("Callback.Timeout"));
  EXPECT_THAT(r.out, HasSubstr("0 of 1 executions succeeded"));
}

TEST(LmcDurable, RejectsBadUsageWithStatus2) {
  const std::vector<std::vector<std::string>> bad = {
      {kDurable, "--handler", "conformance", "--input", "{}"},
      {kDurable, "--bootstrap", kBootstrap, "--handler", "conformance"},
      Durable("1-1", "1", {"--callback", "no-action"}),
      Durable("1-1", "1", {"--count", "0"}),
      {kDurable, "callback", "--endpoint", "http://127.0.0.1:1", "succeed"},
      {kDurable, "callback", "--endpoint", "http://127.0.0.1:1", "--id", "x", "approve"},
  };
  for (const std::vector<std::string>& argv : bad) {
    const Result r = RunCommand(argv);
    EXPECT_EQ(r.code, 2) << ::testing::PrintToString(argv) << r.err;
    EXPECT_THAT(r.err, HasSubstr("lmc-durable")) << ::testing::PrintToString(argv);
  }
  EXPECT_EQ(RunCommand({kDurable, "--help"}).code, 0);
}

}  // namespace
}  // namespace lmc::durable_testing
