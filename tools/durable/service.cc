// DurableService: functions, executions and the scheduler (see service.h). The HTTP routes are
// in service_routes.cc.

#include "tools/durable/service.h"

#include <pthread.h>

#include <algorithm>
#include <iterator>
#include <random>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "lmc/strings.h"
#include "simdjson.h"

namespace lmc::durable_service {

namespace {

thread_local std::mt19937_64 tls_rng{std::random_device{}()};

std::string Uuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (int i = 0; i < 32; ++i) {
    if (i == 8 || i == 12 || i == 16 || i == 20) out.push_back('-');
    out.push_back(kHex[tls_rng() & 0xf]);
  }
  return out;
}

bool ValidExecutionName(const std::string& name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_';
  });
}

// The function a FunctionName names: a name, "name:qualifier" or a function ARN.
std::string FunctionNameOf(std::string_view name) {
  if (const size_t f = name.find("function:"); f != std::string_view::npos) {
    name.remove_prefix(f + 9);
  }
  return std::string(name.substr(0, name.find(':')));
}

// The answer that decided an invocation: its accepted (202) answer, else its last one.
const emulator::Answer* Deciding(const emulator::InvocationRecord& r) {
  for (const emulator::Answer& a : r.answers) {
    if (a.status_returned == 202) return &a;
  }
  return r.answers.empty() ? nullptr : &r.answers.back();
}

InvocationResult ResultOf(const emulator::InvocationRecord& r) {
  InvocationResult out;
  const emulator::Answer* a = Deciding(r);
  if (a == nullptr) {
    out.kind = InvocationResult::Kind::kCrash;
    out.body = "the invocation ended without an answer";
    return out;
  }
  out.body = a->body;
  if (a->kind == emulator::Answer::Kind::kError || a->status_returned != 202) {
    out.kind = InvocationResult::Kind::kError;
    if (const std::string* t = a->FindHeader("lambda-runtime-function-error-type")) {
      out.error_type = *t;
    }
  }
  return out;
}

OperationLog::Completion CompletionOf(ExecutionStatus status) {
  switch (status) {
    case ExecutionStatus::kSucceeded:
      return OperationLog::Completion::kSucceeded;
    case ExecutionStatus::kTimedOut:
      return OperationLog::Completion::kTimedOut;
    case ExecutionStatus::kStopped:
      return OperationLog::Completion::kStopped;
    case ExecutionStatus::kRunning:
    case ExecutionStatus::kFailed:
      break;
  }
  return OperationLog::Completion::kFailed;
}

}  // namespace

DurableService::Hooks::Hooks(DurableService& service, Entry& entry, absl::Time now)
    : service_(service), entry_(entry), now_(now) {}

std::string DurableService::Hooks::NewCallbackId(const Operation& callback) {
  service_.mu_.AssertHeld();
  std::string id = service_.NewCallbackId();
  service_.callbacks_[id] = {entry_.exec->arn(), callback.id};
  return id;
}

ChainedStart DurableService::Hooks::StartChainedInvoke(const Operation& op,
                                                       const OperationUpdate& update) {
  service_.mu_.AssertHeld();
  return service_.StartChained(entry_, op, update, now_);
}

DurableService::DurableService(ServiceOptions options) : options_(std::move(options)) {
  emulator::EmulatorOptions api;
  api.port = options_.port;
  api.extra_routes = [this](const emulator::ExtraRequest& r) { return HandleApi(r); };
  api_ = std::make_unique<emulator::Emulator>(std::move(api));
}

