#include "lmc/testing/handler_harness.h"

#include "lmc/base/padded_buffer.h"
#include "lmc/base/temp_dir.h"
#include "lmc/event.h"
#include "lmc/internal/call_handler.h"
#include "lmc/internal/surface_access.h"
#include "lmc/testing/log_capture.h"

namespace lmc::testing {

// The one reader of LogCapture's sink (a friend of LogCapture).
class CaptureAccess {
 public:
  static const LogSink& Sink(const LogCapture& capture) { return *capture.sink_; }
};

Outcome Invoke(const Handler& handler, const Invocation& invocation) {
  Outcome outcome;
  const Clock& clock = invocation.clock != nullptr ? *invocation.clock : Clock::Real();
  const LogCapture capture(invocation.log_level, invocation.log_format, clock);
  {
    const LogSink& sink = CaptureAccess::Sink(capture);
    const std::filesystem::path root =
        invocation.tmp_root.empty() ? std::filesystem::temp_directory_path() : invocation.tmp_root;
    const std::optional<std::string_view> tenant =
        invocation.tenant_id.has_value() ? std::optional<std::string_view>(*invocation.tenant_id)
                                         : std::nullopt;
    LazyTempDir dir(root);
    dir.Reset(tenant);
    PaddedBuffer buffer;
    buffer.Append(invocation.event.data(), invocation.event.size());
    simdjson::ondemand::parser parser;
    const internal::InvocationFields fields{invocation.request_id,
                                            invocation.invocation_id,
                                            invocation.function_arn,
                                            invocation.trace_id,
                                            invocation.client_context,
                                            invocation.cognito_identity,
                                            tenant,
                                            clock.Now() + invocation.timeout};
    const Context context = internal::SurfaceAccess::MakeContext(
        fields, dir, sink, invocation.function, clock, invocation.cancellation);
    const Event event = internal::SurfaceAccess::MakeEvent(
        buffer.view(), buffer.capacity() + PaddedBuffer::kPadding, invocation.content_type,
        &parser);
    outcome.result = internal::CallHandler(handler, event, context);
    if (outcome.result.ok()) outcome.body = std::string(outcome.result.response().body());
    // The path, if the handler asked for one (the directory is created on first use).
    outcome.tmp_dir = dir.CreatedPath().value_or(std::filesystem::path());
    dir.Remove().IgnoreError();
    outcome.tmp_dir_removed =
        !std::filesystem::exists(std::filesystem::symlink_status(outcome.tmp_dir));
  }
  outcome.logs = capture.Lines();
  return outcome;
}

}  // namespace lmc::testing
