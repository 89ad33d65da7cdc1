// Custom serialisation per operation (serdes.h): each test pins one of the conformance
// requirements 1.6, 3.14, 4.15, 4.16, 5.15, 5.16, 6.11, 8.15, 9.14, 9.19, 9.20
// (aws-durable-execution-conformance-tests) on the fake service.
#include "handlers/durable/serdes.h"

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/durable/testing/durable_fixture.h"
#include "lmc/json.h"
#include "lmc/json_reader.h"
#include "lmc/strings.h"

namespace lmc::durable {
namespace {

using testing::DurableFixture;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

using SerdesTest = DurableFixture;

// The JSON text, upper-cased (a non-identity encode; decode is the identity).
Serdes Uppercase() {
  return {.encode = [](std::string_view json, const SerdesContext&) {
    return absl::AsciiStrToUpper(AsAbsl(json));
  }};
}

// A string value logged as its bare, upper-cased text instead of a JSON string.
Serdes BareUppercaseString() {
  return TypedSerdes<std::string>(
      [](const std::string& value, const SerdesContext&) { return absl::AsciiStrToUpper(value); },
      [](std::string_view payload, const SerdesContext&) { return std::string(payload); });
}

TEST_F(SerdesTest, StepResultIsLoggedThroughItsSerdesAndReadBackTheSameOnEveryRun) {  // 1.6
  std::atomic<int> runs = 0;
  std::vector<std::string> seen;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const std::string& input) {
    std::string result = ctx.Step("echo",
                                  [&] {
                                    ++runs;
                                    return input;
                                  },
                                  {.serdes = Uppercase()});
    seen.push_back(result);
    ctx.Wait("pause", std::chrono::seconds(1));
    return result;
  });
  Start("\"hello world\"");
  Pends(handler);
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, "\"HELLO WORLD\"");
  EXPECT_EQ(runs, 1);
  EXPECT_THAT(seen, ElementsAre("HELLO WORLD", "HELLO WORLD"));  // first run == replay
  EXPECT_EQ(service_->FindByName(arn_, "echo")->result, "\"HELLO WORLD\"");
}

TEST_F(SerdesTest, ChildContextResultPayloadIsTheSerdesOutput) {  // 3.14
  lmc::Handler handler = Handle([&](DurableContext& ctx, const std::string& input) {
    std::string result = ctx.RunInChildContext(
        "serdes-child",
        [&](DurableContext& child) { return child.Step("", [&] { return input; }); },
        {.serdes = BareUppercaseString()});
    ctx.Wait("pause", std::chrono::seconds(1));
    return result;
  });
  Start("\"hello child\"");
  Pends(handler);
  std::optional<Operation> child = service_->FindByName(arn_, "serdes-child");
  ASSERT_TRUE(child.has_value());
  EXPECT_EQ(child->result, "HELLO CHILD");  // not JSON: the serdes' own form
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, "\"HELLO CHILD\"");
}

struct Received {
  std::string id;
  std::string message;
  int64_t timestamp = 0;  // epoch seconds
};
void DescribeJson(JsonFields& fields, Received& r) {
  fields.Required("id", r.id);
  fields.Required("message", r.message);
  fields.Required("timestamp", r.timestamp);
}
void WriteJson(JsonWriter& json, const Received& r) {
  json.BeginObject().Key("id").String(r.id).Key("message").String(r.message);
  json.Key("timestamp").Int(r.timestamp).EndObject();
}
// The sender's form: the same with an RFC 3339 timestamp.
struct Sent {
  std::string id;
  std::string message;
  std::string timestamp;
};
void DescribeJson(JsonFields& fields, Sent& s) {
  fields.Required("id", s.id);
  fields.Required("message", s.message);
  fields.Required("timestamp", s.timestamp);
}

TEST_F(SerdesTest, CallbackResultIsDeserializedIntoATypedValue) {  // 4.15
  std::string callback_id;
  Serdes dated = TypedSerdes<Received>(nullptr, [](std::string_view payload, const SerdesContext&) {
    absl::StatusOr<Sent> sent = ReadJsonText<Sent>(payload);
    if (!sent.ok()) throw std::invalid_argument(std::string(sent.status().message()));
    absl::Time at;
    std::string error;
    if (!absl::ParseTime(absl::RFC3339_full, sent->timestamp, &at, &error)) {
      throw std::invalid_argument(error);
    }
    return Received{sent->id, sent->message, absl::ToUnixSeconds(at)};
  });
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    Callback<Received> callback = ctx.CreateCallback<Received>("cb", {.serdes = dated});
    callback_id = callback.id();
    return callback.Result();
  });
  Start();
  Pends(handler);
  ASSERT_TRUE(service_
                  ->SucceedCallback(callback_id, R"({"id":"p-1","message":"hello",)"
                                                 R"("timestamp":"2026-01-01T00:00:00.000Z"})")
                  .ok());
  EXPECT_EQ(Succeeds(handler).result, R"({"id":"p-1","message":"hello","timestamp":1767225600})");
}

