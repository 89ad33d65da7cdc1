// Per-invocation temp dirs: private, unique, removed afterwards whatever happened.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <set>

#include "gmock/gmock.h"
#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

namespace fs = std::filesystem;

// Waits, with inotify rather than polling, until `dir` holds an entry whose name starts with
// "lmc-" (other processes may create files there: TSan, for one, drops a transient
// tsan.rodata.<pid>). The watch is set up before the listing, so nothing is missed in between.
bool WaitForAnLmcEntry(const fs::path& dir, int timeout_ms) {
  const auto is_ours = [](std::string_view name) { return name.starts_with("lmc-"); };
  const int fd = ::inotify_init1(IN_CLOEXEC);
  if (fd < 0) return false;
  const int watch = ::inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_MOVED_TO);
  bool found = false;
  for (const auto& entry : fs::directory_iterator(dir)) {
    found = found || is_ours(entry.path().filename().string());
  }
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  alignas(inotify_event) char buf[4096];
  while (watch >= 0 && !found) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        give_up - std::chrono::steady_clock::now());
    pollfd pfd{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) break;
    const ssize_t n = ::read(fd, buf, sizeof(buf));
    for (ssize_t i = 0; i < n;) {
      const auto* event = reinterpret_cast<const inotify_event*>(buf + i);
      if (event->len > 0 && is_ours(event->name)) found = true;
      i += static_cast<ssize_t>(sizeof(inotify_event) + event->len);
    }
  }
  ::close(fd);
  return found;
}

// Entries directly under `dir`.
std::vector<fs::path> Entries(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path());
  return out;
}

TEST_F(BootstrapTest, ConcurrentInvocationsGetSeparateTempDirsRemovedAfterwards) {
  StartEmulator();
  EnqueueMany(R"({"files":5,"bytes":1000,"ms":50})", 12);
  StartBootstrap("tmp", {"AWS_LAMBDA_MAX_CONCURRENCY=4"});
  ASSERT_TRUE(emulator().WaitForClosed(12, kWait));
  // A loop polls again only after removing its temp dir: four waiting loops means all are gone.
  ASSERT_TRUE(emulator().WaitForWaitingNext(4, kWait));
  EXPECT_EQ(emulator().stats().max_in_flight, 4u);
  std::set<std::string> dirs;
  simdjson::dom::parser parser;
  for (const auto& record : emulator().records()) {
    ASSERT_EQ(record.answers.size(), 1u);
    simdjson::dom::element doc = ParseJson(parser, record.answers[0].body);
    const std::string dir{std::string_view(doc["tmp_dir"])};
    EXPECT_EQ(fs::path(dir).parent_path(), tmp_root());
    EXPECT_EQ(simdjson::dom::array(doc["files"]).size(), 5u);
    EXPECT_FALSE(fs::exists(dir)) << dir;
    dirs.insert(dir);
  }
  EXPECT_EQ(dirs.size(), 12u);
  EXPECT_TRUE(Entries(tmp_root()).empty());
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, TempDirIsRemovedWhenTheHandlerFails) {
  StartEmulator();
  EnqueueMany(R"({"files":3,"bytes":10,"fail":true})", 1);
  StartBootstrap("tmp");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  ASSERT_TRUE(emulator().WaitForWaitingNext(1, kWait));
  const auto record = emulator().records().at(0);
  ASSERT_EQ(record.answers.size(), 1u);
  EXPECT_EQ(record.answers[0].kind, emulator::Answer::Kind::kError);
  simdjson::dom::parser parser;
  const std::string dir{
      std::string_view(ParseJson(parser, record.answers[0].body)["errorMessage"])};
  EXPECT_EQ(fs::path(dir).parent_path(), tmp_root());
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(Entries(tmp_root()).empty());
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, TempDirIsPrivateWhileTheHandlerRuns) {
  StartEmulator();
  EnqueueMany(R"({"files":1,"bytes":1,"ms":60000})", 1);
  StartBootstrap("tmp");
  // The directory appears before the handler runs; the handler then sleeps inside it.
  ASSERT_TRUE(WaitForAnLmcEntry(tmp_root(), 120000));
  std::vector<fs::path> entries = Entries(tmp_root());
  std::erase_if(entries,
                [](const fs::path& p) { return !p.filename().string().starts_with("lmc-"); });
  ASSERT_EQ(entries.size(), 1u);
  struct stat st;
  ASSERT_EQ(::stat(entries[0].c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_THAT(entries[0].filename().string(), ::testing::StartsWith("lmc-"));
  ASSERT_TRUE(bootstrap().Signal(SIGTERM).ok());
  ASSERT_TRUE(bootstrap().WaitForOutput("finishing the invocations in flight", kWait));
  ASSERT_TRUE(bootstrap().Signal(SIGTERM).ok());
  WaitForExit();
}

TEST_F(BootstrapTest, TenantScopedTempDirNamesAreEncoded) {
  StartEmulator();
  emulator::EventSpec event;
  event.body = "{}";
  event.request_id = "req-tenant-dir";
  event.tenant_id = "../../etc/passwd";
  emulator().Enqueue(event);
  StartBootstrap("context");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  simdjson::dom::parser parser;
  const std::string dir(std::string_view(
      ParseJson(parser, emulator().record("req-tenant-dir")->answers.at(0).body)["tmp_dir"]));
  EXPECT_EQ(fs::path(dir).parent_path(), tmp_root());
  EXPECT_THAT(fs::path(dir).filename().string(),
              ::testing::StartsWith("lmc-t__2E_2E_2F_2E_2E_2Fetc_2Fpasswd-"));
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
