#include "lmc/dispatch/poll_loop.h"

#include <optional>
#include <string>
#include <typeinfo>

#include "absl/strings/str_cat.h"
#include "lmc/base/temp_dir.h"
#include "lmc/dispatch/answer_sender.h"
#include "lmc/dispatch/crash_handler.h"
#include "lmc/dispatch/outcome.h"
#include "lmc/dispatch/stream_answer.h"
#include "lmc/event.h"
#include "lmc/internal/call_handler.h"
#include "lmc/internal/surface_access.h"
#include "lmc/strings.h"
#include "lmc/transport/next_invocation.h"

namespace lmc {
namespace {

// Lambda's longest function timeout, assumed when the deadline header is missing or garbled.
constexpr std::chrono::seconds kFallbackTimeout(900);

// True for the retry counts worth a log line (1, 2, 4, 8, ...): a long outage leaves a few
// lines, not one per attempt.
bool WorthLogging(int attempt) { return attempt > 0 && (attempt & (attempt - 1)) == 0; }

std::optional<std::string_view> TenantOf(const NextInvocation& next) {
  return next.has_tenant_id ? std::optional<std::string_view>(next.tenant_id) : std::nullopt;
}

// Where the answer to `next` goes and until when, warning about what had to be assumed: an
// invocation id unsafe in a header is not echoed, a missing or garbled deadline becomes 900 s.
AnswerTarget TargetOf(const NextInvocation& next, const LogSink& sink, const Clock& clock) {
  AnswerTarget target{next.request_id,
                      next.invocation_id,
                      {},
                      LogFields{next.request_id, TenantOf(next), next.trace_id}};
  if (!IsValidHeaderValue(target.invocation_id)) {
    sink.Write(LogLevel::kWarn, target.fields,
               "ignoring a Lambda-Runtime-Invocation-Id that cannot be echoed in a header");
    target.invocation_id = {};
  }
  if (next.deadline_ms.has_value()) {
    target.deadline = Clock::TimePoint(std::chrono::milliseconds(*next.deadline_ms));
  } else {
    target.deadline = clock.Now() + kFallbackTimeout;
    sink.Write(LogLevel::kWarn, target.fields,
               next.has_deadline_header
                   ? "Lambda-Runtime-Deadline-Ms is not a number; assuming a 900 s timeout"
                   : "Lambda-Runtime-Deadline-Ms is missing; assuming a 900 s timeout");
  }
  return target;
}

}  // namespace

struct PollLoop::State {
  State(LoopClient& client, const DispatchSettings& settings)
      : backoff(settings.backoff_initial, settings.backoff_max,
                settings.random ? settings.random : Backoff::DefaultRandom()),
        sender(client, settings),
        tmp_dir(settings.tmp_root) {}

