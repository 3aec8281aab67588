#!/usr/bin/env bash
# The one command that runs every test of Boinc.Persist (README: `scripts/test.sh`).
#
# Brings up the engine, the local base image and the real BOINC client, builds, runs all test assemblies, and
# ends with exactly one line `N passed, N failed, N skipped` summed over all of them. Exit status is non-zero
# when the build failed, any test failed, the test host crashed or hung, no test ran at all, or tests left
# containers behind: a broken run must never look green.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly CONFIGURATION=Release
# Generous for 2 cores, but finite: a hung engine call must not eat CI's whole time budget.
readonly TEST_TIMEOUT=30m
readonly TEST_LABEL=org.boinc-persist.test=true

passed=0 failed=0 skipped=0
status=0

# The summary must be the last line whatever happens (even a failure in engine-up), so it is printed on EXIT.
# shellcheck disable=SC2317  # invoked through the trap
finish() {
  local rc=$?
  [[ $status -eq 0 ]] && status=$rc
  [[ -n "${work:-}" ]] && rm -rf "$work"
  echo "$passed passed, $failed failed, $skipped skipped"
  exit "$status"
}
trap finish EXIT

fail() { echo "test.sh: FAILED: $*" >&2; status=1; }

export TESTCONTAINERS_RYUK_DISABLED=true
export BOINC_PERSIST_BASE_IMAGE=${BOINC_PERSIST_BASE_IMAGE:-boinc-persist/busybox:1}
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Lets the fixtures label containers with this invocation, so cleanup below touches only our own.
BOINC_PERSIST_TEST_SESSION=$(date +%s)-$$
export BOINC_PERSIST_TEST_SESSION

work=$(mktemp -d /tmp/boinc-persist-testrun.XXXXXX)
# The fixtures remove leaked containers themselves and list them here, so we can still fail the run.
export BOINC_PERSIST_LEAK_REPORT=$work/leaks.txt

scripts/engine-up.sh
scripts/base-image.sh >/dev/null
# The real BOINC client (boinc, boinccmd) for tests/Integration/BoincClient; never its system daemon.
scripts/boinc-up.sh

# On CI the engine is ours alone: containers left by an earlier, crashed run are not this run's fault, so
# clear them first and let the leak check below blame only what this run leaves. (On a shared developer
# machine a stopped container may belong to a colleague's test that is still inspecting it: leave those.)
if [[ "${CI:-}" == true ]]; then
  stale=$(docker ps -aq --filter "label=$TEST_LABEL")
  if [[ -n "$stale" ]]; then
    echo "test.sh: removing $(wc -w <<<"$stale") test container(s) left by an earlier run" >&2
    docker rm -f $stale >/dev/null
  fi
fi

# Build separately so a compile error is reported as such, not as a test run that found nothing.
if ! dotnet build Boinc.Persist.sln -c "$CONFIGURATION" -v:minimal -nologo; then
  fail "build failed (see the errors above)"
  exit 1
fi

# TRX files carry exact per-assembly counters; console output formats change between SDKs.
# Default TRX names (user_host_time) get a numbered suffix on a clash; a fixed LogFileName would make the
# parallel assemblies overwrite each other's file.
test_rc=0
timeout --kill-after=30s "$TEST_TIMEOUT" \
  dotnet test Boinc.Persist.sln -c "$CONFIGURATION" --no-build --nologo \
    --logger "console;verbosity=normal" \
    --logger trx \
    --results-directory "$work/results" \
  2>&1 | tee "$work/test.log" || test_rc=$?

counter() { grep -ho "<Counters [^>]*" "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }
shopt -s nullglob
trx_files=("$work"/results/*.trx)
for trx in "${trx_files[@]}"; do
  p=$(counter "$trx" passed) f=$(counter "$trx" failed) e=$(counter "$trx" error)
  t=$(counter "$trx" timeout) a=$(counter "$trx" aborted) n=$(counter "$trx" notExecuted)
  passed=$((passed + p))
  failed=$((failed + f + e + t + a))
  skipped=$((skipped + n))
  name=$(grep -o 'storage="[^"]*"' "$trx" | head -n1 | sed 's/^storage="//; s/"$//' || true)
  echo "test.sh: $(basename "${name:-$trx}"): $p passed, $((f + e + t + a)) failed, $n skipped" >&2
done

if [[ $test_rc -eq 124 || $test_rc -eq 137 ]]; then
  fail "dotnet test did not finish within $TEST_TIMEOUT"
elif [[ $test_rc -ne 0 ]]; then
  fail "dotnet test exited with $test_rc"
fi
# Every assembly that ran must have left its own result file, or the sums above would silently miss it.
assemblies=$(grep -c '^Test run for ' "$work/test.log" || true)
[[ ${#trx_files[@]} -ge $assemblies ]] \
  || fail "$assemblies test assemblies ran but only ${#trx_files[@]} result files exist: counts are incomplete"
[[ $failed -eq 0 ]] || fail "$failed test(s) failed"
[[ $((passed + failed + skipped)) -gt 0 ]] || fail "no test ran (${#trx_files[@]} result file(s) found)"

# Leak check, two layers: what the fixtures already removed, and what survived them (e.g. a crashed host).
if [[ -s $BOINC_PERSIST_LEAK_REPORT ]]; then
  fail "tests leaked containers (the fixture removed them):"
  sed 's/^/  /' "$BOINC_PERSIST_LEAK_REPORT" >&2
fi
# On CI nothing else shares the engine, so every test container is ours; on a shared developer machine,
# leave colleagues' running tests alone and judge only this session's containers.
if [[ "${CI:-}" == true ]]; then
  left=$(docker ps -aq --filter "label=$TEST_LABEL")
else
  left=$(docker ps -aq --filter "label=$TEST_LABEL" --filter "label=org.boinc-persist.session=$BOINC_PERSIST_TEST_SESSION")
fi
if [[ -n "$left" ]]; then
  fail "tests left $(wc -w <<<"$left") container(s) labelled $TEST_LABEL behind; removing them:"
  docker ps -a --filter "label=$TEST_LABEL" --format '  {{.ID}} {{.Names}} {{.Image}} {{.Status}}' >&2
  docker rm -f $left >/dev/null
fi
