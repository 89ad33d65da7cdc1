#include "handlers/batching/batch_queue.h"

#include <algorithm>
#include <cstdio>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lmc::batching {

using SteadyClock = std::chrono::steady_clock;

// One Submit() call, on the submitting thread's stack. `taken` is guarded by BatchQueue::mu_
// (the annotation cannot name another object's member); the other inputs are immutable.
struct BatchQueue::Entry {
  void* item = nullptr;
  size_t size = 0;
  Clock::TimePoint deadline;
  SteadyClock::time_point enqueued;
  bool taken = false;  // out of the queue: in a batch, or failed by the worker

  // Completion, written once by the worker. The submitting thread is the only waiter on `mu`,
  // so completing one request wakes exactly one thread.
  Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
  BatchInfo info ABSL_GUARDED_BY(mu);
};

namespace {

constexpr char kExpired[] = "the request's deadline passed while it waited for a batch";
constexpr char kShuttingDown[] = "the batcher is shutting down";

// Hands `entry` its outcome. Nothing may touch `entry` afterwards: its thread may return and
// destroy it as soon as the lock is released.
template <typename EntryT>
void Complete(EntryT* entry, const absl::Status& status, const BatchInfo& info) {
  MutexLock lock(&entry->mu);
  entry->status = status;
  entry->info = info;
  entry->done = true;
}

double Micros(std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e3; }

double Ratio(double part, double whole) { return whole <= 0 ? 0.0 : part / whole; }

}  // namespace

BatchQueue::BatchQueue(RunFunction run, BatcherOptions options, const Clock& clock,
                       const Logger* metrics)
    : run_(std::move(run)),
      options_(std::move(options)),
      clock_(clock),
      metrics_(metrics),
      last_metrics_(SteadyClock::now()),
      worker_([this] { WorkerLoop(); }) {}

BatchQueue::~BatchQueue() {
  Shutdown();
  worker_.join();
  // Submit() calls that were answered may still be on their way out.
  MutexLock lock(&mu_);
  mu_.Await([this] {
    mu_.AssertHeld();
    return in_flight_ == 0;
  });
}

absl::Status BatchQueue::Submit(void* item, size_t size, Clock::TimePoint deadline,
                                BatchInfo* info) {
  if (size == 0) return absl::InvalidArgumentError("a batched request must have a size >= 1");
  Entry entry;
  entry.item = item;
  entry.size = size;
  entry.deadline = deadline;
  entry.enqueued = SteadyClock::now();
  bool ring = false;
  {
    MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError(kShuttingDown);
    ++in_flight_;
    queue_.push_back(&entry);
    queued_size_ += size;
    // The worker needs waking when it sleeps without a timer (the queue was empty) or when this
    // request completes the batch; otherwise its max_wait timer or the last arrival wakes it.
    if (worker_asleep_ && (queue_.size() == 1 || ShouldClose())) {
      worker_asleep_ = false;
      ring = true;
    }
  }
  if (ring) {
    MutexLock lock(&bell_mu_);
    rung_ = true;
  }

  bool done = false;
  {
    MutexLock lock(&entry.mu);
    const auto finished = [&entry] {
      entry.mu.AssertHeld();
      return entry.done;
    };
    // Wake at the deadline (re-reading the clock, which a test may move) unless completed.
    while (!finished()) {
      const Clock::TimePoint now = clock_.Now();
      if (now >= deadline) break;
      entry.mu.AwaitWithTimeout(finished, deadline - now);
    }
    done = finished();
  }
  if (!done) {
    MutexLock lock(&mu_);
    if (!entry.taken) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), &entry));
      queued_size_ -= entry.size;
      ++stats_.expired;
      --in_flight_;
      return absl::DeadlineExceededError(kExpired);
    }
  }
  // Taken into a batch (which always completes) or completed: wait without a deadline.
  absl::Status status;
  {
    MutexLock lock(&entry.mu);
    entry.mu.Await([&entry] {
      entry.mu.AssertHeld();
      return entry.done;
    });
    status = std::move(entry.status);
    if (info != nullptr) *info = entry.info;
  }
  {
    MutexLock lock(&mu_);
    if (status.ok()) stats_.submitted += SteadyClock::now() - entry.enqueued;
    --in_flight_;  // the last touch of *this: the destructor waits for it
  }
  return status;
}

void BatchQueue::Shutdown() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
    worker_asleep_ = false;
  }
  MutexLock lock(&bell_mu_);
  rung_ = true;
}

void BatchQueue::AwaitQueued(size_t count) {
  MutexLock lock(&mu_);
  mu_.Await([this, count] {
    mu_.AssertHeld();
    return queue_.size() >= count;
  });
}

BatcherStats BatchQueue::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

bool BatchQueue::ShouldClose() const {
  if (queue_.empty()) return false;
  return queued_size_ >= options_.max_batch_size || queue_.size() >= options_.max_callers ||
         SteadyClock::now() - queue_.front()->enqueued >= options_.max_wait;
}

