#include "handlers/batching/batcher.h"

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/clock.h"
#include "lmc/mutex.h"
#include "lmc/testing/log_capture.h"

namespace lmc::batching {
namespace {

using ::testing::HasSubstr;

constexpr auto kForever = std::chrono::hours(1);

// A request of `rows` rows from caller `caller`; its answer is one value per row, caller * 100
// + row, and the number of requests in its batch as the model saw it.
struct Rows {
  int caller = 0;
  int rows = 1;
};
struct Answer {
  std::vector<int> values;
  size_t batch_requests = 0;
};
using RowBatcher = Batcher<Rows, Answer>;

size_t SizeOf(const Rows& request) { return static_cast<size_t>(request.rows); }

// A RunBatch that answers every request and records each batch's size in rows.
class Model {
 public:
  RowBatcher::RunBatchFunction Function() {
    return [this](std::span<const Rows* const> requests, std::span<Answer* const> responses) {
      size_t rows = 0;
      for (size_t i = 0; i < requests.size(); ++i) {
        rows += static_cast<size_t>(requests[i]->rows);
        for (int r = 0; r < requests[i]->rows; ++r) {
          responses[i]->values.push_back(requests[i]->caller * 100 + r);
        }
        responses[i]->batch_requests = requests.size();
      }
      MutexLock lock(&mu_);
      batch_sizes_.push_back(rows);
      return absl::OkStatus();
    };
  }
  std::vector<size_t> batch_sizes() const {
    MutexLock lock(&mu_);
    return batch_sizes_;
  }

 private:
  mutable Mutex mu_;
  std::vector<size_t> batch_sizes_ ABSL_GUARDED_BY(mu_);
};

// A gate a RunBatch blocks on until the test opens it, and that tells the test when a batch has
// entered it.
class Gate {
 public:
  void Enter() {
    MutexLock lock(&mu_);
    ++entered_;
    mu_.Await([this] {
      mu_.AssertHeld();
      return open_;
    });
  }
  void AwaitEntered(int count) {
    MutexLock lock(&mu_);
    mu_.Await([this, count] {
      mu_.AssertHeld();
      return entered_ >= count;
    });
  }
  void Open() {
    MutexLock lock(&mu_);
    open_ = true;
  }

