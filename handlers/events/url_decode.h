// File: handlers/events/url_decode.h
//
// Percent-decoding for the URL-encoded strings AWS events carry as delivered: S3 object keys,
// ALB query parameters, raw paths and query strings.
//
// Example:
//
//   absl::StatusOr<std::string> key = lmc::events::UrlDecode("my+photo%281%29.jpg", true);
//   // *key == "my photo(1).jpg"
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lmc::events {

// UrlDecode()
//
// Replaces each %XX (two hex digits, either case) with its byte and, when `plus_is_space`
// (query strings, S3 keys), each '+' with a space. InvalidArgument for a '%' not followed by two
// hex digits. Thread-safe (pure).
absl::StatusOr<std::string> UrlDecode(std::string_view encoded, bool plus_is_space);

}  // namespace lmc::events
