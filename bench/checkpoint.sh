#!/usr/bin/env bash
# Checkpoint commit throughput (1 MB, 100 MB, 1 GB) against a raw write + fsync of the same bytes on the same
# file system, as a ratio (goal >= 0.8), and the latency of a 1 KB commit against a raw 1 KB write + fsync
# (goal <= 3x).
# Usage: bench/checkpoint.sh [--runs N] [DIR] [SIZE_MB...]
#   DIR defaults to /var/tmp (needs ~3x the largest size free; tmpfs is not a measurement: use a disk).
#   --runs N (default 1): run the whole benchmark N times (separate processes) and end with a table of the
#   medians over the runs (each run itself takes the best of 20/3/1 repetitions per size and the median of
#   50 1 KB commits); on a shared machine use N >= 5.
#   Measures the Native AOT binary, what ships (scripts/aot-publish.sh, minutes on two cores the first time):
#   the JIT driver runs the store's code tier-0 compiled at first, which made a 1 MB commit 0.3-0.5 ms slower.
#   BOINC_PERSIST_BENCH_TREE=PATH publishes and measures another checkout (e.g. the commit before a change);
#   BOINC_PERSIST_BIN=PATH measures that binary instead.
set -euo pipefail
here="${BOINC_PERSIST_BENCH_TREE:-$(cd "$(dirname "$0")/.." && pwd)}"
runs=1
if [[ "${1:-}" == "--runs" ]]; then runs="$2"; shift 2; fi
dir="${1:-/var/tmp}"
shift || true
bin="${BOINC_PERSIST_BIN:-$(bash "$here/scripts/aot-publish.sh" | tail -n1)}"
file "$bin" | grep -q ELF || { echo "bench/checkpoint.sh: $bin is not a native binary" >&2; exit 1; }
echo "# bench/checkpoint.sh on $(uname -r), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(df -hT "$dir" | awk 'NR==2 {print $2 " on " $1}'), tree $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo "$here"), binary $bin, $(date -u +%FT%TZ)"
if [[ "$runs" == 1 ]]; then
  exec "$bin" __checkpoint-bench "$dir" "$@"
fi
out="$(mktemp)"
trap 'rm -f "$out"' EXIT
for ((r = 1; r <= runs; r++)); do
  echo "## run $r of $runs"
  "$bin" __checkpoint-bench "$dir" "$@" | tee -a "$out"
done
# Medians over the runs: per size the raw and commit times and the ratio; the 1 KB medians and their ratio.
awk -v runs="$runs" '
  function median(list,   n, a, i, j, t) {
    n = split(list, a, " ")
    for (i = 1; i <= n; i++) for (j = i + 1; j <= n; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  $2 == "MB" && $4 == "ms" { if (!($1 in raw)) order[++k] = $1; raw[$1] = raw[$1] " " $3; com[$1] = com[$1] " " $5; rat[$1] = rat[$1] " " $NF }
  / MB least durable copy:/ { split($0, a, "ratio raw/least "); split($0, b, "ratio raw/least[+]sha "); split($0, x, "ratio raw/least[+]xxh3 "); lr[$1] = lr[$1] " " (a[2] + 0); ls[$1] = ls[$1] " " (b[2] + 0); lx[$1] = lx[$1] " " (x[2] + 0) }
  /^1 KB least durable copy latency/ { split($0, a, "least/raw "); split($0, b, "SHA-256 in line: median "); split(b[2], c, ", "); split($0, x, "XXH3-128 in line: median "); split(x[2], y, ", "); l1 = l1 " " (a[2] + 0); l1s = l1s " " (c[2] + 0); l1x = l1x " " (y[2] + 0) }
  /^1 KB commit latency/ { c1 = c1 " " $9 }
  /^1 KB raw write\+fsync latency/ { r1 = r1 " " $10 }
  END {
    printf "## medians over %d runs\n", runs
    printf "| size | raw write+fsync | commit | ratio raw/commit (goal >= 0.8) | least durable copy: raw/least (with XXH3-128; with SHA-256) |\n|---|---|---|---|---|\n"
    for (i = 1; i <= k; i++) { s = order[i]; printf "| %s MB | %.1f ms | %.1f ms | %.2f | %.2f (%.2f; %.2f) |\n", s, median(raw[s]), median(com[s]), median(rat[s]), median(lr[s]), median(lx[s]), median(ls[s]) }
    if (c1 != "" && r1 != "") printf "| 1 KB | %.2f ms | %.2f ms | commit/raw %.2fx (goal <= 3x) | least/raw %.2fx (%.2fx; %.2fx) |\n", median(r1), median(c1), median(c1) / median(r1), median(l1), median(l1x), median(l1s)
  }' "$out"
