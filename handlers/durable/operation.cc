#include "handlers/durable/operation.h"

#include <array>
#include <optional>
#include <string_view>
#include <utility>

namespace lmc::durable {
namespace {

// One table per enum: the wire word of each value, in enum order.
constexpr std::array<std::string_view, 6> kTypeNames = {"EXECUTION", "CONTEXT",  "STEP",
                                                        "WAIT",      "CALLBACK", "CHAINED_INVOKE"};
constexpr std::array<std::string_view, 8> kStatusNames = {
    "STARTED", "PENDING", "READY", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED"};
constexpr std::array<std::string_view, 5> kActionNames = {"START", "SUCCEED", "FAIL", "RETRY",
                                                          "CANCEL"};

template <typename Enum, size_t N>
std::optional<Enum> Parse(const std::array<std::string_view, N>& names, std::string_view text) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == text) return static_cast<Enum>(i);
  }
  return std::nullopt;
}

}  // namespace

std::string_view ToString(OperationType type) { return kTypeNames[static_cast<size_t>(type)]; }
std::string_view ToString(OperationStatus status) {
  return kStatusNames[static_cast<size_t>(status)];
}
std::string_view ToString(OperationAction action) {
  return kActionNames[static_cast<size_t>(action)];
}

std::optional<OperationType> ParseOperationType(std::string_view text) {
  return Parse<OperationType>(kTypeNames, text);
}
std::optional<OperationStatus> ParseOperationStatus(std::string_view text) {
  return Parse<OperationStatus>(kStatusNames, text);
}
std::optional<OperationAction> ParseOperationAction(std::string_view text) {
  return Parse<OperationAction>(kActionNames, text);
}

bool IsTerminal(OperationStatus status) {
  switch (status) {
    case OperationStatus::kSucceeded:
    case OperationStatus::kFailed:
    case OperationStatus::kCancelled:
    case OperationStatus::kTimedOut:
    case OperationStatus::kStopped:
      return true;
    case OperationStatus::kStarted:
    case OperationStatus::kPending:
    case OperationStatus::kReady:
      return false;
  }
  return false;
}

}  // namespace lmc::durable
