// Fuzzes the tenant-id encoding used in temp dir names. Properties: only [A-Za-z0-9_~-]
// characters, never "." or "/" (no path escape), bounded length, and distinct tenant ids of up
// to 40 bytes (below the truncation point) encode differently.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lmc/base/temp_dir.h"

namespace {

void CheckEncoding(const std::string& encoded) {
  if (encoded.size() > 120) __builtin_trap();
  for (char c : encoded) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '-' || c == '~';
    if (!ok) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const std::string whole = lmc::EncodeTenantForPath(input);
  CheckEncoding(whole);
  const size_t half = input.size() / 2;
  const std::string_view a = input.substr(0, half);
  const std::string_view b = input.substr(half);
  if (a.size() <= 40 && b.size() <= 40 && a != b &&
      lmc::EncodeTenantForPath(a) == lmc::EncodeTenantForPath(b)) {
    __builtin_trap();  // Two tenants would share a directory name prefix.
  }
  return 0;
}
