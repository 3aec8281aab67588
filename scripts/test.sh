#!/usr/bin/env bash
# The one command that runs every test of Boinc.Persist (README: `scripts/test.sh`).
#
# Brings up Docker, Podman, the local base image in both, the real BOINC clients and the Native AOT toolchain
# while the solution builds and the Native AOT binary (what projects ship) is published (its own obj/ and bin/,
# see Directory.Build.props), and runs six passes, each piece of work once:
#   (1) docker: the property tests and the integration tests that do not start the wrapper, on Docker;
#   (2) client8: the real-client tests that matter for BOINC client 8.2, under that client, on Docker (first, and
#       alone: 8.2's start-up cleanup removes boinc__ containers of tasks it does not know, such as the oracle's);
#   (3) aot: the tests that start the wrapper (wrapper scenarios, the real BOINC client, the conformance suite's
#       own tests) against the published Native AOT binary, on Docker;
#   (4) podman: the engine-facing integration tests again on Podman, the wrapper being the AOT binary;
#   (5, 6) the conformance oracle (`boinc-persist conform`, every guarantee one test) against that binary on
#       Podman beside passes 3 and 4, and on Docker beside pass 4 (the oracle mostly waits on paced jobs, and
#       each run has its own containers, slots and data directory).
# Within passes 3 and 4 the integration tests run in two collections side by side and a third alone
# (tests/Integration/Engine/EngineFixture.cs).
# Ends with exactly one line `N passed, N failed, N skipped` summed over all passes, after the time of the
# setup and of each pass. Exit status is non-zero when the build failed, any test failed or a guarantee did
# not hold, a test host crashed or hung, a pass ran nothing or skipped every test of an assembly, or tests
# left containers behind: a broken run must never look green.
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
# Each failed dotnet test as `[pass] name (outcome): first line of its message`, printed just before the totals
# (at most 40 of them), so the tail of a CI log (often all that is kept) names what failed. A conform pass's
# broken guarantees are in its own table above.
failures=()

