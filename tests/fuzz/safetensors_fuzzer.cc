// Fuzzes the safetensors header parser (handlers/inference/safetensors.h) with whole files:
// whatever the bytes, no crash and no out-of-bounds read; when a file is accepted, every tensor's
// bytes lie inside it and converting every float tensor to float32 reads only those bytes.
#include <cstddef>
#include <cstdint>
#include <string>

#include "handlers/inference/safetensors.h"
#include "handlers/inference/tensor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size heap copy, so ASan flags a read one byte past the end.
  const std::string file(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<lmc::inference::SafetensorsHeader> header = lmc::inference::ParseSafetensors(file);
  if (!header.ok()) return 0;
  for (const auto& [name, tensor] : header->tensors()) {
    if (tensor.bytes.data() < file.data() ||
        tensor.bytes.data() + tensor.bytes.size() > file.data() + file.size() ||
        tensor.bytes.size() != tensor.element_count() * lmc::inference::DTypeSize(tensor.dtype)) {
      __builtin_trap();
    }
    if (!lmc::inference::IsFloatDType(tensor.dtype)) continue;  // models refuse them by name
    const lmc::inference::FloatTensor values = lmc::inference::FloatTensor::From(tensor);
    float sum = 0;
    for (float value : values.values()) sum += value;
    if (values.size() != tensor.element_count()) __builtin_trap();
    static_cast<void>(sum);
  }
  return 0;
}
