#include "lmc/base/temp_dir.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

namespace lmc {
namespace {

// Deeper directories than this are moved up to the top of the tree instead of being opened
// while their ancestors' descriptors are still held.
constexpr int kMaxOpenDepth = 32;
// Listing rounds per directory before giving up on one that keeps refilling itself (a handler's
// stray thread still writing).
constexpr int kMaxRounds = 64;

absl::Status ErrnoStatus(std::string_view what, std::string_view name, int err) {
  return absl::InternalError(
      absl::StrCat(AsAbsl(what), " ", AsAbsl(name), ": ", ErrnoMessage(err)));
}

// Closes a descriptor on scope exit.
class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

// Removes the tree rooted at directory `root_fd`. Subtrees deeper than kMaxOpenDepth are renamed
// into the root under fresh names and emptied in a later round.
class TreeRemover {
 public:
  explicit TreeRemover(int root_fd) : root_fd_(root_fd) {}

  absl::Status Run() {
    if (!EmptyDirectory(root_fd_, 0)) {
      Note(absl::FailedPreconditionError("some entries could not be removed"));
    }
    return first_error_;
  }

  uint64_t removed() const { return removed_; }

 private:
  void Note(absl::Status status) {
    if (first_error_.ok()) first_error_ = std::move(status);
  }

  // Opens `name` in `dir_fd` as a directory without following a symlink. Makes a directory with
  // no permissions searchable first. -1 if it is not a directory (anymore).
  int OpenSubdirectory(int dir_fd, const char* name) {
    const int flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
    int fd = ::openat(dir_fd, name, flags);
    if (fd < 0 && errno == EACCES) {
      // AT_SYMLINK_NOFOLLOW: if the entry was swapped for a symlink, fail instead of chmod-ing
      // whatever it points at.
      if (::fchmodat(dir_fd, name, S_IRWXU, AT_SYMLINK_NOFOLLOW) == 0) {
        fd = ::openat(dir_fd, name, flags);
      }
    }
    return fd;
  }

  // Unlinks everything inside `dir_fd`, listing it again while each round makes progress (a
  // subtree moved up, or a stray writer adding files, shows up in the next listing). Returns
  // true when the directory was seen empty. Rounds stop at the first one without progress, so a
  // subtree that cannot be removed costs one extra listing per level, not a retry storm.
  bool EmptyDirectory(int dir_fd, int depth) {
    for (int round = 0; round < kMaxRounds; ++round) {
      const uint64_t before = removed_ + moved_;
      const size_t seen = RemoveListedEntries(dir_fd, depth);
      if (seen == 0) return true;
      if (removed_ + moved_ == before) return false;
    }
    Note(absl::ResourceExhaustedError("directory kept refilling while being removed"));
    return false;
  }

  // Lists `dir_fd` once and removes every entry listed. Returns the number of entries listed.
  size_t RemoveListedEntries(int dir_fd, int depth) {
    struct stat self;
    if (::fstat(dir_fd, &self) == 0 && (self.st_mode & S_IRWXU) != S_IRWXU) {
      // Needed to list and unlink entries; fd-based, so no symlink can redirect it.
      ::fchmod(dir_fd, self.st_mode | S_IRWXU);
    }
    // A fresh open file description each round: a dup() would share the offset that the
    // previous listing left at the end of the directory, and list nothing.
    const int list_fd = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (list_fd < 0) {
      Note(ErrnoStatus("open", ".", errno));
      return 0;
    }
    DIR* dir = ::fdopendir(list_fd);
    if (dir == nullptr) {
      ::close(list_fd);
      Note(ErrnoStatus("fdopendir", "", errno));
      return 0;
    }
    // Collect names first: unlinking while readdir() walks the same stream may skip entries.
    std::vector<std::string> names;
    // readdir() is safe here: this DIR stream is used by this thread only.
    while (dirent* entry = ::readdir(dir)) {  // NOLINT(concurrency-mt-unsafe)
      const char* n = entry->d_name;
      if (std::strcmp(n, ".") == 0 || std::strcmp(n, "..") == 0) continue;
      names.emplace_back(n);
    }
    ::closedir(dir);
    for (const std::string& name : names) RemoveEntry(dir_fd, name.c_str(), depth);
    return names.size();
  }

