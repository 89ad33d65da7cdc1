// File: tools/durable/callback_client.h
//
// The client side of the callback APIs for the local service: what `lmc-durable callback`
// sends to a running `lmc-durable --serve` to complete a callback (succeed with a result, fail
// with an error, or heartbeat), and the percent-encoding every client must apply to a URI label
// (callback ids are base64 and carry '+', '/' and '=').
//
// Requests carry an Authorization header of the SigV4 shape with the local runner's dummy
// credentials (local_runner.h); the signature itself is not computed (the local service does
// not verify it), so this client is for the local service only.
//
// Example:
//
//   absl::StatusOr<ApiReply> r = SendCallback("http://127.0.0.1:41235", id, "succeed", "\"ok\"");
//   if (r.ok() && r->status == 200) ...                // r->error_type on 4xx/5xx
//
// Thread-safe (one connection per call).
#pragma once

#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace lmc::durable_service {

// Percent-encodes every byte but A-Z a-z 0-9 - . _ ~ (an AWS URI label or query value).
std::string PercentEncode(std::string_view s);

struct ApiReply {
  int status = 0;
  std::string body;
  std::string error_type;  // X-Amzn-ErrorType, on errors
};

// SendCallback()
//
// POST /2025-12-01/durable-execution-callbacks/{id}/{action} (action: succeed, fail, heartbeat)
// with `body` (succeed: the result bytes; fail: an ErrorObject as JSON; heartbeat: none).
// InvalidArgument for an endpoint that is not http://127.0.0.1:PORT or http://localhost:PORT;
// Unavailable when it cannot be reached.
absl::StatusOr<ApiReply> SendCallback(std::string_view endpoint, std::string_view callback_id,
                                      std::string_view action, std::string_view body);

}  // namespace lmc::durable_service
