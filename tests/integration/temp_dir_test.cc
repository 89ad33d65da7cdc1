// Per-invocation temp dirs: private, unique, removed afterwards whatever happened.
#include <poll.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>

#include "gmock/gmock.h"
#include "tests/integration/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

namespace fs = std::filesystem;

// Waits, with inotify rather than polling, until `dir` has at least one entry. The watch is set
// up before the listing, so an entry created in between is never missed.
bool WaitForAnEntry(const fs::path& dir, int timeout_ms) {
  const int fd = ::inotify_init1(IN_CLOEXEC);
  if (fd < 0) return false;
  const int watch = ::inotify_add_watch(fd, dir.c_str(), IN_CREATE | IN_MOVED_TO);
  bool found = watch >= 0 && !fs::is_empty(dir);
  if (watch >= 0 && !found) {
    pollfd pfd{fd, POLLIN, 0};
    found = ::poll(&pfd, 1, timeout_ms) > 0;
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
  const std::string dir{std::string_view(ParseJson(parser, record.answers[0].body)["errorMessage"])};
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
  ASSERT_TRUE(WaitForAnEntry(tmp_root(), 120000));
  const std::vector<fs::path> entries = Entries(tmp_root());
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
