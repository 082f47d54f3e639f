#!/usr/bin/env bash
# The checks for the lent GPU machine: run from the repo root with target/gpu-bundle carried
# (scripts/gpu-bundle.sh builds it); that machine has no Java, no Maven, no network.
# Each step is timed, logged to $OUT (or target/gpu-check) and may fail without stopping the
# others; every step has a timeout, together under 10 minutes (one device call). The summary comes last.
set -uo pipefail
cd "$(dirname "$0")/.." || exit
B=${BUNDLE:-target/gpu-bundle}
LOG=${OUT:-target/gpu-check}
mkdir -p "$LOG"
JAVA=("$B/jre/bin/java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xss8m)
TESSERA=("${JAVA[@]}" -jar "$B/tessera.jar")
SUMMARY=()

step() {  # name timeout-seconds command...
  local name=$1 limit=$2; shift 2
  local t0=$SECONDS rc
  echo "=== $name: $*"
  timeout "$limit" "$@" > "$LOG/$name.log" 2>&1; rc=$?
  local status="rc=$rc"
  if [[ $rc -eq 0 ]]; then status=ok; elif [[ $rc -eq 124 ]]; then status=timeout; fi
  tail -n 25 "$LOG/$name.log"
  SUMMARY+=("$(printf '%-14s %-8s %6s' "$name" "$status" $((SECONDS - t0)))")
}

# Where the CUDA libraries are: the first thing to know when loading fails.
find_libs() {
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1
  timeout 25 find / \( -path /proc -o -path "$PWD" -o -name target -o -name .debug \) -prune -o \( -type f -o -type l \) \
    \( -name 'libcublas.so.1[23]*' -o -name 'libcudnn.so.[89]*' \) -print 2>/dev/null | head -20
}
step find-libs 30 bash -c "$(declare -f find_libs); find_libs"

# The shims print how many functions they forwarded and stubbed (TESSERA_SHIM_DEBUG).
step info 40 env TESSERA_SHIM_DEBUG=1 "${TESSERA[@]}" info
if grep -q '^cuda: *unavailable' "$LOG/info.log" && grep -q '^/' "$LOG/find-libs.log"; then
  # Tessera's own search missed the libraries: retry with their folders on LD_LIBRARY_PATH, so
  # the remaining steps still measure the GPU code (the miss is reported above).
  dirs=$(grep -E '^/.*/lib(cublas|cudnn)\.so\.[0-9]+$' "$LOG/find-libs.log" | grep -v "^$PWD/" | xargs -r -n1 dirname | sort -u | paste -sd:)
  export LD_LIBRARY_PATH="$dirs${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  step info-ldpath 40 env TESSERA_SHIM_DEBUG=1 "${TESSERA[@]}" info
fi

CP="$B/tessera.jar:$B/test-classes$(find "$B/test-lib" -name '*.jar' ! -name 'junit-platform-console-standalone*' -printf ':%p')"
# TESSERA_CUDA_POISON=1: every block the allocator hands out reads NaN until written, so a kernel
# that reads memory it never wrote fails its test instead of passing on a fresh block's zeros.
step tests 230 env TESSERA_REQUIRE_CUDA=1 TESSERA_REQUIRE_CUDNN=1 TESSERA_CUDA_POISON=1 "${JAVA[@]}" -jar "$B"/test-lib/junit-platform-console-standalone-*.jar execute \
  --disable-banner --details=summary --class-path "$CP" --scan-classpath "$B/test-classes" --reports-dir "$LOG/junit"
grep -E 'MethodSource|=> ' "$LOG/tests.log" | head -40 > "$LOG/tests-failures.log"

step train 80 "${TESSERA[@]}" train --device cuda --epochs 1 --train-size 2000
step bench-gpu 190 "${TESSERA[@]}" bench gpu

echo; printf '%-14s %-8s %6s\n' step status seconds
printf '%s\n' "${SUMMARY[@]}" | tee "$LOG/summary.txt"
