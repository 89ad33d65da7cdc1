#include "handlers/durable/internal/container_credentials.h"

#include <curl/curl.h>

#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::durable::internal {
namespace {

// The endpoint answers a few hundred bytes; anything far larger is not a credentials answer.
constexpr size_t kMaxAnswerBytes = size_t{64} * 1024;

struct UrlDeleter {
  void operator()(CURLU* url) const { curl_url_cleanup(url); }
};
struct CurlDeleter {
  void operator()(CURL* curl) const { curl_easy_cleanup(curl); }
};
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

// The URL's scheme and host (IPv6 without brackets), parsed by libcurl.
absl::StatusOr<std::pair<std::string, std::string>> SchemeAndHost(std::string_view url) {
  std::unique_ptr<CURLU, UrlDeleter> parsed(curl_url());
  if (parsed == nullptr) return absl::ResourceExhaustedError("libcurl: no URL handle");
  if (curl_url_set(parsed.get(), CURLUPART_URL, std::string(url).c_str(), 0) != CURLUE_OK) {
    return absl::InvalidArgumentError(absl::StrCat("not a valid URL: ", AsAbsl(url)));
  }
  std::pair<std::string, std::string> parts;
  for (auto [part, out] :
       {std::pair{CURLUPART_SCHEME, &parts.first}, std::pair{CURLUPART_HOST, &parts.second}}) {
    char* text = nullptr;
    if (curl_url_get(parsed.get(), part, &text, 0) != CURLUE_OK || text == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("not a valid URL: ", AsAbsl(url)));
    }
    *out = text;
    curl_free(text);
  }
  std::string& host = parts.second;
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  for (char& c : parts.first) c = AsciiToLower(c);
  for (char& c : host) c = AsciiToLower(c);
  return parts;
}

bool IsLoopback(std::string_view host) {
  if (host == "localhost" || host == "::1" || host == "0:0:0:0:0:0:0:1") return true;
  const std::vector<absl::string_view> octets = absl::StrSplit(AsAbsl(host), '.');
  if (octets.size() != 4 || octets[0] != "127") return false;
  for (absl::string_view octet : octets) {
    int value = 0;
    if (!absl::SimpleAtoi(octet, &value) || value < 0 || value > 255) return false;
  }
  return true;
}

size_t OnBody(char* data, size_t size, size_t count, void* out) {
  auto* body = static_cast<std::string*>(out);
  if (body->size() + size * count > kMaxAnswerBytes) return 0;  // aborts the transfer
  body->append(data, size * count);
  return size * count;
}

// "Code: Message" of an error answer, when it is JSON that has them.
std::string ErrorDetail(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) return "";
  std::string_view code;
  std::string_view message;
  if (root["Code"].get(code) != simdjson::SUCCESS) code = {};
  if (root["Message"].get(message) != simdjson::SUCCESS) message = {};
  if (code.empty() && message.empty()) return "";
  return absl::StrCat(": ", AsAbsl(code), code.empty() || message.empty() ? "" : ": ",
                      AsAbsl(message));
}

}  // namespace

absl::Status CheckContainerUrl(std::string_view url) {
  absl::StatusOr<std::pair<std::string, std::string>> parts = SchemeAndHost(url);
  if (!parts.ok()) return parts.status();
  const auto& [scheme, host] = *parts;
  if (scheme == "https") return absl::OkStatus();
  if (scheme == "http" && (IsLoopback(host) || host == "169.254.170.2" ||
                           host == "169.254.170.23" || host == "fd00:ec2::23")) {
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "AWS_CONTAINER_CREDENTIALS_FULL_URI ", AsAbsl(url),
      " is not allowed: it must be https, or http to a loopback address, 169.254.170.2 (ECS), "
      "169.254.170.23 or [fd00:ec2::23] (EKS)"));
}

