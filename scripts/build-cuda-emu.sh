#!/usr/bin/env bash
# Builds the CUDA host emulator (src/test/native/cuda-emu/README.md) into OUT_DIR: driver/libcuda.so.1,
# which runs cuda-kernels/*.cu compiled for the host, and the GEMMs as cuda12/libcublas.so.12 and
# as cuda13/libcublas.so.13 (a CUDA-13 host, reached through Tessera's forwarding shim); cuDNN as
# cuda12/libcudnn.so.8 (8.9.7) and cuda13/libcudnn.so.9 (9.10.2) with its sub-libraries
# cuda13/libcudnn_ops.so.9 and libcudnn_cnn.so.9; NCCL as driver/libnccl.so.2. Maven's `cuda-emulator` test runs load them in
# place of a GPU (pom.xml). Called by Maven (process-test-classes) and by hand:
#   scripts/build-cuda-emu.sh [out-dir] [maven-repo] [ptx-dir]
# Without g++/nm, off Linux x86_64, or when the build made no PTX (no nvcc: CUDA would only report
# its kernels missing), it says so and builds nothing; the emulator's test runs then skip.
set -euo pipefail
cd "$(dirname "$0")/.."

OUT=${1:-target/cuda-emu}
REPO=${2:-$HOME/.m2/repository}
PTX=${3:-target/classes/dev/tessera/cuda}
JCUDA=${JCUDA_VERSION:-12.6.0}
JCUDNN=${JCUDNN_VERSION:-11.7.0}
SRC=src/test/native/cuda-emu
say() { echo "[cuda-emu] $*"; }

rm -rf "$OUT"
if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then say "skipped: not Linux x86_64 (the fiber switch is x86_64 assembly)"; exit 0; fi
for tool in g++ nm; do command -v $tool >/dev/null || { say "skipped: $tool not found"; exit 0; }; done
[[ -f $PTX/kernels.txt ]] || { say "skipped: no PTX in $PTX (built without nvcc)"; exit 0; }
DRIVER_JAR="$REPO/org/jcuda/jcuda-natives/$JCUDA/jcuda-natives-$JCUDA-linux-x86_64.jar"
CUBLAS_JAR="$REPO/org/jcuda/jcublas-natives/$JCUDA/jcublas-natives-$JCUDA-linux-x86_64.jar"
for j in "$DRIVER_JAR" "$CUBLAS_JAR"; do [[ -f $j ]] || { say "skipped: $j not found"; exit 0; }; done
CUDNN_JAR="$REPO/org/jcuda/jcudnn-natives/$JCUDNN/jcudnn-natives-$JCUDNN-linux-x86_64.jar"
cudnn=true
[[ -f $CUDNN_JAR ]] || { say "cuDNN skipped: $CUDNN_JAR not found (the emulator then has no libcudnn)"; cudnn=false; }

WORK="$OUT.build"
rm -rf "$WORK"; mkdir -p "$WORK" "$OUT/driver" "$OUT/cuda12" "$OUT/cuda13"
extract() {  # jar-file dest-dir: unzip is not everywhere; the JDK's jar tool is wherever Maven runs
  mkdir -p "$2"
  if command -v unzip >/dev/null; then unzip -o -q "$1" 'lib/*' -d "$2"
  else (cd "$2" && "${JAVA_HOME:+$JAVA_HOME/bin/}jar" xf "$1" lib); fi
}
extract "$DRIVER_JAR" "$WORK"; extract "$CUBLAS_JAR" "$WORK"
$cudnn && extract "$CUDNN_JAR" "$WORK"

