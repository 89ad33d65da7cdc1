// File: lmc/base/http/chunked_encoder.h
//
// The HTTP/1.1 chunked transfer-coding encoder (RFC 9112 §7.1): the framing around each chunk of
// a streamed body and the last chunk with its trailer section. It only formats bytes; the caller
// sends them (e.g. with one sendmsg() per chunk: size line, data, CR LF), so no chunk is ever
// copied or held back.
//
// Example:
//
//   lmc::http::ChunkSizeLine size_line(data.size());
//   SendAll({size_line.view(), data, lmc::http::kChunkDataEnd});
//   std::string last;
//   lmc::http::AppendLastChunk({{"Lambda-Runtime-Function-Error-Type", "E"}}, last);
//   SendAll({last});
//
// Thread-safe: pure functions and values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmc::http {

// The CR LF that ends a chunk's data.
inline constexpr std::string_view kChunkDataEnd = "\r\n";

// ChunkSizeLine
//
// The "<hex size>\r\n" line that opens a chunk, in a fixed buffer (no allocation). A size of 0
// opens the last chunk; use AppendLastChunk() for that instead.
class ChunkSizeLine {
 public:
  explicit ChunkSizeLine(size_t size);
  // The line, CR LF included; valid while this object lives.
  std::string_view view() const { return {bytes_ + begin_, sizeof(bytes_) - begin_}; }

 private:
  char bytes_[2 * sizeof(size_t) + 2];
  size_t begin_ = sizeof(bytes_);
};

// A trailer field: name (a token) and value.
using TrailerField = std::pair<std::string_view, std::string_view>;

// AppendChunk()
//
// Appends one whole chunk (size line, `data`, CR LF) to `out`. Empty `data` appends nothing: an
// empty chunk would end the body.
void AppendChunk(std::string_view data, std::string& out);

// AppendLastChunk()
//
// Appends the last chunk ("0\r\n"), `trailers` as field lines, and the empty line that ends the
// body. Returns false, appending nothing, when a name is not a token or a value holds CR, LF or
// NUL (such a trailer would break the framing; base64 a value that may hold them).
bool AppendLastChunk(const std::vector<TrailerField>& trailers, std::string& out);

}  // namespace lmc::http
