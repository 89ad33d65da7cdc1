#include "handlers/durable/lambda_client.h"

#include <curl/curl.h>
#include <unistd.h>

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/credentials.h"
#include "handlers/durable/internal/aws_request.h"
#include "handlers/durable/wire_json.h"
#include "lmc/mutex.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::durable {
namespace {

constexpr std::string_view kApiVersion = "2025-12-01";

size_t OnBody(char* data, size_t size, size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

// Keeps the X-Amzn-ErrorType header (the rest-json error code) of the answer.
size_t OnHeader(char* data, size_t size, size_t count, void* out) {
  const std::string_view line(data, size * count);
  constexpr std::string_view kName = "x-amzn-errortype:";
  if (line.size() > kName.size() && EqualsIgnoreCase(line.substr(0, kName.size()), kName)) {
    std::string_view value = StripAsciiWhitespace(line.substr(kName.size()));
    value = value.substr(0, value.find(':'));
    *static_cast<std::string*>(out) = std::string(value);
  }
  return size * count;
}

// The error code and message of a rest-json error body (tolerant: any of its spellings).
std::pair<std::string, std::string> ErrorFromBody(std::string_view body) {
  simdjson::dom::parser parser;
  simdjson::dom::element root;
  std::pair<std::string, std::string> found;
  if (parser.parse(body.data(), body.size()).get(root) != simdjson::SUCCESS) return found;
  std::string_view text;
  for (const char* key : {"message", "Message", "errorMessage"}) {
    if (root[key].get(text) == simdjson::SUCCESS) {
      found.second = std::string(text);
      break;
    }
  }
  for (const char* key : {"__type", "code", "Code"}) {
    if (root[key].get(text) == simdjson::SUCCESS) {
      found.first = std::string(
          text.substr(text.find('#') == std::string_view::npos ? 0 : text.find('#') + 1));
      break;
    }
  }
  return found;
}

// Maps an error answer to the codes CheckpointService documents (PROTOCOL.md §6).
absl::Status MapError(const LambdaClient::HttpResponse& response, std::string_view what) {
  auto [body_code, message] = ErrorFromBody(response.body);
  const std::string code = response.error_code.empty() ? body_code : response.error_code;
  const std::string text = absl::StrCat(AsAbsl(what), ": HTTP ", response.status, " ",
                                        code.empty() ? "(no error code)" : code, ": ", message);
  const long status = response.status;
  // KMS configuration problems come as 5xx but only the customer can fix them.
  if (absl::StartsWith(code, "KMS")) return absl::FailedPreconditionError(text);
  if (status == 429) return absl::ResourceExhaustedError(text);
  if (status >= 500) return absl::UnavailableError(text);
  if (code == "InvalidParameterValueException" &&
      absl::StartsWith(message, "Invalid Checkpoint Token")) {
    return absl::AbortedError(text);
  }
  if (status == 400) return absl::InvalidArgumentError(text);
  if (status == 401 || status == 403) return absl::PermissionDeniedError(text);
  if (status == 404) return absl::NotFoundError(text);
  return absl::FailedPreconditionError(text);
}

// A curl_slist that frees itself.
struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

void Append(Slist& list, const std::string& header) {
  curl_slist* appended = curl_slist_append(list.get(), header.c_str());
  if (appended != nullptr) {
    (void)list.release();
    list.reset(appended);
  }
}

// The CA bundle to use (see LambdaClientConfig::ca_bundle); "" keeps libcurl's default.
std::string FindCaBundle(const EnvLookup& env) {
  for (const char* name : {"CURL_CA_BUNDLE", "SSL_CERT_FILE"}) {
    if (std::optional<std::string> file = env(name)) return *file;
  }
  const auto exists = [](const char* path) { return path != nullptr && access(path, R_OK) == 0; };
  const char* built_in = curl_version_info(CURLVERSION_NOW)->cainfo;
  if (built_in == nullptr || exists(built_in)) return "";
  for (const char* candidate :
       {"/etc/pki/tls/certs/ca-bundle.crt", "/etc/ssl/certs/ca-certificates.crt",
        "/etc/ssl/ca-bundle.pem", "/etc/ssl/cert.pem"}) {
    if (exists(candidate)) return candidate;
  }
  return "";
}

}  // namespace

absl::StatusOr<LambdaClientConfig> LambdaClientConfigFromEnvironment(const EnvLookup& getenv,
                                                                     const Clock& clock) {
  const EnvLookup env = getenv ? getenv : EnvLookup(&ProcessEnv);
  LambdaClientConfig config;
  const std::optional<std::string> region = env("AWS_REGION");
  if (!region.has_value()) {
    return absl::InvalidArgumentError("AWS_REGION is not set: the durable execution APIs need it");
  }
  config.region = *region;
  if (std::optional<std::string> endpoint = env("AWS_ENDPOINT_URL_LAMBDA")) {
    config.endpoint = *endpoint;
  } else if (std::optional<std::string> general = env("AWS_ENDPOINT_URL")) {
    config.endpoint = *general;
  } else {
    config.endpoint = absl::StrCat("https://lambda.", config.region, ".amazonaws.com");
  }
  LMC_ASSIGN_OR_RETURN(config.credentials, CredentialsFromEnvironment(env, clock));
  config.ca_bundle = FindCaBundle(env);
  return config;
}

absl::StatusOr<std::unique_ptr<LambdaClient>> LambdaClient::FromEnvironment() {
  LMC_ASSIGN_OR_RETURN(LambdaClientConfig config, LambdaClientConfigFromEnvironment());
  return std::make_unique<LambdaClient>(std::move(config));
}

LambdaClient::LambdaClient(LambdaClientConfig config)
    : config_(std::move(config)),
      credentials_(config_.credentials != nullptr
                       ? config_.credentials
                       : std::make_shared<StaticCredentials>(
                             AwsCredentials{config_.access_key_id, config_.secret_access_key,
                                            config_.session_token, std::nullopt})),
      curl_version_([] {
        // Reference-counted and thread-safe in the libcurl versions lmc supports.
        curl_global_init(CURL_GLOBAL_DEFAULT);
        return curl_version_info(CURLVERSION_NOW)->version_num;
      }()) {}

LambdaClient::~LambdaClient() {
  MutexLock lock(&mu_);
  for (void* handle : idle_) curl_easy_cleanup(static_cast<CURL*>(handle));
  idle_.clear();
  curl_global_cleanup();
}

void* LambdaClient::AcquireHandle() {
  {
    MutexLock lock(&mu_);
    if (!idle_.empty()) {
      void* handle = idle_.back();
      idle_.pop_back();
      // Forgets the last request's options, keeps its live connections.
      curl_easy_reset(static_cast<CURL*>(handle));
      return handle;
    }
  }
  return curl_easy_init();
}

void LambdaClient::ReleaseHandle(void* handle) {
  MutexLock lock(&mu_);
  idle_.push_back(handle);
}

absl::StatusOr<LambdaClient::HttpResponse> LambdaClient::Send(const HttpRequest& request) {
  const internal::PreparedTarget target =
      internal::PrepareTarget(config_.endpoint, request.path, request.query, curl_version_);
  // The credentials current now: a refreshed set signs every request from then on.
  absl::StatusOr<std::shared_ptr<const AwsCredentials>> credentials = credentials_->Get();
  if (!credentials.ok()) {
    return absl::UnavailableError(
        absl::StrCat(request.method, " ", target.url,
                     ": no credentials to sign with: ", credentials.status().message()));
  }
  CURL* curl = static_cast<CURL*>(AcquireHandle());
  if (curl == nullptr) return absl::ResourceExhaustedError("libcurl: no handle");
  Slist headers;
  for (const auto& [name, value] : request.headers) {
    Append(headers, absl::StrCat(name, ": ", value));
  }
  if (!(*credentials)->session_token.empty()) {
    Append(headers, "X-Amz-Security-Token: " + (*credentials)->session_token);
  }
  if (!config_.fixed_amz_date.empty()) Append(headers, "X-Amz-Date: " + config_.fixed_amz_date);
  Slist connect_to;
  for (const std::string& entry : config_.connect_to) Append(connect_to, entry);
  const std::string sigv4 = absl::StrCat("aws:amz:", config_.region, ":", config_.service);
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {0};
  curl_easy_setopt(curl, CURLOPT_URL, target.url.c_str());
  if (!target.request_target.empty()) {
    curl_easy_setopt(curl, CURLOPT_REQUEST_TARGET, target.request_target.c_str());
  }
  curl_easy_setopt(curl, CURLOPT_AWS_SIGV4, sigv4.c_str());
  curl_easy_setopt(curl, CURLOPT_USERNAME, (*credentials)->access_key_id.c_str());
  curl_easy_setopt(curl, CURLOPT_PASSWORD, (*credentials)->secret_access_key.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  if (connect_to != nullptr) curl_easy_setopt(curl, CURLOPT_CONNECT_TO, connect_to.get());
  if (request.body.has_value()) {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(request.body->size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body->data());
  } else if (request.method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, request.method.c_str());
  }
  if (!config_.ca_bundle.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, config_.ca_bundle.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_1_1);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
                   static_cast<long>(config_.connect_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(config_.request_timeout.count()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.error_code);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  const CURLcode rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  // The handle must not keep pointers to this call's buffers.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  curl_easy_setopt(curl, CURLOPT_CONNECT_TO, nullptr);
  ReleaseHandle(curl);
  if (rc != CURLE_OK) {
    return absl::UnavailableError(
        absl::StrCat(request.method, " ", target.url, ": ", curl_easy_strerror(rc),
                     error[0] != '\0' ? absl::StrCat(" (", error, ")") : ""));
  }
  return response;
}

absl::StatusOr<std::string> LambdaClient::BodyOrError(absl::StatusOr<HttpResponse> response,
                                                      std::string_view what) {
  if (!response.ok()) {
    return absl::Status(response.status().code(),
                        absl::StrCat(AsAbsl(what), ": ", response.status().message()));
  }
  if (response->status < 200 || response->status >= 300) return MapError(*response, what);
  return std::move(response->body);
}

absl::StatusOr<CheckpointResponse> LambdaClient::Checkpoint(const CheckpointRequest& request) {
  HttpRequest http;
  http.method = "POST";
  http.path = {std::string(kApiVersion), "durable-executions", request.durable_execution_arn,
               "checkpoint"};
  http.headers = {{"Content-Type", "application/json"}};
  http.body = CheckpointRequestJson(request);
  LMC_ASSIGN_OR_RETURN(std::string body, BodyOrError(Send(http), "CheckpointDurableExecution"));
  return ParseCheckpointResponse(body);
}

absl::StatusOr<StateResponse> LambdaClient::GetState(const StateRequest& request) {
  HttpRequest http;
  http.path = {std::string(kApiVersion), "durable-executions", request.durable_execution_arn,
               "state"};
  http.query = {{"CheckpointToken", request.checkpoint_token},
                {"MaxItems", std::to_string(request.max_items)}};
  if (!request.marker.empty()) http.query.emplace_back("Marker", request.marker);
  LMC_ASSIGN_OR_RETURN(std::string body, BodyOrError(Send(http), "GetDurableExecutionState"));
  return ParseStateResponse(body);
}

absl::Status LambdaClient::SendCallbackSuccess(std::string_view callback_id,
                                               std::string_view result) {
  HttpRequest http;
  http.method = "POST";
  http.path = {std::string(kApiVersion), "durable-execution-callbacks", std::string(callback_id),
               "succeed"};
  http.headers = {{"Content-Type", "application/octet-stream"}};
  http.body = std::string(result);
  return BodyOrError(Send(http), "SendDurableExecutionCallbackSuccess").status();
}

absl::Status LambdaClient::SendCallbackFailure(std::string_view callback_id,
                                               const ErrorObject& error) {
  HttpRequest http;
  http.method = "POST";
  http.path = {std::string(kApiVersion), "durable-execution-callbacks", std::string(callback_id),
               "fail"};
  http.headers = {{"Content-Type", "application/json"}};
  http.body = ErrorObjectJson(error);
  return BodyOrError(Send(http), "SendDurableExecutionCallbackFailure").status();
}

absl::Status LambdaClient::SendCallbackHeartbeat(std::string_view callback_id) {
  HttpRequest http;
  http.method = "POST";
  http.path = {std::string(kApiVersion), "durable-execution-callbacks", std::string(callback_id),
               "heartbeat"};
  http.body = std::string();
  return BodyOrError(Send(http), "SendDurableExecutionCallbackHeartbeat").status();
}

}  // namespace lmc::durable
