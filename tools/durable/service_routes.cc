// DurableService: the HTTP API (see service.h). Requests arrive on the API emulator's server
// thread through EmulatorOptions::extra_routes; each is routed by path, checked for a SigV4
// Authorization header, offered to the injected faults, then served under the service's lock.

#include <algorithm>
#include <cctype>
#include <random>
#include <string>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "handlers/events/url_decode.h"
#include "lmc/json.h"
#include "lmc/strings.h"
#include "tools/durable/service.h"
#include "tools/durable/wire_json.h"

namespace lmc::durable_service {
namespace {

using emulator::ExtraReply;
using emulator::ExtraRequest;

constexpr std::string_view kExecutions = "/2025-12-01/durable-executions/";
constexpr std::string_view kCallbacks = "/2025-12-01/durable-execution-callbacks/";

std::string RequestId() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    out.push_back(kHex[rng() & 0xf]);
  }
  return out;
}

ExtraReply Json(std::string body, int status = 200) {
  ExtraReply r;
  r.status = status;
  r.body = std::move(body);
  r.headers = {{"X-Amzn-RequestId", RequestId()}};
  return r;
}

// A rest-json error: the type in X-Amzn-ErrorType and in the body's shape. Sender faults say
// "Type":"User"; the message member is spelled as the model spells it for that exception.
ExtraReply ApiError(int status, std::string_view type, std::string_view message) {
  std::string body;
  JsonWriter w(&body);
  const bool service_fault = status >= 500;
  const bool lower_message =
      type == "InvalidParameterValueException" || type == "TooManyRequestsException" ||
      type == "MissingAuthenticationTokenException" || type == "IncompleteSignatureException" ||
      type == "UnrecognizedClientException" || type == "InvalidSignatureException";
  w.BeginObject().Key("Type").String(service_fault ? "Service" : "User");
  w.Key(lower_message ? "message" : "Message").String(message);
  if (type == "TooManyRequestsException") w.Key("Reason").String("CallerRateLimitExceeded");
  w.EndObject();
  ExtraReply r = Json(std::move(body), status);
  r.headers.emplace_back("X-Amzn-ErrorType", std::string(type));
  if (status == 429) r.headers.emplace_back("Retry-After", "1");
  return r;
}

// The one place absl::Status codes become API errors.
ExtraReply FromStatus(const absl::Status& s) {
  const std::string_view message = AsStd(s.message());
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      return ApiError(404, "ResourceNotFoundException", message);
    case absl::StatusCode::kFailedPrecondition:
      return ApiError(400, "CallbackTimeoutException", message);
    case absl::StatusCode::kInvalidArgument:
      return ApiError(400, "InvalidParameterValueException", message);
    default:
      return ApiError(500, "ServiceException", message);
  }
}

// The decoded key=value pairs of a query string, in order. Percent-decoding is
// lmc::events::UrlDecode's: '+' is a space (as AWS reads a query string), and a '%' not followed
// by two hex digits is InvalidArgument.
absl::StatusOr<DurableService::QueryPairs> ParseQuery(std::string_view query) {
  DurableService::QueryPairs pairs;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const size_t eq = pair.find('=');
    absl::StatusOr<std::string> key = events::UrlDecode(pair.substr(0, eq), true);
    absl::StatusOr<std::string> value = events::UrlDecode(
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1), true);
    if (!key.ok() || !value.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("Malformed percent-encoding in the query string: ", AsAbsl(pair)));
    }
    pairs.emplace_back(*std::move(key), *std::move(value));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return pairs;
}

// The first value of `name` in the query, if present.
std::optional<std::string> QueryValue(const DurableService::QueryPairs& query,
                                      std::string_view name) {
  for (const auto& [key, value] : query) {
    if (key == name) return value;
  }
  return std::nullopt;
}

const std::string* FindHeader(const emulator::Fields& fields, std::string_view lower_name) {
  for (const auto& [name, value] : fields) {
    if (name == lower_name) return &value;
  }
  return nullptr;
}

bool IsHex64(std::string_view s) {
  return s.size() == 64 &&
         std::all_of(s.begin(), s.end(), [](char c) { return HexDigitValue(c) >= 0; });
}

