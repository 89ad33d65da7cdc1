// The service over HTTP, driven by a fake durable runtime written with the raw HTTP client: it
// takes durable invocation events from the function's Runtime API emulator, checkpoints to the
// service and answers, exactly as an SDK would, so the wire facts are pinned without any SDK.

#include "tools/durable/service.h"

#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "simdjson.h"
#include "tools/durable/testing/fake_sdk.h"

namespace lmc::durable_service {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::StartsWith;
using testing_support::FakeSdk;
using testing_support::Json;
using testing_support::UrlEncode;

std::vector<std::string> EventTypes(const ExecutionSnapshot& s) {
  std::vector<std::string> out;
  for (const HistoryEvent& e : s.history) out.push_back(e.type);
  return out;
}

class DurableServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    service_ = std::make_unique<DurableService>(options_);
    ASSERT_TRUE(service_->Start().ok());
    absl::StatusOr<FunctionInfo> fn = service_->AddFunction({.name = "wf"});
    ASSERT_TRUE(fn.ok()) << fn.status();
    sdk_ = std::make_unique<FakeSdk>(fn->runtime_api, service_->endpoint());
  }

  std::string Start(std::string input = "{}", StartOptions options = {}) {
    absl::StatusOr<std::string> arn =
        service_->StartExecution("wf", std::move(input), std::move(options));
    EXPECT_TRUE(arn.ok()) << arn.status();
    return arn.value_or("");
  }

  ServiceOptions options_;
  std::unique_ptr<DurableService> service_;
  std::unique_ptr<FakeSdk> sdk_;
};

class PagedServiceTest : public DurableServiceTest {
 protected:
  PagedServiceTest() { options_.page_items = 2; }
};

// Callbacks answered from outside: their timeouts must not be skipped to.
class ExternalCallbackTest : public DurableServiceTest {
 protected:
  ExternalCallbackTest() { options_.skip_callback_timeouts = false; }
};

TEST_F(DurableServiceTest, AnExecutionStartsWithADurableEventAndEndsWithTheHandlersResult) {
  const std::string arn = Start(R"({"steps":1})");
  FakeSdk::Invocation inv = sdk_->Next();
  Json event(inv.event);
  EXPECT_EQ(event.String("/DurableExecutionArn"), arn);
  EXPECT_THAT(arn, HasSubstr(":function:wf:$LATEST/durable-execution/"));
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/0/Type"), "EXECUTION");
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/0/ExecutionDetails/InputPayload"),
            R"({"steps":1})");
  // Epoch milliseconds (an integer) in the event.
  EXPECT_GT(event.Int("/InitialExecutionState/Operations/0/StartTimestamp"), 1'600'000'000'000);
  EXPECT_FALSE(event.Has("/InitialExecutionState/NextMarker"));

  FakeSdk::Reply reply = sdk_->Checkpoint(arn, inv.token, R"([
      {"Id":"c4ca4238a0b92382","Type":"STEP","SubType":"Step","Action":"START","Name":"square-0"},
      {"Id":"c4ca4238a0b92382","Type":"STEP","SubType":"Step","Action":"SUCCEED","Payload":"0"}])");
  ASSERT_EQ(reply.status, 200) << reply.body;
  Json answer(reply.body);
  EXPECT_NE(answer.String("/CheckpointToken"), inv.token);
  EXPECT_EQ(answer.String("/NewExecutionState/Operations/0/Status"), "SUCCEEDED");
  EXPECT_EQ(answer.String("/NewExecutionState/Operations/0/StepDetails/Result"), "0");
  EXPECT_EQ(answer.Int("/NewExecutionState/Operations/0/StepDetails/Attempt"), 1);
  // Epoch seconds (a JSON number, possibly fractional) in REST answers.
  const double start = answer.Double("/NewExecutionState/Operations/0/StartTimestamp");
  EXPECT_GT(start, 1.6e9);
  EXPECT_LT(start, 1.6e12);

  sdk_->Respond(inv, R"({"Status":"SUCCEEDED","Result":"{\"sum\":0}"})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_EQ(s->status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(s->result, R"({"sum":0})");
  EXPECT_THAT(EventTypes(*s), ElementsAre("ExecutionStarted", "StepStarted", "StepSucceeded",
                                          "InvocationCompleted", "ExecutionSucceeded"));
}

