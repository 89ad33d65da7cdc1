#include "lmc/dispatch/loop_client.h"

#include <utility>

namespace lmc {

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
  return std::make_unique<ForwardingLoopClient<RuntimeApiClient>>(std::move(client));
}

}  // namespace lmc
