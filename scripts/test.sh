#!/usr/bin/env bash
# The one command that runs every test of Boinc.Persist (README: `scripts/test.sh`).
#
# Brings up Docker, Podman, the local base image in both, the real BOINC client and the Native AOT toolchain,
# builds, and runs five passes: (1) every test assembly on Docker; (2) the engine-facing integration tests on
# Podman; (3) the wrapper scenarios against the published Native AOT binary; (4, 5) the conformance oracle
# (`boinc-persist conform`, every guarantee one test) against that binary on Docker and on Podman. Ends with
# exactly one line `N passed, N failed, N skipped` summed over all passes. Exit status is non-zero when the
# build failed, any test failed or a guarantee did not hold, a test host crashed or hung, a pass ran nothing,
# or tests left containers behind: a broken run must never look green.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

readonly CONFIGURATION=Release
# Generous for 2 cores, but finite: a hung engine call must not eat CI's whole time budget.
readonly TEST_TIMEOUT=30m
readonly TEST_LABEL=org.boinc-persist.test=true
readonly PODMAN_SOCKET=/run/podman/podman.sock
# The oracle's randomized guarantees get this many trials each in CI (docs/GUARANTEES.md); override to go deeper.
CONFORM_TRIALS=${CONFORM_TRIALS:-2}
CONFORM_SEED=${CONFORM_SEED:-$(date +%s)}

passed=0 failed=0 skipped=0
status=0
summary=()

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
# Podman beside Docker: the rootful API service and the base image in its storage (scripts/podman-up.sh).
scripts/podman-up.sh
# The real BOINC client (boinc, boinccmd) for tests/Integration/BoincClient; never its system daemon.
scripts/boinc-up.sh

# On CI the engine is ours alone: containers left by an earlier, crashed run are not this run's fault, so
# clear them first and let the leak check below blame only what this run leaves. (On a shared developer
# machine a stopped container may belong to a colleague's test that is still inspecting it: leave those.)
if [[ "${CI:-}" == true ]]; then
  for engine in docker podman; do
    stale=$("$engine" ps -aq --filter "label=$TEST_LABEL")
    if [[ -n "$stale" ]]; then
      echo "test.sh: removing $(wc -w <<<"$stale") $engine test container(s) left by an earlier run" >&2
      "$engine" rm -f $stale >/dev/null
    fi
  done
fi

# Build separately so a compile error is reported as such, not as a test run that found nothing.
if ! dotnet build Boinc.Persist.sln -c "$CONFIGURATION" -v:minimal -nologo; then
  fail "build failed (see the errors above)"
  exit 1
fi

counter() { grep -ho "<Counters [^>]*" "$1" | grep -o " $2=\"[0-9]*\"" | grep -o '[0-9]*' || echo 0; }

