#include "handlers/durable/wire_json.h"

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/json_codec.h"
#include "handlers/durable/operation.h"
#include "lmc/strings.h"
#include "lmc/testing/owned_event.h"

namespace lmc::durable {
namespace {

using ::testing::HasSubstr;

// One operation of each type, every details field set, as a service would log them.
std::vector<Operation> EveryKindOfOperation() {
  std::vector<Operation> ops(6);
  ops[0].id = "exec";
  ops[0].type = OperationType::kExecution;
  ops[0].status = OperationStatus::kStarted;
  ops[0].start_ms = 1'700'000'000'123;
  ops[0].input_payload = R"({"steps":3})";
  ops[1].id = "c4ca4238a0b92382";
  ops[1].name = "square-0";
  ops[1].type = OperationType::kStep;
  ops[1].sub_type = "Step";
  ops[1].status = OperationStatus::kPending;
  ops[1].start_ms = 1'700'000'000'200;
  ops[1].attempt = 2;
  ops[1].next_attempt_ms = 1'700'000'005'000;
  ops[1].error = ErrorObject{"Workflow.StepFailed", "step 0 failed", "{\"k\":1}", {"a", "b"}};
  ops[2].id = "c81e728d9d4c2f63";
  ops[2].name = "pause";
  ops[2].type = OperationType::kWait;
  ops[2].sub_type = "Wait";
  ops[2].status = OperationStatus::kStarted;
  ops[2].scheduled_end_ms = 1'700'000'010'000;
  ops[3].id = "eccbc87e4b5ce2fe";
  ops[3].type = OperationType::kContext;
  ops[3].sub_type = "Map";
  ops[3].status = OperationStatus::kSucceeded;
  ops[3].end_ms = 1'700'000'020'000;
  ops[3].result = "";
  ops[3].replay_children = true;
  ops[4].id = "ea66c06c1e1c05fa";
  ops[4].parent_id = "eccbc87e4b5ce2fe";
  ops[4].type = OperationType::kCallback;
  ops[4].sub_type = "Callback";
  ops[4].status = OperationStatus::kTimedOut;
  ops[4].callback_id = "Y2FsbGJhY2s=";
  ops[4].error = ErrorObject{"Callback.Timeout", std::nullopt, std::nullopt, {}};
  ops[5].id = "98c6f2c2287f4c73";
  ops[5].type = OperationType::kChainedInvoke;
  ops[5].sub_type = "ChainedInvoke";
  ops[5].status = OperationStatus::kSucceeded;
  ops[5].result = "[1,2]";
  return ops;
}

TEST(WireJson, ParsesTheInvocationEventWithMillisecondTimestamps) {
  absl::StatusOr<InvocationInput> input = ParseInvocationInput(R"({
    "DurableExecutionArn": "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/i",
    "CheckpointToken": "dG9rZW4=",
    "InitialExecutionState": {
      "Operations": [
        {"Id": "exec", "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": 1700000000123,
         "ExecutionDetails": {"InputPayload": "{\"steps\":3}"}},
        {"Id": "c4ca4238a0b92382", "Name": "square-0", "Type": "STEP", "SubType": "Step",
         "Status": "SUCCEEDED", "StepDetails": {"Attempt": 0, "Result": "0"},
         "WaitDetails": {"ScheduledEndTimestamp": 5}}
      ],
      "NextMarker": "page-2"
    }
  })");
  ASSERT_TRUE(input.ok()) << input.status();
  EXPECT_EQ(input->checkpoint_token, "dG9rZW4=");
  EXPECT_EQ(input->next_marker, "page-2");
  ASSERT_EQ(input->operations.size(), 2u);
  EXPECT_EQ(input->operations[0].start_ms, 1'700'000'000'123);
  EXPECT_EQ(input->operations[0].input_payload, R"({"steps":3})");
  EXPECT_EQ(input->operations[1].type, OperationType::kStep);
  EXPECT_EQ(input->operations[1].result, "0");
  // Only the details object of the operation's own type counts.
  EXPECT_EQ(input->operations[1].scheduled_end_ms, std::nullopt);
}

TEST(WireJson, OnlyTheOperationsOwnDetailsCountWhateverTheKeyOrder) {
  const std::string event = R"({"DurableExecutionArn":"a","CheckpointToken":"t",
    "InitialExecutionState":{"Operations":[
      {"WaitDetails":{"ScheduledEndTimestamp":5},"StepDetails":{"Attempt":2,"Result":"1"},
       "CallbackDetails":{"CallbackId":"cb"},"Id":"a","Type":"STEP","Status":"SUCCEEDED",
       "ContextDetails":{"Result":"other","ReplayChildren":true}},
      {"Id":"b","Type":"WAIT","Status":"STARTED","StepDetails":{"Attempt":3,"Result":"2"}},
      {"Id":"c","CallbackDetails":null,"Type":"CALLBACK","Status":"STARTED",
       "ExecutionDetails":{"InputPayload":"{}"}}]}})";
  for (const bool from_event : {false, true}) {
    lmc::testing::OwnedEvent owned(event);
    absl::StatusOr<InvocationInput> input =
        from_event ? ParseInvocationInput(owned.event()) : ParseInvocationInput(event);
    ASSERT_TRUE(input.ok()) << input.status();
    ASSERT_EQ(input->operations.size(), 3u);
    const Operation& step = input->operations[0];
    EXPECT_EQ(step.result, "1");
    EXPECT_EQ(step.attempt, 2);
    EXPECT_EQ(step.scheduled_end_ms, std::nullopt);
    EXPECT_EQ(step.callback_id, std::nullopt);
    EXPECT_FALSE(step.replay_children);
    Operation bare_wait;
    bare_wait.id = "b";
    bare_wait.type = OperationType::kWait;
    EXPECT_EQ(input->operations[1], bare_wait);
    EXPECT_EQ(input->operations[2].input_payload, std::nullopt);
    EXPECT_EQ(input->operations[2].callback_id, std::nullopt);
  }
}

