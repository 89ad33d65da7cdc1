#include "handlers/batch/batch_runner.h"

#include <algorithm>
#include <limits>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "lmc/json.h"
#include "lmc/mutex.h"

namespace lmc::batch {
namespace {

// True when record `index` succeeded; an escaping exception counts as a failure (it must not
// take down a worker thread, and one bad record must not fail the whole batch).
bool RunOne(const std::function<bool(size_t)>& process, size_t index) {
  try {
    return process(index);
  } catch (...) {
    return false;
  }
}

std::vector<size_t> RunInOrder(size_t count, FailurePolicy policy,
                               const std::function<bool(size_t)>& process) {
  std::vector<size_t> failed;
  for (size_t i = 0; i < count; ++i) {
    if (RunOne(process, i)) continue;
    if (policy == FailurePolicy::kEachRecord) {
      failed.push_back(i);
      continue;
    }
    failed.push_back(i);
    if (policy == FailurePolicy::kStopAndReportRest) {
      for (size_t rest = i + 1; rest < count; ++rest) failed.push_back(rest);
    }
    break;
  }
  return failed;
}

// The work queue the threads of one parallel batch share.
class ParallelBatch {
 public:
  ParallelBatch(size_t count, FailurePolicy policy, const std::function<bool(size_t)>& process)
      : count_(count), policy_(policy), process_(process) {}

  // Takes records in index order until none is left (or, under kCheckpoint, none before the
  // first known failure).
  void Work() {
    for (;;) {
      size_t index = 0;
      {
        MutexLock lock(&mu_);
        if (next_ >= count_ || next_ > first_failure_) return;
        index = next_++;
      }
      if (RunOne(process_, index)) continue;
      MutexLock lock(&mu_);
      failed_.push_back(index);
      if (policy_ == FailurePolicy::kCheckpoint) first_failure_ = std::min(first_failure_, index);
    }
  }

  // Call once every thread has returned from Work().
  std::vector<size_t> Failed() {
    MutexLock lock(&mu_);
    std::sort(failed_.begin(), failed_.end());
    if (policy_ == FailurePolicy::kCheckpoint && !failed_.empty()) failed_.resize(1);
    return failed_;
  }

 private:
  const size_t count_;
  const FailurePolicy policy_;
  const std::function<bool(size_t)>& process_;

  Mutex mu_;
  size_t next_ ABSL_GUARDED_BY(mu_) = 0;
  // Under kCheckpoint, the earliest failed index so far (records after it are not started).
  size_t first_failure_ ABSL_GUARDED_BY(mu_) = std::numeric_limits<size_t>::max();
  std::vector<size_t> failed_ ABSL_GUARDED_BY(mu_);
};

}  // namespace

std::vector<size_t> RunBatch(size_t count, FailurePolicy policy, int max_parallelism,
                             const std::function<bool(size_t index)>& process) {
  const size_t threads = std::min(count, static_cast<size_t>(std::max(max_parallelism, 1)));
  if (threads <= 1 || policy == FailurePolicy::kStopAndReportRest) {
    return RunInOrder(count, policy, process);
  }
  ParallelBatch batch(count, policy, process);
  std::vector<std::thread> helpers;
  helpers.reserve(threads - 1);
  for (size_t i = 1; i < threads; ++i) helpers.emplace_back([&batch] { batch.Work(); });
  batch.Work();
  for (std::thread& helper : helpers) helper.join();
  return batch.Failed();
}

std::string BatchItemFailuresJson(const std::vector<std::string_view>& identifiers) {
  std::string out;
  out.reserve(24 + identifiers.size() * 64);
  JsonWriter w(&out);
  w.BeginObject().Key("batchItemFailures").BeginArray();
  for (std::string_view id : identifiers) {
    w.BeginObject().Key("itemIdentifier").String(id).EndObject();
  }
  w.EndArray().EndObject();
  return out;
}

}  // namespace lmc::batch
