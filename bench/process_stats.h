// File: bench/process_stats.h
//
// ReadProcessStats(): what the soak and the benchmarks watch in the bootstrap process, read from
// /proc: resident memory, threads, open file descriptors and CPU time.
//
// Example:
//
//   absl::StatusOr<ProcessStats> s = lmc::bench::ReadProcessStats(child.pid());
//   if (s.ok()) std::printf("rss %lld KiB, %d threads\n", s->rss_kb, s->threads);
#pragma once

#include <sys/types.h>

#include <cstdint>

#include "absl/status/statusor.h"

namespace lmc::bench {

// ProcessStats
struct ProcessStats {
  int64_t rss_kb = 0;       // VmRSS
  int64_t peak_rss_kb = 0;  // VmHWM
  int threads = 0;          // Threads
  int fds = 0;              // entries in /proc/<pid>/fd
  double user_s = 0;        // utime, seconds
  double system_s = 0;      // stime, seconds
};

// Reads the stats of process `pid`. NotFound when it has exited.
absl::StatusOr<ProcessStats> ReadProcessStats(pid_t pid);

}  // namespace lmc::bench
