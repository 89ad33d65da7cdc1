#include "handlers/inference/bert_encoder.h"

#include "absl/strings/str_cat.h"

namespace lmc::inference {

absl::Status ValidateTokenBatch(const TokenBatch& batch, size_t max_positions, size_t vocab_rows) {
  if (batch.size() == 0) return absl::InvalidArgumentError("an empty batch");
  for (size_t i = 0; i < batch.size(); ++i) {
    const size_t length = batch.length(i);
    if (length == 0 || length > max_positions) {
      return absl::InvalidArgumentError(absl::StrCat(
          "sequence ", i, " has ", length, " tokens; the model takes 1 to ", max_positions));
    }
  }
  for (const int32_t id : batch.ids) {
    if (id < 0 || static_cast<size_t>(id) >= vocab_rows) {
      return absl::InvalidArgumentError(
          absl::StrCat("token id ", id, " is outside the vocabulary (", vocab_rows, " rows)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace lmc::inference
