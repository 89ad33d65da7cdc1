#include "lmc/response_stream.h"

#include <string>
#include <string_view>

#include "gtest/gtest.h"
#include "lmc/registry.h"

namespace lmc {
namespace {

// Records what a handler wrote, as the runtime's stream would send it.
class RecordingStream final : public ResponseStream {
 public:
  absl::Status SetContentType(std::string_view content_type) override {
    if (!body_.empty()) return absl::FailedPreconditionError("headers already sent");
    content_type_ = std::string(content_type);
    return absl::OkStatus();
  }
  absl::Status Write(std::string_view bytes) override {
    body_.append(bytes);
    return absl::OkStatus();
  }
  uint64_t bytes_written() const override { return body_.size(); }

  const std::string& content_type() const { return content_type_; }
  const std::string& body() const { return body_; }

 private:
  std::string content_type_{kDefaultStreamContentType};
  std::string body_;
};

TEST(BeginHttpStreamTest, WritesPreludeThenEightNulBytes) {
  RecordingStream stream;
  HttpStreamPrelude prelude;
  prelude.headers.emplace_back("Content-Type", "text/plain");
  ASSERT_TRUE(BeginHttpStream(stream, prelude).ok());
  EXPECT_EQ(stream.content_type(), kHttpIntegrationContentType);
  EXPECT_EQ(stream.body(),
            std::string(R"({"statusCode":200,"headers":{"Content-Type":"text/plain"}})") +
                std::string(8, '\0'));
}

TEST(BeginHttpStreamTest, CookiesAndStatusAppearInThePrelude) {
  RecordingStream stream;
  HttpStreamPrelude prelude;
  prelude.status_code = 404;
  prelude.cookies = {"a=1", "b=\"2\""};
  ASSERT_TRUE(BeginHttpStream(stream, prelude).ok());
  EXPECT_EQ(stream.body(),
            std::string(R"({"statusCode":404,"headers":{},"cookies":["a=1","b=\"2\""]})") +
                std::string(8, '\0'));
}

TEST(BeginHttpStreamTest, RefusesAfterBodyBytes) {
  RecordingStream stream;
  ASSERT_TRUE(stream.Write("early").ok());
  EXPECT_EQ(BeginHttpStream(stream, {}).code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(stream.body(), "early");
}

TEST(StreamResultTest, DefaultIsSuccessAndErrorsConvert) {
  EXPECT_TRUE(StreamResult().ok());
  EXPECT_TRUE(StreamResult(absl::OkStatus()).ok());
  const StreamResult failed = Error("Diagnostic.StreamFailed", "failed after 2 chunks");
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().type(), "Diagnostic.StreamFailed");
  const StreamResult from_status = absl::UnavailableError("gone");
  ASSERT_FALSE(from_status.ok());
  EXPECT_EQ(from_status.error().type(), "Unavailable");
}

TEST(HandlerRegistryTest, RegistersBufferedAndStreamingHandlersByArity) {
  HandlerRegistry registry;
  ASSERT_TRUE(
      registry
          .Register("buffered", [](const Event&, const Context&) { return Response::Json("{}"); })
          .ok());
  ASSERT_TRUE(registry
                  .Register("streamed",
                            [](const Event&, const Context&, ResponseStream&) -> StreamResult {
                              return {};
                            })
                  .ok());
  EXPECT_TRUE(registry.Find("buffered")->handler);
  EXPECT_FALSE(registry.Find("buffered")->streaming);
  EXPECT_TRUE(registry.Find("streamed")->streaming);
  EXPECT_FALSE(registry.Find("streamed")->handler);
  EXPECT_EQ(registry.Register("empty", StreamingHandler()).code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace lmc
