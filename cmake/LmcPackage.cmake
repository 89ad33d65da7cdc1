# lmc_package_function(TARGET t [ARCH x86_64|arm64] [OUTPUT_DIR dir] [PLUGIN plugin_target])
#
# Adds the target `t_package`, which writes OUTPUT_DIR/function.zip (the executable `t` as
# `bootstrap` at the root, plus its shared libraries and dynamic loader under lib/, found from
# DT_NEEDED in the target's sysroot) and OUTPUT_DIR/layer.zip (the same as a layer for /opt),
# exactly as packaging/package does for lmc's own bootstrap. ARCH defaults to the target
# architecture of this build (arm64 when CMAKE_SYSTEM_PROCESSOR is aarch64), OUTPUT_DIR to
# ${CMAKE_CURRENT_BINARY_DIR}/t-package. Give the executable lmc_enable_plugins() if it should
# also serve plugin handlers (PLUGIN then adds OUTPUT_DIR/plugin.zip with that library).
#
#   add_executable(my_function main.cc)
#   target_link_libraries(my_function PRIVATE lmc::lmc)
#   lmc_package_function(TARGET my_function)       # cmake --build build --target my_function_package
set(LMC_PACKAGE_SCRIPT "${CMAKE_CURRENT_LIST_DIR}/../packaging/package" CACHE FILEPATH
    "packaging/package, the script lmc_package_function runs")

function(lmc_package_function)
  cmake_parse_arguments(P "" "TARGET;ARCH;OUTPUT_DIR;PLUGIN" "" ${ARGN})
  if(NOT P_TARGET)
    message(FATAL_ERROR "lmc_package_function: TARGET is required")
  endif()
  if(NOT P_ARCH)
    if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(aarch64|arm64)$")
      set(P_ARCH arm64)
    else()
      set(P_ARCH x86_64)
    endif()
  endif()
  if(NOT P_OUTPUT_DIR)
    set(P_OUTPUT_DIR "${CMAKE_CURRENT_BINARY_DIR}/${P_TARGET}-package")
  endif()
  set(args --arch ${P_ARCH} --out "${P_OUTPUT_DIR}" --bootstrap "$<TARGET_FILE:${P_TARGET}>")
  if(CMAKE_CROSSCOMPILING AND CMAKE_SYSROOT)
    list(APPEND args --sysroot "${CMAKE_SYSROOT}")
  endif()
  set(depends ${P_TARGET})
  if(P_PLUGIN)
    list(APPEND args --plugin "$<TARGET_FILE:${P_PLUGIN}>")
    list(APPEND depends ${P_PLUGIN})
  endif()
  add_custom_target(${P_TARGET}_package
    COMMAND "${LMC_PACKAGE_SCRIPT}" ${args}
    DEPENDS ${depends}
    COMMENT "Packaging ${P_TARGET} for ${P_ARCH} into ${P_OUTPUT_DIR}"
    VERBATIM)
endfunction()
