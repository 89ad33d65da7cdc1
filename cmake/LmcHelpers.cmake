# Build helpers shared by every directory: warning flags, sanitizer flags and the
# lmc_cc_library / lmc_cc_test / lmc_cc_binary functions (modelled on absl_cc_library).

set(LMC_WARNING_FLAGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wcast-align
    -Wimplicit-fallthrough -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  # Clang checks ABSL_GUARDED_BY / ABSL_EXCLUSIVE_LOCKS_REQUIRED annotations at compile time.
  list(APPEND LMC_WARNING_FLAGS -Wthread-safety)
endif()
if(CMAKE_UNITY_BUILD AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  # In a unity source every .cc but the first is an included file, and g++ then reports a class
  # it defines with a member of an anonymous-namespace type as if the class were in a header.
  list(APPEND LMC_WARNING_FLAGS -Wno-subobject-linkage)
endif()
if(LMC_WERROR)
  list(APPEND LMC_WARNING_FLAGS -Werror)
endif()

if(LMC_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "LMC_FUZZ needs clang: CC=clang CXX=clang++ cmake -DLMC_FUZZ=ON ...")
  endif()
  # Coverage instrumentation everywhere; the fuzzer main is linked into the fuzz targets only.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
elseif(LMC_SANITIZE STREQUAL "address")
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
elseif(LMC_SANITIZE STREQUAL "thread")
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
elseif(NOT LMC_SANITIZE STREQUAL "")
  message(FATAL_ERROR "LMC_SANITIZE must be '', 'address' or 'thread', not '${LMC_SANITIZE}'")
endif()

# lmc_cc_library(NAME n SRCS ... [DEPS ...] [PRIVATE_DEPS ...] [LAYER l])
# A static library. It may include what its layer may (cmake/LmcLayers.cmake): the folder's
# layer, or LAYER in runtime/. DEPS are linked publicly, PRIVATE_DEPS privately; neither adds
# include directories of lmc's own.
function(lmc_cc_library)
  cmake_parse_arguments(L "" "NAME;LAYER" "SRCS;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${L_NAME} STATIC ${L_SRCS})
  lmc_layer_includes(${L_NAME} LAYER ${L_LAYER})
  target_compile_options(${L_NAME} PRIVATE ${LMC_WARNING_FLAGS})
  target_link_libraries(${L_NAME} PUBLIC ${L_DEPS} PRIVATE ${L_PRIVATE_DEPS})
endfunction()

# lmc_cc_binary(NAME n [OUTPUT_NAME o] SRCS ... DEPS ... [LAYER l])
function(lmc_cc_binary)
  cmake_parse_arguments(L "" "NAME;OUTPUT_NAME;LAYER" "SRCS;DEPS" ${ARGN})
  add_executable(${L_NAME} ${L_SRCS})
  lmc_layer_includes(${L_NAME} LAYER ${L_LAYER})
  target_compile_options(${L_NAME} PRIVATE ${LMC_WARNING_FLAGS})
  target_link_libraries(${L_NAME} PRIVATE ${L_DEPS})
  if(L_OUTPUT_NAME)
    set_target_properties(${L_NAME} PROPERTIES OUTPUT_NAME ${L_OUTPUT_NAME})
  endif()
endfunction()

# Every test shares one precompiled header: GoogleTest/GoogleMock, simdjson and the Abseil
# headers most tests include. Parsing them is most of a test file's compile time (about 5 s of
# a 7 s g++ compile), and the tests are 80 of the ~195 translation units built three times in CI.
# The header is built once per tree (target lmc_test_pch) and reused by every test target
# (REUSE_FROM), so every test compiles with the same flags and definitions as that target; a
# test's own extra definitions are fine as long as these headers do not read them.
option(LMC_TEST_PCH "Precompile the headers every test includes" ON)
set(LMC_TEST_PCH_HEADERS <gmock/gmock.h> <gtest/gtest.h> <simdjson.h> <absl/status/status.h>
    <absl/status/statusor.h> <absl/strings/str_cat.h> <absl/strings/string_view.h>
    <absl/time/time.h> <chrono> <filesystem> <functional> <map> <memory> <optional> <string>
    <string_view> <thread> <vector>)

function(lmc_test_pch_target)
  if(TARGET lmc_test_pch)
    return()
  endif()
  set(source ${CMAKE_BINARY_DIR}/lmc_test_pch.cc)
  file(CONFIGURE OUTPUT ${source} CONTENT "// The object that carries tests' precompiled header.\n")
  add_library(lmc_test_pch OBJECT ${source})
  target_compile_options(lmc_test_pch PRIVATE ${LMC_WARNING_FLAGS})
  target_link_libraries(lmc_test_pch PRIVATE simdjson::simdjson absl::status absl::statusor
    absl::strings absl::time GTest::gmock GTest::gtest)
  target_precompile_headers(lmc_test_pch PRIVATE ${LMC_TEST_PCH_HEADERS})
endfunction()

# lmc_cc_test(NAME n SRCS ... DEPS ... [LABEL l] [PREFIX p] [TIMEOUT s] [LAYER l]
#             [ENVIRONMENT K=V ...])
# A GoogleTest binary registered with ctest (each TEST becomes one ctest entry, named
# "<PREFIX>Suite.Case", so `ctest -R <prefix>` selects a group). LABEL is one ctest label
# (default "unit"); `ctest -L integration` runs only the end-to-end tests. A test may include
# what its layer may, plus lmc/testing/, tools/ and tests/ (cmake/LmcLayers.cmake).
function(lmc_cc_test)
  if(NOT LMC_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(L "" "NAME;TIMEOUT;LABEL;PREFIX;LAYER" "SRCS;DEPS;ENVIRONMENT" ${ARGN})
  add_executable(${L_NAME} ${L_SRCS})
  lmc_layer_includes(${L_NAME} LAYER ${L_LAYER} TEST)
  target_compile_options(${L_NAME} PRIVATE ${LMC_WARNING_FLAGS})
  # simdjson for every test: its definition (SIMDJSON_THREADS_ENABLED) is part of the shared
  # precompiled header's flags.
  target_link_libraries(${L_NAME} PRIVATE ${L_DEPS} GTest::gmock GTest::gtest_main
    simdjson::simdjson)
  if(LMC_TEST_PCH)
    lmc_test_pch_target()
    target_precompile_headers(${L_NAME} REUSE_FROM lmc_test_pch)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # g++ 12 inlines std::string differently behind a precompiled header and then reports
      # out-of-bounds memcpy in libstdc++'s char_traits that cannot happen (GCC bug 105651 and
      # its kin: four tests that build strings from literals). Tests only; the clang tree's
      # AddressSanitizer run checks the same code for real out-of-bounds accesses.
      target_compile_options(${L_NAME} PRIVATE -Wno-array-bounds -Wno-stringop-overflow)
    endif()
  endif()
  if(NOT L_TIMEOUT)
    set(L_TIMEOUT 120)
  endif()
  if(NOT L_LABEL)
    set(L_LABEL unit)
  endif()
  set(environment "")
  if(L_ENVIRONMENT)
    set(environment ENVIRONMENT "${L_ENVIRONMENT}")
  endif()
  gtest_discover_tests(${L_NAME} TEST_PREFIX "${L_PREFIX}" DISCOVERY_TIMEOUT 60
    PROPERTIES TIMEOUT ${L_TIMEOUT} LABELS ${L_LABEL} ${environment})
endfunction()

include(GoogleTest OPTIONAL)
