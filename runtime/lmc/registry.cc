#include "lmc/registry.h"

#include "absl/strings/str_cat.h"

namespace lmc {

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
