// File: lmc/dispatch/outcome.h
//
// What a poll loop does with each answer the Runtime API can give, as pure functions, so the
// policy reads in one place and is tested without a network. The protocol facts come from the
// Runtime API reference (/next: 200 event, 403 wrong state, 500 non-recoverable; POSTs: 202
// accepted, 400 unknown or already-answered id, 403 wrong state, 410 invocation timed out,
// 413 payload too large, 5xx failure).
//
// Example:
//
//   switch (lmc::ClassifyNext(status, next.http_status)) {
//     case lmc::NextAction::kRun: ...
//     case lmc::NextAction::kRetry: wait(backoff.NextDelay()); break;
//     ...
//   }
#pragma once

#include "absl/status/status.h"

namespace lmc {

// NextAction
//
// What to do after GET /next.
enum class NextAction {
  kRun,    // 200: run the event.
  kStop,   // The loop was told to stop (Abort()).
  kRetry,  // Transient: no reply, 403 or an unexpected status. Back off, then poll again.
  kFatal,  // 500: "Container error. Non-recoverable state." Counted; fatal once repeated.
  kSkip,   // A reply that cannot be run (oversized body): answered by the loop, then poll again.
};

// Classifies the outcome of RuntimeApiClient::Next(): `status` is its return value and
// `http_status` the reply's status (meaningful only when `status` is OK).
NextAction ClassifyNext(const absl::Status& status, int http_status);

// AnswerKind
//
// Which endpoint an answer goes to.
enum class AnswerKind {
  kResponse,  // POST .../response
  kError,     // POST .../error
};

// PostAction
//
// What to do after POST /response or /error.
enum class PostAction {
  kDone,      // 202: accepted.
  kGone,      // 400/403: the invocation is over for Lambda (unknown id, already answered, wrong
              // state). Log and go on; retrying cannot help.
  kLate,      // 410: the answer came after Lambda had failed the invocation (its deadline
              // passed). Log at WARN and go on; never retried.
  kTooLarge,  // 413 on /response: report Function.ResponseSizeTooLarge through /error instead.
  kRetry,     // No reply (reset, refused, timeout) or 5xx: retry with backoff, within bounds.
  kDrop,      // Anything else (e.g. 413 on /error, unknown 4xx): log and give up.
};

// Classifies the outcome of a PostResponse()/PostError() call. `kind` kError selects the /error
// rules (a 413 there cannot be rescued by another /error).
PostAction ClassifyPost(const absl::Status& status, int http_status, AnswerKind kind);

}  // namespace lmc