# The summary must be the last line whatever happens (even a failure in engine-up), so it is printed on EXIT.
# shellcheck disable=SC2317  # invoked through the trap
finish() {
  local rc=$? pid
  [[ $status -eq 0 ]] && status=$rc
  # A failure while the build, the AOT publish or a conform pass still runs in the background: stop them
  # (ours, by pid) before their files go.
  for pid in ${build_pid:-} ${aot_pid:-} ${conform_docker:-} ${conform_podman:-}; do
    kill "$pid" 2>/dev/null || true
  done
  [[ -n "${work:-}" ]] && rm -rf "$work"
  if [[ ${#failures[@]} -gt 0 ]]; then
    echo "test.sh: the ${#failures[@]} failed test(s):" >&2
    printf 'test.sh:   %s\n' "${failures[@]:0:40}" >&2
    if [[ ${#failures[@]} -gt 40 ]]; then echo "test.sh:   ... and $((${#failures[@]} - 40)) more (the TRX files)" >&2; fi
  fi
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

setup_started=$(date +%s)
# The build needs no engine: it compiles (CPU) while the setup below installs and starts engines (apt, I/O).
dotnet build Boinc.Persist.sln -c "$CONFIGURATION" -v:minimal -nologo >"$work/build.log" 2>&1 &
build_pid=$!

# The setup scripts share apt and dpkg, so they run one after the other (each is idempotent and quick when
# everything is in place already). The Native AOT toolchain (clang, lld, zlib) comes first, so the publish (minutes
# of compiling, in its own obj/ and bin/) overlaps the rest of the setup and the first pass.
scripts/aot-up.sh
aot_started=$(date +%s)
scripts/aot-publish.sh >"$work/aot-publish.out" 2>"$work/aot-publish.log" &
aot_pid=$!
scripts/engine-up.sh
scripts/base-image.sh >/dev/null
# Podman beside Docker: the rootful API service and the base image in its storage (scripts/podman-up.sh).
scripts/podman-up.sh
# The real BOINC client (boinc, boinccmd) for tests/Integration/BoincClient; never its system daemon.
scripts/boinc-up.sh
# [boinc8] BOINC client 8.2 (Debian sid's, boinc8/boinccmd8) for pass client8; private apt state, ~45 s cold.
scripts/boinc8-up.sh
# issue 19 (crash-explore): strace, to record the binary's system calls (tests/Integration/RealDisk).
scripts/realdisk-up.sh

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

# Built separately so a compile error is reported as such, not as a test run that found nothing.
build_rc=0
wait "$build_pid" || build_rc=$?
build_pid=  # reaped: its pid may belong to another process from now on
cat "$work/build.log"
if [[ $build_rc -ne 0 ]]; then
  fail "build failed (see the errors above)"
  exit 1
fi
setup_seconds=$(( $(date +%s) - setup_started ))
summary+=("$(printf '%-14s %d s (engines, base images, BOINC clients, AOT toolchain; the build beside them)' setup "$setup_seconds")")

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
    # An assembly whose every test was skipped proved nothing (a missing engine or client, a wrong filter).
    if [[ $p -eq 0 && $n -gt 0 ]]; then fail "[$name] $(basename "${storage:-$trx}"): all $n test(s) skipped"; fi
    if [[ $((f + e + t + a)) -gt 0 ]]; then
      local line
      while IFS= read -r line; do failures+=("[$name] $line"); done < <(failed_tests "$trx")
    fi
  done
  passed=$((passed + np)) failed=$((failed + nf)) skipped=$((skipped + ns))
  summary+=("$(printf '%-14s %4d passed, %3d failed, %3d skipped  (%d s)' "$name" "$np" "$nf" "$ns" $(( $(date +%s) - started )))")
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

# The tests of a TRX file whose outcome is not Passed or NotExecuted, a line each: `name (outcome): message`, the
# message's first line cut at 300 bytes (mawk counts bytes; XML entities left as they are).
failed_tests() {
  awk '
    /<UnitTestResult / {
      if (name != "") print name
      name = ""; want = 0
      if ($0 ~ /outcome="(Passed|NotExecuted)"/) next
      match($0, /testName="[^"]*"/); name = substr($0, RSTART + 10, RLENGTH - 11)
      match($0, /outcome="[^"]*"/); name = name " (" substr($0, RSTART + 9, RLENGTH - 10) ")"
      want = 1
    }
    want && /<Message>/ {
      sub(/.*<Message>/, ""); sub(/<\/Message>.*/, "")
      print name ": " substr($0, 1, 300); name = ""; want = 0
    }
    END { if (name != "") print name }
  ' "$1"
}

# The conformance oracle (docs/GUARANTEES.md) against a wrapper binary, on one engine: every guarantee counts
# as one test (held = passed; broken or not run = failed). `conform_pass NAME BIN [VAR=VALUE...]`.
conform_pass() {
  local name=$1 bin=$2; shift 2
  local json="$work/$name.json" rc=0 started held broken line problem=""
  started=$(date +%s)
  echo "test.sh: === pass '$name': $bin conform --trials $CONFORM_TRIALS --seed $CONFORM_SEED ${*:-} ===" >&2
  timeout --kill-after=30s 20m env "$@" "$bin" conform --wrapper "$bin" --trials "$CONFORM_TRIALS" \
    --seed "$CONFORM_SEED" --json "$json" || rc=$?
  held=$(grep -o '"result": "HELD"' "$json" 2>/dev/null | wc -l || true)
  broken=$(grep -o '"result": "[A-Z ]*"' "$json" 2>/dev/null | grep -vc '"HELD"' || true)
  line=$(printf '%-14s %4d held,   %3d broken or not run  (%d s)' "$name" "$held" "$broken" $(( $(date +%s) - started )))
  [[ $rc -eq 0 ]] || problem="[$name] conform exited with $rc (a guarantee did not hold, or the suite could not run)"
  [[ $((held + broken)) -gt 0 ]] || problem="[$name] conform reported no guarantee ($json missing or empty)"
  # Runs in the background (beside other passes): the caller sources this to add it to the totals.
  {
    printf 'passed=$((passed + %d)) failed=$((failed + %d))\n' "$held" "$broken"
    printf 'summary+=(%q)\n' "$line"
    if [[ -n $problem ]]; then printf 'fail %q\n' "$problem"; fi
  } >"$work/$name.state"
}

# The tests that start the wrapper run once, against the shipped binary (pass 2, and pass 3 on Podman).
readonly STARTS_WRAPPER="FullyQualifiedName~Boinc.Persist.Integration.Run.|FullyQualifiedName~Boinc.Persist.Integration.BoincClient.|FullyQualifiedName~Boinc.Persist.Integration.Conform.|FullyQualifiedName~Boinc.Persist.Integration.RealDisk."
readonly NOT_WRAPPER="FullyQualifiedName!~Boinc.Persist.Integration.Run.&FullyQualifiedName!~Boinc.Persist.Integration.BoincClient.&FullyQualifiedName!~Boinc.Persist.Integration.Conform.&FullyQualifiedName!~Boinc.Persist.Integration.RealDisk."

# 1. On Docker, the properties and the integration tests that do not start the wrapper.
pass docker -- dotnet test Boinc.Persist.sln -c "$CONFIGURATION" --filter "$NOT_WRAPPER"

aot_rc=0
wait "$aot_pid" || aot_rc=$?
aot_pid=
cat "$work/aot-publish.log" >&2
aot_bin=$(tail -n1 "$work/aot-publish.out" 2>/dev/null || true)
summary+=("$(printf '%-14s %d s (from the setup, alongside it and pass docker) %s' aot-publish $(( $(date +%s) - aot_started )) "${aot_bin:-FAILED}")")

# Adds a background conform pass's counts and output to the totals, once it has ended.
conform_collect() {
  local c=$1 pid=$2
  wait "$pid" || true
  cat "$work/$c.out" >&2
  if [[ -s $work/$c.state ]]; then
    # shellcheck disable=SC1090
    source "$work/$c.state"
  else
    fail "[$c] the pass ended without reporting its results"
  fi
}

if [[ $aot_rc -eq 0 && -n $aot_bin && -x $aot_bin ]]; then
  # [boinc8] 2. Client 8.2 (BOINC_PERSIST_TEST_CLIENT=8), on Docker, the AOT binary: engine detection into
  #    init_data.xml, the start-up cleanup_docker across a client restart with the job running (ours spared, the
  #    job finishes once), engine choice from docker_type, and a full run with its CPU time. Before the oracle
  #    starts: that cleanup removes every boinc__ container of a task the client does not know.
  client8_tests="FullyQualifiedName~Boinc.Persist.Integration.BoincClient.ClientEngineDetectionTests.|FullyQualifiedName~Boinc.Persist.Integration.BoincClient.RealClientWrapperTests.The_job_runs_to_completion"
  pass client8 BOINC_PERSIST_TEST_CLIENT=8 "BOINC_PERSIST_BIN=$aot_bin" -- \
    dotnet test tests/Integration -c "$CONFIGURATION" --filter "$client8_tests"

  # 6. The oracle against the shipped binary on Podman, in the background from here to the end (its own
  #    containers, slots and data directory; its output is shown, and its counts added, once it has ended).
  conform_pass conform-podman "$aot_bin" "DOCKER_HOST=unix://$PODMAN_SOCKET" >"$work/conform-podman.out" 2>&1 &
  conform_podman=$!

  # 3. The Native AOT binary (what projects ship) through the wrapper scenarios, started as the client starts
  #    it, under the real BOINC client, and as the conformance suite's wrapper under test.
  #    (ClientEngineDetectionTests are about client 8.2's engine detection and start-up cleanup: pass client8.)
  pass aot "BOINC_PERSIST_BIN=$aot_bin" -- dotnet test tests/Integration -c "$CONFIGURATION" \
    --filter "($STARTS_WRAPPER)&FullyQualifiedName!~Boinc.Persist.Integration.BoincClient.ClientEngineDetectionTests."

  # 5. The oracle on Docker, beside pass podman.
  conform_pass conform-docker "$aot_bin" >"$work/conform-docker.out" 2>&1 &
  conform_docker=$!

  # 4. The engine-facing integration tests again on Podman, same expectations (tests/Integration/Engine/
  #    EngineFixture.cs takes the engine from BOINC_PERSIST_TEST_ENGINE), the wrapper being the AOT binary.
  #    Not here, because they do the same whatever BOINC_PERSIST_TEST_ENGINE says (passes 1 and 3 ran them):
  #    the checkpoint-store and protocol tests (no engine); the conformance suite's own tests (they check the
  #    oracle; its broken wrappers use Docker's CLI; boinc-persist on Podman is pass 6, every guarantee); the
  #    BOINC client harness's own tests (a shell-script app, no engine); the endpoint choice (pure); and the
  #    tests that bring their own engine (a private dockerd, a private or rootless Podman service).
  local_only="Boinc.Persist.Integration.Checkpoints. Boinc.Persist.Integration.Protocol. Boinc.Persist.Integration.Conform.
    Boinc.Persist.Integration.BoincClient.BoincClientHarnessTests. Boinc.Persist.Integration.BoincClient.BoincScenarioCleanupTests.
    Boinc.Persist.Integration.BoincClient.BoincDataDirTests. Boinc.Persist.Integration.BoincClient.BoincTasksParserTests.
    Boinc.Persist.Integration.Engine.EndpointTests. Boinc.Persist.Integration.Engine.EngineRestartTests.
    Boinc.Persist.Integration.Engine.PodmanServiceTests. Boinc.Persist.Integration.Engine.RootlessPodmanTests.
    Boinc.Persist.Integration.RealDisk. Boinc.Persist.Integration.BoincClient.ClientEngineDetectionTests."
  podman_filter=""
  for prefix in $local_only; do podman_filter+="${podman_filter:+&}FullyQualifiedName!~$prefix"; done
  pass podman BOINC_PERSIST_TEST_ENGINE=podman "BOINC_PERSIST_TEST_SESSION=$BOINC_PERSIST_TEST_SESSION-podman" \
    "BOINC_PERSIST_BIN=$aot_bin" -- \
    dotnet test tests/Integration -c "$CONFIGURATION" --filter "$podman_filter"

  conform_collect conform-docker "$conform_docker"
  conform_docker=
  conform_collect conform-podman "$conform_podman"
  conform_podman=
else
  fail "the Native AOT publish failed (see above): the client8, aot, podman and conform passes did not run"
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
