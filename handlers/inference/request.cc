#include "handlers/inference/request.h"

#include <cmath>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "handlers/inference/top_k.h"
#include "lmc/json.h"
#include "lmc/strings.h"

namespace lmc::inference {
namespace {

absl::Status Bad(absl::string_view message) { return absl::InvalidArgumentError(message); }

// Reads `value` as an integer K >= 1 named `name`.
absl::StatusOr<size_t> ReadK(simdjson::ondemand::value value, std::string_view name) {
  int64_t k = 0;
  if (value.get_int64().get(k) != simdjson::SUCCESS) {
    return Bad(absl::StrCat("\"", AsAbsl(name), "\" must be an integer >= 1"));
  }
  if (k < 1) return Bad(absl::StrCat("\"", AsAbsl(name), "\" must be >= 1, not ", k));
  return static_cast<size_t>(k);
}

// Appends the rows of `value` (an array of arrays of `width` numbers) to `request`.
absl::Status ReadRows(simdjson::ondemand::value value, std::string_view name, size_t width,
                      ParsedRequest& request) {
  simdjson::ondemand::array rows;
  if (value.get_array().get(rows) != simdjson::SUCCESS) {
    return Bad(absl::StrCat("\"", AsAbsl(name), "\" must be an array of rows"));
  }
  for (simdjson::simdjson_result<simdjson::ondemand::value> row_result : rows) {
    const size_t index = request.num_rows;
    simdjson::ondemand::array row;
    if (row_result.get_array().get(row) != simdjson::SUCCESS) {
      return Bad(absl::StrCat(AsAbsl(name), "[", index, "] is not an array of numbers"));
    }
    if (index == 0) request.rows.reserve(width);  // later rows grow it geometrically
    size_t count = 0;
    for (simdjson::simdjson_result<simdjson::ondemand::value> element : row) {
      double number = 0;
      if (element.get_double().get(number) != simdjson::SUCCESS) {
        return Bad(absl::StrCat(AsAbsl(name), "[", index, "][", count, "] is not a number"));
      }
      const auto single = static_cast<float>(number);
      if (!std::isfinite(single)) {
        return Bad(absl::StrCat(AsAbsl(name), "[", index, "][", count, "] is ", number,
                                ", beyond a float's range"));
      }
      if (count < width) request.rows.push_back(single);
      ++count;
    }
    if (count == 0) return Bad(absl::StrCat(AsAbsl(name), "[", index, "] is empty"));
    if (count != width) {
      return Bad(absl::StrCat(AsAbsl(name), "[", index, "] has ", count,
                              " values; the model takes ", width));
    }
    ++request.num_rows;
  }
  if (request.num_rows == 0) {
    return Bad(absl::StrCat("\"", AsAbsl(name), "\" must hold at least one row"));
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ForEachEventMember(
    const Event& event,
    absl::FunctionRef<absl::Status(std::string_view key, simdjson::ondemand::value value)> member) {
  simdjson::ondemand::document document;
  simdjson::ondemand::object object;
  if (event.Json().get(document) != simdjson::SUCCESS ||
      document.get_object().get(object) != simdjson::SUCCESS) {
    return Bad("the event must be a JSON object");
  }
  for (simdjson::simdjson_result<simdjson::ondemand::field> field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return Bad("the event must be a JSON object");
    }
    simdjson::ondemand::value value;
    if (field.value().get(value) != simdjson::SUCCESS) return Bad("the event is not valid JSON");
    if (absl::Status status = member(key, value); !status.ok()) return status;
  }
  return absl::OkStatus();
}

absl::StatusOr<ParsedRequest> ParseRequest(const Event& event, ModelKind kind, size_t width) {
  const std::string_view rows_key = kind == ModelKind::kMlp ? "inputs" : "queries";
  const std::string_view k_key = kind == ModelKind::kMlp ? "top_k" : "k";
  ParsedRequest request;
  bool have_rows = false;
  bool have_k = false;
  const absl::Status read = ForEachEventMember(
      event, [&](std::string_view key, simdjson::ondemand::value value) -> absl::Status {
        if (key == rows_key) {
          if (have_rows) return Bad(absl::StrCat("\"", AsAbsl(rows_key), "\" appears twice"));
          have_rows = true;
          return ReadRows(value, rows_key, width, request);
        }
        if (key == k_key) {
          absl::StatusOr<size_t> k = ReadK(value, k_key);
          if (!k.ok()) return k.status();
          request.k = *k;
          have_k = true;
        }
        return absl::OkStatus();
      });
  if (!read.ok()) return read;
  if (!have_rows) {
    return Bad(absl::StrCat("the event has no \"", AsAbsl(rows_key), "\" (an array of rows of ",
                            width, " numbers)"));
  }
  if (kind == ModelKind::kEmbedding) {
    if (!have_k) return Bad("the event has no \"k\" (how many results per query, >= 1)");
    for (size_t q = 0; q < request.num_rows; ++q) {
      float* row = request.rows.data() + q * width;
      double norm = 0;
      for (size_t j = 0; j < width; ++j) norm += double{row[j]} * row[j];
      if (norm == 0) {
        return Bad(absl::StrCat("queries[", q, "] is all zeros (cosine similarity is undefined)"));
      }
      const auto scale = static_cast<float>(1.0 / std::sqrt(norm));
      for (size_t j = 0; j < width; ++j) row[j] *= scale;
    }
  }
  return request;
}

std::string FormatResponse(ModelKind kind, const ParsedRequest& request, const BatchOutput& out) {
  std::string body;
  body.reserve(out.values.size() * 12 + 32);
  JsonWriter json(&body);
  json.BeginObject();
  if (kind == ModelKind::kMlp) {
    json.Key("outputs").BeginArray();
    for (size_t r = 0; r < request.num_rows; ++r) {
      json.BeginArray();
      for (size_t j = 0; j < out.width; ++j) json.Float(out.values[r * out.width + j]);
      json.EndArray();
    }
    json.EndArray();
    if (request.k > 0) {
      const size_t k = std::min(request.k, out.width);
      std::vector<uint32_t> ids(k);
      json.Key("top_k").BeginArray();
      for (size_t r = 0; r < request.num_rows; ++r) {
        TopK(out.values.data() + r * out.width, out.width, k, ids.data(), nullptr);
        json.BeginArray();
        for (const uint32_t id : ids) json.Uint(id);
        json.EndArray();
      }
      json.EndArray();
    }
  } else {
    json.Key("results").BeginArray();
    for (size_t q = 0; q < request.num_rows; ++q) {
      json.BeginObject().Key("ids").BeginArray();
      for (size_t j = 0; j < out.width; ++j) json.Uint(out.ids[q * out.width + j]);
      json.EndArray().Key("scores").BeginArray();
      for (size_t j = 0; j < out.width; ++j) json.Float(out.values[q * out.width + j]);
      json.EndArray().EndObject();
    }
    json.EndArray();
  }
  json.EndObject();
  return body;
}

}  // namespace lmc::inference
