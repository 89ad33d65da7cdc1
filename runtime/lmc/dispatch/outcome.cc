#include "lmc/dispatch/outcome.h"

namespace lmc {

NextAction ClassifyNext(const absl::Status& status, int http_status) {
  if (status.code() == absl::StatusCode::kCancelled) return NextAction::kStop;
  if (status.code() == absl::StatusCode::kResourceExhausted) return NextAction::kSkip;
  if (!status.ok()) return NextAction::kRetry;
  if (http_status == 200) return NextAction::kRun;
  if (http_status == 500) return NextAction::kFatal;
  return NextAction::kRetry;
}

PostAction ClassifyPost(const absl::Status& status, int http_status, AnswerKind kind) {
  if (!status.ok()) {
    // InvalidArgument: the request could not even be formed; nothing to retry.
    return status.code() == absl::StatusCode::kInvalidArgument ? PostAction::kDrop
                                                               : PostAction::kRetry;
  }
  if (http_status >= 200 && http_status < 300) return PostAction::kDone;
  if (http_status == 410) return PostAction::kLate;
  if (http_status == 400 || http_status == 403) return PostAction::kGone;
  if (http_status == 413) {
    return kind == AnswerKind::kError ? PostAction::kDrop : PostAction::kTooLarge;
  }
  if (http_status >= 500 && http_status < 600) return PostAction::kRetry;
  return PostAction::kDrop;
}

}  // namespace lmc
