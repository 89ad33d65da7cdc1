# Static executables: one file with glibc, libstdc++, libm, libgcc, Abseil and simdjson inside,
# no dynamic loader, nothing to bundle. What function.zip ships (packaging/package).
#
#   include(cmake/LmcStatic.cmake)      # after find_package(simdjson) and Abseil's static archives
#   if(LMC_STATIC_EXECUTABLES)
#     lmc_cc_binary(NAME my_function_static SRCS main.cc DEPS lmc)
#     lmc_link_statically(my_function_static)
#   else()
#     message(STATUS "no static function: ${LMC_STATIC_UNAVAILABLE}")
#   endif()
#
# A static executable serves no handler plugins: a plugin shares the C++ runtime of the
# bootstrap that loads it, which only a dynamically linked bootstrap (the layer's) has.
# Plugin::Load refuses with Runtime.PluginUnsupported in a static one (lmc/plugin_loader.h).
#
# What it takes, for the target architecture (the arm64 sysroot has the same packages):
#   - glibc's, libstdc++'s and libgcc's archives (libc6-dev, libstdc++-12-dev), Abseil's
#     (libabsl-dev, linked statically by LMC_STATIC_ABSL everywhere anyway);
#   - simdjson's library code, which Debian 12 ships only as libsimdjson.so: it is compiled
#     here from Debian's own simdjson source package (scripts/setup-simdjson-source puts it in
#     $LMC_CACHE/simdjson-VERSION), checked to have the installed simdjson.h byte for byte;
#   - no shared library anywhere in the link: lmc_link_statically fails at configure time
#     naming any imported shared library the target reaches (libcurl, e.g. through
#     lmc::durable's Lambda client: its TLS stack has no static archives in Debian 12; such a
#     function keeps the dynamic, self-contained packaging).
# Sanitizer and fuzzer trees build none (their runtimes are shared libraries).
#
# How static glibc meets what the runtime does (checked, see packaging/README.md):
#   - names: the Runtime API address is numeric on Lambda (127.0.0.1:9001) and never reaches
#     the resolver; a name still resolves through glibc's built-in "files" and "dns" sources
#     (/etc/hosts, /etc/resolv.conf), which need no NSS module to be loaded;
#   - dlopen: only plugins use it, and they are refused before it is called;
#   - crash reports: backtrace() unwinds with the linked-in libgcc_eh, and the zip keeps the
#     executable's function symbols for absl::Symbolize;
#   - thread-locals: local-exec, no __tls_get_addr; /proc: only /proc/self/exe for the
#     symbolizer, read as in a dynamic executable.

set(LMC_STATIC_EXECUTABLES OFF)
set(LMC_STATIC_UNAVAILABLE "")

function(lmc_static_check)
  if(LMC_FUZZ OR NOT LMC_SANITIZE STREQUAL "")
    set(LMC_STATIC_UNAVAILABLE "sanitizer and fuzzer runtimes are shared libraries" PARENT_SCOPE)
    return()
  endif()
  # simdjson's source: the directory of scripts/setup-simdjson-source unless told otherwise.
  if(DEFINED ENV{LMC_CACHE})
    set(cache "$ENV{LMC_CACHE}")
  else()
    set(cache "$ENV{HOME}/.cache/lmc")
  endif()
  set(LMC_SIMDJSON_SOURCE_DIR "${cache}/simdjson-${simdjson_VERSION}" CACHE PATH
      "Debian's simdjson source (scripts/setup-simdjson-source), compiled into static executables")
  get_target_property(include_dirs simdjson::simdjson INTERFACE_INCLUDE_DIRECTORIES)
  find_file(lmc_installed_simdjson_h simdjson.h PATHS ${include_dirs} NO_DEFAULT_PATH)
  set(source "${LMC_SIMDJSON_SOURCE_DIR}/simdjson.cpp")
  set(header "${LMC_SIMDJSON_SOURCE_DIR}/simdjson.h")
  if(NOT EXISTS "${source}" OR NOT EXISTS "${header}")
    set(LMC_STATIC_UNAVAILABLE "no simdjson source in ${LMC_SIMDJSON_SOURCE_DIR} (Debian ships no \
libsimdjson.a; run scripts/setup-simdjson-source)" PARENT_SCOPE)
    return()
  endif()
  file(SHA256 "${header}" source_header_hash)
  file(SHA256 "${lmc_installed_simdjson_h}" installed_header_hash)
  if(NOT source_header_hash STREQUAL installed_header_hash)
    set(LMC_STATIC_UNAVAILABLE "${header} differs from ${lmc_installed_simdjson_h}" PARENT_SCOPE)
    return()
  endif()
  # glibc, libstdc++ and libgcc archives for this target.
  include(CheckCXXSourceCompiles)
  set(CMAKE_REQUIRED_LINK_OPTIONS -static-pie)
  set(CMAKE_REQUIRED_QUIET ON)
  check_cxx_source_compiles("#include <string>\nint main(int c, char**) { return std::string(\
static_cast<unsigned>(c), 'x').size() == 3; }" LMC_CAN_LINK_STATIC_PIE)
  if(NOT LMC_CAN_LINK_STATIC_PIE)
    set(LMC_STATIC_UNAVAILABLE "the toolchain cannot link -static-pie (libc.a, libstdc++.a?)"
        PARENT_SCOPE)
    return()
  endif()
  set(LMC_STATIC_EXECUTABLES ON PARENT_SCOPE)
