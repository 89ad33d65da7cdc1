#include "lmc/base/padded_buffer.h"

#include <algorithm>
#include <cstring>

namespace lmc {

void PaddedBuffer::Reserve(size_t n) {
  if (n <= capacity_) return;
  // new char[] (not make_unique) leaves the bytes uninitialised: no memset of megabytes.
  std::unique_ptr<char[]> grown(new char[n + kPadding]);
  if (size_ > 0) std::memcpy(grown.get(), data_.get(), size_);
  // Zero the padding once so parsers and sanitizers never read indeterminate bytes.
  std::memset(grown.get() + n, 0, kPadding);
  data_ = std::move(grown);
  capacity_ = n;
}

void PaddedBuffer::Append(const char* bytes, size_t len) {
  if (len == 0) return;
  if (size_ + len > capacity_) Reserve(std::max(size_ + len, capacity_ * 2));
  std::memcpy(data_.get() + size_, bytes, len);
  size_ += len;
}

char* PaddedBuffer::PrepareAppend(size_t len) {
  if (size_ + len > capacity_) Reserve(std::max(size_ + len, capacity_ * 2));
  return data_.get() + size_;
}

void PaddedBuffer::CommitAppend(size_t len) { size_ += std::min(len, capacity_ - size_); }

void PaddedBuffer::Trim(size_t keep) {
  if (size_ == 0 && capacity_ > keep) {
    data_.reset();
    capacity_ = 0;
  }
}

}  // namespace lmc
