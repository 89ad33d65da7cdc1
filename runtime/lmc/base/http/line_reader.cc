#include "lmc/base/http/line_reader.h"

#include <cstring>

namespace lmc::http {

void LineReader::Clear() {
  partial_.clear();
  partial_is_line_ = false;
}

LineReader::Result LineReader::Take(std::string_view data, size_t& pos, size_t limit,
                                    std::string_view& line) {
  if (partial_is_line_) Clear();
  const char* begin = data.data() + pos;
  const size_t available = data.size() - pos;
  const void* lf = available == 0 ? nullptr : std::memchr(begin, '\n', available);
  if (lf == nullptr) {
    // The line is at least partial_ + available bytes plus its LF: decide "too long" now, so the
    // verdict does not depend on how the bytes were split.
    if (partial_.size() + available >= limit) return Result::kTooLong;
    partial_.append(begin, available);
    pos = data.size();
    return Result::kNeedMore;
  }
  const auto length = static_cast<size_t>(static_cast<const char*>(lf) - begin);
  if (partial_.size() + length + 1 > limit) return Result::kTooLong;
  pos += length + 1;
  if (partial_.empty()) {
    line = std::string_view(begin, length);
  } else {
    partial_.append(begin, length);
    partial_is_line_ = true;
    line = partial_;
  }
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return Result::kLine;
}

}  // namespace lmc::http
