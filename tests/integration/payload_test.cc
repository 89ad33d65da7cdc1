// Payloads: large and binary events round-trip byte-exact.
#include <random>

#include "tests/support/bootstrap_fixture.h"

namespace lmc::integration {
namespace {

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::string out(n, '\0');
  for (char& c : out) c = static_cast<char>(gen() & 0xFF);
  return out;
}

TEST_F(BootstrapTest, SixMegabytePayloadRoundTripsByteExact) {
  StartEmulator();
  emulator::EventSpec event;
  event.body = RandomBytes(6 * 1024 * 1024, 42);
  event.content_type = "application/octet-stream";
  event.request_id = "req-6mb";
  emulator().Enqueue(event);
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForClosed(1, kWait));
  const auto record = emulator().record("req-6mb");
  ASSERT_EQ(record->answers.size(), 1u);
  EXPECT_EQ(record->answers[0].status_returned, 202);
  EXPECT_EQ(record->answers[0].content_type, "application/octet-stream");
  EXPECT_EQ(record->answers[0].body.size(), event.body.size());
  EXPECT_TRUE(record->answers[0].body == event.body) << "bytes differ";
  EXPECT_EQ(Terminate().code, 0);
}

TEST_F(BootstrapTest, ManyPayloadSizesRoundTripOnOneConnection) {
  StartEmulator();
  const std::vector<size_t> sizes = {0, 1, 63, 64, 65, 4095, 16384, 100000, 1 << 20, 3 << 20, 7};
  for (size_t i = 0; i < sizes.size(); ++i) {
    emulator::EventSpec event;
    event.body = RandomBytes(sizes[i], static_cast<uint32_t>(i));
    event.content_type = "application/x-test";
    event.request_id = RequestIdFor("size", static_cast<int>(i));
    emulator().Enqueue(event);
  }
  StartBootstrap("echo");
  ASSERT_TRUE(emulator().WaitForClosed(sizes.size(), kWait));
  for (size_t i = 0; i < sizes.size(); ++i) {
    const auto record = emulator().record(RequestIdFor("size", static_cast<int>(i)));
    ASSERT_EQ(record->answers.size(), 1u);
    EXPECT_EQ(record->answers[0].body, record->event_body) << "size " << sizes[i];
  }
  EXPECT_EQ(Terminate().code, 0);
}

}  // namespace
}  // namespace lmc::integration
