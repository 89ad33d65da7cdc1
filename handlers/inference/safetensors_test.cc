#include "handlers/inference/safetensors.h"

#include <unistd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "handlers/inference/safetensors_writer.h"
#include "handlers/inference/tensor.h"

namespace lmc::inference {
namespace {

using ::testing::HasSubstr;

// A file with `header` as its JSON header and `data_size` zero bytes of data.
std::string RawFile(std::string_view header, size_t data_size) {
  std::string file(8, '\0');
  uint64_t length = header.size();
  for (int i = 0; i < 8; ++i) {
    file[static_cast<size_t>(i)] = static_cast<char>(length & 0xFFU);
    length >>= 8;
  }
  file += header;
  file.append(data_size, '\0');
  return file;
}

// Expects ParseSafetensors(file) to fail with InvalidArgument mentioning `needle`.
void ExpectRejected(const std::string& file, std::string_view needle) {
  absl::StatusOr<SafetensorsHeader> header = ParseSafetensors(file);
  ASSERT_FALSE(header.ok()) << "accepted: " << file.substr(std::min<size_t>(8, file.size()));
  EXPECT_EQ(header.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(header.status().message()), HasSubstr(std::string(needle)));
}

TEST(Safetensors, ParsesTensorsAndMetadata) {
  const std::string file = RawFile(R"({"__metadata__":{"lmc.kind":"mlp"},)"
                                   R"("b":{"dtype":"F16","shape":[3],"data_offsets":[24,30]},)"
                                   R"("a":{"dtype":"F32","shape":[2,3],"data_offsets":[0,24]},)"
                                   R"("s":{"dtype":"BF16","shape":[],"data_offsets":[30,32]}})",
                                   32);
  absl::StatusOr<SafetensorsHeader> header = ParseSafetensors(file);
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->Metadata("lmc.kind"), "mlp");
  EXPECT_EQ(header->Metadata("missing"), std::nullopt);
  ASSERT_EQ(header->tensors().size(), 3U);
  const TensorInfo* a = header->Find("a");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(a->dtype, DType::kF32);
  EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(a->element_count(), 6U);
  EXPECT_EQ(a->bytes.data(), file.data() + file.size() - 32);
  EXPECT_EQ(a->bytes.size(), 24U);
  const TensorInfo* s = header->Find("s");
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->element_count(), 1U);
  EXPECT_EQ(header->Find("c"), nullptr);
}

TEST(Safetensors, AcceptsAnEmptyHeaderWithNoData) {
  EXPECT_TRUE(ParseSafetensors(RawFile("{}", 0)).ok());
  EXPECT_TRUE(ParseSafetensors(RawFile("{}   ", 0)).ok());
}

TEST(Safetensors, RejectsFilesShorterThanTheLengthField) {
  ExpectRejected("", "fewer than the 8-byte header length");
  ExpectRejected(std::string(7, '\0'), "fewer than the 8-byte header length");
}

TEST(Safetensors, RejectsAHeaderLengthBeyondTheFile) {
  std::string file = RawFile("{}", 0);
  file[0] = 3;
  ExpectRejected(file, "truncated file");
}

TEST(Safetensors, RejectsAHugeHeaderLengthBeforeAllocating) {
  std::string file = RawFile("{}", 0);
  file[7] = static_cast<char>(0xFF);
  ExpectRejected(file, "exceeds the limit");
}

TEST(Safetensors, RejectsHeadersThatAreNotJsonObjects) {
  ExpectRejected(RawFile("{\"a\":", 0), "not valid JSON");
  ExpectRejected(RawFile("[1,2]", 0), "not a JSON object");
  ExpectRejected(RawFile(std::string("{}\0", 3), 0), "not valid JSON");
}

TEST(Safetensors, RejectsMalformedTensorEntries) {
  ExpectRejected(RawFile(R"({"a":1})", 0), "is not an object");
  ExpectRejected(RawFile(R"({"a":{"shape":[1],"data_offsets":[0,4]}})", 4), "no string \"dtype\"");
  ExpectRejected(RawFile(R"({"a":{"dtype":"Q4","shape":[1],"data_offsets":[0,1]}})", 1),
                 "unsupported dtype \"Q4\"");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","data_offsets":[0,4]}})", 4), "no array \"shape\"");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}})", 4),
                 "not a non-negative integer");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}})", 4),
                 "not a non-negative integer");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":["1"],"data_offsets":[0,4]}})", 4),
                 "not a non-negative integer");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[1]}})", 4), "data_offsets");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0]}})", 4),
                 "two-element array");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,-4]}})", 4),
                 "not non-negative integers");
}

