#include "lmc/dispatch/loop_client.h"

#include <utility>

namespace lmc {
namespace {

class RuntimeApiLoopClient final : public LoopClient {
 public:
  explicit RuntimeApiLoopClient(std::unique_ptr<RuntimeApiClient> client)
      : client_(std::move(client)) {}

  absl::Status Next(NextInvocation& out) override { return client_->Next(out); }
  absl::StatusOr<ApiReply> PostResponse(std::string_view request_id, std::string_view invocation_id,
                                        std::string_view content_type, std::string_view body,
                                        std::chrono::milliseconds timeout) override {
    return client_->PostResponse(request_id, invocation_id, content_type, body, timeout);
  }
  absl::StatusOr<ApiReply> PostError(std::string_view request_id, std::string_view invocation_id,
                                     std::string_view error_type, std::string_view error_json,
                                     std::chrono::milliseconds timeout) override {
    return client_->PostError(request_id, invocation_id, error_type, error_json, timeout);
  }
  absl::Status BeginStreamedResponse(std::string_view request_id, std::string_view invocation_id,
                                     std::string_view content_type) override {
    return client_->BeginStreamedResponse(request_id, invocation_id, content_type);
  }
  absl::Status WriteStreamChunk(std::string_view bytes) override {
    return client_->WriteStreamChunk(bytes);
  }
  absl::StatusOr<ApiReply> FinishStreamedResponse(std::string_view error_type,
                                                  std::string_view error_body_base64) override {
    return client_->FinishStreamedResponse(error_type, error_body_base64);
  }
  void Abort() override { client_->Abort(); }

 private:
  const std::unique_ptr<RuntimeApiClient> client_;
};

}  // namespace

absl::Status LoopClient::BeginStreamedResponse(std::string_view /*request_id*/,
                                               std::string_view /*invocation_id*/,
                                               std::string_view /*content_type*/) {
  return absl::UnimplementedError("this client cannot stream");
}

absl::Status LoopClient::WriteStreamChunk(std::string_view /*bytes*/) {
  return absl::UnimplementedError("this client cannot stream");
}

absl::StatusOr<ApiReply> LoopClient::FinishStreamedResponse(
    std::string_view /*error_type*/, std::string_view /*error_body_base64*/) {
  return absl::UnimplementedError("this client cannot stream");
}

std::unique_ptr<LoopClient> WrapRuntimeApiClient(std::unique_ptr<RuntimeApiClient> client) {
  return std::make_unique<RuntimeApiLoopClient>(std::move(client));
}

}  // namespace lmc
