// File: lmc/http_status.h
//
// The reason phrases of HTTP status codes, written once for every layer: the emulator's status
// lines (tools/emulator) and the HTTP router's ALB statusDescription (handlers/http) both use
// it. A leaf: it depends on the C++ library only.
//
// Example:
//
//   std::string status_line = absl::StrCat("HTTP/1.1 404 ", lmc::HttpReasonPhrase(404));
#pragma once

#include <string_view>

namespace lmc {

// HttpReasonPhrase()
//
// The standard reason phrase of `status` ("OK", "Not Found", "Payload Too Large"), or "" for a
// code it does not know: the informational 100, the common 2xx and 3xx, and the 4xx and 5xx
// codes lmc, Lambda and API Gateway use. A view of a literal; thread-safe.
std::string_view HttpReasonPhrase(int status);

}  // namespace lmc
