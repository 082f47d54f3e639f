#!/usr/bin/env bash
# Lints what CI and the docker images run: shellcheck on every shell script, dockerfilelint (from the
# npm registry, through npx) on the Dockerfiles. Called by `mvn verify` (pom.xml, execution "lint")
# and runnable by hand from the repository root.
#
# A linter that is not installed (shellcheck not on PATH; no npx, or npx cannot fetch dockerfilelint)
# is skipped with a message: CI needs nothing beyond a JDK and Maven. A linter that runs and finds a
# problem fails the script, and with it the build.
set -euo pipefail
cd "$(dirname "$0")/.."

DOCKERFILELINT=dockerfilelint@1.8.0
say() { echo "[lint] $*"; }
failed=0

# Every shell script: by extension, plus the extension-less ones named here.
mapfile -t scripts < <({ find scripts docker src/main/dist src/it -type f -name '*.sh' 2>/dev/null
                         echo .ci/run; echo src/main/dist/bin/tessera; } | sort -u)
if command -v shellcheck >/dev/null; then
    say "shellcheck $(shellcheck --version | sed -n 's/^version: //p'): ${#scripts[@]} scripts"
    shellcheck --external-sources "${scripts[@]}" || failed=1
else
    say "SKIPPED shellcheck: not installed (apt-get install shellcheck); ${#scripts[@]} scripts unchecked"
fi

mapfile -t dockerfiles < <(find docker -type f -name Dockerfile 2>/dev/null | sort)
if (( ${#dockerfiles[@]} == 0 )); then
    say "no Dockerfiles under docker/"
elif ! command -v npx >/dev/null; then
    say "SKIPPED $DOCKERFILELINT: npx not found (install Node.js); ${#dockerfiles[@]} Dockerfiles unchecked"
elif ! npx --yes "$DOCKERFILELINT" --help >/dev/null 2>&1; then
    say "SKIPPED $DOCKERFILELINT: npx could not run it (no access to the npm registry?); ${#dockerfiles[@]} Dockerfiles unchecked"
else
    say "$DOCKERFILELINT: ${dockerfiles[*]}"
    npx --yes "$DOCKERFILELINT" "${dockerfiles[@]}" || failed=1
fi

if (( failed )); then say "FAILED: fix the findings above"; exit 1; fi
say "clean"
