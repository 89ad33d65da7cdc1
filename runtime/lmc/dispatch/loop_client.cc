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
  void Abort() override { client_->Abort(); }

 private:
  const std::unique_ptr<RuntimeApiClient> client_;
};

}  // namespace

std::unique_ptr<LoopClient> WrapRuntimeApiClient(std::unique_ptr<RuntimeApiClient> client) {
  return std::make_unique<RuntimeApiLoopClient>(std::move(client));
}

}  // namespace lmc
