#!/usr/bin/env bash
# The offline demo: one command on a fresh Debian machine with no registry.
#
# It starts a Docker engine if none answers (scripts/engine-up.sh), imports a local busybox base image
# (scripts/base-image.sh), builds boinc-persist, lays out a BOINC data directory the way the client does
# (projects/<dir>/ with the app's files, slots/0/ with init_data.xml and link files), and runs the demo app
# (samples/demo: an LCG that checkpoints every few steps) under boinc-persist, as the BOINC client would.
# Halfway it simulates a host reboot: the wrapper is killed with SIGKILL and the container is removed. Then
# it starts the wrapper again, which recovers the last committed checkpoint generation, and the job finishes
# with the right answer. It never restarts or reconfigures an engine that was already running.
#
# Environment: STEPS (default 60), WORK (iterations per step, default 60000), DEMO_DIR (kept afterwards).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
steps=${STEPS:-60}
work=${WORK:-60000}
every=5

say() { printf '\n== %s\n' "$*"; }

say "container engine and base image"
bash scripts/engine-up.sh
bash scripts/base-image.sh

say "building boinc-persist"
dotnet build src/Shell -c Release -v:quiet -nologo >/dev/null
bp=$root/src/Shell/bin/Release/net10.0/boinc-persist
"$bp" --version

data=${DEMO_DIR:-$(mktemp -d /tmp/boinc-persist-demo.XXXXXX)}
proj=example.org_demo
slot=$data/slots/0
rm -rf "$data/projects" "$data/slots"
mkdir -p "$data/projects/$proj" "$slot"
cp samples/demo/job.toml "$data/projects/$proj/job_1.toml"
cp samples/demo/Dockerfile "$data/projects/$proj/Dockerfile_1"
cp samples/demo/lcg.sh "$data/projects/$proj/lcg.sh"
link() { printf '<soft_link>../../projects/%s/%s</soft_link>\n' "$proj" "$2" > "$slot/$1"; }
link job.toml job_1.toml
link Dockerfile Dockerfile_1
result=demo_$(date +%s)_0
cat > "$slot/init_data.xml" <<XML
<app_init_data>
<major_version>7</major_version>
<minor_version>20</minor_version>
<release>5</release>
<app_name>demo</app_name>
<project_dir>$data/projects/$proj</project_dir>
<wu_name>${result%_0}</wu_name>
<result_name>$result</result_name>
<slot>0</slot>
<wu_cpu_time>0.000000</wu_cpu_time>
<ncpus>1.000000</ncpus>
<rsc_memory_bound>268435456.000000</rsc_memory_bound>
<checkpoint_period>60.000000</checkpoint_period>
<shm_key>-1</shm_key>
</app_init_data>
XML
container=$(printf 'boinc__%s__%s' "$proj" "$result" | tr 'A-Z' 'a-z')

say "the plan (boinc-persist plan $slot)"
"$bp" plan "$slot" -- --steps "$steps" --work "$work" --ckpt-every "$every" | sed -n '/^Container/,/^Relaxations/p' | grep -v '^Relaxations' | head -30

start_wrapper() {
  # As the BOINC client starts a main program: in the slot, stdout to /dev/null, stderr appended to stderr.txt.
  (cd "$slot" && exec "$bp" --steps "$steps" --work "$work" --ckpt-every "$every" >/dev/null 2>>stderr.txt) &
  wrapper=$!
}

committed() {
  # The newest committed generation, as `boinc-persist checkpoints` lists it: "generation N (P% done)".
  # Keeps the last answer while a commit is under way.
  local now
  now=$( { "$bp" checkpoints "$slot" 2>/dev/null || true; } | awk 'NR == 2 && $1 ~ /^[0-9]+$/ { printf "generation %s (%s done)", $1, $7 }')
  [[ -n "$now" ]] && last_committed=$now
  printf '%s' "${last_committed:-none yet}"
}

progress() {
  local f pct bar c
  f=$(cat "$slot/fraction_done" 2>/dev/null || echo 0)
  pct=$(awk -v f="$f" 'BEGIN { printf "%d", f * 100 }')
  bar=$(awk -v p="$pct" 'BEGIN { s = ""; for (i = 0; i < 40; i++) s = s (i < p * 40 / 100 ? "#" : "."); print s }')
  committed >/dev/null
  printf '\r  [%s] %3d%%  committed: %s      ' "$bar" "$pct" "${last_committed:-none yet}"
}

say "running the job under boinc-persist (stderr.txt: $slot/stderr.txt)"
start_wrapper
half=$((steps / 2))
while :; do
  progress
  done_steps=$(awk -v f="$(cat "$slot/fraction_done" 2>/dev/null || echo 0)" -v n="$steps" 'BEGIN { printf "%d", f * n }')
  [[ $done_steps -ge $half ]] && break
  kill -0 "$wrapper" 2>/dev/null || { echo; echo "the wrapper ended early:"; tail -20 "$slot/stderr.txt"; exit 1; }
  sleep 0.3
done
echo
say "simulating a host reboot: SIGKILL to the wrapper, the container removed"
kill -9 "$wrapper" 2>/dev/null || true
wait "$wrapper" 2>/dev/null || true
docker rm -f "$container" >/dev/null
# How far the job got, read once it can no longer move (its progress file is in the slot).
crash_step=$(awk -v f="$(cat "$slot/fraction_done" 2>/dev/null || echo 0)" -v n="$steps" 'BEGIN { printf "%d", f * n + 0.5 }')
echo "  the job had done $crash_step of $steps steps"
echo "  container $container: $(docker ps -a --filter "name=^${container}\$" --format '{{.Status}}' | grep . || echo gone)"
echo "  the job's work in WORKDIR is what it wrote; its committed generations are in $slot/.boinc-persist"
"$bp" checkpoints "$slot" | sed 's/^/  /'

say "BOINC starts the wrapper again"
start_wrapper
while kill -0 "$wrapper" 2>/dev/null; do
  progress
  sleep 0.3
done
set +e
wait "$wrapper"
code=$?
set -e
progress
echo

say "what happened (from the job's own log, starts.log)"
sed 's/^/  /' "$slot/starts.log"
resumed=$(sed -n 's/^start resumed_from=//p' "$slot/starts.log" | tail -1)

say "the wrapper's log (stderr.txt, last lines)"
tail -12 "$slot/stderr.txt" | sed 's/^/  /'

say "checking the answer against an uninterrupted run of the same program"
check=$(mktemp -d)
(cd "$check" && STEPS=$steps WORK=$work CKPT_EVERY=$steps sh "$root/samples/demo/lcg.sh" 2>/dev/null)
expected=$(cat "$check/result.txt")
rm -rf "$check"
answer=$(cat "$slot/result.txt" 2>/dev/null || echo missing)
echo "  answer:   $answer"
echo "  expected: $expected"
echo "  boinc_finish_called: $(cat "$slot/boinc_finish_called" 2>/dev/null || echo missing), wrapper exit status $code"

saved=$resumed
redone=$((crash_step - resumed))
say "work saved by the committed checkpoint"
echo "  the crash hit at step $crash_step of $steps; the job resumed from step $resumed"
echo "  saved: $saved steps ($((saved * 100 / steps))% of the job); redone: $redone steps (at most $every, the checkpoint interval)"
echo "  restarting from zero (BOINC's docker_wrapper after a reboot) would have redone all $crash_step steps"
echo
echo "(BOINC data directory left in $data)"
if [[ "$answer" == "$expected" && $code -eq 0 ]]; then
  echo "demo: OK"
else
  echo "demo: FAILED"
  exit 1
fi
