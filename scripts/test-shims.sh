#!/usr/bin/env bash
# Proves the CUDA-13 forwarding shims at link level on a machine without CUDA: stand-in
# libcublas.so.13 / libcudnn.so.9 export a few functions returning distinctive values, and the
# unmodified JCuda JNI libraries are made to call them through the shims. Prints PASS/FAIL lines;
# exits non-zero on any FAIL. Not part of `mvn verify` (needs gcc, nm, java and the Maven repo).
#   scripts/test-shims.sh [maven-repo]
set -uo pipefail
cd "$(dirname "$0")/.." || exit
REPO=${1:-$HOME/.m2/repository}
T=$(mktemp -d /tmp/tessera-shims.XXXXXX)
trap 'rm -rf "$T"' EXIT
fails=0
check() {  # name, then a command that must succeed
  local name=$1; shift
  if "$@" >"$T/last.log" 2>&1; then echo "PASS $name"; else echo "FAIL $name"; sed 's/^/    /' "$T/last.log" | tail -20; fails=$((fails + 1)); fi
}

bash scripts/build-shims.sh "$T/classes" "$REPO" >/dev/null || { echo "FAIL build-shims.sh"; exit 1; }
SHIM="$T/classes/dev/tessera/cuda/native"
JNI="$T/shim-build/lib"   # build-shims.sh leaves the extracted JCuda natives here
[[ -f $SHIM/libcublas.so.12 && -f $SHIM/libcudnn.so.8 ]] || { echo "FAIL shims not built (gcc/nm missing?)"; exit 1; }

# Stand-ins for the CUDA 13 libraries, with the real sonames and version nodes; everything
# else the JNI libraries import is absent from them and must hit the shims' stubs.
mkdir -p "$T/cuda13"
cat > "$T/cublas13.c" <<'EOF'
int cublasCreate_v2(void **h) { *h = (void *) 0x13; return 0; }
int cublasGetVersion_v2(void *h, int *v) { *v = h == (void *) 0x13 ? 130100 : -1; return 0; }
EOF
cat > "$T/cudnn9.c" <<'EOF'
unsigned long cudnnGetVersion(void) { return 90300; }
EOF
echo 'libcublas.so.13 { global: *; };' > "$T/cublas13.map"
echo 'libcudnn.so.9 { global: *; };' > "$T/cudnn9.map"
gcc -shared -fPIC -o "$T/cuda13/libcublas.so.13" "$T/cublas13.c" -Wl,-soname,libcublas.so.13 -Wl,--version-script,"$T/cublas13.map"
gcc -shared -fPIC -o "$T/cuda13/libcudnn.so.9" "$T/cudnn9.c" -Wl,-soname,libcudnn.so.9 -Wl,--version-script,"$T/cudnn9.map"

check "shims need only GLIBC_2.2.5 symbols" \
  bash -c "! objdump -T '$SHIM'/*.so.* | grep -o 'GLIBC_[0-9.]*' | sort -u | grep -v '^GLIBC_2.2.5\$'"
check "libcublas.so.12 shim: soname and version node libcublas.so.12" \
  bash -c "readelf -d '$SHIM/libcublas.so.12' | grep -q 'SONAME.*\[libcublas.so.12\]' && objdump -T '$SHIM/libcublas.so.12' | grep -q 'libcublas.so.12 *cublasSgemm_v2\$'"

