#include "lmc/base/http/chunked_encoder.h"

#include "lmc/base/http/http_fields.h"

namespace lmc::http {

ChunkSizeLine::ChunkSizeLine(size_t size) {
  constexpr char kHex[] = "0123456789abcdef";
  bytes_[--begin_] = '\n';
  bytes_[--begin_] = '\r';
  do {
    bytes_[--begin_] = kHex[size & 0xf];
    size >>= 4;
  } while (size != 0);
}

void AppendChunk(std::string_view data, std::string& out) {
  if (data.empty()) return;
  const ChunkSizeLine line(data.size());
  out.append(line.view()).append(data).append(kChunkDataEnd);
}

bool AppendLastChunk(const std::vector<TrailerField>& trailers, std::string& out) {
  for (const auto& [name, value] : trailers) {
    if (!IsToken(name) || !IsValidFieldValue(value)) return false;
  }
  out.append("0\r\n");
  for (const auto& [name, value] : trailers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out.append("\r\n");
  return true;
}

}  // namespace lmc::http