DurableService::~DurableService() {
  {
    MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (scheduler_.joinable()) scheduler_.join();
  // The servers' threads call back into this object: stop them while it is whole, and without
  // the lock (a callback in progress may be waiting for it).
  api_.reset();
  absl::flat_hash_map<std::string, std::unique_ptr<Function>> functions;
  {
    MutexLock lock(&mu_);
    functions.swap(functions_);
  }
  functions.clear();
}

absl::Status DurableService::Start() {
  if (absl::Status s = api_->Start(); !s.ok()) return s;
  MutexLock lock(&mu_);
  started_ = true;
  scheduler_ = std::thread([this] { SchedulerLoop(); });
  pthread_setname_np(scheduler_.native_handle(), "lmc-durable");
  return absl::OkStatus();
}

std::string DurableService::endpoint() const {
  return absl::StrCat("http://127.0.0.1:", api_->port());
}

std::string DurableService::NewCallbackId() {
  // Standard base64, always with '+', '/' and '=' padding: clients must percent-encode it in
  // the callback URL, as they must for the real service's ids.
  std::string raw = "\xfb\xff\xbf";
  for (int i = 0; i < 22; ++i) raw.push_back(static_cast<char>(tls_rng() & 0xff));
  return absl::Base64Escape(raw);
}

absl::StatusOr<FunctionInfo> DurableService::AddFunction(FunctionOptions options) {
  MutexLock lock(&mu_);
  if (functions_.contains(options.name)) {
    return absl::AlreadyExistsError(absl::StrCat("function ", options.name, " already exists"));
  }
  auto fn = std::make_unique<Function>();
  fn->arn = absl::StrCat("arn:aws:lambda:", options_.region, ":", options_.account,
                         ":function:", options.name);
  const std::string name = options.name;
  emulator::EmulatorOptions eo;
  eo.function_name = name;
  eo.handler = name;
  eo.on_closed = [this, name](const emulator::InvocationRecord& r) { OnClosed(name, r); };
  fn->emulator = std::make_unique<emulator::Emulator>(std::move(eo));
  if (absl::Status s = fn->emulator->Start(); !s.ok()) return s;
  fn->options = std::move(options);
  FunctionInfo info{.name = name, .runtime_api = fn->emulator->address(), .function_arn = fn->arn};
  functions_[name] = std::move(fn);
  return info;
}

emulator::Emulator* DurableService::function_emulator(const std::string& name) {
  MutexLock lock(&mu_);
  auto it = functions_.find(name);
  return it == functions_.end() ? nullptr : it->second->emulator.get();
}

absl::StatusOr<std::string> DurableService::StartExecution(const std::string& function,
                                                           std::string input,
                                                           StartOptions options) {
  MutexLock lock(&mu_);
  return StartLocked(function, std::move(input), std::move(options), Now());
}

absl::StatusOr<std::string> DurableService::StartLocked(const std::string& function,
                                                        std::string input, StartOptions options,
                                                        absl::Time real_now) {
  auto fn = functions_.find(function);
  if (fn == functions_.end()) {
    return absl::NotFoundError(absl::StrCat("Function not found: ", function));
  }
  if (!fn->second->options.durable) {
    return absl::InvalidArgumentError(absl::StrCat(function, " is not a durable function"));
  }
  simdjson::dom::parser parser;
  simdjson::dom::element parsed;
  if (parser.parse(input).get(parsed) != simdjson::SUCCESS) {
    return absl::InvalidArgumentError("the input is not valid JSON");
  }
  const std::string name = options.name.empty() ? Uuid() : options.name;
  if (!ValidExecutionName(name)) {
    return absl::InvalidArgumentError("DurableExecutionName must match [a-zA-Z0-9-_]{1,64}");
  }
  const std::string arn =
      absl::StrCat(fn->second->arn, ":$LATEST/durable-execution/", name, "/", Uuid());
  ExecutionConfig config;
  config.arn = arn;
  config.function_name = function;
  config.input = std::move(input);
  config.callbacks = std::move(options.callbacks);
  config.page_items = options_.page_items;
  config.max_invocation_attempts = options_.max_invocation_attempts;
  config.invocation_retry_delay = options_.invocation_retry_delay;
  config.skip_callback_timeouts = options_.skip_callback_timeouts;
  auto entry = std::make_unique<Entry>();
  entry->exec = std::make_unique<Execution>(std::move(config), real_now);
  entry->function = function;
  executions_[arn] = std::move(entry);
  order_.push_back(arn);
  ++stats_.executions;
  Kick();
  return arn;
}

ChainedStart DurableService::StartChained(Entry& parent, const Operation& op,
                                          const OperationUpdate& update, absl::Time real_now) {
  ChainedStart out;
  const std::string name = FunctionNameOf(*update.function_name);
  auto fn = functions_.find(name);
  if (fn == functions_.end()) {
    out.error =
        ErrorObject{.error_type = "ResourceNotFoundException",
                    .error_message = absl::StrCat("Function not found: ", *update.function_name)};
    return out;
  }
  const std::string payload = update.payload.value_or("{}");
  if (fn->second->options.durable) {
    absl::StatusOr<std::string> arn = StartLocked(name, payload, {}, real_now);
    if (!arn.ok()) {
      out.error = ErrorObject{.error_type = "InvalidRequestContentException",
                              .error_message = std::string(arn.status().message())};
      return out;
    }
    Entry& child = *executions_[*arn];
    child.parent = std::make_pair(parent.exec->arn(), op.id);
    child.tenant_id = update.tenant_id;
    out.durable_execution_arn = *arn;
    return out;
  }
  emulator::EventSpec event;
  event.body = payload;
  event.request_id = Uuid();
  event.tenant_id = update.tenant_id;
  event.function_arn = fn->second->arn;
  event.timeout = absl::ToChronoMilliseconds(fn->second->options.invocation_timeout);
  plain_calls_[event.request_id] = PlainCall{
      .function = name, .parent_arn = parent.exec->arn(), .op_id = op.id, .started = real_now};
  stats_.max_in_flight = std::max(stats_.max_in_flight, requests_.size() + plain_calls_.size());
  fn->second->emulator->Enqueue(std::move(event));
  return out;
}

void DurableService::Dispatch(Entry& entry, absl::Time real_now) {
  Function& fn = *functions_.at(entry.function);
  emulator::EventSpec event;
  event.request_id = Uuid();
  event.body = entry.exec->BeginInvocation(event.request_id, real_now);
  event.tenant_id = entry.tenant_id;
  event.function_arn = fn.arn;
  event.timeout = absl::ToChronoMilliseconds(fn.options.invocation_timeout);
  requests_[event.request_id] = entry.exec->arn();
  ++stats_.invocations;
  stats_.max_in_flight = std::max(stats_.max_in_flight, requests_.size() + plain_calls_.size());
  fn.emulator->Enqueue(std::move(event));
}

void DurableService::AfterChange(Entry& entry, absl::Time real_now) {
  Kick();
  const Execution& x = *entry.exec;
  if (x.running() || entry.finalized) return;
  entry.finalized = true;
  if (!entry.parent) return;
  auto parent = executions_.find(entry.parent->first);
  if (parent == executions_.end()) return;
  const ExecutionSnapshot s = x.Snapshot();
  parent->second->exec->CompleteChainedInvoke(entry.parent->second, CompletionOf(s.status),
                                              s.result, s.error, s.end.value_or(s.start) - s.start,
                                              real_now);
  AfterChange(*parent->second, real_now);
}

void DurableService::OnClosed(const std::string& function,
                              const emulator::InvocationRecord& record) {
  MutexLock lock(&mu_);
  const absl::Time now = Now();
  if (auto plain = plain_calls_.find(record.request_id); plain != plain_calls_.end()) {
    const PlainCall call = plain->second;
    plain_calls_.erase(plain);
    auto parent = executions_.find(call.parent_arn);
    if (parent == executions_.end()) return;
    const InvocationResult r = ResultOf(record);
    if (r.kind == InvocationResult::Kind::kResponse) {
      parent->second->exec->CompleteChainedInvoke(call.op_id, OperationLog::Completion::kSucceeded,
                                                  r.body, std::nullopt, now - call.started, now);
    } else {
      parent->second->exec->CompleteChainedInvoke(
          call.op_id, OperationLog::Completion::kFailed, std::nullopt,
          r.kind == InvocationResult::Kind::kCrash
              ? ErrorObject{.error_type = "Runtime.ExitError", .error_message = r.body}
              : ParseLambdaError(r.body, r.error_type),
          now - call.started, now);
    }
    AfterChange(*parent->second, now);
    return;
  }
  auto it = requests_.find(record.request_id);
  if (it == requests_.end()) return;  // failed earlier (the runtime exited): a stale answer
  const std::string arn = it->second;
  requests_.erase(it);
  auto entry = executions_.find(arn);
  if (entry == executions_.end() || entry->second->function != function) return;
  entry->second->exec->EndInvocation(record.request_id, ResultOf(record), now);
  AfterChange(*entry->second, now);
}

void DurableService::RuntimeExited(const std::string& function, const std::string& message) {
  MutexLock lock(&mu_);
  auto fn = functions_.find(function);
  if (fn == functions_.end()) return;
  const absl::Time now = Now();
  // Only invocations the dead runtime had taken: queued ones wait for the next runtime.
  std::vector<std::string> lost;
  for (const auto& [request_id, arn] : requests_) {
    auto e = executions_.find(arn);
    if (e != executions_.end() && e->second->function == function &&
        fn->second->emulator->record(request_id).has_value()) {
      lost.push_back(request_id);
    }
  }
  for (const std::string& request_id : lost) {
    const std::string arn = requests_[request_id];
    requests_.erase(request_id);
    Entry& entry = *executions_[arn];
    entry.exec->EndInvocation(
        request_id,
        InvocationResult{.kind = InvocationResult::Kind::kCrash,
                         .body = absl::StrCat("RequestId: ", request_id,
                                              " Error: Runtime exited with error: ", message)},
        now);
    AfterChange(entry, now);
  }
  std::vector<std::pair<std::string, PlainCall>> lost_calls;
  for (const auto& [request_id, call] : plain_calls_) {
    if (call.function == function && fn->second->emulator->record(request_id).has_value()) {
      lost_calls.emplace_back(request_id, call);
    }
  }
  for (const auto& [request_id, call] : lost_calls) {
    plain_calls_.erase(request_id);
    auto parent = executions_.find(call.parent_arn);
    if (parent == executions_.end()) continue;
    parent->second->exec->CompleteChainedInvoke(
        call.op_id, OperationLog::Completion::kFailed, std::nullopt,
        ErrorObject{.error_type = "Runtime.ExitError", .error_message = message},
        now - call.started, now);
    AfterChange(*parent->second, now);
  }
}

void DurableService::SchedulerLoop() {
  MutexLock lock(&mu_);
  while (!stopping_) {
    const absl::Time now = Now();
    std::optional<absl::Time> wake;
    // A copy: nothing here starts executions, but entries must stay reachable by ARN.
    const std::vector<std::string> arns = order_;
    for (const std::string& arn : arns) {
      Entry& entry = *executions_.at(arn);
      Execution& x = *entry.exec;
      if (!x.running()) continue;
      if (x.FireDue(now, options_.skip_time)) AfterChange(entry, now);
      if (x.WantsInvocation()) Dispatch(entry, now);
      if (std::optional<absl::Time> due = x.NextDue(now, options_.skip_time)) {
        wake = wake ? std::min(*wake, *due) : *due;
      }
    }
    kick_ = false;
    const absl::Duration wait =
        wake ? std::max(*wake - Now(), absl::ZeroDuration()) : absl::InfiniteDuration();
    if (wait > absl::ZeroDuration()) {
      mu_.AwaitWithTimeout(
          [this] {
            mu_.AssertHeld();
            return kick_ || stopping_;
          },
          absl::ToChronoNanoseconds(wait));
    }
  }
}

bool DurableService::WaitForExecution(const std::string& arn, absl::Duration timeout) {
  return WaitUntil(
      arn, [](const ExecutionSnapshot& s) { return s.status != ExecutionStatus::kRunning; },
      timeout);
}

bool DurableService::WaitUntil(const std::string& arn,
                               const std::function<bool(const ExecutionSnapshot&)>& predicate,
                               absl::Duration timeout) {
  MutexLock lock(&mu_);
  auto holds = [&] {
    mu_.AssertHeld();
    auto it = executions_.find(arn);
    return it != executions_.end() && predicate(it->second->exec->Snapshot());
  };
  return mu_.AwaitWithTimeout(holds, absl::ToChronoNanoseconds(timeout));
}

bool DurableService::WaitForAll(absl::Duration timeout) {
  MutexLock lock(&mu_);
  auto all_done = [&] {
    mu_.AssertHeld();
    return std::all_of(executions_.begin(), executions_.end(),
                       [](const auto& kv) { return !kv.second->exec->running(); });
  };
  return mu_.AwaitWithTimeout(all_done, absl::ToChronoNanoseconds(timeout));
}

uint64_t DurableService::WaitForChange(uint64_t seen, absl::Duration timeout) {
  MutexLock lock(&mu_);
  mu_.AwaitWithTimeout(
      [&] {
        mu_.AssertHeld();
        return changes_ > seen;
      },
      absl::ToChronoNanoseconds(timeout));
  return changes_;
}

void DurableService::Wake() {
  MutexLock lock(&mu_);
  ++changes_;
}

std::optional<ExecutionSnapshot> DurableService::Describe(const std::string& arn) const {
  MutexLock lock(&mu_);
  auto it = executions_.find(arn);
  if (it == executions_.end()) return std::nullopt;
  return it->second->exec->Snapshot();
}

std::vector<std::string> DurableService::ExecutionArns() const {
  MutexLock lock(&mu_);
  return order_;
}

absl::Status DurableService::CallbackAction(const std::string& callback_id,
                                            OperationLog::Completion how,
                                            std::optional<std::string> result,
                                            std::optional<ErrorObject> error, bool heartbeat) {
  MutexLock lock(&mu_);
  auto it = callbacks_.find(callback_id);
  if (it == callbacks_.end()) return absl::InvalidArgumentError("Invalid callback id.");
  auto entry = executions_.find(it->second.first);
  if (entry == executions_.end()) return absl::InvalidArgumentError("Invalid callback id.");
  const absl::Time now = Now();
  Execution& x = *entry->second->exec;
  absl::Status s = heartbeat ? x.Heartbeat(it->second.second, now)
                             : x.CompleteCallback(it->second.second, how, std::move(result),
                                                  std::move(error), now);
  AfterChange(*entry->second, now);
  return s;
}

absl::Status DurableService::SendCallbackSuccess(const std::string& callback_id,
                                                 std::optional<std::string> result) {
  return CallbackAction(callback_id, OperationLog::Completion::kSucceeded, std::move(result),
                        std::nullopt, false);
}

absl::Status DurableService::SendCallbackFailure(const std::string& callback_id,
                                                 ErrorObject error) {
  return CallbackAction(callback_id, OperationLog::Completion::kFailed, std::nullopt,
                        std::move(error), false);
}

absl::Status DurableService::SendCallbackHeartbeat(const std::string& callback_id) {
  return CallbackAction(callback_id, OperationLog::Completion::kSucceeded, std::nullopt,
                        std::nullopt, true);
}

void DurableService::InjectFaults(std::vector<ApiFault> faults) {
  MutexLock lock(&mu_);
  faults_.insert(faults_.end(), std::make_move_iterator(faults.begin()),
                 std::make_move_iterator(faults.end()));
}

ServiceStats DurableService::stats() const {
  MutexLock lock(&mu_);
  return stats_;
}

}  // namespace lmc::durable_service
