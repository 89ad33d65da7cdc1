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
#include "lmc/base/log_sink.h"
#include "lmc/base/strings.h"
#include "lmc/json.h"

namespace lmc::diagnostic {
namespace {

// Bounds that keep a diagnostic request from taking the host down.
constexpr int64_t kMaxSleepMs = int64_t{15} * 60 * 1000;
constexpr int64_t kMaxFiles = 100000;
constexpr int64_t kMaxTotalFileBytes = int64_t{1} << 30;
constexpr int64_t kMaxLogLines = 1000000;
constexpr int64_t kMaxLogLineSize = 1 << 20;

Error InvalidEvent(std::string_view why) { return Error("InvalidEvent", std::string(why)); }

// The fields the diagnostic handlers read, gathered in one pass over the event object.
struct Fields {
  std::optional<int64_t> ms, files, bytes, lines, size;
  std::optional<bool> fail;
  std::optional<std::string> type, message, level;
};

// Parses `event` as a JSON object and reads the known fields. Unknown fields are ignored; a
// known field of the wrong type is an error.
std::optional<Error> ReadFields(const Event& event, Fields& out) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (event.Json().get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidEvent("the event must be a JSON object");
  }
  for (auto field : object) {
    std::string_view key;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS) {
      return InvalidEvent("the event is not valid JSON");
    }
    simdjson::ondemand::value value;
    if (field.value().get(value) != simdjson::SUCCESS) {
      return InvalidEvent("the event is not valid JSON");
    }
    const auto read_int = [&](std::optional<int64_t>& slot) -> std::optional<Error> {
      int64_t n = 0;
      if (value.get_int64().get(n) != simdjson::SUCCESS) {
        return InvalidEvent(absl::StrCat("\"", AsAbsl(key), "\" must be an integer"));
      }
      slot = n;
      return std::nullopt;
    };
    const auto read_string = [&](std::optional<std::string>& slot) -> std::optional<Error> {
      std::string_view s;
      if (value.get_string().get(s) != simdjson::SUCCESS) {
        return InvalidEvent(absl::StrCat("\"", AsAbsl(key), "\" must be a string"));
      }
      slot = std::string(s);
      return std::nullopt;
    };
    std::optional<Error> error;
    if (key == "ms") {
      error = read_int(out.ms);
    } else if (key == "files") {
      error = read_int(out.files);
    } else if (key == "bytes") {
      error = read_int(out.bytes);
    } else if (key == "lines") {
      error = read_int(out.lines);
    } else if (key == "size") {
      error = read_int(out.size);
    } else if (key == "type") {
      error = read_string(out.type);
    } else if (key == "message") {
      error = read_string(out.message);
    } else if (key == "level") {
      error = read_string(out.level);
    } else if (key == "fail") {
      bool b = false;
      if (value.get_bool().get(b) == simdjson::SUCCESS) {
        out.fail = b;
      } else {
        error = InvalidEvent("\"fail\" must be a boolean");
      }
    }
    if (error.has_value()) return error;
  }
  return std::nullopt;
}

// Checks that `value`, if present, lies in [0, max].
std::optional<Error> CheckRange(std::string_view name, const std::optional<int64_t>& value,
                                int64_t max) {
  if (value.has_value() && (*value < 0 || *value > max)) {
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
  Fields f;
  if (auto error = ReadFields(event, f)) return *error;
  if (!f.ms.has_value()) return InvalidEvent("\"ms\" is required");
  if (auto error = CheckRange("ms", f.ms, kMaxSleepMs)) return *error;
  std::this_thread::sleep_for(std::chrono::milliseconds(*f.ms));
  return Response::Json(absl::StrCat("{\"slept_ms\":", *f.ms, "}"));
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
  Fields f;
  if (auto error = ReadFields(event, f)) return *error;
  return Error(f.type.value_or("DiagnosticFailure"), f.message.value_or(""));
}

Result Tmp(const Event& event, const Context& context) {
  Fields f;
  if (auto error = ReadFields(event, f)) return *error;
  if (auto error = CheckRange("files", f.files, kMaxFiles)) return *error;
  if (auto error = CheckRange("bytes", f.bytes, kMaxTotalFileBytes)) return *error;
  if (auto error = CheckRange("ms", f.ms, kMaxSleepMs)) return *error;
  const int64_t files = f.files.value_or(0);
  const int64_t bytes = f.bytes.value_or(0);
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
  if (f.ms.value_or(0) > 0) std::this_thread::sleep_for(std::chrono::milliseconds(*f.ms));
  if (f.fail.value_or(false)) return Error("TmpFailed", context.tmp_dir().string());
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("tmp_dir").String(context.tmp_dir().string()).Key("files").BeginArray();
  for (const std::string& name : names) w.String(name);
  w.EndArray().EndObject();
  return Response::Json(std::move(out));
}

Result Log(const Event& event, const Context& context) {
  Fields f;
  if (auto error = ReadFields(event, f)) return *error;
  if (auto error = CheckRange("lines", f.lines, kMaxLogLines)) return *error;
  if (auto error = CheckRange("size", f.size, kMaxLogLineSize)) return *error;
  LogLevel level = LogLevel::kInfo;
  if (f.level.has_value()) {
    const std::optional<LogLevel> parsed = ParseLogLevel(*f.level);
    if (!parsed.has_value()) return InvalidEvent(absl::StrCat("unknown level \"", *f.level, "\""));
    level = *parsed;
  }
  const int64_t lines = f.lines.value_or(1);
  const size_t size = static_cast<size_t>(f.size.value_or(16));
  std::string message;
  for (int64_t i = 0; i < lines; ++i) {
    // "<i>:" then filler, cut to exactly `size` characters, so lines are distinguishable.
    message = absl::StrCat(i, ":");
    if (message.size() < size) message.append(size - message.size(), 'x');
    message.resize(size);
    context.logger().Log(level, message);
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
