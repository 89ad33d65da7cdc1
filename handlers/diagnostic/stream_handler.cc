#include "handlers/diagnostic/stream_handler.h"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::diagnostic {
namespace {

// Bounds that keep a diagnostic request from taking the host down. The total may pass the
// streamed-response limit on purpose, so the limit itself can be exercised.
constexpr int64_t kMaxChunks = 1000000;
constexpr int64_t kMaxChunkBytes = int64_t{256} << 20;
constexpr int64_t kMaxTotalBytes = int64_t{1} << 30;
constexpr int64_t kMaxDelayMs = int64_t{15} * 60 * 1000;

struct StreamFields {
  int64_t chunks = 0;
  int64_t bytes = 0;
  int64_t delay_ms = 0;
  std::optional<int64_t> fail_after;
  bool http = false;
};

std::optional<Error> ReadStreamFields(const Event& event, StreamFields& out) {
  simdjson::ondemand::document doc;
  simdjson::ondemand::object object;
  if (event.Json().get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(object) != simdjson::SUCCESS) {
    return InvalidEvent("the event must be a JSON object");
  }
  for (auto field : object) {
    std::string_view key;
    simdjson::ondemand::value value;
    if (field.unescaped_key().get(key) != simdjson::SUCCESS ||
        field.value().get(value) != simdjson::SUCCESS) {
      return InvalidEvent("the event is not valid JSON");
    }
    int64_t* slot = nullptr;
    int64_t fail_after = 0;
    if (key == "chunks") {
      slot = &out.chunks;
    } else if (key == "bytes") {
      slot = &out.bytes;
    } else if (key == "delay_ms") {
      slot = &out.delay_ms;
    } else if (key == "fail_after") {
      slot = &fail_after;
    } else if (key == "http") {
      if (value.get_bool().get(out.http) != simdjson::SUCCESS) {
        return InvalidEvent("\"http\" must be a boolean");
      }
      continue;
    } else {
      continue;  // unknown fields are ignored
    }
    if (value.get_int64().get(*slot) != simdjson::SUCCESS) {
      return InvalidEvent(absl::StrCat("\"", AsAbsl(key), "\" must be an integer"));
    }
    if (key == "fail_after") out.fail_after = fail_after;
  }
  const auto in_range = [](int64_t v, int64_t max) { return v >= 0 && v <= max; };
  if (!in_range(out.chunks, kMaxChunks)) {
    return InvalidEvent(absl::StrCat("\"chunks\" must be in 0..", kMaxChunks));
  }
  if (!in_range(out.bytes, kMaxChunkBytes)) {
    return InvalidEvent(absl::StrCat("\"bytes\" must be in 0..", kMaxChunkBytes));
  }
  if (out.chunks * out.bytes > kMaxTotalBytes) {
    return InvalidEvent(absl::StrCat("\"chunks\" * \"bytes\" must be at most ", kMaxTotalBytes));
  }
  if (!in_range(out.delay_ms, kMaxDelayMs)) {
    return InvalidEvent(absl::StrCat("\"delay_ms\" must be in 0..", kMaxDelayMs));
  }
  if (out.fail_after.has_value() && !in_range(*out.fail_after, out.chunks)) {
    return InvalidEvent("\"fail_after\" must be in 0..chunks");
  }
  return std::nullopt;
}

}  // namespace

Error InvalidEvent(std::string_view why) { return Error("InvalidEvent", std::string(why)); }

StreamResult Stream(const Event& event, const Context& context, ResponseStream& stream) {
  StreamFields f;
  if (std::optional<Error> error = ReadStreamFields(event, f)) return *error;
  if (f.http) {
    HttpStreamPrelude prelude;
    prelude.headers.emplace_back("Content-Type", "text/plain");
    if (absl::Status s = BeginHttpStream(stream, prelude); !s.ok()) return s;
  } else if (absl::Status s = stream.SetContentType(kDefaultStreamContentType); !s.ok()) {
    return s;
  }
  const int64_t send = f.fail_after.value_or(f.chunks);
  std::string chunk(static_cast<size_t>(f.bytes), '\0');
  const auto start = std::chrono::steady_clock::now();
  for (int64_t i = 0; i < send; ++i) {
    if (i > 0 && f.delay_ms > 0) {
      // A fixed schedule (chunk i at start + i * D), so slow writes do not stretch it; the wait
      // ends early when the invocation is cancelled.
      const auto due = start + std::chrono::milliseconds(i * f.delay_ms);
      const auto left = due - std::chrono::steady_clock::now();
      if (left > std::chrono::nanoseconds::zero() && context.WaitForCancellation(left)) {
        return Error("Diagnostic.StreamCancelled", absl::StrCat("cancelled after ", i, " chunks"));
      }
    }
    std::memset(chunk.data(), 'a' + static_cast<int>(i % 26), chunk.size());
    if (absl::Status s = stream.Write(chunk); !s.ok()) return s;
  }
  if (f.fail_after.has_value()) {
    return Error("Diagnostic.StreamFailed",
                 absl::StrCat("failed after ", *f.fail_after, " chunks"));
  }
  return {};
}

}  // namespace lmc::diagnostic