 private:
  Mutex mu_;
  int entered_ ABSL_GUARDED_BY(mu_) = 0;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

// Model's function behind a gate.
RowBatcher::RunBatchFunction Gated(Gate& gate, Model& model) {
  return [&gate, run = model.Function()](std::span<const Rows* const> requests,
                                         std::span<Answer* const> responses) {
    gate.Enter();
    return run(requests, responses);
  };
}

Clock::TimePoint Later() { return Clock::Real().Now() + kForever; }

TEST(Batcher, ASingleCallerNeverWaitsForCompany) {
  Model model;
  // max_wait is an hour: if a lone request waited for it, the test would time out.
  RowBatcher batcher(model.Function(),
                     {.max_batch_size = 64, .max_wait = kForever, .max_callers = 1});
  for (int i = 0; i < 3; ++i) {
    BatchInfo info;
    absl::StatusOr<Answer> answer = batcher.Submit(Rows{.caller = 7}, Later(), &info);
    ASSERT_TRUE(answer.ok()) << answer.status();
    EXPECT_EQ(answer->values, (std::vector<int>{700}));
    EXPECT_EQ(info.batch_size, 1U);
    EXPECT_EQ(info.batch_requests, 1U);
  }
  EXPECT_EQ(model.batch_sizes(), (std::vector<size_t>{1, 1, 1}));
}

TEST(Batcher, ConcurrentCallersShareOneBatchAndEachGetsItsOwnResponse) {
  constexpr int kCallers = 8;
  Model model;
  // The batch can only close when all eight are queued (max_wait is an hour): the last arrival
  // must wake the worker.
  RowBatcher batcher(model.Function(),
                     {.max_batch_size = 1000, .max_wait = kForever, .max_callers = kCallers},
                     Clock::Real(), nullptr, SizeOf);
  std::vector<absl::StatusOr<Answer>> answers(kCallers, absl::UnknownError("unset"));
  std::vector<BatchInfo> infos(kCallers);
  std::vector<std::thread> threads;
  size_t total_rows = 0;
  for (int c = 0; c < kCallers; ++c) {
    total_rows += static_cast<size_t>(c % 3 + 1);
    threads.emplace_back([&, c] {
      answers[c] = batcher.Submit(Rows{.caller = c, .rows = c % 3 + 1}, Later(), &infos[c]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int c = 0; c < kCallers; ++c) {
    ASSERT_TRUE(answers[c].ok()) << answers[c].status();
    std::vector<int> expected;
    for (int r = 0; r <= c % 3; ++r) expected.push_back(c * 100 + r);
    EXPECT_EQ(answers[c]->values, expected);
    EXPECT_EQ(answers[c]->batch_requests, static_cast<size_t>(kCallers));
    EXPECT_EQ(infos[c].batch_size, total_rows);
    EXPECT_EQ(infos[c].batch_requests, static_cast<size_t>(kCallers));
  }
  EXPECT_EQ(model.batch_sizes(), (std::vector<size_t>{total_rows}));
  const BatcherStats stats = batcher.stats();
  EXPECT_EQ(stats.batches, 1U);
  EXPECT_EQ(stats.requests, static_cast<uint64_t>(kCallers));
  EXPECT_EQ(stats.size, total_rows);
  EXPECT_EQ(stats.largest_batch, total_rows);
}

TEST(Batcher, MaxBatchSizeClosesABatchAndAnOversizedRequestRunsAlone) {
  Model model;
  Gate gate;
  RowBatcher batcher(Gated(gate, model),
                     {.max_batch_size = 3, .max_wait = kForever, .max_callers = 100}, Clock::Real(),
                     nullptr, SizeOf);
  std::vector<std::thread> threads;
  threads.emplace_back([&] { ASSERT_TRUE(batcher.Submit(Rows{.rows = 5}, Later()).ok()); });
  gate.AwaitEntered(1);  // the oversized request is running alone
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(batcher.Submit(Rows{.rows = 1}, Later()).ok()); });
  }
  batcher.AwaitQueued(6);
  gate.Open();
  for (std::thread& thread : threads) thread.join();
  // Then the six single rows, in two batches closed by max_batch_size (nothing else can close
  // them: max_wait is an hour and 100 callers are allowed).
  EXPECT_EQ(model.batch_sizes(), (std::vector<size_t>{5, 3, 3}));
}

TEST(Batcher, MaxWaitClosesABatchThatCannotFill) {
  Model model;
  // Two callers allowed, one arrives: only the 1 ms timer can close its batch.
  RowBatcher batcher(
      model.Function(),
      {.max_batch_size = 64, .max_wait = std::chrono::milliseconds(1), .max_callers = 2});
  BatchInfo info;
  absl::StatusOr<Answer> answer = batcher.Submit(Rows{.caller = 3}, Later(), &info);
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->values, (std::vector<int>{300}));
  EXPECT_GE(info.queue_wait, std::chrono::milliseconds(1));
}

TEST(Batcher, ADeadlineThatPassesWhileQueuedFailsWithoutReachingTheModel) {
  FakeClock clock;
  Model model;
  Gate gate;
  RowBatcher batcher(Gated(gate, model),
                     {.max_batch_size = 1, .max_wait = kForever, .max_callers = 1}, clock);
  absl::StatusOr<Answer> first = absl::UnknownError("unset");
  absl::StatusOr<Answer> late = absl::UnknownError("unset");
  std::thread running([&] { first = batcher.Submit(Rows{}, clock.Now() + kForever); });
  gate.AwaitEntered(1);  // the model is busy with the first request
  std::thread queued([&] { late = batcher.Submit(Rows{}, clock.Now() + std::chrono::seconds(1)); });
  batcher.AwaitQueued(1);
  clock.Advance(std::chrono::seconds(2));  // its deadline passes while it waits
  gate.Open();
  running.join();
  queued.join();
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(model.batch_sizes(), (std::vector<size_t>{1}));  // it never reached the model
  EXPECT_EQ(batcher.stats().expired, 1U);
}

TEST(Batcher, ARunBatchErrorReachesEveryRequestInTheBatch) {
  RowBatcher batcher([](std::span<const Rows* const>,
                        std::span<Answer* const>) { return absl::InternalError("boom"); },
                     {.max_batch_size = 8, .max_wait = kForever, .max_callers = 2});
  std::vector<absl::Status> statuses(2);
  std::vector<std::thread> threads;
  threads.reserve(2);
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&, i] { statuses[i] = batcher.Submit(Rows{}, Later()).status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : statuses) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
    EXPECT_EQ(status.message(), "boom");
  }
}

TEST(Batcher, RejectsARequestOfSizeZero) {
  Model model;
  RowBatcher batcher(model.Function(), {.max_callers = 1}, Clock::Real(), nullptr, SizeOf);
  EXPECT_EQ(batcher.Submit(Rows{.rows = 0}, Later()).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(model.batch_sizes().empty());
}

TEST(Batcher, ShutdownFailsQueuedRequestsAndLetsTheRunningOneFinish) {
  Model model;
  Gate gate;
  auto batcher = std::make_unique<RowBatcher>(
      Gated(gate, model),
      BatcherOptions{.max_batch_size = 1, .max_wait = kForever, .max_callers = 1});
  absl::Status first;
  absl::Status second;
  std::thread running([&] { first = batcher->Submit(Rows{}, Later()).status(); });
  gate.AwaitEntered(1);
  std::thread queued([&] { second = batcher->Submit(Rows{}, Later()).status(); });
  batcher->AwaitQueued(1);
  batcher->Shutdown();
  gate.Open();
  batcher.reset();
  running.join();
  queued.join();
  EXPECT_TRUE(first.ok()) << first;
  EXPECT_EQ(second.code(), absl::StatusCode::kUnavailable);
}

TEST(Batcher, LogsAMetricsLineUnderItsName) {
  const testing::LogCapture capture(LogLevel::kInfo);
  Model model;
  {
    RowBatcher batcher(model.Function(),
                       {.max_batch_size = 64,
                        .max_wait = kForever,
                        .max_callers = 1,
                        .metrics_interval = std::chrono::nanoseconds(0),
                        .name = "scorer batcher"},
                       Clock::Real(), &capture.logger(), SizeOf);
    ASSERT_TRUE(batcher.Submit(Rows{.rows = 3}, Later()).ok());
  }
  const std::string lines = capture.Lines();
  EXPECT_THAT(lines, HasSubstr("scorer batcher: batches=1 size=3 requests=1 expired=0 "
                               "mean_batch_size=3.0 largest_batch_size=3"));
  EXPECT_THAT(lines, HasSubstr("total_requests=1 total_mean_batch_size=3.0"));
}

}  // namespace
}  // namespace lmc::batching
