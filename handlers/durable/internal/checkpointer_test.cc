#include "handlers/durable/internal/checkpointer.h"

#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/testing/fake_checkpoint_service.h"
#include "lmc/mutex.h"

namespace lmc::durable::internal {
namespace {

using ::testing::ElementsAre;

OperationUpdate Update(const std::string& id, size_t payload_bytes = 0) {
  OperationUpdate update;
  update.id = id;
  update.type = OperationType::kStep;
  update.sub_type = "Step";
  update.action = OperationAction::kStart;
  if (payload_bytes > 0) update.payload = std::string(payload_bytes, 'p');
  return update;
}

// Answers from a script and records what it was asked.
class ScriptedService : public CheckpointService {
 public:
  absl::StatusOr<CheckpointResponse> Checkpoint(const CheckpointRequest& request) override {
    MutexLock lock(&mu_);
    requests.push_back(request);
    if (!checkpoint_answers.empty()) {
      absl::StatusOr<CheckpointResponse> answer = checkpoint_answers.front();
      checkpoint_answers.erase(checkpoint_answers.begin());
      return answer;
    }
    return CheckpointResponse{"token-" + std::to_string(requests.size()), {}, ""};
  }
  absl::StatusOr<StateResponse> GetState(const StateRequest& request) override {
    MutexLock lock(&mu_);
    state_requests.push_back(request);
    if (state_answers.empty()) return absl::InternalError("no scripted state answer");
    StateResponse answer = state_answers.front();
    state_answers.erase(state_answers.begin());
    return answer;
  }

