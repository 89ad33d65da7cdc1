#include "tools/emulator/internal/answer_rules.h"

#include "gtest/gtest.h"

namespace lmc::emulator::internal {
namespace {

constexpr AnswerLimits kLimits = {.response = 100, .streamed_response = 1000, .error = 10};

// A response to a known, open invocation: accepted unless a test changes a fact.
AnswerFacts Open() {
  AnswerFacts facts;
  facts.invocation_known = true;
  facts.body_bytes = 5;
  return facts;
}

TEST(AnswerRules, AnAnswerToAnOpenInvocationIsAcceptedAndClosesIt) {
  const AnswerVerdict v = JudgeAnswer(Open(), kLimits);
  EXPECT_EQ(v.status, 202);
  EXPECT_TRUE(v.closes);
  EXPECT_TRUE(v.error_type.empty());
  EXPECT_FALSE(v.unknown_request);
  EXPECT_FALSE(v.duplicate);
}

TEST(AnswerRules, InjectedResetWinsOverEverything) {
  AnswerFacts facts = Open();
  facts.fault_reset = true;
  facts.fault_status = 500;
  facts.invocation_known = false;
  const AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 0);
  EXPECT_FALSE(v.closes);
}

TEST(AnswerRules, InjectedStatusUsesItsErrorTypeAndClosingRule) {
  AnswerFacts facts = Open();
  facts.fault_status = 500;
  AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 500);
  EXPECT_EQ(v.error_type, "InternalServerError");
  EXPECT_FALSE(v.closes);  // the runtime may retry after a 5xx
  facts.fault_status = 410;
  v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.error_type, "InvokeTimeout");
  EXPECT_TRUE(v.closes);
}

TEST(AnswerRules, UnknownRequestIdIsRejectedAndCounted) {
  AnswerFacts facts = Open();
  facts.invocation_known = false;
  const AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 400);
  EXPECT_EQ(v.error_type, "InvalidRequestID");
  EXPECT_TRUE(v.unknown_request);
  EXPECT_FALSE(v.closes);
}

TEST(AnswerRules, SecondAnswerIsADuplicate) {
  AnswerFacts facts = Open();
  facts.invocation_closed = true;
  facts.forced_status = 500;  // the duplicate rule comes first
  const AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 400);
  EXPECT_TRUE(v.duplicate);
  EXPECT_FALSE(v.closes);
}

TEST(AnswerRules, ForcedStatusIsAnsweredWithItsClosingRule) {
  AnswerFacts facts = Open();
  facts.forced_status = 413;
  facts.past_deadline = true;  // the forced status comes first
  const AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 413);
  EXPECT_EQ(v.error_type, "RequestEntityTooLarge");
  EXPECT_FALSE(v.closes);
}

TEST(AnswerRules, StaleInvocationIdIsRejectedWithoutClosingTheCurrentAttempt) {
  AnswerFacts facts = Open();
  facts.invocation_id_mismatch = true;
  const AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 400);
  EXPECT_EQ(v.error_type, "InvalidRequestID");
  EXPECT_FALSE(v.closes);
  EXPECT_FALSE(v.duplicate);
}

TEST(AnswerRules, LateAnswerGets410AndCloses) {
  AnswerFacts facts = Open();
  facts.past_deadline = true;
  const AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 410);
  EXPECT_EQ(v.error_type, "InvokeTimeout");
  EXPECT_TRUE(v.closes);
}

TEST(AnswerRules, ResponseModeMustBeStreamingInAnyCase) {
  AnswerFacts facts = Open();
  facts.mode = "buffered";
  AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 400);
  EXPECT_EQ(v.error_type, "InvalidFunctionResponseMode");
  EXPECT_TRUE(v.closes);
  facts.mode = "Streaming";
  EXPECT_EQ(JudgeAnswer(facts, kLimits).status, 202);
  // The mode header means nothing on an /error.
  facts.is_error = true;
  facts.mode = "buffered";
  EXPECT_EQ(JudgeAnswer(facts, kLimits).status, 202);
}

TEST(AnswerRules, EachEndpointHasItsOwnLimitAndOversizeLeavesTheInvocationOpen) {
  AnswerFacts facts = Open();
  facts.body_bytes = 100;
  EXPECT_EQ(JudgeAnswer(facts, kLimits).status, 202);
  facts.body_bytes = 101;
  AnswerVerdict v = JudgeAnswer(facts, kLimits);
  EXPECT_EQ(v.status, 413);
  EXPECT_EQ(v.error_type, "RequestEntityTooLarge");
  EXPECT_FALSE(v.closes);  // the runtime follows up with an /error
  facts.mode = "streaming";
  EXPECT_EQ(JudgeAnswer(facts, kLimits).status, 202);
  facts.body_bytes = 1001;
  EXPECT_EQ(JudgeAnswer(facts, kLimits).status, 413);
  facts.is_error = true;
  facts.mode.reset();
  facts.body_bytes = 11;
  EXPECT_EQ(JudgeAnswer(facts, kLimits).status, 413);
}

TEST(AnswerRules, OnlyAcceptedDeniedAndTimedOutAnswersClose) {
  for (int status : {202, 400, 403, 410}) EXPECT_TRUE(StatusCloses(status)) << status;
  for (int status : {0, 413, 429, 500, 502, 503, 504}) EXPECT_FALSE(StatusCloses(status)) << status;
  EXPECT_EQ(ErrorTypeForStatus(999), "UnknownError");
}

}  // namespace
}  // namespace lmc::emulator::internal
