#include "handlers/durable/internal/batch_runner.h"

#include <atomic>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/internal/operation_ids.h"
#include "handlers/durable/testing/durable_fixture.h"
#include "lmc/mutex.h"

namespace lmc::durable {
namespace {

using testing::DurableFixture;
using ::testing::ElementsAre;

using BatchTest = DurableFixture;

std::vector<BatchItemStatus> Statuses(const BatchResult<int>& batch) {
  std::vector<BatchItemStatus> statuses;
  for (const BatchItem<int>& item : batch.items()) statuses.push_back(item.status);
  return statuses;
}

TEST_F(BatchTest, MapRunsEveryItemAndKeepsResultsInItemOrder) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<int> squares =
        ctx.Map("squares", std::vector<int>{1, 2, 3, 4},
                [](DurableContext& item_ctx, const int& item, size_t) {
                  return item_ctx.Step("square", [&] { return item * item; });
                });
    EXPECT_EQ(squares.completion_reason(), CompletionReason::kAllCompleted);
    return squares.Results();
  });
  Start();
  EXPECT_EQ(Succeeds(handler).result, "[1,4,9,16]");
  // The iterations are the map context's operations 1..4, named map-item-<i>.
  std::optional<Operation> map = service_->FindByName(arn_, "squares");
  ASSERT_TRUE(map.has_value());
  EXPECT_EQ(map->sub_type, "Map");
  for (int i = 0; i < 4; ++i) {
    std::optional<Operation> item = service_->FindByName(arn_, "map-item-" + std::to_string(i));
    ASSERT_TRUE(item.has_value());
    EXPECT_EQ(item->id, internal::HashId(internal::StepId("1", i + 1)));
    EXPECT_EQ(item->parent_id, map->id);
    EXPECT_EQ(item->sub_type, "MapIteration");
  }
}

TEST_F(BatchTest, CompletedMapReplaysFromItsLoggedResult) {
  std::atomic<int> runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<std::string> upper = ctx.Map("upper", std::vector<std::string>{"a", "b"},
                                             [&](DurableContext&, const std::string& item) {
                                               ++runs;
                                               return item + "!";
                                             });
    ctx.Wait("pause", std::chrono::seconds(1));
    return upper.Results();
  });
  Start();
  Pends(handler);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, R"(["a!","b!"])");
  EXPECT_EQ(runs, 2);
}

TEST_F(BatchTest, MaxConcurrencyOneRunsItemsInOrderAndASuspendedItemHoldsItsSlot) {
  std::vector<std::string> order;
  Mutex mu;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<int> batch = ctx.Map("seq", std::vector<int>{0, 1, 2},
                                     [&](DurableContext& item_ctx, const int& item) {
                                       item_ctx.Step("work", [&] {
                                         MutexLock lock(&mu);
                                         order.push_back("run-" + std::to_string(item));
                                         return item;
                                       });
                                       if (item == 0) {
                                         item_ctx.Wait("slow", std::chrono::seconds(10));
                                       }
                                       return item;
                                     },
                                     {.max_concurrency = 1});
    return batch.Results();
  });
  Start();
  Pends(handler);
  EXPECT_THAT(order, ElementsAre("run-0"));  // item 1 must not start while item 0 waits
  clock_.Advance(std::chrono::seconds(10));
  EXPECT_EQ(Succeeds(handler).result, "[0,1,2]");
  EXPECT_THAT(order, ElementsAre("run-0", "run-1", "run-2"));
}

