# Checks that a directory's C++ sources use the runtime's public API only (run by ctest; see
# handlers/CMakeLists.txt): no file under DIR may include an internal runtime header
# (lmc/base/, lmc/dispatch/, lmc/transport/, lmc/internal/). Together with the public-header.*
# tests (no public header brings an internal one along) this proves that handlers/ builds on
# what a user's translation unit can see. Test fixtures from tests/ and tools/ (the emulator that
# integration tests serve a bootstrap from) are the tests' own business and are not followed.
#
#   cmake -DROOT=<repo> -DDIR=handlers -P CheckPublicApiOnly.cmake
foreach(var ROOT DIR)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "CheckPublicApiOnly.cmake: -D${var}=... is required")
  endif()
endforeach()

file(GLOB_RECURSE sources RELATIVE "${ROOT}"
  "${ROOT}/${DIR}/*.h" "${ROOT}/${DIR}/*.cc" "${ROOT}/${DIR}/*.cu")
if(NOT sources)
  message(FATAL_ERROR "CheckPublicApiOnly.cmake: no C++ sources under ${ROOT}/${DIR}")
endif()
set(found "")
foreach(source IN LISTS sources)
  file(STRINGS "${ROOT}/${source}" includes
    REGEX "^[ \t]*#[ \t]*include[ \t]+[\"<]lmc/(base|dispatch|transport|internal)/")
  foreach(line IN LISTS includes)
    string(STRIP "${line}" line)
    list(APPEND found "${source}: ${line}")
  endforeach()
endforeach()
if(found)
  list(JOIN found "\n  " listed)
  message(FATAL_ERROR
    "${DIR}/ must use the public API only (lmc/*.h, lmc/testing/*.h), but includes:\n"
    "  ${listed}\nUse the public header that offers it, or make it public (runtime/README.md, "
    "\"Layers\").")
endif()
list(LENGTH sources count)
message(STATUS "${DIR}/: ${count} files, public API only")
