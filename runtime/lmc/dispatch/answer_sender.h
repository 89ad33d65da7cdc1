// File: lmc/dispatch/answer_sender.h
//
// AnswerSender: delivers the answer to one invocation (a response or an error) to the Runtime
// API, retrying transient failures with jittered backoff within bounds, and turning a 413 on
// /response into a Function.ResponseSizeTooLarge error, as Lambda's own runtimes do. A 410 (the
// answer came after Lambda had already failed the invocation) is logged at WARN and never
// retried. Each poll loop owns one sender over its own client.
//
// Example:
//
//   lmc::AnswerSender sender(loop_client, settings);
//   const lmc::AnswerTarget target{request_id, invocation_id, deadline, fields};
//   switch (sender.Deliver(result, target)) { ... }
#pragma once

#include <string_view>

#include "lmc/base/backoff.h"
#include "lmc/base/log_sink.h"
#include "lmc/clock.h"
#include "lmc/dispatch/dispatch_settings.h"
#include "lmc/dispatch/loop_client.h"
#include "lmc/dispatch/outcome.h"
#include "lmc/handler.h"

namespace lmc {

// WireAnswer
//
// One answer on the wire (the emulator's record of one it received is emulator::Answer).
// Views: the caller keeps the bytes alive for the call.
struct WireAnswer {
  AnswerKind kind = AnswerKind::kResponse;
  std::string_view content_type;  // kResponse only; must be a valid header value
  std::string_view body;          // the response bytes, or the Lambda error JSON
  std::string_view error_type;    // kError only: the exact type (made header-safe when sent)
};

// AnswerTarget
//
// The invocation an answer is for. Views, like WireAnswer.
struct AnswerTarget {
  std::string_view request_id;     // valid per IsValidRequestId()
  std::string_view invocation_id;  // "" when none can be echoed
  Clock::TimePoint deadline;       // retries stop at deadline + DispatchSettings::post_grace
  LogFields fields;                // the invocation's log fields
};

// Delivery
//
// How delivering an answer ended.
enum class Delivery {
  kDelivered,  // 2xx
  kTooLarge,   // 413 on /response (Post() only; Deliver() rescues it through /error)
  kLate,       // 410: Lambda had already failed the invocation (logged at WARN)
  kFailed,     // refused (400/403, other 4xx) or retries exhausted (logged)
};

// AnswerSender
//
// Not thread-safe: owned and used by one loop. `client` and `settings` must outlive it.
class AnswerSender {
 public:
  AnswerSender(LoopClient& client, const DispatchSettings& settings);

  // Delivers a handler's result: a Response to /response (a content type unsafe in a header
  // becomes application/octet-stream; a 413 becomes Function.ResponseSizeTooLarge on /error),
  // an Error to /error (logged at ERROR first). Never kTooLarge.
  Delivery Deliver(const Result& result, const AnswerTarget& target);

  // Posts one answer, retrying transient failures (no reply, 5xx) until
  // DispatchSettings::max_post_attempts or deadline + post_grace. Blocks through retries; not cut
  // short by a shutdown, since an invocation already taken must still be answered.
  Delivery Post(const WireAnswer& answer, const AnswerTarget& target);

 private:
  LoopClient& client_;
  const DispatchSettings& settings_;
  Backoff backoff_;
};

}  // namespace lmc
