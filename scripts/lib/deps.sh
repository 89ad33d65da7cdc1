# Shared by scripts/demo and scripts/test: installs missing Debian 12 packages.
# Usage: source scripts/lib/deps.sh; install_missing pkg...

install_missing() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  echo "== installing: ${missing[*]}"
  local sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

# What building lmc needs.
readonly LMC_BUILD_PACKAGES=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcurl4-openssl-dev libsimdjson-dev libabsl-dev libgtest-dev libgmock-dev libopenblas-dev
  libunistring-dev
)
# What the full test run adds: clang for the thread-safety build and fuzzers, clang-format,
# Google Benchmark, FAISS (the inference benchmark's reference; optional for the build).
readonly LMC_TEST_PACKAGES=(
  "${LMC_BUILD_PACKAGES[@]}" libbenchmark-dev clang clang-format clang-tidy libclang-rt-14-dev llvm
  libfaiss-dev
)
# What packaging/package needs (zips, ELF reading, PT_INTERP/RPATH rewriting), and what the
# package stage adds: the arm64 cross compiler and qemu, debootstrap for the bullseye root,
# buildah for the images, python3-yaml for the template validation
# (packaging/templates/check installs Debian's npm only when no npm is on PATH), dpkg-dev for
# dpkg-source (scripts/setup-simdjson-source unpacks Debian's simdjson source package for the
# static bootstrap).
readonly LMC_PACKAGE_PACKAGES=(zip unzip patchelf binutils)
readonly LMC_PACKAGE_TEST_PACKAGES=(
  "${LMC_PACKAGE_PACKAGES[@]}" g++-aarch64-linux-gnu qemu-user-static debootstrap buildah
  python3-yaml dpkg-dev
)
# What the benchmarks' peers add (scripts/bench-inference): PyTorch on the CPU for
# bench/torch_peer.py. Tooling only: never needed to build lmc or to run its tests.
readonly LMC_BENCH_PACKAGES=(python3-torch python3-numpy libfaiss-dev)
