#include "lmc/dispatch/poll_loop.h"

#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <optional>
#include <string>
#include <typeinfo>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lmc/base/strings.h"
#include "lmc/base/temp_dir.h"
#include "lmc/dispatch/crash_handler.h"
#include "lmc/dispatch/outcome.h"
#include "lmc/event.h"
#include "lmc/internal/surface_access.h"
#include "lmc/transport/next_invocation.h"

namespace lmc {
namespace {

// Lambda's longest function timeout, assumed when the deadline header is missing or garbled.
constexpr std::chrono::seconds kFallbackTimeout(900);
constexpr size_t kMaxLoggedMessage = 1024;

std::string DemangledName(const std::type_info& type) {
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  std::string out = (status == 0 && name != nullptr) ? name : type.name();
  std::free(name);  // NOLINT: __cxa_demangle allocates with malloc.
  return out;
}

std::string_view Clip(std::string_view s, size_t max) {
  return s.size() > max ? s.substr(0, max) : s;
}

// True for the retry counts worth a log line (1, 2, 4, 8, ...): a long outage leaves a few
// lines, not one per attempt.
bool WorthLogging(int attempt) { return attempt > 0 && (attempt & (attempt - 1)) == 0; }

// The invocation id to echo: the one from /next when it is safe in a header, else none.
std::string_view EchoableInvocationId(const NextInvocation& next) {
  if (!IsValidHeaderValue(next.invocation_id)) return {};
  return next.invocation_id;
}

}  // namespace

struct PollLoop::State {
  explicit State(const DispatchSettings& settings)
      : backoff(settings.backoff_initial, settings.backoff_max,
                settings.random ? settings.random : Backoff::DefaultRandom()),
        post_backoff(settings.backoff_initial, settings.backoff_max,
                     settings.random ? settings.random : Backoff::DefaultRandom()),
        tmp_dir(settings.tmp_root) {}

  NextInvocation next;
  simdjson::ondemand::parser parser;
  Cancellation cancellation;
  Backoff backoff;
  Backoff post_backoff;
  LazyTempDir tmp_dir;
};

Result CallHandler(const Handler& handler, const Event& event, const Context& context) {
  try {
    return handler(event, context);
  } catch (const std::exception& e) {
    return Error(DemangledName(typeid(e)), e.what());
  } catch (...) {
    return Error("UnknownException", "the handler threw a value that is not a std::exception");
  }
}

std::string_view HeaderErrorType(std::string_view error_type) {
  if (error_type.empty() || error_type.size() > 128) return "Unhandled";
  for (char c : error_type) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '_' || c == ':' || c == '-';
    if (!ok) return "Unhandled";
  }
  return error_type;
}

PollLoop::PollLoop(int index, std::unique_ptr<RuntimeApiClient> client,
                   const DispatchSettings& settings, FatalCallback on_fatal,
                   DeadlineWatchdog::Slot* watchdog_slot)
    : index_(index),
      client_(std::move(client)),
      settings_(settings),
      on_fatal_(std::move(on_fatal)),
      watchdog_slot_(watchdog_slot),
      state_(std::make_unique<State>(settings)) {}

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
      what = absl::StrCat(DemangledName(typeid(e)), ": ", e.what());
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
      const NextInvocation& next = state_->next;
      try {
        Deliver(Error("Runtime.InternalError", absl::StrCat("the runtime failed: ", what)),
                EchoableInvocationId(next), settings_.clock->Now() + kFallbackTimeout,
                LogFields{next.request_id, {}, {}});
      } catch (...) {
        sink.Write(LogLevel::kError, {}, "could not report the failure to the Runtime API");
      }
    }
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
        Process();
        break;
      case NextAction::kSkip: {
        state_->backoff.Reset();
        sink.Write(LogLevel::kError, {}, absl::StrCat("loop ", index_, ": ", status.ToString()));
        // The headers arrived before the body was refused: report the event as failed.
        if (IsValidRequestId(next.request_id)) {
          const Error error("Runtime.EventTooLarge", std::string(AsStd(status.message())));
          const std::string_view invocation_id = EchoableInvocationId(next);
          Deliver(error, invocation_id, settings_.clock->Now() + kFallbackTimeout,
                  LogFields{next.request_id, std::nullopt, {}});
        }
        break;
      }
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

