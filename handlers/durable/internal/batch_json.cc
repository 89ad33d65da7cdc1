#include "handlers/durable/internal/batch_json.h"

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/wire_json.h"
#include "lmc/json.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::durable {

std::string_view ToString(CompletionReason reason) {
  switch (reason) {
    case CompletionReason::kAllCompleted:
      return "ALL_COMPLETED";
    case CompletionReason::kMinSuccessfulReached:
      return "MIN_SUCCESSFUL_REACHED";
    case CompletionReason::kFailureToleranceExceeded:
      return "FAILURE_TOLERANCE_EXCEEDED";
  }
  return "ALL_COMPLETED";
}

namespace internal {
namespace {

std::string_view StatusWord(BatchItemStatus status) {
  switch (status) {
    case BatchItemStatus::kSucceeded:
      return "SUCCEEDED";
    case BatchItemStatus::kFailed:
      return "FAILED";
    case BatchItemStatus::kStarted:
      return "STARTED";
  }
  return "STARTED";
}

}  // namespace

std::string EncodeBatch(const EncodedBatch& batch) {
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("all").BeginArray();
  for (const EncodedItem& item : batch.items) {
    json.BeginObject().Key("index").Uint(item.index).Key("status").String(StatusWord(item.status));
    if (item.status == BatchItemStatus::kSucceeded) json.Key("result").Raw(item.result);
    if (item.error.has_value()) {
      json.Key("error");
      WriteErrorObject(json, *item.error);
    }
    json.EndObject();
  }
  json.EndArray().Key("completionReason").String(ToString(batch.reason)).EndObject();
  return out;
}

absl::StatusOr<EncodedBatch> DecodeBatchJson(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const auto invalid = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("batch result: ", AsAbsl(what)));
  };
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return invalid("not valid JSON");
  }
  EncodedBatch batch;
  std::string_view reason;
  if (root["completionReason"].get(reason) != simdjson::SUCCESS) {
    return invalid("completionReason missing");
  }
  for (CompletionReason r :
       {CompletionReason::kAllCompleted, CompletionReason::kMinSuccessfulReached,
        CompletionReason::kFailureToleranceExceeded}) {
    if (ToString(r) == reason) batch.reason = r;
  }
  simdjson::dom::array all;
  if (root["all"].get(all) != simdjson::SUCCESS) return invalid("all missing");
  for (simdjson::dom::element element : all) {
    EncodedItem item;
    uint64_t index = 0;
    std::string_view status;
    if (element["index"].get(index) != simdjson::SUCCESS ||
        element["status"].get(status) != simdjson::SUCCESS) {
      return invalid("an item lacks index or status");
    }
    item.index = index;
    if (status == "SUCCEEDED") {
      item.status = BatchItemStatus::kSucceeded;
      simdjson::dom::element result;
      if (element["result"].get(result) != simdjson::SUCCESS) return invalid("result missing");
      item.result = simdjson::minify(result);
    } else if (status == "FAILED") {
      item.status = BatchItemStatus::kFailed;
      simdjson::dom::element error;
      if (element["error"].get(error) == simdjson::SUCCESS) {
        absl::StatusOr<ErrorObject> parsed = ParseErrorObject(simdjson::minify(error));
        if (!parsed.ok()) return parsed.status();
        item.error = std::move(*parsed);
      }
    }
    batch.items.push_back(std::move(item));
  }
  return batch;
}

std::string BatchSummary(const EncodedBatch& batch, std::string_view type) {
  size_t succeeded = 0, failed = 0, started = 0;
  for (const EncodedItem& item : batch.items) {
    succeeded += item.status == BatchItemStatus::kSucceeded ? 1 : 0;
    failed += item.status == BatchItemStatus::kFailed ? 1 : 0;
    started += item.status == BatchItemStatus::kStarted ? 1 : 0;
  }
  std::string out;
  JsonWriter json(&out);
  json.BeginObject().Key("type").String(type).Key("totalCount").Uint(batch.items.size());
  json.Key("successCount").Uint(succeeded).Key("failureCount").Uint(failed);
  json.Key("startedCount").Uint(started);
  json.Key("completionReason").String(ToString(batch.reason));
  json.Key("status").String(failed > 0 ? "FAILED" : "SUCCEEDED");
  json.Key("startedIndexes").BeginArray();
  for (const EncodedItem& item : batch.items) {
    if (item.status == BatchItemStatus::kStarted) json.Uint(item.index);
  }
  json.EndArray().EndObject();
  return out;
}

absl::StatusOr<SummaryRecord> ParseBatchSummary(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  const auto invalid = [](std::string_view what) {
    return absl::InvalidArgumentError(absl::StrCat("batch summary: ", AsAbsl(what)));
  };
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return invalid("not valid JSON");
  }
  SummaryRecord record;
  uint64_t total = 0;
  std::string_view reason;
  simdjson::dom::array started;
  if (root["totalCount"].get(total) != simdjson::SUCCESS ||
      root["completionReason"].get(reason) != simdjson::SUCCESS ||
      root["startedIndexes"].get(started) != simdjson::SUCCESS) {
    return invalid("totalCount, completionReason or startedIndexes missing");
  }
  record.total = total;
  bool known = false;
  for (CompletionReason r :
       {CompletionReason::kAllCompleted, CompletionReason::kMinSuccessfulReached,
        CompletionReason::kFailureToleranceExceeded}) {
    if (ToString(r) == reason) {
      record.reason = r;
      known = true;
    }
  }
  if (!known) return invalid(absl::StrCat("unknown completionReason ", AsAbsl(reason)));
  for (simdjson::dom::element element : started) {
    uint64_t index = 0;
    if (element.get(index) != simdjson::SUCCESS || index >= total) {
      return invalid("a startedIndexes entry is not an index below totalCount");
    }
    record.started.push_back(index);
  }
  std::sort(record.started.begin(), record.started.end());
  return record;
}

}  // namespace internal
}  // namespace lmc::durable