TEST_F(DurableServiceTest, EachCheckpointTokenIsUsedOnceAndAStaleOneIsRejectedAsTheServiceDoes) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  FakeSdk::Reply first = sdk_->Checkpoint(arn, inv.token, "[]");
  ASSERT_EQ(first.status, 200);
  for (const std::string& token : {inv.token, std::string("bm90LWEtdG9rZW4=")}) {
    FakeSdk::Reply stale = sdk_->Checkpoint(arn, token, "[]");
    EXPECT_EQ(stale.status, 400);
    EXPECT_EQ(stale.Header("x-amzn-errortype"), "InvalidParameterValueException");
    Json body(stale.body);
    EXPECT_EQ(body.String("/Type"), "User");
    EXPECT_THAT(body.String("/message"), StartsWith("Invalid Checkpoint Token"));
  }
  // The current token still works: a rejected call changed nothing.
  EXPECT_EQ(sdk_->Checkpoint(arn, Json(first.body).String("/CheckpointToken"), "[]").status, 200);
}

TEST_F(DurableServiceTest, ARetriedCallWithTheSameClientTokenGetsTheSameAnswerOnce) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  const std::string updates =
      R"([{"Id":"a1","Type":"STEP","SubType":"Step","Action":"SUCCEED","Payload":"1"}])";
  FakeSdk::Reply first = sdk_->Checkpoint(arn, inv.token, updates, "client-1");
  FakeSdk::Reply retried = sdk_->Checkpoint(arn, inv.token, updates, "client-1");
  ASSERT_EQ(first.status, 200);
  EXPECT_EQ(retried.status, 200);
  EXPECT_EQ(retried.body, first.body);
  const std::vector<std::string> types = EventTypes(*service_->Describe(arn));
  EXPECT_EQ(std::count(types.begin(), types.end(), "StepSucceeded"), 1);
}

TEST_F(DurableServiceTest, UnsignedOrMisSignedRequestsAreForbiddenLikeTheServiceForbidsThem) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  FakeSdk::Reply unsigned_call = sdk_->Checkpoint(arn, inv.token, "[]", "", /*sign=*/false);
  EXPECT_EQ(unsigned_call.status, 403);
  EXPECT_EQ(unsigned_call.Header("x-amzn-errortype"), "MissingAuthenticationTokenException");
  EXPECT_EQ(Json(unsigned_call.body).String("/message"), "Missing Authentication Token");
  FakeSdk::Reply wrong_service =
      sdk_->Call("GET", absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn)), "",
                 {{"Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/s3/aws4_request, "
                   "SignedHeaders=host;x-amz-date, Signature=" +
                       std::string(64, 'a')},
                  {"X-Amz-Date", "20260101T000000Z"}});
  EXPECT_EQ(wrong_service.status, 403);
  EXPECT_EQ(wrong_service.Header("x-amzn-errortype"), "InvalidSignatureException");
  FakeSdk::Reply no_signature =
      sdk_->Call("GET", absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn)), "",
                 {{"Authorization",
                   "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/lambda/"
                   "aws4_request, SignedHeaders=host"}});
  EXPECT_EQ(no_signature.Header("x-amzn-errortype"), "IncompleteSignatureException");
  EXPECT_EQ(sdk_->Checkpoint(arn, inv.token, "[]").status, 200);  // nothing was consumed
  EXPECT_EQ(service_->stats().unsigned_calls, 3u);
}

