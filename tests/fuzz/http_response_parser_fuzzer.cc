// Fuzzes the direct transport's incremental HTTP/1.1 response parser. Input: one byte choosing
// a split point, one byte of options (small limits, EOF at the end, in-place step), then the
// bytes a server sent. Properties: feeding the bytes whole, split in two at the chosen point, or
// with body runs received in place, yields the same header lines, body, trailers, status,
// framing and verdict; and nothing crashes, leaks or reads out of bounds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lmc/transport/internal/http_response_parser.h"

namespace {

using lmc::transport_internal::HttpResponseCallbacks;
using lmc::transport_internal::HttpResponseHead;
using lmc::transport_internal::HttpResponseLimits;
using lmc::transport_internal::HttpResponseParser;

struct Outcome {
  std::vector<std::string> headers;
  std::vector<std::string> trailers;
  std::string body;
  int headers_complete_calls = 0;
  bool complete = false;
  bool failed = false;
  int error = 0;
  int status = 0;
  int framing = 0;
  bool keep_alive = false;
  uint64_t body_bytes = 0;
  size_t consumed = 0;

  bool SameAs(const Outcome& o) const {
    // Consumed bytes are compared for complete responses only: after an error they depend on
    // where the input was split (a partial line is consumed into the parser's buffer).
    return headers == o.headers && trailers == o.trailers && body == o.body &&
           headers_complete_calls == o.headers_complete_calls && complete == o.complete &&
           failed == o.failed && error == o.error && status == o.status && framing == o.framing &&
           keep_alive == o.keep_alive && body_bytes == o.body_bytes &&
           (!complete || consumed == o.consumed);
  }
};

class Collector : public HttpResponseCallbacks {
 public:
  explicit Collector(Outcome& out) : out_(out) {}
  void OnHeaderLine(std::string_view line) override { out_.headers.emplace_back(line); }
  void OnHeadersComplete(const HttpResponseHead&) override { ++out_.headers_complete_calls; }
  void OnBody(std::string_view bytes) override { out_.body.append(bytes); }
  void OnTrailerLine(std::string_view line) override { out_.trailers.emplace_back(line); }

 private:
  Outcome& out_;
};

void Finish(HttpResponseParser& parser, bool eof, Outcome& out) {
  if (eof) parser.FinishOnEof();
  out.complete = parser.complete();
  out.failed = parser.failed();
  out.error = static_cast<int>(parser.error());
  out.body_bytes = parser.body_bytes();
  if (parser.headers_complete()) {
    out.status = parser.head().status_code;
    out.framing = static_cast<int>(parser.head().framing);
    out.keep_alive = parser.head().keep_alive;
  }
  if (out.complete && out.failed) __builtin_trap();
}

Outcome Fed(const std::vector<std::string_view>& pieces, HttpResponseLimits limits, bool eof) {
  Outcome out;
  Collector collector(out);
  HttpResponseParser parser;
  parser.Reset(&collector, limits);
  for (std::string_view piece : pieces) {
    if (parser.done()) break;
    const size_t used = parser.Feed(piece);
    if (used > piece.size() || (used < piece.size() && !parser.done())) __builtin_trap();
    out.consumed += used;
  }
  Finish(parser, eof, out);
  return out;
}

// Body runs copied "in place" (as the connection recv()s into the event buffer), `step` bytes
// at a time; everything else fed in pieces of `step`.
Outcome InPlace(std::string_view input, size_t step, HttpResponseLimits limits, bool eof) {
  Outcome out;
  Collector collector(out);
  HttpResponseParser parser;
  parser.Reset(&collector, limits);
  size_t pos = 0;
  while (pos < input.size() && !parser.done()) {
    const uint64_t run = parser.InPlaceBodyRun();
    if (run > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>({run, step, input.size() - pos}));
      // Bytes past the body limit are received but refused; keep only what the parser counts.
      const uint64_t before = parser.body_bytes();
      parser.ConsumeInPlaceBody(n);
      out.body.append(input.substr(pos, static_cast<size_t>(parser.body_bytes() - before)));
      pos += n;
      out.consumed += n;
    } else {
      const size_t used = parser.Feed(input.substr(pos, std::min(step, input.size() - pos)));
      if (used == 0 && !parser.done()) __builtin_trap();
      pos += used;
      out.consumed += used;
    }
  }
  Finish(parser, eof, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t options = data[1];
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  HttpResponseLimits limits;
  if (options & 1) {
    // Small limits so the fuzzer reaches the limit paths.
    limits.max_header_bytes = 256;
    limits.max_body_bytes = 64;
  }
  const bool eof = (options & 2) != 0;
  const size_t step = 1 + (options >> 2);

  const Outcome whole = Fed({input}, limits, eof);
  const Outcome two = Fed({input.substr(0, split), input.substr(split)}, limits, eof);
  if (!whole.SameAs(two)) __builtin_trap();
  // In-place reception reports body bytes itself; the parser's view of the body must agree.
  const Outcome in_place = InPlace(input, step, limits, eof);
  if (in_place.complete != whole.complete || in_place.failed != whole.failed ||
      in_place.error != whole.error || in_place.headers != whole.headers ||
      in_place.trailers != whole.trailers || in_place.status != whole.status ||
      in_place.body_bytes != whole.body_bytes || in_place.body != whole.body) {
    __builtin_trap();
  }
  return 0;
}
