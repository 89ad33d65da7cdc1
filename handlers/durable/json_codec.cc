#include "handlers/durable/json_codec.h"

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "lmc/strings.h"

namespace lmc::durable::json_codec_internal {

std::string BoxJson(std::string_view json) {
  // An empty text is no value at all; as the member of an object it must still be JSON.
  return absl::StrCat("{\"v\":", json.empty() ? "null" : AsAbsl(json), "}");
}

absl::Status RewordBoxError(const absl::Status& status) {
  std::string message(status.message());
  // The reader names the wrapper's member; the caller knows the value as a whole.
  message = absl::StrReplaceAll(message, {{"field \"v\"", "the value"},
                                          {"field \"v.", "field \""},
                                          {"field \"v[", "field \"["},
                                          {"the document", "the value"}});
  return absl::InvalidArgumentError(message);
}

}  // namespace lmc::durable::json_codec_internal
