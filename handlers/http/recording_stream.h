// File: handlers/http/recording_stream.h
//
// Test support: RecordingStream, an lmc::ResponseStream that keeps every write, so tests can
// check what a streamed answer would send (the prelude, then each body write) without a
// runtime. Header-only.
//
// Example:
//
//   lmc::http::RecordingStream stream;
//   router.HandleStream(event, context, stream);
//   EXPECT_EQ(stream.content_type, lmc::kHttpIntegrationContentType);
//   EXPECT_EQ(stream.Body(), "data: hi\n\n");
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "lmc/response_stream.h"

namespace lmc::http {

// RecordingStream
//
// Not thread-safe (like any ResponseStream).
class RecordingStream final : public lmc::ResponseStream {
 public:
  absl::Status SetContentType(std::string_view type) override {
    if (!writes.empty()) return absl::FailedPreconditionError("SetContentType() after Write()");
    content_type = std::string(type);
    return absl::OkStatus();
  }
  absl::Status Write(std::string_view bytes) override {
    if (bytes.empty()) return absl::OkStatus();
    writes.emplace_back(bytes);
    return absl::OkStatus();
  }
  uint64_t bytes_written() const override {
    uint64_t n = 0;
    for (const std::string& w : writes) n += w.size();
    return n;
  }

  // Everything written, concatenated.
  std::string All() const {
    std::string all;
    for (const std::string& w : writes) all += w;
    return all;
  }
  // What follows the prelude's 8 NUL bytes ("" when there is no prelude).
  std::string Body() const {
    const std::string all = All();
    const size_t nuls = all.find(std::string(8, '\0'));
    return nuls == std::string::npos ? "" : all.substr(nuls + 8);
  }
  // The prelude JSON ("" when there is none).
  std::string Prelude() const {
    const std::string all = All();
    const size_t nuls = all.find(std::string(8, '\0'));
    return nuls == std::string::npos ? "" : all.substr(0, nuls);
  }

  std::string content_type;
  std::vector<std::string> writes;
};

}  // namespace lmc::http
