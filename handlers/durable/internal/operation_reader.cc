#include "handlers/durable/internal/operation_reader.h"

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/wire_json.h"
#include "lmc/json_reader.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::durable::internal {
namespace {

using json_internal::FieldError;
using json_internal::ReadValue;

// The keys of each object this file reads, in the order lmc's reader would report a missing
// one. An operation's six details keys follow the order of OperationType.
constexpr std::array<std::string_view, 14> kOperationKeys = {"Id",
                                                             "ParentId",
                                                             "Name",
                                                             "Type",
                                                             "SubType",
                                                             "Status",
                                                             "StartTimestamp",
                                                             "EndTimestamp",
                                                             "ExecutionDetails",
                                                             "ContextDetails",
                                                             "StepDetails",
                                                             "WaitDetails",
                                                             "CallbackDetails",
                                                             "ChainedInvokeDetails"};
enum OperationKey { kId, kParentId, kName, kType, kSubType, kStatus, kStart, kEnd, kDetails0 };
constexpr uint32_t kOperationRequired = (1u << kId) | (1u << kType) | (1u << kStatus);

constexpr std::array<std::string_view, 8> kDetailsKeys = {
    "InputPayload",          "Result",    "Error",
    "ReplayChildren",        "Attempt",   "NextAttemptTimestamp",
    "ScheduledEndTimestamp", "CallbackId"};
constexpr std::array<std::string_view, 2> kStateKeys = {"Operations", "NextMarker"};
constexpr std::array<std::string_view, 3> kInvocationKeys = {
    "DurableExecutionArn", "CheckpointToken", "InitialExecutionState"};
constexpr std::array<std::string_view, 2> kCheckpointAnswerKeys = {"CheckpointToken",
                                                                   "NewExecutionState"};

// What every operation of one document shares: the document's name for errors and the unit of
// its timestamps.
struct Document {
  std::string_view name;  // "durable invocation event"
  TimestampUnit unit;
};

absl::Status Prefixed(std::string_view what, const absl::Status& status) {
  return absl::InvalidArgumentError(absl::StrCat(AsAbsl(what), ": ", status.message()));
}

std::optional<int64_t> ToMillis(const std::optional<double>& value, TimestampUnit unit) {
  if (!value.has_value()) return std::nullopt;
  return static_cast<int64_t>(
      std::llround(unit == TimestampUnit::kSeconds ? *value * 1000 : *value));
}

template <size_t N>
int IndexOf(const std::array<std::string_view, N>& keys, std::string_view key) {
  for (size_t i = 0; i < N; ++i) {
    if (keys[i] == key) return static_cast<int>(i);
  }
  return -1;
}

// The members of `object` named in `keys`, each passed to `read(index, value, path)`, with the
// rules of lmc's JsonFields (lmc/json_reader.h), whose words it uses: a key not in `keys` is
// skipped, one in it read at most once, and the `required` ones (a bit per index) must appear.
template <size_t N, typename Read>
absl::Status ReadMembers(simdjson::ondemand::object object, const JsonPath& path,
                         const std::array<std::string_view, N>& keys, uint32_t required,
                         Read&& read) {
  static_assert(N <= 32);
  uint32_t seen = 0;
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return FieldError(path, "not valid JSON");
    }
    const int index = IndexOf(keys, key);
    if (index < 0) continue;  // skipped by simdjson when the loop moves on
    const JsonPath member_path{&path, keys[static_cast<size_t>(index)], 0, false};
    const uint32_t bit = uint32_t{1} << index;
    if ((seen & bit) != 0) return FieldError(member_path, "appears more than once");
    seen |= bit;
    simdjson::ondemand::value member;
    if (field.value().get(member) != simdjson::SUCCESS) {
      return FieldError(member_path, "not valid JSON");
    }
    if (absl::Status status = read(index, member, member_path); !status.ok()) return status;
  }
  for (size_t i = 0; i < N; ++i) {
    if ((required >> i & 1u) != 0 && (seen >> i & 1u) == 0) {
      return FieldError(JsonPath{&path, keys[i], 0, false}, "required but missing");
    }
  }
  return absl::OkStatus();
}

