// File: lmc/internal/surface_access.h (private: not part of the user surface)
//
// SurfaceAccess: the one way to create the user-facing objects whose constructors are private
// (Context, Event, Logger). Only the runtime (dispatch, Run()) and the testing harness include
// this header; handlers receive these objects and never build them, so their public headers need
// no internal type.
//
// Example (what a poll loop does for each invocation):
//
//   const lmc::internal::InvocationFields fields{...};
//   const lmc::Context context = lmc::internal::SurfaceAccess::MakeContext(
//       fields, tmp_dir, sink, function, clock, &cancellation);
//   const lmc::Event event = lmc::internal::SurfaceAccess::MakeEvent(
//       bytes, padded_size, content_type, &parser);
#pragma once

#include <cstddef>
#include <string_view>

#include "lmc/base/log_sink.h"
#include "lmc/base/temp_dir.h"
#include "lmc/clock.h"
#include "lmc/context.h"
#include "lmc/event.h"
#include "lmc/internal/cancellation.h"
#include "lmc/logger.h"

namespace lmc::internal {

// SurfaceAccess
//
// Stateless; every function is thread-safe. The created objects borrow every argument (nothing
// is copied or owned): each must outlive what is built from it.
class SurfaceAccess {
 public:
  // A Context for one invocation. `tmp_dir` must have been Reset() for it; `cancellation` may be
  // null (never cancelled).
  static Context MakeContext(const InvocationFields& fields, LazyTempDir& tmp_dir,
                             const LogSink& sink, const FunctionInfo& function, const Clock& clock,
                             const Cancellation* cancellation = nullptr) {
    return Context(fields, tmp_dir, MakeLogger(sink, fields), function, clock, cancellation);
  }

  // An Event over `bytes`, which must be followed by at least simdjson::SIMDJSON_PADDING
  // readable bytes (`padded_size` >= bytes.size() + padding).
  static Event MakeEvent(std::string_view bytes, size_t padded_size, std::string_view content_type,
                         simdjson::ondemand::parser* parser) {
    return Event(bytes, padded_size, content_type, parser);
  }

  // A Logger whose lines carry no invocation fields (init hooks, the runtime itself).
  static Logger MakeLogger(const LogSink& sink) { return Logger(sink, {}, std::nullopt, {}); }

  // A Logger bound to one invocation's ids.
  static Logger MakeLogger(const LogSink& sink, const InvocationFields& fields) {
    return Logger(sink, fields.request_id, fields.tenant_id, fields.trace_id);
  }
};

}  // namespace lmc::internal
