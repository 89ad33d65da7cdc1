#include "tests/durable/http_checkpoint_service.h"

#include <utility>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "handlers/durable/wire_json.h"
#include "lmc/strings.h"
#include "tools/durable/callback_client.h"
#include "tools/durable/local_runner.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::durable_testing {
namespace {

using emulator::internal::RawHttpClient;
using emulator::internal::RawHttpResponse;

std::vector<std::pair<std::string, std::string>> Signed() {
  return {{"Authorization",
           absl::StrCat("AWS4-HMAC-SHA256 Credential=", durable_service::kLocalAccessKeyId,
                        "/20260101/us-east-1/lambda/aws4_request, "
                        "SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=",
                        std::string(64, '0'))},
          {"X-Amz-Date", "20260101T000000Z"},
          {"X-Amz-Security-Token", durable_service::kLocalSessionToken}};
}

absl::Status StatusOf(const RawHttpResponse& r) {
  const std::string* type = r.FindHeader("x-amzn-errortype");
  const std::string message =
      absl::StrCat(r.status, " ", type != nullptr ? *type : "", ": ", r.body);
  if (r.status == 429) return absl::ResourceExhaustedError(message);
  if (r.status >= 500) return absl::UnavailableError(message);
  if (r.body.find("Invalid Checkpoint Token") != std::string::npos) {
    return absl::AbortedError(message);
  }
  return absl::InvalidArgumentError(message);
}

absl::StatusOr<RawHttpResponse> Send(int port, std::string_view method, const std::string& path,
                                     const std::string& body) {
  RawHttpClient client;
  if (absl::Status s = client.Connect(port); !s.ok()) return absl::UnavailableError(s.message());
  if (absl::Status s = client.Send(emulator::internal::BuildRequest(method, path, body, Signed()));
      !s.ok()) {
    return absl::UnavailableError(s.message());
  }
  absl::StatusOr<RawHttpResponse> r = client.ReadResponse();
  if (!r.ok()) return absl::UnavailableError(r.status().message());
  return r;
}

std::string ExecutionPath(const std::string& arn) {
  return absl::StrCat("/2025-12-01/durable-executions/", durable_service::PercentEncode(arn));
}

}  // namespace

HttpCheckpointService::HttpCheckpointService(std::string endpoint) {
  const size_t colon = endpoint.rfind(':');
  if (colon != std::string::npos) {
    (void)absl::SimpleAtoi(AsAbsl(std::string_view(endpoint).substr(colon + 1)), &port_);
  }
}

absl::StatusOr<durable::CheckpointResponse> HttpCheckpointService::Checkpoint(
    const durable::CheckpointRequest& request) {
  absl::StatusOr<RawHttpResponse> r =
      Send(port_, "POST", ExecutionPath(request.durable_execution_arn) + "/checkpoint",
           durable::CheckpointRequestJson(request));
  if (!r.ok()) return r.status();
  if (r->status != 200) return StatusOf(*r);
  return durable::ParseCheckpointResponse(r->body);
}

absl::StatusOr<durable::StateResponse> HttpCheckpointService::GetState(
    const durable::StateRequest& request) {
  std::string path = absl::StrCat(ExecutionPath(request.durable_execution_arn),
                                  "/state?CheckpointToken=",
                                  durable_service::PercentEncode(request.checkpoint_token),
                                  "&MaxItems=", request.max_items);
  if (!request.marker.empty()) {
    absl::StrAppend(&path, "&Marker=", durable_service::PercentEncode(request.marker));
  }
  absl::StatusOr<RawHttpResponse> r = Send(port_, "GET", path, "");
  if (!r.ok()) return r.status();
  if (r->status != 200) return StatusOf(*r);
  return durable::ParseStateResponse(r->body);
}

}  // namespace lmc::durable_testing