endfunction()
lmc_static_check()

if(LMC_STATIC_EXECUTABLES)
  # simdjson's library code as one object, with the definitions and include path of the
  # installed package (SIMDJSON_THREADS_ENABLED changes the parser's layout) and the build's
  # optimisation flags (Debian builds it RelWithDebInfo, -O2, like lmc's trees).
  add_library(lmc_simdjson_static OBJECT "${LMC_SIMDJSON_SOURCE_DIR}/simdjson.cpp")
  target_compile_definitions(lmc_simdjson_static PRIVATE
    $<TARGET_PROPERTY:simdjson::simdjson,INTERFACE_COMPILE_DEFINITIONS>)
  target_include_directories(lmc_simdjson_static PRIVATE
    $<TARGET_PROPERTY:simdjson::simdjson,INTERFACE_INCLUDE_DIRECTORIES>)
else()
  message(STATUS "lmc: no static executables (${LMC_STATIC_UNAVAILABLE}); function.zip will "
                 "bundle the dynamic bootstrap")
endif()

# The imported shared libraries `target` reaches through its link libraries, simdjson's (whose
# code the static link brings itself) and the threads pseudo-target left out.
function(lmc_shared_libraries_of target out)
  set(pending ${target})
  set(seen "")
  set(shared "")
  while(pending)
    list(POP_FRONT pending current)
    if(current IN_LIST seen OR NOT TARGET ${current})
      continue()
    endif()
    list(APPEND seen ${current})
    get_target_property(type ${current} TYPE)
    get_target_property(imported ${current} IMPORTED)
    if(imported AND type STREQUAL "SHARED_LIBRARY" AND NOT current STREQUAL "simdjson::simdjson")
      # Abseil's targets stay SHARED_LIBRARY with their location at the .a (LmcStaticAbsl).
      foreach(property IMPORTED_LOCATION IMPORTED_LOCATION_NONE IMPORTED_LOCATION_RELEASE
                       IMPORTED_LOCATION_RELWITHDEBINFO IMPORTED_LOCATION_DEBUG)
        get_target_property(location ${current} ${property})
        if(location AND location MATCHES "\\.so(\\.[0-9.]*)?$")
          list(APPEND shared ${current})
          break()
        endif()
      endforeach()
    endif()
    foreach(property LINK_LIBRARIES INTERFACE_LINK_LIBRARIES)
      if(type STREQUAL "INTERFACE_LIBRARY" AND property STREQUAL "LINK_LIBRARIES")
        continue()
      endif()
      get_target_property(links ${current} ${property})
      if(links)
        # Names inside generator expressions count too ($<LINK_ONLY:CURL::libcurl>).
        string(REGEX MATCHALL "[A-Za-z0-9_.+-]+(::[A-Za-z0-9_.+-]+)?" names "${links}")
        list(APPEND pending ${names})
      endif()
    endforeach()
  endwhile()
  set(${out} ${shared} PARENT_SCOPE)
endfunction()

# lmc_link_statically(TARGET): links the executable TARGET as a static PIE (see the top of this
# file). Call it after TARGET's target_link_libraries. Fails at configure time when static
# executables are unavailable (the reason is said) or when TARGET reaches a shared library.
function(lmc_link_statically target)
  if(NOT LMC_STATIC_EXECUTABLES)
    message(FATAL_ERROR "lmc_link_statically(${target}): ${LMC_STATIC_UNAVAILABLE}")
  endif()
  lmc_shared_libraries_of(${target} shared)
  if(shared)
    message(FATAL_ERROR "lmc_link_statically(${target}): it links shared libraries with no static "
      "archive to replace them (${shared}); package it dynamically (packaging/package --dynamic)")
  endif()
  # simdjson's code from its source instead of libsimdjson.so, which lmc_simdjson leaves off the
  # link line of a target with LMC_STATIC (runtime/CMakeLists.txt).
  set_target_properties(${target} PROPERTIES LMC_STATIC ON)
  target_sources(${target} PRIVATE $<TARGET_OBJECTS:lmc_simdjson_static>)
  # --gc-sections: a static executable exports nothing, so unused code of every archive goes.
  target_link_options(${target} PRIVATE -static-pie LINKER:--gc-sections)
endfunction()
