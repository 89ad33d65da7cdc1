#include "lmc/base/temp_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace lmc {
namespace {

namespace fs = std::filesystem;

// A private root for each test, removed at the end.
class TempDirTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "lmc-temp-dir-test-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    root_ = tmpl;
  }
  void TearDown() override { ASSERT_TRUE(RemoveTree(root_).ok()); }

  static void WriteFile(const fs::path& p, const std::string& content) {
    std::ofstream(p) << content;
  }

  fs::path root_;
};

TEST(EncodeTenantForPath, KeepsSafeCharactersAndEscapesTheRest) {
  EXPECT_EQ(EncodeTenantForPath("tenant-A1"), "tenant-A1");
  EXPECT_EQ(EncodeTenantForPath("a/b c"), "a_2Fb_20c");
  EXPECT_EQ(EncodeTenantForPath(".."), "_2E_2E");
  EXPECT_EQ(EncodeTenantForPath("x_y"), "x_5Fy");
  EXPECT_EQ(EncodeTenantForPath(std::string("\0\xff", 2)), "_00_FF");
  EXPECT_EQ(EncodeTenantForPath(""), "");
}

TEST(EncodeTenantForPath, IsInjectiveOnTrickyPairs) {
  // '_' is itself escaped, so a literal "_2F" cannot collide with an escaped '/'.
  EXPECT_NE(EncodeTenantForPath("_2F"), EncodeTenantForPath("/"));
  EXPECT_NE(EncodeTenantForPath("a.b"), EncodeTenantForPath("a_b"));
}

TEST(EncodeTenantForPath, LongIdsAreCutAndHashed) {
  const std::string a(256, '/');
  std::string b = a;
  b.back() = '+';
  const std::string ea = EncodeTenantForPath(a);
  const std::string eb = EncodeTenantForPath(b);
  EXPECT_LE(ea.size(), 120u);
  EXPECT_NE(ea, eb);  // Same 100-char prefix, different hash.
  EXPECT_EQ(ea.substr(0, 99), eb.substr(0, 99));
  EXPECT_THAT(ea, ::testing::MatchesRegex("[A-Za-z0-9_-]+~[0-9a-f]{16}"));
}

TEST_F(TempDirTest, CreatesPrivateUniqueDirectories) {
  std::set<fs::path> seen;
  for (int i = 0; i < 50; ++i) {
    auto dir = InvocationTempDir::Create(root_, std::nullopt);
    ASSERT_TRUE(dir.ok()) << dir.status();
    struct stat st;
    ASSERT_EQ(::stat(dir->path().c_str(), &st), 0);
    EXPECT_TRUE(S_ISDIR(st.st_mode));
    EXPECT_EQ(st.st_mode & 07777, 0700u);
    EXPECT_EQ(dir->path().parent_path(), root_);
    EXPECT_TRUE(seen.insert(dir->path()).second);
    ASSERT_TRUE(dir->Remove().ok());
  }
}

TEST_F(TempDirTest, TenantScopedNameNeverEscapesTheRoot) {
  for (const std::string tenant : {"../../etc", "/", "a b/c", "..", "x\ny"}) {
    auto dir = InvocationTempDir::Create(root_, tenant);
    ASSERT_TRUE(dir.ok()) << dir.status();
    EXPECT_EQ(dir->path().parent_path(), root_) << tenant;
    EXPECT_THAT(dir->path().filename().string(),
                ::testing::StartsWith("lmc-t_" + EncodeTenantForPath(tenant) + "-"));
  }
}

TEST_F(TempDirTest, AbsentAndEmptyTenantGetDifferentNames) {
  auto absent = InvocationTempDir::Create(root_, std::nullopt);
  auto empty = InvocationTempDir::Create(root_, std::string_view());
  ASSERT_TRUE(absent.ok());
  ASSERT_TRUE(empty.ok());
  EXPECT_THAT(absent->path().filename().string(), ::testing::StartsWith("lmc-"));
  EXPECT_THAT(absent->path().filename().string(), ::testing::Not(::testing::StartsWith("lmc-t_")));
  EXPECT_THAT(empty->path().filename().string(), ::testing::StartsWith("lmc-t_-"));
}