TEST_F(SerdesTest, WaitForCallbackResultIsReadThroughItsSerdes) {  // 4.16
  std::string callback_id;
  // The partner answers a count as a string ("42"); the serdes makes it a number.
  Serdes numeric =
      TypedSerdes<int64_t>(nullptr, [](std::string_view payload, const SerdesContext&) {
        absl::StatusOr<std::string> text = DecodeJson<std::string>(payload);
        int64_t count = 0;
        if (!text.ok() || !absl::SimpleAtoi(*text, &count)) {
          throw std::invalid_argument("not a count");
        }
        return count;
      });
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    const int64_t count = ctx.WaitForCallback<int64_t>(
        "count", [&](std::string_view id) { callback_id = std::string(id); }, {.serdes = numeric});
    return std::vector<int64_t>{count, 2 * count};
  });
  Start();
  Pends(handler);
  ASSERT_TRUE(service_->SucceedCallback(callback_id, "\"42\"").ok());
  EXPECT_EQ(Succeeds(handler).result, "[42,84]");
}

TEST_F(SerdesTest, InvokePayloadAndResultGoThroughTheirOwnSerdes) {  // 5.15, 5.16
  Serdes lowercase_result{.decode = [](std::string_view payload, const SerdesContext&) {
    return absl::AsciiStrToLower(AsAbsl(payload));
  }};
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.Invoke<std::string>(
        "shout", "target-fn", std::string("hello"),
        {.payload_serdes = Uppercase(), .result_serdes = lowercase_result});
  });
  Start();
  Pends(handler);
  std::vector<OperationUpdate> updates = Updates();
  ASSERT_EQ(updates.size(), 1u);
  EXPECT_EQ(updates[0].payload, "\"HELLO\"");
  ASSERT_TRUE(service_
                  ->FinishInvoke(arn_, updates[0].id, OperationStatus::kSucceeded,
                                 "\"ECHO: HELLO\"", std::nullopt)
                  .ok());
  EXPECT_EQ(Succeeds(handler).result, "\"echo: hello\"");
}

TEST_F(SerdesTest, WaitForConditionStateCrossesSuspensionsThroughItsSerdes) {  // 6.11
  Serdes prefixed{.encode = [](std::string_view json,
                               const SerdesContext&) { return "ENC:" + std::string(json); },
                  .decode =
                      [](std::string_view payload, const SerdesContext&) {
                        if (!absl::StartsWith(AsAbsl(payload), "ENC:")) {
                          throw std::invalid_argument("no ENC: prefix");
                        }
                        return std::string(payload.substr(4));
                      }};
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.WaitForCondition<std::string>(
        "grow", [](const std::string& state) { return state + "x"; },
        {.initial_state = "",
         .wait_strategy =
             [](const std::string& state, int) {
               return state.size() >= 2 ? WaitDecision::Done()
                                        : WaitDecision::CheckAgainAfter(std::chrono::seconds(1));
             },
         .serdes = prefixed});
  });
  Start();
  Pends(handler);
  EXPECT_EQ(Updates().back().payload, "ENC:\"x\"");
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, "\"xx\"");
  EXPECT_EQ(Updates().back().payload, "ENC:\"xx\"");
}

// {"wrapped": <json>} and back.
Serdes Wrapped() {
  return {.encode =
              [](std::string_view json, const SerdesContext&) {
                return absl::StrCat(R"({"wrapped":)", AsAbsl(json), "}");
              },
          .decode =
              [](std::string_view payload, const SerdesContext&) {
                constexpr std::string_view kHead = R"({"wrapped":)";
                if (!absl::StartsWith(AsAbsl(payload), AsAbsl(kHead))) {
                  throw std::invalid_argument("not wrapped");
                }
                return std::string(payload.substr(kHead.size(), payload.size() - kHead.size() - 1));
              }};
}

TEST_F(SerdesTest, ParallelBranchResultsAreLoggedThroughTheItemSerdes) {  // 8.15
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    BatchResult<std::string> batch =
        ctx.Parallel<std::string>("serde",
                                  {[](DurableContext&) { return std::string("x"); },
                                   [](DurableContext&) { return std::string("y"); }},
                                  {.max_concurrency = 1, .item_serdes = Wrapped()});
    ctx.Wait("pause", std::chrono::seconds(1));
    return batch.Results();
  });
  Start();
  Pends(handler);
  EXPECT_EQ(service_->FindByName(arn_, "parallel-branch-0")->result, R"({"wrapped":"x"})");
  EXPECT_EQ(service_->FindByName(arn_, "parallel-branch-1")->result, R"({"wrapped":"y"})");
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, R"(["x","y"])");
}

