#!/usr/bin/env bash
# How long model-check's default run takes here, and what it explored. Builds the JIT binary (Release) unless
# BOINC_PERSIST_BIN names one (e.g. the Native AOT binary from scripts/aot-publish.sh), runs
# `boinc-persist model-check` with its defaults (or the arguments given), and prints its output followed by
# the wall time, user+system CPU time and peak RSS from /usr/bin/time.
#
# --loop [RUNS]: the shipped wrapper loop under deterministic simulation instead (tests/Properties/Simulation:
# JobLoop + Interpreter + CheckpointStore, a host crash before every effect index, every crash state), with
# RUNS generated runs (default 200; the Properties pass runs 30); prints runs, crash points, crash states.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ "${1:-}" == "--loop" ]]; then
  runs="${2:-200}"
  dotnet build tests/Properties -c Release -v:quiet -nologo >/dev/null
  report="$(mktemp)"
  trap 'rm -f "$report"' EXIT
  echo "command: shipped loop simulation, $runs generated runs"
  /usr/bin/time -f "time: %e s wall, %U s user, %S s system, peak RSS %M KB" \
    env BOINC_PERSIST_SIM_RUNS="$runs" BOINC_PERSIST_SIM_REPORT="$report" \
    dotnet test tests/Properties -c Release --no-build -v:quiet -nologo --filter "FullyQualifiedName~ShippedLoopProperties"
  cat "$report"
  exit 0
fi
if [[ -z "${BOINC_PERSIST_BIN:-}" ]]; then
  dotnet build src/Shell -c Release -v:quiet -nologo >/dev/null
  cmd=(dotnet src/Shell/bin/Release/net10.0/boinc-persist.dll)
else
  cmd=("$BOINC_PERSIST_BIN")
fi
echo "command: boinc-persist model-check $*"
/usr/bin/time -f "time: %e s wall, %U s user, %S s system, peak RSS %M KB" "${cmd[@]}" model-check "$@"