// The same for a value that must be an object.
template <size_t N, typename Read>
absl::Status ReadObjectMembers(simdjson::ondemand::value json, const JsonPath& path,
                               const std::array<std::string_view, N>& keys, uint32_t required,
                               Read&& read) {
  simdjson::ondemand::object object;
  if (json.get_object().get(object) != simdjson::SUCCESS) {
    return json_internal::TypeError(json, path, "an object");
  }
  return ReadMembers(object, path, keys, required, std::forward<Read>(read));
}

// The same for a whole document, which must be one object and nothing after it.
template <size_t N, typename Read>
absl::Status ReadRoot(simdjson::simdjson_result<simdjson::ondemand::document>&& result,
                      const std::array<std::string_view, N>& keys, uint32_t required, Read&& read) {
  const JsonPath root;
  simdjson::ondemand::document document;
  if (std::move(result).get(document) != simdjson::SUCCESS) {
    return FieldError(root, "not valid JSON");
  }
  simdjson::ondemand::json_type type;
  if (document.type().get(type) != simdjson::SUCCESS) return FieldError(root, "not valid JSON");
  if (type != simdjson::ondemand::json_type::object) {
    // lmc's reader says what it is instead, in its words.
    JsonFields none;
    return json_internal::ReadDocument(
        simdjson::simdjson_result<simdjson::ondemand::document>(std::move(document)), none);
  }
  simdjson::ondemand::object object;
  // An object simdjson rejects before reading it (cut short, or followed by more than
  // whitespace and closing braces).
  if (document.get_object().get(object) != simdjson::SUCCESS) {
    return FieldError(root, "not valid JSON");
  }
  if (absl::Status status = ReadMembers(object, root, keys, required, std::forward<Read>(read));
      !status.ok()) {
    return status;
  }
  if (document.current_location().error() != simdjson::OUT_OF_BOUNDS) {
    return FieldError(root, "unexpected content after the object");
  }
  return absl::OkStatus();
}

// One member of a details object (StepDetails, WaitDetails, ...) into the field of `target`
// that the details types flatten into (operation.h).
absl::Status ReadDetailsMember(int index, simdjson::ondemand::value member, const JsonPath& at,
                               TimestampUnit unit, Operation& target) {
  absl::Status status;
  switch (index) {
    case 0:
      return ReadValue(member, target.input_payload, at);
    case 1:
      return ReadValue(member, target.result, at);
    case 2: {
      std::optional<ErrorWire> error;
      status = ReadValue(member, error, at);
      if (error.has_value()) target.error = FromWire(std::move(*error));
      return status;
    }
    case 3: {
      std::optional<bool> replay_children;
      status = ReadValue(member, replay_children, at);
      target.replay_children = replay_children.value_or(false);
      return status;
    }
    case 4: {
      std::optional<int64_t> attempt;
      status = ReadValue(member, attempt, at);
      target.attempt = static_cast<int>(attempt.value_or(0));
      return status;
    }
    case 5:
    case 6: {
      std::optional<double> timestamp;
      status = ReadValue(member, timestamp, at);
      (index == 5 ? target.next_attempt_ms : target.scheduled_end_ms) = ToMillis(timestamp, unit);
      return status;
    }
    default:
      return ReadValue(member, target.callback_id, at);
  }
}

// Moves what a details object set from `from` into `to`.
void TakeDetails(Operation& from, Operation& to) {
  to.input_payload = std::move(from.input_payload);
  to.result = std::move(from.result);
  to.error = std::move(from.error);
  to.replay_children = from.replay_children;
  to.attempt = from.attempt;
  to.next_attempt_ms = from.next_attempt_ms;
  to.scheduled_end_ms = from.scheduled_end_ms;
  to.callback_id = std::move(from.callback_id);
}

// OperationReader
//
// One element of an Operations array, read member by member into an Operation. Details objects
// are read where they stand: into the operation when they are its type's own, else (another
// type's, or the Type key is still to come) into a scratch slot per details key, so that any
// key order gives the same operation.
class OperationReader {
 public:
  OperationReader(const Document& document, Operation& op) : document_(document), op_(op) {}