TEST_F(SerdesTest, MapIterationResultsAreLoggedThroughTheItemSerdes) {  // 9.14
  Serdes tagged = TypedSerdes<std::string>(
      [](const std::string& value, const SerdesContext&) { return "wrapped:" + value; },
      [](std::string_view payload, const SerdesContext&) {
        if (!absl::StartsWith(AsAbsl(payload), "wrapped:")) throw std::invalid_argument("untagged");
        return std::string(payload.substr(8));
      });
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx
        .Map("serdes", std::vector<std::string>{"x", "y"},
             [](DurableContext&, const std::string& item) { return absl::AsciiStrToUpper(item); },
             {.max_concurrency = 1, .item_serdes = tagged})
        .Results();
  });
  Start();
  EXPECT_EQ(Succeeds(handler).result, R"(["X","Y"])");
  EXPECT_EQ(service_->FindByName(arn_, "map-item-0")->result, "wrapped:X");
  EXPECT_EQ(service_->FindByName(arn_, "map-item-1")->result, "wrapped:Y");
}

// "OPSERDE:" and the comma-joined results; read back as a batch of successes.
Serdes OpSerdes() {
  return TypedBatchSerdes<std::string>(
      [](const BatchResult<std::string>& batch, const SerdesContext&) {
        return "OPSERDE:" + absl::StrJoin(batch.Results(), ",");
      },
      [](std::string_view payload, const SerdesContext&) {
        if (!absl::StartsWith(AsAbsl(payload), "OPSERDE:")) {
          throw std::invalid_argument("not OPSERDE");
        }
        std::vector<BatchItem<std::string>> items;
        for (absl::string_view value : absl::StrSplit(AsAbsl(payload.substr(8)), ',')) {
          items.push_back({items.size(), BatchItemStatus::kSucceeded, std::string(value), {}});
        }
        return BatchResult<std::string>(std::move(items), CompletionReason::kAllCompleted);
      });
}

TEST_F(SerdesTest, WholeMapResultIsLoggedThroughTheOperationSerdes) {  // 9.19, 9.20
  std::atomic<int> runs = 0;
  std::vector<std::vector<std::string>> seen;
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    std::vector<std::string> results = ctx.Map("op-serde", std::vector<std::string>{"x", "y"},
                                               [&](DurableContext&, const std::string& item) {
                                                 ++runs;
                                                 return absl::AsciiStrToUpper(item);
                                               },
                                               {.max_concurrency = 1, .serdes = OpSerdes()})
                                           .Results();
    seen.push_back(results);
    ctx.Wait("pause", std::chrono::seconds(1));
    return results;
  });
  Start();
  Pends(handler);
  EXPECT_EQ(service_->FindByName(arn_, "op-serde")->result, "OPSERDE:X,Y");
  EXPECT_EQ(service_->FindByName(arn_, "map-item-0")->result, "\"X\"");  // items: default
  clock_.Advance(std::chrono::seconds(1));
  EXPECT_EQ(Succeeds(handler).result, R"(["X","Y"])");
  EXPECT_EQ(runs, 2);  // the replay read the logged batch back through the serdes
  EXPECT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], seen[1]);
}

TEST_F(SerdesTest, AThrowingSerdesFailsTheExecutionNamingTheOperation) {
  Serdes broken{.encode = [](std::string_view, const SerdesContext&) -> std::string {
    throw std::runtime_error("disk full");
  }};
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.Step("save", [] { return 1; }, {.serdes = broken});
  });
  Start();
  InvocationOutput out = Fails(handler);
  EXPECT_EQ(out.error->type, "Durable.SerializationFailed");
  EXPECT_THAT(*out.error->message, HasSubstr("the serdes of save ("));
  EXPECT_THAT(*out.error->message, HasSubstr(") failed to serialize: disk full"));
}

TEST_F(SerdesTest, TheSerdesSeesTheOperationAndTheExecution) {
  std::string seen_id;
  std::string seen_arn;
  Serdes watching{.encode = [&](std::string_view json, const SerdesContext& context) {
    seen_id = std::string(context.operation_id);
    seen_arn = std::string(context.durable_execution_arn);
    return std::string(json);
  }};
  lmc::Handler handler = Handle([&](DurableContext& ctx, const Json&) {
    return ctx.Step("s", [] { return 1; }, {.serdes = watching});
  });
  Start();
  Succeeds(handler);
  EXPECT_EQ(seen_id, Updates().back().id);
  EXPECT_EQ(seen_arn, arn_);
}

}  // namespace
}  // namespace lmc::durable
