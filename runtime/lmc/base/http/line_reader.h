// File: lmc/base/http/line_reader.h
//
// LineReader: takes CR LF (or bare LF) terminated lines out of bytes that arrive in pieces of any
// size, without copying unless a line is split across pieces. Used by the incremental HTTP/1.1
// parsers for status lines, header and trailer fields and chunk-size lines.
//
// Example:
//
//   lmc::http::LineReader reader;
//   size_t pos = 0;
//   std::string_view line;
//   while (reader.Take(data, pos, /*limit=*/4096, line) == LineReader::Result::kLine) Use(line);
//   // kNeedMore: all of `data` was consumed (a partial line is kept); feed the next piece.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace lmc::http {

// LineReader
//
// Not thread-safe; one per parser. Holds no reference to the caller's bytes between calls.
class LineReader {
 public:
  enum class Result {
    kLine,      // `line` holds the next line, without LF and without a CR before it
    kNeedMore,  // no complete line: the rest of `data` was kept; call again with more bytes
    kTooLong,   // the line (with its LF) exceeds `limit`; nothing was consumed
  };

  // Take()
  //
  // Takes the next line from data[pos..], joining it with a partial line kept from earlier calls,
  // and advances `pos` past it. `limit` bounds the line's length including its LF; the verdict
  // does not depend on how the bytes were split. `line` is valid until the next call.
  Result Take(std::string_view data, size_t& pos, size_t limit, std::string_view& line);

  // Forgets any partial line (keeps the buffer's memory).
  void Clear();

 private:
  std::string partial_;
  bool partial_is_line_ = false;  // the last line handed out is a view into partial_
};

}  // namespace lmc::http
