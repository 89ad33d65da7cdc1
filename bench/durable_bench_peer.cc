#include "bench/durable_bench_peer.h"

#include <signal.h>

#include <memory>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "lmc/json_reader.h"
#include "tools/emulator/subprocess.h"

namespace lmc::bench {

void DescribeJson(JsonFields& fields, PeerDid& did) {
  fields.Required("bodies", did.bodies);
  fields.Required("checkpoints", did.checkpoints);
  fields.Required("updates", did.updates);
  fields.Required("pages", did.pages);
}

void DescribeJson(JsonFields& fields, PeerResult& result) {
  fields.Required("sdk", result.sdk);
  fields.Required("version", result.version);
  fields.Required("node", result.node);
  fields.Required("warmup", result.warmup);
  fields.Required("reps", result.reps);
  fields.Required("event_bytes", result.event_bytes);
  fields.Required("ids_checked", result.ids_checked);
  fields.Required("answer", result.answer);
  fields.Required("did", result.did);
  fields.Required("wall_us", result.wall_us);
  fields.Required("cpu_us", result.cpu_us);
  fields.Required("faults", result.faults);
}

absl::StatusOr<PeerResult> RunPeer(const PeerCommand& peer, const std::string& event_file,
                                   int64_t event_ops, int warmup, int reps) {
  emulator::Subprocess::Options options;
  options.argv = {peer.node,         peer.script,          "--event",
                  event_file,        "--event-ops",        absl::StrCat(event_ops),
                  "--warmup",        absl::StrCat(warmup), "--reps",
                  absl::StrCat(reps)};
  options.inherit_env = true;
  absl::StatusOr<std::unique_ptr<emulator::Subprocess>> child =
      emulator::Subprocess::Start(std::move(options));
  if (!child.ok()) {
    return absl::Status(child.status().code(),
                        absl::StrCat("starting ", peer.node, ": ", child.status().message()));
  }
  if (!(*child)->WaitForExit(absl::Minutes(10))) {
    (*child)->Signal(SIGKILL).IgnoreError();
    return absl::DeadlineExceededError("the JS peer ran for more than 10 minutes");
  }
  const emulator::Subprocess::ExitStatus status = (*child)->exit_status();
  if (!status.exited || status.code != 0) {
    return absl::InternalError(absl::StrCat("the JS peer failed (exit ", status.code, ", signal ",
                                            status.signal, "): ", (*child)->stderr_text()));
  }
  absl::StatusOr<PeerResult> result = ReadJsonText<PeerResult>((*child)->stdout_text());
  if (!result.ok()) {
    return absl::InternalError(absl::StrCat("the JS peer's output: ", result.status().message()));
  }
  return result;
}

}  // namespace lmc::bench
