// Fuzzes the shared HTTP/1.1 chunked decoder (lmc/base/http/chunked_decoder.h). Input: one byte
// choosing a split point, one byte of options (small limits, in-place step), then the body bytes.
// Properties: feeding the bytes whole, split in two, or with chunk data received in place yields
// the same data, chunk sizes, trailers and verdict; re-encoding the decoded chunks with the
// encoder and decoding them again gives the same body; nothing crashes or reads out of bounds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "lmc/base/http/chunked_decoder.h"
#include "lmc/base/http/chunked_encoder.h"

namespace {

using lmc::http::ChunkedCallbacks;
using lmc::http::ChunkedDecoder;
using lmc::http::ChunkedLimits;

struct Outcome {
  std::string body;
  std::vector<uint64_t> sizes;
  std::vector<std::string> trailers;
  bool complete = false;
  int error = 0;
  uint64_t body_bytes = 0;
  size_t consumed = 0;
};

class Collect : public ChunkedCallbacks {
 public:
  explicit Collect(Outcome& out) : out_(out) {}
  void OnChunkData(std::string_view bytes) override { out_.body.append(bytes); }
  void OnChunkEnd(uint64_t size) override { out_.sizes.push_back(size); }
  void OnTrailerLine(std::string_view line) override { out_.trailers.emplace_back(line); }

 private:
  Outcome& out_;
};

void Finish(const ChunkedDecoder& decoder, Outcome& out) {
  out.complete = decoder.complete();
  out.error = static_cast<int>(decoder.error());
  out.body_bytes = decoder.body_bytes();
  if (decoder.complete() && decoder.failed()) __builtin_trap();
}

Outcome Fed(const std::vector<std::string_view>& pieces, ChunkedLimits limits) {
  Outcome out;
  Collect collect(out);
  ChunkedDecoder decoder;
  decoder.Reset(&collect, limits);
  for (std::string_view piece : pieces) {
    if (decoder.done()) break;
    const size_t used = decoder.Feed(piece);
    if (used > piece.size() || (used < piece.size() && !decoder.done())) __builtin_trap();
    out.consumed += used;
  }
  Finish(decoder, out);
  return out;
}

Outcome InPlace(std::string_view input, size_t step, ChunkedLimits limits) {
  Outcome out;
  Collect collect(out);
  ChunkedDecoder decoder;
  decoder.Reset(&collect, limits);
  size_t pos = 0;
  while (pos < input.size() && !decoder.done()) {
    const uint64_t run = decoder.DataRun();
    if (run > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>({run, step, input.size() - pos}));
      decoder.ConsumeData(n);
      out.body.append(input.substr(pos, n));
      pos += n;
    } else {
      const size_t used = decoder.Feed(input.substr(pos, std::min(step, input.size() - pos)));
      if (used == 0 && !decoder.done()) __builtin_trap();
      pos += used;
    }
  }
  Finish(decoder, out);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const uint8_t options = data[1];
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);
  const size_t split = input.empty() ? 0 : data[0] % (input.size() + 1);
  ChunkedLimits limits;
  if (options & 1) {
    limits.max_trailer_bytes = 128;
    limits.max_body_bytes = 64;
  }
  const size_t step = 1 + (options >> 1);

  const Outcome whole = Fed({input}, limits);
  const Outcome two = Fed({input.substr(0, split), input.substr(split)}, limits);
  if (whole.body != two.body || whole.sizes != two.sizes || whole.trailers != two.trailers ||
      whole.complete != two.complete || whole.error != two.error ||
      whole.body_bytes != two.body_bytes || (whole.complete && whole.consumed != two.consumed)) {
    __builtin_trap();
  }
  const Outcome in_place = InPlace(input, step, limits);
  if (in_place.body != whole.body || in_place.sizes != whole.sizes ||
      in_place.trailers != whole.trailers || in_place.complete != whole.complete ||
      in_place.error != whole.error || in_place.body_bytes != whole.body_bytes) {
    __builtin_trap();
  }
  if (whole.complete) {
    // Round trip through the encoder (trailers dropped: they were checked on the way in).
    std::string wire;
    size_t offset = 0;
    for (uint64_t chunk : whole.sizes) {
      lmc::http::AppendChunk(std::string_view(whole.body).substr(offset, chunk), wire);
      offset += chunk;
    }
    if (!lmc::http::AppendLastChunk({}, wire)) __builtin_trap();
    const Outcome again = Fed({wire}, {});
    if (!again.complete || again.body != whole.body || again.sizes != whole.sizes) {
      __builtin_trap();
    }
  }
  return 0;
}
