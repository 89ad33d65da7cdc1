#include "lmc/handler.h"

#include "lmc/json.h"
#include "lmc/strings.h"

namespace lmc {
namespace {

// CamelCase names for absl::StatusCode, used as Lambda errorType values.
std::string_view StatusCodeName(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kOk:
      return "Ok";
    case absl::StatusCode::kCancelled:
      return "Cancelled";
    case absl::StatusCode::kUnknown:
      return "Unknown";
    case absl::StatusCode::kInvalidArgument:
      return "InvalidArgument";
    case absl::StatusCode::kDeadlineExceeded:
      return "DeadlineExceeded";
    case absl::StatusCode::kNotFound:
      return "NotFound";
    case absl::StatusCode::kAlreadyExists:
      return "AlreadyExists";
    case absl::StatusCode::kPermissionDenied:
      return "PermissionDenied";
    case absl::StatusCode::kResourceExhausted:
      return "ResourceExhausted";
    case absl::StatusCode::kFailedPrecondition:
      return "FailedPrecondition";
    case absl::StatusCode::kAborted:
      return "Aborted";
    case absl::StatusCode::kOutOfRange:
      return "OutOfRange";
    case absl::StatusCode::kUnimplemented:
      return "Unimplemented";
    case absl::StatusCode::kInternal:
      return "Internal";
    case absl::StatusCode::kUnavailable:
      return "Unavailable";
    case absl::StatusCode::kDataLoss:
      return "DataLoss";
    case absl::StatusCode::kUnauthenticated:
      return "Unauthenticated";
    default:
      return "Unknown";
  }
}

}  // namespace

Error Error::FromStatus(const absl::Status& status) {
  return Error(std::string(StatusCodeName(status.code())), std::string(AsStd(status.message())));
}

std::string Error::ToJson() const {
  std::string out;
  out.reserve(message_.size() + type_.size() + 64);
  JsonWriter w(&out);
  w.BeginObject().Key("errorMessage").String(message_).Key("errorType").String(type_);
  w.Key("stackTrace").BeginArray();
  for (const std::string& frame : stack_trace_) w.String(frame);
  w.EndArray().EndObject();
  return out;
}

}  // namespace lmc
