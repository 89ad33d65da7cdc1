// File: lmc/event.h
//
// Event: the bytes of one invocation's event, exactly as the Runtime API delivered them, and a
// zero-copy way to parse them as JSON with simdjson's on-demand API. The bytes sit in a buffer
// with simdjson's padding already in place, so parsing needs no copy.
//
// Example:
//
//   lmc::Result Handle(const lmc::Event& event, const lmc::Context&) {
//     simdjson::ondemand::document doc;
//     if (event.Json().get(doc) != simdjson::SUCCESS) {
//       return lmc::Error("InvalidEvent", "the event is not JSON");
//     }
//     int64_t ms = 0;
//     if (doc["ms"].get_int64().get(ms) != simdjson::SUCCESS) ms = 0;
//     ...
//   }
#pragma once

#include <cstddef>
#include <string_view>

#include "simdjson.h"

namespace lmc {
namespace internal {
class SurfaceAccess;
}  // namespace internal

// Event
//
// A view: valid only during the handler call that received it (the buffer is reused for the
// next event). Copy bytes() into a std::string to keep them. Not thread-safe: Json() uses the
// poll loop's parser, so call it from the handler's thread, one document at a time. Created only
// by the runtime and by the testing harness (lmc/testing/handler_harness.h).
class Event {
 public:
  // The event exactly as received (binary-safe).
  std::string_view bytes() const { return bytes_; }
  size_t size() const { return bytes_.size(); }
  // The Content-Type the Runtime API sent ("application/json" for ordinary invokes); may be "".
  std::string_view content_type() const { return content_type_; }

  // Starts parsing the event as JSON, in place. The document stays valid until the next Json()
  // call on any Event of the same invocation thread, and never beyond the handler call.
  simdjson::simdjson_result<simdjson::ondemand::document> Json() const {
    return parser_->iterate(padded());
  }

  // The bytes as a simdjson padded view, for callers that bring their own parser.
  simdjson::padded_string_view padded() const {
    return simdjson::padded_string_view(bytes_.data(), bytes_.size(), padded_size_);
  }

 private:
  friend class internal::SurfaceAccess;

  // `bytes` must be followed by at least simdjson::SIMDJSON_PADDING readable bytes, which
  // `padded_size` (>= bytes.size() + padding) vouches for. `parser` must outlive the Event.
  Event(std::string_view bytes, size_t padded_size, std::string_view content_type,
        simdjson::ondemand::parser* parser)
      : bytes_(bytes), padded_size_(padded_size), content_type_(content_type), parser_(parser) {}

  std::string_view bytes_;
  size_t padded_size_;
  std::string_view content_type_;
  simdjson::ondemand::parser* parser_;
};

}  // namespace lmc
