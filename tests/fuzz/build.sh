#!/usr/bin/env bash
# Configures and builds the libFuzzer targets in their own clang build (default build-fuzz/),
# every Augur library instrumented with ASan, UBSan and libFuzzer's coverage (docs/fuzzing.md).
#   tests/fuzz/build.sh                      build the four fuzzers
#   ctest --test-dir build-fuzz -L slow      run each for AUGUR_FUZZ_SECONDS (default 60)
# Environment: FUZZ_BUILD_DIR, JOBS (default 2), AUGUR_FUZZ_SECONDS.
set -euo pipefail
cd "$(dirname "$0")/../.."
dir=${FUZZ_BUILD_DIR:-build-fuzz}
sanitize="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined"
CC=clang CXX=clang++ cmake -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAUGUR_FUZZ=ON \
  -DAUGUR_WERROR=OFF -DAUGUR_WITH_CUDA=OFF -DAUGUR_BUILD_BENCH=OFF \
  -DAUGUR_FUZZ_SECONDS="${AUGUR_FUZZ_SECONDS:-60}" \
  -DCMAKE_C_FLAGS="$sanitize" -DCMAKE_CXX_FLAGS="$sanitize" > "$dir.configure.log" 2>&1 ||
  { cat "$dir.configure.log" >&2; exit 1; }
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=true
cmake --build "$dir" -j "${JOBS:-2}" --target fuzz_sweep_spec fuzz_curve_csv fuzz_trial_config \
  fuzz_scheduler_requests
