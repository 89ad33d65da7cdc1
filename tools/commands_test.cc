// End-to-end tests of the two commands, run as real processes: lmc-invoke driving the fake
// bootstrap (tools/emulator/testdata/fake_bootstrap.cc), and lmc-emulator serving it.
#include <signal.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tests/support/command_run.h"
#include "tools/emulator/subprocess.h"

namespace lmc::emulator {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kInvoke[] = LMC_INVOKE_PATH;
constexpr char kEmulator[] = LMC_EMULATOR_PATH;
constexpr char kFakeBootstrap[] = LMC_FAKE_BOOTSTRAP_PATH;
constexpr absl::Duration kWait = absl::Seconds(60);  // a bound for hung commands, not a sleep

using integration::RunCommand;
using Result = integration::CommandResult;

std::vector<std::string> Invoke(std::vector<std::string> args) {
  std::vector<std::string> argv = {kInvoke, "--bootstrap", kFakeBootstrap};
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

// Parses lmc-invoke --json output; fails the test when it is not one JSON object.
class JsonReport {
 public:
  explicit JsonReport(const std::string& text) : json_(text) {
    EXPECT_EQ(parser_.parse(json_).get(root_), simdjson::SUCCESS) << text;
  }
  uint64_t Uint(const char* key) {
    uint64_t v = 0;
    EXPECT_EQ(root_[key].get(v), simdjson::SUCCESS) << key;
    return v;
  }
  int64_t Int(const char* key, const char* inner) {
    int64_t v = 0;
    EXPECT_EQ(root_[key][inner].get(v), simdjson::SUCCESS) << key << "." << inner;
    return v;
  }
  bool Bool(const char* key) {
    bool v = false;
    EXPECT_EQ(root_[key].get(v), simdjson::SUCCESS) << key;
    return v;
  }
  std::string Sample(size_t i, const char* field) {
    std::string_view v;
    if (root_["samples"].at(i)[field].get(v) != simdjson::SUCCESS) return "<null>";
    return std::string(v);
  }
  size_t SampleCount() {
    simdjson::dom::array a;
    EXPECT_EQ(root_["samples"].get(a), simdjson::SUCCESS);
    return a.size();
  }
  std::string String(const char* key) {
    std::string_view v;
    EXPECT_EQ(root_[key].get(v), simdjson::SUCCESS) << key;
    return std::string(v);
  }

 private:
  simdjson::padded_string json_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
};

TEST(LmcInvoke, AnswersEveryEventAndExitsZero) {
  const Result r = RunCommand(Invoke({"--handler", "echo", "--concurrency", "4", "--event",
                                      R"({"n":1})", "--count", "20", "--json"}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  JsonReport report(r.out);
  EXPECT_TRUE(report.Bool("ok"));
  EXPECT_EQ(report.Uint("invocations"), 20u);
  EXPECT_EQ(report.Uint("answered"), 20u);
  EXPECT_EQ(report.Uint("responses"), 20u);
  EXPECT_EQ(report.Uint("unanswered"), 0u);
  EXPECT_EQ(report.Uint("duplicate_answers"), 0u);
  EXPECT_EQ(report.Uint("concurrency"), 4u);
  EXPECT_EQ(report.Int("exit", "code"), 0);
  ASSERT_EQ(report.SampleCount(), 3u);
  EXPECT_EQ(report.Sample(0, "body"), R"({"n":1})");
  EXPECT_EQ(report.Sample(0, "kind"), "response");
  EXPECT_EQ(report.Sample(0, "content_type"), "application/json");
}

TEST(LmcInvoke, ReachesTheRequestedConcurrency) {
  // The barrier handler answers only once 4 invocations run at the same time.
  const Result r = RunCommand(Invoke({"--handler", "barrier", "--concurrency", "4", "--event", "{}",
                                      "--count", "8", "--json", "--deadline-s", "30"}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  JsonReport report(r.out);
  EXPECT_EQ(report.Uint("max_in_flight"), 4u);
  EXPECT_GE(report.Uint("max_outstanding"), 4u);
  EXPECT_EQ(report.Uint("answered"), 8u);
}

TEST(LmcInvoke, CountsErrorAnswersAsAnswered) {
  const Result r =
      RunCommand(Invoke({"--handler", "error", "--event", "{}", "--count", "3", "--json"}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  JsonReport report(r.out);
  EXPECT_EQ(report.Uint("errors"), 3u);
  EXPECT_EQ(report.Uint("responses"), 0u);
  EXPECT_EQ(report.Sample(0, "kind"), "error");
  EXPECT_EQ(report.Sample(0, "error_type"), "Function.TestError");
  EXPECT_THAT(report.Sample(0, "body"), HasSubstr("requested failure"));
}

TEST(LmcInvoke, FailsWhenTheBootstrapCrashes) {
  const Result r =
      RunCommand(Invoke({"--handler", "crash", "--event", "{}", "--count", "3", "--json"}));
  EXPECT_EQ(r.code, 1);
  JsonReport report(r.out);
  EXPECT_FALSE(report.Bool("ok"));
  EXPECT_EQ(report.Uint("unanswered"), 3u);
  EXPECT_EQ(report.Int("exit", "code"), 3);
  EXPECT_THAT(r.err, HasSubstr("fake_bootstrap: handler=crash"));  // the log tail on failure
}

TEST(LmcInvoke, FailsOnDuplicateAnswers) {
  const Result r =
      RunCommand(Invoke({"--handler", "double", "--event", "{}", "--count", "2", "--json"}));
  EXPECT_EQ(r.code, 1);
  JsonReport report(r.out);
  EXPECT_EQ(report.Uint("answered"), 2u);
  // One worker answers event 1 twice before it asks for event 2, so that duplicate is always
  // seen; the last event's duplicate may lose the race with the SIGTERM that follows the close.
  EXPECT_GE(report.Uint("duplicate_answers"), 1u);
}

TEST(LmcInvoke, KillsABootstrapThatIgnoresSigterm) {
  const Result r = RunCommand(
      Invoke({"--handler", "ignore_sigterm", "--event", "{}", "--term-grace-ms", "200", "--json"}));
  EXPECT_EQ(r.code, 1);
  JsonReport report(r.out);
  EXPECT_EQ(report.Uint("answered"), 1u);
  EXPECT_EQ(report.Int("exit", "signal"), SIGKILL);
}

TEST(LmcInvoke, StopsWaitingAtTheDeadline) {
  const Result r =
      RunCommand(Invoke({"--handler", "hang", "--event", "{}", "--deadline-s", "0.3", "--json"}));
  EXPECT_EQ(r.code, 1);
  JsonReport report(r.out);
  EXPECT_EQ(report.Uint("unanswered"), 1u);
  EXPECT_THAT(report.String("stopped"), HasSubstr("deadline"));
  EXPECT_EQ(report.Sample(0, "kind"), "<null>");  // dispatched, never answered
}

TEST(LmcInvoke, GivesTheBootstrapACleanLambdaEnvironment) {
  const Result r =
      RunCommand(Invoke({"--handler", "env", "--concurrency", "2", "--env", "LMC_EXTRA=42", "--env",
                         "AWS_LAMBDA_FUNCTION_NAME=custom", "--event", "{}", "--json"}),
                 "", {"HOME=/home/should-not-leak"});
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  JsonReport report(r.out);
  EXPECT_EQ(report.Sample(0, "body"),
            R"({"_HANDLER":"env","AWS_LAMBDA_MAX_CONCURRENCY":"2",)"
            R"("AWS_LAMBDA_FUNCTION_NAME":"custom","LMC_EXTRA":"42","HOME":null})");
}

TEST(LmcInvoke, ReadsEventsFromFilesDirectoriesAndStdin) {
  namespace fs = std::filesystem;
  const fs::path dir = fs::path(::testing::TempDir()) / "lmc_invoke_events";
  fs::remove_all(dir);
  fs::create_directories(dir / "batch");
  std::ofstream(dir / "batch" / "2.json") << R"({"i":2})";
  std::ofstream(dir / "batch" / "1.json") << R"({"i":1})";
  std::ofstream(dir / "last.json") << R"({"i":3})";
  std::ofstream(dir / "lines.txt") << "{\"l\":1}\n\n{\"l\":2}\n";

  const Result files = RunCommand(Invoke({"--handler", "echo", "--events", (dir / "batch").string(),
                                          (dir / "last.json").string(), "--json"}));
  ASSERT_EQ(files.code, 0) << files.out << files.err;
  JsonReport from_files(files.out);
  EXPECT_EQ(from_files.Uint("invocations"), 3u);
  EXPECT_EQ(from_files.Sample(0, "body"), R"({"i":1})");
  EXPECT_EQ(from_files.Sample(1, "body"), R"({"i":2})");
  EXPECT_EQ(from_files.Sample(2, "body"), R"({"i":3})");

  const Result lines =
      RunCommand(Invoke({"--handler", "echo", "--stdin", "--json"}), (dir / "lines.txt").string());
  ASSERT_EQ(lines.code, 0) << lines.out << lines.err;
  JsonReport from_stdin(lines.out);
  EXPECT_EQ(from_stdin.Uint("invocations"), 2u);
  EXPECT_EQ(from_stdin.Sample(1, "body"), R"({"l":2})");
  fs::remove_all(dir);
}

TEST(LmcInvoke, HumanSummaryShowsCountsAndSamples) {
  const Result r = RunCommand(Invoke(
      {"--handler", "echo", "--event", R"({"hello":"world"})", "--count", "5", "--show", "2"}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("lmc-invoke: handler=echo concurrency=unset"));
  EXPECT_THAT(r.out,
              HasSubstr("invocations   5 sent, 5 answered (5 responses, 0 errors), 0 unanswered"));
  EXPECT_THAT(r.out, HasSubstr("exit          bootstrap exited 0 after SIGTERM"));
  EXPECT_THAT(r.out, HasSubstr("samples       #1 202 application/json {\"hello\":\"world\"}"));
  EXPECT_THAT(r.out, HasSubstr("#2 202"));
  EXPECT_THAT(r.out, Not(HasSubstr("#3 202")));
  EXPECT_EQ(r.err, "");  // the bootstrap's output is shown only on failure
}

TEST(LmcInvoke, ReportsAnInitError) {
  const Result r = RunCommand(Invoke({"--handler", "init_error", "--event", "{}"}));
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.out, HasSubstr("init error    202 Runtime.InitFailure"));
  EXPECT_THAT(r.out, HasSubstr("bootstrap exited 1 before lmc-invoke stopped it"));
}

TEST(LmcInvoke, WritesBootstrapOutputToTheLogFile) {
  const std::string logs = ::testing::TempDir() + "/lmc_invoke_logs.txt";
  const Result r = RunCommand(Invoke({"--handler", "echo", "--event", "{}", "--logs", logs}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::ifstream in(logs);
  std::string first_line;
  std::getline(in, first_line);
  EXPECT_EQ(first_line, "fake_bootstrap: handler=echo concurrency=1");
  unlink(logs.c_str());
}

TEST(LmcInvoke, WritesEveryWholeAnswerToTheAnswersFile) {
  // Longer than a report sample (4 KB), with a line break: the file keeps it whole, on one line.
  const std::string big(6000, 'x');
  const std::string answers = ::testing::TempDir() + "/lmc_invoke_answers.txt";
  const std::string dir = ::testing::TempDir() + "/lmc_invoke_answer_events";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/1.json") << R"({"a":1})";
  std::ofstream(dir + "/2.json") << "{\"big\":\n\"" << big << "\"}";
  const Result r = RunCommand(
      Invoke({"--handler", "echo", "--events", dir, "--answers", answers, "--show", "0"}));
  ASSERT_EQ(r.code, 0) << r.out << r.err;
  std::ifstream in(answers);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, R"({"a":1})");
  std::getline(in, line);
  EXPECT_EQ(line, "{\"big\": \"" + big + "\"}");
  EXPECT_FALSE(std::getline(in, line));
  unlink(answers.c_str());
  std::filesystem::remove_all(dir);
}

TEST(LmcInvoke, ReportsABootstrapThatCannotBeExecuted) {
  const Result r = RunCommand(
      {kInvoke, "--bootstrap", "/nonexistent/bootstrap", "--handler", "x", "--event", "{}"});
  EXPECT_EQ(r.code, 1);
  EXPECT_THAT(r.err, HasSubstr("/nonexistent/bootstrap"));
}

TEST(LmcInvoke, RejectsBadUsageWithStatus2) {
  const std::vector<std::vector<std::string>> bad = {
      {kInvoke, "--handler", "echo", "--event", "{}"},                      // no --bootstrap
      Invoke({"--event", "{}"}),                                            // no --handler
      Invoke({"--handler", "echo"}),                                        // no events
      Invoke({"--handler", "echo", "--event", "{}", "--stdin"}),            // two sources
      Invoke({"--handler", "echo", "--events", "x.json", "--count", "2"}),  // --count w/o --event
      Invoke({"--handler", "echo", "--event", "{}", "--count", "many"}),
      Invoke({"--handler", "echo", "--event", "{}", "--concurrency", "0"}),
      Invoke({"--handler", "echo", "--event", "{}", "--env", "NOEQUALS"}),
      Invoke({"--handler", "echo", "--event", "{}", "--frobnicate"}),
      Invoke({"--handler", "echo", "--events", "/nonexistent/events.json"}),
  };
  for (const auto& argv : bad) {
    const Result r = RunCommand(argv);
    EXPECT_EQ(r.code, 2) << testing::PrintToString(argv);
    EXPECT_THAT(r.err, HasSubstr("lmc-invoke: ")) << testing::PrintToString(argv);
  }
  EXPECT_EQ(RunCommand({kInvoke, "--help"}).code, 0);
}

// Starts lmc-emulator with `args` and returns it with its address (after the first line).
std::unique_ptr<Subprocess> StartEmulatorCommand(std::vector<std::string> args,
                                                 std::string* address,
                                                 const std::string& stdin_path = "") {
  Subprocess::Options options;
  options.argv = {kEmulator};
  options.argv.insert(options.argv.end(), args.begin(), args.end());
  options.stdin_path = stdin_path;
  auto started = Subprocess::Start(std::move(options));
  EXPECT_TRUE(started.ok()) << started.status();
  if (!started.ok()) return nullptr;
  EXPECT_TRUE((*started)->WaitForOutput("\n", kWait));
  const std::string first = (*started)->stdout_text();
  const std::string prefix = "AWS_LAMBDA_RUNTIME_API=";
  EXPECT_EQ(first.substr(0, prefix.size()), prefix);
  *address = first.substr(prefix.size(), first.find('\n') - prefix.size());
  return *std::move(started);
}

std::unique_ptr<Subprocess> StartFakeBootstrap(const std::string& address) {
  Subprocess::Options options;
  options.argv = {kFakeBootstrap};
  options.env = {"AWS_LAMBDA_RUNTIME_API=" + address, "_HANDLER=echo",
                 "AWS_LAMBDA_MAX_CONCURRENCY=2"};
  auto started = Subprocess::Start(std::move(options));
  EXPECT_TRUE(started.ok()) << started.status();
  return started.ok() ? *std::move(started) : nullptr;
}

int CountLines(const std::string& text, std::string_view prefix) {
  int n = 0;
  for (size_t at = 0; (at = text.find(prefix, at)) != std::string::npos; at += prefix.size()) {
    n += at == 0 || text[at - 1] == '\n';
  }
  return n;
}

TEST(LmcEmulator, ServesEventsAndExitsOnceAllAreAnswered) {
  std::string address;
  auto server = StartEmulatorCommand(
      {"--event", R"({"x":1})", "--count", "3", "--exit-when-done", "--concurrency-report"},
      &address);
  ASSERT_NE(server, nullptr);
  auto bootstrap = StartFakeBootstrap(address);
  ASSERT_NE(bootstrap, nullptr);
  ASSERT_TRUE(server->WaitForExit(kWait));
  EXPECT_EQ(server->exit_status().code, 0);
  const std::string out = server->stdout_text();
  EXPECT_EQ(CountLines(out, "answered "), 3) << out;
  EXPECT_THAT(out, HasSubstr(R"(response 202 )"));
  EXPECT_THAT(out, HasSubstr(R"({"x":1} in_flight=)"));
  // Statistics come last, after every answer line.
  EXPECT_GT(out.find("stats next_calls="), out.rfind("answered "));
  EXPECT_THAT(out, HasSubstr("responses=3"));
  // The server closing its connections ends the fake runtime's workers.
  EXPECT_TRUE(bootstrap->WaitForExit(kWait));
}

TEST(LmcEmulator, QueuesOneEventPerStdinLine) {
  const std::string lines = ::testing::TempDir() + "/lmc_emulator_lines.txt";
  std::ofstream(lines) << "{\"line\":1}\n{\"line\":2}\n";
  std::string address;
  auto server = StartEmulatorCommand({"--stdin", "--exit-when-done"}, &address, lines);
  ASSERT_NE(server, nullptr);
  auto bootstrap = StartFakeBootstrap(address);
  ASSERT_TRUE(server->WaitForExit(kWait));
  const std::string out = server->stdout_text();
  EXPECT_EQ(CountLines(out, "answered "), 2) << out;
  EXPECT_THAT(out, HasSubstr(R"({"line":2})"));
  unlink(lines.c_str());
}

TEST(LmcEmulator, PrintsStatisticsOnSigterm) {
  std::string address;
  auto server = StartEmulatorCommand({}, &address);
  ASSERT_NE(server, nullptr);
  ASSERT_TRUE(server->Signal(SIGTERM).ok());
  ASSERT_TRUE(server->WaitForExit(kWait));
  EXPECT_TRUE(server->exit_status().exited);
  EXPECT_EQ(server->exit_status().code, 0);
  EXPECT_THAT(server->stdout_text(), HasSubstr("stats next_calls=0 dispatched=0"));
}

TEST(LmcEmulator, RejectsBadUsageWithStatus2) {
  EXPECT_EQ(RunCommand({kEmulator, "--port", "70000"}).code, 2);
  EXPECT_EQ(RunCommand({kEmulator, "--count", "3"}).code, 2);
  EXPECT_EQ(RunCommand({kEmulator, "--bogus"}).code, 2);
}

}  // namespace
}  // namespace lmc::emulator