TEST(WireJson, OperationLogErrorsNameTheFieldAsLmcsReaderDoes) {
  const auto event_error = [](std::string_view operations) {
    const std::string event = absl::StrCat(
        R"({"DurableExecutionArn":"a","CheckpointToken":"t","InitialExecutionState":{"Operations":)",
        lmc::AsAbsl(operations), "}}");
    lmc::testing::OwnedEvent owned(event);
    std::string from_text(ParseInvocationInput(event).status().message());
    EXPECT_EQ(std::string(ParseInvocationInput(owned.event()).status().message()), from_text);
    return from_text;
  };
  const std::string where = "durable invocation event: field \"InitialExecutionState.Operations";
  EXPECT_EQ(event_error(R"([{"Id":"1","Type":"STEP","Status":"STARTED"},{"Type":"STEP"}])"),
            where + R"([1].Id": required but missing)");
  EXPECT_EQ(event_error(R"([{"Id":"1","Type":"STEP","Status":"STARTED","Status":"READY"}])"),
            where + R"([0].Status": appears more than once)");
  EXPECT_EQ(event_error(R"([{"Id":"1","Type":"STEP","Status":"STARTED","Name":7}])"),
            where + R"([0].Name": expected a string, got a number)");
  EXPECT_EQ(event_error(R"({"Id":"1"})"), where + R"(": expected an array, got an object)");
  EXPECT_EQ(event_error(R"([[]])"), where + R"([0]": expected an object, got an array)");
  // A details object of another type does not count, but must still be well-formed.
  EXPECT_EQ(event_error(R"([{"Id":"1","Type":"STEP","Status":"STARTED",
                            "WaitDetails":{"ScheduledEndTimestamp":"soon"}}])"),
            where + R"([0].WaitDetails.ScheduledEndTimestamp": expected a number, got a string)");
  EXPECT_EQ(event_error(R"([{"Id":"1","Type":"STEP","Status":"STARTED",
                            "StepDetails":{"Error":{"ErrorType":1}}}])"),
            where + R"([0].StepDetails.Error.ErrorType": expected a string, got a number)");
  // Words and empty ids are judged after the whole document was read, as before: the second
  // operation's JSON problem is the one reported.
  EXPECT_EQ(event_error(R"([{"Id":"1","Type":"STEP","Status":"DONE"},{"Id":2}])"),
            where + R"([1].Id": expected a string, got a number)");
  EXPECT_EQ(event_error(R"([{"Id":"","Type":"STEP","Status":"STARTED"}])"),
            "durable invocation event: InitialExecutionState.Operations[0].Id: empty");
  EXPECT_EQ(event_error(R"([{"Id":"1","Type":"STEPS","Status":"STARTED"}])"),
            "durable invocation event: InitialExecutionState.Operations[0].Type: unknown "
            "operation type \"STEPS\"");
  EXPECT_EQ(ParseInvocationInput("[1]").status().message(),
            "durable invocation event: the document: expected an object, got an array");
  EXPECT_EQ(ParseInvocationInput(R"({"DurableExecutionArn":"a","CheckpointToken":"t"} {})")
                .status()
                .message(),
            "durable invocation event: the document: unexpected content after the object");
  EXPECT_EQ(ParseInvocationInput(R"({"DurableExecutionArn":"a","CheckpointToken":"t"} 1)")
                .status()
                .message(),
            "durable invocation event: the document: not valid JSON");
  EXPECT_EQ(ParseStateResponse(R"({"Operations":[{"Id":"1","Type":1}]})").status().message(),
            R"(state answer: field "Operations[0].Type": expected a string, got a number)");
  EXPECT_EQ(
      ParseCheckpointResponse(R"({"CheckpointToken":"t","NewExecutionState":{
                "Operations":[{"Id":"1","Type":"STEP","Status":"STARTED"}],"NextMarker":5}})")
          .status()
          .message(),
      R"(checkpoint answer: field "NewExecutionState.NextMarker": expected a string, got a number)");
}

