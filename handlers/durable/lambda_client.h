// File: handlers/durable/lambda_client.h
//
// LambdaClient: the Lambda durable-execution APIs over HTTPS, signed with SigV4 by libcurl
// (CURLOPT_AWS_SIGV4): CheckpointDurableExecution and GetDurableExecutionState (the
// CheckpointService a durable handler uses by default), and SendDurableExecutionCallbackSuccess/
// Failure/Heartbeat for whoever answers callbacks (the local emulator's command, users' code).
//
// Configuration (FromEnvironment(), PROTOCOL.md §6): the endpoint is AWS_ENDPOINT_URL_LAMBDA,
// else AWS_ENDPOINT_URL, else https://lambda.{AWS_REGION}.amazonaws.com; the region AWS_REGION;
// credentials from the default chain (handlers/durable/credentials.h): AWS_ACCESS_KEY_ID /
// AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, else the container credential endpoint, refreshed
// ahead of expiry. Each request is signed with the credentials current when it is sent (the
// session token goes out, signed, as X-Amz-Security-Token). Error answers map to the status codes
// CheckpointService documents: network failures and 5xx kUnavailable, 429 kResourceExhausted,
// "Invalid Checkpoint Token" kAborted, other 4xx
// kInvalidArgument/kPermissionDenied/kNotFound/kFailedPrecondition, each message naming the API,
// the HTTP status, the error code and the service's message.
//
// libcurl 7.88 (Debian 12) signs the URL's path and query verbatim; see
// handlers/durable/internal/aws_request.h for how the client still signs exactly what AWS
// verifies.
//
// Example:
//
//   absl::StatusOr<std::unique_ptr<lmc::durable::LambdaClient>> client =
//       lmc::durable::LambdaClient::FromEnvironment();
//   if (!client.ok()) return client.status();
//   LMC_RETURN_IF_ERROR((*client)->SendCallbackSuccess(callback_id, R"({"approved":true})"));
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "handlers/durable/checkpoint_service.h"
#include "handlers/durable/credentials.h"
#include "handlers/durable/operation.h"
#include "lmc/clock.h"
#include "lmc/mutex.h"

namespace lmc::durable {

// LambdaClientConfig
struct LambdaClientConfig {
  std::string endpoint;  // scheme://host[:port], e.g. https://lambda.us-east-1.amazonaws.com
  std::string region;
  // Where each request's credentials come from. Null: the fixed keys below.
  std::shared_ptr<CredentialsProvider> credentials;
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;       // "" : none
  std::string service = "lambda";  // the SigV4 signing name
  // The CA certificates file for HTTPS; "" : libcurl's built-in default. FromEnvironment()
  // picks CURL_CA_BUNDLE or SSL_CERT_FILE, else libcurl's default when that file exists, else
  // the first of the usual system bundles that does (a libcurl built on Debian looks for
  // /etc/ssl/certs/ca-certificates.crt; provided.al2023 keeps its bundle in /etc/pki/tls/certs).
  std::string ca_bundle;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds request_timeout{55000};
  // libcurl CONNECT_TO entries ("HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT"): reach the
  // endpoint's host somewhere else while signing and sending its real Host (tests, private
  // networking).
  std::vector<std::string> connect_to;
  // Tests only: sign with this X-Amz-Date (e.g. "20150830T123600Z") instead of the clock's, so
  // signatures are deterministic. libcurl 7.88 then sends the header twice (PROTOCOL.md §6).
  std::string fixed_amz_date;
};

// Reads the configuration from `getenv` (a lookup returning nullopt for unset variables; the
// process environment when omitted); credentials through CredentialsFromEnvironment() on
// `clock`. InvalidArgument naming the missing variable. Nothing is fetched here.
absl::StatusOr<LambdaClientConfig> LambdaClientConfigFromEnvironment(
    const EnvLookup& getenv = {}, const Clock& clock = Clock::Real());

// LambdaClient
//
// Thread-safe: calls from any number of threads share a pool of libcurl handles (each keeps
// its connections alive). Not copyable.
class LambdaClient : public CheckpointService {
 public:
  static absl::StatusOr<std::unique_ptr<LambdaClient>> FromEnvironment();

  explicit LambdaClient(LambdaClientConfig config);
  ~LambdaClient() override;
  LambdaClient(const LambdaClient&) = delete;
  LambdaClient& operator=(const LambdaClient&) = delete;

  // CheckpointService
  absl::StatusOr<CheckpointResponse> Checkpoint(const CheckpointRequest& request) override;
  absl::StatusOr<StateResponse> GetState(const StateRequest& request) override;

  // The callback APIs. `result` is sent as the raw body (any bytes, at most 256 KiB; JSON text
  // by convention).
  absl::Status SendCallbackSuccess(std::string_view callback_id, std::string_view result);
  absl::Status SendCallbackFailure(std::string_view callback_id, const ErrorObject& error);
  absl::Status SendCallbackHeartbeat(std::string_view callback_id);

  // One signed request (exposed for tests and for APIs this client does not wrap). `path` and
  // `query` are decoded; the client encodes them. `headers` are added as given (and signed).
  struct HttpRequest {
    std::string method = "GET";
    std::vector<std::string> path;
    std::vector<std::pair<std::string, std::string>> query;
    std::vector<std::pair<std::string, std::string>> headers;
    std::optional<std::string> body;  // set: sent as the body (POST)
  };
  struct HttpResponse {
    long status = 0;
    std::string body;
    std::string error_code;  // X-Amzn-ErrorType up to its first ':' ("" when absent)
  };
  // kUnavailable when no answer came back or no credentials could be had (the message says
  // why); any HTTP status is an answer.
  absl::StatusOr<HttpResponse> Send(const HttpRequest& request);

 private:
  // Turns an answer into `what`'s result: the body for 2xx, the mapped error otherwise.
  static absl::StatusOr<std::string> BodyOrError(absl::StatusOr<HttpResponse> response,
                                                 std::string_view what);
  void* AcquireHandle();
  void ReleaseHandle(void* handle);

  const LambdaClientConfig config_;
  const std::shared_ptr<CredentialsProvider> credentials_;
  const unsigned curl_version_;
  Mutex mu_;
  std::vector<void*> idle_ ABSL_GUARDED_BY(mu_);  // CURL* easy handles
};

}  // namespace lmc::durable
