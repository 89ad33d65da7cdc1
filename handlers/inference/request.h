// File: handlers/inference/request.h
//
// The inference handler's wire format: parsing events into rows of floats (with every rule of
// bad input checked and named) and writing answers.
//
//   MLP        {"inputs":[[...],...],"top_k":K?}  ->  {"outputs":[[...],...],"top_k":[[...],...]?}
//   embedding  {"queries":[[...],...],"k":K}      -> {"results":[{"ids":[...],"scores":[...]},...]}
//
// Example:
//
//   absl::StatusOr<lmc::inference::ParsedRequest> request =
//       lmc::inference::ParseRequest(event, lmc::inference::ModelKind::kMlp, 4);
//   if (!request.ok()) return lmc::Error("Inference.InvalidInput", ...);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "handlers/inference/backend.h"
#include "handlers/inference/model.h"
#include "lmc/event.h"

namespace lmc::inference {

// ParsedRequest
//
// The rows (row-major, `width` values each) and K: the MLP's top_k (0 when not asked) or the
// embedding search's k (>= 1). Embedding queries are already normalised to unit length.
struct ParsedRequest {
  std::vector<float> rows;
  size_t num_rows = 0;
  size_t k = 0;
};

// Parses `event` for a model of `kind` taking `width` values per row. InvalidArgument with a
// message saying what is wrong for: an event that is not a JSON object; a missing, non-array or
// empty "inputs"/"queries"; a row that is not an array, is empty, has another width than
// `width`, or holds a non-number; an all-zero query; a "top_k"/"k" that is not an integer >= 1
// (or a missing "k"). Must be called on the invocation's thread (Event::Json()).
absl::StatusOr<ParsedRequest> ParseRequest(const Event& event, ModelKind kind, size_t width);

// ForEachEventMember()
//
// The shape every inference event shares (the row models' and the sentence model's): a JSON
// object, each member of which is handed to `member` in order, its key unescaped. Returns the
// first error `member` returns, or InvalidArgument ("the event must be a JSON object", "the event
// is not valid JSON"). Must be called on the invocation's thread (Event::Json()).
absl::Status ForEachEventMember(
    const Event& event,
    absl::FunctionRef<absl::Status(std::string_view key, simdjson::ondemand::value value)> member);

// The answer for `request` given its rows of output (see BatchOutput). For an MLP with
// request.k > 0, adds "top_k" (min(k, width) indices per row). Numbers are written in the
// shortest form that reads back as the same float; non-finite values as null.
std::string FormatResponse(ModelKind kind, const ParsedRequest& request, const BatchOutput& out);

}  // namespace lmc::inference
