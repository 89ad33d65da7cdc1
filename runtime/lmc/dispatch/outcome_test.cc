#include "lmc/dispatch/outcome.h"

#include "gtest/gtest.h"

namespace lmc {
namespace {

TEST(ClassifyNext, MapsEveryDocumentedAnswer) {
  EXPECT_EQ(ClassifyNext(absl::OkStatus(), 200), NextAction::kRun);
  EXPECT_EQ(ClassifyNext(absl::OkStatus(), 500), NextAction::kFatal);
  EXPECT_EQ(ClassifyNext(absl::OkStatus(), 403), NextAction::kRetry);
  EXPECT_EQ(ClassifyNext(absl::OkStatus(), 502), NextAction::kRetry);
  EXPECT_EQ(ClassifyNext(absl::OkStatus(), 204), NextAction::kRetry);
  EXPECT_EQ(ClassifyNext(absl::UnavailableError("reset"), 0), NextAction::kRetry);
  EXPECT_EQ(ClassifyNext(absl::CancelledError("stop"), 0), NextAction::kStop);
  EXPECT_EQ(ClassifyNext(absl::ResourceExhaustedError("big"), 200), NextAction::kSkip);
}

TEST(ClassifyPost, MapsEveryDocumentedAnswer) {
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 202, AnswerKind::kResponse), PostAction::kDone);
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 400, AnswerKind::kResponse), PostAction::kGone);
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 403, AnswerKind::kError), PostAction::kGone);
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 410, AnswerKind::kResponse), PostAction::kLate);
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 413, AnswerKind::kResponse), PostAction::kTooLarge);
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 413, AnswerKind::kError), PostAction::kDrop);
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 500, AnswerKind::kResponse), PostAction::kRetry);
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 503, AnswerKind::kError), PostAction::kRetry);
  EXPECT_EQ(ClassifyPost(absl::OkStatus(), 404, AnswerKind::kResponse), PostAction::kDrop);
  EXPECT_EQ(ClassifyPost(absl::UnavailableError("reset"), 0, AnswerKind::kResponse),
            PostAction::kRetry);
  EXPECT_EQ(ClassifyPost(absl::InvalidArgumentError("bad id"), 0, AnswerKind::kResponse),
            PostAction::kDrop);
}

}  // namespace
}  // namespace lmc
