// Fuzzes JSON escaping and log-line formatting. Properties:
//  - AppendJsonString() of any bytes is a valid JSON string; for valid UTF-8 input it decodes
//    back to exactly the input;
//  - a JSON log line built from any message, request id, tenant id and trace id is one valid
//    JSON object on exactly one line.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "lmc/base/log_sink.h"
#include "lmc/json.h"
#include "simdjson.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  simdjson::dom::parser parser;

  std::string quoted;
  lmc::AppendJsonString(quoted, input);
  std::string_view decoded;
  if (parser.parse(quoted).get_string().get(decoded) != simdjson::SUCCESS) __builtin_trap();
  if (lmc::IsValidUtf8(input) && decoded != input) __builtin_trap();

  // Split the input four ways: message, request id, tenant id, trace id.
  const size_t q = input.size() / 4;
  const lmc::LogFields fields{input.substr(0, q), input.substr(q, q), input.substr(2 * q, q)};
  const lmc::LogSink sink(-1, lmc::LogFormat::kJson, lmc::LogLevel::kTrace);
  std::string line;
  sink.Format(lmc::LogLevel::kError, fields, input.substr(3 * q), lmc::Clock::TimePoint(), line);
  if (line.empty() || line.back() != '\n' || line.find('\n') != line.size() - 1) __builtin_trap();
  simdjson::dom::object object;
  if (parser.parse(line).get(object) != simdjson::SUCCESS) __builtin_trap();
  std::string_view level;
  if (object["level"].get(level) != simdjson::SUCCESS || level != "ERROR") __builtin_trap();

  // Text format: still exactly one line, whatever the bytes.
  const lmc::LogSink text(-1, lmc::LogFormat::kText, lmc::LogLevel::kTrace);
  std::string text_line;
  text.Format(lmc::LogLevel::kInfo, {}, input, lmc::Clock::TimePoint(), text_line);
  if (text_line.find('\n') != text_line.size() - 1) __builtin_trap();
  return 0;
}
