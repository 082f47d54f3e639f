#!/usr/bin/env bash
# Compiles cuda-kernels/*.cu to PTX for the jar, validates it, and writes the entry-point manifest.
#
#   scripts/build-kernels.sh SRC_DIR OUT_DIR
#
# OUT_DIR receives <file>.ptx per .cu and kernels.txt (one line per entry point:
# "<entry> <file>.ptx", sorted). Called by the pom in generate-resources; runnable by hand.
#
# nvcc: $TESSERA_NVCC_PROPERTY (mvn -Dtessera.nvcc=...), else $TESSERA_NVCC, else nvcc on PATH,
# else $CUDA_HOME/bin/nvcc, else /usr/local/cuda/bin/nvcc. An override of "none", or one that
# names no executable, skips the build. Without nvcc the script skips with a message and exits 0:
# the CUDA backend then reports the kernels missing at run time. With nvcc, any failing nvcc or
# ptxas fails the script (and the Maven build).
set -euo pipefail

src=${1:?usage: build-kernels.sh SRC_DIR OUT_DIR}
out=${2:?usage: build-kernels.sh SRC_DIR OUT_DIR}
arch=compute_75                  # the oldest virtual arch nvcc 13 accepts; the driver JITs it up
# nvcc writes its own PTX ISA (.version 9.0 from CUDA 13: only r580+ drivers load it). The kernels
# need nothing newer than sm_75's floor, ISA 6.3, so the PTX declares that, and ptxas below
# verifies the claim for every validated arch: it then loads on any driver from CUDA 10.0 on.
isa=${TESSERA_PTX_ISA:-6.3}
validate=(sm_75 sm_80 sm_90)     # Turing, Ampere, Hopper: ptxas checks the PTX assembles for each

skip() { echo "[cuda-kernels] $1; skipping the CUDA kernels (the jar will have no PTX)"; exit 0; }

override=${TESSERA_NVCC_PROPERTY:-${TESSERA_NVCC:-}}
if [[ -n $override ]]; then
    [[ $override == none ]] && skip "nvcc override is 'none'"
    nvcc=$(command -v -- "$override" 2>/dev/null || true)
    [[ -n $nvcc && -x $nvcc ]] || skip "nvcc override '$override' is not an executable"
else
    nvcc=$(command -v nvcc 2>/dev/null || true)
    for candidate in "${CUDA_HOME:+$CUDA_HOME/bin/nvcc}" /usr/local/cuda/bin/nvcc; do
        [[ -z $nvcc && -n $candidate && -x $candidate ]] && nvcc=$candidate
    done
    [[ -n $nvcc ]] || skip "nvcc not found (PATH, \$CUDA_HOME/bin, /usr/local/cuda/bin; or set -Dtessera.nvcc / \$TESSERA_NVCC)"
fi

# ptxas from the same toolkit: beside nvcc (through symlinks), else on PATH, else the usual places.
ptxas=
for candidate in "$(dirname -- "$(readlink -f -- "$nvcc")")/ptxas" "$(command -v ptxas 2>/dev/null || true)" \
                 "${CUDA_HOME:+$CUDA_HOME/bin/ptxas}" /usr/local/cuda/bin/ptxas; do
    [[ -z $ptxas && -n $candidate && -x $candidate ]] && ptxas=$candidate
done
[[ -n $ptxas ]] || { echo "[cuda-kernels] ERROR: found $nvcc but no ptxas beside it or on PATH" >&2; exit 1; }

shopt -s nullglob
sources=("$src"/*.cu)
(( ${#sources[@]} > 0 )) || { echo "[cuda-kernels] ERROR: no .cu files in $src" >&2; exit 1; }
mkdir -p "$out"

# Up to date when every .ptx and the manifest are newer than every input (sources, headers, this script).
# shellcheck disable=SC2012  # ls -t is the portable "newest file"; these names are ours (no newlines)
newest_input=$(ls -t "$src"/*.cu "$src"/*.cuh "${BASH_SOURCE[0]}" 2>/dev/null | head -n 1)
stale=0
for cu in "${sources[@]}"; do
    ptx="$out/$(basename "$cu" .cu).ptx"
    [[ -f $ptx && $ptx -nt $newest_input ]] || stale=1
done
[[ -f $out/kernels.txt && $out/kernels.txt -nt $newest_input ]] || stale=1
for ptx in "$out"/*.ptx; do   # PTX of a deleted .cu must not stay in the jar (or the manifest)
    [[ -f $src/$(basename "$ptx" .ptx).cu ]] || { rm -f "$ptx"; stale=1; }
done
if (( stale == 0 )); then echo "[cuda-kernels] PTX up to date in $out"; exit 0; fi

echo "[cuda-kernels] $("$nvcc" --version | tail -n 1 | sed 's/^Build //'): ${#sources[@]} files -> $out ($arch, PTX ISA $isa; ptxas ${validate[*]})"
manifest=$(mktemp)
trap 'rm -f "$manifest"' EXIT
for cu in "${sources[@]}"; do
    name=$(basename "$cu" .cu)
    ptx="$out/$name.ptx"
    "$nvcc" -ptx -arch="$arch" -O3 -o "$ptx" "$cu" || { rm -f "$ptx"; echo "[cuda-kernels] ERROR: nvcc failed on $cu" >&2; exit 1; }
    sed -i "s/^\.version [0-9][0-9.]*\$/.version $isa/" "$ptx"
    # nvcc 13 marks partly used vector loads with '.pragma "used_bytes_mask N"', an ISA 8.3 hint
    # (which bytes of the load are used); dropping a hint leaves the loads as they are, and lets
    # ptxas accept the PTX at the ISA declared above.
    sed -i '/^[[:space:]]*\.pragma "used_bytes_mask [0-9]*";$/d' "$ptx"
    grep -q "^\.version $isa\$" "$ptx" || { rm -f "$ptx"; echo "[cuda-kernels] ERROR: no .version line in $ptx to set to $isa" >&2; exit 1; }
    for sm in "${validate[@]}"; do
        "$ptxas" -arch="$sm" -o /dev/null "$ptx" || { rm -f "$ptx"; echo "[cuda-kernels] ERROR: ptxas -arch=$sm rejected $ptx" >&2; exit 1; }
    done
    # ".visible .entry unary_exp_f32(" -> "unary_exp_f32 unary.ptx"
    sed -n 's/^[[:space:]]*\.visible[[:space:]]\{1,\}\.entry[[:space:]]\{1,\}\([A-Za-z0-9_]\{1,\}\).*/\1 '"$name"'.ptx/p' "$ptx" >> "$manifest"
done
LC_ALL=C sort "$manifest" > "$out/kernels.txt"
echo "[cuda-kernels] $(wc -l < "$out/kernels.txt") entry points listed in $out/kernels.txt"
