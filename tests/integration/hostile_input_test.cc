// Hostile or broken /next replies: clear errors, no crash, service goes on.
#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

// A raw /next reply with the given header lines and body.
std::string RawReply(const std::vector<std::string>& headers, const std::string& body) {
  std::string out = "HTTP/1.1 200 OK\r\n";
  for (const std::string& h : headers) absl::StrAppend(&out, h, "\r\n");
  absl::StrAppend(&out, "Content-Length: ", body.size(), "\r\n\r\n", body);
  return out;
}

// Enqueues an event whose /next reply is exactly `raw`, recorded under `request_id`.
void EnqueueRaw(emulator::Emulator& emulator, const std::string& request_id, std::string raw) {
  emulator::EventSpec event;
  event.request_id = request_id;
  event.raw_response = std::move(raw);
  emulator.Enqueue(std::move(event));
}

TEST_F(BootstrapTest, UnusableRepliesAreSkippedAndServiceGoesOn) {
  StartEmulator();
  // No request id at all.
  EnqueueRaw(emulator(), "no-id", RawReply({"Content-Type: application/json"}, "{}"));
  // A request id that would escape the URL path.
  EnqueueRaw(emulator(), "bad-id",
             RawReply({"Lambda-Runtime-Aws-Request-Id: ../../runtime/init/error",
                       "Lambda-Runtime-Deadline-Ms: 99999999999999"},
                      "{}"));
  // A garbage deadline: served anyway, with a warning.
  EnqueueRaw(emulator(), "garbage-deadline",
             RawReply({"Lambda-Runtime-Aws-Request-Id: garbage-deadline",
                       "Lambda-Runtime-Deadline-Ms: tomorrow"},
                      R"({"ms":1})"));
  // A huge header value (curl refuses headers over 100 KB): a transport error, then retry.
  EnqueueRaw(emulator(), "huge-header",
             RawReply({"Lambda-Runtime-Aws-Request-Id: huge-header",
                       "X-Padding: " + std::string(200 * 1024, 'a')},
                      "{}"));
  // Invalid UTF-8 and control characters in the tenant id and trace id.
  EnqueueRaw(emulator(), "odd-tenant",
             RawReply({"Lambda-Runtime-Aws-Request-Id: odd-tenant",
                       "Lambda-Runtime-Aws-Tenant-Id: \xff\xfe\x01 tenant",
                       "Lambda-Runtime-Trace-Id: \xc3\x28"},
                      R"({"ms":1})"));
  const std::vector<std::string> good = EnqueueMany(R"({"ms":1})", 3);
  StartBootstrap("sleep", {"AWS_LAMBDA_LOG_LEVEL=DEBUG"});
  // Accepted answers expected: garbage-deadline, odd-tenant and the three good events. The
  // others cannot be answered (no usable id) or were never fully received (huge header).
  ASSERT_TRUE(emulator().WaitFor([](const emulator::Stats& s) { return s.responses >= 5; }, kWait));
  for (const std::string& id : good) EXPECT_TRUE(emulator().record(id)->closed) << id;
  EXPECT_TRUE(emulator().record("no-id").has_value());
  EXPECT_TRUE(emulator().record("no-id")->answers.empty());
  EXPECT_TRUE(emulator().record("bad-id")->answers.empty());
  EXPECT_EQ(emulator().stats().unknown_request_posts, 0u);
  EXPECT_EQ(emulator().stats().init_errors, 0u);
  ASSERT_EQ(emulator().record("garbage-deadline")->answers.size(), 1u);
  EXPECT_EQ(emulator().record("garbage-deadline")->answers[0].status_returned, 202);
  ASSERT_EQ(emulator().record("odd-tenant")->answers.size(), 1u);
  EXPECT_EQ(Terminate().code, 0);
  // Every line, including those carrying the odd tenant id, is valid JSON.
  bool warned_deadline = false;
  for (const LogLine& line : JsonLogLines()) {
    warned_deadline =
        warned_deadline || line.message.find("Deadline-Ms is not a number") != std::string::npos;
  }
  EXPECT_TRUE(warned_deadline);
}

TEST_F(BootstrapTest, OversizedEventIsRefusedAndReported) {
  StartEmulator();
  emulator::EventSpec big;
  big.body = std::string(17 * 1024 * 1024, 'x');
  big.request_id = "too-big";
  emulator().Enqueue(big);
  const std::vector<std::string> after = EnqueueMany("{}", 1);
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForClosed(2, kWait));
  const auto record = emulator().record("too-big");
  ASSERT_EQ(record->answers.size(), 1u);
  EXPECT_EQ(record->answers[0].kind, emulator::Answer::Kind::kError);
  EXPECT_EQ(*record->answers[0].FindHeader("lambda-runtime-function-error-type"),
            "Runtime.EventTooLarge");
  EXPECT_EQ(emulator().record(after[0])->answers.size(), 1u);
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
