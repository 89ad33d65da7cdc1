#include "lmc/testing/owned_event.h"

#include <utility>

#include "lmc/internal/surface_access.h"

namespace lmc::testing {

OwnedEvent::OwnedEvent(std::string_view bytes, std::string content_type)
    : bytes_(bytes),
      content_type_(std::move(content_type)),
      event_(internal::SurfaceAccess::MakeEvent(std::string_view(bytes_.data(), bytes_.size()),
                                                bytes_.size() + simdjson::SIMDJSON_PADDING,
                                                content_type_, &parser_)) {}

}  // namespace lmc::testing