TEST(WireJson, EveryOperationTypeRoundTripsInBothTimestampUnits) {
  InvocationInput input{"arn:x", "token", EveryKindOfOperation(), "marker"};
  absl::StatusOr<InvocationInput> event = ParseInvocationInput(InvocationInputJson(input));
  ASSERT_TRUE(event.ok()) << event.status();
  EXPECT_EQ(event->operations, input.operations);
  EXPECT_EQ(event->next_marker, "marker");

  CheckpointResponse response{"next", EveryKindOfOperation(), ""};
  absl::StatusOr<CheckpointResponse> answer =
      ParseCheckpointResponse(CheckpointResponseJson(response));
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->operations, response.operations);
  EXPECT_EQ(answer->checkpoint_token, "next");

  StateResponse state{EveryKindOfOperation(), "m2"};
  absl::StatusOr<StateResponse> page = ParseStateResponse(StateResponseJson(state));
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->operations, state.operations);
  EXPECT_EQ(page->next_marker, "m2");
}

TEST(WireJson, RestAnswersCarryFractionalEpochSeconds) {
  absl::StatusOr<StateResponse> page = ParseStateResponse(R"({"Operations":[
    {"Id":"a","Type":"WAIT","Status":"STARTED","StartTimestamp":1700000000.5,
     "WaitDetails":{"ScheduledEndTimestamp":1700000010.25}}]})");
  ASSERT_TRUE(page.ok()) << page.status();
  EXPECT_EQ(page->operations[0].start_ms, 1'700'000'000'500);
  EXPECT_EQ(page->operations[0].scheduled_end_ms, 1'700'000'010'250);
  EXPECT_EQ(page->next_marker, "");
  EXPECT_THAT(CheckpointResponseJson({"t", page->operations, ""}),
              HasSubstr(R"("ScheduledEndTimestamp":1700000010.25)"));
}

TEST(WireJson, CheckpointAnswerWithoutTokenMeansTheExecutionEnded) {
  absl::StatusOr<CheckpointResponse> answer =
      ParseCheckpointResponse(R"({"NewExecutionState":{"Operations":[]}})");
  ASSERT_TRUE(answer.ok()) << answer.status();
  EXPECT_EQ(answer->checkpoint_token, std::nullopt);
  EXPECT_FALSE(ParseCheckpointResponse(R"({"CheckpointToken":""})").ok());
}

