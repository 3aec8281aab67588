#!/usr/bin/env bash
# How long model-check's default run takes here, and what it explored. Builds the JIT binary (Release) unless
# BOINC_PERSIST_BIN names one (e.g. the Native AOT binary from scripts/aot-publish.sh), runs
# `boinc-persist model-check` with its defaults (or the arguments given), and prints its output followed by
# the wall time, user+system CPU time and peak RSS from /usr/bin/time.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -z "${BOINC_PERSIST_BIN:-}" ]]; then
  dotnet build src/Shell -c Release -v:quiet -nologo >/dev/null
  cmd=(dotnet src/Shell/bin/Release/net10.0/boinc-persist.dll)
else
  cmd=("$BOINC_PERSIST_BIN")
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "command: boinc-persist model-check $*"
/usr/bin/time -f "time: %e s wall, %U s user, %S s system, peak RSS %M KB" "${cmd[@]}" model-check "$@"