TEST(Safetensors, RejectsShapesWhoseByteSizeOverflows) {
  ExpectRejected(
      RawFile(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}})", 0),
      "overflows");
  // 2^62 * 4 bytes wraps to 0 in 64 bits: must not be mistaken for an empty tensor.
  ExpectRejected(
      RawFile(R"({"a":{"dtype":"F32","shape":[4611686018427387904],"data_offsets":[0,0]}})", 0),
      "overflows");
}

TEST(Safetensors, RejectsRangesOutsideTheDataSection) {
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 4),
                 "outside the data section");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[4,0]}})", 4),
                 "outside the data section");
  ExpectRejected(
      RawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[18446744073709551612,0]}})", 4),
      "not non-negative integers");
}

TEST(Safetensors, RejectsAShapeThatDisagreesWithItsRange) {
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}})", 4),
                 "spans 4 bytes but its dtype and shape need 8");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F16","shape":[2],"data_offsets":[0,8]}})", 8),
                 "spans 8 bytes but its dtype and shape need 4");
}

TEST(Safetensors, RejectsOverlapsHolesAndTrailingBytes) {
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},)"
                         R"("b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         8),
                 "overlapping");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})", 8),
                 "leaving a hole");
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 8),
                 "the tensors cover 4 bytes but the data section has 8");
}

TEST(Safetensors, RejectsATruncatedFile) {
  ModelToWrite model = MakeMlp({.widths = {3, 2}});
  const std::string file = WriteSafetensors(model);
  ASSERT_TRUE(ParseSafetensors(file).ok());
  for (size_t cut = 1; cut < file.size(); cut += 3) {
    EXPECT_FALSE(ParseSafetensors(std::string_view(file).substr(0, file.size() - cut)).ok())
        << "cut " << cut;
  }
}

TEST(Safetensors, RejectsRepeatedNames) {
  ExpectRejected(RawFile(R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},)"
                         R"("a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})",
                         8),
                 "appears twice");
  ExpectRejected(RawFile(R"({"__metadata__":{},"__metadata__":{}})", 0), "appears twice");
  ExpectRejected(RawFile(R"({"__metadata__":{"k":"a","k":"b"}})", 0), "appears twice");
}

TEST(Safetensors, RejectsMetadataThatIsNotAnObjectOfStrings) {
  ExpectRejected(RawFile(R"({"__metadata__":[]})", 0), "__metadata__ is not an object");
  ExpectRejected(RawFile(R"({"__metadata__":{"lmc.kind":1}})", 0), "is not a string");
}

// A file may carry tensors models do not compute with (Hugging Face BERT checkpoints hold an
// I64 position_ids buffer): they are parsed and validated like any other.
TEST(Safetensors, ParsesEveryDTypeOfTheFormat) {
  ModelToWrite model;
  model.tensors.push_back({"ids", DType::kI64, {1, 3}, {0, 1, 2}});
  model.tensors.push_back({"mask", DType::kBool, {2}, {1, 0}});
  model.tensors.push_back({"w", DType::kF32, {1}, {0.5F}});
  absl::StatusOr<SafetensorsHeader> header = ParseSafetensors(WriteSafetensors(model));
  ASSERT_TRUE(header.ok()) << header.status();
  EXPECT_EQ(header->Find("ids")->dtype, DType::kI64);
  EXPECT_EQ(header->Find("ids")->bytes.size(), 24U);
  EXPECT_EQ(header->Find("mask")->bytes.size(), 2U);
  EXPECT_FALSE(IsFloatDType(DType::kI64));
  EXPECT_TRUE(IsFloatDType(DType::kBF16));
  for (const auto& [name, size] : {std::pair{"F64", 8}, std::pair{"I32", 4}, std::pair{"U16", 2},
                                   std::pair{"U8", 1}, std::pair{"F8_E4M3", 1}}) {
    std::string json = absl::StrCat(R"({"a":{"dtype":")", name,
                                    R"(","shape":[2],"data_offsets":[0,)", 2 * size, "]}}");
    EXPECT_TRUE(ParseSafetensors(RawFile(json, static_cast<size_t>(2 * size))).ok()) << name;
  }
}

TEST(Safetensors, WriterOutputRoundTripsInEveryDType) {
  for (DType dtype : {DType::kF32, DType::kF16, DType::kBF16}) {
    ModelToWrite model;
    model.metadata["lmc.kind"] = "test";
    model.tensors.push_back({"x", dtype, {2, 2}, {1.0F, -2.5F, 0.0F, 65504.0F}});
    model.tensors.push_back({"y", dtype, {1}, {0.125F}});
    const std::string file = WriteSafetensors(model);
    absl::StatusOr<SafetensorsHeader> header = ParseSafetensors(file);
    ASSERT_TRUE(header.ok()) << header.status();
    // The data section starts 8-aligned, so F32 tensors can be used in place.
    EXPECT_EQ((file.size() - 5 * DTypeSize(dtype)) % 8, 0U);
    const FloatTensor x = FloatTensor::From(*header->Find("x"));
    ASSERT_EQ(x.size(), 4U);
    EXPECT_EQ(x.values()[0], 1.0F);
    EXPECT_EQ(x.values()[1], -2.5F);
    EXPECT_EQ(x.values()[2], 0.0F);
    EXPECT_NEAR(x.values()[3], 65504.0F, dtype == DType::kBF16 ? 256.0F : 0.0F);
    EXPECT_EQ(FloatTensor::From(*header->Find("y")).values()[0], 0.125F);
  }
}