TEST_F(DurableServiceTest, AnHourLongWaitIsSkippedAndTheExecutionIsInvokedAgainWhenItEnds) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  ASSERT_EQ(sdk_->Checkpoint(arn, inv.token,
                             R"([{"Id":"w1","Type":"WAIT","SubType":"Wait","Action":"START",
                                  "WaitOptions":{"WaitSeconds":3600}}])")
                .status,
            200);
  const absl::Time suspended = absl::Now();
  sdk_->Respond(inv, R"({"Status":"PENDING"})");
  FakeSdk::Invocation again = sdk_->Next();
  EXPECT_LT(absl::Now() - suspended, absl::Seconds(5));
  Json event(again.event);
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/1/Status"), "SUCCEEDED");
  sdk_->Respond(again, R"({"Status":"SUCCEEDED","Result":"null"})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_THAT(EventTypes(*s),
              ElementsAre("ExecutionStarted", "WaitStarted", "InvocationCompleted", "WaitSucceeded",
                          "InvocationCompleted", "ExecutionSucceeded"));
  // The execution's clock jumped the hour: its events are an hour apart.
  EXPECT_GE(s->history[3].timestamp - s->history[1].timestamp, absl::Hours(1));
  EXPECT_EQ(s->history[3].details.duration_seconds, 3600);
}

TEST_F(ExternalCallbackTest, CallbacksAreAnsweredThroughTheCallbackApiWithPercentEncodedIds) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  FakeSdk::Reply started = sdk_->Checkpoint(
      arn, inv.token, R"([{"Id":"cb1","Type":"CALLBACK","SubType":"Callback","Action":"START",
                           "Name":"approval","CallbackOptions":{"TimeoutSeconds":300}}])");
  ASSERT_EQ(started.status, 200) << started.body;
  const std::string id =
      Json(started.body).String("/NewExecutionState/Operations/0/CallbackDetails/CallbackId");
  // Base64 with '+', '/' and '=': only a percent-encoded path reaches it.
  EXPECT_THAT(id, HasSubstr("/"));
  sdk_->Respond(inv, R"({"Status":"PENDING"})");
  EXPECT_EQ(sdk_->Call("POST",
                       absl::StrCat("/2025-12-01/durable-execution-callbacks/", UrlEncode(id),
                                    "/heartbeat"),
                       "")
                .status,
            200);
  FakeSdk::Reply done = sdk_->Call(
      "POST", absl::StrCat("/2025-12-01/durable-execution-callbacks/", UrlEncode(id), "/succeed"),
      "\"approved\"");
  EXPECT_EQ(done.status, 200);
  EXPECT_EQ(done.body, "{}");
  FakeSdk::Invocation again = sdk_->Next();
  Json event(again.event);
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/1/Status"), "SUCCEEDED");
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/1/CallbackDetails/Result"),
            "\"approved\"");
  FakeSdk::Reply twice = sdk_->Call(
      "POST", absl::StrCat("/2025-12-01/durable-execution-callbacks/", UrlEncode(id), "/succeed"),
      "\"again\"");
  EXPECT_EQ(twice.status, 400);
  EXPECT_EQ(twice.Header("x-amzn-errortype"), "InvalidParameterValueException");
  sdk_->Respond(again, R"({"Status":"SUCCEEDED","Result":"\"approved\""})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_EQ(s->history[1].type, "CallbackStarted");
  EXPECT_EQ(s->history[1].details.timeout_seconds, 300);
  EXPECT_EQ(s->history[3].type, "CallbackSucceeded");
  EXPECT_EQ(s->history[3].details.result, "\"approved\"");
}

TEST_F(DurableServiceTest, MalformedPercentEncodingInThePathOrQueryIsRefusedWith400) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  const std::string state = absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn),
                                         "/state?CheckpointToken=", UrlEncode(inv.token));
  EXPECT_EQ(sdk_->Call("GET", state, "").status, 200);
  for (const std::string& target :
       {std::string("/2025-12-01/durable-executions/arn%zz/state?CheckpointToken=t"),
        std::string("/2025-12-01/durable-execution-callbacks/id%2/succeed"),
        absl::StrCat(state, "&Marker=%4")}) {
    const std::string method = target.find("callbacks") != std::string::npos ? "POST" : "GET";
    FakeSdk::Reply reply = sdk_->Call(method, target, "");
    EXPECT_EQ(reply.status, 400) << target;
    EXPECT_EQ(reply.Header("x-amzn-errortype"), "InvalidParameterValueException") << target;
    EXPECT_THAT(reply.body, HasSubstr("Malformed percent-encoding")) << target;
  }
  EXPECT_EQ(service_->stats().rejected_calls, 3u);
  // Authentication comes first: unsigned, the same call is a 403 and no rejected call.
  EXPECT_EQ(sdk_->Call("GET", "/2025-12-01/durable-executions/arn%zz/state", "", {}).status, 403);
  EXPECT_EQ(service_->stats().rejected_calls, 3u);
  EXPECT_EQ(service_->stats().unsigned_calls, 1u);
  EXPECT_EQ(sdk_->Checkpoint(arn, inv.token, "[]").status, 200);  // nothing was consumed
}

