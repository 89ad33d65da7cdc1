#include "lmc/dispatch/answer_sender.h"

#include <algorithm>
#include <chrono>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "lmc/strings.h"
#include "lmc/transport/api_request.h"
#include "lmc/transport/next_invocation.h"

namespace lmc {
namespace {

constexpr size_t kMaxLoggedMessage = 1024;

std::string_view Clip(std::string_view s, size_t max) {
  return s.size() > max ? s.substr(0, max) : s;
}

const char* KindName(AnswerKind kind) { return kind == AnswerKind::kError ? "error" : "response"; }

}  // namespace

AnswerSender::AnswerSender(LoopClient& client, const DispatchSettings& settings)
    : client_(client),
      settings_(settings),
      backoff_(settings.backoff_initial, settings.backoff_max,
               settings.random ? settings.random : Backoff::DefaultRandom()) {}

Delivery AnswerSender::Deliver(const Result& result, const AnswerTarget& target) {
  const LogSink& sink = *settings_.sink;
  if (result.ok()) {
    const Response& response = result.response();
    std::string_view content_type = response.content_type();
    if (!IsValidHeaderValue(content_type)) {
      sink.Write(LogLevel::kWarn, target.fields,
                 "the handler's content type holds CR, LF or NUL; sending "
                 "application/octet-stream");
      content_type = "application/octet-stream";
    }
    const Delivery delivery =
        Post({AnswerKind::kResponse, content_type, response.body(), {}}, target);
    if (delivery != Delivery::kTooLarge) return delivery;
    const Error too_large("Function.ResponseSizeTooLarge",
                          absl::StrCat("Response payload size (", response.body().size(),
                                       " bytes) exceeded the maximum allowed payload size."));
    sink.Write(LogLevel::kError, target.fields, too_large.message());
    return Post({AnswerKind::kError, {}, too_large.ToJson(), too_large.type()}, target);
  }
  const Error& error = result.error();
  sink.Write(LogLevel::kError, target.fields,
             absl::StrCat("invocation failed: ", AsAbsl(Clip(error.type(), kMaxLoggedMessage)),
                          ": ", AsAbsl(Clip(error.message(), kMaxLoggedMessage))));
  const Delivery delivery = Post({AnswerKind::kError, {}, error.ToJson(), error.type()}, target);
  return delivery == Delivery::kTooLarge ? Delivery::kFailed : delivery;
}

Delivery AnswerSender::Post(const WireAnswer& answer, const AnswerTarget& target) {
  const LogSink& sink = *settings_.sink;
  const Clock& clock = *settings_.clock;
  const char* const kind = KindName(answer.kind);
  backoff_.Reset();
  const Clock::TimePoint give_up = target.deadline + settings_.post_grace;
  for (int attempt = 1;; ++attempt) {
    // A POST may wait as long as the invocation may still be answered, never forever.
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(give_up - clock.Now());
    const auto timeout = std::max(left, std::chrono::milliseconds(1000));
    const absl::StatusOr<ApiReply> reply =
        answer.kind == AnswerKind::kError
            ? client_.PostError(target.request_id, target.invocation_id,
                                HeaderErrorType(answer.error_type), answer.body, timeout)
            : client_.PostResponse(target.request_id, target.invocation_id, answer.content_type,
                                   answer.body, timeout);
    const int http_status = reply.ok() ? reply->status : 0;
    const auto outcome = [&] {
      return reply.ok() ? absl::StrCat("HTTP ", http_status) : reply.status().ToString();
    };
    switch (ClassifyPost(reply.status(), http_status, answer.kind)) {
      case PostAction::kDone:
        return Delivery::kDelivered;
      case PostAction::kTooLarge:
        return Delivery::kTooLarge;
      case PostAction::kLate:
        sink.Write(LogLevel::kWarn, target.fields,
                   absl::StrCat("the ", kind,
                                " came too late: Lambda had already failed the invocation "
                                "(HTTP 410); not retried"));
        return Delivery::kLate;
      case PostAction::kGone:
        // The transport logged the reply; the invocation is over for Lambda.
        return Delivery::kFailed;
      case PostAction::kDrop:
        sink.Write(LogLevel::kError, target.fields,
                   absl::StrCat("could not deliver the ", kind, ": ", outcome()));
        return Delivery::kFailed;
      case PostAction::kRetry:
        break;
    }
    if (attempt >= settings_.max_post_attempts || clock.Now() >= give_up) {
      sink.Write(LogLevel::kError, target.fields,
                 absl::StrCat("giving up delivering the ", kind, " after ", attempt,
                              " attempts: ", outcome()));
      return Delivery::kFailed;
    }
    const auto delay = backoff_.NextDelay();
    sink.Write(LogLevel::kWarn, target.fields,
               absl::StrCat("delivering the ", kind, " failed (", outcome(), "); retrying in ",
                            delay.count(), " ms"));
    // Not cut short by Stop(): an invocation already taken must still be answered.
    absl::SleepFor(absl::FromChrono(delay));
  }
}

}  // namespace lmc
