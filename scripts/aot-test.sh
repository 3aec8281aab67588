#!/usr/bin/env bash
# The end-to-end scenarios against the Native AOT binary: publishes boinc-persist with Native AOT
# (scripts/aot-publish.sh, toolchain from scripts/aot-up.sh), then runs the wrapper scenarios of
# tests/Integration (the wrapper started as the BOINC client starts it, with the fake client) with
# BOINC_PERSIST_BIN pointing at that binary, and ends with one line `aot: N passed, N failed, N skipped`.
#
#   scripts/aot-test.sh [FILTER]     default FILTER: FullyQualifiedName~Boinc.Persist.Integration.Run.
#
# Exit status non-zero when publishing fails, a test fails, or no test ran. Run as root (engine, base image).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

filter=${1:-FullyQualifiedName~Boinc.Persist.Integration.Run.}
passed=0 failed=0 skipped=0 status=0
work=$(mktemp -d /tmp/boinc-persist-aottest.XXXXXX)
finish() {
  local rc=$?
  [[ $status -eq 0 ]] && status=$rc
  rm -rf "$work"
  echo "aot: $passed passed, $failed failed, $skipped skipped"
  exit "$status"
}
trap finish EXIT
fail() { echo "aot-test.sh: FAILED: $*" >&2; status=1; }

export TESTCONTAINERS_RYUK_DISABLED=true
export BOINC_PERSIST_BASE_IMAGE=${BOINC_PERSIST_BASE_IMAGE:-boinc-persist/busybox:1}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
bash scripts/engine-up.sh
bash scripts/base-image.sh >/dev/null

bin=$(bash scripts/aot-publish.sh | tail -n1)
file "$bin" | grep -q 'ELF 64-bit' || { fail "$bin is not a native executable"; exit 1; }
export BOINC_PERSIST_BIN=$bin
echo "aot-test.sh: BOINC_PERSIST_BIN=$bin ($("$bin" --version)); filter: $filter" >&2

test_rc=0
timeout --kill-after=30s 40m dotnet test tests/Integration -c Release --nologo --filter "$filter" \
  --logger "console;verbosity=normal" --logger "trx;LogFileName=aot.trx" --results-directory "$work" \
  2>&1 | tee "$work/test.log" >&2 || test_rc=$?

counter() { grep -ho "<Counters [^>]*" "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
if [[ -f "$work/aot.trx" ]]; then
  p=$(counter "$work/aot.trx" passed) f=$(counter "$work/aot.trx" failed) e=$(counter "$work/aot.trx" error)
  t=$(counter "$work/aot.trx" timeout) a=$(counter "$work/aot.trx" aborted) n=$(counter "$work/aot.trx" notExecuted)
  passed=$p failed=$((f + e + t + a)) skipped=$n
else
  fail "no test result file (the build or the test host failed; see above)"
fi
[[ $test_rc -eq 0 ]] || fail "dotnet test exited with $test_rc"
[[ $failed -eq 0 ]] || fail "$failed test(s) failed against the AOT binary"
[[ $((passed + failed + skipped)) -gt 0 ]] || fail "no test ran (filter: $filter)"
