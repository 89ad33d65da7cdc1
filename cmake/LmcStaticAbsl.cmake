# lmc_link_absl_statically(TARGET ...): links Abseil through its static archives wherever the
# given targets (and, transitively, the targets they link) use it.
#
#   find_package(absl REQUIRED)
#   lmc_link_absl_statically(absl::status absl::strings)   # lmc's own tree: every absl:: target
#   lmc_link_absl_statically(lmc::lmc)                    # an installed lmc (lmcConfig.cmake)
#
# Why: every shared library costs the dynamic loader an open, a few mmaps and relocations at each
# cold start, and a function zip carries each one; Abseil alone is ~35 of them. Debian ships
# Abseil's .a archives next to its shared libraries, so each absl:: imported shared-library
# target reached from TARGET... (through INTERFACE_LINK_LIBRARIES, generator expressions
# included) is pointed at its .a twin; the targets keep their dependency edges, so the link order
# stays right. An absl:: target without an archive beside it is left as it is. One rule for lmc's
# own tree, FetchContent and the installed package, so each links Abseil the same way.
function(lmc_link_absl_statically)
  set(pending ${ARGN})
  set(seen "")
  while(pending)
    list(POP_FRONT pending target)
    if(target IN_LIST seen OR NOT TARGET ${target})
      continue()
    endif()
    list(APPEND seen ${target})
    get_target_property(links ${target} INTERFACE_LINK_LIBRARIES)
    if(links)
      string(REGEX MATCHALL "(absl|lmc)::[A-Za-z0-9_]+" linked "${links}")
      list(APPEND pending ${linked})
    endif()
    if(NOT target MATCHES "^absl::")
      continue()
    endif()
    get_target_property(imported ${target} IMPORTED)
    get_target_property(type ${target} TYPE)
    if(NOT imported OR NOT type STREQUAL "SHARED_LIBRARY")
      continue()
    endif()
    foreach(property IMPORTED_LOCATION IMPORTED_LOCATION_NONE IMPORTED_LOCATION_RELEASE
                     IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_DEBUG)
      get_target_property(location ${target} ${property})
      if(location)
        string(REGEX REPLACE "\\.so[.0-9]*$" ".a" archive "${location}")
        if(EXISTS "${archive}")
          set_target_properties(${target} PROPERTIES ${property} "${archive}")
        endif()
      endif()
    endforeach()
  endwhile()
endfunction()
