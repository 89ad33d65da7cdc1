#include "lmc/dispatch/loop_supervisor.h"

#include <pthread.h>

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/strings/str_cat.h"

namespace lmc {
namespace {

// The first loop's connection, unchanged but for its first Next(), which runs `on_first_ask`
// (on the loop's thread) before it asks.
class FirstAsk final : public ForwardingLoopClient<LoopClient> {
 public:
  FirstAsk(std::unique_ptr<LoopClient> client, std::function<void()> on_first_ask)
      : ForwardingLoopClient(std::move(client)), on_first_ask_(std::move(on_first_ask)) {}

  absl::Status Next(NextInvocation& out) override {
    // Only the loop's thread calls Next(), so no lock is needed here.
    if (on_first_ask_) std::exchange(on_first_ask_, nullptr)();
    return ForwardingLoopClient::Next(out);
  }

 private:
  std::function<void()> on_first_ask_;
};

}  // namespace

struct LoopSupervisor::Worker {
  std::unique_ptr<PollLoop> loop;
  DeadlineWatchdog::Slot* slot = nullptr;  // owned by the watchdog; null once removed
  uint64_t slot_id = 0;
  int index = 0;
  std::thread thread;
  // Guarded by the supervisor's mu_ (a member cannot name it for the annotation).
  bool detached = false;  // no longer holds a slot: retires after its invocation
  bool finished = false;  // its Run() returned
};

LoopSupervisor::LoopSupervisor(const DispatchSettings& settings, Capacity capacity,
                               ClientFactory make_client)
    : settings_(settings),
      capacity_(capacity),
      make_client_(std::move(make_client)),
      watchdog_(
          *settings.sink, *settings.clock,
          OverduePolicy{
              .detach_grace = capacity.detach_grace,
              .max_detached = capacity.max_detached,
              .capacity = capacity.max_concurrency,
              .stuck_grace = capacity.stuck_grace,
              .on_detached = [this](uint64_t slot_id) { OnDetached(slot_id); },
              .on_stuck =
                  [this](const std::string& why) { OnFatal(absl::ResourceExhaustedError(why)); },
          }) {}

LoopSupervisor::~LoopSupervisor() {
  Stop();
  Wait().IgnoreError();
  // The watchdog's callbacks use this object: its thread ends before any member is destroyed.
  watchdog_.StopThread();
}

absl::StatusOr<std::unique_ptr<LoopSupervisor::Worker>> LoopSupervisor::MakeWorker(int index) {
  absl::StatusOr<std::unique_ptr<LoopClient>> client = make_client_();
  if (!client.ok()) return client.status();
  if (index == 0) {
    *client = std::make_unique<FirstAsk>(std::move(*client), [this] {
      if (before_first_next_) before_first_next_();
      MutexLock lock(&mu_);
      first_asked_ = true;
    });
  }
  auto worker = std::make_unique<Worker>();
  worker->index = index;
  worker->slot = watchdog_.AddSlot();
  worker->slot_id = worker->slot->id();
  worker->loop = std::make_unique<PollLoop>(
      index, std::move(*client), settings_, [this](const absl::Status& reason) { OnFatal(reason); },
      worker->slot);
  return worker;
}

absl::Status LoopSupervisor::Start(std::function<void()> before_first_next) {
  before_first_next_ = std::move(before_first_next);
  std::vector<std::unique_ptr<Worker>> made;
  made.reserve(static_cast<size_t>(capacity_.max_concurrency));
  for (int i = 0; i < capacity_.max_concurrency; ++i) {
    absl::StatusOr<std::unique_ptr<Worker>> worker = MakeWorker(i);
    if (!worker.ok()) {
      for (const auto& w : made) watchdog_.RemoveSlot(w->slot);
      return worker.status();
    }
    made.push_back(std::move(*worker));
  }
  MutexLock lock(&mu_);
  next_index_ = capacity_.max_concurrency;
  workers_ = std::move(made);
  if (stopping_) return absl::OkStatus();  // Stop() came first: start nothing.
  // The first loop alone until it asks for its first event (after `before_first_next`): Lambda
  // ends init at the first /next, and on a small machine N - 1 thread start-ups (and the
  // watchdog's) would compete with it for the CPU. The others start a moment later, each asking
  // as soon as it runs; none asks before the first.
  StartThread(*workers_[0]);
  mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return first_asked_ || stopping_; });
  watchdog_.Start();
  if (stopping_) return absl::OkStatus();
  for (size_t i = 1; i < workers_.size(); ++i) StartThread(*workers_[i]);
  return absl::OkStatus();
}

void LoopSupervisor::StartThread(Worker& worker) {
  ++attached_running_;
  worker.thread = std::thread([this, &worker] {
    // Thread names show up in gdb, perf and /proc: "lmc-loop-12".
    const std::string name = absl::StrCat("lmc-loop-", worker.index);
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    worker.loop->Run();
    OnLoopExit(worker);
  });
}

