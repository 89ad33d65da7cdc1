# Extracts a code example from documentation into a source file, so that CI compiles exactly what
# the documentation shows (see examples/CMakeLists.txt).
#
#   cmake -DSOURCE=README.md -DSTYLE=markdown -DMARKER="<!-- compiled: readme_hello -->" \
#         -DOUT=readme_hello.cc -P ExtractExample.cmake
#
# STYLE=markdown: the first ```cpp block after the line MARKER.
# STYLE=comment:  the comment lines after the line MARKER up to the first line that is not a
#                 comment, with their "//" and up to three spaces of indentation removed.
foreach(var SOURCE STYLE MARKER OUT)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "ExtractExample.cmake: -D${var}=... is required")
  endif()
endforeach()

file(READ "${SOURCE}" text)
string(FIND "${text}" "${MARKER}" at)
if(at EQUAL -1)
  message(FATAL_ERROR "${SOURCE}: no line \"${MARKER}\" (the example marker was removed?)")
endif()
string(LENGTH "${MARKER}" marker_length)
math(EXPR at "${at} + ${marker_length}")
string(SUBSTRING "${text}" ${at} -1 text)

if(STYLE STREQUAL "markdown")
  string(FIND "${text}" "```cpp\n" begin)
  if(begin EQUAL -1)
    message(FATAL_ERROR "${SOURCE}: no ```cpp block after \"${MARKER}\"")
  endif()
  math(EXPR begin "${begin} + 7")
  string(SUBSTRING "${text}" ${begin} -1 text)
  string(FIND "${text}" "\n```" end)
  string(SUBSTRING "${text}" 0 ${end} code)
elseif(STYLE STREQUAL "comment")
  # Skip the rest of the marker line, then take comment lines.
  string(FIND "${text}" "\n" eol)
  math(EXPR eol "${eol} + 1")
  string(SUBSTRING "${text}" ${eol} -1 text)
  string(REGEX MATCH "^(//[^\n]*\n)+" block "${text}")
  string(REGEX REPLACE "(^|\n)//(   ?)?" "\\1" code "${block}")
else()
  message(FATAL_ERROR "ExtractExample.cmake: STYLE must be markdown or comment")
endif()

set(content "// Extracted from ${SOURCE} by cmake/ExtractExample.cmake: edit the source, not this.\n${code}\n")
# Rewrite only on change, so an unchanged example is not recompiled.
if(EXISTS "${OUT}")
  file(READ "${OUT}" old)
  if(old STREQUAL content)
    return()
  endif()
endif()
file(WRITE "${OUT}" "${content}")
