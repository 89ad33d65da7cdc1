// File: tools/emulator/internal/answer_rules.h
//
// How the emulator answers a runtime's POST .../response or .../error (runtime-api.md §1.3):
// which status, which errorType and message, and whether the answer closes the invocation. Pure
// rules over the facts the server gathered, so every branch is unit-tested without sockets.
//
// Example (the server, under its lock):
//
//   AnswerFacts facts;
//   facts.invocation_known = inv != nullptr;
//   ...
//   const AnswerVerdict verdict = JudgeAnswer(facts, limits);
//   if (verdict.status == 0) ResetConnection();
//   else Reply(verdict.status, verdict.error_type, verdict.message);
//   if (verdict.closes) Close(inv);
//
// Thread-safe: no state.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>

namespace lmc::emulator::internal {

// The errorType Lambda's Runtime API puts in its JSON error body for `status`; used for injected
// faults, forced statuses and HTTP-level errors that have no more specific cause.
std::string_view ErrorTypeForStatus(int status);

// The closing rule: 202, 400, 403 and 410 end the invocation; 413, 5xx and resets leave it open
// so the runtime can follow up (an /error after a 413, a retry after a 5xx).
bool StatusCloses(int status);

// Body limits per endpoint, in bytes.
struct AnswerLimits {
  size_t response = 0;           // buffered POST .../response
  size_t streamed_response = 0;  // POST .../response with Lambda-Runtime-Function-Response-Mode
  size_t error = 0;              // POST .../error
};

// What the server knows about one complete answer POST.
struct AnswerFacts {
  bool is_error = false;          // .../error rather than .../response
  bool fault_reset = false;       // an injected fault: reset the connection
  int fault_status = 0;           // an injected fault: answer this status (0: none)
  bool invocation_known = false;  // the request id was dispatched (and is still tracked)
  bool invocation_closed = false;
  std::optional<int> forced_status;      // EventSpec::answer_status
  bool invocation_id_mismatch = false;   // a Lambda-Runtime-Invocation-Id of another attempt
  bool past_deadline = false;            // received after the deadline, deadlines enforced
  std::optional<std::string_view> mode;  // Lambda-Runtime-Function-Response-Mode, when sent
  size_t body_bytes = 0;                 // de-chunked
};

// The answer to the POST. `status` 0 means: reset the connection, answer nothing.
struct AnswerVerdict {
  int status = 202;
  std::string_view error_type;  // static strings; empty for 202 and resets
  std::string_view message;
  bool closes = true;            // the invocation ends with this answer
  bool unknown_request = false;  // the request id was never dispatched
  bool duplicate = false;        // the invocation was already answered
};

// Judges one answer. The rules apply in this order, the first that matches decides: injected
// fault, unknown request id (400), already answered (400), forced status, invocation id of
// another attempt (400, stays open), past the deadline (410), a response mode other than
// "streaming" on a response (400), body over the endpoint's limit (413, stays open), else 202.
AnswerVerdict JudgeAnswer(const AnswerFacts& facts, const AnswerLimits& limits);

}  // namespace lmc::emulator::internal
