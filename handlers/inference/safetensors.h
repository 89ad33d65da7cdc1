// File: handlers/inference/safetensors.h
//
// Reading safetensors model files: an 8-byte little-endian header length, a JSON header naming
// each tensor's dtype, shape and byte range, then the raw tensor bytes. The file is mapped, not
// copied; every offset, size, dtype and shape in the header is checked against the file before
// any tensor byte is exposed, so a corrupt or hostile file yields an error, never an
// out-of-bounds read.
//
// Example:
//
//   absl::StatusOr<lmc::inference::SafetensorsFile> file =
//       lmc::inference::SafetensorsFile::Open("/var/task/model.safetensors");
//   if (!file.ok()) return file.status();
//   const lmc::inference::TensorInfo* w = file->header().Find("layers.0.weight");
//   std::string_view kind = file->header().Metadata("lmc.kind");
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace lmc::inference {

// DType
//
// The element types of the safetensors format. Models compute in float32 from F32, F16 and BF16
// tensors (IsFloatDType); the others are parsed and validated so that a file may carry them
// (Hugging Face BERT checkpoints hold an I64 embeddings.position_ids buffer), and a model that
// needs one of them as weights refuses it by name. Unknown dtype names are rejected.
enum class DType {
  kF32,
  kF16,
  kBF16,
  kF64,
  kF8E4M3,
  kF8E5M2,
  kI64,
  kI32,
  kI16,
  kI8,
  kU64,
  kU32,
  kU16,
  kU8,
  kBool,
};

// True for the dtypes models read as float32: F32, F16 and BF16.
bool IsFloatDType(DType dtype);

// Bytes per element of `dtype`.
size_t DTypeSize(DType dtype);
// The dtype's name in the format ("F32", "BF16", "I64", "BOOL", ...).
std::string_view DTypeName(DType dtype);

// TensorInfo
//
// One tensor of a parsed header. `bytes` views the tensor's data in the buffer the header was
// parsed from and is exactly element_count() * DTypeSize(dtype) long.
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;  // every dimension >= 0; [] is a scalar
  std::string_view bytes;

  // The product of the dimensions (1 for a scalar); fits in size_t (checked when parsing).
  size_t element_count() const;
};

// SafetensorsHeader
//
// The validated contents of a safetensors buffer. Views into that buffer: valid while it is.
// Immutable after parsing, so thread-safe to read.
class SafetensorsHeader {
 public:
  // The tensor named exactly `name`, or nullptr.
  const TensorInfo* Find(std::string_view name) const;
  // The `__metadata__` value under `key`, or nullopt.
  std::optional<std::string_view> Metadata(std::string_view key) const;

  // Tensors in name order.
  const std::map<std::string, TensorInfo, std::less<>>& tensors() const { return tensors_; }
  const std::map<std::string, std::string, std::less<>>& metadata() const { return metadata_; }

 private:
  friend absl::StatusOr<SafetensorsHeader> ParseSafetensors(std::string_view file);

  std::map<std::string, TensorInfo, std::less<>> tensors_;
  std::map<std::string, std::string, std::less<>> metadata_;
};

// The largest header accepted (the JSON part): larger ones are refused before any allocation.
inline constexpr uint64_t kMaxSafetensorsHeaderBytes = 100 << 20;

// ParseSafetensors()
//
// Parses and validates `file` (the whole file's bytes). InvalidArgument, with a message naming
// the problem, when: the file is shorter than 8 bytes; the header length exceeds the file or
// kMaxSafetensorsHeaderBytes; the header is not a JSON object; a tensor entry lacks or mistypes
// dtype/shape/data_offsets, has an unsupported dtype, a negative dimension, a shape whose byte
// size overflows or differs from its byte range, or a range outside the data section; tensor
// ranges overlap, leave holes or do not end exactly at the end of the file; a name repeats;
// `__metadata__` is not an object of strings. The returned views point into `file`.
absl::StatusOr<SafetensorsHeader> ParseSafetensors(std::string_view file);

// SafetensorsFile
//
// A safetensors file mapped read-only into memory, with its validated header. Move-only; the
// mapping (and so every TensorInfo::bytes) lives as long as the object. Thread-safe to read.
class SafetensorsFile {
 public:
  // Maps and validates `path`. NotFound when it does not exist, InvalidArgument when it is not a
  // regular file or fails ParseSafetensors(), Internal on other I/O errors; the message always
  // names the path.
  static absl::StatusOr<SafetensorsFile> Open(const std::filesystem::path& path);

  SafetensorsFile(SafetensorsFile&& other) noexcept;
  SafetensorsFile& operator=(SafetensorsFile&& other) noexcept;
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;
  ~SafetensorsFile();

  const SafetensorsHeader& header() const { return header_; }
  // The whole mapped file.
  std::string_view bytes() const { return {static_cast<const char*>(data_), size_}; }

 private:
  SafetensorsFile(void* data, size_t size, SafetensorsHeader header)
      : data_(data), size_(size), header_(std::move(header)) {}
  void Unmap();

  void* data_ = nullptr;  // from mmap(); nullptr when moved from or empty
  size_t size_ = 0;
  SafetensorsHeader header_;
};

}  // namespace lmc::inference