# A C host dlopen()s the JNI libraries with RTLD_NOW, so every import must bind at once, then
# calls through the very symbols libJCublas2/libJCudnn bind to (dlvsym on their handles).
cat > "$T/host.c" <<'EOF'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  void *b = dlopen(argv[1], RTLD_NOW), *d = dlopen(argv[2], RTLD_NOW);
  if (!b || !d) { printf("dlopen: %s\n", dlerror()); return 1; }
  int (*create)(void **) = dlvsym(b, "cublasCreate_v2", "libcublas.so.12");
  int (*version)(void *, int *) = dlvsym(b, "cublasGetVersion_v2", "libcublas.so.12");
  int (*sgemm)(void) = dlvsym(b, "cublasSgemm_v2", "libcublas.so.12");
  unsigned long (*dnnVersion)(void) = dlvsym(d, "cudnnGetVersion", "libcudnn.so.8");
  int (*dnnCreate)(void **) = dlvsym(d, "cudnnCreate", "libcudnn.so.8");
  void *h = 0; int v = 0;
  int rc = create(&h); version(h, &v);
  printf("cublasCreate_v2=%d cublasGetVersion_v2=%d cublasSgemm_v2=%d cudnnGetVersion=%lu cudnnCreate=%d\n",
         rc, v, sgemm(), dnnVersion(), dnnCreate(&h));
  return 0;
}
EOF
gcc -o "$T/host" "$T/host.c" -ldl
B="$JNI/libJCublas2-12.6.0-linux-x86_64.so"; D="$JNI/libJCudnn-11.7.0-linux-x86_64.so"
LD_LIBRARY_PATH="$SHIM:$T/cuda13" LD_DEBUG=bindings LD_DEBUG_OUTPUT="$T/bind" "$T/host" "$B" "$D" > "$T/host.out" 2>&1
cat "$T/bind".* > "$T/bindings" 2>/dev/null
bound() {  # distinct symbols that file $1 bound to the library with soname $2, at version $2
  grep "$1.* to .*/$2 .*\[$2\]" "$T/bindings" | sed "s/.*symbol \`\([^']*\)'.*/\1/" | sort -u | wc -l
}
nb=$(bound libJCublas2-12.6.0-linux-x86_64.so libcublas.so.12)
nd=$(bound libJCudnn-11.7.0-linux-x86_64.so libcudnn.so.8)
nbu=$(nm -D --undefined-only --with-symbol-versions "$B" | grep -c '@libcublas.so.12$')
ndu=$(nm -D --undefined-only --with-symbol-versions "$D" | grep -c '@libcudnn.so.8$')
check "libJCublas2: all $nbu imports bind to the shim (RTLD_NOW, LD_DEBUG=bindings: $nb)" test "$nb" -eq "$nbu"
check "libJCudnn: all $ndu imports bind to the shim (RTLD_NOW, LD_DEBUG=bindings: $nd)" test "$nd" -eq "$ndu"
check "calls forward to the CUDA 13 stand-ins (cublasCreate_v2=0, version 130100, cudnnGetVersion 90300)" \
  grep -q 'cublasCreate_v2=0 cublasGetVersion_v2=130100 .* cudnnGetVersion=90300' "$T/host.out"
check "functions the target lacks return NOT_SUPPORTED (cublasSgemm_v2=15, cudnnCreate=3000)" \
  grep -q 'cublasSgemm_v2=15 .* cudnnCreate=3000' "$T/host.out"
LD_LIBRARY_PATH="$SHIM" "$T/host" "$B" "$D" > "$T/host-none.out" 2>&1
check "without libcublas.so.13 the shim still loads; every call returns 15 and it says why on stderr" \
  bash -c "grep -q 'cublasCreate_v2=15 .* cublasSgemm_v2=15 cudnnGetVersion=3000' '$T/host-none.out' && grep -q 'cannot load libcublas.so.13' '$T/host-none.out'"

# The JVM path Tessera uses (CudaLibraries): no LD_LIBRARY_PATH; System.load the CUDA 13 library
# by absolute path, then the shim, then let JCuda load its JNI library from the jar.
M="$REPO/org/jcuda"
CP="$M/jcuda/12.6.0/jcuda-12.6.0.jar:$M/jcublas/12.6.0/jcublas-12.6.0.jar:$M/jcublas-natives/12.6.0/jcublas-natives-12.6.0-linux-x86_64.jar:$M/jcudnn/11.7.0/jcudnn-11.7.0.jar:$T/classes"
cat > "$T/JvmPath.java" <<'EOF'
import jcuda.jcublas.*;
import jcuda.jcudnn.*;
public class JvmPath {
  public static void main(String[] a) {
    System.load(a[0] + "/libcublas.so.13"); System.load(a[1] + "/libcublas.so.12");
    System.load(a[0] + "/libcudnn.so.9");   System.load(a[1] + "/libcudnn.so.8");
    cublasHandle h = new cublasHandle(); int[] v = {0};
    int rc = JCublas2.cublasCreate(h);
    JCublas2.cublasGetVersion(h, v);
    System.out.println("jvm: cublasCreate=" + rc + " cublasGetVersion=" + v[0]
        + " cublasGetPointerMode=" + JCublas2.cublasGetPointerMode(h, new int[1])
        + " cudnnGetVersion=" + JCudnn.cudnnGetVersion() + " cudnnCreate=" + JCudnn.cudnnCreate(new cudnnHandle()));
  }
}
EOF
java -cp "$CP" "$T/JvmPath.java" "$T/cuda13" "$SHIM" > "$T/jvm.out" 2>&1
check "JVM: JCublas2/JCudnn (unmodified, from the jars) reach the stand-ins through System.load'ed shims" \
  grep -q 'jvm: cublasCreate=0 cublasGetVersion=130100 cublasGetPointerMode=15 cudnnGetVersion=90300 cudnnCreate=3000' "$T/jvm.out"

# Tessera's own loader (CudaLibraries) from the built jar, end to end: a fake libcuda.so.1 with one
# device, CUDA 13 stand-ins found by its folder search (TESSERA_CUDA_LIBS), cuDNN sub-libraries
# that NEED each other (libcudnn_graph needs libcudnn_ops: loaded by retrying).
JAR=${TESSERA_JAR:-target/tessera.jar}
if [[ -f $JAR ]]; then
  mkdir -p "$T/fake"
  cat > "$T/fake.c" <<'EOF2'
