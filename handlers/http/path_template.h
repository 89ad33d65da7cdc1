// File: handlers/http/path_template.h
//
// PathTemplate: a route's path pattern in API Gateway's notation: literal segments, `{name}`
// (exactly one segment) and a final greedy `{name+}` (one or more segments, slashes included),
// e.g. "/items/{id}" or "/files/{path+}". Matching compares segments, so empty segments are
// ignored ("/items/" and "//items" match "/items"), and does not allocate.
//
// Example:
//
//   absl::StatusOr<PathTemplate> t = PathTemplate::Parse("/items/{id}/tags/{tag}");
//   events::Fields params;
//   if (t->Match("/items/42/tags/red", params)) ...   // params: id=42, tag=red
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "handlers/events/fields.h"

namespace lmc::http {

// PathTemplate
//
// Immutable after Parse(); const methods are thread-safe.
class PathTemplate {
 public:
  enum class SegmentKind { kLiteral = 0, kParam = 1, kGreedy = 2 };

  // InvalidArgument when `text` does not start with '/', a brace is unbalanced or inside a
  // segment ("/a{b}"), a name is empty or repeated, or a greedy segment is not the last.
  static absl::StatusOr<PathTemplate> Parse(std::string_view text);

  // True when `path` matches. Appends (name, value) for each parameter to `params` (views into
  // this template and `path`); on false, `params` is left as it was.
  bool Match(std::string_view path, events::Fields& params) const;

  // Orders templates from most to least specific, segment by segment (a literal beats a
  // parameter, which beats a greedy one): the router prefers the first that matches.
  bool MoreSpecificThan(const PathTemplate& other) const;

  const std::string& text() const { return text_; }

 private:
  struct Segment {
    SegmentKind kind;
    std::string text;  // the literal, or the parameter's name
  };

  std::string text_;
  std::vector<Segment> segments_;
};

}  // namespace lmc::http
