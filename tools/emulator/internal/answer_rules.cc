#include "tools/emulator/internal/answer_rules.h"

#include "lmc/strings.h"

namespace lmc::emulator::internal {

std::string_view ErrorTypeForStatus(int status) {
  switch (status) {
    case 400:
      return "InvalidRequestID";
    case 403:
      return "InvalidStateTransition";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 410:
      return "InvokeTimeout";
    case 413:
      return "RequestEntityTooLarge";
    case 429:
      return "TooManyRequests";
    case 431:
      return "RequestHeaderFieldsTooLarge";
    case 500:
      return "InternalServerError";
    case 501:
      return "NotImplemented";
    case 502:
      return "BadGateway";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "GatewayTimeout";
    case 505:
      return "HTTPVersionNotSupported";
    default:
      return "UnknownError";
  }
}

bool StatusCloses(int status) {
  return status == 202 || status == 400 || status == 403 || status == 410;
}

AnswerVerdict JudgeAnswer(const AnswerFacts& facts, const AnswerLimits& limits) {
  AnswerVerdict v;
  const auto reject = [&v](int status, std::string_view type, std::string_view message,
                           bool closes) {
    v.status = status;
    v.error_type = type;
    v.message = message;
    v.closes = closes;
    return v;
  };
  if (facts.fault_reset) {
    v.status = 0;
    v.closes = false;
    return v;
  }
  if (facts.fault_status != 0) {
    return reject(facts.fault_status, ErrorTypeForStatus(facts.fault_status), "injected fault",
                  StatusCloses(facts.fault_status));
  }
  if (!facts.invocation_known) {
    v.unknown_request = true;
    return reject(400, "InvalidRequestID", "unknown request id", false);
  }
  if (facts.invocation_closed) {
    v.duplicate = true;
    return reject(400, "InvalidRequestID", "the invocation was already answered", false);
  }
  if (facts.forced_status.has_value()) {
    return reject(*facts.forced_status, ErrorTypeForStatus(*facts.forced_status),
                  "status forced by EventSpec::answer_status", StatusCloses(*facts.forced_status));
  }
  if (facts.invocation_id_mismatch) {
    // A stale post from an earlier attempt must not end the current one.
    return reject(400, "InvalidRequestID",
                  "Lambda-Runtime-Invocation-Id does not match the current invocation", false);
  }
  if (facts.past_deadline) {
    return reject(410, "InvokeTimeout", "the invocation timed out", true);
  }
  if (!facts.is_error && facts.mode.has_value() && !EqualsIgnoreCase(*facts.mode, "streaming")) {
    return reject(400, "InvalidFunctionResponseMode",
                  "Lambda-Runtime-Function-Response-Mode must be 'streaming'", true);
  }
  const size_t limit = facts.is_error           ? limits.error
                       : facts.mode.has_value() ? limits.streamed_response
                                                : limits.response;
  if (facts.body_bytes > limit) {
    return reject(413, "RequestEntityTooLarge", "payload exceeds the size limit", false);
  }
  return v;
}

}  // namespace lmc::emulator::internal
