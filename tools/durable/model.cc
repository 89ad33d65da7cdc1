#include "tools/durable/model.h"

#include <array>
#include <utility>

namespace lmc::durable_service {
namespace {

// One table per enum: the wire name of each enumerator, in enumerator order.
constexpr std::array<std::string_view, 6> kTypeNames = {"EXECUTION", "CONTEXT",  "STEP",
                                                        "WAIT",      "CALLBACK", "CHAINED_INVOKE"};
constexpr std::array<std::string_view, 8> kStatusNames = {
    "STARTED", "PENDING", "READY", "SUCCEEDED", "FAILED", "CANCELLED", "TIMED_OUT", "STOPPED"};
constexpr std::array<std::string_view, 5> kActionNames = {"START", "SUCCEED", "FAIL", "RETRY",
                                                          "CANCEL"};
constexpr std::array<std::string_view, 5> kExecutionStatusNames = {"RUNNING", "SUCCEEDED", "FAILED",
                                                                   "TIMED_OUT", "STOPPED"};

template <typename Enum, size_t N>
std::optional<Enum> Lookup(const std::array<std::string_view, N>& names, std::string_view name) {
  for (size_t i = 0; i < N; ++i) {
    if (names[i] == name) return static_cast<Enum>(i);
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
std::string_view ToString(ExecutionStatus status) {
  return kExecutionStatusNames[static_cast<size_t>(status)];
}

std::optional<OperationType> ParseOperationType(std::string_view name) {
  return Lookup<OperationType>(kTypeNames, name);
}
std::optional<OperationStatus> ParseOperationStatus(std::string_view name) {
  return Lookup<OperationStatus>(kStatusNames, name);
}
std::optional<OperationAction> ParseOperationAction(std::string_view name) {
  return Lookup<OperationAction>(kActionNames, name);
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

}  // namespace lmc::durable_service
