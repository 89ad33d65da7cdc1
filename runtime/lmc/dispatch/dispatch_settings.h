// File: lmc/dispatch/dispatch_settings.h
//
// DispatchSettings: what every poll loop of a process shares (the handler, log sink, clock,
// function metadata, retry and grace policies). Run() fills one from the configuration; tests
// fill one by hand.
//
// Example:
//
//   lmc::DispatchSettings settings;
//   settings.handler = &handler;
//   settings.sink = &sink;
//   lmc::LoopSupervisor supervisor(settings, capacity, make_client);
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>

#include "lmc/base/backoff.h"
#include "lmc/base/log_sink.h"
#include "lmc/clock.h"
#include "lmc/context.h"
#include "lmc/handler.h"
#include "lmc/response_stream.h"

namespace lmc {

// DispatchSettings
//
// A plain value. Read-only while loops run; the pointees must outlive every loop.
struct DispatchSettings {
  const Handler* handler = nullptr;
  // When set, used instead of `handler`: the answer is streamed (lmc/dispatch/stream_answer.h).
  const StreamingHandler* streaming_handler = nullptr;
  const LogSink* sink = nullptr;
  const Clock* clock = &Clock::Real();
  FunctionInfo function;
  std::filesystem::path tmp_root = "/tmp";

  // Backoff between failed /next calls (and failed POST attempts).
  std::chrono::milliseconds backoff_initial{10};
  std::chrono::milliseconds backoff_max{1000};
  // Returns uniformly random 64-bit values for jitter; empty: Backoff::DefaultRandom().
  Backoff::RandomFn random;
  // Consecutive 500 replies to /next after which the runtime gives up (documented as fatal).
  int max_consecutive_fatal = 5;
  // Attempts at delivering one answer when POSTs fail transiently.
  int max_post_attempts = 6;
  // How long after its deadline an answer is still worth trying to deliver.
  std::chrono::milliseconds post_grace{30000};
  // Event buffers larger than this are released after use (a 6 MB event must not pin 6 MB per
  // loop for the rest of a 14-day lifetime).
  size_t retained_event_bytes = 1 << 20;
};

}  // namespace lmc