  absl::Status Member(int index, simdjson::ondemand::value member, const JsonPath& at) {
    switch (index) {
      case kId:
        return ReadValue(member, op_.id, at);
      case kParentId:
        return ReadValue(member, op_.parent_id, at);
      case kName:
        return ReadValue(member, op_.name, at);
      case kType: {
        absl::Status status = ReadValue(member, type_word_, at);
        type_ = ParseOperationType(type_word_);
        return status;
      }
      case kSubType: {
        std::optional<std::string_view> sub_type;
        absl::Status status = ReadValue(member, sub_type, at);
        op_.sub_type = std::string(sub_type.value_or(""));
        return status;
      }
      case kStatus:
        return ReadValue(member, status_word_, at);
      case kStart:
      case kEnd: {
        std::optional<double> timestamp;
        absl::Status status = ReadValue(member, timestamp, at);
        (index == kStart ? op_.start_ms : op_.end_ms) = ToMillis(timestamp, document_.unit);
        return status;
      }
      default:
        return Details(index - kDetails0, member, at);
    }
  }

  // Once every member is read: the words and the Id checked (InvalidArgument naming them, as
  // wire_json.h words it), the type's own details in place.
  absl::Status Finish(const JsonPath& path) {
    std::optional<OperationStatus> status = ParseOperationStatus(status_word_);
    if (!type_.has_value()) return UnknownWord(path, "Type", "operation type", type_word_);
    if (!status.has_value()) return UnknownWord(path, "Status", "operation status", status_word_);
    if (op_.id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat(AsAbsl(document_.name), ": ", path.ToString(), ".Id: empty"));
    }
    op_.type = *type_;
    op_.status = *status;
    std::optional<Operation>& own = scratch_[static_cast<size_t>(*type_)];
    if (own.has_value()) TakeDetails(*own, op_);
    return absl::OkStatus();
  }

 private:
  absl::Status Details(int slot, simdjson::ondemand::value member, const JsonPath& at) {
    if (json_internal::IsNull(member)) return absl::OkStatus();  // as if absent
    Operation& target = type_ == static_cast<OperationType>(slot)
                            ? op_
                            : scratch_[static_cast<size_t>(slot)].emplace();
    return ReadObjectMembers(member, at, kDetailsKeys, 0,
                             [&](int index, simdjson::ondemand::value value, const JsonPath& in) {
                               return ReadDetailsMember(index, value, in, document_.unit, target);
                             });
  }

  absl::Status UnknownWord(const JsonPath& path, std::string_view key, std::string_view kind,
                           std::string_view word) const {
    return absl::InvalidArgumentError(absl::StrCat(AsAbsl(document_.name), ": ", path.ToString(),
                                                   ".", AsAbsl(key), ": unknown ", AsAbsl(kind),
                                                   " \"", AsAbsl(word), "\""));
  }

  const Document& document_;
  Operation& op_;
  std::string_view type_word_;  // views into the parser's string buffer
  std::string_view status_word_;
  std::optional<OperationType> type_;
  std::array<std::optional<Operation>, 6> scratch_;  // by OperationType
};

// An Operations array (absent or null: none), appended to `operations`. The problems lmc's
// generic reader found only after reading the whole document (an unknown Type or Status word,
// an empty Id) go to `problem` (the first one), so that every JSON problem is reported first.
absl::Status ReadOperations(simdjson::ondemand::value json, const JsonPath& path,
                            const Document& document, std::vector<Operation>& operations,
                            absl::Status& problem) {
  if (json_internal::IsNull(json)) return absl::OkStatus();
  simdjson::ondemand::array array;
  if (json.get_array().get(array) != simdjson::SUCCESS) {
    return json_internal::TypeError(json, path, "an array");
  }
  // One allocation for the whole log (simdjson counts without reading the elements).
  size_t count = 0;
  if (array.count_elements().get(count) != simdjson::SUCCESS) {
    return FieldError(path, "not valid JSON");
  }
  operations.reserve(operations.size() + count);
  size_t index = 0;
  for (auto element : array) {
    const JsonPath element_path{&path, "", index++, true};
    simdjson::ondemand::value element_value;
    if (element.get(element_value) != simdjson::SUCCESS) {
      return FieldError(element_path, "not valid JSON");
    }
    OperationReader reader(document, operations.emplace_back());
    absl::Status read =
        ReadObjectMembers(element_value, element_path, kOperationKeys, kOperationRequired,
                          [&reader](int key, simdjson::ondemand::value member, const JsonPath& at) {
                            return reader.Member(key, member, at);
                          });
    if (!read.ok()) return read;
    if (problem.ok()) problem = reader.Finish(element_path);
  }
  return absl::OkStatus();
}

