#include "handlers/inference/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::inference {
namespace {

absl::Status Invalid(std::string_view what) {
  return absl::InvalidArgumentError(absl::StrCat("invalid safetensors file: ", AsAbsl(what)));
}

struct DTypeEntry {
  DType dtype;
  std::string_view name;
  size_t size;
};
constexpr DTypeEntry kDTypes[] = {
    {DType::kF32, "F32", 4}, {DType::kF16, "F16", 2},        {DType::kBF16, "BF16", 2},
    {DType::kF64, "F64", 8}, {DType::kF8E4M3, "F8_E4M3", 1}, {DType::kF8E5M2, "F8_E5M2", 1},
    {DType::kI64, "I64", 8}, {DType::kI32, "I32", 4},        {DType::kI16, "I16", 2},
    {DType::kI8, "I8", 1},   {DType::kU64, "U64", 8},        {DType::kU32, "U32", 4},
    {DType::kU16, "U16", 2}, {DType::kU8, "U8", 1},          {DType::kBool, "BOOL", 1},
};

std::optional<DType> ParseDType(std::string_view name) {
  for (const DTypeEntry& entry : kDTypes) {
    if (entry.name == name) return entry.dtype;
  }
  return std::nullopt;
}

// Reads a non-negative integer that fits in int64_t (simdjson yields uint64 or int64).
std::optional<uint64_t> ReadIndex(simdjson::dom::element element) {
  uint64_t value = 0;
  if (element.get_uint64().get(value) != simdjson::SUCCESS) return std::nullopt;
  if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return value;
}

// Parses one tensor entry; `data` is the data section (everything after the header).
absl::StatusOr<TensorInfo> ParseTensor(std::string_view name, simdjson::dom::element entry,
                                       std::string_view data) {
  const std::string quoted = absl::StrCat("tensor \"", AsAbsl(name), "\"");
  simdjson::dom::object object;
  if (entry.get_object().get(object) != simdjson::SUCCESS) {
    return Invalid(absl::StrCat(quoted, " is not an object"));
  }
  TensorInfo tensor;
  tensor.name = std::string(name);

  std::string_view dtype_name;
  if (object["dtype"].get_string().get(dtype_name) != simdjson::SUCCESS) {
    return Invalid(absl::StrCat(quoted, " has no string \"dtype\""));
  }
  const std::optional<DType> dtype = ParseDType(dtype_name);
  if (!dtype) {
    return Invalid(absl::StrCat(quoted, " has unsupported dtype \"", AsAbsl(dtype_name),
                                "\" (F32, F16 and BF16 are supported)"));
  }
  tensor.dtype = *dtype;

  simdjson::dom::array shape;
  if (object["shape"].get_array().get(shape) != simdjson::SUCCESS) {
    return Invalid(absl::StrCat(quoted, " has no array \"shape\""));
  }
  // The byte size is computed with an overflow check at every step: a hostile shape must not
  // wrap around to a small size that happens to match its byte range.
  uint64_t byte_size = DTypeSize(tensor.dtype);
  for (simdjson::dom::element dim : shape) {
    const std::optional<uint64_t> value = ReadIndex(dim);
    if (!value) {
      return Invalid(absl::StrCat(quoted, " has a shape entry that is not a non-negative integer"));
    }
    if (*value != 0 && byte_size > std::numeric_limits<uint64_t>::max() / *value) {
      return Invalid(absl::StrCat(quoted, " has a shape whose byte size overflows"));
    }
    byte_size *= *value;
    tensor.shape.push_back(static_cast<int64_t>(*value));
  }

  simdjson::dom::array offsets;
  if (object["data_offsets"].get_array().get(offsets) != simdjson::SUCCESS || offsets.size() != 2) {
    return Invalid(absl::StrCat(quoted, " has no two-element array \"data_offsets\""));
  }
  const std::optional<uint64_t> begin = ReadIndex(offsets.at(0).value_unsafe());
  const std::optional<uint64_t> end = ReadIndex(offsets.at(1).value_unsafe());
  if (!begin || !end) {
    return Invalid(absl::StrCat(quoted, " has data_offsets that are not non-negative integers"));
  }
  if (*begin > *end || *end > data.size()) {
    return Invalid(absl::StrCat(quoted, " has data_offsets [", *begin, ", ", *end,
                                "] outside the data section of ", data.size(), " bytes"));
  }
  if (*end - *begin != byte_size) {
    return Invalid(absl::StrCat(quoted, " spans ", *end - *begin,
                                " bytes but its dtype and shape need ", byte_size));
  }
  tensor.bytes = data.substr(*begin, *end - *begin);
  return tensor;
}

absl::Status ParseMetadata(simdjson::dom::element element,
                           std::map<std::string, std::string, std::less<>>& metadata) {
  simdjson::dom::object object;
  if (element.get_object().get(object) != simdjson::SUCCESS) {
    return Invalid("__metadata__ is not an object");
  }
  for (simdjson::dom::key_value_pair field : object) {
    std::string_view value;
    if (field.value.get_string().get(value) != simdjson::SUCCESS) {
      return Invalid(absl::StrCat("__metadata__ \"", AsAbsl(field.key), "\" is not a string"));
    }
    if (!metadata.emplace(std::string(field.key), std::string(value)).second) {
      return Invalid(absl::StrCat("__metadata__ \"", AsAbsl(field.key), "\" appears twice"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

size_t DTypeSize(DType dtype) {
  for (const DTypeEntry& entry : kDTypes) {
    if (entry.dtype == dtype) return entry.size;
  }
  return 1;  // unreachable: every enumerator has an entry
}

std::string_view DTypeName(DType dtype) {
  for (const DTypeEntry& entry : kDTypes) {
    if (entry.dtype == dtype) return entry.name;
  }
  return "?";
}

bool IsFloatDType(DType dtype) {
  return dtype == DType::kF32 || dtype == DType::kF16 || dtype == DType::kBF16;
}

size_t TensorInfo::element_count() const {
  size_t count = 1;
  for (int64_t dim : shape) count *= static_cast<size_t>(dim);
  return count;
}

const TensorInfo* SafetensorsHeader::Find(std::string_view name) const {
  const auto it = tensors_.find(name);
  return it == tensors_.end() ? nullptr : &it->second;
}

std::optional<std::string_view> SafetensorsHeader::Metadata(std::string_view key) const {
  const auto it = metadata_.find(key);
  if (it == metadata_.end()) return std::nullopt;
  return static_cast<std::string_view>(it->second);
}

absl::StatusOr<SafetensorsHeader> ParseSafetensors(std::string_view file) {
  if (file.size() < 8) {
    return Invalid(
        absl::StrCat("the file has ", file.size(), " bytes, fewer than the 8-byte header length"));
  }
  uint64_t header_size = 0;
  for (int i = 7; i >= 0; --i) {
    header_size = (header_size << 8) | static_cast<unsigned char>(file[static_cast<size_t>(i)]);
  }
  if (header_size > kMaxSafetensorsHeaderBytes) {
    return Invalid(absl::StrCat("the header length ", header_size, " exceeds the limit of ",
                                kMaxSafetensorsHeaderBytes, " bytes"));
  }
  if (header_size > file.size() - 8) {
    return Invalid(absl::StrCat("the header length ", header_size, " exceeds the ", file.size() - 8,
                                " bytes after it (truncated file?)"));
  }
  const std::string_view header_json = file.substr(8, header_size);
  const std::string_view data = file.substr(8 + header_size);

  // The header is small next to the tensors; copying it gives simdjson its padding without
  // reading past the mapping.
  const simdjson::padded_string padded(header_json);
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(padded).get(root) != simdjson::SUCCESS) {
    return Invalid("the header is not valid JSON");
  }
  simdjson::dom::object object;
  if (root.get_object().get(object) != simdjson::SUCCESS) {
    return Invalid("the header is not a JSON object");
  }

  SafetensorsHeader header;
  bool seen_metadata = false;
  for (simdjson::dom::key_value_pair field : object) {
    if (field.key == "__metadata__") {
      if (seen_metadata) return Invalid("__metadata__ appears twice");
      seen_metadata = true;
      if (absl::Status status = ParseMetadata(field.value, header.metadata_); !status.ok()) {
        return status;
      }
      continue;
    }
    absl::StatusOr<TensorInfo> tensor = ParseTensor(field.key, field.value, data);
    if (!tensor.ok()) return tensor.status();
    const std::string name = tensor->name;
    if (!header.tensors_.emplace(name, *std::move(tensor)).second) {
      return Invalid(absl::StrCat("tensor \"", name, "\" appears twice"));
    }
  }

  // The tensors must tile the data section exactly, as the format requires: an overlap would let
  // two tensors alias, and a hole or trailing bytes mean the header and the data disagree.
  std::vector<const TensorInfo*> by_offset;
  by_offset.reserve(header.tensors_.size());
  for (const auto& [name, tensor] : header.tensors_) by_offset.push_back(&tensor);
  std::sort(by_offset.begin(), by_offset.end(), [](const TensorInfo* a, const TensorInfo* b) {
    if (a->bytes.data() != b->bytes.data()) return a->bytes.data() < b->bytes.data();
    return a->bytes.size() < b->bytes.size();
  });
  size_t expected = 0;
  for (const TensorInfo* tensor : by_offset) {
    const size_t begin = static_cast<size_t>(tensor->bytes.data() - data.data());
    if (begin != expected) {
      return Invalid(absl::StrCat(
          "tensor \"", tensor->name, "\" starts at data offset ", begin,
          begin < expected ? ", overlapping the tensor before it" : ", leaving a hole before it",
          " (expected ", expected, ")"));
    }
    expected = begin + tensor->bytes.size();
  }
  if (expected != data.size()) {
    return Invalid(absl::StrCat("the tensors cover ", expected, " bytes but the data section has ",
                                data.size()));
  }
  return header;
}

absl::StatusOr<SafetensorsFile> SafetensorsFile::Open(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    const std::string message =
        absl::StrCat("cannot open model file ", path.string(), ": ", ErrnoMessage(error));
    return error == ENOENT ? absl::NotFoundError(message) : absl::InternalError(message);
  }
  struct stat info {};
  if (::fstat(fd, &info) != 0 || !S_ISREG(info.st_mode)) {
    ::close(fd);
    return absl::InvalidArgumentError(
        absl::StrCat("model file ", path.string(), " is not a regular file"));
  }
  const auto size = static_cast<size_t>(info.st_size);
  void* data = nullptr;
  if (size > 0) {
    data = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (data == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      return absl::InternalError(
          absl::StrCat("cannot map model file ", path.string(), ": ", ErrnoMessage(error)));
    }
  }
  ::close(fd);  // the mapping keeps the file alive
  absl::StatusOr<SafetensorsHeader> header =
      ParseSafetensors(std::string_view(static_cast<const char*>(data), size));
  if (!header.ok()) {
    if (data != nullptr) ::munmap(data, size);
    return absl::InvalidArgumentError(
        absl::StrCat("model file ", path.string(), ": ", header.status().message()));
  }
  return SafetensorsFile(data, size, *std::move(header));
}

SafetensorsFile::SafetensorsFile(SafetensorsFile&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      size_(std::exchange(other.size_, 0)),
      header_(std::move(other.header_)) {}

SafetensorsFile& SafetensorsFile::operator=(SafetensorsFile&& other) noexcept {
  if (this != &other) {
    Unmap();
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
    header_ = std::move(other.header_);
  }
  return *this;
}

SafetensorsFile::~SafetensorsFile() { Unmap(); }

void SafetensorsFile::Unmap() {
  if (data_ != nullptr) ::munmap(data_, size_);
  data_ = nullptr;
  size_ = 0;
}

}  // namespace lmc::inference
