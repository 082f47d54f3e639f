#!/usr/bin/env bash
# Compiles and runs App against the installed Tessera (target/deps, copied by Maven from the local
# repository) four ways: class path and module path, on the JDK running Maven (17) and on Java 25.
# Then runs the distribution's launcher (target/tessera/bin/tessera) on each JDK and on a runtime
# image without jdk.incubator.vector.
# Where the build made the CUDA host emulator (target/cuda-emu: nvcc and g++ were there), the app also
# trains on cuda:0 through the module path, on an emulated CUDA 12 host and on a CUDA 13 one (shims).
# The README's application ("Tessera as a dependency") is compiled and run too, on the class path.
#   run.sh JAVA_HOME [JDK25_HOME [LAUNCHER [CUDA_EMU [README]]]]   (an empty or missing one: that part is skipped, with a message)
# Fails on the first run whose output is not what it must be.
set -euo pipefail
cd "$(dirname "$0")"
jdks=("$1")
if [[ -n ${2:-} && -x ${2:-}/bin/java ]]; then jdks+=("$2"); else echo "[app] SKIPPED Java 25: no JDK at '${2:-}'"; fi

# The natives jars go on the class path: each holds a resource folder "lib", which as automatic
# modules would be one package split between three modules (a boot-layer error).
shopt -s nullglob
natives=(target/deps/*-natives-*.jar)
rm -rf target/modules && mkdir -p target/modules
for jar in target/deps/*.jar; do [[ $jar == *-natives-* ]] || cp "$jar" target/modules/; done
natives_cp=$(IFS=:; echo "${natives[*]}")
[[ -f $(echo target/modules/tessera-*.jar) ]] || { echo "[app] FAIL: no tessera jar in target/deps" >&2; exit 1; }

fail() { echo "[app] FAIL: $1" >&2; echo "--- output:" >&2; echo "$2" >&2; exit 1; }
expect() {  # name output regex...
  local name=$1 out=$2; shift 2
  for re in "$@"; do grep -Eq -- "$re" <<<"$out" || fail "$name: no line matching /$re/" "$out"; done
  echo "[app] ok: $name"
}

for jdk in "${jdks[@]}"; do
  v=$("$jdk/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
  json='^\{"loss0":[0-9.]+,"loss":[0-9.]+,"reloaded":true,"device":"cpu","cuda":'
  out_cp=target/cp-$v out_mp=target/mp-$v
  rm -rf "$out_cp" "$out_mp"

  "$jdk/bin/javac" --release 17 -d "$out_cp" -cp 'target/deps/*' src/main/java/app/App.java
  out=$("$jdk/bin/java" --add-modules jdk.incubator.vector -cp "$out_cp:target/deps/*" app.App 2>&1)
  expect "Java $v, class path" "$out" "$json" '^internals: visible \(vector=true\)$'
  out=$("$jdk/bin/java" -cp "$out_cp:target/deps/*" app.App 2>&1)
  expect "Java $v, class path, no Vector API: the hint" "$out" "$json" \
    '^tessera: the Vector API module is not enabled.*--add-modules jdk.incubator.vector' '^internals: visible \(vector=false\)$'
  [[ $(grep -c 'Vector API module is not enabled' <<<"$out") == 1 ]] || fail "the hint is printed more than once" "$out"

  "$jdk/bin/javac" --release 17 -d "$out_mp" -p target/modules src/main/java/module-info.java src/main/java/app/App.java
  out=$("$jdk/bin/java" --add-modules jdk.incubator.vector -p "$out_mp:target/modules" -cp "$natives_cp" -m app/app.App 2>&1)
  expect "Java $v, module path" "$out" "$json" '^internals: hidden$'
  out=$("$jdk/bin/java" -p "$out_mp:target/modules" -cp "$natives_cp" -m app/app.App 2>&1)
  expect "Java $v, module path, no Vector API: the hint" "$out" "$json" '^tessera: the Vector API module is not enabled'
  # The module reads the optional incubator module when it is present (requires static): the fast path is on.
  out=$("$jdk/bin/java" --add-modules jdk.incubator.vector,info.picocli -p target/modules -cp "$natives_cp" \
    -m dev.tessera/dev.tessera.cli.Tessera info 2>&1)
  expect "Java $v, module path, tessera info" "$out" '^cpu gemm: +Vector API fast path' '^cuda: '
  echo "$out" | sed -n 's/^cuda: */[app]   cuda on the module path: /p'

  readme=${5:-}
  if [[ -n $readme && -f $readme ]]; then
    dir=target/readme-$v
    rm -rf "$dir" && mkdir -p "$dir/src/app" "$dir/run"
    # The first java block after the section's heading, as pasted.
    awk '/^## Tessera as a dependency$/ { s = 1 } s && /^```java$/ { j = 1; next } j && /^```$/ { exit } j' "$readme" > "$dir/src/app/App.java"
    "$jdk/bin/javac" --release 17 -d "$dir/classes" -cp 'target/deps/*' "$dir/src/app/App.java"
    out=$(cd "$dir/run" && "$jdk/bin/java" --add-modules jdk.incubator.vector -cp "../classes:../../deps/*" app.App 2>&1)
    expect "Java $v, the README's application" "$out" '^0 [0-9.]+$' '^500 (0\.00[0-9]+|[0-9.]+E-[0-9]+)$'
    [[ -s $dir/run/model.safetensors ]] || fail "the README's application wrote no model.safetensors" "$out"
  else
    echo "[app] SKIPPED the README's application: no README at '$readme'"
  fi

  emu=${4:-}
  if [[ -n $emu && -f $emu/driver/libcuda.so.1 ]]; then
    for host in cuda12:12020 cuda13:13000; do
      out=$(LD_LIBRARY_PATH=$emu/driver TESSERA_CUDA_LIBS=$emu/${host%%:*} TESSERA_EMU_DRIVER_VERSION=${host##*:} \
        "$jdk/bin/java" --add-modules jdk.incubator.vector -p "$out_mp:target/modules" -cp "$natives_cp" -m app/app.App --device cuda 2>&1)
      expect "Java $v, module path, cuda:0 on the emulated ${host%%:*} host" "$out" \
        '^\{"loss0":[0-9.]+,"loss":[0-9.]+,"reloaded":true,"device":"cuda:0","cuda":"available"\}$'
    done
  else
    echo "[app] SKIPPED cuda:0 on the module path: no CUDA host emulator at '$emu' (built only with nvcc and g++)"
  fi
done

launcher=${3:-}
if [[ -z $launcher || ! -x $launcher ]]; then echo "[app] SKIPPED the launcher: not found at '$launcher'"; exit 0; fi
for jdk in "${jdks[@]}"; do
  out=$(JAVA_HOME=$jdk "$launcher" info 2>&1)
  expect "launcher on $jdk" "$out" '^java: ' '^cpu gemm: +Vector API fast path'
  if grep -q 'restricted method' <<<"$out"; then fail "launcher on $jdk: JNI warning despite --enable-native-access" "$out"; fi
done
# A runtime without the incubator module: the launcher must not ask for it (the JVM would not start).
jre=target/jre-without-vector
rm -rf "$jre"
if "$1/bin/jlink" --add-modules java.base,java.logging --no-header-files --no-man-pages --output "$jre" >/dev/null 2>&1; then
  out=$(JAVA_HOME=$jre "$launcher" info 2>&1)
  expect "launcher on a runtime without jdk.incubator.vector" "$out" '^cpu gemm: +portable fallback' '^hint: +tessera: the Vector API'
else
  echo "[app] SKIPPED the launcher on a runtime without jdk.incubator.vector: jlink failed (no jmods in $1?)"
fi
