// File: handlers/durable/internal/aws_request.h
//
// The parts of a SigV4-signed request libcurl does not get right by itself (PROTOCOL.md §6),
// as pure functions: URI encoding, the canonical (sorted, encoded) query string, and where the
// path goes. AWS canonicalises a non-S3 request's path by encoding the already-encoded path once
// more ("%3A" signs as "%253A"); curl 8.14 and later do that themselves, but curl up to 8.13
// (Debian 12 ships 7.88) signs the URL's path verbatim. For those, the URL given to curl carries
// the canonical (double-encoded) path, which is what gets signed, and the request line carries
// the real one through CURLOPT_REQUEST_TARGET. The query is built canonical from the start, so
// every version signs it as sent.
//
// Example:
//
//   PreparedTarget target = PrepareTarget("https://lambda.us-east-1.amazonaws.com",
//       {"2025-12-01", "durable-executions", arn, "state"}, {{"Marker", m}}, 0x075801);
//   curl_easy_setopt(curl, CURLOPT_URL, target.url.c_str());
//   if (!target.request_target.empty())
//     curl_easy_setopt(curl, CURLOPT_REQUEST_TARGET, target.request_target.c_str());
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmc::durable::internal {

// RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - . _ ~ kept, every other byte
// %XX with upper-case hex; '/' kept only when `keep_slash`. Thread-safe (pure).
std::string UriEncode(std::string_view bytes, bool keep_slash);

// "/" + each segment URI-encoded ('/' inside a segment too), joined by "/".
std::string EncodedPath(const std::vector<std::string>& segments);

// The canonical query string: pairs encoded, sorted by encoded name then value, joined by '&'.
std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> query);

// The first libcurl version that canonicalises a SigV4 path itself (8.14.0).
inline constexpr unsigned kCurlEncodesSigV4Path = 0x080E00;

// PreparedTarget
//
// What to hand curl: `url` always; `request_target` (path?query as sent) only when the URL's
// path had to be the canonical one.
struct PreparedTarget {
  std::string url;
  std::string request_target;
};

// `endpoint` is scheme://host[:port][/base path]; `segments` are decoded path segments after the
// base path; `curl_version` is curl_version_info()->version_num.
PreparedTarget PrepareTarget(std::string_view endpoint, const std::vector<std::string>& segments,
                             std::vector<std::pair<std::string, std::string>> query,
                             unsigned curl_version);

}  // namespace lmc::durable::internal
