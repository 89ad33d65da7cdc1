// Every /next header reaches the handler; tenants present, absent and empty stay distinct.
#include "gmock/gmock.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

TEST_F(BootstrapTest, EveryHeaderReachesTheHandler) {
  StartEmulator();
  emulator::EventSpec event;
  event.body = "{}";
  event.request_id = "req-ctx-1";
  event.trace_id = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  event.client_context = R"({"client":{"app_title":"t"},"custom":{"k":"v"}})";
  event.cognito_identity = R"({"cognitoIdentityId":"id-1","cognitoIdentityPoolId":"pool-1"})";
  event.function_arn = "arn:aws:lambda:eu-west-1:111122223333:function:f:live";
  event.timeout = std::chrono::milliseconds(12345);
  emulator().Enqueue(event);
  StartBootstrap("context");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().record("req-ctx-1");
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->answers.size(), 1u);
  simdjson::dom::parser parser;
  simdjson::dom::element doc = ParseJson(parser, record->answers[0].body);
  EXPECT_EQ(std::string_view(doc["request_id"]), "req-ctx-1");
  EXPECT_TRUE(doc["tenant_id"].is_null());
  EXPECT_EQ(std::string_view(doc["trace_id"]), *event.trace_id);
  EXPECT_EQ(std::string_view(doc["function_arn"]), event.function_arn);
  EXPECT_EQ(std::string_view(doc["client_context"]["custom"]["k"]), "v");
  EXPECT_EQ(std::string_view(doc["cognito_identity"]["cognitoIdentityId"]), "id-1");
  EXPECT_EQ(int64_t(doc["deadline_ms"]), absl::ToUnixMillis(record->deadline));
  const std::string tmp_dir{std::string_view(doc["tmp_dir"])};
  EXPECT_EQ(std::filesystem::path(tmp_dir).parent_path(), tmp_root());
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, TenantPresentAbsentAndEmptyStayDistinct) {
  StartEmulator();
  const std::vector<std::optional<std::string>> tenants = {std::string("tenant/a b:c=d+e@f"),
                                                           std::nullopt, std::string("")};
  for (size_t i = 0; i < tenants.size(); ++i) {
    emulator::EventSpec event;
    event.body = "{}";
    event.request_id = RequestIdFor("tenant", static_cast<int>(i));
    event.tenant_id = tenants[i];
    emulator().Enqueue(event);
  }
  StartBootstrap("context");
  ASSERT_TRUE(emulator().WaitForClosed(3, kWait));
  simdjson::dom::parser parser;
  for (size_t i = 0; i < tenants.size(); ++i) {
    const auto record = emulator().record(RequestIdFor("tenant", static_cast<int>(i)));
    ASSERT_TRUE(record.has_value());
    simdjson::dom::element doc = ParseJson(parser, record->answers.at(0).body);
    if (tenants[i].has_value()) {
      EXPECT_EQ(std::string_view(doc["tenant_id"]), *tenants[i]);
    } else {
      EXPECT_TRUE(doc["tenant_id"].is_null());
    }
  }
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, LogLinesCarryTenantAndTraceIds) {
  StartEmulator();
  emulator::EventSpec event;
  event.body = R"({"lines":2,"size":10})";
  event.request_id = "req-tenant-log";
  event.tenant_id = "acme/\"corp\"";
  event.trace_id = "Root=1-abc";
  emulator().Enqueue(event);
  StartBootstrap("log");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  EXPECT_EQ(Terminate().code, 0);
  int seen = 0;
  for (const LogLine& line : JsonLogLines()) {
    if (line.request_id != "req-tenant-log" || line.level != "INFO") continue;
    ++seen;
    EXPECT_EQ(line.tenant_id, "acme/\"corp\"");
    EXPECT_EQ(line.trace_id, "Root=1-abc");
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(BootstrapTest, InvocationIdIsEchoedOnlyWhenSent) {
  StartEmulator();
  emulator::EventSpec with_id;
  with_id.body = "{}";
  with_id.request_id = "with-id";
  with_id.invocation_id = "inv-5f1c";
  emulator::EventSpec without_id;
  without_id.body = "{}";
  without_id.request_id = "without-id";
  without_id.send_invocation_id = false;
  emulator().Enqueue(with_id);
  emulator().Enqueue(without_id);
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForClosed(2, kWait));
  const auto a = emulator().record("with-id");
  const auto b = emulator().record("without-id");
  ASSERT_EQ(a->answers.size(), 1u);
  ASSERT_EQ(b->answers.size(), 1u);
  const std::string* echoed = a->answers[0].FindHeader("lambda-runtime-invocation-id");
  ASSERT_NE(echoed, nullptr);
  EXPECT_EQ(*echoed, "inv-5f1c");
  EXPECT_EQ(a->answers[0].status_returned, 202);
  EXPECT_EQ(b->answers[0].FindHeader("lambda-runtime-invocation-id"), nullptr);
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, RegistersAnInternalExtensionWithNoEvents) {
  StartEmulator();
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForWaitingNext(1, kWait));
  ASSERT_TRUE(emulator().WaitFor(
      [](const emulator::Stats& s) { return s.extension_next_calls >= 1; }, kWait));
  const auto extensions = emulator().extensions();
  ASSERT_EQ(extensions.size(), 1u);
  EXPECT_EQ(extensions[0].name, "lmc");
  EXPECT_TRUE(extensions[0].events.empty());
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