// The value of `key=` in a SigV4 Authorization header ("..., SignedHeaders=a;b, ...").
std::string_view AuthField(std::string_view auth, std::string_view key) {
  size_t at = auth.find(key);
  while (at != std::string_view::npos && at > 0 && auth[at - 1] != ' ' && auth[at - 1] != ',') {
    at = auth.find(key, at + 1);
  }
  if (at == std::string_view::npos) return {};
  std::string_view rest = auth.substr(at + key.size());
  return rest.substr(0, rest.find(','));
}

}  // namespace

std::optional<ExtraReply> DurableService::CheckSignature(const ExtraRequest& request) {
  const std::string* auth = FindHeader(request.headers, "authorization");
  auto reject = [&](std::string_view type, std::string_view message) {
    mu_.AssertHeld();
    ++stats_.unsigned_calls;
    return ApiError(403, type, message);
  };
  if (auth == nullptr) {
    return reject("MissingAuthenticationTokenException", "Missing Authentication Token");
  }
  const std::string_view a = *auth;
  if (!a.starts_with("AWS4-HMAC-SHA256 ")) {
    return reject("IncompleteSignatureException",
                  "Authorization header requires the AWS4-HMAC-SHA256 algorithm.");
  }
  const std::string_view credential = AuthField(a, "Credential=");
  const std::string_view signed_headers = AuthField(a, "SignedHeaders=");
  const std::string_view signature = AuthField(a, "Signature=");
  if (credential.empty() || signed_headers.empty() || !IsHex64(signature)) {
    return reject("IncompleteSignatureException",
                  "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature'.");
  }
  // Credential=AKID/YYYYMMDD/region/lambda/aws4_request
  std::vector<std::string_view> scope;
  for (std::string_view rest = credential;;) {
    const size_t slash = rest.find('/');
    scope.push_back(rest.substr(0, slash));
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  if (scope.size() != 5 || scope[1].size() != 8 || scope[4] != "aws4_request") {
    return reject("IncompleteSignatureException", "Credential is not a SigV4 credential scope.");
  }
  if (scope[3] != "lambda") {
    return reject("InvalidSignatureException",
                  "Credential should be scoped to correct service: 'lambda'.");
  }
  if (scope[2] != options_.region) {
    return reject("InvalidSignatureException",
                  absl::StrCat("Credential should be scoped to a valid region, not '",
                               AsAbsl(scope[2]), "'."));
  }
  if (FindHeader(request.headers, "x-amz-date") == nullptr &&
      FindHeader(request.headers, "date") == nullptr) {
    return reject("IncompleteSignatureException", "Authorization requires an X-Amz-Date header.");
  }
  if (options_.access_key_id && scope[0] != *options_.access_key_id) {
    return reject("UnrecognizedClientException",
                  "The security token included in the request is invalid.");
  }
  if (options_.session_token) {
    const std::string* token = FindHeader(request.headers, "x-amz-security-token");
    if (token == nullptr || *token != *options_.session_token ||
        signed_headers.find("x-amz-security-token") == std::string_view::npos) {
      return reject("UnrecognizedClientException",
                    "The security token included in the request is invalid.");
    }
  }
  return std::nullopt;
}

std::optional<ExtraReply> DurableService::TakeFault(ApiFault::Api api) {
  for (auto it = faults_.begin(); it != faults_.end(); ++it) {
    if (it->api != ApiFault::Api::kAny && it->api != api) continue;
    const ApiFault f = *it;
    faults_.erase(it);
    ++stats_.faults_applied;
    if (f.reset) {
      ExtraReply r;
      r.reset = true;
      return r;
    }
    if (f.invalid_token) {
      return ApiError(400, "InvalidParameterValueException",
                      "Invalid Checkpoint Token: the token expired (injected fault)");
    }
    if (f.status == 429) return ApiError(429, "TooManyRequestsException", "Rate exceeded");
    return ApiError(f.status, "ServiceException", "Internal failure (injected fault)");
  }
  return std::nullopt;
}

std::optional<ExtraReply> DurableService::HandleApi(const ExtraRequest& request) {
  std::string_view target = request.target;
  const size_t q = target.find('?');
  const std::string_view query = q == std::string_view::npos ? "" : target.substr(q + 1);
  const std::string_view path = target.substr(0, q);
  const bool executions = path.starts_with(kExecutions);
  if (!executions && !path.starts_with(kCallbacks)) return std::nullopt;
  std::string_view rest = path.substr(executions ? kExecutions.size() : kCallbacks.size());
  // {label}[/action]: the label is one percent-encoded segment (an ARN's '/' must be %2F).
  const size_t slash = rest.find('/');
  const absl::StatusOr<std::string> label = events::UrlDecode(rest.substr(0, slash), false);
  const absl::StatusOr<QueryPairs> pairs = ParseQuery(query);
  const std::string_view action = slash == std::string_view::npos ? "" : rest.substr(slash + 1);
  const std::string_view method = request.method;
  auto route = [&](std::string_view m, std::string_view a) { return method == m && action == a; };
  ApiFault::Api api = ApiFault::Api::kAny;
  if (!executions) {
    api = ApiFault::Api::kCallback;
  } else if (route("POST", "checkpoint")) {
    api = ApiFault::Api::kCheckpoint;
  } else if (route("GET", "state")) {
    api = ApiFault::Api::kGetState;
  }
  const bool known = executions
                         ? (route("POST", "checkpoint") || route("GET", "state") ||
                            route("GET", "") || route("GET", "history") || route("POST", "stop"))
                         : (method == "POST" &&
                            (action == "succeed" || action == "fail" || action == "heartbeat"));
  // Routing, then authentication, then the operation's own parameters (as AWS answers them);
  // every 4xx but the signature's 403s (unsigned_calls) and injected faults is a rejected call.
  const auto counted = [this](ExtraReply r) {
    MutexLock lock(&mu_);
    if (r.status >= 400) ++stats_.rejected_calls;
    return r;
  };
  if (!known || (label.ok() && label->empty())) {
    return counted(ApiError(404, "UnknownOperationException",
                            absl::StrCat("No operation for ", AsAbsl(method), " ", AsAbsl(path))));
  }
  std::optional<ExtraReply> reply;
  {
    MutexLock lock(&mu_);
    if (std::optional<ExtraReply> denied = CheckSignature(request)) return denied;
    if (!label.ok()) {
      reply = ApiError(400, "InvalidParameterValueException",
                       absl::StrCat("Malformed percent-encoding in the path: ", AsAbsl(path)));
    } else if (!pairs.ok()) {
      reply = FromStatus(pairs.status());
    } else if (std::optional<ExtraReply> fault = TakeFault(api)) {
      return fault;
    } else if (executions) {
      reply = route("POST", "checkpoint") ? Checkpoint(*label, request.body)
              : route("GET", "state")     ? GetState(*label, *pairs)
              : route("GET", "history")   ? GetHistory(*label, *pairs)
              : route("POST", "stop")     ? StopExecution(*label)
                                          : GetExecution(*label);
    }
  }
  // Outside the lock: a callback goes through the public Send* calls, which take it.
  if (!reply.has_value()) reply = Callback(*label, action, request.body);
  return counted(*std::move(reply));
}

ExtraReply DurableService::Checkpoint(const std::string& arn, std::string_view body) {
  auto it = executions_.find(arn);
  if (it == executions_.end()) {
    return ApiError(400, "InvalidParameterValueException",
                    absl::StrCat("Invalid durable execution ARN: ", arn));
  }
  // Not `it` from here on: a chained invoke may start an execution and rehash the map.
  Entry& entry = *it->second;
  absl::StatusOr<CheckpointRequest> request = ParseCheckpointRequest(body);
  if (!request.ok()) return FromStatus(request.status());
  const absl::Time now = Now();
  Hooks hooks(*this, entry, now);
  absl::StatusOr<std::string> answer = entry.exec->Checkpoint(*request, now, hooks);
  if (!answer.ok()) return FromStatus(answer.status());
  ++stats_.checkpoints;
  AfterChange(entry, now);
  return Json(*std::move(answer));
}

ExtraReply DurableService::GetState(const std::string& arn, const QueryPairs& query) {
  auto it = executions_.find(arn);
  if (it == executions_.end()) {
    return ApiError(400, "InvalidParameterValueException",
                    absl::StrCat("Invalid durable execution ARN: ", arn));
  }
  const std::optional<std::string> token = QueryValue(query, "CheckpointToken");
  if (!token || token->empty()) {
    return ApiError(400, "InvalidParameterValueException", "CheckpointToken is required.");
  }
  size_t max_items = 0;
  if (std::optional<std::string> m = QueryValue(query, "MaxItems")) {
    if (!absl::SimpleAtoi(*m, &max_items) || max_items > 1000) {
      return ApiError(400, "InvalidParameterValueException",
                      "MaxItems must be between 0 and 1000.");
    }
  }
  absl::StatusOr<std::string> page =
      it->second->exec->GetState(*token, QueryValue(query, "Marker"), max_items);
  if (!page.ok()) return FromStatus(page.status());
  return Json(*std::move(page));
}

ExtraReply DurableService::GetExecution(const std::string& arn) {
  auto it = executions_.find(arn);
  if (it == executions_.end()) {
    return ApiError(404, "ResourceNotFoundException", absl::StrCat("Execution not found: ", arn));
  }
  const ExecutionSnapshot s = it->second->exec->Snapshot();
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("DurableExecutionArn").String(s.arn);
  const size_t name_at = s.arn.find("/durable-execution/") + 19;
  w.Key("DurableExecutionName").String(s.arn.substr(name_at, s.arn.find('/', name_at) - name_at));
  w.Key("FunctionArn").String(functions_.at(s.function_name)->arn);
  w.Key("InputPayload").String(s.input);
  if (s.result) w.Key("Result").String(*s.result);
  if (s.error) {
    w.Key("Error");
    AppendErrorObject(w, *s.error);
  }
  w.Key("StartTimestamp");
  AppendTime(w, s.start, TimeFormat::kEpochSeconds);
  w.Key("Status").String(ToString(s.status));
  if (s.end) {
    w.Key("EndTimestamp");
    AppendTime(w, *s.end, TimeFormat::kEpochSeconds);
  }
  w.Key("Version").String("$LATEST").EndObject();
  return Json(std::move(body));
}

ExtraReply DurableService::GetHistory(const std::string& arn, const QueryPairs& query) {
  auto it = executions_.find(arn);
  if (it == executions_.end()) {
    return ApiError(404, "ResourceNotFoundException", absl::StrCat("Execution not found: ", arn));
  }
  const bool include_data = QueryValue(query, "IncludeExecutionData") == "true";
  const bool reverse = QueryValue(query, "ReverseOrder") == "true";
  size_t max_items = 1000;
  size_t offset = 0;
  if (std::optional<std::string> m = QueryValue(query, "MaxItems")) {
    if (!absl::SimpleAtoi(*m, &max_items) || max_items > 1000) {
      return ApiError(400, "InvalidParameterValueException",
                      "MaxItems must be between 0 and 1000.");
    }
    if (max_items == 0) max_items = 1000;
  }
  const std::vector<HistoryEvent>& events = it->second->exec->history().events();
  if (std::optional<std::string> marker = QueryValue(query, "Marker")) {
    if (!absl::SimpleAtoi(*marker, &offset) || offset > events.size()) {
      return ApiError(400, "InvalidParameterValueException", "Invalid marker.");
    }
  }
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("Events").BeginArray();
  const size_t end = std::min(events.size(), offset + max_items);
  for (size_t i = offset; i < end; ++i) {
    AppendEvent(w, events[reverse ? events.size() - 1 - i : i], include_data);
  }
  w.EndArray();
  if (end < events.size()) w.Key("NextMarker").String(std::to_string(end));
  w.EndObject();
  return Json(std::move(body));
}

ExtraReply DurableService::StopExecution(const std::string& arn) {
  auto it = executions_.find(arn);
  if (it == executions_.end()) {
    return ApiError(404, "ResourceNotFoundException", absl::StrCat("Execution not found: ", arn));
  }
  const absl::Time now = Now();
  it->second->exec->Stop(
      ErrorObject{.error_type = "Execution.Stopped", .error_message = "The execution was stopped."},
      now);
  AfterChange(*it->second, now);
  std::string body;
  JsonWriter w(&body);
  w.BeginObject().Key("StopTimestamp");
  AppendTime(w, it->second->exec->Now(now), TimeFormat::kEpochSeconds);
  w.EndObject();
  return Json(std::move(body));
}

ExtraReply DurableService::Callback(const std::string& callback_id, std::string_view action,
                                    std::string_view body) {
  absl::Status s;
  if (action == "succeed") {
    // The body is the Result blob itself; empty means no result.
    s = SendCallbackSuccess(callback_id,
                            body.empty() ? std::nullopt : std::optional<std::string>(body));
  } else if (action == "fail") {
    absl::StatusOr<ErrorObject> error = ParseErrorObject(body);
    if (!error.ok()) return FromStatus(error.status());
    s = SendCallbackFailure(callback_id, *std::move(error));
  } else {
    s = SendCallbackHeartbeat(callback_id);
  }
  if (!s.ok()) return FromStatus(s);
  return Json("{}");
}

}  // namespace lmc::durable_service