  NextInvocation next;
  simdjson::ondemand::parser parser;
  internal::Cancellation cancellation;
  Backoff backoff;
  AnswerSender sender;
  LazyTempDir tmp_dir;
};

PollLoop::PollLoop(int index, std::unique_ptr<RuntimeApiClient> client,
                   const DispatchSettings& settings, FatalCallback on_fatal,
                   DeadlineWatchdog::Slot* watchdog_slot)
    : PollLoop(index, WrapRuntimeApiClient(std::move(client)), settings, std::move(on_fatal),
               watchdog_slot) {}

PollLoop::PollLoop(int index, std::unique_ptr<LoopClient> client, const DispatchSettings& settings,
                   FatalCallback on_fatal, DeadlineWatchdog::Slot* watchdog_slot)
    : index_(index),
      client_(std::move(client)),
      settings_(settings),
      on_fatal_(std::move(on_fatal)),
      watchdog_slot_(watchdog_slot),
      state_(std::make_unique<State>(*client_, settings)) {}

PollLoop::~PollLoop() = default;

bool PollLoop::stopping() const {
  MutexLock lock(&mu_);
  return stop_;
}

void PollLoop::Stop() {
  {
    MutexLock lock(&mu_);
    stop_ = true;
  }
  client_->Abort();
}

bool PollLoop::WaitUnlessStopped(std::chrono::milliseconds delay) {
  MutexLock lock(&mu_);
  return mu_.AwaitWithTimeout([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return stop_; }, delay);
}

void PollLoop::Run() {
  PrepareThreadForCrashReports();
  for (;;) {
    std::string what;
    try {
      RunUntilStopped();
      return;
    } catch (const std::exception& e) {
      what = absl::StrCat(internal::DemangledTypeName(typeid(e)), ": ", e.what());
    } catch (...) {
      what = "a non-std::exception value";
    }
    const LogSink& sink = *settings_.sink;
    sink.Write(
        LogLevel::kError, {},
        absl::StrCat("loop ", index_, ": unexpected exception (", what, "); restarting the loop"));
    // Whatever the invocation in hand left in its temp dir goes, as after a normal invocation.
    state_->tmp_dir.Remove().IgnoreError();
    if (answer_pending_) {
      answer_pending_ = false;
      try {
        AnswerUnrunnable(
            Error("Runtime.InternalError", absl::StrCat("the runtime failed: ", what)));
      } catch (...) {
        sink.Write(LogLevel::kError, {}, "could not report the failure to the Runtime API");
      }
    }
    if (retired()) return;
    // A short pause so an exception that repeats on every event cannot spin.
    if (WaitUnlessStopped(state_->backoff.NextDelay())) return;
  }
}

void PollLoop::RunUntilStopped() {
  const LogSink& sink = *settings_.sink;
  int consecutive_fatal = 0;
  while (!stopping()) {
    NextInvocation& next = state_->next;
    const absl::Status status = client_->Next(next);
    switch (ClassifyNext(status, next.http_status)) {
      case NextAction::kStop:
        return;
      case NextAction::kRun:
        state_->backoff.Reset();
        consecutive_fatal = 0;
        RunInvocation();
        // A detached loop never polls again: a replacement took its place.
        if (retired()) return;
        break;
      case NextAction::kSkip:
        state_->backoff.Reset();
        sink.Write(LogLevel::kError, {}, absl::StrCat("loop ", index_, ": ", status.ToString()));
        // The headers arrived before the body was refused: report the event as failed.
        if (IsValidRequestId(next.request_id)) {
          AnswerUnrunnable(Error("Runtime.EventTooLarge", std::string(AsStd(status.message()))));
        }
        break;
      case NextAction::kFatal:
        if (++consecutive_fatal >= settings_.max_consecutive_fatal) {
          on_fatal_(absl::UnavailableError(
              absl::StrCat("the Runtime API answered /next with 500 ", consecutive_fatal,
                           " times in a row (non-recoverable state)")));
          return;
        }
        [[fallthrough]];
      case NextAction::kRetry: {
        const auto delay = state_->backoff.NextDelay();
        if (WorthLogging(state_->backoff.attempts())) {
          sink.Write(LogLevel::kWarn, {},
                     absl::StrCat(
                         "loop ", index_, ": /next failed (",
                         status.ok() ? absl::StrCat("HTTP ", next.http_status) : status.ToString(),
                         "), attempt ", state_->backoff.attempts(), "; retrying in ", delay.count(),
                         " ms"));
        }
        WaitUnlessStopped(delay);
        break;
      }
    }
    next.body.Clear();
    next.body.Trim(settings_.retained_event_bytes);
  }
}

void PollLoop::AnswerUnrunnable(const Error& error) {
  const NextInvocation& next = state_->next;
  AnswerTarget target{next.request_id, next.invocation_id,
                      settings_.clock->Now() + kFallbackTimeout,
                      LogFields{next.request_id, TenantOf(next), {}}};
  if (!IsValidHeaderValue(target.invocation_id)) target.invocation_id = {};
  state_->sender.Deliver(error, target);
}

void PollLoop::RunInvocation() {
  const LogSink& sink = *settings_.sink;
  const Clock& clock = *settings_.clock;
  const NextInvocation& next = state_->next;
  invocations_.fetch_add(1, std::memory_order_relaxed);

  if (!IsValidRequestId(next.request_id)) {
    // Unusable in a URL: nothing can be posted for it. Lambda will time it out.
    sink.Write(
        LogLevel::kError, {},
        absl::StrCat("loop ", index_, ": skipping an event whose request id (",
                     next.request_id.size(), " bytes) is missing or not a safe URL segment"));
    return;
  }
  const ScopedCrashContext crash_context(next.request_id);
  answer_pending_ = true;
  const AnswerTarget target = TargetOf(next, sink, clock);
  if (sink.Enabled(LogLevel::kDebug)) {
    sink.Write(LogLevel::kDebug, target.fields,
               absl::StrCat("invocation start: ", next.body.size(), " bytes, loop ", index_));
  }
  if (sink.Enabled(LogLevel::kTrace)) {
    sink.Write(LogLevel::kTrace, target.fields, absl::StrCat("event: ", AsAbsl(next.body.view())));
  }

  // Created only if the handler asks for it (see LazyTempDir).
  LazyTempDir& dir = state_->tmp_dir;
  dir.Reset(target.fields.tenant_id);
  const internal::InvocationFields invocation{
      next.request_id,     target.invocation_id,  next.function_arn,       next.trace_id,
      next.client_context, next.cognito_identity, target.fields.tenant_id, target.deadline};
  state_->cancellation.Reset();
  const Context context = internal::SurfaceAccess::MakeContext(
      invocation, dir, sink, settings_.function, clock, &state_->cancellation);
  const Event event = internal::SurfaceAccess::MakeEvent(
      next.body.view(), next.body.capacity() + PaddedBuffer::kPadding, next.content_type,
      &state_->parser);
  if (watchdog_slot_ != nullptr) {
    watchdog_slot_->Begin(next.request_id, target.fields.tenant_id, target.deadline,
                          &state_->cancellation);
  }
  in_handler_.store(true, std::memory_order_release);
  // A streamed answer is delivered while the handler runs; only a failure before its first byte
  // is left to the sender.
  const std::optional<Result> result =
      settings_.streaming_handler != nullptr
          ? StreamAnswer(*settings_.streaming_handler, event, context, *client_,
                         {next.request_id, target.invocation_id, target.fields}, sink)
          : std::optional<Result>(internal::CallHandler(*settings_.handler, event, context));
  in_handler_.store(false, std::memory_order_release);
  if (watchdog_slot_ != nullptr && watchdog_slot_->End()) {
    retired_.store(true, std::memory_order_release);
  }

  answer_pending_ = false;
  if (result.has_value()) state_->sender.Deliver(*result, target);

  uint64_t left_behind = 0;
  if (absl::Status removed = dir.Remove(&left_behind); !removed.ok()) {
    sink.Write(
        LogLevel::kWarn, target.fields,
        absl::StrCat("could not fully remove the invocation's temp dir: ", removed.ToString()));
  } else if (left_behind > 0 && sink.Enabled(LogLevel::kDebug)) {
    sink.Write(LogLevel::kDebug, target.fields,
               absl::StrCat("removed ", left_behind, " entries left in the temp dir"));
  }
}

}  // namespace lmc