# One test pass: `pass NAME [VAR=VALUE...] -- dotnet test ARGS...`. TRX files carry exact per-assembly counters
# (console output formats change between SDKs); each pass writes its own results directory. Default TRX names
# (user_host_time) get a numbered suffix on a clash; a fixed LogFileName would make parallel assemblies
# overwrite each other's file.
pass() {
  local name=$1; shift
  local envs=()
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  local dir="$work/results/$name" log="$work/$name.log" rc=0 started
  started=$(date +%s)
  echo "test.sh: === pass '$name' ${envs[*]:-} ===" >&2
  timeout --kill-after=30s "$TEST_TIMEOUT" env "${envs[@]}" "$@" --no-build --nologo \
      --logger "console;verbosity=normal" --logger trx --results-directory "$dir" \
    2>&1 | tee "$log" || rc=$?
  local trx p f e t a n np=0 nf=0 ns=0
  shopt -s nullglob
  local trx_files=("$dir"/*.trx)
  shopt -u nullglob
  for trx in "${trx_files[@]}"; do
    p=$(counter "$trx" passed) f=$(counter "$trx" failed) e=$(counter "$trx" error)
    t=$(counter "$trx" timeout) a=$(counter "$trx" aborted) n=$(counter "$trx" notExecuted)
    np=$((np + p)) nf=$((nf + f + e + t + a)) ns=$((ns + n))
    local storage
    storage=$(grep -o 'storage="[^"]*"' "$trx" | head -n1 | sed 's/^storage="//; s/"$//' || true)
    echo "test.sh: [$name] $(basename "${storage:-$trx}"): $p passed, $((f + e + t + a)) failed, $n skipped" >&2
  done
  passed=$((passed + np)) failed=$((failed + nf)) skipped=$((skipped + ns))
  summary+=("$(printf '%-8s %4d passed, %3d failed, %3d skipped  (%d s)' "$name" "$np" "$nf" "$ns" $(( $(date +%s) - started )))")
  if [[ $rc -eq 124 || $rc -eq 137 ]]; then
    fail "[$name] dotnet test did not finish within $TEST_TIMEOUT"
  elif [[ $rc -ne 0 ]]; then
    fail "[$name] dotnet test exited with $rc"
  fi
  # Every assembly that ran must have left its own result file, or the sums above would silently miss it.
  local assemblies
  assemblies=$(grep -c '^Test run for ' "$log" || true)
  [[ ${#trx_files[@]} -ge $assemblies ]] \
    || fail "[$name] $assemblies test assemblies ran but only ${#trx_files[@]} result files exist: counts are incomplete"
  [[ $nf -eq 0 ]] || fail "[$name] $nf test(s) failed"
  [[ $((np + nf + ns)) -gt 0 ]] || fail "[$name] no test ran (${#trx_files[@]} result file(s) found)"
}

# The conformance oracle (docs/GUARANTEES.md) against a wrapper binary, on one engine: every guarantee counts
# as one test (held = passed; broken or not run = failed). `conform_pass NAME BIN [VAR=VALUE...]`.
conform_pass() {
  local name=$1 bin=$2; shift 2
  local json="$work/$name.json" rc=0 started held broken
  started=$(date +%s)
  echo "test.sh: === pass '$name': $bin conform --trials $CONFORM_TRIALS --seed $CONFORM_SEED ${*:-} ===" >&2
  timeout --kill-after=30s 20m env "$@" "$bin" conform --wrapper "$bin" --trials "$CONFORM_TRIALS" \
    --seed "$CONFORM_SEED" --json "$json" || rc=$?
  held=$(grep -o '"result": "HELD"' "$json" 2>/dev/null | wc -l || true)
  broken=$(grep -o '"result": "[A-Z ]*"' "$json" 2>/dev/null | grep -vc '"HELD"' || true)
  passed=$((passed + held)) failed=$((failed + broken))
  summary+=("$(printf '%-8s %4d held,   %3d broken or not run  (%d s)' "$name" "$held" "$broken" $(( $(date +%s) - started )))")
  [[ $rc -eq 0 ]] || fail "[$name] conform exited with $rc (a guarantee did not hold, or the suite could not run)"
  [[ $((held + broken)) -gt 0 ]] || fail "[$name] conform reported no guarantee ($json missing or empty)"
}

# 1. Everything on Docker (the solution: properties and integration).
pass docker -- dotnet test Boinc.Persist.sln -c "$CONFIGURATION"

# 2. The engine-facing integration tests again on Podman, same expectations (tests/Integration/Engine/
#    EngineFixture.cs takes the engine from BOINC_PERSIST_TEST_ENGINE). The checkpoint-store and protocol
#    tests never touch an engine and ran above.
pass podman BOINC_PERSIST_TEST_ENGINE=podman "BOINC_PERSIST_TEST_SESSION=$BOINC_PERSIST_TEST_SESSION-podman" -- \
  dotnet test tests/Integration -c "$CONFIGURATION" \
    --filter "FullyQualifiedName!~Boinc.Persist.Integration.Checkpoints.&FullyQualifiedName!~Boinc.Persist.Integration.Protocol."

# 3. The Native AOT binary (what projects ship) through the wrapper scenarios, started as the client starts it.
if aot_bin=$(scripts/aot-publish.sh | tail -n1) && [[ -x $aot_bin ]]; then
  pass aot "BOINC_PERSIST_BIN=$aot_bin" -- \
    dotnet test tests/Integration -c "$CONFIGURATION" --filter "FullyQualifiedName~Boinc.Persist.Integration.Run."
  # 4. The oracle against the shipped binary, on both engines.
  conform_pass conform-docker "$aot_bin"
  conform_pass conform-podman "$aot_bin" "DOCKER_HOST=unix://$PODMAN_SOCKET"
else
  fail "the Native AOT publish failed (see above): the aot and conform passes did not run"
fi

echo "test.sh: per pass:" >&2
printf 'test.sh:   %s\n' "${summary[@]}" >&2

# Leak check, two layers: what the fixtures already removed, and what survived them (e.g. a crashed host).
if [[ -s $BOINC_PERSIST_LEAK_REPORT ]]; then
  fail "tests leaked containers (the fixture removed them):"
  sed 's/^/  /' "$BOINC_PERSIST_LEAK_REPORT" >&2
fi
# On CI nothing else shares the engines, so every test container is ours; on a shared developer machine,
# leave colleagues' running tests alone and judge only this session's containers. Docker, then Podman.
leaks() {
  local engine=$1 session=$2 left
  if [[ "${CI:-}" == true ]]; then
    left=$("$engine" ps -aq --filter "label=$TEST_LABEL")
  else
    left=$("$engine" ps -aq --filter "label=$TEST_LABEL" --filter "label=org.boinc-persist.session=$session")
  fi
  if [[ -n "$left" ]]; then
    fail "tests left $(wc -w <<<"$left") $engine container(s) labelled $TEST_LABEL behind; removing them:"
    "$engine" ps -a --filter "label=$TEST_LABEL" --format '  {{.ID}} {{.Names}} {{.Image}} {{.Status}}' >&2
    "$engine" rm -f $left >/dev/null
  fi
}
leaks docker "$BOINC_PERSIST_TEST_SESSION"
leaks podman "$BOINC_PERSIST_TEST_SESSION-podman"
