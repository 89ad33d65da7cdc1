// File: tools/invoke/invoke_report.h
//
// What `lmc-invoke` reports after a run: the verdict (every event answered exactly once and the
// bootstrap ended cleanly) and two renderings of the same facts, a human summary and one JSON
// object (tools/README.md lists its fields). Pure functions of an InvokeReport, so both formats
// are unit-tested without a process or a socket.
//
// Example:
//
//   InvokeReport report;
//   report.handler = "echo";
//   report.events = 24;
//   report.stats = emulator.stats();
//   report.samples = emulator.records(3);
//   report.ending = child->Stop(absl::Seconds(5));
//   std::fputs((json ? FormatJsonReport(report) : FormatTextReport(report)).c_str(), stdout);
//   return report.ok() ? 0 : 1;
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "tools/emulator/emulator.h"
#include "tools/invoke/bootstrap_process.h"

namespace lmc::invoke {

// InvokeReport
//
// The facts of one run, gathered once the bootstrap has stopped.
struct InvokeReport {
  std::string handler;
  std::string bootstrap;                // the executable's path, as given
  std::optional<uint64_t> concurrency;  // as given to the bootstrap; nullopt: unset
  uint64_t events = 0;                  // events handed to the emulator
  emulator::Stats stats;
  std::vector<emulator::InvocationRecord> samples;  // the first few, in dispatch order
  std::vector<emulator::Answer> init_errors;
  BootstrapEnding ending;
  absl::Time spawned_at = absl::InfinitePast();
  // Why waiting ended early ("interrupted by a signal", "deadline of 5 s passed"); empty: every
  // event closed or the bootstrap exited.
  std::string stopped;

  uint64_t answered() const { return stats.responses + stats.errors; }
  uint64_t unanswered() const { return events > answered() ? events - answered() : 0; }
  // Every event answered exactly once, no answer for an unknown id, and a clean ending.
  bool ok() const;
};

// The human summary, several lines, each ending in '\n'.
std::string FormatTextReport(const InvokeReport& report);
// One JSON object and '\n'.
std::string FormatJsonReport(const InvokeReport& report);

// The last `max_lines` lines of `output` (the bootstrap's own words) under a heading:
// "bootstrap output (last N lines):\n" then "  | line\n" for each.
std::string OutputTail(std::string_view output, size_t max_lines);

}  // namespace lmc::invoke