int cuInit(unsigned f) { return 0; }
int cuDeviceGetCount(int *n) { *n = 1; return 0; }
int cuDriverGetVersion(int *v) { *v = 13000; return 0; }
EOF2
  gcc -shared -fPIC -o "$T/fake/libcuda.so.1" "$T/fake.c" -Wl,-soname,libcuda.so.1
  echo 'int cublasLtCreate(void **h) { return 0; }' > "$T/lt.c"
  echo 'int cublasGetProperty(int t, int *v) { *v = t == 0 ? 13 : t == 1 ? 1 : 7; return 0; }' >> "$T/cublas13.c"
  echo 'int ops(void) { return 0; }' > "$T/ops.c"; echo 'int graph(void) { return 0; }' > "$T/graph.c"
  gcc -shared -fPIC -o "$T/cuda13/libcublasLt.so.13" "$T/lt.c" -Wl,-soname,libcublasLt.so.13
  gcc -shared -fPIC -o "$T/cuda13/libcublas.so.13" "$T/cublas13.c" -Wl,-soname,libcublas.so.13 -Wl,--version-script,"$T/cublas13.map" \
    -Wl,--no-as-needed "$T/cuda13/libcublasLt.so.13"
  gcc -shared -fPIC -o "$T/cuda13/libcudnn_ops.so.9" "$T/ops.c" -Wl,-soname,libcudnn_ops.so.9
  gcc -shared -fPIC -o "$T/cuda13/libcudnn_graph.so.9" "$T/graph.c" -Wl,-soname,libcudnn_graph.so.9 -Wl,--no-as-needed "$T/cuda13/libcudnn_ops.so.9"
  cat > "$T/Probe.java" <<'EOF2'
public class Probe { public static void main(String[] a) {
  var r = dev.tessera.backend.cuda.CudaLibraries.load();
  System.out.println("ok=" + r.ok() + " reason=" + r.reason() + " devices=" + r.deviceCount() + " cudnnOk=" + r.cudnnOk());
  r.details().forEach(l -> System.out.println("  " + l));
}}
EOF2
  TESSERA_CUDA_LIBS="$T/cuda13" LD_LIBRARY_PATH="$T/fake" java -cp "$JAR" "$T/Probe.java" > "$T/probe.out" 2>&1
  check "CudaLibraries.load() on a fake CUDA-13 host: cuBLAS 13.1.7 and cuDNN 9.3.0 through the shims" \
    bash -c "grep -q 'ok=true reason=null devices=1 cudnnOk=true' '$T/probe.out' && grep -q 'cublas: *13.1.7 (CUDA 13 library through' '$T/probe.out' \
      && grep -q 'cudnn: *9.3.0 (CUDA 13' '$T/probe.out' && grep -q 'loaded: .*tessera-cuda.*/libcudnn.so.8' '$T/probe.out'"
  check "CudaLibraries loads cuDNN sub-libraries in dependency order (ops before graph)" \
    bash -c "grep 'loaded:' '$T/probe.out' | grep -o 'libcudnn_[a-z]*' | tr '\n' ' ' | grep -q '^libcudnn_ops libcudnn_graph '"
  # A CUDA 12 host: the real libcublas.so.12 wins over a libcublas.so.13 later in the search.
  mkdir -p "$T/cuda12"
  echo 'int cublasGetProperty(int t, int *v) { *v = t == 0 ? 12 : t == 1 ? 6 : 4; return 0; }' > "$T/cublas12.c"
  echo 'libcublas.so.12 { global: *; };' > "$T/cublas12.map"
  gcc -shared -fPIC -o "$T/cuda12/libcublas.so.12" "$T/cublas12.c" -Wl,-soname,libcublas.so.12 -Wl,--version-script,"$T/cublas12.map"
  TESSERA_CUDA_LIBS="$T/cuda12:$T/cuda13" LD_LIBRARY_PATH="$T/fake" java -cp "$JAR" "$T/Probe.java" > "$T/probe12.out" 2>&1
  check "CudaLibraries on a CUDA-12 host loads libcublas.so.12 itself, no shim" \
    bash -c "grep -q 'cublas: *12.6.4\$' '$T/probe12.out' && grep -q 'loaded: .*/cuda12/libcublas.so.12' '$T/probe12.out' && ! grep -q 'tessera-cuda.*libcublas' '$T/probe12.out'"
  [[ $fails -eq 0 ]] || sed 's/^/    /' "$T/probe.out"
else
  echo "SKIP CudaLibraries end-to-end: $JAR not built (mvn package first)"
fi
[[ $fails -eq 0 ]] || { sed 's/^/    /' "$T/jvm.out" | tail -5; }
echo "$([[ $fails -eq 0 ]] && echo PASS || echo FAIL) test-shims: $fails failure(s)"
[[ $fails -eq 0 ]]
