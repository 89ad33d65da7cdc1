#include "bench/process_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>

#include "absl/strings/str_cat.h"

namespace lmc::bench {

absl::StatusOr<ProcessStats> ReadProcessStats(pid_t pid) {
  ProcessStats stats;
  std::ifstream status(absl::StrCat("/proc/", pid, "/status"));
  if (!status) return absl::NotFoundError(absl::StrCat("no process ", pid));
  std::string line;
  while (std::getline(status, line)) {
    long long value = 0;
    if (std::sscanf(line.c_str(), "VmRSS: %lld kB", &value) == 1) stats.rss_kb = value;
    if (std::sscanf(line.c_str(), "VmHWM: %lld kB", &value) == 1) stats.peak_rss_kb = value;
    if (std::sscanf(line.c_str(), "Threads: %lld", &value) == 1) {
      stats.threads = static_cast<int>(value);
    }
  }
  // /proc/<pid>/stat: fields 14 and 15 are utime and stime in clock ticks; the command name
  // (field 2) may contain spaces, so parse after its closing parenthesis.
  std::ifstream stat_file(absl::StrCat("/proc/", pid, "/stat"));
  std::string stat_line;
  std::getline(stat_file, stat_line);
  const size_t paren = stat_line.rfind(')');
  if (paren != std::string::npos) {
    std::istringstream fields(stat_line.substr(paren + 2));
    std::string skip;
    for (int i = 3; i <= 13; ++i) fields >> skip;
    long long utime = 0, stime = 0;
    fields >> utime >> stime;
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    stats.user_s = static_cast<double>(utime) / ticks;
    stats.system_s = static_cast<double>(stime) / ticks;
  }
  const std::string fd_dir = absl::StrCat("/proc/", pid, "/fd");
  if (DIR* dir = ::opendir(fd_dir.c_str())) {
    while (dirent* entry = ::readdir(dir)) {
      if (entry->d_name[0] != '.') ++stats.fds;
    }
    ::closedir(dir);
  }
  return stats;
}

}  // namespace lmc::bench
