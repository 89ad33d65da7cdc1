// PollLoop against a scripted fake of the Runtime API (LoopClient): the loop's policy without
// sockets.
#include "lmc/dispatch/poll_loop.h"

#include <sys/mman.h>
#include <unistd.h>

#include <deque>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/dispatch/fake_loop_client.h"
#include "lmc/mutex.h"

namespace lmc {
namespace {

using ::testing::HasSubstr;
using testing_fakes::FakeLoopClient;
using testing_fakes::FakeRuntimeApi;
using testing_fakes::NextReply;
using testing_fakes::Post;

class PollLoopTest : public ::testing::Test {
 protected:
  PollLoopTest()
      : log_fd_(::memfd_create("log", MFD_CLOEXEC)),
        sink_(log_fd_, LogFormat::kJson, LogLevel::kInfo) {
    settings_.handler = &handler_;
    settings_.sink = &sink_;
    settings_.tmp_root = ::testing::TempDir();
    settings_.backoff_initial = std::chrono::milliseconds(1);
    settings_.backoff_max = std::chrono::milliseconds(2);
  }
  ~PollLoopTest() override { ::close(log_fd_); }

  // Starts a loop over the fake on its own thread.
  void Start() {
    auto client = std::make_unique<FakeLoopClient>(api_);
    for (NextReply& reply : script_) api_.AddNext(std::move(reply));
    for (auto& reply : post_script_) api_.AddPostReply(reply);
    loop_ = std::make_unique<PollLoop>(0, std::move(client), settings_,
                                       [this](const absl::Status& reason) {
                                         MutexLock lock(&fatal_mu_);
                                         fatal_ = reason;
                                       });
    thread_ = std::thread([this] { loop_->Run(); });
  }
  void StopAndJoin() {
    loop_->Stop();
    thread_.join();
  }
  std::string Log() const {
    std::string out;
    char buf[4096];
    ssize_t n;
    off_t offset = 0;
    while ((n = ::pread(log_fd_, buf, sizeof(buf), offset)) > 0) {
      out.append(buf, static_cast<size_t>(n));
      offset += n;
    }
    return out;
  }