TEST(Tensor, F32IsBorrowedWhenAlignedAndCopiedWhenNot) {
  alignas(8) char buffer[12] = {};
  const float one = 1.0F;
  std::memcpy(buffer, &one, 4);
  std::memcpy(buffer + 5, &one, 4);
  TensorInfo aligned{"a", DType::kF32, {1}, std::string_view(buffer, 4)};
  TensorInfo unaligned{"u", DType::kF32, {1}, std::string_view(buffer + 5, 4)};
  const FloatTensor borrowed = FloatTensor::From(aligned);
  EXPECT_TRUE(borrowed.borrowed());
  EXPECT_EQ(borrowed.data(), reinterpret_cast<const float*>(buffer));
  const FloatTensor copied = FloatTensor::From(unaligned);
  EXPECT_FALSE(copied.borrowed());
  EXPECT_EQ(copied.values()[0], 1.0F);
}

TEST(Tensor, HalfAndBFloat16ConversionsAreExact) {
  EXPECT_EQ(HalfToFloat(0x3C00), 1.0F);
  EXPECT_EQ(HalfToFloat(0xC000), -2.0F);
  EXPECT_EQ(HalfToFloat(0x7BFF), 65504.0F);
  EXPECT_EQ(HalfToFloat(0x0001), std::ldexp(1.0F, -24));
  EXPECT_TRUE(std::isinf(HalfToFloat(0x7C00)));
  EXPECT_TRUE(std::isnan(HalfToFloat(0x7E00)));
  EXPECT_EQ(BFloat16ToFloat(0x3F80), 1.0F);
  EXPECT_EQ(BFloat16ToFloat(0xC040), -3.0F);
  // Every half survives a round trip through float32.
  for (uint32_t bits = 0; bits < 0x10000; ++bits) {
    const auto half = static_cast<uint16_t>(bits);
    if (!std::isnan(HalfToFloat(half))) {
      ASSERT_EQ(FloatToHalf(HalfToFloat(half)), half) << bits;
    }
    if (!std::isnan(BFloat16ToFloat(half))) {
      ASSERT_EQ(FloatToBFloat16(BFloat16ToFloat(half)), half) << bits;
    }
  }
  EXPECT_EQ(FloatToHalf(1.0F + std::ldexp(1.0F, -11)), 0x3C00);  // a tie rounds to even
  EXPECT_EQ(FloatToHalf(1e6F), 0x7C00);
}

TEST(SafetensorsFile, MapsAValidFile) {
  const std::filesystem::path path =
      std::filesystem::temp_directory_path() / absl::StrCat("lmc-st-", ::getpid(), ".safetensors");
  ASSERT_TRUE(WriteFile(path, WriteSafetensors(MakeMlp({.widths = {4, 3}}))).ok());
  absl::StatusOr<SafetensorsFile> file = SafetensorsFile::Open(path);
  std::filesystem::remove(path);
  ASSERT_TRUE(file.ok()) << file.status();
  const TensorInfo* weight = file->header().Find("layers.0.weight");
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->shape, (std::vector<int64_t>{3, 4}));
  // The tensor views the mapping itself.
  EXPECT_GE(weight->bytes.data(), file->bytes().data());
  EXPECT_TRUE(FloatTensor::From(*weight).borrowed());
  SafetensorsFile moved = *std::move(file);
  EXPECT_EQ(moved.header().Find("layers.0.weight")->bytes.size(), 48U);
}

TEST(SafetensorsFile, ReportsMissingDirectoryAndCorruptFiles) {
  EXPECT_EQ(SafetensorsFile::Open("/nonexistent/model.safetensors").status().code(),
            absl::StatusCode::kNotFound);
  const absl::Status directory = SafetensorsFile::Open("/").status();
  EXPECT_EQ(directory.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(directory.message()), HasSubstr("not a regular file"));
  const std::filesystem::path path = std::filesystem::temp_directory_path() /
                                     absl::StrCat("lmc-st-bad-", ::getpid(), ".safetensors");
  ASSERT_TRUE(WriteFile(path, "").ok());
  const absl::Status empty = SafetensorsFile::Open(path).status();
  std::filesystem::remove(path);
  EXPECT_EQ(empty.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(empty.message()), HasSubstr(path.string()));
}

}  // namespace
}  // namespace lmc::inference