  void RemoveEntry(int dir_fd, const char* name, int depth) {
    struct stat st;
    if (::fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno != ENOENT) Note(ErrnoStatus("stat", name, errno));
      return;
    }
    if (!S_ISDIR(st.st_mode)) {
      // Files, symlinks, sockets, fifos: unlink the entry itself.
      if (::unlinkat(dir_fd, name, 0) == 0) {
        ++removed_;
      } else if (errno != ENOENT) {
        Note(ErrnoStatus("unlink", name, errno));
      }
      return;
    }
    if (depth + 1 >= kMaxOpenDepth) {
      // Too deep to hold one more descriptor per level: move the subtree to the top, under a
      // name that replaces nothing the handler left there (RENAME_NOREPLACE).
      for (int attempt = 0; attempt < 1000; ++attempt) {
        const std::string moved = absl::StrCat(".lmc-deep-", next_moved_id_++);
        if (::renameat2(dir_fd, name, root_fd_, moved.c_str(), RENAME_NOREPLACE) == 0) {
          ++moved_;
          return;
        }
        if (errno != EEXIST) break;
      }
      Note(ErrnoStatus("rename", name, errno));
      return;
    }
    const int child = OpenSubdirectory(dir_fd, name);
    if (child < 0) {
      // Replaced by a non-directory since fstatat: unlink whatever it is now.
      if (errno == ELOOP || errno == ENOTDIR) {
        if (::unlinkat(dir_fd, name, 0) == 0) ++removed_;
      } else if (errno != ENOENT) {
        Note(ErrnoStatus("open", name, errno));
      }
      return;
    }
    {
      Fd guard(child);
      EmptyDirectory(child, depth + 1);
    }
    if (::unlinkat(dir_fd, name, AT_REMOVEDIR) == 0) {
      ++removed_;
    } else if (errno != ENOENT) {
      Note(ErrnoStatus("rmdir", name, errno));
    }
  }

  const int root_fd_;
  absl::Status first_error_;
  uint64_t removed_ = 0;
  uint64_t next_moved_id_ = 0;
  // Subtrees renamed to the top so far; counts as progress for EmptyDirectory().
  uint64_t moved_ = 0;
};

uint64_t Fnv1a64(std::string_view bytes) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

}  // namespace

std::string EncodeTenantForPath(std::string_view tenant_id) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(tenant_id.size());
  for (unsigned char c : tenant_id) {
    const bool keep =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (keep) {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('_');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 0xF]);
    }
  }
  constexpr size_t kMaxEncoded = 120;
  constexpr size_t kKeptPrefix = 100;
  if (out.size() > kMaxEncoded) {
    size_t cut = kKeptPrefix;
    // Do not split an `_XX` escape: back up to its '_' if the cut lands inside one.
    for (size_t back = 1; back <= 2; ++back) {
      if (out[cut - back] == '_') {
        cut -= back;
        break;
      }
    }
    out.resize(cut);
    absl::StrAppend(&out, "~", absl::Hex(Fnv1a64(tenant_id), absl::kZeroPad16));
  }
  return out;
}