  Handler handler_ = [](const Event& event, const Context&) -> Result {
    return Response::Json(std::string(event.bytes()));
  };
  std::vector<NextReply> script_;
  std::vector<absl::StatusOr<int>> post_script_;
  const int log_fd_;
  LogSink sink_;
  DispatchSettings settings_;
  FakeRuntimeApi api_;
  std::unique_ptr<PollLoop> loop_;
  std::thread thread_;
  Mutex fatal_mu_;
  absl::Status fatal_ ABSL_GUARDED_BY(fatal_mu_);
};

TEST_F(PollLoopTest, RunsEachEventAndPostsTheHandlersResponse) {
  script_ = {{absl::OkStatus(), 200, "req-1", R"({"a":1})"},
             {absl::OkStatus(), 200, "req-2", R"({"b":2})"}};
  Start();
  ASSERT_TRUE(api_.AwaitPosts(2));
  StopAndJoin();
  const std::vector<Post> posts = api_.posts();
  ASSERT_EQ(posts.size(), 2u);
  EXPECT_FALSE(posts[0].is_error);
  EXPECT_EQ(posts[0].request_id, "req-1");
  EXPECT_EQ(posts[0].invocation_id, "inv-req-1");
  EXPECT_EQ(posts[0].content_type, "application/json");
  EXPECT_EQ(posts[0].body, R"({"a":1})");
  EXPECT_EQ(posts[1].body, R"({"b":2})");
  EXPECT_EQ(loop_->invocations(), 2u);
}

TEST_F(PollLoopTest, HandlerExceptionIsPostedAsAnErrorNamedAfterItsType) {
  handler_ = [](const Event&, const Context&) -> Result { throw std::out_of_range("index 7"); };
  script_ = {{absl::OkStatus(), 200, "req-throw"}};
  Start();
  ASSERT_TRUE(api_.AwaitPosts(1));
  StopAndJoin();
  const Post post = api_.posts()[0];
  EXPECT_TRUE(post.is_error);
  EXPECT_EQ(post.error_type, "std::out_of_range");
  EXPECT_THAT(post.body, HasSubstr("index 7"));
}

TEST_F(PollLoopTest, UnsafeErrorTypeGoesOutAsUnhandledWithTheExactTypeInTheBody) {
  handler_ = [](const Event&, const Context&) -> Result { return Error("bad type", "m"); };
  script_ = {{absl::OkStatus(), 200, "req-e"}};
  Start();
  ASSERT_TRUE(api_.AwaitPosts(1));
  StopAndJoin();
  const Post post = api_.posts()[0];
  EXPECT_EQ(post.error_type, "Unhandled");
  EXPECT_THAT(post.body, HasSubstr("\"bad type\""));
}

TEST_F(PollLoopTest, TransientPostFailuresAreRetriedUntilDelivered) {
  script_ = {{absl::OkStatus(), 200, "req-r"}};
  post_script_ = {absl::UnavailableError("reset"), 503, 202};
  Start();
  ASSERT_TRUE(api_.AwaitPosts(3));
  ASSERT_TRUE(api_.AwaitIdle());
  StopAndJoin();
  EXPECT_EQ(api_.posts().size(), 3u);
  EXPECT_THAT(Log(), HasSubstr("retrying in"));
}

TEST_F(PollLoopTest, TooLargeResponseIsReportedThroughError) {
  script_ = {{absl::OkStatus(), 200, "req-big"}};
  post_script_ = {413, 202};
  Start();
  ASSERT_TRUE(api_.AwaitPosts(2));
  StopAndJoin();
  const std::vector<Post> posts = api_.posts();
  EXPECT_FALSE(posts[0].is_error);
  EXPECT_TRUE(posts[1].is_error);
  EXPECT_EQ(posts[1].error_type, "Function.ResponseSizeTooLarge");
}

TEST_F(PollLoopTest, LateAnswerIsLoggedAtWarnAndNotRetried) {
  script_ = {{absl::OkStatus(), 200, "req-late"}, {absl::OkStatus(), 200, "req-next"}};
  post_script_ = {410, 202};
  Start();
  ASSERT_TRUE(api_.AwaitPosts(2));
  StopAndJoin();
  const std::vector<Post> posts = api_.posts();
  EXPECT_EQ(posts[0].request_id, "req-late");
  EXPECT_EQ(posts[1].request_id, "req-next");  // the 410 was not retried
  EXPECT_THAT(Log(), HasSubstr("\"level\":\"WARN\",\"requestId\":\"req-late\""));
  EXPECT_THAT(Log(), HasSubstr("came too late"));
}

TEST_F(PollLoopTest, EventWithAnUnusableRequestIdIsSkippedWithoutAPost) {
  script_ = {{absl::OkStatus(), 200, "bad/id"}, {absl::OkStatus(), 200, "req-ok"}};
  Start();
  ASSERT_TRUE(api_.AwaitPosts(1));
  ASSERT_TRUE(api_.AwaitIdle());
  StopAndJoin();
  ASSERT_EQ(api_.posts().size(), 1u);
  EXPECT_EQ(api_.posts()[0].request_id, "req-ok");
}

TEST_F(PollLoopTest, RepeatedServerErrorsOnNextAreFatal) {
  for (int i = 0; i < 5; ++i) script_.push_back({absl::OkStatus(), 500, ""});
  Start();
  thread_.join();  // Run() returns by itself.
  MutexLock lock(&fatal_mu_);
  EXPECT_TRUE(absl::IsUnavailable(fatal_)) << fatal_;
  EXPECT_TRUE(api_.posts().empty());
}

TEST_F(PollLoopTest, OversizedEventIsAnsweredAsEventTooLarge) {
  script_ = {{absl::ResourceExhaustedError("event too large"), 200, "req-huge"}};
  Start();
  ASSERT_TRUE(api_.AwaitPosts(1));
  StopAndJoin();
  EXPECT_EQ(api_.posts()[0].error_type, "Runtime.EventTooLarge");
}

TEST_F(PollLoopTest, StopEndsAWaitingNext) {
  Start();
  ASSERT_TRUE(api_.AwaitIdle());
  StopAndJoin();
  EXPECT_EQ(loop_->invocations(), 0u);
}

}  // namespace
}  // namespace lmc