absl::StatusOr<std::optional<ContainerSource>> ContainerSourceFromEnvironment(
    const EnvLookup& env) {
  ContainerSource source;
  if (std::optional<std::string> relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    source.url = absl::StrCat(AsAbsl(kContainerCredentialsHost), *relative);
  } else if (std::optional<std::string> full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    if (absl::Status allowed = CheckContainerUrl(*full); !allowed.ok()) return allowed;
    source.url = *full;
  } else {
    return std::nullopt;
  }
  source.token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  source.token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  return source;
}

absl::StatusOr<std::string> AuthorizationToken(const ContainerSource& source) {
  std::string token;
  if (source.token_file.has_value()) {
    std::ifstream file(*source.token_file, std::ios::binary);
    std::ostringstream contents;
    if (!file || !(contents << file.rdbuf())) {
      return absl::InvalidArgumentError(absl::StrCat("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE ",
                                                     *source.token_file, " cannot be read"));
    }
    token = contents.str();
    // A file written with a final newline still holds one token.
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
  } else if (source.token.has_value()) {
    token = *source.token;
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    return absl::InvalidArgumentError(
        "the container authorization token holds a line break: not a legal header value");
  }
  return token;
}

absl::StatusOr<AwsCredentials> ParseContainerCredentials(std::string_view json) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  if (parser.parse(json.data(), json.size()).get(root) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the container credentials answer is not JSON");
  }
  AwsCredentials credentials;
  std::string_view text;
  for (auto [key, out] : {std::pair{"AccessKeyId", &credentials.access_key_id},
                          std::pair{"SecretAccessKey", &credentials.secret_access_key}}) {
    if (root[key].get(text) != simdjson::SUCCESS || text.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("the container credentials answer lacks ", key));
    }
    *out = std::string(text);
  }
  if (root["Token"].get(text) == simdjson::SUCCESS) credentials.session_token = std::string(text);
  if (root["Expiration"].get(text) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the container credentials answer lacks Expiration");
  }
  absl::Time expiration;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, AsAbsl(text), &expiration, &error)) {
    return absl::InvalidArgumentError(absl::StrCat("the container credentials' Expiration \"",
                                                   AsAbsl(text), "\" is not RFC 3339: ", error));
  }
  credentials.expiration = absl::ToChronoTime(expiration);
  return credentials;
}

absl::StatusOr<AwsCredentials> FetchContainerCredentials(const ContainerSource& source) {
  const auto unavailable = [&](absl::string_view why) {
    return absl::UnavailableError(
        absl::StrCat("container credentials from ", source.url, ": ", why));
  };
  absl::StatusOr<std::string> token = AuthorizationToken(source);
  if (!token.ok()) return unavailable(token.status().message());
  std::unique_ptr<CURL, CurlDeleter> curl(curl_easy_init());
  if (curl == nullptr) return unavailable("libcurl: no handle");
  std::unique_ptr<curl_slist, SlistDeleter> headers(
      curl_slist_append(nullptr, "Accept: application/json"));
  if (!token->empty()) {
    curl_slist* appended = curl_slist_append(headers.get(), ("Authorization: " + *token).c_str());
    if (appended != nullptr) {
      (void)headers.release();
      headers.reset(appended);
    }
  }
  std::string body;
  long status = 0;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl.get(), CURLOPT_URL, source.url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl.get(), CURLOPT_PROXY, "");  // a link-local endpoint is never proxied
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS, static_cast<long>(source.timeout.count()));
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(curl.get());
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (rc != CURLE_OK) {
    return unavailable(absl::StrCat(curl_easy_strerror(rc),
                                    error[0] != '\0' ? absl::StrCat(" (", error, ")") : ""));
  }
  if (status != 200) return unavailable(absl::StrCat("HTTP ", status, ErrorDetail(body)));
  absl::StatusOr<AwsCredentials> credentials = ParseContainerCredentials(body);
  if (!credentials.ok()) return unavailable(credentials.status().message());
  return credentials;
}

}  // namespace lmc::durable::internal
