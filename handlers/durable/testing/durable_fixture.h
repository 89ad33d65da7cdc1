// File: handlers/durable/testing/durable_fixture.h
//
// A GoogleTest fixture for lmc::durable's own tests: a FakeClock, a FakeCheckpointService and
// helpers that run one invocation and check its answer. Header-only; tests only.
//
// Example:
//
//   TEST_F(DurableFixture, Something) {
//     lmc::Handler handler = Handle([](DurableContext& ctx, const Json&) { ... });
//     Start();
//     InvocationOutput out = Succeeds(handler);
//   }
#pragma once

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "handlers/durable/durable.h"
#include "handlers/durable/testing/fake_checkpoint_service.h"
#include "lmc/clock.h"

namespace lmc::durable::testing {

class DurableFixture : public ::testing::Test {
 protected:
  // A handler on this fixture's service and clock, with no in-process retry delays.
  template <typename F>
  lmc::Handler Handle(F fn) {
    HandlerOptions options;
    options.service = service_;
    options.clock = &clock_;
    options.checkpoints.retry_base = std::chrono::milliseconds(0);
    return Handler(std::move(fn), std::move(options));
  }

  void Start(const std::string& input = "{}") { service_->StartExecution(arn_, input); }

  InvokeOutcome Invoke(const lmc::Handler& handler) { return service_->Invoke(handler, arn_); }

  // One invocation whose durable answer has `status`; the answer.
  InvocationOutput Expect(const lmc::Handler& handler, InvocationStatus status) {
    InvokeOutcome outcome = Invoke(handler);
    EXPECT_TRUE(outcome.output.has_value())
        << (outcome.invocation_error
                ? outcome.invocation_error->type() + ": " + outcome.invocation_error->message()
                : "");
    if (!outcome.output.has_value()) return {};
    EXPECT_EQ(outcome.output->status, status) << InvocationOutputJson(*outcome.output);
    return *outcome.output;
  }
  InvocationOutput Succeeds(const lmc::Handler& h) {
    return Expect(h, InvocationStatus::kSucceeded);
  }
  InvocationOutput Fails(const lmc::Handler& h) { return Expect(h, InvocationStatus::kFailed); }
  InvocationOutput Pends(const lmc::Handler& h) { return Expect(h, InvocationStatus::kPending); }

  // Every update the service accepted, in order.
  std::vector<OperationUpdate> Updates() const {
    std::vector<OperationUpdate> updates;
    for (const CheckpointRequest& batch : service_->Batches(arn_)) {
      updates.insert(updates.end(), batch.updates.begin(), batch.updates.end());
    }
    return updates;
  }

  FakeClock clock_;
  std::shared_ptr<FakeCheckpointService> service_ = std::make_shared<FakeCheckpointService>(clock_);
  std::string arn_ =
      "arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST/durable-execution/n/1";
};

}  // namespace lmc::durable::testing