TEST_F(DurableServiceTest, ACallbackTimeoutFiresBeforeALongerWaitInItsTrueOrder) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  ASSERT_EQ(sdk_->Checkpoint(arn, inv.token, R"([
      {"Id":"cb1","Type":"CALLBACK","SubType":"Callback","Action":"START",
       "CallbackOptions":{"TimeoutSeconds":3}},
      {"Id":"w1","Type":"WAIT","SubType":"Wait","Action":"START","WaitOptions":{"WaitSeconds":6}}])")
                .status,
            200);
  sdk_->Respond(inv, R"({"Status":"PENDING"})");
  FakeSdk::Invocation second = sdk_->Next();
  Json event(second.event);
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/1/Status"), "TIMED_OUT");
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/1/CallbackDetails/Error/ErrorType"),
            "Callback.Timeout");
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/2/Status"), "STARTED");
  sdk_->Respond(second, R"({"Status":"PENDING"})");
  FakeSdk::Invocation third = sdk_->Next();
  sdk_->Respond(third, R"({"Status":"FAILED","Error":{"ErrorType":"CallbackError"}})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_THAT(EventTypes(*s),
              ElementsAre("ExecutionStarted", "CallbackStarted", "WaitStarted",
                          "InvocationCompleted", "CallbackTimedOut", "InvocationCompleted",
                          "WaitSucceeded", "InvocationCompleted", "ExecutionFailed"));
  EXPECT_EQ(s->status, ExecutionStatus::kFailed);
  EXPECT_EQ(s->error->error_type, "CallbackError");
}

TEST_F(DurableServiceTest, InjectedFaultsAnswerWithTheServicesErrorsAndHaveNoEffect) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  service_->InjectFaults(
      {{.status = 429}, {.status = 500}, {.invalid_token = true}, {.reset = true}});
  FakeSdk::Reply throttled = sdk_->Checkpoint(arn, inv.token, "[]");
  EXPECT_EQ(throttled.status, 429);
  EXPECT_EQ(throttled.Header("x-amzn-errortype"), "TooManyRequestsException");
  EXPECT_EQ(throttled.Header("retry-after"), "1");
  FakeSdk::Reply failed = sdk_->Checkpoint(arn, inv.token, "[]");
  EXPECT_EQ(failed.status, 500);
  EXPECT_EQ(failed.Header("x-amzn-errortype"), "ServiceException");
  EXPECT_EQ(Json(failed.body).String("/Type"), "Service");
  FakeSdk::Reply expired = sdk_->Checkpoint(arn, inv.token, "[]");
  EXPECT_EQ(expired.status, 400);
  EXPECT_THAT(Json(expired.body).String("/message"), StartsWith("Invalid Checkpoint Token"));
  FakeSdk::Reply reset = sdk_->Checkpoint(arn, inv.token, "[]");
  EXPECT_EQ(reset.status, 0);  // no answer: the connection was reset
  EXPECT_EQ(sdk_->Checkpoint(arn, inv.token, "[]").status, 200);
  EXPECT_EQ(service_->stats().faults_applied, 4u);
}