# Stubs for everything the JNI libraries import, weak so that the emulated functions win: an
# unemulated call returns "not supported" (JCuda throws) instead of killing the JVM at lazy binding.
stubs() {  # jni-lib symbol-filter status out.c
  { echo '#include <stdio.h>'
    nm -D --undefined-only --with-symbol-versions "$1" | awk '{print $2}' | sed 's/@.*//' | grep -E "$2" | sort -u |
      while read -r f; do
        printf '__attribute__((weak)) int %s(void) { fprintf(stderr, "[cuda-emu] %s is not emulated\\n"); return %s; }\n' "$f" "$f" "$3"
      done
  } > "$4"
}
stubs "$WORK/lib/libJCudaDriver-$JCUDA-linux-x86_64.so" '^cu' 801 "$WORK/driver-stubs.c"          # CUDA_ERROR_NOT_SUPPORTED
stubs "$WORK/lib/libJCublas2-$JCUDA-linux-x86_64.so" '^cublas' 15 "$WORK/cublas-stubs.c"           # CUBLAS_STATUS_NOT_SUPPORTED
if $cudnn; then   # CUDNN_STATUS_NOT_SUPPORTED: 9 in cuDNN 8, 3000 in cuDNN 9 (renumbered)
  stubs "$WORK/lib/libJCudnn-$JCUDNN-linux-x86_64.so" '^cudnn' 9 "$WORK/cudnn8-stubs.c"
  stubs "$WORK/lib/libJCudnn-$JCUDNN-linux-x86_64.so" '^cudnn' 3000 "$WORK/cudnn9-stubs.c"
fi

# One registration file per kernel family: the .cu compiled as host C++ (emu.h first), then a
# table of its extern "C" kernels. A file that synchronises threads (barriers, warp shuffles) runs its blocks as fibers.
for cu in cuda-kernels/*.cu "$SRC"/mutants/*.cu; do   # mutants/: seeded races and shuffle misuse, test-only (RaceDetectorTest)
  family=$(basename "$cu" .cu)
  barriers=false
  grep -qE '__syncthreads|blockReduce|__shfl_|warpReduce' "$cu" && barriers=true
  names=$(grep -oE 'extern "C" __global__ void [A-Za-z0-9_]+' "$cu" | awk '{print $NF}')
  { echo "#include \"emu.h\""
    echo "#include \"$PWD/$cu\""
    echo "static const emu::Kernel kernels[] = {"
    for n in $names; do echo "    EMU_KERNEL($n, $barriers),"; done
    echo "};"
    echo "static emu::Registrar registrar(kernels, sizeof kernels / sizeof kernels[0]);"
  } > "$WORK/kernels_$family.cpp"
done

FLAGS=(-O2 -g0 -fPIC -std=c++17 -fno-strict-aliasing -fcf-protection=none -Wno-unknown-pragmas -I"$SRC" -I"$PWD/cuda-kernels")
# The kernel files get -fsanitize=thread: the compiler then calls __tsan_read/__tsan_write before
# each memory access, which driver.cpp's race detector implements (no TSan runtime is linked).
objs=()
for f in "$SRC/driver.cpp" "$WORK"/kernels_*.cpp; do
  o="$WORK/$(basename "$f" .cpp).o"
  if [[ $f == */driver.cpp ]]; then g++ "${FLAGS[@]}" -c "$f" -o "$o"; else g++ "${FLAGS[@]}" -fsanitize=thread -c "$f" -o "$o"; fi
  objs+=("$o")
done
gcc -O2 -fPIC -c "$WORK/driver-stubs.c" -o "$WORK/driver-stubs.o"
g++ -shared -o "$OUT/driver/libcuda.so.1" "${objs[@]}" "$WORK/driver-stubs.o" -Wl,-soname,libcuda.so.1 -Wl,-z,noexecstack
missing=$(nm -D --undefined-only "$OUT/driver/libcuda.so.1" | awk '{print $2}' | grep '^__tsan_' || true)
[[ -z $missing ]] || { echo "[cuda-emu] ERROR: the race detector in driver.cpp lacks: $missing" >&2; exit 1; }

# NCCL (nccl.cpp) beside the driver, so the emulator runs' LD_LIBRARY_PATH finds it, and its multi-process
# test program (nccl_test.cpp, run by EmulatedNcclTest). Real libnccl.so.2 has no symbol versions.
echo "{ global: nccl*; local: *; };" > "$WORK/nccl.map"
g++ "${FLAGS[@]}" -c "$SRC/nccl.cpp" -o "$WORK/nccl.o"
g++ -shared -o "$OUT/driver/libnccl.so.2" "$WORK/nccl.o" -Wl,-soname,libnccl.so.2 -Wl,--version-script,"$WORK/nccl.map" \
  -Wl,-z,noexecstack -L"$OUT/driver" -l:libcuda.so.1 -lpthread -lrt
