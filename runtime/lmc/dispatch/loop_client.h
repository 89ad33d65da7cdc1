// File: lmc/dispatch/loop_client.h
//
// LoopClient: the narrow view of the Runtime API a poll loop needs: wait for the next event,
// post a response or an error, abort a wait. PollLoop and AnswerSender use only this, so the
// loop's whole policy (retries, 410/413 handling, retirement) is unit-tested against a scripted
// fake (poll_loop_test.cc) without sockets; production wraps a RuntimeApiClient (either
// transport) with WrapRuntimeApiClient().
//
// Example:
//
//   std::unique_ptr<lmc::LoopClient> client = lmc::WrapRuntimeApiClient(std::move(api_client));
//   lmc::PollLoop loop(0, std::move(client), settings, on_fatal);
#pragma once

#include <chrono>
#include <memory>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/transport/next_invocation.h"
#include "lmc/transport/runtime_api_client.h"

namespace lmc {

// LoopClient
//
// The contracts are RuntimeApiClient's (lmc/transport/runtime_api_client.h): not thread-safe
// except Abort(). Implementations own their connection.
class LoopClient {
 public:
  virtual ~LoopClient() = default;

  // GET /next into `out`: kCancelled after Abort(), kUnavailable when no reply came,
  // kResourceExhausted for an oversized event (headers kept).
  virtual absl::Status Next(NextInvocation& out) = 0;
  // POST .../response.
  virtual absl::StatusOr<ApiReply> PostResponse(std::string_view request_id,
                                                std::string_view invocation_id,
                                                std::string_view content_type,
                                                std::string_view body,
                                                std::chrono::milliseconds timeout) = 0;
  // POST .../error; `error_type` is already header-safe (HeaderErrorType()).
  virtual absl::StatusOr<ApiReply> PostError(std::string_view request_id,
                                             std::string_view invocation_id,
                                             std::string_view error_type,
                                             std::string_view error_json,
                                             std::chrono::milliseconds timeout) = 0;
  // Cancels a waiting Next() and every later one. Thread-safe, idempotent.
  virtual void Abort() = 0;
};

// Adapts `client` (owned) to LoopClient. `client` must not be null.
std::unique_ptr<LoopClient> WrapRuntimeApiClient(std::unique_ptr<RuntimeApiClient> client);

}  // namespace lmc
