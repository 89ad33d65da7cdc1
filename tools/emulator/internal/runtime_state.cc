#include "tools/emulator/internal/runtime_state.h"

#include <algorithm>
#include <iterator>
#include <utility>

#include "absl/synchronization/mutex.h"
#include "lmc/strings.h"
#include "tools/emulator/internal/http_request_parser.h"

namespace lmc::emulator::internal {

RuntimeStateOptions RuntimeStateOptions::For(const EmulatorOptions& options) {
  RuntimeStateOptions out;
  out.keep_records = options.keep_records;
  out.enforce_deadlines = options.enforce_deadlines;
  out.answer_limits = {.response = options.max_response_bytes,
                       .streamed_response = options.max_streamed_response_bytes,
                       .error = options.max_error_bytes};
  out.max_init_error_bytes = options.max_error_bytes;
  out.copy_closed_records = static_cast<bool>(options.on_closed);
  return out;
}

RuntimeState::RuntimeState(RuntimeStateOptions options) : options_(options) {}

// --- Feeding and scripting ---

void RuntimeState::Enqueue(EventSpec event) {
  lmc::MutexLock lock(&mu_);
  queue_.push_back(std::move(event));
}

void RuntimeState::SetGenerator(EventGenerator make, uint64_t count) {
  // Allocated before locking: the server may be waiting for the lock.
  auto generator = std::make_shared<const EventGenerator>(std::move(make));
  lmc::MutexLock lock(&mu_);
  generator_ = std::move(generator);
  generator_count_ = count;
  generator_next_ = 0;
}

void RuntimeState::InjectNextFaults(std::vector<NextFault> faults) {
  lmc::MutexLock lock(&mu_);
  next_faults_.insert(next_faults_.end(), std::make_move_iterator(faults.begin()),
                      std::make_move_iterator(faults.end()));
}

void RuntimeState::InjectPostFaults(std::vector<PostFault> faults) {
  lmc::MutexLock lock(&mu_);
  post_faults_.insert(post_faults_.end(), std::make_move_iterator(faults.begin()),
                      std::make_move_iterator(faults.end()));
}

void RuntimeState::BeginShutdown(std::string reason) {
  lmc::MutexLock lock(&mu_);
  if (shutdown_) return;
  shutdown_ = true;
  shutdown_reason_ = std::move(reason);
}

// --- Observing ---

Stats RuntimeState::stats() const {
  lmc::MutexLock lock(&mu_);
  return SnapshotLocked();
}

std::vector<InvocationRecord> RuntimeState::records(size_t limit) const {
  lmc::MutexLock lock(&mu_);
  std::vector<InvocationRecord> out;
  if (options_.keep_records) {
    out.reserve(std::min(limit, kept_.size()));
    for (size_t i = 0; i < kept_.size() && i < limit; ++i) out.push_back(kept_[i]->record);
    return out;
  }
  // live_ has no order of its own: sort the open invocations by dispatch order.
  std::vector<const Invocation*> open;
  open.reserve(live_.size());
  for (const auto& [id, inv] : live_) open.push_back(inv.get());
  std::sort(open.begin(), open.end(),
            [](const Invocation* a, const Invocation* b) { return a->serial < b->serial; });
  open.resize(std::min(limit, open.size()));
  out.reserve(open.size());
  for (const Invocation* inv : open) out.push_back(inv->record);
  return out;
}

std::optional<InvocationRecord> RuntimeState::record(std::string_view request_id) const {
  lmc::MutexLock lock(&mu_);
  const Invocation* inv = FindLocked(request_id);
  if (inv == nullptr) return std::nullopt;
  return inv->record;
}

std::vector<Answer> RuntimeState::init_errors() const {
  lmc::MutexLock lock(&mu_);
  return init_error_posts_;
}

std::vector<ExtensionRegistration> RuntimeState::extensions() const {
  lmc::MutexLock lock(&mu_);
  return extensions_;
}

bool RuntimeState::WaitForClosed(uint64_t n, absl::Duration timeout) const {
  lmc::MutexLock lock(&mu_);
  auto reached = [this, n]() {
    mu_.AssertReaderHeld();
    return closed_ >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool RuntimeState::WaitForWaitingNext(size_t n, absl::Duration timeout) const {
  lmc::MutexLock lock(&mu_);
  auto reached = [this, n]() {
    mu_.AssertReaderHeld();
    return waiting_next_ >= n;
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool RuntimeState::WaitForInitError(absl::Duration timeout) const {
  lmc::MutexLock lock(&mu_);
  auto reached = [this]() {
    mu_.AssertReaderHeld();
    return !init_error_posts_.empty();
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

bool RuntimeState::WaitFor(const std::function<bool(const Stats&)>& predicate,
                           absl::Duration timeout) const {
  lmc::MutexLock lock(&mu_);
  auto reached = [this, &predicate]() {
    mu_.AssertReaderHeld();
    return predicate(SnapshotLocked());
  };
  return mu_.AwaitWithTimeout(absl::Condition(&reached), timeout);
}

// Releasing the mutex makes every waiter re-evaluate its condition.
void RuntimeState::NotifyWaiters() const { lmc::MutexLock lock(&mu_); }

// --- /next ---

NextDecision RuntimeState::BeginNext(absl::Time now, bool older_calls_parked) {
  lmc::MutexLock lock(&mu_);
  ++counters_.next_calls;
  if (counters_.first_next_at == absl::InfinitePast()) counters_.first_next_at = now;
  return DecideNextLocked(/*allow_fault=*/true, /*allow_event=*/!older_calls_parked);
}

NextDecision RuntimeState::ContinueDelayedNext(bool older_calls_parked) {
  lmc::MutexLock lock(&mu_);
  return DecideNextLocked(/*allow_fault=*/false, /*allow_event=*/!older_calls_parked);
}

void RuntimeState::NextParked() {
  lmc::MutexLock lock(&mu_);
  ++waiting_next_;
  UpdatePeaksLocked();
}

NextDecision RuntimeState::ServeOldestParked() {
  lmc::MutexLock lock(&mu_);
  NextDecision action = DecideNextLocked(/*allow_fault=*/true, /*allow_event=*/true);
  if (action.kind != NextDecision::Kind::kPark) --waiting_next_;
  return action;
}

NextDecision RuntimeState::DecideNextLocked(bool allow_fault, bool allow_event) {
  NextDecision a;
  if (init_error_accepted_) {
    a.kind = NextDecision::Kind::kForbidden;
  } else if (shutdown_) {
    a.kind = NextDecision::Kind::kShutdown;
  } else if (allow_fault && !next_faults_.empty()) {
    a.kind = NextDecision::Kind::kFault;
    a.fault = next_faults_.front();
    next_faults_.pop_front();
    ++counters_.faults_applied;
  } else if (!allow_event) {
    a.kind = NextDecision::Kind::kPark;
  } else if (!queue_.empty()) {
    a.kind = NextDecision::Kind::kEvent;
    a.event = std::move(queue_.front());
    queue_.pop_front();
  } else if (generator_ != nullptr && generator_next_ < generator_count_) {
    a.kind = NextDecision::Kind::kGenerate;
    a.generator = generator_;
    a.index = generator_next_++;
  }
  return a;
}

DispatchResult RuntimeState::Dispatch(InvocationRecord record, std::optional<int> answer_status,
                                      bool expect_invocation_id, absl::Time now) {
  // Built before locking: the allocation need not hold up API callers.
  auto inv = std::make_unique<Invocation>();
  inv->record = std::move(record);
  inv->answer_status = answer_status;
  inv->expect_invocation_id = expect_invocation_id;
  DispatchResult result;
  lmc::MutexLock lock(&mu_);
  inv->serial = ++next_serial_;
  result.serial = inv->serial;
  ++counters_.dispatched;
  ++in_flight_;
  if (counters_.first_dispatch_at == absl::InfinitePast()) counters_.first_dispatch_at = now;
  // An open invocation with the same id is superseded: Lambda forgot the old attempt (it timed
  // out) and routes this id's answers to the new one.
  if (Invocation* old = FindLocked(inv->record.request_id); old != nullptr && !old->record.closed) {
    result.superseded = CloseLocked(old, now, /*superseded=*/true);
  }
  if (options_.keep_records) {
    by_id_[inv->record.request_id] = inv.get();
    kept_.push_back(std::move(inv));
  } else {
    std::string id = inv->record.request_id;
    live_[std::move(id)] = std::move(inv);
  }
  UpdatePeaksLocked();
  return result;
}

void RuntimeState::MarkDelivered(absl::Span<const DeliveryMark> delivered, absl::Time now) {
  lmc::MutexLock lock(&mu_);
  for (const DeliveryMark& mark : delivered) {
    ++counters_.delivered;
    // The serial tells this attempt from a later one that reused its request id.
    Invocation* inv = FindLocked(mark.request_id);
    if (inv != nullptr && inv->serial == mark.serial) inv->record.dispatched_at = now;
  }
}

// --- Answers ---

std::optional<PostFault> RuntimeState::TakePostFault() {
  lmc::MutexLock lock(&mu_);
  if (post_faults_.empty()) return std::nullopt;
  PostFault fault = post_faults_.front();
  post_faults_.pop_front();
  ++counters_.faults_applied;
  return fault;
}

AnswerOutcome RuntimeState::RecordAnswer(std::string_view request_id, Answer answer,
                                         const std::optional<PostFault>& fault) {
  AnswerFacts facts;
  facts.is_error = answer.kind == Answer::Kind::kError;
  if (fault) {
    facts.fault_reset = fault->reset;
    facts.fault_status = fault->status;
  }
  if (const std::string* mode =
          FindField(answer.headers, "lambda-runtime-function-response-mode")) {
    facts.mode = *mode;
  }
  facts.body_bytes = answer.body.size();
  const std::string* nonce = FindField(answer.headers, "lambda-runtime-invocation-id");
  AnswerOutcome outcome;
  lmc::MutexLock lock(&mu_);
  Invocation* inv = FindLocked(request_id);
  facts.invocation_known = inv != nullptr;
  if (inv != nullptr) {
    facts.invocation_closed = inv->record.closed;
    facts.forced_status = inv->answer_status;
    facts.invocation_id_mismatch =
        inv->expect_invocation_id && nonce != nullptr && *nonce != inv->record.invocation_id;
    facts.past_deadline = options_.enforce_deadlines && answer.received_at > inv->record.deadline;
  }
  outcome.verdict = JudgeAnswer(facts, options_.answer_limits);
  const AnswerVerdict& verdict = outcome.verdict;
  if (verdict.unknown_request) ++counters_.unknown_request_posts;
  if (verdict.duplicate) ++counters_.duplicate_answers;
  if (verdict.status == 202) {
    ++(facts.is_error ? counters_.errors : counters_.responses);
  } else {
    ++counters_.rejected_posts;
  }
  answer.status_returned = verdict.status;
  if (inv != nullptr) {
    const absl::Time received_at = answer.received_at;
    inv->record.answers.push_back(std::move(answer));
    if (verdict.closes && !inv->record.closed) {
      outcome.closed = CloseLocked(inv, received_at, /*superseded=*/false);
    }
  }
  return outcome;
}

int RuntimeState::RecordInitError(Answer answer) {
  lmc::MutexLock lock(&mu_);
  ++counters_.init_errors;
  int status = 202;
  if (init_error_accepted_) {
    status = 403;
  } else if (answer.body.size() > options_.max_init_error_bytes) {
    status = 413;
  } else {
    init_error_accepted_ = true;
  }
  answer.status_returned = status;
  init_error_posts_.push_back(std::move(answer));
  return status;
}

// --- Extensions API ---

bool RuntimeState::AddExtension(ExtensionRegistration registration) {
  lmc::MutexLock lock(&mu_);
  if (counters_.next_calls > 0) return false;
  ++counters_.extension_registrations;
  extensions_.push_back(std::move(registration));
  return true;
}

ExtensionNextFacts RuntimeState::BeginExtensionNext(absl::Time now, const std::string* identifier) {
  ExtensionNextFacts facts;
  lmc::MutexLock lock(&mu_);
  ++counters_.extension_next_calls;
  if (identifier != nullptr) {
    for (const ExtensionRegistration& e : extensions_) {
      if (e.identifier == *identifier) facts.known = true;
    }
    if (facts.known) counters_.last_extension_next_at = now;
    facts.wants_shutdown = WantsShutdownLocked(*identifier);
  }
  facts.shutting_down = shutdown_;
  facts.reason = shutdown_reason_;
  return facts;
}

std::optional<std::string> RuntimeState::shutdown_reason() const {
  lmc::MutexLock lock(&mu_);
  if (!shutdown_) return std::nullopt;
  return shutdown_reason_;
}

bool RuntimeState::ExtensionWantsShutdown(std::string_view identifier) const {
  lmc::MutexLock lock(&mu_);
  return WantsShutdownLocked(identifier);
}

bool RuntimeState::WantsShutdownLocked(std::string_view identifier) const {
  // Identifiers are fresh UUIDs; should one repeat, the latest registration decides.
  bool wants = false;
  for (const ExtensionRegistration& e : extensions_) {
    if (e.identifier == identifier) {
      wants = std::find(e.events.begin(), e.events.end(), "SHUTDOWN") != e.events.end();
    }
  }
  return wants;
}

// --- Connections ---

void RuntimeState::ConnectionOpened() {
  lmc::MutexLock lock(&mu_);
  ++counters_.connections;
  counters_.max_connections = std::max(counters_.max_connections, counters_.connections);
}

void RuntimeState::ConnectionClosed(bool was_parked_next) {
  lmc::MutexLock lock(&mu_);
  if (was_parked_next) --waiting_next_;
  --counters_.connections;
}

void RuntimeState::CountChunks(uint64_t n) {
  lmc::MutexLock lock(&mu_);
  counters_.chunks_received += n;
}

// --- Helpers (lock held) ---

Stats RuntimeState::SnapshotLocked() const {
  Stats s = counters_;
  s.queued = queue_.size() + static_cast<size_t>(generator_count_ - generator_next_);
  s.waiting_next = waiting_next_;
  s.in_flight = in_flight_;
  s.closed = closed_;
  s.latency_p50_ms = latency_.PercentileMs(0.50);
  s.latency_p99_ms = latency_.PercentileMs(0.99);
  s.latency_max_ms = latency_.MaxMs();
  s.first_byte_p50_ms = first_byte_.PercentileMs(0.50);
  s.first_byte_p99_ms = first_byte_.PercentileMs(0.99);
  return s;
}

void RuntimeState::UpdatePeaksLocked() {
  counters_.max_waiting_next = std::max(counters_.max_waiting_next, waiting_next_);
  counters_.max_in_flight = std::max(counters_.max_in_flight, in_flight_);
  counters_.max_outstanding = std::max(counters_.max_outstanding, waiting_next_ + in_flight_);
}

RuntimeState::Invocation* RuntimeState::FindLocked(std::string_view request_id) const {
  if (options_.keep_records) {
    auto it = by_id_.find(lmc::AsAbsl(request_id));
    return it == by_id_.end() ? nullptr : it->second;
  }
  auto it = live_.find(lmc::AsAbsl(request_id));
  return it == live_.end() ? nullptr : it->second.get();
}

std::optional<InvocationRecord> RuntimeState::CloseLocked(Invocation* inv, absl::Time at,
                                                          bool superseded) {
  InvocationRecord& r = inv->record;
  r.closed = true;
  r.superseded = superseded;
  ++closed_;
  --in_flight_;
  counters_.last_close_at = std::max(counters_.last_close_at, at);
  if (!superseded && r.dispatched_at != absl::InfinitePast()) {
    latency_.Add(at - r.dispatched_at);
    if (!r.answers.empty() && r.answers.back().chunked) {
      const Answer& answer = r.answers.back();
      ++counters_.streamed_answers;
      counters_.streamed_bytes += answer.body.size();
      if (!answer.chunks.empty()) {
        first_byte_.Add(answer.chunks.front().arrived_at - r.dispatched_at);
      }
    }
  }
  std::optional<InvocationRecord> copy;
  if (options_.copy_closed_records) copy = r;
  if (!options_.keep_records) live_.erase(r.request_id);  // destroys *inv
  return copy;
}

}  // namespace lmc::emulator::internal
