// File: lmc/testing/handler_harness.h
//
// Runs a handler once, offline, the way the runtime would: with a real Context (ids, deadline,
// tenant, a fresh private temp dir that is removed afterwards, a logger whose lines are
// captured) and with exceptions turned into Errors exactly as in production. For unit tests of
// handlers; no Runtime API, no threads, no network.
//
// Example (GoogleTest):
//
//   TEST(Resize, RejectsEmptyEvents) {
//     lmc::testing::Invocation invocation;
//     invocation.event = "";
//     lmc::testing::Outcome outcome = lmc::testing::Invoke(Resize, invocation);
//     ASSERT_FALSE(outcome.result.ok());
//     EXPECT_EQ(outcome.result.error().type(), "InvalidEvent");
//     EXPECT_TRUE(outcome.tmp_dir_removed);
//   }
#pragma once

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>

#include "lmc/clock.h"
#include "lmc/context.h"
#include "lmc/handler.h"
#include "lmc/log_level.h"

namespace lmc::testing {

// Invocation
//
// The event and headers of one simulated invocation.
struct Invocation {
  std::string event = "{}";
  std::string content_type = "application/json";
  std::string request_id = "11111111-2222-4333-8444-555555555555";
  std::string invocation_id;
  std::string function_arn = "arn:aws:lambda:us-east-1:123456789012:function:test";
  std::string trace_id =
      "Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=0";
  std::string client_context;
  std::string cognito_identity;
  std::optional<std::string> tenant_id;
  std::chrono::milliseconds timeout{30000};
  LogFormat log_format = LogFormat::kJson;
  LogLevel log_level = LogLevel::kTrace;
  // Parent of the invocation's temp dir; empty: the system temp directory.
  std::filesystem::path tmp_root;
  // Clock for deadlines (lmc/clock.h, e.g. a FakeClock); null: the real clock.
  const Clock* clock = nullptr;
  // Cancellation the handler observes (lmc/internal/cancellation.h); null: never cancelled.
  // Cancel it from the handler (or a thread) to test cancellation paths.
  const internal::Cancellation* cancellation = nullptr;
  FunctionInfo function{"test-function", "$LATEST", 2048, "us-east-1", 1};
};

// Outcome
//
// What the handler produced.
struct Outcome {
  Result result = Response::Json("null");
  // The handler's Response body, copied (a Borrowed body would dangle after Invoke()).
  std::string body;
  std::string logs;               // Every line the handler logged, as written.
  std::filesystem::path tmp_dir;  // The temp dir, if the handler asked for one; else empty.
  bool tmp_dir_removed = false;   // True when it no longer exists after the invocation.
};

// Runs `handler` once on `invocation`. Not thread-safe with respect to itself only in that each
// call creates its own temp dir and log capture; concurrent calls are fine.
Outcome Invoke(const Handler& handler, const Invocation& invocation = {});

}  // namespace lmc::testing
