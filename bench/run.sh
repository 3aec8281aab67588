#!/usr/bin/env bash
# The benchmark suite of issue 7, in one command: every figure with its baseline measured in the same run,
# their ratio, the goal and whether it is met, as a markdown table on stdout (progress on stderr).
#
#   bench/run.sh [--runs N] [--window S] [--jobs N] [--slots N] [--scale-window S] [--items 1,7] [--docker-wrapper PATH]
#
# --docker-wrapper PATH (BOINC's docker_wrapper, built by scripts/foreign/build-docker-wrapper.sh) adds it as a
# same-run column to items 1, 2, 3, 4 and 7; without it those cells say "not measured".
#
# Run as root on the test machine (it makes cgroups to measure each wrapper's CPU, and starts the engine if
# none answers). Measures the Native AOT binary (published by scripts/aot-publish.sh unless BOINC_PERSIST_BIN
# names one) and, for items 7's comparisons, the JIT build. About 7 minutes on 2 cores plus the AOT publish
# when sources changed (3-5 minutes). Removes every container, image, cgroup and file it makes.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
log() { echo "bench: $*" >&2; }
begin=$(date +%s)

# With DOCKER_HOST set (e.g. Podman's socket) the bench measures that engine as it is: engine-up.sh brings up
# only the standard Docker engine (and refuses Podman 4.3's API 1.41), base-image.sh only imports into Docker.
if [[ -z "${DOCKER_HOST:-}" ]]; then
  bash "$root/scripts/engine-up.sh" >&2
  bash "$root/scripts/base-image.sh" >/dev/null
fi
bin="${BOINC_PERSIST_BIN:-$(bash "$root/scripts/aot-publish.sh" | tail -n1)}"
file "$bin" | grep -q 'ELF' || { log "ERROR: $bin is not a native binary"; exit 1; }

log "building the JIT wrapper and the driver..."
dotnet build "$root/bench/Bench" -c Release -p:UseSharedCompilation=false -nologo -v q >&2
jit="$root/src/Shell/bin/Release/net10.0/boinc-persist"
driver="$root/bench/Bench/bin/Release/net10.0/boinc-persist-bench"

"$driver" --bin "$bin" --jit "$jit" "$@"
echo
echo "Whole suite: $(( $(date +%s) - begin )) s wall, including builds."
