#!/usr/bin/env bash
# Footprint of Native AOT builds of boinc-persist, side by side: binary size, peak RSS (/usr/bin/time -v,
# "Maximum resident set size") of `--version` and of `check samples/demo`, each the median of 5 runs, and the
# wall time of `--version` as the median (min-max) of 20 runs.
#
#   bench/aot-footprint.sh BIN [BIN...]     e.g. bench/aot-footprint.sh "$(bash scripts/aot-publish.sh | tail -n1)"
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
(($# > 0)) || { echo "usage: $0 BIN [BIN...]" >&2; exit 2; }
[[ -x /usr/bin/time ]] || { echo "aot-footprint: /usr/bin/time (GNU time) is required" >&2; exit 1; }

median() { sort -n | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
# Peak RSS in MB of one run of "$@"; the command must succeed.
rss_mb() {
  local out
  out=$(/usr/bin/time -v "$@" 2>&1 >/dev/null) || { echo "aot-footprint: failed: $*" >&2; exit 1; }
  awk '/Maximum resident set size/ {printf "%.1f\n", $NF / 1024}' <<<"$out"
}
wall_ms() {
  local t0 t1
  t0=$(date +%s%N); "$@" >/dev/null; t1=$(date +%s%N)
  awk -v d=$((t1 - t0)) 'BEGIN {printf "%.1f\n", d / 1e6}'
}

echo "# bench/aot-footprint.sh on $(uname -r), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%FT%TZ)"
echo "| binary | size | peak RSS --version | peak RSS check samples/demo | --version wall (median of 20, min-max) |"
echo "|---|---|---|---|---|"
for bin in "$@"; do
  [[ -x "$bin" ]] || { echo "aot-footprint: not executable: $bin" >&2; exit 1; }
  size=$(awk -v b="$(stat -c %s "$bin")" 'BEGIN {printf "%.1f MB", b / 1048576}')
  v=$(for _ in 1 2 3 4 5; do rss_mb "$bin" --version; done | median)
  c=$(for _ in 1 2 3 4 5; do rss_mb "$bin" check "$root/samples/demo"; done | median)
  times=$(for _ in $(seq 20); do wall_ms "$bin" --version; done)
  t=$(median <<<"$times"); lo=$(sort -n <<<"$times" | head -n1); hi=$(sort -n <<<"$times" | tail -n1)
  echo "| $bin | $size | $v MB | $c MB | $t ms ($lo-$hi) |"
done
