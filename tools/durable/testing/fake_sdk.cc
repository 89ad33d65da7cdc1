#include "tools/durable/testing/fake_sdk.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "lmc/strings.h"
#include "tools/durable/callback_client.h"

namespace lmc::durable_service::testing_support {
namespace {

int PortOf(std::string_view address) {
  int port = 0;
  const size_t colon = address.rfind(':');
  if (colon == std::string_view::npos ||
      !absl::SimpleAtoi(AsAbsl(address.substr(colon + 1)), &port)) {
    ADD_FAILURE() << "no port in " << address;
  }
  return port;
}

}  // namespace

std::string UrlEncode(std::string_view s) { return PercentEncode(s); }

Json::Json(std::string_view text) : text_(text) {
  ok_ = parser_.parse(text_).get(root_) == simdjson::SUCCESS;
  if (!ok_) ADD_FAILURE() << "not JSON: " << text_;
}

simdjson::dom::element Json::At(std::string_view pointer) const {
  simdjson::dom::element e;
  if (!ok_ || root_.at_pointer(pointer).get(e) != simdjson::SUCCESS) {
    ADD_FAILURE() << "no " << pointer << " in " << text_;
  }
  return e;
}

bool Json::Has(std::string_view pointer) const {
  simdjson::dom::element e;
  return ok_ && root_.at_pointer(pointer).get(e) == simdjson::SUCCESS;
}

std::string Json::String(std::string_view pointer) const {
  std::string_view s;
  if (!Has(pointer)) return (void)At(pointer), "";
  if (At(pointer).get(s) != simdjson::SUCCESS) ADD_FAILURE() << pointer << " is not a string";
  return std::string(s);
}

int64_t Json::Int(std::string_view pointer) const {
  int64_t v = 0;
  if (!Has(pointer)) return (void)At(pointer), 0;
  if (At(pointer).get(v) != simdjson::SUCCESS) ADD_FAILURE() << pointer << " is not an integer";
  return v;
}

double Json::Double(std::string_view pointer) const {
  double v = 0;
  if (!Has(pointer)) return (void)At(pointer), 0;
  if (At(pointer).get(v) != simdjson::SUCCESS) ADD_FAILURE() << pointer << " is not a number";
  return v;
}

bool Json::Bool(std::string_view pointer) const {
  bool v = false;
  if (!Has(pointer)) return (void)At(pointer), false;
  if (At(pointer).get(v) != simdjson::SUCCESS) ADD_FAILURE() << pointer << " is not a boolean";
  return v;
}

std::string FakeSdk::Reply::Header(std::string_view lower_name) const {
  const std::string* v = emulator::internal::FindField(headers, lower_name);
  return v == nullptr ? "" : *v;
}

FakeSdk::FakeSdk(std::string_view runtime_api, std::string_view endpoint)
    : runtime_port_(PortOf(runtime_api)), api_port_(PortOf(endpoint)) {}

FakeSdk::Headers FakeSdk::Signed() {
  return {{"Authorization",
           "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/lambda/aws4_request, "
           "SignedHeaders=host;x-amz-date, Signature=" +
               std::string(64, '0')},
          {"X-Amz-Date", "20260101T000000Z"}};
}

FakeSdk::Invocation FakeSdk::Next() {
  Invocation out;
  if (!runtime_connected_) {
    if (absl::Status s = runtime_.Connect(runtime_port_); !s.ok()) {
      ADD_FAILURE() << s;
      return out;
    }
    runtime_connected_ = true;
  }
  absl::StatusOr<emulator::internal::RawHttpResponse> r =
      runtime_.Get("/2018-06-01/runtime/invocation/next");
  if (!r.ok() || r->status != 200) {
    ADD_FAILURE() << "GET /next: " << (r.ok() ? absl::StrCat(r->status) : r.status().ToString());
    return out;
  }
  if (const std::string* id = r->FindHeader("lambda-runtime-aws-request-id")) out.request_id = *id;
  out.event = r->body;
  Json event(out.event);
  if (event.Has("/CheckpointToken")) out.token = event.String("/CheckpointToken");
  return out;
}

void FakeSdk::Respond(const Invocation& inv, std::string_view body) {
  absl::StatusOr<emulator::internal::RawHttpResponse> r = runtime_.Post(
      absl::StrCat("/2018-06-01/runtime/invocation/", inv.request_id, "/response"), body);
  if (!r.ok() || r->status != 202) ADD_FAILURE() << "POST /response failed";
}

void FakeSdk::Error(const Invocation& inv, std::string_view error_type, std::string_view body) {
  absl::StatusOr<emulator::internal::RawHttpResponse> r =
      runtime_.Post(absl::StrCat("/2018-06-01/runtime/invocation/", inv.request_id, "/error"), body,
                    {{"Lambda-Runtime-Function-Error-Type", std::string(error_type)}});
  if (!r.ok() || r->status != 202) ADD_FAILURE() << "POST /error failed";
}

FakeSdk::Reply FakeSdk::Checkpoint(std::string_view arn, std::string_view token,
                                   std::string_view updates, std::string_view client_token,
                                   bool sign) {
  std::string body =
      absl::StrCat(R"({"CheckpointToken":")", AsAbsl(token), R"(","Updates":)", AsAbsl(updates));
  if (!client_token.empty()) {
    absl::StrAppend(&body, R"(,"ClientToken":")", AsAbsl(client_token), "\"");
  }
  body.push_back('}');
  return Call("POST",
              absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn), "/checkpoint"), body,
              sign ? Signed() : Headers{});
}

FakeSdk::Reply FakeSdk::Call(std::string_view method, std::string_view path, std::string_view body,
                             const Headers& headers) {
  Reply out;
  emulator::internal::RawHttpClient client;
  if (absl::Status s = client.Connect(api_port_); !s.ok()) {
    ADD_FAILURE() << s;
    return out;
  }
  if (!client.Send(emulator::internal::BuildRequest(method, path, body, headers)).ok()) return out;
  absl::StatusOr<emulator::internal::RawHttpResponse> r = client.ReadResponse();
  if (!r.ok()) return out;  // reset or closed: status 0
  out.status = r->status;
  out.body = std::move(r->body);
  out.headers = std::move(r->headers);
  return out;
}

}  // namespace lmc::durable_service::testing_support
