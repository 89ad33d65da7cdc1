# Cross build for arm64 (aarch64-linux-gnu) on an x86_64 Debian 12 host.
#
#   scripts/setup-arm64                              # cross compiler, qemu, the arm64 sysroot
#   cmake -S . -B build-arm64 -G Ninja \
#     -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
#   cmake --build build-arm64 && ctest --test-dir build-arm64     # tests run under qemu
#
# Compiler: Debian's g++-aarch64-linux-gnu. Libraries and headers: an arm64 Debian 12 root
# (LMC_SYSROOT, default ~/.cache/lmc/sysroot-arm64, or $LMC_CACHE/sysroot-arm64) made of Debian's arm64 packages
# unpacked with dpkg-deb -x (debootstrap --foreign, which installs nothing on the host): Debian's
# libsimdjson-dev is not multi-arch co-installable, so the arm64 packages cannot sit beside the
# native ones in /usr. The native build is untouched.
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

if(DEFINED ENV{LMC_SYSROOT})
  set(lmc_default_sysroot "$ENV{LMC_SYSROOT}")
elseif(DEFINED ENV{LMC_CACHE})
  set(lmc_default_sysroot "$ENV{LMC_CACHE}/sysroot-arm64")
else()
  set(lmc_default_sysroot "$ENV{HOME}/.cache/lmc/sysroot-arm64")
endif()
set(LMC_SYSROOT "${lmc_default_sysroot}" CACHE PATH
    "arm64 Debian 12 root holding lmc's dependencies (scripts/setup-arm64 makes it)")
get_filename_component(LMC_SYSROOT "${LMC_SYSROOT}" ABSOLUTE)
# Kept for try_compile projects, which re-read this file without the cache.
set(ENV{LMC_SYSROOT} "${LMC_SYSROOT}")

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_SYSROOT "${LMC_SYSROOT}")
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

# Headers and libraries from the sysroot only; programs (cmake, ninja) from the host.
set(CMAKE_FIND_ROOT_PATH "${LMC_SYSROOT}")
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

# pkg-config (OpenBLAS for handlers/inference) reads the sysroot's .pc files only, never the
# host's, and prefixes the paths they name with the sysroot.
set(ENV{PKG_CONFIG_PATH} "")
set(ENV{PKG_CONFIG_LIBDIR}
    "${LMC_SYSROOT}/usr/lib/aarch64-linux-gnu/pkgconfig:${LMC_SYSROOT}/usr/share/pkgconfig")
set(ENV{PKG_CONFIG_SYSROOT_DIR} "${LMC_SYSROOT}")

# Test binaries run under qemu with the sysroot's loader and libraries (ctest and
# gtest_discover_tests use this).
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64-static -L "${LMC_SYSROOT}")
