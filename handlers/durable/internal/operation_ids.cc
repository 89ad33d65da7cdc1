#include "handlers/durable/internal/operation_ids.h"

#include <array>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

namespace lmc::durable::internal {
namespace {

// Per-round shift amounts and the sine-derived constants of RFC 1321, section 3.4.
constexpr std::array<uint32_t, 64> kShifts = {
    7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 7,  12, 17, 22, 5,  9,  14, 20, 5,  9,
    14, 20, 5,  9,  14, 20, 5,  9,  14, 20, 4,  11, 16, 23, 4,  11, 16, 23, 4,  11, 16, 23,
    4,  11, 16, 23, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21, 6,  10, 15, 21};
constexpr std::array<uint32_t, 64> kSines = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

uint32_t RotateLeft(uint32_t x, uint32_t n) { return (x << n) | (x >> (32 - n)); }

// The 16 steps of round `kRound` (0-3), each with the round's own mixing function and message
// word order, so that each round is a loop the compiler unrolls without a branch per step (the
// replay computes one id per logged operation: this is a tenth of its CPU).
template <int kRound>
void Round(uint32_t& a, uint32_t& b, uint32_t& c, uint32_t& d, const std::array<uint32_t, 16>& m) {
#pragma GCC unroll 16
  for (uint32_t j = 0; j < 16; ++j) {
    const uint32_t i = kRound * 16 + j;
    uint32_t f = 0;
    uint32_t g = 0;
    if constexpr (kRound == 0) {
      f = (b & c) | (~b & d);
      g = j;
    } else if constexpr (kRound == 1) {
      f = (d & b) | (~d & c);
      g = (5 * j + 1) % 16;
    } else if constexpr (kRound == 2) {
      f = b ^ c ^ d;
      g = (3 * j + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * j) % 16;
    }
    const uint32_t next_d = c;
    c = b;
    b = b + RotateLeft(a + f + kSines[i] + m[g], kShifts[i]);
    a = d;
    d = next_d;
  }
}

// Mixes one 64-byte block into the state `h`.
void Transform(std::array<uint32_t, 4>& h, const uint8_t* block) {
  std::array<uint32_t, 16> m{};
  for (size_t i = 0; i < 16; ++i) {
    m[i] = static_cast<uint32_t>(block[i * 4]) | static_cast<uint32_t>(block[i * 4 + 1]) << 8 |
           static_cast<uint32_t>(block[i * 4 + 2]) << 16 |
           static_cast<uint32_t>(block[i * 4 + 3]) << 24;
  }
  uint32_t a = h[0], b = h[1], c = h[2], d = h[3];
  Round<0>(a, b, c, d, m);
  Round<1>(a, b, c, d, m);
  Round<2>(a, b, c, d, m);
  Round<3>(a, b, c, d, m);
  h[0] += a;
  h[1] += b;
  h[2] += c;
  h[3] += d;
}

constexpr char kHex[] = "0123456789abcdef";

}  // namespace

std::array<uint8_t, 16> Md5(std::string_view bytes) {
  std::array<uint32_t, 4> h = {0x67452301, 0xefcdab89, 0x98badcfe, 0x10325476};
  const auto* data = reinterpret_cast<const uint8_t*>(bytes.data());
  size_t full = bytes.size() / 64;
  for (size_t i = 0; i < full; ++i) Transform(h, data + i * 64);
  // The tail, the 0x80 marker, zero padding and the bit length fill one or two last blocks.
  std::array<uint8_t, 128> tail{};
  const size_t rest = bytes.size() % 64;
  if (rest > 0) std::memcpy(tail.data(), data + full * 64, rest);
  tail[rest] = 0x80;
  const size_t tail_size = rest < 56 ? 64 : 128;
  const uint64_t bits = static_cast<uint64_t>(bytes.size()) * 8;
  for (size_t i = 0; i < 8; ++i) tail[tail_size - 8 + i] = static_cast<uint8_t>(bits >> (8 * i));
  for (size_t off = 0; off < tail_size; off += 64) Transform(h, tail.data() + off);
  std::array<uint8_t, 16> digest{};
  for (size_t i = 0; i < 4; ++i) {
    for (size_t j = 0; j < 4; ++j) digest[i * 4 + j] = static_cast<uint8_t>(h[i] >> (8 * j));
  }
  return digest;
}

namespace {

// The first `bytes` bytes of the MD5 of `text`, in lower-case hex.
std::string Md5HexPrefix(std::string_view text, size_t bytes) {
  const std::array<uint8_t, 16> digest = Md5(text);
  std::string hex(2 * bytes, '0');
  for (size_t i = 0; i < bytes; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

}  // namespace

std::string Md5Hex(std::string_view bytes) { return Md5HexPrefix(bytes, 16); }

std::string StepId(std::string_view prefix, int position) {
  if (prefix.empty()) return absl::StrCat(position);
  return absl::StrCat(AsAbsl(prefix), "-", position);
}

std::string HashId(std::string_view step_id) { return Md5HexPrefix(step_id, 8); }

}  // namespace lmc::durable::internal