TEST_F(TempDirTest, CreateFailsCleanlyWhenRootIsMissing) {
  auto dir = InvocationTempDir::Create(root_ / "missing", std::nullopt);
  EXPECT_FALSE(dir.ok());
}

TEST_F(TempDirTest, DestructorRemovesDirectoryWithContent) {
  fs::path path;
  {
    auto dir = InvocationTempDir::Create(root_, std::nullopt);
    ASSERT_TRUE(dir.ok());
    path = dir->path();
    WriteFile(path / "a.txt", "hello");
    fs::create_directories(path / "x" / "y");
    WriteFile(path / "x" / "y" / "b.bin", std::string(4096, 'b'));
  }
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(TempDirTest, RemovalNeverFollowsSymlinksOutOfTheTree) {
  const fs::path outside = root_ / "outside";
  fs::create_directories(outside / "keep");
  WriteFile(outside / "keep" / "precious.txt", "do not delete");
  auto dir = InvocationTempDir::Create(root_, std::nullopt);
  ASSERT_TRUE(dir.ok());
  fs::create_directory_symlink(outside, dir->path() / "link-to-dir");
  fs::create_symlink(outside / "keep" / "precious.txt", dir->path() / "link-to-file");
  fs::create_symlink("/nonexistent/dangling", dir->path() / "dangling");
  uint64_t removed = 0;
  ASSERT_TRUE(dir->Remove(&removed).ok());
  EXPECT_EQ(removed, 3u);
  EXPECT_TRUE(fs::exists(outside / "keep" / "precious.txt"));
  EXPECT_EQ(fs::file_size(outside / "keep" / "precious.txt"), 13u);
}

TEST_F(TempDirTest, RemovesTheDirectoryWhenItWasReplacedBySymlink) {
  const fs::path outside = root_ / "outside";
  fs::create_directories(outside);
  WriteFile(outside / "precious.txt", "x");
  auto dir = InvocationTempDir::Create(root_, std::nullopt);
  ASSERT_TRUE(dir.ok());
  const fs::path path = dir->path();
  fs::remove(path);
  fs::create_directory_symlink(outside, path);
  ASSERT_TRUE(dir->Remove().ok());
  EXPECT_FALSE(fs::exists(fs::symlink_status(path)));
  EXPECT_TRUE(fs::exists(outside / "precious.txt"));
}

TEST_F(TempDirTest, RemovesVeryDeepTrees) {
  auto dir = InvocationTempDir::Create(root_, std::nullopt);
  ASSERT_TRUE(dir.ok());
  // 300 levels: deeper than the descriptor budget, built with openat so PATH_MAX never matters.
  int fd = ::open(dir->path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  for (int i = 0; i < 300; ++i) {
    ASSERT_EQ(::mkdirat(fd, "d", 0700), 0);
    const int next = ::openat(fd, "d", O_RDONLY | O_DIRECTORY);
    ::close(fd);
    ASSERT_GE(next, 0);
    fd = next;
  }
  const int file = ::openat(fd, "leaf", O_CREAT | O_WRONLY, 0600);
  ASSERT_GE(file, 0);
  ::close(file);
  ::close(fd);
  const fs::path path = dir->path();
  uint64_t removed = 0;
  const absl::Status status = dir->Remove(&removed);
  ASSERT_TRUE(status.ok()) << status;
  EXPECT_EQ(removed, 301u);
  EXPECT_FALSE(fs::exists(path));
}

TEST_F(TempDirTest, RemovingAMissingTreeSucceeds) {
  EXPECT_TRUE(RemoveTree(root_ / "never-existed").ok());
}

TEST(RemoveTree, RefusesDotAndDotDot) {
  EXPECT_FALSE(RemoveTree("/tmp/..").ok());
  EXPECT_FALSE(RemoveTree(".").ok());
}

// Read-only directories only resist removal for a non-root user (root bypasses permission
// checks), so the scenario runs in a child process that drops to `nobody` when we are root.
TEST_F(TempDirTest, RemovesReadOnlyDirectoriesAsUnprivilegedUser) {
  ASSERT_EQ(::chmod(root_.c_str(), 0777), 0);
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (::getuid() == 0 && (::setgid(65534) != 0 || ::setuid(65534) != 0)) ::_exit(10);
    auto dir = InvocationTempDir::Create(root_, std::nullopt);
    if (!dir.ok()) ::_exit(11);
    const fs::path p = dir->path();
    fs::create_directories(p / "ro" / "inner");
    std::ofstream(p / "ro" / "inner" / "f") << "x";
    std::ofstream(p / "ro" / "g") << "y";
    fs::create_directories(p / "none");
    std::ofstream(p / "none" / "h") << "z";
    if (::chmod((p / "ro" / "inner").c_str(), 0500) != 0) ::_exit(12);
    if (::chmod((p / "ro").c_str(), 0500) != 0) ::_exit(13);
    if (::chmod((p / "none").c_str(), 0000) != 0) ::_exit(14);
    // Precondition: as this user, a plain unlink inside the read-only dir really fails.
    if (::unlink((p / "ro" / "g").c_str()) == 0) ::_exit(15);
    if (!dir->Remove().ok()) ::_exit(16);
    ::_exit(fs::exists(p) ? 17 : 0);
  }
  int wstatus = 0;
  ASSERT_EQ(::waitpid(pid, &wstatus, 0), pid);
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
}

TEST_F(TempDirTest, LazyTempDirCreatesNothingUntilAsked) {
  LazyTempDir lazy(root_);
  lazy.Reset(std::nullopt);
  EXPECT_EQ(lazy.CreatedPath(), std::nullopt);
  EXPECT_TRUE(lazy.Remove().ok());
  EXPECT_TRUE(fs::is_empty(root_));
}

TEST_F(TempDirTest, LazyTempDirCreatesOnceAndRemovesAfterwards) {
  LazyTempDir lazy(root_);
  lazy.Reset(std::string_view("tenant/1"));
  auto first = lazy.Get();
  ASSERT_TRUE(first.ok());
  auto second = lazy.Get();
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(*first, *second);  // Same directory on every call.
  const fs::path path = **first;
  EXPECT_THAT(path.filename().string(), ::testing::StartsWith("lmc-t_tenant_2F1-"));
  WriteFile(path / "left-behind", "x");
  uint64_t removed = 0;
  ASSERT_TRUE(lazy.Remove(&removed).ok());
  EXPECT_EQ(removed, 1u);
  EXPECT_FALSE(fs::exists(path));
  // The next invocation gets a new directory.
  lazy.Reset(std::nullopt);
  auto third = lazy.Get();
  ASSERT_TRUE(third.ok());
  EXPECT_NE(**third, path);
  EXPECT_TRUE(lazy.Remove().ok());
}

TEST_F(TempDirTest, LazyTempDirReportsCreationFailureEveryTime) {
  LazyTempDir lazy(root_ / "missing");
  lazy.Reset(std::nullopt);
  EXPECT_FALSE(lazy.Get().ok());
  EXPECT_FALSE(lazy.Get().ok());
  EXPECT_TRUE(lazy.Remove().ok());
}

TEST_F(TempDirTest, LazyTempDirIsCreatedOnceUnderConcurrentFirstUse) {
  LazyTempDir lazy(root_);
  lazy.Reset(std::nullopt);
  std::vector<std::thread> threads;
  threads.reserve(8);
  std::vector<fs::path> seen(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] { seen[i] = **lazy.Get(); });
  }
  for (auto& t : threads) t.join();
  for (const fs::path& p : seen) EXPECT_EQ(p, seen[0]);
  size_t entries = 0;
  for ([[maybe_unused]] const auto& e : fs::directory_iterator(root_)) ++entries;
  EXPECT_EQ(entries, 1u);
  EXPECT_TRUE(lazy.Remove().ok());
}

}  // namespace
}  // namespace lmc
