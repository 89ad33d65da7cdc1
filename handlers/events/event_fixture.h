// File: handlers/events/event_fixture.h
//
// Test support for handlers built on handlers/events: an lmc::Event that owns its bytes and its
// parser (the runtime's Event only borrows both), and the fixture events in
// handlers/events/testdata/, written from the documented shapes of each event source.
//
// Example (GoogleTest):
//
//   lmc::events::OwnedEvent sqs(lmc::events::ReadFixture("sqs.json"));
//   absl::StatusOr<lmc::events::SqsEvent> batch = lmc::events::ParseSqsEvent(sqs.event());
#pragma once

#include <string>
#include <string_view>

#include "lmc/event.h"
#include "simdjson.h"

namespace lmc::events {

// OwnedEvent
//
// Not copyable or movable (the Event points into it). Like the runtime's Event, not
// thread-safe: one thread parses it at a time.
class OwnedEvent {
 public:
  explicit OwnedEvent(std::string_view bytes, std::string content_type = "application/json")
      : bytes_(bytes),
        content_type_(std::move(content_type)),
        event_(std::string_view(bytes_.data(), bytes_.size()),
               bytes_.size() + simdjson::SIMDJSON_PADDING, content_type_, &parser_) {}
  OwnedEvent(const OwnedEvent&) = delete;
  OwnedEvent& operator=(const OwnedEvent&) = delete;

  const lmc::Event& event() const { return event_; }

 private:
  simdjson::padded_string bytes_;
  std::string content_type_;
  simdjson::ondemand::parser parser_;
  lmc::Event event_;
};

// ReadFixture()
//
// The contents of handlers/events/testdata/<name>; aborts the test binary (a broken checkout)
// when the file cannot be read.
std::string ReadFixture(std::string_view name);

}  // namespace lmc::events
