#include "handlers/diagnostic/diagnostic_handlers.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "handlers/diagnostic/stream_handler.h"
#include "lmc/json.h"
#include "lmc/json_reader.h"
#include "lmc/strings.h"

namespace lmc::diagnostic {
namespace {

// Bounds that keep a diagnostic request from taking the host down.
constexpr int64_t kMaxSleepMs = int64_t{15} * 60 * 1000;
constexpr int64_t kMaxFiles = 100000;
constexpr int64_t kMaxTotalFileBytes = int64_t{1} << 30;
constexpr int64_t kMaxLogLines = 1000000;
constexpr int64_t kMaxLogLineSize = 1 << 20;

// What each handler reads from its event (see diagnostic_handlers.h). Fields a handler does not
// describe are ignored; a described field of the wrong type is an InvalidEvent naming it.
struct SleepRequest {
  int64_t ms = 0;
};
void DescribeJson(JsonFields& fields, SleepRequest& r) { fields.Required("ms", r.ms); }

struct FailRequest {
  std::string type = "DiagnosticFailure";
  std::string message;
};
void DescribeJson(JsonFields& fields, FailRequest& r) {
  fields.Optional("type", r.type);
  fields.Optional("message", r.message);
}

struct TmpRequest {
  int64_t files = 0;
  int64_t bytes = 0;
  int64_t ms = 0;
  bool fail = false;
};
void DescribeJson(JsonFields& fields, TmpRequest& r) {
  fields.Optional("files", r.files);
  fields.Optional("bytes", r.bytes);
  fields.Optional("ms", r.ms);
  fields.Optional("fail", r.fail);
}

struct LogRequest {
  int64_t lines = 1;
  int64_t size = 16;
  std::string level = "INFO";
};
void DescribeJson(JsonFields& fields, LogRequest& r) {
  fields.Optional("lines", r.lines);
  fields.Optional("size", r.size);
  fields.Optional("level", r.level);
}

// Reads the event into `request`; a problem becomes an InvalidEvent error naming the field.
template <typename Request>
std::optional<Error> Read(const Event& event, Request& request) {
  const absl::Status status = ReadJson(event, request);
  if (status.ok()) return std::nullopt;
  return InvalidEvent(AsStd(status.message()));
}

// Checks that `value` lies in [0, max].
std::optional<Error> CheckRange(std::string_view name, int64_t value, int64_t max) {
  if (value < 0 || value > max) {
    return InvalidEvent(absl::StrCat("\"", AsAbsl(name), "\" must be in 0..", max));
  }
  return std::nullopt;
}

// Writes `raw` as a JSON value if it is valid JSON, `null` otherwise (absent or garbled).
void WriteParsedOrNull(JsonWriter& w, std::string_view raw) {
  if (raw.empty()) {
    w.Null();
    return;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element element;
  const simdjson::padded_string padded(raw);
  if (parser.parse(padded).get(element) != simdjson::SUCCESS) {
    w.Null();
    return;
  }
  // simdjson validated it (UTF-8 included): re-serialize the parsed element.
  w.Raw(simdjson::to_string(element));
}

absl::Status WriteFileOfSize(const std::string& path, int64_t bytes) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return absl::InternalError(absl::StrCat("open ", path, ": ", ErrnoMessage(errno)));
  static constexpr size_t kChunk = size_t{64} * 1024;
  const std::string chunk(kChunk, 'x');
  int64_t left = bytes;
  absl::Status status;
  while (left > 0) {
    const size_t n = static_cast<size_t>(std::min<int64_t>(left, kChunk));
    const ssize_t written = ::write(fd, chunk.data(), n);
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) {
      status = absl::InternalError(absl::StrCat("write ", path, ": ", ErrnoMessage(errno)));
      break;
    }
    left -= written;
  }
  ::close(fd);
  return status;
}

}  // namespace

Result Echo(const Event& event, const Context& /*context*/) {
  // Borrowed: the body is sent straight from the event buffer, no copy.
  return Response::Borrowed(event.bytes(), event.content_type());
}

Result Sleep(const Event& event, const Context& /*context*/) {
  SleepRequest r;
  if (auto error = Read(event, r)) return *error;
  if (auto error = CheckRange("ms", r.ms, kMaxSleepMs)) return *error;
  std::this_thread::sleep_for(std::chrono::milliseconds(r.ms));
  return Response::Json(absl::StrCat("{\"slept_ms\":", r.ms, "}"));
}

