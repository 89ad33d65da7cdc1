// File: handlers/events/fields.h
//
// Fields: an ordered list of (name, value) string views, the shape of HTTP headers, query
// parameters, path parameters and the string maps inside AWS events. Names may repeat (a
// multi-value header is several entries with one name). Nothing is copied: the views point into
// the event (or the parser's string buffer) and live as long as the event they came from.
//
// Example:
//
//   const lmc::events::Fields& headers = request.headers;
//   if (auto type = headers.GetIgnoreCase("content-type")) ...;   // first value, any case
//   for (std::string_view v : headers.GetAll("x-forwarded-for")) ...;
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace lmc::events {

// Fields
//
// A value type; copying copies the views, not the bytes. Not thread-safe for writes; const
// methods may be called from any thread.
class Fields {
 public:
  using Entry = std::pair<std::string_view, std::string_view>;

  void Add(std::string_view name, std::string_view value) { entries_.emplace_back(name, value); }
  void Clear() { entries_.clear(); }
  // Drops entries from index `n` on (no-op when there are at most `n`).
  void Truncate(size_t n) {
    if (n < entries_.size()) entries_.resize(n);
  }

  // The first value whose name is exactly `name`; nullopt when there is none.
  std::optional<std::string_view> Get(std::string_view name) const;
  // The first value whose name equals `name` ignoring ASCII case (HTTP header names).
  std::optional<std::string_view> GetIgnoreCase(std::string_view name) const;
  // Every value named `name` (exactly, or ignoring ASCII case), in order.
  std::vector<std::string_view> GetAll(std::string_view name, bool ignore_case = true) const;

  bool empty() const { return entries_.empty(); }
  size_t size() const { return entries_.size(); }
  std::vector<Entry>::const_iterator begin() const { return entries_.begin(); }
  std::vector<Entry>::const_iterator end() const { return entries_.end(); }
  const Entry& operator[](size_t i) const { return entries_[i]; }

 private:
  std::vector<Entry> entries_;
};

}  // namespace lmc::events