TEST_F(BatchTest, BranchThatMustSuspendLetsTheOthersFinishFirst) {
  std::atomic<int> finished = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<int> batch =
        ctx.Parallel<int>("fan-out", {[&](DurableContext& b) {
                                        b.Wait("later", std::chrono::seconds(30));
                                        return 1;
                                      },
                                      [&](DurableContext& b) {
                                        return b.Step("now", [&] {
                                          ++finished;
                                          return 2;
                                        });
                                      },
                                      {"named", [&](DurableContext& b) {
                                         return b.Step("now", [&] {
                                           ++finished;
                                           return 3;
                                         });
                                       }}});
    return batch.Results();
  });
  Start();
  Pends(handler);
  EXPECT_EQ(finished, 2);
  EXPECT_TRUE(service_->FindByName(arn_, "named").has_value());
  EXPECT_TRUE(service_->FindByName(arn_, "parallel-branch-1").has_value());
  clock_.Advance(std::chrono::seconds(30));
  EXPECT_EQ(Succeeds(handler).result, "[1,2,3]");
  EXPECT_EQ(finished, 2);  // replayed, not re-run
}

TEST_F(BatchTest, MinSuccessfulCompletesEarlyAndReportsTheRestAsStartedOrAbsent) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<int> batch = ctx.Map("first-two", std::vector<int>{0, 1, 2, 3},
                                     [](DurableContext&, const int& item) { return item; },
                                     {.max_concurrency = 1, .completion = {.min_successful = 2}});
    EXPECT_EQ(batch.completion_reason(), CompletionReason::kMinSuccessfulReached);
    EXPECT_EQ(batch.total_count(), 2u);
    return batch.Results();
  });
  Start();
  EXPECT_EQ(Succeeds(handler).result, "[0,1]");
  EXPECT_FALSE(service_->FindByName(arn_, "map-item-2").has_value());
}

TEST_F(BatchTest, FailuresBeyondTheToleranceStopStartingItems) {
  for (const CompletionConfig& config :
       {CompletionConfig{}, CompletionConfig{.tolerated_failure_count = 0},
        CompletionConfig{.tolerated_failure_percentage = 20.0}}) {
    DurableFixture::SetUp();
    arn_ += "x";
    lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
      BatchResult<int> batch = ctx.Map("stop-early", std::vector<int>{0, 1, 2, 3},
                                       [](DurableContext&, const int& item) -> int {
                                         if (item == 1) throw Failure("Item.Bad", "bad item");
                                         return item;
                                       },
                                       {.max_concurrency = 1, .completion = config});
      EXPECT_EQ(batch.completion_reason(), CompletionReason::kFailureToleranceExceeded);
      EXPECT_THAT(Statuses(batch),
                  ElementsAre(BatchItemStatus::kSucceeded, BatchItemStatus::kFailed));
      EXPECT_EQ(batch.Errors()[0].type, "Item.Bad");
      EXPECT_THROW(batch.ThrowIfError(), ChildContextError);
      return 0;
    });
    Start();
    Succeeds(handler);
  }
}

TEST_F(BatchTest, FailuresWithinTheToleranceLetEveryItemComplete) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<int> batch = ctx.Map("tolerant", std::vector<int>{0, 1, 2, 3},
                                     [](DurableContext&, const int& item) -> int {
                                       if (item % 2 == 1) throw Failure("Item.Bad", "odd");
                                       return item;
                                     },
                                     {.completion = {.tolerated_failure_percentage = 50.0}});
    EXPECT_EQ(batch.completion_reason(), CompletionReason::kAllCompleted);
    EXPECT_EQ(batch.failure_count(), 2u);
    return batch.Results();
  });
  Start();
  EXPECT_EQ(Succeeds(handler).result, "[0,2]");
}