Result ContextInfo(const Event& /*event*/, const Context& context) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject();
  w.Key("request_id").String(context.request_id());
  w.Key("tenant_id");
  if (context.tenant_id().has_value()) {
    w.String(*context.tenant_id());
  } else {
    w.Null();
  }
  w.Key("trace_id").String(context.trace_id());
  w.Key("function_arn").String(context.function_arn());
  w.Key("deadline_ms")
      .Int(std::chrono::duration_cast<std::chrono::milliseconds>(
               context.deadline().time_since_epoch())
               .count());
  w.Key("client_context");
  WriteParsedOrNull(w, context.client_context());
  w.Key("cognito_identity");
  WriteParsedOrNull(w, context.cognito_identity());
  w.Key("tmp_dir").String(context.tmp_dir().string());
  w.EndObject();
  return Response::Json(std::move(out));
}

Result Fail(const Event& event, const Context& /*context*/) {
  FailRequest r;
  if (auto error = Read(event, r)) return *error;
  return Error(std::move(r.type), std::move(r.message));
}

Result Tmp(const Event& event, const Context& context) {
  TmpRequest r;
  if (auto error = Read(event, r)) return *error;
  if (auto error = CheckRange("files", r.files, kMaxFiles)) return *error;
  if (auto error = CheckRange("bytes", r.bytes, kMaxTotalFileBytes)) return *error;
  if (auto error = CheckRange("ms", r.ms, kMaxSleepMs)) return *error;
  const int64_t files = r.files;
  const int64_t bytes = r.bytes;
  if (files > 0 && bytes > kMaxTotalFileBytes / files) {
    return InvalidEvent(absl::StrCat("files * bytes must not exceed ", kMaxTotalFileBytes));
  }
  std::vector<std::string> names;
  names.reserve(static_cast<size_t>(files));
  for (int64_t i = 0; i < files; ++i) {
    names.push_back(absl::StrCat("file-", i));
    const std::string path = (context.tmp_dir() / names.back()).string();
    if (absl::Status status = WriteFileOfSize(path, bytes); !status.ok()) {
      return Error("TmpWriteFailed", status.ToString());
    }
  }
  if (r.ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(r.ms));
  if (r.fail) return Error("TmpFailed", context.tmp_dir().string());
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("tmp_dir").String(context.tmp_dir().string()).Key("files").BeginArray();
  for (const std::string& name : names) w.String(name);
  w.EndArray().EndObject();
  return Response::Json(std::move(out));
}

Result Log(const Event& event, const Context& context) {
  LogRequest r;
  if (auto error = Read(event, r)) return *error;
  if (auto error = CheckRange("lines", r.lines, kMaxLogLines)) return *error;
  if (auto error = CheckRange("size", r.size, kMaxLogLineSize)) return *error;
  const std::optional<LogLevel> level = ParseLogLevel(r.level);
  if (!level.has_value()) return InvalidEvent(absl::StrCat("unknown level \"", r.level, "\""));
  const int64_t lines = r.lines;
  const size_t size = static_cast<size_t>(r.size);
  std::string message;
  for (int64_t i = 0; i < lines; ++i) {
    // "<i>:" then filler, cut to exactly `size` characters, so lines are distinguishable.
    message = absl::StrCat(i, ":");
    if (message.size() < size) message.append(size - message.size(), 'x');
    message.resize(size);
    context.logger().Log(*level, message);
  }
  return Response::Json(absl::StrCat("{\"logged\":", lines, "}"));
}

absl::Status RegisterAll(HandlerRegistry& registry) {
  const std::pair<const char*, Result (*)(const Event&, const Context&)> kHandlers[] = {
      {"echo", &Echo}, {"sleep", &Sleep}, {"context", &ContextInfo},
      {"fail", &Fail}, {"tmp", &Tmp},     {"log", &Log},
  };
  for (const auto& [name, fn] : kHandlers) {
    if (absl::Status status = registry.Register(name, fn); !status.ok()) return status;
  }
  return registry.Register("stream", StreamingHandler(&Stream));
}

}  // namespace lmc::diagnostic
