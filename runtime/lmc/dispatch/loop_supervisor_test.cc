// LoopSupervisor over fake Runtime API clients: capacity kept when handlers hang.
#include "lmc/dispatch/loop_supervisor.h"

#include <sys/mman.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "lmc/dispatch/fake_loop_client.h"
#include "lmc/mutex.h"

namespace lmc {
namespace {

using std::chrono::milliseconds;
using testing_fakes::FakeLoopClient;
using testing_fakes::FakeRuntimeApi;

// A handler that blocks on "hang" events until released, ignoring cancellation, as a hung
// handler does; any other event is answered at once.
class Gate {
 public:
  Result Handle(const Event& event) {
    if (event.bytes() != "hang") return Response::Text("ok");
    MutexLock lock(&mu_);
    mu_.Await([this]() ABSL_NO_THREAD_SAFETY_ANALYSIS { return open_; });
    return Response::Text("late");
  }
  void Open() {
    MutexLock lock(&mu_);
    open_ = true;
  }

 private:
  Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = false;
};

class LoopSupervisorTest : public ::testing::Test {
 protected:
  LoopSupervisorTest()
      : log_fd_(::memfd_create("log", MFD_CLOEXEC)),
        sink_(log_fd_, LogFormat::kJson, LogLevel::kInfo) {
    settings_.handler = &handler_;
    settings_.sink = &sink_;
    settings_.tmp_root = ::testing::TempDir();
  }
  ~LoopSupervisorTest() override { ::close(log_fd_); }

  LoopSupervisor::ClientFactory Factory() {
    return [this]() -> absl::StatusOr<std::unique_ptr<LoopClient>> {
      MutexLock lock(&mu_);
      ++clients_made_;
      return std::make_unique<FakeLoopClient>(api_);
    };
  }
  int clients_made() {
    MutexLock lock(&mu_);
    return clients_made_;
  }

  Gate gate_;
  Handler handler_ = [this](const Event& event, const Context&) { return gate_.Handle(event); };
  const int log_fd_;
  LogSink sink_;
  DispatchSettings settings_;
  FakeRuntimeApi api_;
  Mutex mu_;
  int clients_made_ ABSL_GUARDED_BY(mu_) = 0;
};

TEST_F(LoopSupervisorTest, HungInvocationIsDetachedAndAReplacementServes) {
  const Capacity capacity{.max_concurrency = 1,
                          .detach_grace = milliseconds(5),
                          .max_detached = 1,
                          .stuck_grace = std::chrono::minutes(5)};
  LoopSupervisor supervisor(settings_, capacity, Factory());
  api_.AddNext({absl::OkStatus(), 200, "req-hung", "hang", milliseconds(1)});
  ASSERT_TRUE(supervisor.Start().ok());
  // The replacement polls and serves while the hung handler still blocks.
  ASSERT_TRUE(api_.AwaitIdle(1));
  api_.AddNext({absl::OkStatus(), 200, "req-quick", "quick"});
  ASSERT_TRUE(api_.AwaitPosts(1));
  EXPECT_EQ(api_.posts()[0].request_id, "req-quick");
  EXPECT_EQ(supervisor.replacements(), 1u);
  EXPECT_EQ(clients_made(), 2);
  // Released, the detached handler answers and its thread ends; shutdown waits for nothing.
  gate_.Open();
  ASSERT_TRUE(api_.AwaitPosts(2));
  EXPECT_EQ(api_.posts()[1].request_id, "req-hung");
  supervisor.Stop();
  EXPECT_TRUE(supervisor.Wait().ok());
  EXPECT_EQ(supervisor.abandoned(), 0);
  EXPECT_EQ(supervisor.invocations(), 2u);
}

// The stuck case (every loop held, nothing detachable: FATAL and exit 3) abandons the hung
// thread, which only a process exit can end: tests/integration/capacity_test.cc covers it.

}  // namespace
}  // namespace lmc