  Mutex mu_;
  std::vector<CheckpointRequest> requests;
  std::vector<StateRequest> state_requests;
  std::vector<absl::StatusOr<CheckpointResponse>> checkpoint_answers;
  std::vector<StateResponse> state_answers;
};

std::vector<std::string> Ids(const CheckpointRequest& request) {
  std::vector<std::string> ids;
  for (const OperationUpdate& update : request.updates) ids.push_back(update.id);
  return ids;
}

CheckpointOptions NoDelay() {
  CheckpointOptions options;
  options.retry_base = std::chrono::milliseconds(0);
  return options;
}

TEST(Checkpointer, QueuedUpdatesRideAlongWithTheNextCommitInOneRequest) {
  ScriptedService service;
  Checkpointer checkpointer(service, "arn", "token-0", NoDelay(), [](std::vector<Operation>) {});
  checkpointer.Enqueue(Update("a"));
  checkpointer.Enqueue(Update("b"));
  EXPECT_TRUE(service.requests.empty());  // Enqueue never touches the network
  ASSERT_TRUE(checkpointer.Commit(Update("c")).ok());
  ASSERT_EQ(service.requests.size(), 1u);
  EXPECT_THAT(Ids(service.requests[0]), ElementsAre("a", "b", "c"));
  EXPECT_EQ(service.requests[0].checkpoint_token, "token-0");
  ASSERT_TRUE(checkpointer.Commit(Update("d")).ok());
  EXPECT_EQ(service.requests[1].checkpoint_token, "token-1");  // each token used once
  ASSERT_TRUE(checkpointer.Flush().ok());
  EXPECT_EQ(service.requests.size(), 2u);  // nothing queued: no request
}

TEST(Checkpointer, BatchLimitsSplitTheQueueInOrder) {
  ScriptedService service;
  CheckpointOptions options = NoDelay();
  options.max_batch_updates = 2;
  options.max_batch_bytes = 4096;
  Checkpointer checkpointer(service, "arn", "t", options, [](std::vector<Operation>) {});
  for (const char* id : {"a", "b", "c", "d", "e"}) checkpointer.Enqueue(Update(id));
  checkpointer.Enqueue(Update("big", 10'000));  // larger than a batch: sent alone
  checkpointer.Enqueue(Update("f"));
  ASSERT_TRUE(checkpointer.Flush().ok());
  ASSERT_EQ(service.requests.size(), 5u);
  EXPECT_THAT(Ids(service.requests[0]), ElementsAre("a", "b"));
  EXPECT_THAT(Ids(service.requests[1]), ElementsAre("c", "d"));
  EXPECT_THAT(Ids(service.requests[2]), ElementsAre("e"));
  EXPECT_THAT(Ids(service.requests[3]), ElementsAre("big"));
  EXPECT_THAT(Ids(service.requests[4]), ElementsAre("f"));
}

TEST(Checkpointer, ConcurrentCommitsAreSerialisedAndUseEveryTokenOnce) {
  lmc::FakeClock clock;
  testing::FakeCheckpointService service(clock);
  service.StartExecution("arn", "{}");
  // The token of the execution's next invocation, as its event carries it.
  absl::StatusOr<InvocationInput> input = ParseInvocationInput(service.NextEvent("arn"));
  ASSERT_TRUE(input.ok());
  const std::string token = input->checkpoint_token;
  Checkpointer checkpointer(service, "arn", token, NoDelay(), [](std::vector<Operation>) {});
  constexpr int kThreads = 16;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        EXPECT_TRUE(checkpointer.Commit(Update(std::to_string(t) + "-" + std::to_string(i))).ok());
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(service.overlapping_calls(), 0);
  EXPECT_EQ(service.rejected_tokens(), 0);
  std::set<std::string> seen;
  for (const CheckpointRequest& request : service.Batches("arn")) {
    for (const OperationUpdate& update : request.updates) {
      EXPECT_TRUE(seen.insert(update.id).second) << update.id;
    }
  }
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kPerThread));
}

TEST(Checkpointer, TransientFailuresAreRetriedWithTheSameClientToken) {
  ScriptedService service;
  service.checkpoint_answers = {absl::UnavailableError("503"),
                                absl::ResourceExhaustedError("429 TooManyRequestsException")};
  Checkpointer checkpointer(service, "arn", "t", NoDelay(), [](std::vector<Operation>) {});
  ASSERT_TRUE(checkpointer.Commit(Update("a")).ok());
  ASSERT_EQ(service.requests.size(), 3u);
  EXPECT_FALSE(service.requests[0].client_token.empty());
  EXPECT_EQ(service.requests[1].client_token, service.requests[0].client_token);
  EXPECT_EQ(service.requests[2].client_token, service.requests[0].client_token);
  EXPECT_EQ(service.requests[2].checkpoint_token, "t");
}

TEST(Checkpointer, TransientFailuresGiveUpAfterTheAttemptsAllowed) {
  ScriptedService service;
  for (int i = 0; i < 10; ++i) service.checkpoint_answers.push_back(absl::UnavailableError("down"));
  Checkpointer checkpointer(service, "arn", "t", NoDelay(), [](std::vector<Operation>) {});
  absl::Status status = checkpointer.Commit(Update("a"));
  EXPECT_TRUE(absl::IsUnavailable(status)) << status;
  EXPECT_EQ(service.requests.size(), 4u);
}

TEST(Checkpointer, ARefusalBreaksTheCheckpointerForEveryLaterCall) {
  ScriptedService service;
  service.checkpoint_answers = {absl::InvalidArgumentError("ValidationException: bad payload")};
  Checkpointer checkpointer(service, "arn", "t", NoDelay(), [](std::vector<Operation>) {});
  checkpointer.Enqueue(Update("queued"));
  absl::Status first = checkpointer.Commit(Update("a"));
  EXPECT_TRUE(absl::IsInvalidArgument(first)) << first;
  EXPECT_THAT(std::string(first.message()), ::testing::HasSubstr("CheckpointDurableExecution"));
  EXPECT_EQ(checkpointer.Commit(Update("b")), first);
  EXPECT_EQ(checkpointer.Flush(), first);
  EXPECT_EQ(service.requests.size(), 1u);  // nothing sent after the refusal
}

TEST(Checkpointer, AnswerWithoutATokenEndsTheExecution) {
  ScriptedService service;
  service.checkpoint_answers = {CheckpointResponse{std::nullopt, {}, ""}};
  Checkpointer checkpointer(service, "arn", "t", NoDelay(), [](std::vector<Operation>) {});
  ASSERT_TRUE(checkpointer.Commit(Update("a")).ok());
  EXPECT_TRUE(checkpointer.ended());
  EXPECT_TRUE(absl::IsFailedPrecondition(checkpointer.Commit(Update("b"))));
  EXPECT_EQ(service.requests.size(), 1u);
}

TEST(Checkpointer, AnswersNextMarkerIsPagedWithTheNewTokenAndEveryPageApplied) {
  ScriptedService service;
  Operation op_a;
  op_a.id = "a";
  Operation op_b;
  op_b.id = "b";
  Operation op_c;
  op_c.id = "c";
  service.checkpoint_answers = {CheckpointResponse{"new-token", {op_a}, "m1"}};
  service.state_answers = {StateResponse{{op_b}, "m2"}, StateResponse{{op_c}, ""}};
  std::vector<std::string> applied;
  Checkpointer checkpointer(service, "arn", "t", NoDelay(), [&](std::vector<Operation> ops) {
    for (const Operation& op : ops) applied.push_back(op.id);
  });
  ASSERT_TRUE(checkpointer.Commit(Update("x")).ok());
  EXPECT_THAT(applied, ElementsAre("a", "b", "c"));
  ASSERT_EQ(service.state_requests.size(), 2u);
  EXPECT_EQ(service.state_requests[0].checkpoint_token, "new-token");
  EXPECT_EQ(service.state_requests[0].marker, "m1");
  EXPECT_EQ(service.state_requests[1].marker, "m2");
  EXPECT_EQ(service.state_requests[1].max_items, 1000);
}

TEST(Checkpointer, AMarkerThatRepeatsIsAnErrorNotALoop) {
  ScriptedService service;
  service.state_answers = {StateResponse{{}, "same"}};
  Checkpointer checkpointer(service, "arn", "t", NoDelay(), [](std::vector<Operation>) {});
  EXPECT_FALSE(checkpointer.LoadPages("same").ok());
}

}  // namespace
}  // namespace lmc::durable::internal
