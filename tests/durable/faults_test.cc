// How lmc::durable answers a service that fails it, end to end through the local service:
// throttling (429) and server errors (5xx) are retried in-process; a rejected checkpoint token,
// more server errors than the in-process retries, or a reset connection fail the invocation,
// which the service retries with a fresh token; an unreachable endpoint fails every invocation
// with a clear error until the execution fails. Never a crash, never a lost checkpoint: every
// step of the final log succeeded exactly once and the result is right. Also: many executions
// at once over one bootstrap at concurrency 8.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/durable/scenarios.h"
#include "tools/durable/local_runner.h"

namespace lmc::durable_testing {
namespace {

using durable_service::ApiFault;
using durable_service::ExecutionSnapshot;
using durable_service::ExecutionStatus;
using durable_service::HistoryEvent;
using durable_service::LocalRunner;
using durable_service::OperationStatus;
using durable_service::OperationType;
using durable_service::RunnerFunction;

// A port nothing listens on (bound, then closed).
int ClosedPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  close(fd);
  return port;
}

class DurableFaultsTest : public ::testing::Test {
 protected:
  void StartRunner(std::string endpoint = "") {
    runner_ = std::make_unique<LocalRunner>();
    ASSERT_TRUE(runner_->Start().ok());
    absl::Status s = runner_->AddFunction(RunnerFunction{.name = kConformanceFunction,
                                                         .bootstrap = LMC_CONFORMANCE_BOOTSTRAP,
                                                         .concurrency = 8,
                                                         .endpoint = std::move(endpoint)});
    ASSERT_TRUE(s.ok()) << s;
  }

  std::string Start(const std::string& tag) {
    absl::StatusOr<std::string> arn = runner_->service().StartExecution(
        kConformanceFunction,
        absl::StrCat(R"({"scenario":")", kStepsAndWait, R"(","input":")", tag, R"("})"));
    EXPECT_TRUE(arn.ok()) << arn.status();
    return arn.value_or("");
  }

  // Runs one execution to its end and returns it.
  ExecutionSnapshot RunOne(const std::string& tag) {
    const std::string arn = Start(tag);
    EXPECT_TRUE(runner_->service().WaitForExecution(arn, kWait));
    return runner_->service().Describe(arn).value_or(ExecutionSnapshot{});
  }

  // Nothing lost: each step is in the log once, SUCCEEDED with its result, the result is 5.
  static void ExpectComplete(const ExecutionSnapshot& s) {
    EXPECT_EQ(s.status, ExecutionStatus::kSucceeded);
    EXPECT_EQ(s.result, "5");
    std::vector<std::string> steps;
    for (const auto& op : s.operations) {
      if (op.type != OperationType::kStep) continue;
      EXPECT_EQ(op.status, OperationStatus::kSucceeded) << op.name.value_or(op.id);
      steps.push_back(op.name.value_or(""));
    }
    EXPECT_EQ(steps, (std::vector<std::string>{"square-0", "square-1", "square-2"}));
  }

  static int FailedInvocations(const ExecutionSnapshot& s, std::string* error_type = nullptr) {
    int n = 0;
    for (const HistoryEvent& e : s.history) {
      if (e.type == "InvocationCompleted" && e.details.error) {
        ++n;
        if (error_type != nullptr) *error_type = e.details.error->error_type.value_or("");
      }
    }
    return n;
  }

  std::unique_ptr<LocalRunner> runner_;
};

TEST_F(DurableFaultsTest, ThrottlingAndServerErrorsAreRetriedInProcessWithoutLosingACheckpoint) {
  StartRunner();
  runner_->service().InjectFaults({{.status = 429}, {.status = 500}, {.status = 503}});
  const ExecutionSnapshot s = RunOne("throttled");
  ExpectComplete(s);
  EXPECT_EQ(FailedInvocations(s), 0);
  EXPECT_EQ(s.invocations, 2);  // one before the wait, one after: no invocation was lost
  EXPECT_EQ(runner_->service().stats().faults_applied, 3u);
  const std::string out = runner_->output(kConformanceFunction);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(CountLines(out, absl::StrCat("body-run throttled square-", i)), 1) << i;
  }
}

TEST_F(DurableFaultsTest, ARejectedTokenFailsTheInvocationAndTheRetryCompletesTheExecution) {
  StartRunner();
  runner_->service().InjectFaults({{.invalid_token = true}});
  const ExecutionSnapshot s = RunOne("rejected");
  ExpectComplete(s);
  std::string type;
  EXPECT_EQ(FailedInvocations(s, &type), 1);
  EXPECT_EQ(type, "Durable.CheckpointFailed");
}

TEST_F(DurableFaultsTest, MoreServerErrorsThanInProcessRetriesFailOnlyTheInvocation) {
  StartRunner();
  runner_->service().InjectFaults(std::vector<ApiFault>(8, ApiFault{.status = 502}));
  const ExecutionSnapshot s = RunOne("persistent");
  ExpectComplete(s);
  EXPECT_GE(FailedInvocations(s), 1);
  EXPECT_EQ(runner_->service().stats().faults_applied, 8u);
}

TEST_F(DurableFaultsTest, AResetConnectionIsRetried) {
  StartRunner();
  runner_->service().InjectFaults({{.reset = true}, {.api = ApiFault::Api::kAny, .reset = true}});
  ExpectComplete(RunOne("reset"));
}

TEST_F(DurableFaultsTest, AnUnreachableEndpointFailsEveryInvocationClearlyThenTheExecution) {
  StartRunner(absl::StrCat("http://127.0.0.1:", ClosedPort()));
  const ExecutionSnapshot s = RunOne("unreachable");
  EXPECT_EQ(s.status, ExecutionStatus::kFailed);
  std::string type;
  EXPECT_EQ(FailedInvocations(s, &type), 5);  // the service's retry budget
  EXPECT_EQ(type, "Durable.CheckpointFailed");
  ASSERT_TRUE(s.error.has_value());
  EXPECT_FALSE(s.error->error_message.value_or("").empty());
}

TEST_F(DurableFaultsTest, ManyExecutionsAtOnceShareOneBootstrapAtConcurrencyEight) {
  StartRunner();
  constexpr int kExecutions = 64;
  std::vector<std::string> arns;
  for (int i = 0; i < kExecutions; ++i) arns.push_back(Start(absl::StrCat("many-", i)));
  ASSERT_TRUE(runner_->service().WaitForAll(kWait));
  const std::string out = runner_->output(kConformanceFunction);
  for (int i = 0; i < kExecutions; ++i) {
    const ExecutionSnapshot s = *runner_->service().Describe(arns[static_cast<size_t>(i)]);
    ExpectComplete(s);
    EXPECT_EQ(CountLines(out, absl::StrCat("body-run many-", i, " square-2")), 1) << i;
  }
  const emulator::Stats st = runner_->service().function_emulator(kConformanceFunction)->stats();
  EXPECT_EQ(st.max_in_flight, 8u);  // the bootstrap's 8 loops were all busy at once
  EXPECT_EQ(runner_->service().stats().invocations, 2u * kExecutions);
}

}  // namespace
}  // namespace lmc::durable_testing