TEST_F(PagedServiceTest, TheOperationLogIsPagedWithNextMarkerAndAPercentEncodedToken) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  ASSERT_EQ(sdk_->Checkpoint(arn, inv.token, R"([
      {"Id":"s1","Type":"STEP","Action":"SUCCEED","Payload":"1"},
      {"Id":"s2","Type":"STEP","Action":"SUCCEED","Payload":"2"},
      {"Id":"s3","Type":"STEP","Action":"SUCCEED","Payload":"3"},
      {"Id":"w1","Type":"WAIT","Action":"START","WaitOptions":{"WaitSeconds":1}}])")
                .status,
            200);
  sdk_->Respond(inv, R"({"Status":"PENDING"})");
  FakeSdk::Invocation again = sdk_->Next();
  Json event(again.event);
  std::vector<std::string> ids = {event.String("/InitialExecutionState/Operations/0/Type"),
                                  event.String("/InitialExecutionState/Operations/1/Id")};
  std::string marker = event.String("/InitialExecutionState/NextMarker");
  ASSERT_FALSE(marker.empty());
  while (!marker.empty()) {
    FakeSdk::Reply page = sdk_->Call("GET",
                                     absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn),
                                                  "/state?CheckpointToken=", UrlEncode(again.token),
                                                  "&Marker=", UrlEncode(marker), "&MaxItems=1000"),
                                     "");
    ASSERT_EQ(page.status, 200) << page.body;
    Json p(page.body);
    for (int i = 0; p.Has(absl::StrCat("/Operations/", i)); ++i) {
      ids.push_back(p.String(absl::StrCat("/Operations/", i, "/Id")));
    }
    marker = p.Has("/NextMarker") ? p.String("/NextMarker") : "";
  }
  EXPECT_THAT(ids, ElementsAre("EXECUTION", "s1", "s2", "s3", "w1"));
  // An unencoded token ('+' reads as a space in a query) is not the token.
  FakeSdk::Reply raw = sdk_->Call("GET",
                                  absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn),
                                               "/state?CheckpointToken=", again.token),
                                  "");
  EXPECT_EQ(raw.status, 400);
}

TEST_F(DurableServiceTest, FailedInvocationsAreRetriedAndFailTheExecutionAfterFiveInARow) {
  const std::string arn = Start();
  for (int i = 0; i < 5; ++i) {
    FakeSdk::Invocation inv = sdk_->Next();
    sdk_->Error(inv, "Runtime.HandlerError", R"({"errorType":"Boom","errorMessage":"no"})");
  }
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_EQ(s->status, ExecutionStatus::kFailed);
  EXPECT_EQ(s->error->error_type, "Boom");
  EXPECT_EQ(s->invocations, 5);
  EXPECT_EQ(s->history[1].type, "InvocationCompleted");
  EXPECT_EQ(s->history[1].details.error->error_message, "no");
}

TEST_F(DurableServiceTest, AnAnswerThatIsNotDurableOutputIsAFailedInvocation) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  sdk_->Respond(inv, R"({"hello":"world"})");
  FakeSdk::Invocation retry = sdk_->Next();
  sdk_->Respond(retry, R"({"Status":"SUCCEEDED","Result":"1"})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_EQ(s->status, ExecutionStatus::kSucceeded);
  EXPECT_EQ(s->history[1].details.error->error_type, "InvalidParameterValueException");
}

TEST_F(DurableServiceTest, AnExitedRuntimesInvocationsEndWithRuntimeExitErrorAndAreRetried) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  ASSERT_EQ(sdk_->Checkpoint(arn, inv.token,
                             R"([{"Id":"s1","Type":"STEP","SubType":"Step","Action":"START"}])")
                .status,
            200);
  service_->RuntimeExited("wf", "exit status 1");
  EXPECT_EQ(sdk_->Checkpoint(arn, inv.token, "[]").status, 400);  // that invocation is over
  FakeSdk::Invocation retry = sdk_->Next();
  EXPECT_EQ(Json(retry.event).String("/InitialExecutionState/Operations/1/Status"), "STARTED");
  sdk_->Respond(retry, R"({"Status":"SUCCEEDED","Result":"1"})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_EQ(s->history[2].type, "InvocationCompleted");
  EXPECT_EQ(s->history[2].details.error->error_type, "Runtime.ExitError");
}

