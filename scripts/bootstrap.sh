#!/usr/bin/env bash
# Installs what bitsearch needs from Debian 12 packages (only what is missing), builds it, then
# either runs the default example job embedded or runs the whole test suite.
#   bash scripts/bootstrap.sh run    # install, build the `bitsearch` CLI only, run examples/lenet5-fashion-mnist.json
#   bash scripts/bootstrap.sh test   # install, build everything (tests too), run every test through CTest
#   bash scripts/bootstrap.sh build  # install and build everything only
# Run as root on a fresh machine (it installs the compiler, CMake and git too); later runs skip
# installed packages and rebuild incrementally.
set -euo pipefail
cd "$(dirname "$0")/.."

PACKAGES=(
  # toolchain
  g++ make cmake git pkg-config ca-certificates
  # the numerical core
  libtorch-dev libopenblas0-pthread zlib1g-dev dataset-fashion-mnist libonnx-dev
  # data sets: image folders (OpenCV imgcodecs), SHA-256 of uploaded data sets (OpenSSL)
  libopencv-imgcodecs-dev libssl-dev
  # service, storage, metrics
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler libsqlite3-dev
  prometheus-cpp-dev
  # libraries used everywhere
  nlohmann-json3-dev libabsl-dev libcli11-dev
  # tests; openssl writes the TLS tests' certificates, chromium loads the HTML report; curl checks the web page
  libgtest-dev libgmock-dev openssl chromium curl
  # deployment: the worker's metrics endpoint; deploy/ checks (tests/deploy_*_test.sh)
  libcpp-httplib-dev prometheus docker-compose python3-yaml yamllint
  # ONNX interop checks: a model written by the reference Python library, its checker on our export
  python3-onnx
  # "your own model" acceptance: a model trained in PyTorch, data saved with numpy; ONNX Runtime
  # (npm onnxruntime-node, installed by tests/onnxruntime/ort_eval.sh) judges every export
  python3-torch python3-numpy nodejs npm
)

# A machine may already carry Node.js and npm from elsewhere (NodeSource's nodejs bundles npm and
# conflicts with Debian's npm package): a working command counts as installed.
declare -A PROVIDED_BY_COMMAND=([nodejs]=node [npm]=npm)

missing=()
for p in "${PACKAGES[@]}"; do
  if [ -n "${PROVIDED_BY_COMMAND[$p]:-}" ] && command -v "${PROVIDED_BY_COMMAND[$p]}" >/dev/null; then
    continue
  fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "bootstrap: installing ${missing[*]}"
  if [ "$(id -u)" -ne 0 ]; then
    echo "bootstrap: packages are missing and this is not root; run as root or install: ${missing[*]}" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
  echo "bootstrap: packages installed in ${SECONDS} s"
fi

case "${1:-build}" in
  run | test | build) ;;
  *)
    echo "usage: bash scripts/bootstrap.sh [run|test|build]" >&2
    exit 2
    ;;
esac

JOBS=${BITSEARCH_BUILD_JOBS:-$(nproc)}
# Each step says how long it took, so a slow CI run shows where its time went.
build_start=$SECONDS
# `test` builds what the suite runs; the benchmarks (bench/) come with `build`.
BENCH=ON
if [ "${1:-build}" = test ]; then BENCH=OFF; fi
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release -DBITSEARCH_BUILD_BENCH=$BENCH
if [ "${1:-build}" = run ]; then
  # The example needs the CLI alone: the test binaries, the server and the benchmarks wait for
  # `test` or `build`, so a fresh machine reaches the example's first progress bar sooner.
  cmake --build build -j"$JOBS" --target bitsearch
else
  cmake --build build -j"$JOBS"
fi
echo "bootstrap: built with $JOBS jobs in $((SECONDS - build_start)) s"

case "${1:-build}" in
  run)
    shift
    exec build/bitsearch run examples/lenet5-fashion-mnist.json "$@"
    ;;
  test)
    # Two at a time (BITSEARCH_TEST_JOBS): the suite passes serially and under -j2; -j2 keeps the
    # whole suite within half an hour on a 2-core machine. Tests bind 127.0.0.1 on free ports only.
    cd build && exec ctest --output-on-failure --timeout 1800 -j"${BITSEARCH_TEST_JOBS:-2}"
    ;;
esac