void PollLoop::Process() {
  const LogSink& sink = *settings_.sink;
  const Clock& clock = *settings_.clock;
  NextInvocation& next = state_->next;
  invocations_.fetch_add(1, std::memory_order_relaxed);

  if (!IsValidRequestId(next.request_id)) {
    // Unusable in a URL: nothing can be posted for it. Lambda will time it out.
    sink.Write(
        LogLevel::kError, {},
        absl::StrCat("loop ", index_, ": skipping an event whose request id (",
                     next.request_id.size(), " bytes) is missing or not a safe URL segment"));
    return;
  }
  const std::optional<std::string_view> tenant =
      next.has_tenant_id ? std::optional<std::string_view>(next.tenant_id) : std::nullopt;
  const LogFields fields{next.request_id, tenant, next.trace_id};
  const ScopedCrashContext crash_context(next.request_id);
  answer_pending_ = true;

  std::string_view invocation_id = next.invocation_id;
  if (!IsValidHeaderValue(invocation_id)) {
    sink.Write(LogLevel::kWarn, fields,
               "ignoring a Lambda-Runtime-Invocation-Id that cannot be echoed in a header");
    invocation_id = {};
  }
  Clock::TimePoint deadline;
  if (next.deadline_ms.has_value()) {
    deadline = Clock::TimePoint(std::chrono::milliseconds(*next.deadline_ms));
  } else {
    deadline = clock.Now() + kFallbackTimeout;
    sink.Write(LogLevel::kWarn, fields,
               next.has_deadline_header
                   ? "Lambda-Runtime-Deadline-Ms is not a number; assuming a 900 s timeout"
                   : "Lambda-Runtime-Deadline-Ms is missing; assuming a 900 s timeout");
  }
  if (sink.Enabled(LogLevel::kDebug)) {
    sink.Write(LogLevel::kDebug, fields,
               absl::StrCat("invocation start: ", next.body.size(), " bytes, loop ", index_));
  }
  if (sink.Enabled(LogLevel::kTrace)) {
    sink.Write(LogLevel::kTrace, fields, absl::StrCat("event: ", AsAbsl(next.body.view())));
  }

  // Created only if the handler asks for it (see LazyTempDir).
  LazyTempDir& dir = state_->tmp_dir;
  dir.Reset(tenant);

  const internal::InvocationFields invocation{
      next.request_id,       invocation_id, next.function_arn, next.trace_id, next.client_context,
      next.cognito_identity, tenant,        deadline};
  state_->cancellation.Reset();
  const Context context = internal::SurfaceAccess::MakeContext(
      invocation, dir, sink, settings_.function, clock, &state_->cancellation);
  const Event event = internal::SurfaceAccess::MakeEvent(
      next.body.view(), next.body.capacity() + PaddedBuffer::kPadding, next.content_type,
      &state_->parser);
  if (watchdog_slot_ != nullptr) {
    watchdog_slot_->Begin(next.request_id, tenant, deadline, &state_->cancellation);
  }
  const Result result = CallHandler(*settings_.handler, event, context);
  if (watchdog_slot_ != nullptr) watchdog_slot_->End();

  answer_pending_ = false;
  Deliver(result, invocation_id, deadline, fields);

  uint64_t left_behind = 0;
  if (absl::Status removed = dir.Remove(&left_behind); !removed.ok()) {
    sink.Write(
        LogLevel::kWarn, fields,
        absl::StrCat("could not fully remove the invocation's temp dir: ", removed.ToString()));
  } else if (left_behind > 0 && sink.Enabled(LogLevel::kDebug)) {
    sink.Write(LogLevel::kDebug, fields,
               absl::StrCat("removed ", left_behind, " entries left in the temp dir"));
  }
}