TEST_F(BatchTest, ManyConcurrentBranchesShareOneSerialisedCheckpointStream) {
  constexpr int kBranches = 48;
  std::vector<int> items(kBranches);
  for (int i = 0; i < kBranches; ++i) items[i] = i;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<int> batch = ctx.Map("wide", items, [](DurableContext& b, const int& item) {
      int sum = 0;
      for (int s = 0; s < 3; ++s) sum += b.Step("s" + std::to_string(s), [&] { return item + s; });
      return sum;
    });
    return batch.success_count();
  });
  Start();
  EXPECT_EQ(Succeeds(handler).result, std::to_string(kBranches));
  EXPECT_EQ(service_->overlapping_calls(), 0);
  EXPECT_EQ(service_->rejected_tokens(), 0);
  // Every step's outcome went out exactly once, in fewer requests than updates (batching).
  std::set<std::string> succeeded;
  size_t updates = 0;
  for (const CheckpointRequest& request : service_->Batches(arn_)) {
    updates += request.updates.size();
    for (const OperationUpdate& update : request.updates) {
      if (update.type == OperationType::kStep && update.action == OperationAction::kSucceed) {
        EXPECT_TRUE(succeeded.insert(update.id).second) << update.id;
      }
    }
  }
  EXPECT_EQ(succeeded.size(), 3u * kBranches);
  EXPECT_LT(service_->Batches(arn_).size(), updates);
}

TEST_F(BatchTest, OversizedBatchResultIsLoggedAsASummaryAndRebuiltOnReplay) {
  std::atomic<int> runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<std::string> big =
        ctx.Map("big", std::vector<int>{0, 1, 2, 3}, [&](DurableContext&, const int& item) {
          ++runs;
          return std::string(70 * 1024, static_cast<char>('a' + item));
        });
    ctx.Wait("pause", std::chrono::seconds(1));
    size_t total = 0;
    for (const std::string& s : big.Results()) total += s.size();
    return total;
  });
  Start();
  Pends(handler);
  std::optional<Operation> map = service_->FindByName(arn_, "big");
  ASSERT_TRUE(map.has_value());
  EXPECT_TRUE(map->replay_children);
  EXPECT_THAT(*map->result, ::testing::HasSubstr(R"("type":"MapResult","totalCount":4)"));
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, std::to_string(4 * 70 * 1024));
  EXPECT_EQ(runs, 4);  // rebuilt from the iterations' logged results
}

TEST_F(BatchTest, EmptyMapCompletesAtOnce) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<int> batch =
        ctx.Map("none", std::vector<int>{}, [](DurableContext&, const int& item) { return item; });
    return batch.total_count();
  });
  Start();
  EXPECT_EQ(Succeeds(handler).result, "0");
}

TEST_F(BatchTest, NonPositiveMaxConcurrencyIsAnErrorOfTheWorkflow) {
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.Parallel<int>("bad", {[](DurableContext&) { return 1; }}, {.max_concurrency = 0})
        .total_count();
  });
  Start();
  EXPECT_EQ(Fails(handler).error->type, "std::invalid_argument");
  EXPECT_TRUE(Updates().empty());
}

TEST(BatchCodec, RoundTripsItemsAndTheCompletionReason) {
  context_internal::EncodedBatch batch;
  batch.reason = CompletionReason::kMinSuccessfulReached;
  batch.items.push_back({0, BatchItemStatus::kSucceeded, R"({"a":[1,2]})", std::nullopt});
  batch.items.push_back({2, BatchItemStatus::kFailed, "", ErrorObject{"T", "m", std::nullopt, {}}});
  batch.items.push_back({3, BatchItemStatus::kStarted, "", std::nullopt});
  absl::StatusOr<context_internal::EncodedBatch> back =
      internal::DecodeBatchJson(internal::EncodeBatch(batch));
  ASSERT_TRUE(back.ok()) << back.status();
  ASSERT_EQ(back->items.size(), 3u);
  EXPECT_EQ(back->reason, CompletionReason::kMinSuccessfulReached);
  EXPECT_EQ(back->items[0].result, R"({"a":[1,2]})");
  EXPECT_EQ(back->items[1].index, 2u);
  EXPECT_EQ(back->items[1].error->type, "T");
  EXPECT_EQ(back->items[2].status, BatchItemStatus::kStarted);
  EXPECT_FALSE(internal::DecodeBatchJson("[]").ok());
}

}  // namespace
}  // namespace lmc::durable
