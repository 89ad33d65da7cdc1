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

TEST_F(BatchTest, FlatParallelLogsBranchOperationsDirectlyUnderTheBatch) {  // 8.12
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx
        .Parallel<std::string>(
            "flat",
            {[](DurableContext& b) { return b.Step("", [] { return std::string("fa"); }); },
             [](DurableContext& b) { return b.Step("", [] { return std::string("fb"); }); }},
            {.max_concurrency = 1, .nesting = NestingType::kFlat})
        .Results();
  });
  Start();
  EXPECT_EQ(Succeeds(handler).result, R"(["fa","fb"])");
  const std::string parallel = internal::HashId("1");
  std::vector<std::string> seen;
  for (const OperationUpdate& update : Updates()) {
    seen.push_back(std::string(ToString(update.type)) + "/" + std::string(ToString(update.action)));
    if (update.type == OperationType::kStep) {
      EXPECT_EQ(update.parent_id, parallel);  // no ParallelBranch context in between
    }
  }
  EXPECT_THAT(seen, ElementsAre("CONTEXT/START", "STEP/START", "STEP/SUCCEED", "STEP/START",
                                "STEP/SUCCEED", "CONTEXT/SUCCEED"));
  // Ids still derive from the branch's position: branch 0's step is "1-1-1".
  EXPECT_EQ(Updates()[1].id, internal::HashId("1-1-1"));
  EXPECT_EQ(Updates()[3].id, internal::HashId("1-2-1"));
}

TEST_F(BatchTest, FlatMapReplaysItsBranchesOverTheirLoggedOperations) {  // 9.12
  std::atomic<int> runs = 0;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx
        .Map("flat", std::vector<std::string>{"fa", "fb"},
             [&](DurableContext& item_ctx, const std::string& item) {
               std::string value = item_ctx.Step("", [&] {
                 ++runs;
                 return item;
               });
               item_ctx.Wait("", std::chrono::seconds(1));
               return value;
             },
             {.max_concurrency = 1, .nesting = NestingType::kFlat})
        .Results();
  });
  Start();
  Pends(handler);  // item 0 waits, holding the only slot
  clock_.Advance(std::chrono::seconds(1));
  Pends(handler);  // item 0 done (replayed), item 1 waits
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, R"(["fa","fb"])");
  EXPECT_EQ(runs, 2);
  for (const Operation& op : service_->Operations(arn_)) {
    EXPECT_NE(op.sub_type, "MapIteration");
  }
}

TEST_F(BatchTest, OversizedFlatBatchIsRebuiltFromItsCompletionRecord) {
  std::atomic<int> big_runs = 0;
  std::atomic<int> waits = 0;
  Mutex mu;
  bool second_started = false;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<std::string> batch = ctx.Parallel<std::string>(
        "big",
        {[&](DurableContext& b) {
           return b.Step("", [&] {
             // Branch 1 is running when the batch completes, so it is reported STARTED.
             MutexLock lock(&mu);
             mu.Await([&] { return second_started; });
             ++big_runs;
             return std::string(300 * 1024, 'x');
           });
         },
         [&](DurableContext& b) {
           {
             MutexLock lock(&mu);
             second_started = true;
           }
           ++waits;
           b.Wait("", std::chrono::seconds(60));
           return std::string("late");
         }},
        {.completion = {.min_successful = 1}, .nesting = NestingType::kFlat});
    ctx.Wait("pause", std::chrono::seconds(1));
    return std::vector<size_t>{batch.items().size(), batch.success_count(), batch.started_count(),
                               batch.Results().empty() ? 0 : batch.Results()[0].size()};
  });
  Start();
  Pends(handler);
  std::optional<Operation> logged = service_->FindByName(arn_, "big");
  ASSERT_TRUE(logged.has_value());
  EXPECT_TRUE(logged->replay_children);
  EXPECT_THAT(*logged->result, ::testing::HasSubstr(R"("startedIndexes":[1])"));
  const int waits_before = waits;
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, "[2,1,1," + std::to_string(300 * 1024) + "]");
  EXPECT_EQ(big_runs, 1);          // its step replayed from the log
  EXPECT_EQ(waits, waits_before);  // the STARTED branch was reported, not run again
}

TEST_F(BatchTest, SwitchingANestedBatchToFlatIsNonDeterministic) {
  std::atomic<bool> flat = false;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx
        .Map("m", std::vector<int>{1},
             [](DurableContext& item_ctx, const int& item) {
               item_ctx.Wait("", std::chrono::seconds(1));
               return item;
             },
             {.nesting = flat ? NestingType::kFlat : NestingType::kNested})
        .Results();
  });
  Start();
  Pends(handler);
  flat = true;
  clock_.Advance(std::chrono::seconds(1));
  InvocationOutput out = Fails(handler);
  EXPECT_EQ(out.error->type, "Durable.NonDeterministicExecution");
  EXPECT_THAT(*out.error->message, ::testing::HasSubstr("now runs it FLAT"));
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
