#!/usr/bin/env bash
# How fast the wrapper reacts to the client, as figures (the tests only wait for these events; issue 15 moved
# every "within N s" out of the tests). Runs the conformance oracle's suspend and lost-client scenarios against
# a wrapper binary and prints, per trial, what its evidence measured:
#   G07  suspend request -> the job stops making progress (and the CPU counted while suspended),
#   G16  the client's death (last heartbeat) -> the job's container no longer running.
#
#   bench/reaction.sh [--trials N] [BIN]     (N: 5; BIN: $BOINC_PERSIST_BIN, else the Native AOT publish)
#
# With DOCKER_HOST set (e.g. unix:///run/podman/podman.sock) it measures that engine. G16 is not randomized
# (one trial per run), so the script runs its scenario N times with different seeds.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
trials=5
if [[ ${1:-} == --trials ]]; then trials=$2; shift 2; fi
bin="${1:-${BOINC_PERSIST_BIN:-$(bash "$root/scripts/aot-publish.sh" | tail -n1)}}"
work=$(mktemp -d /tmp/boinc-persist-reaction.XXXXXX)
trap 'rm -rf "$work"' EXIT

evidence() { grep -o '"evidence": "[^"]*"' "$1" | sed 's/^"evidence": "//; s/"$//'; }

echo "wrapper: $bin ($("$bin" --version 2>/dev/null | head -n1)); engine: ${DOCKER_HOST:-default}"
"$bin" conform --wrapper "$bin" --only G07 --trials "$trials" --seed "$(date +%s)" --json "$work/g07.json" >/dev/null 2>&1 || true
echo "G07 suspend -> stopped (per trial, then the verdict's):"
evidence "$work/g07.json" | sed 's/^/  /'
echo "G16 client died -> container stopped:"
for ((i = 1; i <= trials; i++)); do
  "$bin" conform --wrapper "$bin" --only G16 --seed "$i" --json "$work/g16.json" >/dev/null 2>&1 || true
  evidence "$work/g16.json" | head -n1 | sed 's/^/  /'
done
