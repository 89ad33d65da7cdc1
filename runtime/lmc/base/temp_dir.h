// File: lmc/base/temp_dir.h
//
// Per-invocation scratch directories. /tmp is shared by every concurrent invocation in a Lambda
// Managed Instances environment, so each invocation gets a fresh directory of its own, created
// before its handler runs and removed afterwards whatever the handler did: threw, left files,
// made read-only subdirectories, or left symlinks pointing outside (which are removed, never
// followed).
//
// Directory names never contain unvalidated input: they are `lmc-XXXXXX` (mkdtemp's random
// suffix), or `lmc-t_<tenant>-XXXXXX` where <tenant> is the tenant id encoded by
// EncodeTenantForPath(), which keeps only [A-Za-z0-9-] and cannot produce '/', '.' or "..".
//
// Example:
//
//   absl::StatusOr<lmc::InvocationTempDir> dir =
//       lmc::InvocationTempDir::Create("/tmp", tenant_id);
//   RunHandler(dir->path());
//   dir->Remove();   // also done by the destructor
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "lmc/mutex.h"

namespace lmc {

// EncodeTenantForPath()
//
// Encodes a tenant id (1..256 arbitrary bytes) as a file-name fragment: ASCII letters, digits
// and '-' are kept, every other byte becomes `_XX` (upper-case hex). The encoding is injective.
// An encoding longer than 120 characters is cut to its first 100 and followed by `~` and a
// 64-bit FNV-1a hash of the whole id, so names stay far below NAME_MAX (255).
std::string EncodeTenantForPath(std::string_view tenant_id);

// RemoveTree()
//
// Removes `path` and everything below it without following symbolic links: a symlink is
// unlinked, never traversed, so nothing outside the tree is touched. Read-only directories are
// made writable (u+rwx) before they are emptied. Nesting deeper than a fixed number of open
// directory descriptors is handled by moving deep subtrees up, so depth never exhausts fds or
// stack. Returns OK if `path` no longer exists afterwards (also when it did not exist);
// otherwise the first error met, after removing everything else it could.
// `removed` (optional) receives the number of entries unlinked, `path` itself excluded.
absl::Status RemoveTree(const std::filesystem::path& path, uint64_t* removed = nullptr);

// InvocationTempDir
//
// Owns one scratch directory (mode 0700). Move-only; the destructor removes the directory
// unless Remove() already did. Not thread-safe: one invocation owns it.
class InvocationTempDir {
 public:
  // Creates a new unique directory under `root`, which must exist. `tenant_id` (when present,
  // even empty) scopes the name to the tenant.
  static absl::StatusOr<InvocationTempDir> Create(const std::filesystem::path& root,
                                                  std::optional<std::string_view> tenant_id);

  InvocationTempDir(InvocationTempDir&& other) noexcept;
  InvocationTempDir& operator=(InvocationTempDir&& other) noexcept;
  InvocationTempDir(const InvocationTempDir&) = delete;
  InvocationTempDir& operator=(const InvocationTempDir&) = delete;
  ~InvocationTempDir();

  // Empty once removed or moved from.
  const std::filesystem::path& path() const { return path_; }

  // Removes the directory and its content (see RemoveTree()). Idempotent.
  // `removed` (optional) receives the number of entries the handler left behind.
  absl::Status Remove(uint64_t* removed = nullptr);

 private:
  explicit InvocationTempDir(std::filesystem::path path) : path_(std::move(path)) {}

  std::filesystem::path path_;
};

// LazyTempDir
//
// The invocation's temp dir, created on first use. Making a directory and removing it costs
// 50-250 us of CPU on ext4 (journal, parent-directory lock), more than everything else the
// runtime does per invocation, and most handlers never touch /tmp. Since the only way a handler
// learns the path is to ask for it, creating the directory at the first request is
// indistinguishable, for the handler, from creating it before the handler starts; handlers that
// never ask pay nothing. Same guarantees as InvocationTempDir: fresh, private (0700), unique,
// tenant-scoped name, removed after the invocation.
//
// Reset() and Remove() are called by the owning poll loop between invocations; Get() may be
// called from any thread of the running invocation (it is thread-safe).
class LazyTempDir {
 public:
  // Directories are made under `root` (the loop's $TMPDIR, fixed for its lifetime).
  explicit LazyTempDir(std::filesystem::path root) : root_(std::move(root)) {}

  // Prepares for one invocation; creates nothing. `tenant_id` is copied.
  void Reset(std::optional<std::string_view> tenant_id);

  // Creates the directory on the first call; returns its path (the same on every call).
  absl::StatusOr<const std::filesystem::path*> Get();

  // The path if the directory has been created, without creating it.
  std::optional<std::filesystem::path> CreatedPath();

  // Removes the directory if it was created (see RemoveTree()). `removed` (optional) receives the
  // number of entries the handler left behind.
  absl::Status Remove(uint64_t* removed = nullptr);

 private:
  const std::filesystem::path root_;
  Mutex mu_;
  bool has_tenant_ ABSL_GUARDED_BY(mu_) = false;
  std::string tenant_ ABSL_GUARDED_BY(mu_);
  std::optional<InvocationTempDir> dir_ ABSL_GUARDED_BY(mu_);
  absl::Status error_ ABSL_GUARDED_BY(mu_);  // a failed creation is not retried
};

}  // namespace lmc
