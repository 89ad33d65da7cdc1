#include "handlers/batch/batch_runner.h"

#include <algorithm>
#include <atomic>
#include <latch>
#include <stdexcept>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/mutex.h"

namespace lmc::batch {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Records which indexes ran; fails those in `failing`.
class Recorder {
 public:
  explicit Recorder(std::vector<size_t> failing) : failing_(std::move(failing)) {}

  bool operator()(size_t index) {
    MutexLock lock(&mu_);
    ran_.push_back(index);
    return std::find(failing_.begin(), failing_.end(), index) == failing_.end();
  }
  std::vector<size_t> ran() {
    MutexLock lock(&mu_);
    return ran_;
  }
  std::vector<size_t> ran_sorted() {
    std::vector<size_t> ran = this->ran();
    std::sort(ran.begin(), ran.end());
    return ran;
  }

 private:
  const std::vector<size_t> failing_;
  Mutex mu_;
  std::vector<size_t> ran_ ABSL_GUARDED_BY(mu_);
};

std::vector<size_t> Range(size_t from, size_t to) {
  std::vector<size_t> out;
  for (size_t i = from; i < to; ++i) out.push_back(i);
  return out;
}

TEST(RunBatch, EachRecordPolicyRunsEveryRecordAndReportsEveryFailure) {
  for (int parallelism : {1, 4}) {
    Recorder recorder({1, 4, 7});
    const std::vector<size_t> failed = RunBatch(10, FailurePolicy::kEachRecord, parallelism,
                                                [&](size_t i) { return recorder(i); });
    EXPECT_THAT(failed, ElementsAre(1, 4, 7)) << "parallelism " << parallelism;
    EXPECT_EQ(recorder.ran_sorted(), Range(0, 10));
  }
}

TEST(RunBatch, FifoPolicyStopsAtTheFirstFailureAndReportsEveryLaterRecord) {
  // Parallelism is ignored: FIFO records must run in order, one at a time.
  Recorder recorder({2, 4});
  const std::vector<size_t> failed =
      RunBatch(6, FailurePolicy::kStopAndReportRest, 8, [&](size_t i) { return recorder(i); });
  EXPECT_THAT(failed, ElementsAre(2, 3, 4, 5));
  EXPECT_THAT(recorder.ran(), ElementsAre(0, 1, 2));
}

TEST(RunBatch, CheckpointPolicyReportsOnlyTheFirstFailureAndStartsNothingAfterIt) {
  Recorder recorder({3, 5});
  const std::vector<size_t> failed =
      RunBatch(8, FailurePolicy::kCheckpoint, 1, [&](size_t i) { return recorder(i); });
  EXPECT_THAT(failed, ElementsAre(3));
  EXPECT_THAT(recorder.ran(), ElementsAre(0, 1, 2, 3));
}

TEST(RunBatch, ParallelCheckpointReportsTheEarliestFailureAfterRunningEverythingBeforeIt) {
  Recorder recorder({17, 30});
  const std::vector<size_t> failed =
      RunBatch(60, FailurePolicy::kCheckpoint, 4, [&](size_t i) { return recorder(i); });
  EXPECT_THAT(failed, ElementsAre(17));
  const std::vector<size_t> ran = recorder.ran_sorted();
  ASSERT_GE(ran.size(), 18u);
  EXPECT_EQ(std::vector<size_t>(ran.begin(), ran.begin() + 18), Range(0, 18));
}

TEST(RunBatch, RunsUpToMaxParallelismRecordsAtOnceAndNoMore) {
  constexpr int kParallelism = 3;
  std::latch first_three_together(kParallelism);  // deadlocks unless 3 run at once
  std::atomic<int> in_flight = 0;
  std::atomic<int> most = 0;
  const std::vector<size_t> failed =
      RunBatch(12, FailurePolicy::kEachRecord, kParallelism, [&](size_t i) {
        const int now = ++in_flight;
        int seen = most.load();
        while (now > seen && !most.compare_exchange_weak(seen, now)) {
        }
        if (i < kParallelism) first_three_together.arrive_and_wait();
        --in_flight;
        return true;
      });
  EXPECT_THAT(failed, IsEmpty());
  EXPECT_EQ(most.load(), kParallelism);
}

TEST(RunBatch, AnExceptionFailsOnlyItsRecord) {
  for (int parallelism : {1, 3}) {
    const std::vector<size_t> failed =
        RunBatch(5, FailurePolicy::kEachRecord, parallelism, [](size_t i) -> bool {
          if (i == 2) throw std::runtime_error("bad record");
          return true;
        });
    EXPECT_THAT(failed, ElementsAre(2));
  }
}

TEST(RunBatch, EmptyBatchRunsNothing) {
  EXPECT_THAT(RunBatch(0, FailurePolicy::kCheckpoint, 4, [](size_t) { return false; }), IsEmpty());
}

TEST(BatchItemFailuresJson, ListsIdentifiersInOrderAndEscapesThem) {
  EXPECT_EQ(BatchItemFailuresJson({}), R"({"batchItemFailures":[]})");
  EXPECT_EQ(BatchItemFailuresJson({"a", "b\"c"}),
            R"({"batchItemFailures":[{"itemIdentifier":"a"},{"itemIdentifier":"b\"c"}]})");
}

}  // namespace
}  // namespace lmc::batch