void PollLoop::Deliver(const Result& result, std::string_view invocation_id,
                       Clock::TimePoint deadline, const LogFields& fields) {
  const LogSink& sink = *settings_.sink;
  if (result.ok()) {
    const Response& response = result.response();
    std::string_view content_type = response.content_type();
    if (!IsValidHeaderValue(content_type)) {
      sink.Write(LogLevel::kWarn, fields,
                 "the handler's content type holds CR, LF or NUL; sending "
                 "application/octet-stream");
      content_type = "application/octet-stream";
    }
    const Delivery delivery =
        Post(false, invocation_id, content_type, response.body(), {}, deadline, fields);
    if (delivery != Delivery::kTooLarge) return;
    const Error too_large("Function.ResponseSizeTooLarge",
                          absl::StrCat("Response payload size (", response.body().size(),
                                       " bytes) exceeded the maximum allowed payload size."));
    sink.Write(LogLevel::kError, fields, too_large.message());
    Post(true, invocation_id, "application/json", too_large.ToJson(),
         HeaderErrorType(too_large.type()), deadline, fields);
    return;
  }
  const Error& error = result.error();
  sink.Write(LogLevel::kError, fields,
             absl::StrCat("invocation failed: ", AsAbsl(Clip(error.type(), kMaxLoggedMessage)),
                          ": ", AsAbsl(Clip(error.message(), kMaxLoggedMessage))));
  Post(true, invocation_id, "application/json", error.ToJson(), HeaderErrorType(error.type()),
       deadline, fields);
}

PollLoop::Delivery PollLoop::Post(bool is_error, std::string_view invocation_id,
                                  std::string_view content_type, std::string_view body,
                                  std::string_view error_type, Clock::TimePoint deadline,
                                  const LogFields& fields) {
  const LogSink& sink = *settings_.sink;
  const Clock& clock = *settings_.clock;
  const NextInvocation& next = state_->next;
  Backoff& backoff = state_->post_backoff;
  backoff.Reset();
  const Clock::TimePoint give_up = deadline + settings_.post_grace;
  for (int attempt = 1;; ++attempt) {
    // A POST may wait as long as the invocation may still be answered, never forever.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - clock.Now());
    const auto timeout = std::max(left, std::chrono::milliseconds(1000));
    const absl::StatusOr<ApiReply> reply =
        is_error
            ? client_->PostError(next.request_id, invocation_id, error_type, body, timeout)
            : client_->PostResponse(next.request_id, invocation_id, content_type, body, timeout);
    const int http_status = reply.ok() ? reply->status : 0;
    const auto outcome = [&] {
      return reply.ok() ? absl::StrCat("HTTP ", http_status) : reply.status().ToString();
    };
    switch (ClassifyPost(reply.status(), http_status, is_error)) {
      case PostAction::kDone:
        return Delivery::kDelivered;
      case PostAction::kTooLarge:
        return Delivery::kTooLarge;
      case PostAction::kGone:
        // The transport logged the reply; the invocation is over for Lambda.
        return Delivery::kFailed;
      case PostAction::kDrop:
        sink.Write(LogLevel::kError, fields,
                   absl::StrCat("could not deliver the ", is_error ? "error" : "response", ": ",
                                outcome()));
        return Delivery::kFailed;
      case PostAction::kRetry:
        break;
    }
    if (attempt >= settings_.max_post_attempts || clock.Now() >= give_up) {
      sink.Write(LogLevel::kError, fields,
                 absl::StrCat("giving up delivering the ", is_error ? "error" : "response",
                              " after ", attempt, " attempts: ", outcome()));
      return Delivery::kFailed;
    }
    const auto delay = backoff.NextDelay();
    sink.Write(LogLevel::kWarn, fields,
               absl::StrCat("delivering the ", is_error ? "error" : "response", " failed (",
                            outcome(), "); retrying in ", delay.count(), " ms"));
    // Not cut short by Stop(): an invocation already taken must still be answered.
    absl::SleepFor(absl::FromChrono(delay));
  }
}

}  // namespace lmc
