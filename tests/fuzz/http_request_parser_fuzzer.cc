// Fuzzes the emulator's incremental HTTP/1.1 request parser. Property: parsing the input fed in
// one piece and fed in two pieces (split at a point chosen by the first byte) yields the same
// sequence of requests and the same final state, and nothing crashes or leaks.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "tools/emulator/internal/http_request_parser.h"

namespace {

using lmc::emulator::internal::HttpParserLimits;
using lmc::emulator::internal::HttpRequestParser;
using lmc::emulator::internal::ReceivedRequest;

struct Outcome {
  std::vector<std::string> requests;  // method + target + body of each request
  HttpRequestParser::Result last = HttpRequestParser::Result::kNeedMore;
  int error_status = 0;
};

Outcome ParseAll(const std::vector<std::string_view>& pieces) {
  HttpParserLimits limits;
  limits.max_header_bytes = 4096;  // Small limits so the fuzzer reaches the limit paths.
  limits.max_body_bytes = 65536;
  HttpRequestParser parser(limits);
  Outcome outcome;
  ReceivedRequest request;
  for (std::string_view piece : pieces) {
    parser.Feed(piece);
    for (;;) {
      outcome.last = parser.Parse(request);
      if (outcome.last != HttpRequestParser::Result::kRequest) break;
      outcome.requests.push_back(request.method + " " + request.target + " " + request.body);
    }
    if (outcome.last == HttpRequestParser::Result::kError) {
      outcome.error_status = parser.error_status();
      break;
    }
  }
  return outcome;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  const Outcome whole = ParseAll({input});
  const Outcome pieces = ParseAll({input.substr(0, split), input.substr(split)});
  if (whole.requests != pieces.requests || whole.last != pieces.last ||
      whole.error_status != pieces.error_status) {
    __builtin_trap();
  }
  return 0;
}
