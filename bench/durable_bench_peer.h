// File: bench/durable_bench_peer.h
//
// RunPeer(): runs bench/durable_peer/durable_peer.mjs (the official JS SDK on the same workflow
// and event, see that file) once under Node.js and reads back what it measured. Each run is a
// fresh `node` process that warms up (JIT) on `warmup` untimed invocations before `reps` timed
// ones, so lmc-durable-bench can alternate lmc and JS rounds on a shared machine.
//
// Example:
//
//   lmc::bench::PeerCommand peer{"node", "build-release/bench/durable-peer/durable_peer.mjs"};
//   absl::StatusOr<lmc::bench::PeerResult> js = lmc::bench::RunPeer(peer, "/tmp/event.json", 0,
//                                                                    200, 100);
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace lmc::bench {

// How to run the peer: the node executable and the harness script (npm ci'd beside it).
struct PeerCommand {
  std::string node = "node";
  std::string script;
};

// What one invocation of the peer did (its counters) and what it measured.
struct PeerDid {
  int64_t bodies = 0;
  int64_t checkpoints = 0;
  int64_t updates = 0;
  int64_t pages = 0;
};
struct PeerResult {
  std::string sdk;
  std::string version;
  std::string node;
  int64_t warmup = 0;
  int64_t reps = 0;
  int64_t event_bytes = 0;
  int64_t ids_checked = 0;  // top-level ids of the log the peer checked against its own scheme
  std::string answer;
  PeerDid did;
  std::vector<double> wall_us;
  std::vector<double> cpu_us;
  std::vector<double> faults;  // minor page faults of the node process
};

// Runs the peer on the event in `event_file` (whole log; `event_ops` > 0: that many operations
// in the event, the rest paged). Fails when node fails, or prints something unreadable.
absl::StatusOr<PeerResult> RunPeer(const PeerCommand& peer, const std::string& event_file,
                                   int64_t event_ops, int warmup, int reps);

}  // namespace lmc::bench
