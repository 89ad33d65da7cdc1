#include "handlers/inference/batcher.h"

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "lmc/clock.h"
#include "lmc/mutex.h"

namespace lmc::inference {
namespace {

constexpr auto kForever = std::chrono::hours(1);

// A BatchFunction for rows of width 2: output row = (a + b, 10 * a, batch size), and a record
// of every batch's row count.
class Recorder {
 public:
  BatchFunction Function() {
    return [this](const float* rows, size_t num_rows, size_t /*k*/, BatchOutput& out) {
      {
        MutexLock lock(&mu_);
        batch_sizes_.push_back(num_rows);
      }
      out.width = 3;
      out.ids.clear();
      out.values.resize(num_rows * 3);
      for (size_t r = 0; r < num_rows; ++r) {
        out.values[r * 3] = rows[r * 2] + rows[r * 2 + 1];
        out.values[r * 3 + 1] = 10 * rows[r * 2];
        out.values[r * 3 + 2] = static_cast<float>(num_rows);
      }
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

// A gate a BatchFunction blocks on until the test opens it, and that tells the test when a
// batch has entered it.
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

TEST(Batcher, ASingleCallerNeverWaitsForCompany) {
  Recorder recorder;
  // max_wait is an hour: if a lone request waited for it, the test would time out.
  Batcher batcher(2, recorder.Function(), {.max_rows = 64, .max_wait = kForever, .max_callers = 1},
                  Clock::Real(), nullptr);
  const std::vector<float> row = {1, 2};
  for (int i = 0; i < 3; ++i) {
    absl::StatusOr<Batcher::Result> result = batcher.Submit(row, 0, Clock::Real().Now() + kForever);
    ASSERT_TRUE(result.ok()) << result.status();
    EXPECT_EQ(result->output.values, (std::vector<float>{3, 10, 1}));
    EXPECT_EQ(result->batch_rows, 1U);
  }
  EXPECT_EQ(recorder.batch_sizes(), (std::vector<size_t>{1, 1, 1}));
}

TEST(Batcher, ConcurrentCallersShareOneBatchAndEachGetsItsOwnRows) {
  constexpr int kCallers = 8;
  Recorder recorder;
  // The batch can only close when all eight are queued (max_wait is an hour).
  Batcher batcher(2, recorder.Function(),
                  {.max_rows = 1000, .max_wait = kForever, .max_callers = kCallers}, Clock::Real(),
                  nullptr);
  std::vector<absl::StatusOr<Batcher::Result>> results(kCallers, absl::UnknownError("unset"));
  std::vector<std::vector<float>> inputs(kCallers);
  std::vector<std::thread> threads;
  for (int c = 0; c < kCallers; ++c) {
    // Caller c sends c % 3 + 1 rows: (c, r) for r = 0...
    for (int r = 0; r <= c % 3; ++r) {
      inputs[c].push_back(static_cast<float>(c));
      inputs[c].push_back(static_cast<float>(r));
    }
    threads.emplace_back(
        [&, c] { results[c] = batcher.Submit(inputs[c], 0, Clock::Real().Now() + kForever); });
  }
  for (std::thread& thread : threads) thread.join();
  size_t total_rows = 0;
  for (const auto& input : inputs) total_rows += input.size() / 2;
  for (int c = 0; c < kCallers; ++c) {
    ASSERT_TRUE(results[c].ok()) << results[c].status();
    const BatchOutput& out = results[c]->output;
    ASSERT_EQ(out.width, 3U);
    ASSERT_EQ(out.values.size(), inputs[c].size() / 2 * 3);
    for (size_t r = 0; r < inputs[c].size() / 2; ++r) {
      EXPECT_EQ(out.values[r * 3], static_cast<float>(c) + static_cast<float>(r));
      EXPECT_EQ(out.values[r * 3 + 1], 10.0F * static_cast<float>(c));
      EXPECT_EQ(out.values[r * 3 + 2], static_cast<float>(total_rows));
    }
    EXPECT_EQ(results[c]->batch_rows, total_rows);
  }
  EXPECT_EQ(recorder.batch_sizes(), (std::vector<size_t>{total_rows}));
  const BatcherStats stats = batcher.stats();
  EXPECT_EQ(stats.batches, 1U);
  EXPECT_EQ(stats.requests, static_cast<uint64_t>(kCallers));
  EXPECT_EQ(stats.rows, total_rows);
}

TEST(Batcher, MaxRowsClosesABatchAndAnOversizedRequestRunsAlone) {
  Recorder recorder;
  Gate gate;
  Batcher batcher(
      2,
      [&](const float* rows, size_t n, size_t k, BatchOutput& out) {
        gate.Enter();
        return recorder.Function()(rows, n, k, out);
      },
      {.max_rows = 3, .max_wait = kForever, .max_callers = 100}, Clock::Real(), nullptr);
  const auto deadline = Clock::Real().Now() + kForever;
  const std::vector<float> big = {1, 1, 2, 2, 3, 3, 4, 4, 5, 5};  // 5 rows > max_rows
  const std::vector<float> one = {7, 7};
  std::vector<std::thread> threads;
  threads.emplace_back([&] { ASSERT_TRUE(batcher.Submit(big, 0, deadline).ok()); });
  gate.AwaitEntered(1);  // the oversized request is running alone
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] { ASSERT_TRUE(batcher.Submit(one, 0, deadline).ok()); });
  }
  batcher.AwaitQueued(6);
  gate.Open();
  for (std::thread& thread : threads) thread.join();
  // Then the six single rows, in two batches closed by max_rows (nothing else can close them:
  // max_wait is an hour and 100 callers are allowed).
  EXPECT_EQ(recorder.batch_sizes(), (std::vector<size_t>{5, 3, 3}));
}

TEST(Batcher, ADeadlineThatPassesWhileQueuedFailsWithoutUsingTheDevice) {
  FakeClock clock;
  Recorder recorder;
  Gate gate;
  Batcher batcher(
      2,
      [&](const float* rows, size_t n, size_t k, BatchOutput& out) {
        gate.Enter();
        return recorder.Function()(rows, n, k, out);
      },
      {.max_rows = 1, .max_wait = kForever, .max_callers = 1}, clock, nullptr);
  const std::vector<float> row = {1, 2};
  absl::StatusOr<Batcher::Result> first = absl::UnknownError("unset");
  absl::StatusOr<Batcher::Result> late = absl::UnknownError("unset");
  std::thread running([&] { first = batcher.Submit(row, 0, clock.Now() + kForever); });
  gate.AwaitEntered(1);  // the device is busy with the first request
  std::thread queued([&] { late = batcher.Submit(row, 0, clock.Now() + std::chrono::seconds(1)); });
  batcher.AwaitQueued(1);
  clock.Advance(std::chrono::seconds(2));  // its deadline passes while it waits
  gate.Open();
  running.join();
  queued.join();
  ASSERT_TRUE(first.ok());
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(recorder.batch_sizes(), (std::vector<size_t>{1}));  // it never reached the device
  EXPECT_EQ(batcher.stats().expired, 1U);
}

TEST(Batcher, ABatchFunctionErrorReachesEveryRequestInTheBatch) {
  Batcher batcher(
      1, [](const float*, size_t, size_t, BatchOutput&) { return absl::InternalError("boom"); },
      {.max_rows = 8, .max_wait = kForever, .max_callers = 2}, Clock::Real(), nullptr);
  const std::vector<float> row = {1};
  std::vector<absl::Status> statuses(2);
  std::vector<std::thread> threads;
  threads.reserve(2);
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back(
        [&, i] { statuses[i] = batcher.Submit(row, 0, Clock::Real().Now() + kForever).status(); });
  }
  for (std::thread& thread : threads) thread.join();
  for (const absl::Status& status : statuses) {
    EXPECT_EQ(status.code(), absl::StatusCode::kInternal);
    EXPECT_EQ(status.message(), "boom");
  }
}

TEST(Batcher, RejectsPartialRowsAndEmptyRequests) {
  Recorder recorder;
  Batcher batcher(2, recorder.Function(), {.max_callers = 1}, Clock::Real(), nullptr);
  const auto deadline = Clock::Real().Now() + kForever;
  EXPECT_EQ(batcher.Submit(std::vector<float>{1, 2, 3}, 0, deadline).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(batcher.Submit(std::vector<float>{}, 0, deadline).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(recorder.batch_sizes().empty());
}

TEST(Batcher, ShutdownFailsQueuedRequestsAndLetsTheRunningOneFinish) {
  Gate gate;
  auto batcher = std::make_unique<Batcher>(
      1,
      [&](const float*, size_t n, size_t, BatchOutput& out) {
        gate.Enter();
        out.width = 1;
        out.values.assign(n, 5);
        return absl::OkStatus();
      },
      BatcherOptions{.max_rows = 1, .max_wait = kForever, .max_callers = 1}, Clock::Real(),
      nullptr);
  const std::vector<float> row = {1};
  absl::Status first;
  absl::Status second;
  std::thread running(
      [&] { first = batcher->Submit(row, 0, Clock::Real().Now() + kForever).status(); });
  gate.AwaitEntered(1);
  std::thread queued(
      [&] { second = batcher->Submit(row, 0, Clock::Real().Now() + kForever).status(); });
  batcher->AwaitQueued(1);
  batcher->Shutdown();
  gate.Open();
  batcher.reset();
  running.join();
  queued.join();
  EXPECT_TRUE(first.ok()) << first;
  EXPECT_EQ(second.code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace lmc::inference
