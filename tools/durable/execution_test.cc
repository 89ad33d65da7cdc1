#include "tools/durable/execution.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"

namespace lmc::durable_service {
namespace {

using ::testing::HasSubstr;

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);

class NoHooks : public OperationLog::Hooks {
 public:
  std::string NewCallbackId(const Operation& op) override { return "cb-" + op.id; }
  ChainedStart StartChainedInvoke(const Operation&, const OperationUpdate&) override { return {}; }
};

// The CheckpointToken member of a JSON answer or event.
std::string TokenOf(const std::string& json) {
  simdjson::dom::parser parser;
  std::string_view token;
  if (parser.parse(json)["CheckpointToken"].get(token) != simdjson::SUCCESS) return "";
  return std::string(token);
}

OperationUpdate Wait(std::string id, int64_t seconds) {
  OperationUpdate u;
  u.id = std::move(id);
  u.type = OperationType::kWait;
  u.action = OperationAction::kStart;
  u.wait_seconds = seconds;
  return u;
}

class ExecutionTest : public ::testing::Test {
 protected:
  ExecutionTest()
      : exec_(ExecutionConfig{.arn = "arn:x", .function_name = "f", .input = "{}"}, kT0) {}

  // Begins an invocation and checkpoints `updates` with its token; returns the next token.
  std::string InvokeAndCheckpoint(std::vector<OperationUpdate> updates, absl::Time at = kT0) {
    token_ = TokenOf(exec_.BeginInvocation("req-" + std::to_string(++n_), at));
    absl::StatusOr<std::string> answer = exec_.Checkpoint(
        CheckpointRequest{.checkpoint_token = token_, .updates = updates}, at, hooks_);
    EXPECT_TRUE(answer.ok()) << answer.status();
    return TokenOf(answer.value_or(""));
  }
  void EndPending(absl::Time at = kT0) {
    exec_.EndInvocation("req-" + std::to_string(n_),
                        InvocationResult{.body = R"({"Status":"PENDING"})"}, at);
  }

