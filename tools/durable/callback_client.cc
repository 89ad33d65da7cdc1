#include "tools/durable/callback_client.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "tools/durable/local_runner.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::durable_service {

std::string PercentEncode(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xf]);
    }
  }
  return out;
}

absl::StatusOr<ApiReply> SendCallback(std::string_view endpoint, std::string_view callback_id,
                                      std::string_view action, std::string_view body) {
  int port = 0;
  for (std::string_view prefix : {"http://127.0.0.1:", "http://localhost:"}) {
    if (endpoint.starts_with(prefix)) {
      std::string_view rest = endpoint.substr(prefix.size());
      if (rest.ends_with('/')) rest.remove_suffix(1);
      if (!absl::SimpleAtoi(AsAbsl(rest), &port)) port = 0;
    }
  }
  if (port <= 0 || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("the endpoint must be http://127.0.0.1:PORT, not ", AsAbsl(endpoint)));
  }
  emulator::internal::RawHttpClient client;
  if (absl::Status s = client.Connect(port); !s.ok()) {
    return absl::UnavailableError(
        absl::StrCat("cannot reach ", AsAbsl(endpoint), ": ", s.message()));
  }
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Authorization",
       absl::StrCat("AWS4-HMAC-SHA256 Credential=", kLocalAccessKeyId,
                    "/20260101/us-east-1/lambda/aws4_request, "
                    "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=",
                    std::string(64, '0'))},
      {"X-Amz-Date", "20260101T000000Z"},
      {"X-Amz-Security-Token", kLocalSessionToken},
      {"Content-Type", action == "succeed" ? "application/octet-stream" : "application/json"},
  };
  const std::string path = absl::StrCat("/2025-12-01/durable-execution-callbacks/",
                                        PercentEncode(callback_id), "/", AsAbsl(action));
  absl::StatusOr<emulator::internal::RawHttpResponse> r = client.Post(path, body, headers);
  if (!r.ok()) return absl::UnavailableError(absl::StrCat("no answer: ", r.status().message()));
  ApiReply out;
  out.status = r->status;
  out.body = r->body;
  if (const std::string* type = r->FindHeader("x-amzn-errortype")) out.error_type = *type;
  return out;
}

}  // namespace lmc::durable_service
