// Fuzzes the parsing of GET /next reply headers and the validators applied to what comes out:
// any bytes, split into lines as libcurl would deliver them, must leave NextInvocation in a
// state the runtime can handle, and the validators must never let an unsafe value through.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "lmc/transport/next_invocation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  lmc::NextInvocation next;
  size_t start = 0;
  while (start <= input.size()) {
    size_t end = input.find('\n', start);
    if (end == std::string_view::npos) end = input.size();
    next.ApplyHeaderLine(input.substr(start, end - start + (end < input.size() ? 1 : 0)));
    start = end + 1;
  }
  if (lmc::IsValidRequestId(next.request_id)) {
    for (char c : next.request_id) {
      if (c == '/' || c == '?' || c == '#' || c == '%' || c == ' ' || c == '\r' || c == '\n') {
        __builtin_trap();  // An id that could change a URL passed validation.
      }
    }
  }
  if (lmc::IsValidHeaderValue(next.invocation_id) &&
      next.invocation_id.find_first_of(std::string_view("\r\n\0", 3)) != std::string::npos) {
    __builtin_trap();
  }
  if (next.deadline_ms.has_value() && *next.deadline_ms < 0) __builtin_trap();
  if (auto deadline = lmc::ParseDeadlineMs(input); deadline.has_value() && *deadline < 0) {
    __builtin_trap();
  }
  return 0;
}
