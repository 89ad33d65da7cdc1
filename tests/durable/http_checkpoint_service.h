// File: tests/durable/http_checkpoint_service.h
//
// A CheckpointService (handlers/durable/checkpoint_service.h) over HTTP to the endpoint in
// AWS_ENDPOINT_URL_LAMBDA, for the conformance bootstrap while the SDK has no Lambda client of
// its own: the SDK's codec (handlers/durable/wire_json.h) on one side, the local service on the
// other. Requests carry the SigV4-shaped headers the local service checks (with the local
// runner's dummy credentials); errors map to the SDK's contract (429: ResourceExhausted; 5xx
// and unreachable: Unavailable; "Invalid Checkpoint Token": Aborted; other 4xx:
// InvalidArgument).
//
// Example:
//
//   lmc::durable::HandlerOptions options;
//   options.service = std::make_shared<HttpCheckpointService>("http://127.0.0.1:41235");
//
// Thread-safe: one connection per call.
#pragma once

#include <string>

#include "handlers/durable/checkpoint_service.h"

namespace lmc::durable_testing {

class HttpCheckpointService : public durable::CheckpointService {
 public:
  explicit HttpCheckpointService(std::string endpoint);
  absl::StatusOr<durable::CheckpointResponse> Checkpoint(
      const durable::CheckpointRequest& request) override;
  absl::StatusOr<durable::StateResponse> GetState(const durable::StateRequest& request) override;

 private:
  int port_ = 0;
};

}  // namespace lmc::durable_testing
