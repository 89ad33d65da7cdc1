#include "tools/invoke/invoke_report.h"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "lmc/json.h"
#include "lmc/strings.h"
#include "tools/emulator/command_support.h"

namespace lmc::invoke {
namespace {

using emulator::Answer;
using emulator::InvocationRecord;

constexpr size_t kSampleBodyChars = 120;
constexpr size_t kJsonSampleBodyBytes = 4096;
constexpr char kErrorTypeHeader[] = "lambda-runtime-function-error-type";

double Ms(absl::Duration d) { return absl::ToDoubleMilliseconds(d); }

// The answer that decided an invocation: its accepted (202) answer, else its last one.
const Answer* DecidingAnswer(const InvocationRecord& r) {
  for (const Answer& a : r.answers) {
    if (a.status_returned == 202) return &a;
  }
  return r.answers.empty() ? nullptr : &r.answers.back();
}

// What a streamed (chunked) answer looked like on arrival.
struct StreamFacts {
  size_t chunks = 0;
  uint64_t bytes = 0;
  double first_byte_ms = 0;                 // dispatch -> first chunk
  const std::string* error_type = nullptr;  // the error trailers, when the stream failed
  const std::string* error_body = nullptr;  // base64, as sent
};

std::optional<StreamFacts> StreamOf(const InvocationRecord& r, const Answer& a) {
  if (!a.chunked) return std::nullopt;
  StreamFacts facts;
  facts.chunks = a.chunks.size();
  facts.bytes = a.body.size();
  if (!a.chunks.empty()) facts.first_byte_ms = Ms(a.chunks.front().arrived_at - r.dispatched_at);
  for (const auto& [name, value] : a.trailers) {
    if (name == kErrorTypeHeader) facts.error_type = &value;
    if (name == "lambda-runtime-function-error-body") facts.error_body = &value;
  }
  return facts;
}

// Timings derived from the statistics; each is absent when its events never happened.
struct Timings {
  std::optional<double> wall_ms;     // first dispatch -> last close
  double throughput = 0;             // answers per second of wall time
  std::optional<double> startup_ms;  // spawn -> first /next
};

Timings TimingsOf(const InvokeReport& report) {
  const emulator::Stats& s = report.stats;
  Timings t;
  if (s.first_dispatch_at != absl::InfinitePast() && s.last_close_at != absl::InfinitePast()) {
    t.wall_ms = Ms(s.last_close_at - s.first_dispatch_at);
    if (*t.wall_ms > 0) t.throughput = static_cast<double>(report.answered()) * 1000 / *t.wall_ms;
  }
  if (s.first_next_at != absl::InfinitePast()) {
    t.startup_ms = Ms(s.first_next_at - report.spawned_at);
  }
  return t;
}

// JSON

void Milliseconds(JsonWriter& w, double value) { w.Raw(absl::StrFormat("%.3f", value)); }

void StringOrNull(JsonWriter& w, const std::string* value) {
  if (value != nullptr) {
    w.String(*value);
  } else {
    w.Null();
  }
}

void WriteJsonStream(JsonWriter& w, const std::optional<StreamFacts>& st) {
  if (!st) {
    w.Null();
    return;
  }
  w.BeginObject().Key("chunks").Uint(st->chunks).Key("bytes").Uint(st->bytes);
  w.Key("first_byte_ms");
  Milliseconds(w, st->first_byte_ms);
  w.Key("trailer_error_type");
  StringOrNull(w, st->error_type);
  w.Key("trailer_error_body");
  StringOrNull(w, st->error_body);
  w.EndObject();
}

void WriteJsonSample(JsonWriter& w, const InvocationRecord& r) {
  const Answer* a = DecidingAnswer(r);
  w.BeginObject().Key("request_id").String(r.request_id).Key("kind");
  if (a == nullptr) {
    w.Null().Key("status").Null().Key("content_type").Null().Key("error_type").Null();
    w.Key("body").Null();
  } else {
    w.String(a->kind == Answer::Kind::kResponse ? "response" : "error");
    w.Key("status").Int(a->status_returned).Key("content_type").String(a->content_type);
    w.Key("error_type");
    StringOrNull(w, a->FindHeader(kErrorTypeHeader));
    w.Key("body").String(std::string_view(a->body).substr(0, kJsonSampleBodyBytes));
    w.Key("body_bytes").Uint(a->body.size());
    w.Key("stream");
    WriteJsonStream(w, StreamOf(r, *a));
  }
  w.EndObject();
}

void WriteJsonCounts(JsonWriter& w, const InvokeReport& report) {
  const emulator::Stats& s = report.stats;
  w.Key("invocations").Uint(report.events).Key("dispatched").Uint(s.dispatched);
  w.Key("answered").Uint(report.answered()).Key("responses").Uint(s.responses);
  w.Key("errors").Uint(s.errors).Key("unanswered").Uint(report.unanswered());
  w.Key("max_in_flight").Uint(s.max_in_flight).Key("max_outstanding").Uint(s.max_outstanding);
  w.Key("max_waiting_next").Uint(s.max_waiting_next).Key("next_calls").Uint(s.next_calls);
  w.Key("duplicate_answers").Uint(s.duplicate_answers);
  w.Key("unknown_request_posts").Uint(s.unknown_request_posts);
  w.Key("rejected_posts").Uint(s.rejected_posts).Key("init_errors").Uint(s.init_errors);
}

void WriteJsonTimings(JsonWriter& w, const InvokeReport& report) {
  const emulator::Stats& s = report.stats;
  const Timings t = TimingsOf(report);
  w.Key("wall_ms");
  Milliseconds(w, t.wall_ms.value_or(0));
  w.Key("throughput_per_s");
  Milliseconds(w, t.throughput);
  w.Key("latency_ms").BeginObject().Key("p50");
  Milliseconds(w, s.latency_p50_ms);
  w.Key("p99");
  Milliseconds(w, s.latency_p99_ms);
  w.Key("max");
  Milliseconds(w, s.latency_max_ms);
  w.EndObject().Key("startup_ms");
  if (t.startup_ms) {
    Milliseconds(w, *t.startup_ms);
  } else {
    w.Null();
  }
}

// Text

std::string TextSample(size_t index, const InvocationRecord& r) {
  const Answer* a = DecidingAnswer(r);
  const std::string number = absl::StrCat("#", index + 1, " ");
  if (a == nullptr) return absl::StrCat(number, "no answer (", r.request_id, ")");
  std::string line;
  if (a->kind == Answer::Kind::kError) {
    const std::string* type = a->FindHeader(kErrorTypeHeader);
    line = absl::StrCat(number, a->status_returned, " error ", type != nullptr ? *type : "-", " ",
                        emulator::OneLine(a->body, kSampleBodyChars));
  } else {
    line = absl::StrCat(number, a->status_returned, " ",
                        a->content_type.empty() ? "-" : a->content_type, " ",
                        emulator::OneLine(a->body, kSampleBodyChars));
  }
  if (const std::optional<StreamFacts> st = StreamOf(r, *a)) {
    absl::StrAppendFormat(&line, " [streamed: %zu chunks, %llu bytes, first byte after %.1f ms",
                          st->chunks, static_cast<unsigned long long>(st->bytes),
                          st->first_byte_ms);
    if (st->error_type != nullptr) absl::StrAppend(&line, ", trailer error ", *st->error_type);
    absl::StrAppend(&line, "]");
  }
  return line;
}

void AppendTextCounts(std::string& out, const InvokeReport& report) {
  const emulator::Stats& s = report.stats;
  absl::StrAppendFormat(&out,
                        "  invocations   %d sent, %d answered (%d responses, %d errors), %d "
                        "unanswered\n",
                        report.events, report.answered(), s.responses, s.errors,
                        report.unanswered());
  absl::StrAppendFormat(&out,
                        "  concurrency   %d reached (max in flight), %d max outstanding (waiting "
                        "/next + in flight)\n",
                        s.max_in_flight, s.max_outstanding);
  const Timings t = TimingsOf(report);
  if (t.wall_ms) {
    absl::StrAppendFormat(
        &out, "  wall time     %.1f ms (first dispatch -> last answer), %.1f invocations/s\n",
        *t.wall_ms, t.throughput);
    absl::StrAppendFormat(
        &out, "  latency       p50 %.1f ms, p99 %.1f ms, max %.1f ms (dispatch -> answer)\n",
        s.latency_p50_ms, s.latency_p99_ms, s.latency_max_ms);
  }
  if (t.startup_ms) {
    absl::StrAppendFormat(&out, "  startup       %.1f ms (spawn -> first /next)\n", *t.startup_ms);
  } else {
    absl::StrAppend(&out, "  startup       the bootstrap never called /next\n");
  }
}

void AppendTextProblems(std::string& out, const InvokeReport& report) {
  const emulator::Stats& s = report.stats;
  if (s.duplicate_answers + s.unknown_request_posts + s.rejected_posts > 0) {
    absl::StrAppendFormat(&out,
                          "  problems      %d duplicate answers, %d answers for unknown ids, %d "
                          "rejected posts\n",
                          s.duplicate_answers, s.unknown_request_posts, s.rejected_posts);
  }
  for (const Answer& e : report.init_errors) {
    const std::string* type = e.FindHeader(kErrorTypeHeader);
    absl::StrAppendFormat(&out, "  init error    %d %s %s\n", e.status_returned,
                          type != nullptr ? *type : "-",
                          emulator::OneLine(e.body, kSampleBodyChars));
  }
}

}  // namespace

bool InvokeReport::ok() const {
  return answered() == events && stats.duplicate_answers == 0 && stats.unknown_request_posts == 0 &&
         ending.clean();
}

std::string FormatJsonReport(const InvokeReport& report) {
  std::string out;
  JsonWriter w(&out);
  w.BeginObject().Key("handler").String(report.handler).Key("concurrency");
  if (report.concurrency) {
    w.Uint(*report.concurrency);
  } else {
    w.Null();
  }
  w.Key("ok").Bool(report.ok());
  WriteJsonCounts(w, report);
  WriteJsonTimings(w, report);
  const BootstrapEnding& e = report.ending;
  w.Key("exit").BeginObject().Key("exited").Bool(e.status.exited);
  w.Key("code").Int(e.status.code).Key("signal").Int(e.status.signal);
  w.Key("term_sent").Bool(e.term_sent).Key("kill_sent").Bool(e.kill_sent).EndObject();
  w.Key("stopped").String(report.stopped.empty() ? "all events closed" : report.stopped);
  w.Key("samples").BeginArray();
  for (const InvocationRecord& r : report.samples) WriteJsonSample(w, r);
  w.EndArray().EndObject();
  out.push_back('\n');
  return out;
}

std::string FormatTextReport(const InvokeReport& report) {
  std::string out = absl::StrFormat(
      "lmc-invoke: handler=%s concurrency=%s bootstrap=%s\n", report.handler,
      report.concurrency ? std::to_string(*report.concurrency) : "unset", report.bootstrap);
  AppendTextCounts(out, report);
  absl::StrAppend(&out, "  exit          ", report.ending.Describe(), "\n");
  if (!report.stopped.empty()) absl::StrAppend(&out, "  stopped       ", report.stopped, "\n");
  AppendTextProblems(out, report);
  for (size_t i = 0; i < report.samples.size(); ++i) {
    absl::StrAppendFormat(&out, "  %-13s %s\n", i == 0 ? "samples" : "",
                          TextSample(i, report.samples[i]));
  }
  return out;
}

std::string OutputTail(std::string_view output, size_t max_lines) {
  std::vector<std::string_view> lines;
  for (size_t start = 0; start < output.size();) {
    const size_t nl = output.find('\n', start);
    lines.push_back(output.substr(start, nl - start));
    start = nl == std::string_view::npos ? output.size() : nl + 1;
  }
  const size_t from = lines.size() > max_lines ? lines.size() - max_lines : 0;
  std::string out = absl::StrFormat("bootstrap output (last %d lines):\n", lines.size() - from);
  for (size_t i = from; i < lines.size(); ++i) {
    absl::StrAppend(&out, "  | ", AsAbsl(lines[i]), "\n");
  }
  return out;
}

}  // namespace lmc::invoke
