# lmc as a Lambda container image (provided.al2023), CPU and CUDA.
#
#   docker build -t lmc .                                   # CPU image, handler "echo"
#   docker build --target cuda -t lmc-cuda .                # inference-bootstrap + CUDA libraries
#   docker run -p 9000:8080 lmc                             # with the Runtime Interface Emulator
#
# Multi-arch (amd64 + arm64, one manifest; each platform builds natively, under qemu on another
# host, so no cross compiler is involved):
#
#   docker buildx build --platform linux/amd64,linux/arm64 -t REPO/lmc:latest --push .
#   buildah bud --platform linux/amd64,linux/arm64 --manifest lmc .   # then: buildah manifest push
#
# Build arguments (every base image is overridable, e.g. for a mirror or a local image):
#   BUILDER_IMAGE   the builder stage (default debian:12)
#   RUNTIME_IMAGE   the final stage (default public.ecr.aws/lambda/provided:al2023)
#   CUDA_LIBS_IMAGE where the cuda target takes the CUDA runtime libraries from
#   BUILD_FROM      "source" (default: build in the builder stage) or "prebuilt" (take
#                   build-image/runtime/ and build-image/inference-runtime/ from the context:
#                   the runtime/ folders `packaging/package` writes for bootstrap and for
#                   inference-bootstrap; used by CI, which has no registry to pull a builder from)
#
# CMD is the handler name (_HANDLER): "echo" here; set another with `docker run IMAGE NAME` or the
# function's ImageConfig.Command.
# The runtime lives at /var/runtime/bootstrap with its loader and libraries in /var/runtime/lib
# (PT_INTERP and DT_RPATH point there; see packaging/README.md), so it does not depend on the
# image's glibc. The base image's /lambda-entrypoint.sh exports _HANDLER from its argument
# (CMD) and execs /var/runtime/bootstrap.
ARG BUILDER_IMAGE=debian:12
ARG RUNTIME_IMAGE=public.ecr.aws/lambda/provided:al2023
ARG CUDA_LIBS_IMAGE=nvidia/cuda:12.4.1-runtime-ubuntu22.04
ARG BUILD_FROM=source

# --- builder: the runtimes, packaged for /var/runtime ---------------------------------------
# /image/runtime: bootstrap (diagnostic handlers); /image/inference-runtime: inference-bootstrap
# with OpenBLAS, plus the CUDA plugin when the builder image has the toolkit at /usr/local/cuda
# (debian:12 has not: build on an image with the toolkit, or prebuilt, for a GPU-capable image).
FROM ${BUILDER_IMAGE} AS build-source
RUN apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ca-certificates libcurl4-openssl-dev \
      libsimdjson-dev libabsl-dev libopenblas-dev libunistring-dev zip unzip patchelf binutils \
    && rm -rf /var/lib/apt/lists/*
COPY . /src
RUN arch=$(uname -m) && [ "$arch" = aarch64 ] && arch=arm64; \
    /src/packaging/package --arch "$arch" --out /out && mkdir -p /image && mv /out/runtime /image/ \
    && /src/packaging/package --arch "$arch" --out /out-inference --inference \
    && mv /out-inference/runtime /image/inference-runtime

FROM scratch AS build-prebuilt
COPY build-image/runtime/ /image/runtime/
COPY build-image/inference-runtime/ /image/inference-runtime/

FROM build-${BUILD_FROM} AS builder

# --- the CPU image -------------------------------------------------------------------------
FROM ${RUNTIME_IMAGE} AS runtime
COPY --from=builder /image/runtime/ /var/runtime/
CMD ["echo"]

# --- cuda: GPU inference on Managed Instances (accelerators need PackageType Image on x86_64):
# inference-bootstrap (handler "inference"; LMC_MODEL names the model, see
# handlers/inference/README.md) with its CUDA plugin next to it, and the CUDA runtime libraries
# (cudart, cuBLAS) of CUDA_LIBS_IMAGE, which must match the toolkit that built the plugin. The
# bundled loader searches /var/runtime/lib first, then LD_LIBRARY_PATH, where
# /usr/local/cuda/lib64 is added. Without a GPU (or the libraries) it serves from the CPU.
FROM ${CUDA_LIBS_IMAGE} AS cuda-libs
FROM ${RUNTIME_IMAGE} AS cuda
COPY --from=builder /image/inference-runtime/ /var/runtime/
COPY --from=cuda-libs /usr/local/cuda/lib64/ /usr/local/cuda/lib64/
ENV LD_LIBRARY_PATH=/usr/local/cuda/lib64:/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib
CMD ["inference"]

# The default target is the CPU image.
FROM runtime