g++ -O2 -std=c++17 -o "$OUT/nccl-test" "$SRC/nccl_test.cpp" -L"$OUT/driver" -l:libnccl.so.2 -l:libcuda.so.1 -lpthread \
  -Wl,-rpath,"\$ORIGIN/driver"

# JCublas2 imports every symbol at version libcublas.so.12; the CUDA 13 library has its own node.
gcc -O2 -fPIC -c "$WORK/cublas-stubs.c" -o "$WORK/cublas-stubs.o"
for major in 12 13; do
  g++ "${FLAGS[@]}" -DEMU_CUBLAS_MAJOR=$major -c "$SRC/cublas.cpp" -o "$WORK/cublas$major.o"
  echo "libcublas.so.$major { global: *; };" > "$WORK/cublas$major.map"
  g++ -shared -o "$OUT/cuda$major/libcublas.so.$major" "$WORK/cublas$major.o" "$WORK/cublas-stubs.o" -Wl,-soname,libcublas.so.$major \
    -Wl,--version-script,"$WORK/cublas$major.map" -L"$OUT/driver" -l:libcuda.so.1
done

# JCudnn imports every symbol at version libcudnn.so.8; cuDNN 9 has its own node, and is reached
# through Tessera's libcudnn.so.8 forwarding shim. cuDNN 9 loads the functions of cudnn_ops.h and
# cudnn_cnn.h from sub-libraries next to it; the emulator's are markers (cudnn_sublib.c).
built="$OUT/driver/libnccl.so.2 (+ $OUT/nccl-test), $OUT/cuda12/libcublas.so.12, $OUT/cuda13/libcublas.so.13"
if $cudnn; then
  for major in 8 9; do
    dir=$([[ $major == 8 ]] && echo cuda12 || echo cuda13)
    gcc -O2 -fPIC -c "$WORK/cudnn$major-stubs.c" -o "$WORK/cudnn$major-stubs.o"
    g++ "${FLAGS[@]}" -DEMU_CUDNN_MAJOR=$major -c "$SRC/cudnn.cpp" -o "$WORK/cudnn$major.o"
    echo "libcudnn.so.$major { global: cudnn*; local: *; };" > "$WORK/cudnn$major.map"
    g++ -shared -o "$OUT/$dir/libcudnn.so.$major" "$WORK/cudnn$major.o" "$WORK/cudnn$major-stubs.o" -Wl,-soname,libcudnn.so.$major \
      -Wl,--version-script,"$WORK/cudnn$major.map" -Wl,-z,noexecstack -L"$OUT/driver" -l:libcuda.so.1 -ldl
    built+=", $OUT/$dir/libcudnn.so.$major"
  done
  for sub in ops cnn; do
    gcc -O2 -fPIC -shared -DEMU_SUBLIB=$sub -o "$OUT/cuda13/libcudnn_$sub.so.9" "$SRC/cudnn_sublib.c" \
      -Wl,-soname,libcudnn_$sub.so.9 -Wl,-z,noexecstack
    built+=", $OUT/cuda13/libcudnn_$sub.so.9"
  done
  # A CUDA-13 host whose cuDNN 9 lacks libcudnn_cnn.so.9 (the cuda-emulator-13-no-cnn test run).
  mkdir -p "$OUT/cuda13-no-cnn"
  cp "$OUT/cuda13/libcublas.so.13" "$OUT/cuda13/libcudnn.so.9" "$OUT/cuda13/libcudnn_ops.so.9" "$OUT/cuda13-no-cnn/"
  built+=", $OUT/cuda13-no-cnn (no libcudnn_cnn.so.9)"
fi
rm -rf "$WORK"
kernel_files=(cuda-kernels/*.cu)
say "built $OUT/driver/libcuda.so.1 (${#kernel_files[@]} kernel files), $built"
