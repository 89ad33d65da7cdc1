#include "handlers/inference/batcher.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"

namespace lmc::inference {

using SteadyClock = std::chrono::steady_clock;

// One Submit() call, on the submitting thread's stack. `taken` is guarded by Batcher::mu_ (the
// annotation cannot name another object's member); the rest of the inputs are immutable.
struct Batcher::Request {
  std::span<const float> rows;
  size_t num_rows = 0;
  size_t k = 0;
  Clock::TimePoint deadline;
  SteadyClock::time_point enqueued;
  bool taken = false;  // out of the queue: in a batch, or failed by the worker

  // Completion, written once by the worker. The submitting thread is the only waiter on `mu`,
  // so completing one request wakes exactly one thread.
  Mutex mu;
  bool done ABSL_GUARDED_BY(mu) = false;
  absl::Status status ABSL_GUARDED_BY(mu);
  Result result ABSL_GUARDED_BY(mu);
};

namespace {

// Hands `request` its outcome. Nothing may touch `request` afterwards: its thread may return
// and destroy it as soon as the lock is released.
// Both values are moved into `request`; clang-tidy cannot see that through the dependent type.
template <typename RequestT>
void Complete(RequestT* request,
              absl::Status status,       // NOLINT(performance-unnecessary-value-param)
              Batcher::Result result) {  // NOLINT(performance-unnecessary-value-param)
  MutexLock lock(&request->mu);
  request->status = std::move(status);
  request->result = std::move(result);
  request->done = true;
}

}  // namespace

Batcher::Batcher(size_t input_width, BatchFunction run, BatcherOptions options, const Clock& clock,
                 const Logger* metrics)
    : input_width_(input_width),
      run_(std::move(run)),
      options_(options),
      clock_(clock),
      metrics_(metrics),
      last_metrics_(SteadyClock::now()),
      worker_([this] { WorkerLoop(); }) {}

Batcher::~Batcher() {
  Shutdown();
  worker_.join();
  // Submit() calls that were answered may still be on their way out.
  MutexLock lock(&mu_);
  mu_.Await([this] {
    mu_.AssertHeld();
    return in_flight_ == 0;
  });
}

absl::StatusOr<Batcher::Result> Batcher::Submit(std::span<const float> rows, size_t k,
                                                Clock::TimePoint deadline) {
  if (rows.empty() || rows.size() % input_width_ != 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("Submit() takes whole rows of ", input_width_, " values, not ", rows.size()));
  }
  Request request;
  request.rows = rows;
  request.num_rows = rows.size() / input_width_;
  request.k = k;
  request.deadline = deadline;
  request.enqueued = SteadyClock::now();
  {
    MutexLock lock(&mu_);
    if (stopping_) return absl::UnavailableError("the batcher is shutting down");
    ++in_flight_;
    queue_.push_back(&request);
    queued_rows_ += request.num_rows;
  }

  bool done = false;
  {
    MutexLock lock(&request.mu);
    const auto finished = [&request] {
      request.mu.AssertHeld();
      return request.done;
    };
    // Wake at the deadline (re-reading the clock, which a test may move) unless completed.
    while (!finished()) {
      const Clock::TimePoint now = clock_.Now();
      if (now >= deadline) break;
      request.mu.AwaitWithTimeout(finished, deadline - now);
    }
    done = finished();
  }
  if (!done) {
    MutexLock lock(&mu_);
    if (!request.taken) {
      queue_.erase(std::find(queue_.begin(), queue_.end(), &request));
      queued_rows_ -= request.num_rows;
      ++stats_.expired;
      --in_flight_;
      return absl::DeadlineExceededError(
          "the invocation's deadline passed while it waited for a batch");
    }
  }
  // Taken into a batch (which always completes) or completed: wait without a deadline.
  absl::Status status;
  Result result;
  {
    MutexLock lock(&request.mu);
    request.mu.Await([&request] {
      request.mu.AssertHeld();
      return request.done;
    });
    status = std::move(request.status);
    result = std::move(request.result);
  }
  {
    MutexLock lock(&mu_);
    if (status.ok()) stats_.submitted += SteadyClock::now() - request.enqueued;
    --in_flight_;  // the last touch of *this: the destructor waits for it
  }
  if (!status.ok()) return status;
  return result;
}

