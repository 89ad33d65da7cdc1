#include "tests/support/bootstrap_fixture.h"

#include <signal.h>
#include <stdlib.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "lmc/base/temp_dir.h"

namespace lmc::integration {

void BootstrapTest::SetUp() {
  std::string tmpl = (std::filesystem::temp_directory_path() / "lmc-it-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  tmp_root_ = tmpl;
}

void BootstrapTest::TearDown() {
  if (bootstrap_ != nullptr && !bootstrap_->WaitForExit(absl::ZeroDuration())) {
    bootstrap_->Signal(SIGKILL).IgnoreError();
    bootstrap_->WaitForExit(kWait);
  }
  if (HasFailure() && bootstrap_ != nullptr) {
    std::cerr << "---- bootstrap stdout (tail) ----\n"
              << bootstrap_->stdout_text().substr(bootstrap_->stdout_text().size() > 8000
                                                      ? bootstrap_->stdout_text().size() - 8000
                                                      : 0)
              << "\n---- bootstrap stderr ----\n"
              << bootstrap_->stderr_text() << "\n";
  }
  bootstrap_.reset();
  emulator_.reset();
  EXPECT_TRUE(RemoveTree(tmp_root_).ok());
}

void BootstrapTest::StartEmulator(emulator::EmulatorOptions options) {
  emulator_ = std::make_unique<emulator::Emulator>(std::move(options));
  ASSERT_TRUE(emulator_->Start().ok());
}

void BootstrapTest::StartBootstrap(const std::string& handler, std::vector<std::string> extra_env) {
  ASSERT_NE(emulator_, nullptr) << "StartEmulator() first";
  emulator::Subprocess::Options options;
  const char* override_path = ::getenv("LMC_TEST_BOOTSTRAP");
  options.argv = {!binary_.empty()                                     ? binary_
                  : override_path != nullptr && *override_path != '\0' ? override_path
                                                                       : LMC_BOOTSTRAP_PATH};
  options.env = {
      absl::StrCat("AWS_LAMBDA_RUNTIME_API=", emulator_->address()),
      absl::StrCat("_HANDLER=", handler),
      absl::StrCat("TMPDIR=", tmp_root_.string()),
      "AWS_LAMBDA_FUNCTION_NAME=lmc-integration",
      "AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
      "AWS_LAMBDA_FUNCTION_MEMORY_SIZE=2048",
      "AWS_REGION=us-east-1",
  };
  // Sanitizer settings must reach the child, or its reports would not fail the test.
  for (const char* name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS", "PATH"}) {
    if (const char* value = ::getenv(name)) options.env.push_back(absl::StrCat(name, "=", value));
  }
  // A later entry replaces an earlier one of the same name (getenv() would see the first).
  for (std::string& kv : extra_env) {
    const std::string name = kv.substr(0, kv.find('='));
    std::erase_if(options.env,
                  [&](const std::string& e) { return e.substr(0, e.find('=')) == name; });
    options.env.push_back(std::move(kv));
  }
  auto process = emulator::Subprocess::Start(std::move(options));
  ASSERT_TRUE(process.ok()) << process.status();
  bootstrap_ = std::move(*process);
}

emulator::Subprocess::ExitStatus BootstrapTest::Terminate() {
  EXPECT_TRUE(bootstrap_->Signal(SIGTERM).ok());
  return WaitForExit();
}

emulator::Subprocess::ExitStatus BootstrapTest::WaitForExit() {
  EXPECT_TRUE(bootstrap_->WaitForExit(kWait)) << "bootstrap did not exit";
  return bootstrap_->exit_status();
}

std::vector<std::string> BootstrapTest::StdoutLines() const {
  return absl::StrSplit(bootstrap_->stdout_text(), '\n', absl::SkipEmpty());
}

std::vector<LogLine> BootstrapTest::JsonLogLines() const {
  std::vector<LogLine> out;
  simdjson::dom::parser parser;
  for (const std::string& text : {bootstrap_->stdout_text(), bootstrap_->stderr_text()}) {
    for (const std::string& raw :
         std::vector<std::string>(absl::StrSplit(text, '\n', absl::SkipEmpty()))) {
      simdjson::dom::object object;
      const simdjson::padded_string padded(raw);
      if (parser.parse(padded).get(object) != simdjson::SUCCESS) {
        ADD_FAILURE() << "not a JSON object: " << raw;
        continue;
      }
      LogLine line;
      line.raw = raw;
      std::string_view s;
      if (object["timestamp"].get(s) != simdjson::SUCCESS) ADD_FAILURE() << "no timestamp: " << raw;
      if (object["level"].get(s) == simdjson::SUCCESS) {
        line.level = std::string(s);
      } else {
        ADD_FAILURE() << "no level: " << raw;
      }
      if (object["message"].get(s) == simdjson::SUCCESS) {
        line.message = std::string(s);
      } else {
        ADD_FAILURE() << "no message: " << raw;
      }
      if (object["requestId"].get(s) == simdjson::SUCCESS) line.request_id = std::string(s);
      if (object["tenantId"].get(s) == simdjson::SUCCESS) line.tenant_id = std::string(s);
      if (object["traceId"].get(s) == simdjson::SUCCESS) line.trace_id = std::string(s);
      out.push_back(std::move(line));
    }
  }
  return out;
}

std::vector<std::string> BootstrapTest::EnqueueMany(const std::string& body, int count) {
  std::vector<std::string> ids;
  for (int i = 0; i < count; ++i) {
    emulator::EventSpec event;
    event.body = body;
    event.request_id = RequestIdFor("req", i);
    ids.push_back(event.request_id);
    emulator_->Enqueue(std::move(event));
  }
  return ids;
}

simdjson::dom::element ParseJson(simdjson::dom::parser& parser, const std::string& json) {
  simdjson::dom::element element;
  EXPECT_EQ(parser.parse(json).get(element), simdjson::SUCCESS) << json;
  return element;
}

std::string RequestIdFor(const std::string& prefix, int index) {
  return absl::StrCat(prefix, "-", index, "-0000-4000-8000-000000000000");
}

}  // namespace lmc::integration
