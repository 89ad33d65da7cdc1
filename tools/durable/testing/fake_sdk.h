// File: tools/durable/testing/fake_sdk.h
//
// Test support for the durable-execution service: a fake durable runtime that speaks raw HTTP
// (takes events from a function's Runtime API emulator, checkpoints, answers), so the service's
// wire facts are tested without any SDK; a JSON document with JSON-pointer accessors; and the
// percent-encoding a client must apply to ARNs, callback ids, tokens and markers.
//
// Example:
//
//   FakeSdk sdk(function.runtime_api, service.endpoint());
//   FakeSdk::Invocation inv = sdk.Next();                       // the durable event
//   FakeSdk::Reply r = sdk.Checkpoint(arn, inv.token, R"([{"Id":"a","Type":"STEP",...}])");
//   std::string token = Json(r.body).String("/CheckpointToken");
//   sdk.Respond(inv, R"({"Status":"PENDING"})");
//
// Failures (a connection that cannot be made, a missing JSON member) are reported to GoogleTest
// with ADD_FAILURE and return empty values, so a test fails with a message instead of hanging.
// Not thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "simdjson.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::durable_service::testing_support {

// Percent-encodes every byte but A-Z a-z 0-9 - . _ ~ (an AWS URI label or query value).
std::string UrlEncode(std::string_view s);

// Json
//
// A parsed JSON document. Accessors take an RFC 6901 pointer ("/a/0/b").
class Json {
 public:
  explicit Json(std::string_view text);
  bool Has(std::string_view pointer) const;
  std::string String(std::string_view pointer) const;
  int64_t Int(std::string_view pointer) const;
  double Double(std::string_view pointer) const;
  bool Bool(std::string_view pointer) const;

 private:
  simdjson::dom::element At(std::string_view pointer) const;

  std::string text_;
  simdjson::dom::parser parser_;
  simdjson::dom::element root_;
  bool ok_ = false;
};

// FakeSdk
class FakeSdk {
 public:
  using Headers = std::vector<std::pair<std::string, std::string>>;

  struct Invocation {
    std::string request_id;
    std::string event;
    std::string token;  // the event's CheckpointToken
  };
  struct Reply {
    int status = 0;  // 0: no answer (connection reset or closed)
    std::string body;
    emulator::internal::HttpFields headers;
    std::string Header(std::string_view lower_name) const;
  };

  // `runtime_api` is "127.0.0.1:port"; `endpoint` is "http://127.0.0.1:port".
  FakeSdk(std::string_view runtime_api, std::string_view endpoint);

  // The next invocation event (GET /next, waits up to 10 s).
  Invocation Next();
  // POST /response or /error for `inv`.
  void Respond(const Invocation& inv, std::string_view body);
  void Error(const Invocation& inv, std::string_view error_type, std::string_view body);

  // CheckpointDurableExecution with `updates` (a JSON array).
  Reply Checkpoint(std::string_view arn, std::string_view token, std::string_view updates,
                   std::string_view client_token = "", bool sign = true);
  // Any API call on a fresh connection; `headers` default to a SigV4-shaped signature.
  Reply Call(std::string_view method, std::string_view path, std::string_view body,
             const Headers& headers = Signed());

  // An Authorization header of the SigV4 shape and X-Amz-Date (not a valid signature).
  static Headers Signed();

 private:
  int runtime_port_ = 0;
  int api_port_ = 0;
  emulator::internal::RawHttpClient runtime_;
  bool runtime_connected_ = false;
};

}  // namespace lmc::durable_service::testing_support
