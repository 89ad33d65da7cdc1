#include "lmc/registry.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/types/optional.h"

namespace lmc {
namespace {

// The payload that carries an init hook's chosen errorType.
constexpr std::string_view kInitErrorTypeUrl = "lmc.dev/init-error-type";

}  // namespace

absl::Status InitError(std::string_view error_type, std::string_view message,
                       absl::StatusCode code) {
  absl::Status status(code, absl::string_view(message.data(), message.size()));
  status.SetPayload(absl::string_view(kInitErrorTypeUrl.data(), kInitErrorTypeUrl.size()),
                    absl::Cord(absl::string_view(error_type.data(), error_type.size())));
  return status;
}

std::string InitErrorType(const absl::Status& status) {
  const absl::optional<absl::Cord> type =
      status.GetPayload(absl::string_view(kInitErrorTypeUrl.data(), kInitErrorTypeUrl.size()));
  return type ? std::string{*type} : std::string();
}

absl::Status HandlerRegistry::Register(std::string name, Handler handler, InitHook init) {
  const bool empty = !handler;
  return Add(RegisteredHandler{std::move(name), std::move(handler), nullptr, std::move(init)},
             empty);
}

absl::Status HandlerRegistry::Register(std::string name, StreamingHandler handler, InitHook init) {
  const bool empty = !handler;
  return Add(RegisteredHandler{std::move(name), nullptr, std::move(handler), std::move(init)},
             empty);
}

absl::Status HandlerRegistry::Add(RegisteredHandler entry, bool empty) {
  if (entry.name.empty()) return absl::InvalidArgumentError("a handler name must not be empty");
  if (empty) {
    return absl::InvalidArgumentError(absl::StrCat("handler \"", entry.name, "\" is empty"));
  }
  if (handlers_.contains(entry.name)) {
    return absl::AlreadyExistsError(
        absl::StrCat("a handler named \"", entry.name, "\" is already registered"));
  }
  std::string key = entry.name;
  handlers_.emplace(std::move(key), std::move(entry));
  return absl::OkStatus();
}

const RegisteredHandler* HandlerRegistry::Find(std::string_view name) const {
  auto it = handlers_.find(name);
  return it == handlers_.end() ? nullptr : &it->second;
}

std::vector<std::string> HandlerRegistry::Names() const {
  std::vector<std::string> names;
  names.reserve(handlers_.size());
  for (const auto& [name, entry] : handlers_) names.push_back(name);
  return names;
}

}  // namespace lmc
