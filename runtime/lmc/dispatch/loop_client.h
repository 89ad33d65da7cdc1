// File: lmc/dispatch/loop_client.h
//
// LoopClient: the narrow view of the Runtime API a poll loop needs: wait for the next event,
// post a response or an error (or stream a response), abort a wait. PollLoop and AnswerSender use
// only this, so the loop's whole policy (retries, 410/413 handling, retirement) is unit-tested
// against a scripted fake (poll_loop_test.cc) without sockets; production wraps a RuntimeApiClient
// (either transport) with WrapRuntimeApiClient().
//
// Example:
//
//   std::unique_ptr<lmc::LoopClient> client = lmc::WrapRuntimeApiClient(std::move(api_client));
//   lmc::PollLoop loop(0, std::move(client), settings, on_fatal);
#pragma once

#include <chrono>
#include <memory>
#include <string_view>
#include <utility>

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
  // A streamed POST .../response: RuntimeApiClient::BeginStreamedResponse(), WriteStreamChunk()
  // and FinishStreamedResponse(). The defaults refuse (Unimplemented), for fakes that never
  // stream.
  virtual absl::Status BeginStreamedResponse(std::string_view request_id,
                                             std::string_view invocation_id,
                                             std::string_view content_type);
  virtual absl::Status WriteStreamChunk(std::string_view bytes);
  virtual absl::StatusOr<ApiReply> FinishStreamedResponse(std::string_view error_type,
                                                          std::string_view error_body_base64);
  // Cancels a waiting Next() and every later one. Thread-safe, idempotent.
  virtual void Abort() = 0;
};

// ForwardingLoopClient<Client>
//
// A LoopClient that forwards every call to `Client` (a RuntimeApiClient, or another LoopClient
// it decorates), which it owns: the one place the forwarding is written. A decorator overrides
// only what it changes and calls ForwardingLoopClient::Next() and friends for the rest.
template <typename Client>
class ForwardingLoopClient : public LoopClient {
 public:
  // `client` must not be null.
  explicit ForwardingLoopClient(std::unique_ptr<Client> client) : client_(std::move(client)) {}

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
  const std::unique_ptr<Client> client_;
};

// Adapts `client` (owned) to LoopClient. `client` must not be null.
std::unique_ptr<LoopClient> WrapRuntimeApiClient(std::unique_ptr<RuntimeApiClient> client);

}  // namespace lmc
