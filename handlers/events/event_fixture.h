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

#include "lmc/testing/owned_event.h"

namespace lmc::events {

// OwnedEvent
//
// An Event that owns its bytes and parser: lmc/testing/owned_event.h (the runtime's Event has no
// public constructor).
using OwnedEvent = lmc::testing::OwnedEvent;

// ReadFixture()
//
// The contents of handlers/events/testdata/<name>; aborts the test binary (a broken checkout)
// when the file cannot be read.
std::string ReadFixture(std::string_view name);

}  // namespace lmc::events