TEST(WireJson, UpdatesWriteOnlyTheOptionsTheyCarryAndRoundTrip) {
  CheckpointRequest request;
  request.checkpoint_token = "tok";
  request.client_token = "client-1";
  OperationUpdate retry;
  retry.id = "c4ca4238a0b92382";
  retry.name = "charge";
  retry.type = OperationType::kStep;
  retry.sub_type = "Step";
  retry.action = OperationAction::kRetry;
  retry.error = ErrorObject{"Timeout", "slow", std::nullopt, {}};
  retry.next_attempt_delay_seconds = 5;
  OperationUpdate callback;
  callback.id = "c81e728d9d4c2f63";
  callback.parent_id = "eccbc87e4b5ce2fe";
  callback.type = OperationType::kCallback;
  callback.sub_type = "Callback";
  callback.callback_timeout_seconds = 300;
  callback.heartbeat_timeout_seconds = 60;
  OperationUpdate invoke;
  invoke.id = "x";
  invoke.type = OperationType::kChainedInvoke;
  invoke.payload = "{}";
  invoke.function_name = "other";
  invoke.tenant_id = "t1";
  OperationUpdate child;
  child.id = "y";
  child.type = OperationType::kContext;
  child.action = OperationAction::kSucceed;
  child.payload = "";
  child.replay_children = true;
  OperationUpdate wait;
  wait.id = "z";
  wait.type = OperationType::kWait;
  wait.wait_seconds = 30;
  request.updates = {retry, callback, invoke, child, wait};

  const std::string body = CheckpointRequestJson(request);
  EXPECT_THAT(body, HasSubstr(R"("StepOptions":{"NextAttemptDelaySeconds":5})"));
  EXPECT_THAT(
      body, HasSubstr(R"("CallbackOptions":{"TimeoutSeconds":300,"HeartbeatTimeoutSeconds":60})"));
  EXPECT_THAT(body,
              HasSubstr(R"("ChainedInvokeOptions":{"FunctionName":"other","TenantId":"t1"})"));
  EXPECT_THAT(body, HasSubstr(R"("ContextOptions":{"ReplayChildren":true})"));
  EXPECT_THAT(body, HasSubstr(R"("WaitOptions":{"WaitSeconds":30})"));
  EXPECT_THAT(body, HasSubstr(R"("ClientToken":"client-1")"));
  absl::StatusOr<CheckpointRequest> parsed = ParseCheckpointRequest(body);
  ASSERT_TRUE(parsed.ok()) << parsed.status();
  EXPECT_EQ(parsed->updates, request.updates);
  EXPECT_EQ(parsed->checkpoint_token, "tok");
  EXPECT_EQ(parsed->client_token, "client-1");
}

TEST(WireJson, MalformedDocumentsAreRejectedNamingTheField) {
  EXPECT_THAT(ParseInvocationInput("not json").status().message(),
              HasSubstr("durable invocation event"));
  EXPECT_THAT(ParseInvocationInput(R"({"hello":"world"})").status().message(),
              HasSubstr("DurableExecutionArn"));
  EXPECT_THAT(ParseInvocationInput(R"({"DurableExecutionArn":"a","CheckpointToken":""})")
                  .status()
                  .message(),
              HasSubstr("must not be empty"));
  EXPECT_THAT(ParseInvocationInput(R"({"DurableExecutionArn":"a","CheckpointToken":"t",
      "InitialExecutionState":{"Operations":[{"Id":"1","Type":"STEP","Status":"DONE"}]}})")
                  .status()
                  .message(),
              HasSubstr(R"(Operations[0].Status: unknown operation status "DONE")"));
  EXPECT_THAT(ParseInvocationInput(R"({"DurableExecutionArn":"a","CheckpointToken":"t",
      "InitialExecutionState":{"Operations":[{"Id":"1","Type":"STEP","Status":"STARTED",
      "StepDetails":{"Attempt":"two"}}]}})")
                  .status()
                  .message(),
              HasSubstr("Attempt"));
  EXPECT_EQ(ParseCheckpointRequest(R"({"CheckpointToken":"t","Updates":[{"Id":"1",
      "Type":"STEP","Action":"JUMP"}]})")
                .status()
                .code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(WireJson, InvocationOutputsRoundTrip) {
  for (const InvocationOutput& output :
       {InvocationOutput{InvocationStatus::kSucceeded, "{\"sum\":5}", std::nullopt},
        InvocationOutput{InvocationStatus::kFailed, std::nullopt,
                         ErrorObject{"Workflow.StepFailed", "step 2 failed", std::nullopt, {}}},
        InvocationOutput{InvocationStatus::kPending, std::nullopt, std::nullopt}}) {
    absl::StatusOr<InvocationOutput> parsed = ParseInvocationOutput(InvocationOutputJson(output));
    ASSERT_TRUE(parsed.ok()) << parsed.status();
    EXPECT_EQ(*parsed, output);
  }
  EXPECT_EQ(InvocationOutputJson({InvocationStatus::kPending, std::nullopt, std::nullopt}),
            R"({"Status":"PENDING"})");
  EXPECT_FALSE(ParseInvocationOutput(R"({"Status":"MAYBE"})").ok());
}

