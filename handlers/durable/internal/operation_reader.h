// File: handlers/durable/internal/operation_reader.h
//
// The reading half of handlers/durable/wire_json.h for the three documents that carry the
// operation log: the invocation event (PROTOCOL.md §1), CheckpointDurableExecution's answer (§4)
// and GetDurableExecutionState's answer (§5). The log is the one large thing an invocation
// reads (1,000 completed steps are ~200 KB), so it is read in one pass of simdjson's on-demand
// parser straight into the Operations of operation.h, one element at a time, instead of through
// lmc's generic reader, which would first fill a vector of intermediate structs with a slot per
// details type (~1.7 KB per operation, relocated as the vector grows).
//
// It keeps the generic reader's rules and words (lmc/json_reader.h: a key twice is an error,
// null reads as absent, the same `field "InitialExecutionState.Operations[3].Id": required but
// missing`), and wire_json.h's: only the details object of the operation's own type counts,
// whatever the order of the keys, while a details object of another type is still checked;
// an unknown Type or Status word, or an empty Id, is reported after every JSON problem of the
// document, as before.
//
// Example:
//
//   simdjson::padded_string padded(json);
//   simdjson::ondemand::parser parser;
//   absl::StatusOr<InvocationInput> input =
//       internal::ReadInvocationInput(parser.iterate(padded));
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/durable/operation.h"
#include "lmc/json_reader.h"
#include "simdjson.h"

namespace lmc::durable::internal {

// An ErrorObject as lmc's reader reads it (every field optional); shared with wire_json.cc.
struct ErrorWire {
  std::optional<std::string> type;
  std::optional<std::string> message;
  std::optional<std::string> data;
  std::optional<std::vector<std::string>> stack_trace;
};
void DescribeJson(JsonFields& fields, ErrorWire& error);
ErrorObject FromWire(ErrorWire wire);

// Each reads one whole document (`document` as simdjson's parser.iterate() returns it) and
// returns InvalidArgument naming the document and the field on any problem. Thread-safe as far
// as the parser behind `document` is used by one thread.
absl::StatusOr<InvocationInput> ReadInvocationInput(
    simdjson::simdjson_result<simdjson::ondemand::document> document);
absl::StatusOr<CheckpointResponse> ReadCheckpointResponse(
    simdjson::simdjson_result<simdjson::ondemand::document> document);
absl::StatusOr<StateResponse> ReadStateResponse(
    simdjson::simdjson_result<simdjson::ondemand::document> document);

}  // namespace lmc::durable::internal
