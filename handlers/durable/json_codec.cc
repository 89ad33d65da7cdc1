#include "handlers/durable/json_codec.h"

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "lmc/json_reader.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::durable::json_codec_internal {
namespace {

// The largest boxed value a thread reads with its kept parser and buffer.
constexpr size_t kKeptBytes = size_t{64} * 1024;

absl::Status RewordBoxError(const absl::Status& status) {
  std::string message(status.message());
  // The reader names the wrapper's member; the caller knows the value as a whole.
  message = absl::StrReplaceAll(message, {{"field \"v\"", "the value"},
                                          {"field \"v.", "field \""},
                                          {"field \"v[", "field \"["},
                                          {"the document", "the value"}});
  return absl::InvalidArgumentError(message);
}

// `json` as the member of {"v": ...} in `out`, with simdjson's padding after it.
void BoxInto(std::string_view json, std::string& out) {
  // An empty text is no value at all; as the member of an object it must still be JSON.
  out.assign("{\"v\":");
  out.append(json.empty() ? std::string_view("null") : json);
  out.push_back('}');
  out.reserve(out.size() + simdjson::SIMDJSON_PADDING);
}

absl::Status Read(simdjson::ondemand::parser& parser, const std::string& boxed,
                  JsonFields& fields) {
  absl::Status status = json_internal::ReadDocument(
      parser.iterate(simdjson::padded_string_view(boxed.data(), boxed.size(), boxed.capacity())),
      fields);
  return status.ok() ? status : RewordBoxError(status);
}

}  // namespace

absl::Status ReadBoxed(std::string_view json, JsonFields& fields) {
  struct Kept {
    std::string boxed;
    // Its buffers never grow past what a kept value needs (its maximum capacity).
    simdjson::ondemand::parser parser{kKeptBytes + 16};
    bool busy = false;  // a DescribeJson() that decodes while being read gets its own parser
  };
  thread_local Kept kept;
  if (json.size() > kKeptBytes || kept.busy) {
    std::string boxed;
    BoxInto(json, boxed);
    simdjson::ondemand::parser parser;
    return Read(parser, boxed, fields);
  }
  kept.busy = true;
  BoxInto(json, kept.boxed);
  absl::Status status = Read(kept.parser, kept.boxed, fields);
  kept.busy = false;
  return status;
}

}  // namespace lmc::durable::json_codec_internal