  Execution exec_;
  NoHooks hooks_;
  std::string token_;
  int n_ = 0;
};

TEST_F(ExecutionTest, WithoutSkippingATimerFiresOnlyWhenRealTimeReachesIt) {
  InvokeAndCheckpoint({Wait("w", 10)});
  EndPending();
  EXPECT_FALSE(exec_.WantsInvocation());
  EXPECT_EQ(exec_.NextDue(kT0, /*skip=*/false), kT0 + absl::Seconds(10));
  EXPECT_FALSE(exec_.FireDue(kT0 + absl::Seconds(9), /*skip=*/false));
  EXPECT_TRUE(exec_.FireDue(kT0 + absl::Seconds(10), /*skip=*/false));
  EXPECT_TRUE(exec_.WantsInvocation());
  EXPECT_EQ(exec_.Now(kT0), kT0);  // no skew: real time
}

TEST_F(ExecutionTest, TheClockIsNotSkippedWhileAnInvocationIsInFlight) {
  InvokeAndCheckpoint({Wait("w", 3600)});
  EXPECT_FALSE(exec_.FireDue(kT0, /*skip=*/true));  // still in flight
  EXPECT_EQ(exec_.NextDue(kT0, true), kT0 + absl::Hours(1));
  EndPending();
  EXPECT_EQ(exec_.NextDue(kT0, true), kT0);  // due now: it may skip
  EXPECT_TRUE(exec_.FireDue(kT0, true));
  EXPECT_EQ(exec_.Now(kT0), kT0 + absl::Hours(1));
  EXPECT_EQ(exec_.log().Find("w")->status, OperationStatus::kSucceeded);
}

TEST_F(ExecutionTest, AStateMarkerIsValidOnlyForItsSnapshotAndATokenOnlyForItsInvocation) {
  ExecutionConfig config{.arn = "arn:x", .function_name = "f", .input = "{}", .page_items = 1};
  Execution exec(config, kT0);
  const std::string token = TokenOf(exec.BeginInvocation("r1", kT0));
  EXPECT_TRUE(exec.GetState(token, std::nullopt, 1).ok());
  EXPECT_THAT(exec.GetState(token, "999:1", 1).status().message(), HasSubstr("Invalid marker"));
  EXPECT_THAT(exec.GetState("other", std::nullopt, 1).status().message(),
              HasSubstr("Invalid Checkpoint Token"));
}

TEST_F(ExecutionTest, PendingWithNothingPendingIsAFailedInvocationThatIsRetried) {
  InvokeAndCheckpoint({});
  EndPending();
  ASSERT_EQ(exec_.history().events().size(), 2u);
  const HistoryEvent& completed = exec_.history().events()[1];
  EXPECT_EQ(completed.type, "InvocationCompleted");
  ASSERT_TRUE(completed.details.error.has_value());
  EXPECT_THAT(*completed.details.error->error_message, HasSubstr("no pending operations"));
  EXPECT_TRUE(exec_.FireDue(kT0, true));  // the retry timer
  EXPECT_TRUE(exec_.WantsInvocation());
}

TEST_F(ExecutionTest, HeartbeatsPushTheHeartbeatTimeoutBackAndATimedOutCallbackRefusesAnswers) {
  OperationUpdate cb;
  cb.id = "cb";
  cb.type = OperationType::kCallback;
  cb.action = OperationAction::kStart;
  cb.callback_heartbeat_seconds = 10;
  InvokeAndCheckpoint({cb});
  EndPending();
  EXPECT_TRUE(exec_.Heartbeat("cb", kT0 + absl::Seconds(8)).ok());
  EXPECT_FALSE(exec_.FireDue(kT0 + absl::Seconds(12), /*skip=*/false));
  EXPECT_TRUE(exec_.FireDue(kT0 + absl::Seconds(18), /*skip=*/false));
  EXPECT_EQ(exec_.log().Find("cb")->error->error_type, "Callback.Heartbeat");
  absl::Status late = exec_.CompleteCallback("cb", OperationLog::Completion::kSucceeded, "1",
                                             std::nullopt, kT0 + absl::Seconds(20));
  EXPECT_TRUE(absl::IsFailedPrecondition(late)) << late;
  EXPECT_TRUE(absl::IsInvalidArgument(exec_.Heartbeat("nope", kT0)));
}

TEST_F(ExecutionTest, AnEndedInvocationsTokensAreRejectedAndItsAnswerIgnoredTwice) {
  const std::string next = InvokeAndCheckpoint({Wait("w", 5)});
  EndPending();
  absl::StatusOr<std::string> late =
      exec_.Checkpoint(CheckpointRequest{.checkpoint_token = next}, kT0, hooks_);
  EXPECT_THAT(late.status().message(), HasSubstr("no invocation"));
  EndPending();  // a second answer for the same request changes nothing
  EXPECT_EQ(exec_.history().events().size(), 3u);
}

TEST_F(ExecutionTest, RecordsEveryCheckpointCallAsItArrivedAppliedOrNot) {
  const std::string next = InvokeAndCheckpoint({Wait("w", 10)});
  // The first token again: refused (each token is used once), but recorded.
  EXPECT_FALSE(
      exec_
          .Checkpoint(CheckpointRequest{.checkpoint_token = token_, .updates = {Wait("x", 1)}}, kT0,
                      hooks_)
          .ok());
  const ExecutionSnapshot s = exec_.Snapshot();
  ASSERT_EQ(s.checkpoints.size(), 2u);
  EXPECT_EQ(s.checkpoints[0].invocation, 1);
  EXPECT_TRUE(s.checkpoints[0].applied);
  ASSERT_EQ(s.checkpoints[0].updates.size(), 1u);
  EXPECT_EQ(s.checkpoints[0].updates[0].id, "w");
  EXPECT_FALSE(s.checkpoints[1].applied);
  EXPECT_EQ(s.checkpoints[1].updates[0].id, "x");
  EXPECT_FALSE(next.empty());
}

}  // namespace
}  // namespace lmc::durable_service
