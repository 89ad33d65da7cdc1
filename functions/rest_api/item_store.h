// File: functions/rest_api/item_store.h
//
// ItemStore: the in-memory, thread-safe item store behind example-rest-api. Items are JSON
// objects (kept as their JSON text) under ids the store generates ("1", "2", ...).
//
// Example:
//
//   ItemStore store;
//   std::string item = store.Create([](std::string_view id) { return WithId(body, id); });
//   std::optional<std::string> same = store.Find("1");
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/functional/function_ref.h"
#include "lmc/mutex.h"

namespace lmc::examples {

// ItemStore
//
// Every method is thread-safe: one mutex guards the map, and each operation (including the id
// generation and the insertion of Create()) is atomic, so concurrent writers never lose an item
// or hand out an id twice.
class ItemStore {
 public:
  // Generates a fresh id, builds the item with `make(id)` and stores it; returns the item.
  std::string Create(absl::FunctionRef<std::string(std::string_view id)> make);
  // The item with `id`, or nullopt.
  std::optional<std::string> Find(std::string_view id) const;
  // Every item, in creation order.
  std::vector<std::string> List() const;
  // Replaces the item with `id` by `make(id)` and returns it; nullopt (and no change) when there
  // is no such item.
  std::optional<std::string> Replace(std::string_view id,
                                     absl::FunctionRef<std::string(std::string_view id)> make);
  // Removes the item with `id`; false when there was none.
  bool Erase(std::string_view id);
  size_t size() const;

 private:
  // Ids are decimal counters; anything else names no item.
  static std::optional<uint64_t> ParseId(std::string_view id);

  mutable Mutex mu_;
  uint64_t next_id_ ABSL_GUARDED_BY(mu_) = 1;
  std::map<uint64_t, std::string> items_ ABSL_GUARDED_BY(mu_);
};

}  // namespace lmc::examples