void Batcher::Shutdown() {
  MutexLock lock(&mu_);
  stopping_ = true;
}

void Batcher::AwaitQueued(size_t count) {
  MutexLock lock(&mu_);
  mu_.Await([this, count] {
    mu_.AssertHeld();
    return queue_.size() >= count;
  });
}

BatcherStats Batcher::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

bool Batcher::ShouldClose() const {
  if (queue_.empty()) return false;
  return queued_rows_ >= options_.max_rows || queue_.size() >= options_.max_callers ||
         SteadyClock::now() - queue_.front()->enqueued >= options_.max_wait;
}

void Batcher::WorkerLoop() {
  std::vector<Request*> batch;
  mu_.Lock();
  while (true) {
    mu_.Await([this] {
      mu_.AssertHeld();
      return stopping_ || !queue_.empty();
    });
    if (stopping_) break;
    // Wait for the batch to fill, up to max_wait after its oldest request arrived.
    while (!stopping_ && !queue_.empty() && !ShouldClose()) {
      const auto close_at = queue_.front()->enqueued + options_.max_wait;
      mu_.AwaitWithTimeout(
          [this] {
            mu_.AssertHeld();
            return stopping_ || queue_.empty() || queued_rows_ >= options_.max_rows ||
                   queue_.size() >= options_.max_callers;
          },
          close_at - SteadyClock::now());
    }
    if (stopping_) break;

    batch.clear();
    size_t rows = 0;
    size_t k = 0;
    const Clock::TimePoint now = clock_.Now();
    const SteadyClock::time_point started = SteadyClock::now();
    while (!queue_.empty()) {
      Request* request = queue_.front();
      if (!batch.empty() && rows + request->num_rows > options_.max_rows) break;
      queue_.pop_front();
      queued_rows_ -= request->num_rows;
      request->taken = true;
      if (request->deadline <= now) {
        ++stats_.expired;
        Complete(request,
                 absl::DeadlineExceededError(
                     "the invocation's deadline passed while it waited for a batch"),
                 Result{});
        continue;
      }
      stats_.queue_wait += started - request->enqueued;
      batch.push_back(request);
      rows += request->num_rows;
      k = std::max(k, request->k);
    }
    if (batch.empty()) continue;

    mu_.Unlock();
    RunBatch(batch, rows, k);
    mu_.Lock();

    if (std::string line = TakeMetricsLine(); !line.empty()) {
      mu_.Unlock();
      metrics_->Info(line);
      mu_.Lock();
    }
  }
  // Shutting down: nothing queued will run.
  for (Request* request : queue_) {
    request->taken = true;
    Complete(request, absl::UnavailableError("the batcher is shutting down"), Result{});
  }
  queue_.clear();
  queued_rows_ = 0;
  mu_.Unlock();
}

