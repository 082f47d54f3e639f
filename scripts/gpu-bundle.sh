#!/usr/bin/env bash
# Builds target/gpu-bundle/ for the lent GPU machine, which has no Java, no Maven and no network
# and accepts at most 64 MiB of carried files: a jlink'd Temurin 25 (it needs only glibc 2.17),
# the project jar, the test classes and their extra jars, the JUnit console launcher, the shims.
# Run it here; fails when the bundle exceeds 60 MiB. SKIP_BUILD=1 reuses target/ as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
JDK=${TEMURIN_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
CONSOLE_VERSION=1.14.4
LIMIT_MIB=60
B=target/gpu-bundle
T=target/gpu-bundle.tmp

[[ ${SKIP_BUILD:-0} == 1 ]] || mvn -B -q package -DskipTests   # -DskipTests still compiles the tests
rm -rf "$B" "$T"; mkdir -p "$B" "$T"

# java.desktop (AWT/ImageIO, used only to draw the PNG chart of `train --save`) would add 15 MiB
# and break the limit: the bundle leaves it out, so train there without --save.
# java.xml is for the console launcher's XML reports.
"$JDK/bin/jlink" --add-modules java.base,java.logging,java.xml,jdk.incubator.vector \
  --strip-debug --no-man-pages --no-header-files --compress=zip-6 --output "$B/jre" 2>&1 | grep -v 'incubator modules' || true

# The shaded jar carries every JCuda JNI library; JNvPTXCompiler alone is 24 MiB unpacked and
# Tessera loads PTX through the driver. Keep only what CudaLibraries/JCuda load.
cp target/tessera.jar "$B/tessera.jar"
if command -v zip >/dev/null; then
  zip -q -d "$B/tessera.jar" 'lib/libJNvPTXCompiler-*' 'lib/libJNvrtc-*' 'lib/libJCublas-*' "lib/libJCudnn-11.7.0-*" || true
else
  echo "gpu-bundle: zip not found, the jar keeps all JCuda natives" >&2
fi
cp -r target/test-classes "$B/test-classes"

# Test-scoped jars the tests need beyond the shaded jar: JUnit itself is in the console launcher.
mvn -B -q dependency:copy-dependencies -DincludeScope=test -DexcludeGroupIds=org.junit.jupiter,org.junit.platform,org.opentest4j,org.apiguardian \
  -DoutputDirectory="$T/test" >/dev/null
mvn -B -q dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$T/runtime" >/dev/null
mkdir -p "$B/test-lib"
for j in "$T"/test/*.jar; do [[ -e $j && ! -e $T/runtime/$(basename "$j") ]] && cp "$j" "$B/test-lib/"; done
mvn -B -q dependency:copy -Dartifact=org.junit.platform:junit-platform-console-standalone:$CONSOLE_VERSION \
  -DoutputDirectory="$B/test-lib" >/dev/null

# The shims travel inside the jar (CudaLibraries extracts them); no loose copies named
# libcublas.so.12, which a library search could take for the real one.
"$JDK/bin/jar" tf "$B/tessera.jar" | grep -c 'dev/tessera/cuda/native/libcublas.so.12' >/dev/null \
  || echo "gpu-bundle: WARNING: the jar has no shims (built without gcc/nm?): CUDA-13 hosts will fail" >&2
rm -rf "$T"

bytes=$(du -sb "$B" | cut -f1)
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
du -sh "$B"/* | sed 's/^/  /'
echo "gpu-bundle: $B is $mib MiB ($bytes bytes; limit $LIMIT_MIB MiB)"
awk -v b="$bytes" -v l="$LIMIT_MIB" 'BEGIN { exit !(b <= l * 1048576) }' || { echo "gpu-bundle: FAIL: over $LIMIT_MIB MiB" >&2; exit 1; }
