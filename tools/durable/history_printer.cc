#include "tools/durable/history_printer.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lmc/strings.h"
#include "tools/durable/wire_json.h"
#include "tools/emulator/command_support.h"

namespace lmc::durable_service {
namespace {

constexpr size_t kPayloadChars = 60;

std::string Short(std::string_view bytes) { return emulator::OneLine(bytes, kPayloadChars); }

std::string ErrorText(const std::optional<ErrorObject>& e) {
  if (!e) return "error";
  std::string out = e->error_type.value_or("error");
  if (e->error_message) absl::StrAppend(&out, ": ", Short(*e->error_message));
  return out;
}

// What the event is about: the operation's name, else its id, or for execution-level events
// nothing.
std::string Subject(const HistoryEvent& e) {
  if (e.name) return *e.name;
  if (e.op_id && e.type.rfind("Execution", 0) != 0) return absl::StrCat("#", *e.op_id);
  return "";
}

std::string Detail(const HistoryEvent& e) {
  const EventDetails& d = e.details;
  const std::string_view t = e.type;
  if (t == "ExecutionStarted") return absl::StrCat("input ", Short(d.input.value_or("")));
  if (t == "InvocationCompleted") {
    std::string out = absl::StrCat("request ", d.request_id.value_or("").substr(0, 8));
    if (d.invocation_start && d.invocation_end) {
      absl::StrAppend(
          &out, absl::StrFormat(" (%.1f ms)", absl::ToDoubleMilliseconds(*d.invocation_end -
                                                                         *d.invocation_start)));
    }
    if (d.error) absl::StrAppend(&out, ", failed: ", ErrorText(d.error));
    return out;
  }
  if (t == "WaitStarted") return absl::StrCat(d.duration_seconds.value_or(0), " s");
  if (t == "CallbackStarted") {
    std::string out = absl::StrCat("callback id ", d.callback_id.value_or(""));
    if (d.timeout_seconds) absl::StrAppend(&out, ", timeout ", *d.timeout_seconds, " s");
    if (d.heartbeat_timeout_seconds) {
      absl::StrAppend(&out, ", heartbeat ", *d.heartbeat_timeout_seconds, " s");
    }
    return out;
  }
  if (t == "ChainedInvokeStarted") {
    return absl::StrCat("-> ", d.function_name.value_or(""), " ", Short(d.input.value_or("")));
  }
  std::string out;
  if (d.result) out = absl::StrCat("= ", Short(*d.result));
  if (t.ends_with("Failed") || t.ends_with("TimedOut") || t.ends_with("Stopped")) {
    out = ErrorText(d.error);
  }
  if (d.has_retry_details && d.current_attempt > 1) {
    absl::StrAppend(&out, " (attempt ", d.current_attempt, ")");
  }
  if (d.next_attempt_delay_seconds) {
    absl::StrAppend(&out, ", again in ", *d.next_attempt_delay_seconds, " s");
  }
  return out;
}

std::string ClockText(absl::Duration d) {
  return absl::StrFormat("%.3fs", absl::ToDoubleSeconds(d));
}

}  // namespace

std::string EventLine(const HistoryEvent& e) {
  std::string out = absl::StrFormat("%-22s", e.type);
  const std::string subject = Subject(e);
  const std::string detail = Detail(e);
  if (!subject.empty()) absl::StrAppend(&out, " ", subject);
  if (!detail.empty()) absl::StrAppend(&out, subject.empty() ? " " : "  ", detail);
  return out;
}

std::string RenderExecutionText(const ExecutionSnapshot& s) {
  const size_t name_at = s.arn.find("/durable-execution/");
  const std::string id = name_at == std::string::npos ? s.arn : s.arn.substr(name_at + 19);
  std::string out =
      absl::StrCat("execution ", id, " (", s.function_name, "): ", AsAbsl(ToString(s.status)));
  if (s.end) {
    absl::StrAppend(&out, " after ", s.invocations,
                    s.invocations == 1 ? " invocation" : " invocations", ", ",
                    absl::FormatDuration(absl::Trunc(*s.end - s.start, absl::Milliseconds(1))),
                    " on its clock");
  }
  out.push_back('\n');
  if (s.result) absl::StrAppend(&out, "  result  ", Short(*s.result), "\n");
  if (s.error) absl::StrAppend(&out, "  error   ", ErrorText(s.error), "\n");
  for (const HistoryEvent& e : s.history) {
    absl::StrAppend(&out, absl::StrFormat("  %3d  +%-12s %s\n", e.event_id,
                                          ClockText(e.timestamp - s.start), EventLine(e)));
  }
  return out;
}

void AppendExecutionJson(JsonWriter& w, const ExecutionSnapshot& s) {
  w.BeginObject().Key("DurableExecutionArn").String(s.arn);
  w.Key("FunctionName").String(s.function_name);
  w.Key("Status").String(ToString(s.status));
  if (s.result) w.Key("Result").String(*s.result);
  if (s.error) {
    w.Key("Error");
    AppendErrorObject(w, *s.error);
  }
  w.Key("StartTimestamp");
  AppendTime(w, s.start, TimeFormat::kEpochSeconds);
  if (s.end) {
    w.Key("EndTimestamp");
    AppendTime(w, *s.end, TimeFormat::kEpochSeconds);
  }
  w.Key("Invocations").Int(s.invocations);
  w.Key("Events").BeginArray();
  for (const HistoryEvent& e : s.history) AppendEvent(w, e, /*include_data=*/true);
  w.EndArray().EndObject();
}

}  // namespace lmc::durable_service
