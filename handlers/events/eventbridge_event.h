// File: handlers/events/eventbridge_event.h
//
// EventBridge events (a rule's target receives one event per invocation) and scheduled events
// (the same envelope with source "aws.events" and detail-type "Scheduled Event"). The `detail`
// object stays raw JSON (a view into the event) for the caller to parse with its own schema.
//
// Example:
//
//   absl::StatusOr<lmc::events::EventBridgeEvent> e = lmc::events::ParseEventBridgeEvent(event);
//   if (e.ok() && e->detail_type == "Order Placed") Ship(e->detail_json);
//
//   absl::StatusOr<lmc::events::EventBridgeEvent> tick = lmc::events::ParseScheduledEvent(event);
//   if (tick.ok()) RunNightlyJob(tick->time);
#pragma once

#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "lmc/event.h"

namespace lmc::events {

// EventBridgeEvent
struct EventBridgeEvent {
  std::string_view version;
  std::string_view id;
  std::string_view detail_type;  // "detail-type"
  std::string_view source;
  std::string_view account;
  std::string_view time;  // ISO 8601
  std::string_view region;
  std::vector<std::string_view> resources;  // e.g. the schedule rule's ARN
  std::string_view detail_json;             // raw JSON of "detail"; "" when absent

  // True for the events of a schedule rule (cron/rate expressions).
  bool IsScheduled() const;
};

// ParseEventBridgeEvent()
//
// Parses `event` in place (views valid until the next Event::Json() on this thread).
// InvalidArgument when it is not a JSON object with string "id", "source" and "detail-type"
// fields, or a known field has the wrong type.
absl::StatusOr<EventBridgeEvent> ParseEventBridgeEvent(const lmc::Event& event);

// ParseScheduledEvent()
//
// ParseEventBridgeEvent() that also requires IsScheduled().
absl::StatusOr<EventBridgeEvent> ParseScheduledEvent(const lmc::Event& event);

}  // namespace lmc::events