struct Order {
  std::string sku;
  int64_t quantity = 1;
  std::optional<std::string> note;
  std::vector<int> bins;
};
void DescribeJson(JsonFields& fields, Order& order) {
  fields.Required("sku", order.sku);
  fields.Optional("quantity", order.quantity);
  fields.Optional("note", order.note);
  fields.Optional("bins", order.bins);
}
void WriteJson(JsonWriter& json, const Order& order) {
  json.BeginObject().Key("sku").String(order.sku).Key("quantity").Int(order.quantity);
  json.Key("note");
  if (order.note.has_value()) {
    json.String(*order.note);
  } else {
    json.Null();
  }
  json.Key("bins").BeginArray();
  for (int bin : order.bins) json.Int(bin);
  json.EndArray().EndObject();
}

TEST(JsonCodec, ScalarsContainersStructsAndRawJsonRoundTrip) {
  EXPECT_EQ(EncodeJson(42), "42");
  EXPECT_EQ(EncodeJson(static_cast<unsigned short>(7)), "7");
  EXPECT_EQ(EncodeJson(-3LL), "-3");
  EXPECT_EQ(EncodeJson(0.5f), "0.5");
  EXPECT_EQ(EncodeJson(true), "true");
  EXPECT_EQ(EncodeJson(std::string("a\"b")), R"("a\"b")");
  EXPECT_EQ(EncodeJson(std::optional<int>()), "null");
  EXPECT_EQ(EncodeJson(std::vector<std::string>{"x", "y"}), R"(["x","y"])");
  EXPECT_EQ(EncodeJson(Json{R"({"any":[1]})"}), R"({"any":[1]})");
  EXPECT_EQ(*DecodeJson<int64_t>("-9"), -9);
  EXPECT_EQ(*DecodeJson<std::vector<int>>("[1,2]"), (std::vector<int>{1, 2}));
  EXPECT_EQ(*DecodeJson<std::optional<int>>("null"), std::nullopt);
  EXPECT_EQ(DecodeJson<Json>("")->text, "null");
  Order order{"a-1", 3, std::nullopt, {4, 5}};
  absl::StatusOr<Order> back = DecodeJson<Order>(EncodeJson(order));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(back->sku, "a-1");
  EXPECT_EQ(back->quantity, 3);
  EXPECT_EQ(back->bins, (std::vector<int>{4, 5}));
}

// Only a DescribeJson(): lmc::WriteJson writes it.
struct Parcel {
  std::string id;
  std::optional<int64_t> grams;
};
void DescribeJson(JsonFields& fields, Parcel& parcel) {
  fields.Required("id", parcel.id);
  fields.Optional("grams", parcel.grams);
}

TEST(JsonCodec, AStructWithOnlyADescribeJsonIsWrittenByIt) {
  EXPECT_EQ(EncodeJson(Parcel{"p-1", 250}), R"({"id":"p-1","grams":250})");
  EXPECT_EQ(EncodeJson(std::vector<Parcel>{{"p-2", std::nullopt}}), R"([{"id":"p-2"}])");
  // A WriteJson of the struct's own still wins (Order's writes "note":null, DescribeJson would
  // not).
  EXPECT_EQ(EncodeJson(Order{"a", 1, std::nullopt, {}}),
            R"({"sku":"a","quantity":1,"note":null,"bins":[]})");
}

TEST(JsonCodec, DecodeErrorsNameTheValueNotTheWrapper) {
  EXPECT_EQ(DecodeJson<int>(R"("x")").status().message(),
            "the value: expected an integer, got a string");
  EXPECT_THAT(std::string(DecodeJson<Order>(R"({"quantity":2})").status().message()),
              HasSubstr(R"(field "sku": required but missing)"));
  EXPECT_THAT(std::string(DecodeJson<std::vector<Order>>(R"([{"sku":1}])").status().message()),
              HasSubstr(R"(field "[0].sku")"));
  EXPECT_FALSE(DecodeJson<int>("1,\"v\":2").ok());
}

}  // namespace
}  // namespace lmc::durable
