// The emulator's routes (see internal/emulator_impl.h): which Runtime API or Extensions API
// endpoint a request is for, and what the server does for it. Decisions come from
// internal::RuntimeState, bytes from internal/wire_format.h; this file turns requests into calls
// on the one and replies made with the other.

#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "tools/emulator/internal/answer_rules.h"
#include "tools/emulator/internal/emulator_impl.h"

namespace lmc::emulator {
namespace {

constexpr std::string_view kOkBody = R"({"status":"OK"})";

// The Answer a POST carries, before it is judged; takes the request's body and fields.
Answer AnswerFrom(Answer::Kind kind, internal::ReceivedRequest& request, absl::Time received_at) {
  Answer answer;
  answer.kind = kind;
  answer.chunked = request.chunked;
  answer.received_at = received_at;
  answer.body = std::move(request.body);
  answer.headers = std::move(request.headers);
  answer.trailers = std::move(request.trailers);
  if (const std::string* ct = answer.FindHeader("content-type")) answer.content_type = *ct;
  return answer;
}

}  // namespace

void Emulator::Impl::HandleRequest(Connection& c, absl::Time now) {
  std::string_view target = c.request.target;
  target = target.substr(0, target.find('?'));
  const std::string& method = c.request.method;
  // A known path with the wrong method gets 405 with the method it allows.
  auto require = [&](std::string_view wanted) {
    if (method == wanted) return true;
    Reply(c, 405, "application/json",
          internal::LambdaErrorBody("MethodNotAllowed", absl::StrCat(method, " not allowed")),
          {{"Allow", wanted}});
    return false;
  };
  constexpr std::string_view kRuntime = "/2018-06-01/runtime/";
  constexpr std::string_view kExtension = "/2020-01-01/extension/";
  if (target.starts_with(kRuntime)) {
    std::string_view rest = target.substr(kRuntime.size());
    if (rest == "invocation/next") {
      if (require("GET")) HandleNext(c, now);
      return;
    }
    if (rest == "init/error") {
      if (require("POST")) HandleInitError(c, now);
      return;
    }
    // invocation/{id}/response and invocation/{id}/error; the id is percent-decoded.
    constexpr std::string_view kInvocation = "invocation/";
    if (rest.starts_with(kInvocation)) {
      rest.remove_prefix(kInvocation.size());
      const size_t slash = rest.rfind('/');
      if (slash != std::string_view::npos) {
        const std::string_view action = rest.substr(slash + 1);
        if (action == "response" || action == "error") {
          if (require("POST")) {
            HandleAnswer(c, action == "response" ? Answer::Kind::kResponse : Answer::Kind::kError,
                         internal::PercentDecode(rest.substr(0, slash)), now);
          }
          return;
        }
      }
    }
  } else if (target.starts_with(kExtension)) {
    const std::string_view rest = target.substr(kExtension.size());
    if (rest == "register") {
      if (require("POST")) HandleExtensionRegister(c);
      return;
    }
    if (rest == "event/next") {
      if (require("GET")) HandleExtensionNext(c);
      return;
    }
  }
  if (options_.extra_routes) {
    const ExtraRequest extra{.method = method,
                             .target = c.request.target,
                             .headers = c.request.headers,
                             .body = c.request.body};
    if (std::optional<ExtraReply> reply = options_.extra_routes(extra)) {
      if (reply->reset) {
        c.reset_now = true;
        return;
      }
      internal::AppendReplyWithFields(c.out, reply->status, reply->content_type, reply->body,
                                      reply->headers, c.mode());
      if (!c.keep_alive) c.close_after_flush = true;
      return;
    }
  }
  ReplyError(c, 404, "NotFound", absl::StrCat("no such endpoint: ", c.request.target));
}

// --- GET /next ---

void Emulator::Impl::HandleNext(Connection& c, absl::Time now) {
  // Older parked calls get events first (FIFO); ServeWaiters() runs at the end of the loop.
  ActOnNext(c, state_.BeginNext(now, /*older_calls_parked=*/!waiting_.empty()));
}

void Emulator::Impl::ActOnNext(Connection& c, internal::NextDecision action) {
  using Kind = internal::NextDecision::Kind;
  switch (action.kind) {
    case Kind::kPark:
      return Park(c);
    case Kind::kForbidden:
      return ReplyError(c, 403, "InvalidStateTransition", "/next after /init/error");
    case Kind::kShutdown:
      c.keep_alive = false;  // RAPID fails blocked /next calls at shutdown; the worker should exit
      return ReplyError(c, 500, "InternalServerError", "the runtime is shutting down");
    case Kind::kFault:
      return ApplyNextFault(c, action.fault);
    case Kind::kEvent:
      return Dispatch(c, *std::move(action.event));
    case Kind::kGenerate:
      // User code: runs without the lock so it may call back into the emulator.
      return Dispatch(c, (*action.generator)(action.index));
  }
}

void Emulator::Impl::ApplyNextFault(Connection& c, const NextFault& fault) {
  if (fault.delay > std::chrono::milliseconds::zero()) {
    c.state = ConnState::kDelayed;
    NextFault rest = fault;
    rest.delay = std::chrono::milliseconds::zero();
    c.pending_next_fault = rest;
    ArmTimer(c, absl::Now() + absl::FromChrono(fault.delay));
    return;
  }
  if (fault.reset) {
    c.reset_now = true;
    return;
  }
  if (fault.truncate) {
    // A reply that promises more than it delivers, then FIN: the runtime's read of the event
    // must fail cleanly rather than hand a partial payload to the handler.
    internal::AppendTruncatedNextReply(c.out, NewUuid(), absl::Now() + absl::Seconds(30));
    c.close_after_flush = true;
    return;
  }
  if (fault.status != 0) {
    ReplyError(c, fault.status, internal::ErrorTypeForStatus(fault.status), "injected fault");
    return;
  }
  // A pure delay: now serve the call as if it had just arrived.
  ActOnNext(c, state_.ContinueDelayedNext(/*older_calls_parked=*/!waiting_.empty()));
}

void Emulator::Impl::Dispatch(Connection& c, EventSpec event) {
  const absl::Time now = absl::Now();
  InvocationRecord r;
  r.request_id = event.request_id.empty() ? NewUuid() : std::move(event.request_id);
  if (event.send_invocation_id) {
    r.invocation_id = event.invocation_id.empty() ? NewUuid() : std::move(event.invocation_id);
  }
  r.tenant_id = event.tenant_id;
  r.deadline = now + absl::FromChrono(event.timeout);
  // Refined by MarkDelivered() once the last byte is handed to the kernel. Set now as well: the
  // client can read the reply before this thread returns from send() and records that.
  r.dispatched_at = now;

  if (event.raw_response) {
    c.out.append(*event.raw_response);
    c.close_after_flush = true;
  } else {
    std::string trace_id;
    if (event.send_trace_id && !event.trace_id) trace_id = NewTraceId(now);
    internal::AppendNextReply(c.out, event,
                              {.request_id = r.request_id,
                               .invocation_id = r.invocation_id,
                               .deadline = r.deadline,
                               .generated_trace_id = trace_id},
                              c.mode());
    if (!c.keep_alive) c.close_after_flush = true;
  }
  r.event_body = std::move(event.body);
  internal::DeliveryMark mark{.reply_end = c.out.size(), .serial = 0, .request_id = r.request_id};
  internal::DispatchResult dispatched =
      state_.Dispatch(std::move(r), event.answer_status, event.send_invocation_id, now);
  mark.serial = dispatched.serial;
  c.marks.push_back(std::move(mark));
  RunClosedCallback(dispatched.superseded);
}

// --- POST /response, /error, /init/error ---

void Emulator::Impl::HandleAnswer(Connection& c, Answer::Kind kind, std::string request_id,
                                  absl::Time now) {
  PendingPost post;
  post.kind = kind;
  post.request_id = std::move(request_id);
  post.received_at = now;
  std::swap(post.request, c.request);
  post.fault = state_.TakePostFault();
  if (post.fault && post.fault->delay > std::chrono::milliseconds::zero()) {
    const absl::Duration delay = absl::FromChrono(post.fault->delay);
    post.fault->delay = std::chrono::milliseconds::zero();
    c.state = ConnState::kDelayed;
    c.pending_post = std::move(post);
    ArmTimer(c, absl::Now() + delay);
    return;
  }
  FinishAnswer(c, std::move(post));
}

void Emulator::Impl::FinishAnswer(Connection& c, PendingPost post) {
  Answer answer = AnswerFrom(post.kind, post.request, post.received_at);
  // Each chunk's size and arrival: tests check streaming, Stats its time to first byte.
  answer.chunks.reserve(post.request.chunks.size());
  for (const internal::ReceivedChunk& chunk : post.request.chunks) {
    answer.chunks.push_back({chunk.size, chunk.arrived_at});
  }
  internal::AnswerOutcome outcome =
      state_.RecordAnswer(post.request_id, std::move(answer), post.fault);
  RunClosedCallback(outcome.closed);
  const internal::AnswerVerdict& verdict = outcome.verdict;
  if (verdict.status == 0) {
    c.reset_now = true;
  } else if (verdict.status == 202) {
    Reply(c, 202, "application/json", kOkBody);
  } else {
    ReplyError(c, verdict.status, verdict.error_type, verdict.message);
  }
}

void Emulator::Impl::HandleInitError(Connection& c, absl::Time now) {
  // Recorded without per-chunk arrival times: nothing measures an init error's streaming.
  const int status = state_.RecordInitError(AnswerFrom(Answer::Kind::kError, c.request, now));
  if (status == 202) {
    Reply(c, 202, "application/json", kOkBody);
  } else if (status == 403) {
    ReplyError(c, 403, "InvalidStateTransition", "an init error was already reported");
  } else {
    ReplyError(c, 413, "RequestEntityTooLarge", "payload exceeds the size limit");
  }
}

// --- Extensions API ---

void Emulator::Impl::HandleExtensionRegister(Connection& c) {
  const std::string* name = c.request.FindHeader("lambda-extension-name");
  if (name == nullptr || name->empty()) {
    return ReplyError(c, 400, "InvalidRequestFormat", "missing Lambda-Extension-Name header");
  }
  ExtensionRegistration reg;
  reg.name = *name;
  simdjson::padded_string json(c.request.body);
  simdjson::dom::element doc;
  simdjson::dom::object root;
  if (json_parser_.parse(json).get(doc) != simdjson::SUCCESS ||
      doc.get(root) != simdjson::SUCCESS) {
    return ReplyError(c, 400, "InvalidRequestFormat", "body must be a JSON object");
  }
  simdjson::dom::element events;
  if (root["events"].get(events) == simdjson::SUCCESS) {
    simdjson::dom::array list;
    if (events.get(list) != simdjson::SUCCESS) {
      return ReplyError(c, 400, "InvalidRequestFormat", "events must be an array");
    }
    for (simdjson::dom::element e : list) {
      std::string_view event;
      if (e.get(event) != simdjson::SUCCESS || (event != "INVOKE" && event != "SHUTDOWN")) {
        return ReplyError(c, 400, "InvalidEventType", "events may be INVOKE and SHUTDOWN");
      }
      reg.events.emplace_back(event);
    }
  }
  reg.identifier = NewUuid();
  reg.headers = c.request.headers;
  const std::string* accept = c.request.FindHeader("lambda-extension-accept-feature");
  const std::string body = internal::ExtensionRegisterBody(
      options_, accept != nullptr && accept->find("accountId") != std::string::npos);
  const std::string identifier = reg.identifier;
  if (!state_.AddExtension(std::move(reg))) {
    return ReplyError(c, 403, "Extension.RegistrationClosed",
                      "Extension registration closed already");
  }
  Reply(c, 200, "application/json", body, {{"Lambda-Extension-Identifier", identifier}});
}

void Emulator::Impl::HandleExtensionNext(Connection& c) {
  const std::string* id = c.request.FindHeader("lambda-extension-identifier");
  const internal::ExtensionNextFacts facts = state_.BeginExtensionNext(absl::Now(), id);
  if (!facts.known) {
    return ReplyError(c, 403, "Extension.UnknownExtensionIdentifier",
                      "missing or unknown Lambda-Extension-Identifier");
  }
  if (facts.shutting_down && facts.wants_shutdown) return ReplyShutdownEvent(c, facts.reason);
  // No timeout: an extension's next blocks until there is an event for it (runtime-api.md §8).
  c.state = ConnState::kParkedExtension;
  c.extension_id = *id;
  parked_extensions_.push_back(c.id);
}

void Emulator::Impl::ReplyShutdownEvent(Connection& c, const std::string& reason) {
  Reply(c, 200, "application/json",
        internal::ShutdownEventBody(reason, absl::Now() + kShutdownGrace),
        {{"Lambda-Extension-Event-Identifier", NewUuid()}});
}

// --- Ids ---

std::string Emulator::Impl::NewUuid() {
  const uint64_t hi = rng_();
  const uint64_t lo = rng_();
  return internal::FormatUuidV4(hi, lo);
}

std::string Emulator::Impl::NewTraceId(absl::Time now) {
  const uint64_t root_hi = rng_();
  const uint64_t root_lo = rng_();
  const uint64_t parent = rng_();
  return internal::FormatTraceId(now, root_hi, root_lo, parent);
}

}  // namespace lmc::emulator