TEST_F(DurableServiceTest, ScriptedCallbackAnswersArriveOnTheExecutionsClock) {
  StartOptions options;
  options.callbacks = {{.name = "approval", .action = CallbackScript::Action::kHeartbeat},
                       {.name = "approval", .result = "\"yes\"", .delay = absl::Hours(2)}};
  const std::string arn = Start("{}", options);
  FakeSdk::Invocation inv = sdk_->Next();
  ASSERT_EQ(sdk_->Checkpoint(arn, inv.token, R"([{"Id":"cb1","Type":"CALLBACK","Action":"START",
      "Name":"approval","CallbackOptions":{"HeartbeatTimeoutSeconds":10800}}])")
                .status,
            200);
  sdk_->Respond(inv, R"({"Status":"PENDING"})");
  FakeSdk::Invocation again = sdk_->Next();
  EXPECT_EQ(Json(again.event).String("/InitialExecutionState/Operations/1/CallbackDetails/Result"),
            "\"yes\"");
  sdk_->Respond(again, R"({"Status":"SUCCEEDED","Result":"\"yes\""})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_GE(s->history[3].timestamp - s->history[1].timestamp, absl::Hours(2));
}

TEST_F(DurableServiceTest, AnOversizedResultCheckpointedOnTheExecutionIsItsResult) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  FakeSdk::Reply r = sdk_->Checkpoint(arn, inv.token, R"([{"Id":"execution-result-1","Type":
      "EXECUTION","Action":"SUCCEED","Payload":"\"big\""}])");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_FALSE(Json(r.body).Has("/CheckpointToken"));  // terminal: nothing more to checkpoint
  sdk_->Respond(inv, R"({"Status":"SUCCEEDED","Result":""})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_EQ(s->result, "\"big\"");
  EXPECT_THAT(EventTypes(*s),
              ElementsAre("ExecutionStarted", "InvocationCompleted", "ExecutionSucceeded"));
}

TEST_F(DurableServiceTest, AChainedInvokeOfAPlainFunctionCompletesWithItsAnswer) {
  absl::StatusOr<FunctionInfo> echo = service_->AddFunction({.name = "echo", .durable = false});
  ASSERT_TRUE(echo.ok());
  FakeSdk target(echo->runtime_api, service_->endpoint());
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  ASSERT_EQ(sdk_->Checkpoint(arn, inv.token, R"([{"Id":"i1","Type":"CHAINED_INVOKE",
      "SubType":"ChainedInvoke","Action":"START","Payload":"\"ping\"",
      "ChainedInvokeOptions":{"FunctionName":"echo","TenantId":"t-1"}}])")
                .status,
            200);
  sdk_->Respond(inv, R"({"Status":"PENDING"})");
  FakeSdk::Invocation call = target.Next();
  EXPECT_EQ(call.event, "\"ping\"");
  target.Respond(call, "\"pong\"");
  FakeSdk::Invocation again = sdk_->Next();
  Json event(again.event);
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/1/Status"), "SUCCEEDED");
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/1/ChainedInvokeDetails/Result"),
            "\"pong\"");
  sdk_->Respond(again, R"({"Status":"SUCCEEDED","Result":"\"pong\""})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_EQ(s->history[1].type, "ChainedInvokeStarted");
  EXPECT_EQ(s->history[1].details.function_name, "echo");
  EXPECT_EQ(s->history[1].details.tenant_id, "t-1");
  EXPECT_EQ(s->history[1].details.input, "\"ping\"");
  EXPECT_EQ(s->history[3].type, "ChainedInvokeSucceeded");
}

