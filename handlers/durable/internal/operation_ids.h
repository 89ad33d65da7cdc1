// File: handlers/durable/internal/operation_ids.h
//
// Deterministic operation ids, derived exactly as the official JavaScript SDK derives them
// (PROTOCOL.md §7), so a log written by lmc replays under the JS SDK and the other way round:
// an operation's step id is its 1-based position in its context ("3"), prefixed by its parent's
// step id inside a child context ("3-1-2"); its wire Id is the first 16 lower-case hex digits of
// the MD5 of the step id. MD5 is used as a fingerprint here, not for security; no library this
// code may link exposes one (libcurl keeps its own internal), so it is implemented here
// (RFC 1321, checked against the RFC's test suite).
//
// Example:
//
//   std::string step_id = lmc::durable::internal::StepId("3", 2);   // "3-2"
//   std::string id = lmc::durable::internal::HashId(step_id);      // 16 hex digits
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace lmc::durable::internal {

// The 16-byte MD5 digest of `bytes` (RFC 1321). Thread-safe (pure).
std::array<uint8_t, 16> Md5(std::string_view bytes);

// The digest as 32 lower-case hex digits.
std::string Md5Hex(std::string_view bytes);

// The step id of the `position`-th operation (1-based) of the context whose step id is
// `prefix` ("" for the top level). Thread-safe (pure).
std::string StepId(std::string_view prefix, int position);

// The wire Id of a step id: its MD5's first 16 hex digits. Thread-safe (pure).
std::string HashId(std::string_view step_id);

}  // namespace lmc::durable::internal
