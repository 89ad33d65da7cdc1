#include "tools/durable/wire_json.h"

#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc::durable_service {
namespace {

using ::testing::HasSubstr;

TEST(WireJson, ACheckpointRequestIsReadWithEveryOption) {
  absl::StatusOr<CheckpointRequest> r = ParseCheckpointRequest(R"({
      "CheckpointToken":"t","ClientToken":"c","Updates":[
      {"Id":"a","ParentId":"p","Name":"n","Type":"STEP","SubType":"Step","Action":"RETRY",
       "Error":{"ErrorType":"E","ErrorMessage":"m","ErrorData":"d","StackTrace":["x","y"]},
       "StepOptions":{"NextAttemptDelaySeconds":3}},
      {"Id":"b","Type":"CALLBACK","Action":"START",
       "CallbackOptions":{"TimeoutSeconds":5,"HeartbeatTimeoutSeconds":2}},
      {"Id":"c","Type":"CHAINED_INVOKE","Action":"START","Payload":"1",
       "ChainedInvokeOptions":{"FunctionName":"f","TenantId":"t1"}},
      {"Id":"d","Type":"CONTEXT","Action":"SUCCEED","ContextOptions":{"ReplayChildren":true}},
      {"Id":"e","Type":"WAIT","Action":"START","WaitOptions":{"WaitSeconds":60}}]})");
  ASSERT_TRUE(r.ok()) << r.status();
  EXPECT_EQ(r->client_token, "c");
  ASSERT_EQ(r->updates.size(), 5u);
  EXPECT_EQ(r->updates[0].action, OperationAction::kRetry);
  EXPECT_EQ(r->updates[0].error->stack_trace.size(), 2u);
  EXPECT_EQ(r->updates[0].next_attempt_delay_seconds, 3);
  EXPECT_EQ(r->updates[1].callback_heartbeat_seconds, 2);
  EXPECT_EQ(r->updates[2].tenant_id, "t1");
  EXPECT_EQ(r->updates[3].replay_children, true);
  EXPECT_EQ(r->updates[4].wait_seconds, 60);
}

TEST(WireJson, BadCheckpointRequestsAreRefusedNamingTheField) {
  EXPECT_THAT(ParseCheckpointRequest("{").status().message(), HasSubstr("not valid JSON"));
  EXPECT_THAT(ParseCheckpointRequest("{}").status().message(), HasSubstr("CheckpointToken"));
  EXPECT_THAT(ParseCheckpointRequest(R"({"CheckpointToken":"t","Updates":[{"Id":"a",
      "Type":"STEP","Action":"GO"}]})")
                  .status()
                  .message(),
              HasSubstr("Updates[0].Action: unknown value \"GO\""));
  EXPECT_THAT(ParseCheckpointRequest(R"({"CheckpointToken":"t","Updates":[{"Id":"a",
      "Type":"WAIT","Action":"START","WaitOptions":{"WaitSeconds":"60"}}]})")
                  .status()
                  .message(),
              HasSubstr("Updates[0].WaitSeconds: expected an integer"));
  EXPECT_THAT(ParseCheckpointRequest(R"({"CheckpointToken":"t","Updates":[{"Type":"STEP"}]})")
                  .status()
                  .message(),
              HasSubstr("Updates[0].Id: required"));
}

TEST(WireJson, TheHandlersAnswerMustBeDurableOutput) {
  absl::StatusOr<InvocationOutput> ok =
      ParseInvocationOutput(R"({"Status":"SUCCEEDED","Result":"1"})");
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(ok->result, "1");
  absl::StatusOr<InvocationOutput> failed =
      ParseInvocationOutput(R"({"Status":"FAILED","Error":{"ErrorType":"E"}})");
  EXPECT_EQ(failed->error->error_type, "E");
  EXPECT_FALSE(ParseInvocationOutput(R"({"hello":1})").ok());
  EXPECT_FALSE(ParseInvocationOutput(R"({"Status":"DONE"})").ok());
  EXPECT_FALSE(ParseInvocationOutput(R"({"Status":"SUCCEEDED","Result":{}})").ok());
}

TEST(WireJson, LambdaErrorBodiesBecomeErrorObjects) {
  ErrorObject e =
      ParseLambdaError(R"({"errorType":"T","errorMessage":"m","stackTrace":["a"]})", "Header");
  EXPECT_EQ(e.error_type, "T");
  EXPECT_EQ(e.error_message, "m");
  EXPECT_EQ(e.stack_trace.size(), 1u);
  ErrorObject raw = ParseLambdaError("segfault", "Runtime.ExitError");
  EXPECT_EQ(raw.error_type, "Runtime.ExitError");
  EXPECT_EQ(raw.error_message, "segfault");
}

TEST(WireJson, TimestampsAreEpochSecondsInAnswersAndMillisecondsInTheEvent) {
  Operation op;
  op.id = "a";
  op.type = OperationType::kWait;
  op.start_timestamp = absl::FromUnixMillis(1767225600250);
  op.scheduled_end_timestamp = absl::FromUnixMillis(1767225601000);
  std::string seconds;
  JsonWriter ws(&seconds);
  AppendOperation(ws, op, TimeFormat::kEpochSeconds);
  EXPECT_THAT(seconds, HasSubstr(R"("StartTimestamp":1767225600.25)"));
  EXPECT_THAT(seconds, HasSubstr(R"("WaitDetails":{"ScheduledEndTimestamp":1767225601})"));
  std::string millis;
  JsonWriter wm(&millis);
  AppendOperation(wm, op, TimeFormat::kEpochMillis);
  EXPECT_THAT(millis, HasSubstr(R"("StartTimestamp":1767225600250)"));
}

TEST(WireJson, EventsCarryTheirDetailsObjectAndPayloadsOnlyWithData) {
  HistoryEvent e;
  e.type = "StepFailed";
  e.event_id = 3;
  e.op_id = "a";
  e.sub_type = "Step";
  e.details.error = ErrorObject{.error_type = "E"};
  e.details.has_retry_details = true;
  e.details.current_attempt = 2;
  std::string with;
  JsonWriter w(&with);
  AppendEvent(w, e, true);
  EXPECT_THAT(with, HasSubstr(R"("StepFailedDetails":{"Error":{"Payload":{"ErrorType":"E"},)"
                              R"("Truncated":false},"RetryDetails":{"CurrentAttempt":2}})"));
  std::string without;
  JsonWriter wo(&without);
  AppendEvent(wo, e, false);
  EXPECT_THAT(without, HasSubstr(R"("Error":{"Truncated":false})"));
}

}  // namespace
}  // namespace lmc::durable_service
