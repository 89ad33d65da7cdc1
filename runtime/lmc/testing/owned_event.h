// File: lmc/testing/owned_event.h
//
// OwnedEvent: an lmc::Event that owns its bytes and its parser, for unit tests of code that takes
// an Event (event parsers, helpers). The runtime's Event only borrows both, and handlers never
// build one; tests build them here (or run a whole handler with lmc/testing/handler_harness.h).
//
// Example (GoogleTest):
//
//   lmc::testing::OwnedEvent owned(R"({"name":"x"})");
//   absl::StatusOr<Greeting> greeting = lmc::ReadJson<Greeting>(owned.event());
#pragma once

#include <string>
#include <string_view>

#include "lmc/event.h"
#include "simdjson.h"

namespace lmc::testing {

// OwnedEvent
//
// Not copyable or movable (the Event points into it). Like the runtime's Event, not thread-safe:
// one thread parses it at a time.
class OwnedEvent {
 public:
  explicit OwnedEvent(std::string_view bytes, std::string content_type = "application/json");
  OwnedEvent(const OwnedEvent&) = delete;
  OwnedEvent& operator=(const OwnedEvent&) = delete;

  const Event& event() const { return event_; }

 private:
  simdjson::padded_string bytes_;
  std::string content_type_;
  simdjson::ondemand::parser parser_;
  Event event_;
};

}  // namespace lmc::testing