absl::Status RemoveTree(const std::filesystem::path& path, uint64_t* removed) {
  if (removed != nullptr) *removed = 0;
  const std::filesystem::path parent = path.parent_path().empty() ? "." : path.parent_path();
  const std::string name = path.filename().string();
  if (name.empty() || name == "." || name == "..") {
    return absl::InvalidArgumentError(absl::StrCat("refusing to remove \"", path.string(), "\""));
  }
  Fd parent_fd(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (parent_fd.get() < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    return ErrnoStatus("open", parent.string(), errno);
  }
  const int root =
      ::openat(parent_fd.get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) {
    if (errno == ENOENT) return absl::OkStatus();
    if (errno == ELOOP || errno == ENOTDIR) {
      // The directory itself was replaced by a symlink or a file: unlink just that entry.
      if (::unlinkat(parent_fd.get(), name.c_str(), 0) == 0 || errno == ENOENT) {
        return absl::OkStatus();
      }
    }
    return ErrnoStatus("open", path.string(), errno);
  }
  absl::Status status;
  {
    Fd root_fd(root);
    TreeRemover remover(root);
    status = remover.Run();
    if (removed != nullptr) *removed = remover.removed();
  }
  if (::unlinkat(parent_fd.get(), name.c_str(), AT_REMOVEDIR) != 0 && errno != ENOENT) {
    if (status.ok()) status = ErrnoStatus("rmdir", path.string(), errno);
  }
  return status;
}

absl::StatusOr<InvocationTempDir> InvocationTempDir::Create(
    const std::filesystem::path& root, std::optional<std::string_view> tenant_id) {
  std::string name_template = root.string();
  if (name_template.empty() || name_template.back() != '/') name_template.push_back('/');
  if (tenant_id.has_value()) {
    absl::StrAppend(&name_template, "lmc-t_", EncodeTenantForPath(*tenant_id), "-XXXXXX");
  } else {
    name_template.append("lmc-XXXXXX");
  }
  // mkdtemp creates the directory with mode 0700 and a unique random suffix, atomically.
  if (::mkdtemp(name_template.data()) == nullptr) {
    return absl::InternalError(
        absl::StrCat("cannot create a temp dir under ", root.string(), ": ", ErrnoMessage(errno)));
  }
  return InvocationTempDir(std::filesystem::path(std::move(name_template)));
}

InvocationTempDir::InvocationTempDir(InvocationTempDir&& other) noexcept
    : path_(std::move(other.path_)) {
  other.path_.clear();
}

InvocationTempDir& InvocationTempDir::operator=(InvocationTempDir&& other) noexcept {
  if (this != &other) {
    Remove().IgnoreError();
    path_ = std::move(other.path_);
    other.path_.clear();
  }
  return *this;
}

InvocationTempDir::~InvocationTempDir() { Remove().IgnoreError(); }

absl::Status InvocationTempDir::Remove(uint64_t* removed) {
  if (removed != nullptr) *removed = 0;
  if (path_.empty()) return absl::OkStatus();
  absl::Status status = RemoveTree(path_, removed);
  path_.clear();
  return status;
}

void LazyTempDir::Reset(std::optional<std::string_view> tenant_id) {
  MutexLock lock(&mu_);
  has_tenant_ = tenant_id.has_value();
  tenant_.assign(tenant_id.value_or(std::string_view()));
  dir_.reset();
  error_ = absl::OkStatus();
}

absl::StatusOr<const std::filesystem::path*> LazyTempDir::Get() {
  MutexLock lock(&mu_);
  if (dir_.has_value()) return &dir_->path();
  if (!error_.ok()) return error_;
  absl::StatusOr<InvocationTempDir> created = InvocationTempDir::Create(
      root_, has_tenant_ ? std::optional<std::string_view>(tenant_) : std::nullopt);
  if (!created.ok()) {
    error_ = created.status();
    return error_;
  }
  dir_.emplace(std::move(*created));
  return &dir_->path();
}

std::optional<std::filesystem::path> LazyTempDir::CreatedPath() {
  MutexLock lock(&mu_);
  if (!dir_.has_value()) return std::nullopt;
  return dir_->path();
}

absl::Status LazyTempDir::Remove(uint64_t* removed) {
  MutexLock lock(&mu_);
  if (removed != nullptr) *removed = 0;
  if (!dir_.has_value()) return absl::OkStatus();
  absl::Status status = dir_->Remove(removed);
  dir_.reset();
  return status;
}

}  // namespace lmc
