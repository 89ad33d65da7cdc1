#include "handlers/durable/internal/aws_request.h"

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace lmc::durable::internal {
namespace {

bool IsUnreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

}  // namespace

std::string UriEncode(std::string_view bytes, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(bytes.size());
  for (const char ch : bytes) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsUnreserved(c) || (keep_slash && c == '/')) {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

std::string EncodedPath(const std::vector<std::string>& segments) {
  std::string path;
  for (const std::string& segment : segments) {
    path.push_back('/');
    path += UriEncode(segment, /*keep_slash=*/false);
  }
  return path.empty() ? std::string("/") : path;
}

std::string CanonicalQuery(std::vector<std::pair<std::string, std::string>> query) {
  for (auto& [name, value] : query) {
    name = UriEncode(name, false);
    value = UriEncode(value, false);
  }
  std::sort(query.begin(), query.end());
  std::string out;
  for (const auto& [name, value] : query) {
    if (!out.empty()) out.push_back('&');
    out += name;
    out.push_back('=');
    out += value;
  }
  return out;
}

PreparedTarget PrepareTarget(std::string_view endpoint, const std::vector<std::string>& segments,
                             std::vector<std::pair<std::string, std::string>> query,
                             unsigned curl_version) {
  while (!endpoint.empty() && endpoint.back() == '/') endpoint.remove_suffix(1);
  // scheme://authority, then the endpoint's own base path (kept as given).
  const size_t authority = endpoint.find("://");
  const size_t base = endpoint.find('/', authority == std::string_view::npos ? 0 : authority + 3);
  const std::string_view origin = endpoint.substr(0, base);
  const std::string_view base_path =
      base == std::string_view::npos ? std::string_view() : endpoint.substr(base);
  std::string path(base_path);
  path += EncodedPath(segments);
  const std::string canonical_query = CanonicalQuery(std::move(query));
  const std::string suffix = canonical_query.empty() ? "" : "?" + canonical_query;
  PreparedTarget target;
  if (curl_version >= kCurlEncodesSigV4Path) {
    target.url = std::string(origin) + path + suffix;
    return target;
  }
  // curl < 8.14 signs the URL's path verbatim: give it the canonical (encoded again) path and
  // send the real one.
  target.url = std::string(origin) + UriEncode(path, /*keep_slash=*/true) + suffix;
  target.request_target = path + suffix;
  return target;
}

}  // namespace lmc::durable::internal