// A member of {"Operations": [...], "NextMarker": "..."}: the state answer, and the execution
// state of the invocation event and the checkpoint answer.
absl::Status ReadStateMember(int index, simdjson::ondemand::value member, const JsonPath& at,
                             const Document& document, std::vector<Operation>& operations,
                             std::string& next_marker, absl::Status& problem) {
  if (index == 0) return ReadOperations(member, at, document, operations, problem);
  std::optional<std::string> marker;
  absl::Status status = ReadValue(member, marker, at);
  next_marker = std::move(marker).value_or("");
  return status;
}

// That object as a member (null: as if absent).
absl::Status ReadExecutionState(simdjson::ondemand::value json, const JsonPath& path,
                                const Document& document, std::vector<Operation>& operations,
                                std::string& next_marker, absl::Status& problem) {
  if (json_internal::IsNull(json)) return absl::OkStatus();
  return ReadObjectMembers(json, path, kStateKeys, 0,
                           [&](int index, simdjson::ondemand::value member, const JsonPath& at) {
                             return ReadStateMember(index, member, at, document, operations,
                                                    next_marker, problem);
                           });
}

}  // namespace

void DescribeJson(JsonFields& fields, ErrorWire& error) {
  fields.Optional("ErrorType", error.type);
  fields.Optional("ErrorMessage", error.message);
  fields.Optional("ErrorData", error.data);
  fields.Optional("StackTrace", error.stack_trace);
}

ErrorObject FromWire(ErrorWire wire) {
  ErrorObject error;
  error.type = std::move(wire.type);
  error.message = std::move(wire.message);
  error.data = std::move(wire.data);
  if (wire.stack_trace.has_value()) error.stack_trace = std::move(*wire.stack_trace);
  return error;
}

absl::StatusOr<InvocationInput> ReadInvocationInput(
    simdjson::simdjson_result<simdjson::ondemand::document> document) {
  const Document doc{"durable invocation event", TimestampUnit::kMilliseconds};
  InvocationInput input;
  absl::Status problem;
  absl::Status read = ReadRoot(
      std::move(document), kInvocationKeys, 0b011,
      [&](int index, simdjson::ondemand::value member, const JsonPath& at) {
        if (index == 0) return ReadValue(member, input.durable_execution_arn, at);
        if (index == 1) return ReadValue(member, input.checkpoint_token, at);
        return ReadExecutionState(member, at, doc, input.operations, input.next_marker, problem);
      });
  if (!read.ok()) return Prefixed(doc.name, read);
  if (input.durable_execution_arn.empty() || input.checkpoint_token.empty()) {
    return absl::InvalidArgumentError(
        "durable invocation event: DurableExecutionArn and CheckpointToken must not be empty");
  }
  if (!problem.ok()) return problem;
  return input;
}

absl::StatusOr<CheckpointResponse> ReadCheckpointResponse(
    simdjson::simdjson_result<simdjson::ondemand::document> document) {
  const Document doc{"checkpoint answer", TimestampUnit::kSeconds};
  CheckpointResponse response;
  absl::Status problem;
  absl::Status read =
      ReadRoot(std::move(document), kCheckpointAnswerKeys, 0,
               [&](int index, simdjson::ondemand::value member, const JsonPath& at) {
                 if (index == 0) return ReadValue(member, response.checkpoint_token, at);
                 return ReadExecutionState(member, at, doc, response.operations,
                                           response.next_marker, problem);
               });
  if (!read.ok()) return Prefixed(doc.name, read);
  if (response.checkpoint_token.has_value() && response.checkpoint_token->empty()) {
    return absl::InvalidArgumentError("checkpoint answer: CheckpointToken is empty");
  }
  if (!problem.ok()) return problem;
  return response;
}

absl::StatusOr<StateResponse> ReadStateResponse(
    simdjson::simdjson_result<simdjson::ondemand::document> document) {
  const Document doc{"state answer", TimestampUnit::kSeconds};
  StateResponse response;
  absl::Status problem;
  absl::Status read =
      ReadRoot(std::move(document), kStateKeys, 0,
               [&](int index, simdjson::ondemand::value member, const JsonPath& at) {
                 return ReadStateMember(index, member, at, doc, response.operations,
                                        response.next_marker, problem);
               });
  if (!read.ok()) return Prefixed(doc.name, read);
  if (!problem.ok()) return problem;
  return response;
}

}  // namespace lmc::durable::internal
