# Checks one public header of the user surface (run by ctest, one test per header; see
# runtime/CMakeLists.txt): it must compile on its own, and neither it nor anything it includes may
# be an internal header (lmc/base/, lmc/dispatch/, lmc/transport/, lmc/internal/).
#
#   cmake -DCXX=c++ -DROOT=<repo> -DHEADER=lmc/context.h -DWORK=<dir> -P CheckPublicHeader.cmake
foreach(var CXX ROOT HEADER WORK)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "CheckPublicHeader.cmake: -D${var}=... is required")
  endif()
endforeach()

string(MAKE_C_IDENTIFIER "${HEADER}" stem)
set(source "${WORK}/${stem}.cc")
file(MAKE_DIRECTORY "${WORK}")
file(WRITE "${source}" "#include \"${HEADER}\"  // must compile alone\n")

# -H lists every header the compiler opens (one per line on stderr, indented by dots), so one
# syntax-only compile checks both rules.
execute_process(
  COMMAND "${CXX}" -std=c++20 -fsyntax-only -H -I "${ROOT}/runtime" -I "${ROOT}" "${source}"
  RESULT_VARIABLE result
  OUTPUT_VARIABLE out
  ERROR_VARIABLE err)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "${HEADER} does not compile on its own:\n${err}")
endif()

string(REPLACE "\n" ";" lines "${err}")
set(internal "")
foreach(line IN LISTS lines)
  if(line MATCHES "^\\.+ (.*)$")
    set(path "${CMAKE_MATCH_1}")
    if(path MATCHES "/lmc/(base|dispatch|transport|internal)/")
      file(RELATIVE_PATH rel "${ROOT}/runtime" "${path}")
      list(APPEND internal "${rel}")
    endif()
  endif()
endforeach()
if(internal)
  list(REMOVE_DUPLICATES internal)
  list(JOIN internal "\n  " listed)
  message(FATAL_ERROR
    "${HEADER} is a public header but brings internal headers into the user's translation unit:\n"
    "  ${listed}\nMove what the user needs into the public header, or the internals behind a "
    "forward declaration (see runtime/README.md, \"Layers\").")
endif()
message(STATUS "${HEADER}: compiles alone, no internal include")