void LoopSupervisor::OnLoopExit(Worker& worker) {
  MutexLock lock(&mu_);
  if (!worker.detached) --attached_running_;
  worker.finished = true;
  if (!worker.loop->retired()) return;
  // Detached by the watchdog. If OnDetached() has not run yet, do its part now: the loop is
  // gone either way and its slot needs a replacement.
  if (!worker.detached) {
    worker.detached = true;
    if (!stopping_) StartReplacementLocked();
  }
  watchdog_.RemoveSlot(worker.slot);
  worker.slot = nullptr;
}

void LoopSupervisor::OnDetached(uint64_t slot_id) {
  std::vector<std::unique_ptr<Worker>> finished;
  {
    MutexLock lock(&mu_);
    for (const auto& worker : workers_) {
      if (worker->slot_id != slot_id || worker->detached) continue;
      worker->detached = true;
      if (!worker->finished) --attached_running_;
      if (!stopping_) StartReplacementLocked();
      break;
    }
    finished = TakeFinishedDetached();
  }
  for (const auto& worker : finished) worker->thread.join();
}

void LoopSupervisor::StartReplacementLocked() {
  // Runs under mu_, so no loop can be started or stopped meanwhile; creating a client does
  // not connect (its first request does), so this is short.
  absl::StatusOr<std::unique_ptr<Worker>> worker = MakeWorker(next_index_++);
  if (!worker.ok()) {
    settings_.sink->Write(LogLevel::kError, {},
                          absl::StrCat("could not start a loop to replace a detached one: ",
                                       worker.status().ToString(), "; serving with one loop less"));
    return;
  }
  ++replacements_;
  StartThread(**worker);
  workers_.push_back(std::move(*worker));
}

std::vector<std::unique_ptr<LoopSupervisor::Worker>> LoopSupervisor::TakeFinishedDetached() {
  std::vector<std::unique_ptr<Worker>> out;
  for (auto it = workers_.begin(); it != workers_.end();) {
    if ((*it)->detached && (*it)->finished) {
      retired_invocations_ += (*it)->loop->invocations();
      out.push_back(std::move(*it));
      it = workers_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

void LoopSupervisor::Stop() {
  MutexLock lock(&mu_);
  stopping_ = true;
  for (const auto& worker : workers_) worker->loop->Stop();
  // Handlers that watch Context::cancelled() can wrap up within Lambda's shutdown window.
  watchdog_.CancelAll(CancellationReason::kShuttingDown);
  // Nothing will replace an overdue invocation now, and Wait() must not wait for a hung one.
  watchdog_.DetachWithoutLimit();
}

void LoopSupervisor::OnFatal(const absl::Status& reason) {
  {
    MutexLock lock(&mu_);
    if (!fatal_.ok()) return;  // One FATAL line: the first reason is the one reported.
    fatal_ = reason;
  }
  settings_.sink->Write(
      LogLevel::kFatal, {},
      absl::StrCat(reason.ToString(), "; stopping after the invocations in flight finish"));
  Stop();
}

absl::Status LoopSupervisor::Wait() {
  std::vector<std::unique_ptr<Worker>> joinable;
  absl::Status result;
  {
    MutexLock lock(&mu_);
    // Every loop holding a slot returns (Stop() was called). Then the detached loops whose handler
    // has returned: their answer is on its way (bounded by the post grace), so they end by
    // themselves.
    mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS {
      if (attached_running_ > 0) return false;
      for (const auto& worker : workers_) {
        if (worker->detached && !worker->finished && !worker->loop->in_handler()) return false;
      }
      return true;
    });
    for (auto& worker : workers_) {
      if (worker->finished || !worker->thread.joinable()) {
        retired_invocations_ += worker->loop->invocations();
        joinable.push_back(std::move(worker));
        continue;
      }
      // A detached invocation whose handler still runs: Lambda has failed it and the handler
      // ignores cancellation. It keeps its loop and thread; the caller ends the process.
      ++abandoned_;
      worker->thread.detach();
      (void)worker.release();  // NOLINT: still in use by its thread until the process ends.
    }
    workers_.clear();
    result = fatal_;
    if (abandoned_ > 0) {
      settings_.sink->Write(LogLevel::kWarn, {},
                            absl::StrCat(abandoned_,
                                         " invocations past their deadline are still running; not "
                                         "waiting for them"));
    }
  }
  for (const auto& worker : joinable) {
    if (worker->thread.joinable()) worker->thread.join();
    if (worker->slot != nullptr) watchdog_.RemoveSlot(worker->slot);
  }
  return result;
}

uint64_t LoopSupervisor::invocations() const {
  MutexLock lock(&mu_);
  uint64_t total = retired_invocations_;
  for (const auto& worker : workers_) total += worker->loop->invocations();
  return total;
}

uint64_t LoopSupervisor::replacements() const {
  MutexLock lock(&mu_);
  return replacements_;
}

int LoopSupervisor::abandoned() const {
  MutexLock lock(&mu_);
  return abandoned_;
}

}  // namespace lmc