TEST_F(DurableServiceTest, AChainedInvokeOfADurableFunctionRunsItsOwnExecution) {
  const std::string arn = Start();
  FakeSdk::Invocation inv = sdk_->Next();
  ASSERT_EQ(sdk_->Checkpoint(arn, inv.token, R"([{"Id":"i1","Type":"CHAINED_INVOKE",
      "Action":"START","Payload":"{}","ChainedInvokeOptions":{"FunctionName":
      "arn:aws:lambda:us-east-1:123456789012:function:wf:$LATEST"}}])")
                .status,
            200);
  sdk_->Respond(inv, R"({"Status":"PENDING"})");
  // The child is an execution of its own, with a wait of a day (skipped).
  FakeSdk::Invocation child = sdk_->Next();
  const std::string child_arn = Json(child.event).String("/DurableExecutionArn");
  EXPECT_NE(child_arn, arn);
  ASSERT_EQ(sdk_->Checkpoint(child_arn, child.token, R"([{"Id":"w","Type":"WAIT","Action":
      "START","WaitOptions":{"WaitSeconds":86400}}])")
                .status,
            200);
  sdk_->Respond(child, R"({"Status":"PENDING"})");
  FakeSdk::Invocation child_again = sdk_->Next();
  sdk_->Respond(child_again, R"({"Status":"FAILED","Error":{"ErrorType":"Nope"}})");
  FakeSdk::Invocation parent_again = sdk_->Next();
  Json event(parent_again.event);
  EXPECT_EQ(event.String("/InitialExecutionState/Operations/1/Status"), "FAILED");
  EXPECT_EQ(
      event.String("/InitialExecutionState/Operations/1/ChainedInvokeDetails/Error/ErrorType"),
      "Nope");
  sdk_->Respond(parent_again, R"({"Status":"SUCCEEDED","Result":"1"})");
  ASSERT_TRUE(service_->WaitForAll(absl::Seconds(10)));
  std::optional<ExecutionSnapshot> s = service_->Describe(arn);
  EXPECT_EQ(s->history[1].details.durable_execution_arn, child_arn);
  EXPECT_EQ(s->history[3].type, "ChainedInvokeFailed");
  // The parent's clock caught up with the day its child waited.
  EXPECT_GE(s->history[3].timestamp - s->history[1].timestamp, absl::Hours(24));
}

TEST_F(DurableServiceTest, GetDurableExecutionAndItsHistoryAnswerInTheApisShapes) {
  const std::string arn = Start(R"("World")");
  FakeSdk::Invocation inv = sdk_->Next();
  sdk_->Checkpoint(
      arn, inv.token,
      R"([{"Id":"s1","Type":"STEP","SubType":"Step","Action":"SUCCEED","Payload":"2"}])");
  sdk_->Respond(inv, R"({"Status":"SUCCEEDED","Result":"\"Hello, World!\""})");
  ASSERT_TRUE(service_->WaitForExecution(arn, absl::Seconds(10)));
  Json exec(
      sdk_->Call("GET", absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn)), "").body);
  EXPECT_EQ(exec.String("/Status"), "SUCCEEDED");
  EXPECT_EQ(exec.String("/Result"), "\"Hello, World!\"");
  EXPECT_EQ(exec.String("/InputPayload"), "\"World\"");
  EXPECT_EQ(exec.String("/FunctionArn"), "arn:aws:lambda:us-east-1:123456789012:function:wf");
  Json history(sdk_->Call("GET",
                          absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn),
                                       "/history?IncludeExecutionData=true"),
                          "")
                   .body);
  EXPECT_EQ(history.String("/Events/0/EventType"), "ExecutionStarted");
  EXPECT_EQ(history.String("/Events/0/ExecutionStartedDetails/Input/Payload"), "\"World\"");
  EXPECT_EQ(history.String("/Events/1/EventType"), "StepSucceeded");
  EXPECT_EQ(history.Int("/Events/1/EventId"), 2);
  EXPECT_EQ(history.String("/Events/1/StepSucceededDetails/Result/Payload"), "2");
  EXPECT_FALSE(history.Bool("/Events/1/StepSucceededDetails/Result/Truncated"));
  EXPECT_EQ(history.Int("/Events/1/StepSucceededDetails/RetryDetails/CurrentAttempt"), 1);
  EXPECT_EQ(history.String("/Events/3/ExecutionSucceededDetails/Result/Payload"),
            "\"Hello, World!\"");
  Json without(sdk_->Call("GET",
                          absl::StrCat("/2025-12-01/durable-executions/", UrlEncode(arn),
                                       "/history?MaxItems=2"),
                          "")
                   .body);
  EXPECT_FALSE(without.Has("/Events/1/StepSucceededDetails/Result/Payload"));
  EXPECT_EQ(without.String("/NextMarker"), "2");
  FakeSdk::Reply missing = sdk_->Call("GET", "/2025-12-01/durable-executions/nope", "");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.Header("x-amzn-errortype"), "ResourceNotFoundException");
}

}  // namespace
}  // namespace lmc::durable_service
