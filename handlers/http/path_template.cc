#include "handlers/http/path_template.h"

#include "absl/strings/str_cat.h"
#include "lmc/strings.h"

namespace lmc::http {
namespace {

// Splits off the next non-empty segment of `path` (advancing it); "" when none is left.
std::string_view NextSegment(std::string_view& path) {
  while (!path.empty() && path.front() == '/') path.remove_prefix(1);
  const size_t end = path.find('/');
  const std::string_view segment = path.substr(0, end);
  path.remove_prefix(end == std::string_view::npos ? path.size() : end);
  return segment;
}

absl::Status Invalid(std::string_view text, std::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("path template \"", AsAbsl(text), "\": ", AsAbsl(why)));
}

}  // namespace

absl::StatusOr<PathTemplate> PathTemplate::Parse(std::string_view text) {
  if (text.empty() || text.front() != '/') return Invalid(text, "must start with '/'");
  PathTemplate out;
  out.text_ = std::string(text);
  std::string_view rest = text;
  for (std::string_view segment = NextSegment(rest); !segment.empty();
       segment = NextSegment(rest)) {
    if (!out.segments_.empty() && out.segments_.back().kind == SegmentKind::kGreedy) {
      return Invalid(text, "a greedy {name+} segment must be the last");
    }
    const bool opens = segment.front() == '{';
    const bool closes = segment.back() == '}';
    if (!opens && !closes && segment.find_first_of("{}") == std::string_view::npos) {
      out.segments_.push_back({SegmentKind::kLiteral, std::string(segment)});
      continue;
    }
    if (!opens || !closes || segment.size() < 3 ||
        segment.substr(1, segment.size() - 2).find_first_of("{}") != std::string_view::npos) {
      return Invalid(text, "a parameter must be a whole segment: {name} or {name+}");
    }
    std::string_view name = segment.substr(1, segment.size() - 2);
    SegmentKind kind = SegmentKind::kParam;
    if (name.back() == '+') {
      kind = SegmentKind::kGreedy;
      name.remove_suffix(1);
    }
    if (name.empty()) return Invalid(text, "a parameter needs a name");
    for (const Segment& s : out.segments_) {
      if (s.kind != SegmentKind::kLiteral && s.text == name) {
        return Invalid(text, "a parameter name is repeated");
      }
    }
    out.segments_.push_back({kind, std::string(name)});
  }
  return out;
}

bool PathTemplate::Match(std::string_view path, events::Fields& params) const {
  const size_t mark = params.size();
  const auto fail = [&] {
    params.Truncate(mark);
    return false;
  };
  std::string_view rest = path;
  for (const Segment& segment : segments_) {
    if (segment.kind == SegmentKind::kGreedy) {
      while (!rest.empty() && rest.front() == '/') rest.remove_prefix(1);
      while (!rest.empty() && rest.back() == '/') rest.remove_suffix(1);
      if (rest.empty()) return fail();
      params.Add(segment.text, rest);
      return true;
    }
    const std::string_view got = NextSegment(rest);
    if (got.empty()) return fail();
    if (segment.kind == SegmentKind::kLiteral) {
      if (got != segment.text) return fail();
    } else {
      params.Add(segment.text, got);
    }
  }
  if (!NextSegment(rest).empty()) return fail();
  return true;
}

bool PathTemplate::MoreSpecificThan(const PathTemplate& other) const {
  for (size_t i = 0; i < segments_.size() && i < other.segments_.size(); ++i) {
    if (segments_[i].kind != other.segments_[i].kind) {
      return segments_[i].kind < other.segments_[i].kind;
    }
  }
  return segments_.size() > other.segments_.size();
}

}  // namespace lmc::http
