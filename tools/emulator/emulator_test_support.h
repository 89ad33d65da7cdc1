// File: tools/emulator/emulator_test_support.h
//
// What the Emulator's socket-level tests (emulator_*_test.cc) share: starting an emulator,
// connecting a raw HTTP client, the Runtime API paths, and checks of generated ids. Test-only.
//
// Example:
//
//   auto emulator = StartEmulator();
//   emulator->Enqueue(Event("{}"));
//   auto client = Connect(*emulator);
//   EXPECT_EQ(Ok(client->Get(kNext)).status, 200);
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tools/emulator/emulator.h"
#include "tools/emulator/internal/raw_http_client.h"

namespace lmc::emulator {

inline constexpr char kNext[] = "/2018-06-01/runtime/invocation/next";
inline constexpr absl::Duration kWait =
    absl::Seconds(10);  // generous bound for slow sanitizer builds

inline std::string ResponsePath(std::string_view id) {
  return "/2018-06-01/runtime/invocation/" + std::string(id) + "/response";
}
inline std::string ErrorPath(std::string_view id) {
  return "/2018-06-01/runtime/invocation/" + std::string(id) + "/error";
}

// Unwraps a StatusOr, recording a test failure (and returning an empty value) on error.
template <typename T>
T Ok(absl::StatusOr<T> value) {
  if (!value.ok()) {
    ADD_FAILURE() << value.status();
    return T{};
  }
  return *std::move(value);
}

inline std::unique_ptr<Emulator> StartEmulator(EmulatorOptions options = {}) {
  auto emulator = std::make_unique<Emulator>(std::move(options));
  const absl::Status started = emulator->Start();
  EXPECT_TRUE(started.ok()) << started;
  return emulator;
}

inline std::unique_ptr<internal::RawHttpClient> Connect(const Emulator& emulator) {
  auto client = std::make_unique<internal::RawHttpClient>();
  const absl::Status connected = client->Connect(emulator.port());
  EXPECT_TRUE(connected.ok()) << connected;
  return client;
}

inline std::string Header(const internal::RawHttpResponse& r, std::string_view name) {
  const std::string* value = r.FindHeader(name);
  return value == nullptr ? "<absent>" : *value;
}

// True when `s` is `n` lower-case hex digits.
inline bool IsHex(std::string_view s, size_t n) {
  return s.size() == n && s.find_first_not_of("0123456789abcdef") == std::string_view::npos;
}

// 8-4-4-4-12 lower-case hex, version nibble 4, variant 10xx.
inline bool IsUuid4(std::string_view s) {
  return s.size() == 36 && IsHex(s.substr(0, 8), 8) && s[8] == '-' && IsHex(s.substr(9, 4), 4) &&
         s[13] == '-' && s[14] == '4' && IsHex(s.substr(14, 4), 4) && s[18] == '-' &&
         std::string_view("89ab").find(s[19]) != std::string_view::npos &&
         IsHex(s.substr(19, 4), 4) && s[23] == '-' && IsHex(s.substr(24), 12);
}

// Root=1-<8hex>-<24hex>;Parent=<16hex>;Sampled=0
inline bool IsGeneratedTraceId(std::string_view s) {
  return s.size() == 74 && s.substr(0, 7) == "Root=1-" && IsHex(s.substr(7, 8), 8) &&
         s[15] == '-' && IsHex(s.substr(16, 24), 24) && s.substr(40, 8) == ";Parent=" &&
         IsHex(s.substr(48, 16), 16) && s.substr(64) == ";Sampled=0";
}

inline EventSpec Event(std::string body) {
  EventSpec e;
  e.body = std::move(body);
  return e;
}

}  // namespace lmc::emulator