void BatchQueue::SleepUntilRungOrDue() {
  // An empty queue has no timer: only a submitter (or Shutdown) ends the sleep.
  std::chrono::nanoseconds timeout = std::chrono::nanoseconds::max();
  if (!queue_.empty()) {
    timeout = queue_.front()->enqueued + options_.max_wait - SteadyClock::now();
  }
  worker_asleep_ = true;
  mu_.Unlock();
  {
    MutexLock lock(&bell_mu_);
    bell_mu_.AwaitWithTimeout(
        [this] {
          bell_mu_.AssertHeld();
          return rung_;
        },
        timeout);
    rung_ = false;
  }
  mu_.Lock();
  worker_asleep_ = false;
}

size_t BatchQueue::TakeBatch(std::vector<Entry*>& batch) {
  batch.clear();
  size_t size = 0;
  const Clock::TimePoint now = clock_.Now();
  while (!queue_.empty()) {
    Entry* entry = queue_.front();
    if (!batch.empty() && size + entry->size > options_.max_batch_size) break;
    queue_.pop_front();
    queued_size_ -= entry->size;
    entry->taken = true;
    if (entry->deadline <= now) {
      ++stats_.expired;
      Complete(entry, absl::DeadlineExceededError(kExpired), BatchInfo{});
      continue;
    }
    batch.push_back(entry);
    size += entry->size;
  }
  return size;
}

void BatchQueue::WorkerLoop() {
  std::vector<Entry*> batch;
  mu_.Lock();
  while (true) {
    while (!stopping_ && !ShouldClose()) SleepUntilRungOrDue();
    if (stopping_) break;
    const size_t size = TakeBatch(batch);
    if (batch.empty()) continue;

    mu_.Unlock();
    RunBatch(batch, size);
    mu_.Lock();

    if (std::string line = TakeMetricsLine(); !line.empty()) {
      mu_.Unlock();
      metrics_->Info(line);
      mu_.Lock();
    }
  }
  // Shutting down: nothing queued will run.
  for (Entry* entry : queue_) {
    entry->taken = true;
    Complete(entry, absl::UnavailableError(kShuttingDown), BatchInfo{});
  }
  queue_.clear();
  queued_size_ = 0;
  mu_.Unlock();
}

void BatchQueue::RunBatch(const std::vector<Entry*>& batch, size_t size) {
  items_.clear();
  for (const Entry* entry : batch) items_.push_back(entry->item);
  const SteadyClock::time_point start = SteadyClock::now();
  const absl::Status status = run_(std::span<void* const>(items_));
  const std::chrono::nanoseconds ran = SteadyClock::now() - start;
  {
    // Counted before any caller gets its answer, so a caller that returns sees its batch in
    // stats().
    MutexLock lock(&mu_);
    ++stats_.batches;
    stats_.size += size;
    stats_.requests += batch.size();
    stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, size);
    stats_.run += ran;
    stats_.run_per_request += ran * static_cast<int64_t>(batch.size());
    for (const Entry* entry : batch) stats_.queue_wait += start - entry->enqueued;
  }
  for (Entry* entry : batch) {
    Complete(entry, status,
             BatchInfo{.batch_size = size,
                       .batch_requests = batch.size(),
                       .queue_wait = start - entry->enqueued});
  }
}

std::string BatchQueue::TakeMetricsLine() {
  if (metrics_ == nullptr) return "";
  const SteadyClock::time_point now = SteadyClock::now();
  if (now - last_metrics_ < options_.metrics_interval) return "";
  last_metrics_ = now;
  const BatcherStats& s = stats_;
  const BatcherStats& l = logged_;
  const auto batches = static_cast<double>(s.batches - l.batches);
  const auto requests = static_cast<double>(s.requests - l.requests);
  const double submitted = Micros(s.submitted - l.submitted);
  const double overhead = submitted - Micros(s.run_per_request - l.run_per_request);
  const double total_submitted = Micros(s.submitted);
  char numbers[512];
  std::snprintf(numbers, sizeof(numbers),
                "batches=%llu size=%llu requests=%llu expired=%llu mean_batch_size=%.1f "
                "largest_batch_size=%llu mean_queue_wait_us=%.1f mean_run_us=%.1f "
                "batcher_share=%.3f total_requests=%llu total_mean_batch_size=%.1f "
                "total_batcher_share=%.3f",
                static_cast<unsigned long long>(s.batches - l.batches),
                static_cast<unsigned long long>(s.size - l.size),
                static_cast<unsigned long long>(s.requests - l.requests),
                static_cast<unsigned long long>(s.expired - l.expired),
                Ratio(static_cast<double>(s.size - l.size), batches),
                static_cast<unsigned long long>(s.largest_batch),
                Ratio(Micros(s.queue_wait - l.queue_wait), requests),
                Ratio(Micros(s.run - l.run), batches), Ratio(overhead, submitted),
                static_cast<unsigned long long>(s.requests),
                Ratio(static_cast<double>(s.size), static_cast<double>(s.batches)),
                Ratio(total_submitted - Micros(s.run_per_request), total_submitted));
  logged_ = stats_;
  return absl::StrCat(options_.name, ": ", numbers);
}

}  // namespace lmc::batching
