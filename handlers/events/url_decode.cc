#include "handlers/events/url_decode.h"

#include "absl/status/status.h"
#include "lmc/strings.h"

namespace lmc::events {

absl::StatusOr<std::string> UrlDecode(std::string_view encoded, bool plus_is_space) {
  std::string out;
  out.reserve(encoded.size());
  for (size_t i = 0; i < encoded.size(); ++i) {
    const char c = encoded[i];
    if (c == '%') {
      const bool complete = i + 2 < encoded.size();
      const int high = complete ? HexDigitValue(encoded[i + 1]) : -1;
      const int low = complete ? HexDigitValue(encoded[i + 2]) : -1;
      if (high < 0 || low < 0) {
        return absl::InvalidArgumentError("malformed %-escape in a URL-encoded string");
      }
      out.push_back(static_cast<char>(high * 16 + low));
      i += 2;
    } else if (c == '+' && plus_is_space) {
      out.push_back(' ');
    } else {
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace lmc::events
