#include "handlers/durable/internal/execution.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/hash/hash.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "lmc/mutex.h"
#include "lmc/status_macros.h"
#include "lmc/strings.h"

namespace lmc::durable::internal {

Execution::Execution(std::string durable_execution_arn, std::string checkpoint_token,
                     CheckpointService& service, const CheckpointOptions& options,
                     const Clock& clock, const Logger& logger)
    : arn_(durable_execution_arn),
      clock_(clock),
      logger_(logger),
      index_(0, ById{&log_}, ById{&log_}),
      checkpointer_(service, std::move(durable_execution_arn), std::move(checkpoint_token), options,
                    [this](std::vector<Operation> operations) { Apply(std::move(operations)); }) {}

absl::Status Execution::Load(std::vector<Operation>&& operations, std::string next_marker) {
  {
    MutexLock lock(&mu_);
    if (log_.empty()) {
      log_ = std::move(operations);
    } else {
      log_.insert(log_.end(), std::make_move_iterator(operations.begin()),
                  std::make_move_iterator(operations.end()));
    }
    index_.reserve(log_.size());
    for (size_t i = index_.size(); i < log_.size(); ++i) {
      if (!index_.insert(static_cast<uint32_t>(i)).second) {
        return absl::InvalidArgumentError(absl::StrCat("malformed operation log: operation id \"",
                                                       log_[i].id, "\" appears twice"));
      }
    }
  }
  LMC_RETURN_IF_ERROR(checkpointer_.LoadPages(std::move(next_marker)));
  MutexLock lock(&mu_);
  for (const Operation& op : log_) {
    if (op.type == OperationType::kExecution) return absl::OkStatus();
  }
  return absl::InvalidArgumentError("malformed operation log: it has no EXECUTION operation");
}

const Operation* Execution::Lookup(std::string_view id) const {
  auto it = index_.find(id);
  return it == index_.end() ? nullptr : &log_[*it];
}

std::optional<Operation> Execution::Find(std::string_view id) const {
  MutexLock lock(&mu_);
  const Operation* op = Lookup(id);
  if (op == nullptr) return std::nullopt;
  return *op;
}

bool Execution::Has(std::string_view id) const {
  MutexLock lock(&mu_);
  return Lookup(id) != nullptr;
}

size_t Execution::size() const {
  MutexLock lock(&mu_);
  return log_.size();
}

std::string Execution::input_payload() const {
  MutexLock lock(&mu_);
  for (const Operation& op : log_) {
    if (op.type == OperationType::kExecution) return op.input_payload.value_or("");
  }
  return "";
}

void Execution::Fail(FatalError error) {
  MutexLock lock(&mu_);
  if (!fatal_.has_value()) fatal_ = std::move(error);
}

std::optional<FatalError> Execution::fatal() const {
  MutexLock lock(&mu_);
  return fatal_;
}

void Execution::Apply(std::vector<Operation> operations) {
  MutexLock lock(&mu_);
  // A page brings many operations, a checkpoint answer one or two: room for all of them at once,
  // but never less than double (reserve() alone would reallocate the log on every answer).
  const size_t needed = log_.size() + operations.size();
  if (needed > log_.capacity()) log_.reserve(std::max(needed, 2 * log_.capacity()));
  index_.reserve(needed);
  for (Operation& op : operations) {
    auto it = index_.find(std::string_view{op.id});
    if (it != index_.end()) {
      log_[*it] = std::move(op);
    } else {
      log_.push_back(std::move(op));
      index_.insert(static_cast<uint32_t>(log_.size() - 1));
    }
  }
}

size_t Execution::ById::operator()(uint32_t position) const {
  return (*this)(std::string_view{(*log)[position].id});
}

size_t Execution::ById::operator()(std::string_view id) const {
  return absl::Hash<absl::string_view>{}(AsAbsl(id));
}

bool Execution::ById::operator()(uint32_t a, uint32_t b) const {
  return (*log)[a].id == (*log)[b].id;
}

bool Execution::ById::operator()(uint32_t position, std::string_view id) const {
  return (*log)[position].id == id;
}

bool Execution::ById::operator()(std::string_view id, uint32_t position) const {
  return (*log)[position].id == id;
}

}  // namespace lmc::durable::internal
