// OperationLog::Validate(): the checkpoint rules (see operation_log.h). The messages are the
// service's InvalidParameterValueException messages, prefixed with the update's index.

#include <cstdint>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "tools/durable/operation_log.h"

namespace lmc::durable_service {
namespace {

// The model's limits: OperationId [a-zA-Z0-9-_]{1,64}, OperationName [\x20-\x7E]{1,256},
// OperationSubType [a-zA-Z0-9-_]{1,32}, payloads up to 6 MiB, delays 1..31622400 s.
constexpr size_t kMaxIdChars = 64;
constexpr size_t kMaxNameChars = 256;
constexpr size_t kMaxSubTypeChars = 32;
constexpr size_t kMaxPayloadBytes = 6291456;
constexpr int64_t kMaxDelaySeconds = 31622400;

bool IsIdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

bool ValidId(const std::string& s, size_t max_chars) {
  if (s.empty() || s.size() > max_chars) return false;
  for (char c : s) {
    if (!IsIdChar(c)) return false;
  }
  return true;
}

bool ValidName(const std::string& s) {
  if (s.empty() || s.size() > kMaxNameChars) return false;
  for (char c : s) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

bool ActionAllowed(OperationType type, OperationAction action) {
  using A = OperationAction;
  switch (type) {
    case OperationType::kStep:
      return action != A::kCancel;
    case OperationType::kContext:
      return action == A::kStart || action == A::kSucceed || action == A::kFail;
    case OperationType::kWait:
    case OperationType::kChainedInvoke:
      return action == A::kStart || action == A::kCancel;
    case OperationType::kCallback:
      return action == A::kStart;
    case OperationType::kExecution:
      return action == A::kSucceed || action == A::kFail;
  }
  return false;
}

// The status an operation has after `u`, for the checks of later updates in the same batch.
OperationStatus StatusAfter(const OperationUpdate& u) {
  switch (u.action) {
    case OperationAction::kStart:
      return OperationStatus::kStarted;
    case OperationAction::kSucceed:
      return OperationStatus::kSucceeded;
    case OperationAction::kFail:
      return OperationStatus::kFailed;
    case OperationAction::kRetry:
      return OperationStatus::kPending;
    case OperationAction::kCancel:
      return OperationStatus::kCancelled;
  }
  return OperationStatus::kStarted;
}

absl::Status Bad(const std::string& message) { return absl::InvalidArgumentError(message); }

absl::Status CheckShape(const OperationUpdate& u) {
  if (!ValidId(u.id, kMaxIdChars)) return Bad("Invalid operation id.");
  if (u.parent_id && !ValidId(*u.parent_id, kMaxIdChars)) {
    return Bad("Invalid parent operation id.");
  }
  if (u.name && !ValidName(*u.name)) return Bad("Invalid operation name.");
  if (u.sub_type && !ValidId(*u.sub_type, kMaxSubTypeChars)) {
    return Bad("Invalid operation subtype.");
  }
  if (u.payload && u.payload->size() > kMaxPayloadBytes) {
    return Bad("Payload size must be at most 6291456 bytes.");
  }
  if (!ActionAllowed(u.type, u.action)) return Bad("Invalid action for the given operation type.");
  if (u.action == OperationAction::kFail && u.payload) {
    return Bad("Cannot provide a Payload for FAIL action.");
  }
  if (u.action == OperationAction::kSucceed && u.error) {
    return Bad("Cannot provide an Error for SUCCEED action.");
  }
  return absl::OkStatus();
}

absl::Status CheckOptions(const OperationUpdate& u) {
  auto in_range = [](const std::optional<int64_t>& v) {
    return v && *v >= 1 && *v <= kMaxDelaySeconds;
  };
  if (u.type == OperationType::kWait && u.action == OperationAction::kStart &&
      !in_range(u.wait_seconds)) {
    return Bad("Invalid WaitOptions: WaitSeconds must be between 1 and 31622400.");
  }
  if (u.action == OperationAction::kRetry) {
    if (!in_range(u.next_attempt_delay_seconds)) {
      return Bad("Invalid StepOptions: NextAttemptDelaySeconds must be between 1 and 31622400.");
    }
    if (u.error && u.payload) return Bad("Cannot provide both error and payload to RETRY a STEP.");
  }
  if (u.type == OperationType::kCallback &&
      ((u.callback_timeout_seconds && *u.callback_timeout_seconds < 0) ||
       (u.callback_heartbeat_seconds && *u.callback_heartbeat_seconds < 0))) {
    return Bad("Invalid CallbackOptions: timeouts must not be negative.");
  }
  if (u.type == OperationType::kChainedInvoke && u.action == OperationAction::kStart &&
      (!u.function_name || u.function_name->empty())) {
    return Bad("Invalid ChainedInvokeOptions: FunctionName is required.");
  }
  return absl::OkStatus();
}

absl::Status CheckConsistent(const OperationUpdate& u, const Operation& current) {
  if (u.type != current.type) return Bad("Inconsistent operation type.");
  if (u.sub_type && u.sub_type != current.sub_type) return Bad("Inconsistent operation subtype.");
  if (u.name && u.name != current.name) return Bad("Inconsistent operation name.");
  if (u.parent_id && u.parent_id != current.parent_id) {
    return Bad("Inconsistent parent operation id.");
  }
  return absl::OkStatus();
}

// The transition rules, per type, from the operation's current status (nullopt: not logged).
absl::Status CheckTransition(const OperationUpdate& u, std::optional<OperationStatus> current) {
  using S = OperationStatus;
  using A = OperationAction;
  const bool open = current == S::kStarted || current == S::kReady;
  switch (u.type) {
    case OperationType::kStep:
      if (u.action == A::kStart && current && current != S::kReady) {
        return Bad("Invalid current STEP state to start.");
      }
      if ((u.action == A::kSucceed || u.action == A::kFail) && current && !open) {
        return Bad("Invalid current STEP state to close.");
      }
      if (u.action == A::kRetry && current && !open) {
        return Bad("Invalid current STEP state to re-attempt.");
      }
      return absl::OkStatus();
    case OperationType::kContext:
      if (u.action == A::kStart && current) {
        return Bad("Cannot start a CONTEXT that already exist.");
      }
      if (u.action != A::kStart && current && current != S::kStarted) {
        return Bad("Invalid current CONTEXT state to close.");
      }
      return absl::OkStatus();
    case OperationType::kWait:
    case OperationType::kChainedInvoke:
    case OperationType::kCallback: {
      const std::string_view what = ToString(u.type);
      if (u.action == A::kStart && current) {
        return Bad(absl::StrCat("Cannot start a ", AsAbsl(what), " that already exist."));
      }
      if (u.action == A::kCancel && current != S::kStarted) {
        return Bad(absl::StrCat("Cannot cancel a ", AsAbsl(what),
                                " that does not exist or has already completed."));
      }
      return absl::OkStatus();
    }
    case OperationType::kExecution:
      return absl::OkStatus();
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status OperationLog::ValidateOne(const OperationUpdate& u, const Operation* current,
                                       bool parent_started_in_batch) const {
  if (absl::Status s = CheckShape(u); !s.ok()) return s;
  if (absl::Status s = CheckOptions(u); !s.ok()) return s;
  if (u.type == OperationType::kExecution) return absl::OkStatus();
  if (u.parent_id && !parent_started_in_batch) {
    const Operation* parent = Find(*u.parent_id);
    if (parent == nullptr || parent->type != OperationType::kContext) {
      return Bad("Invalid parent operation id.");
    }
  }
  if (current != nullptr) {
    if (absl::Status s = CheckConsistent(u, *current); !s.ok()) return s;
  }
  return CheckTransition(u, current ? std::optional(current->status) : std::nullopt);
}

absl::Status OperationLog::Validate(const std::vector<OperationUpdate>& updates) const {
  size_t executions = 0;
  for (const OperationUpdate& u : updates) executions += u.type == OperationType::kExecution;
  if (executions > 1) return Bad("Cannot checkpoint multiple EXECUTION updates.");
  if (executions == 1 && updates.back().type != OperationType::kExecution) {
    return Bad("EXECUTION checkpoint must be the last update.");
  }
  // Earlier updates of this batch, as later ones see them.
  absl::flat_hash_map<std::string, Operation> in_batch;
  absl::flat_hash_map<std::string, const OperationUpdate*> last_update;
  for (size_t i = 0; i < updates.size(); ++i) {
    const OperationUpdate& u = updates[i];
    auto prefix = [i](const absl::Status& s) {
      return Bad(absl::StrCat("Updates[", i, "]: ", s.message()));
    };
    if (auto it = last_update.find(u.id); it != last_update.end()) {
      const OperationUpdate& prev = *it->second;
      const bool pair =
          (prev.type == OperationType::kStep || prev.type == OperationType::kContext) &&
          prev.action == OperationAction::kStart && u.action != OperationAction::kStart;
      if (!pair) return prefix(Bad("Cannot checkpoint multiple operations with the same ID."));
    }
    bool parent_in_batch = false;
    if (u.parent_id) {
      if (auto p = in_batch.find(*u.parent_id); p != in_batch.end()) {
        if (p->second.type != OperationType::kContext) {
          return prefix(Bad("Invalid parent operation id."));
        }
        parent_in_batch = true;
      }
    }
    const Operation* current = Find(u.id);
    if (auto b = in_batch.find(u.id); b != in_batch.end()) current = &b->second;
    if (absl::Status s = ValidateOne(u, current, parent_in_batch); !s.ok()) return prefix(s);
    Operation simulated = current != nullptr ? *current : Operation{};
    simulated.id = u.id;
    simulated.type = u.type;
    if (current == nullptr) {
      simulated.sub_type = u.sub_type;
      simulated.name = u.name;
      simulated.parent_id = u.parent_id;
    }
    simulated.status = StatusAfter(u);
    in_batch[u.id] = std::move(simulated);
    last_update[u.id] = &u;
  }
  return absl::OkStatus();
}

}  // namespace lmc::durable_service