void Batcher::RunBatch(const std::vector<Request*>& batch, size_t rows, size_t k) {
  const SteadyClock::time_point start = SteadyClock::now();
  const float* input = batch.front()->rows.data();
  if (batch.size() > 1) {
    gathered_.resize(rows * input_width_);
    float* next = gathered_.data();
    for (const Request* request : batch) {
      next = std::copy(request->rows.begin(), request->rows.end(), next);
    }
    input = gathered_.data();
  }
  const SteadyClock::time_point gathered = SteadyClock::now();
  const absl::Status status = run_(input, rows, k, output_);
  const SteadyClock::time_point ran = SteadyClock::now();

  std::vector<Result> results(batch.size());
  size_t offset = 0;
  for (size_t i = 0; i < batch.size(); ++i) {
    const Request* request = batch[i];
    Result& result = results[i];
    result.batch_rows = rows;
    result.queue_wait = gathered - request->enqueued;
    if (status.ok()) {
      // Embedding batches return the largest k asked for; each request keeps its own k (a
      // prefix: results are sorted).
      const size_t width =
          output_.ids.empty() ? output_.width : std::min(output_.width, request->k);
      result.output.width = width;
      result.output.values.resize(request->num_rows * width);
      if (!output_.ids.empty()) result.output.ids.resize(request->num_rows * width);
      for (size_t r = 0; r < request->num_rows; ++r) {
        const size_t from = (offset + r) * output_.width;
        std::copy_n(output_.values.begin() + static_cast<std::ptrdiff_t>(from), width,
                    result.output.values.begin() + static_cast<std::ptrdiff_t>(r * width));
        if (!output_.ids.empty()) {
          std::copy_n(output_.ids.begin() + static_cast<std::ptrdiff_t>(from), width,
                      result.output.ids.begin() + static_cast<std::ptrdiff_t>(r * width));
        }
      }
    }
    offset += request->num_rows;
  }
  const SteadyClock::time_point scattered = SteadyClock::now();
  const std::chrono::nanoseconds copying = (gathered - start) + (scattered - ran);
  const std::chrono::nanoseconds forward = ran - gathered;
  {
    // Counted before any caller gets its result, so a caller that returns sees its batch in
    // stats().
    MutexLock lock(&mu_);
    ++stats_.batches;
    stats_.rows += rows;
    stats_.requests += batch.size();
    stats_.largest_batch = std::max<uint64_t>(stats_.largest_batch, rows);
    stats_.forward += forward;
    stats_.gather_scatter += copying;
    stats_.forward_per_request += forward * static_cast<int64_t>(batch.size());
  }
  for (size_t i = 0; i < batch.size(); ++i) Complete(batch[i], status, std::move(results[i]));
}

std::string Batcher::TakeMetricsLine() {
  if (metrics_ == nullptr) return "";
  const SteadyClock::time_point now = SteadyClock::now();
  if (now - last_metrics_ < options_.metrics_interval) return "";
  last_metrics_ = now;
  const BatcherStats& s = stats_;
  const BatcherStats& l = logged_;
  const uint64_t batches = s.batches - l.batches;
  const uint64_t requests = s.requests - l.requests;
  const auto us = [](std::chrono::nanoseconds d) { return static_cast<double>(d.count()) / 1e3; };
  const double submitted = us(s.submitted - l.submitted);
  const double overhead = submitted - us(s.forward_per_request - l.forward_per_request);
  std::string line = absl::StrFormat(
      "inference batcher: batches=%d rows=%d requests=%d expired=%d mean_batch_rows=%.1f "
      "largest_batch_rows=%d mean_queue_wait_us=%.1f mean_forward_us=%.1f "
      "batcher_share=%.3f total_requests=%d total_mean_batch_rows=%.1f total_batcher_share=%.3f",
      batches, s.rows - l.rows, requests, s.expired - l.expired,
      batches == 0 ? 0.0 : static_cast<double>(s.rows - l.rows) / static_cast<double>(batches),
      s.largest_batch,
      requests == 0 ? 0.0 : us(s.queue_wait - l.queue_wait) / static_cast<double>(requests),
      batches == 0 ? 0.0 : us(s.forward - l.forward) / static_cast<double>(batches),
      submitted <= 0 ? 0.0 : overhead / submitted, s.requests,
      s.batches == 0 ? 0.0 : static_cast<double>(s.rows) / static_cast<double>(s.batches),
      us(s.submitted) <= 0 ? 0.0 : (us(s.submitted) - us(s.forward_per_request)) / us(s.submitted));
  logged_ = stats_;
  return line;
}

}  // namespace lmc::inference
