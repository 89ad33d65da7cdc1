// File: lmc/base/padded_buffer.h
//
// PaddedBuffer: a growable byte buffer that always keeps kPadding readable bytes past its end,
// so an event read into it can be handed to simdjson's on-demand parser without another copy
// (simdjson reads up to SIMDJSON_PADDING bytes beyond the document). Each poll loop owns one and
// reuses it for every event, so the hot path allocates only when an event is larger than any
// before it; Trim() hands memory back after an unusually large one.
//
// PrepareAppend()/CommitAppend() let a reader write straight into the spare capacity (e.g.
// recv() into it), so bytes from a socket land in the buffer without an intermediate copy.
//
// Example:
//
//   lmc::PaddedBuffer buffer;
//   buffer.Reserve(content_length);
//   buffer.Append(chunk.data(), chunk.size());
//   char* space = buffer.PrepareAppend(4096);
//   ssize_t n = recv(fd, space, 4096, 0);
//   if (n > 0) buffer.CommitAppend(static_cast<size_t>(n));
//   std::string_view event = buffer.view();
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>

namespace lmc {

// PaddedBuffer
//
// Not thread-safe; owned by one poll loop. Move-only.
class PaddedBuffer {
 public:
  // Bytes kept readable (uninitialised) after the last byte. simdjson 3.x needs 64.
  static constexpr size_t kPadding = 64;

  PaddedBuffer() = default;
  PaddedBuffer(PaddedBuffer&&) noexcept = default;
  PaddedBuffer& operator=(PaddedBuffer&&) noexcept = default;

  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  // Usable bytes before a reallocation (padding excluded).
  size_t capacity() const { return capacity_; }
  std::string_view view() const { return {data_.get(), size_}; }

  // Empties the buffer; keeps the memory.
  void Clear() { size_ = 0; }

  // Makes room for `n` bytes in total without reallocating later. Keeps the content.
  void Reserve(size_t n);

  // Appends `len` bytes, growing geometrically.
  void Append(const char* bytes, size_t len);

  // Returns a pointer to `len` writable bytes just past the end, growing the buffer (as Append()
  // does) when the spare capacity is smaller. The bytes become content only when committed with
  // CommitAppend(); until then size() is unchanged. The pointer is valid until the next call
  // that may reallocate (Reserve, Append, PrepareAppend, Trim) or until the buffer is destroyed.
  char* PrepareAppend(size_t len);

  // Appends the first `len` bytes written at the pointer PrepareAppend() returned. `len` must not
  // exceed the spare capacity (capacity() - size()); larger values are clamped to it.
  void CommitAppend(size_t len);

  // Releases the memory if more than `keep` bytes are held, so that one 6 MB event does not pin
  // 6 MB per loop for the rest of a 14-day lifetime. Only valid when the buffer is empty.
  void Trim(size_t keep);

 private:
  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace lmc
