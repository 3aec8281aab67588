#!/usr/bin/env bash
# Build (Native AOT) and measure the RSS-floor variants (issue 17 item 1: what peak RSS a Native AOT program
# carrying the wrapper's dependencies can have at the least; bench/README.md). The sources are copied to a work
# directory outside the repository (RSS_FLOOR_WORK, default /tmp/boinc-persist-rss-floor), so the repository's
# Directory.Build.props does not apply (common/Common.props carries the wrapper's publish settings itself).
# Waits while /tmp/quiet.lock exists (a convention for sharing a machine with timing benchmarks).
#   ./run.sh                 build + measure all variants
#   ./run.sh build [v...]    only build
#   ./run.sh measure [v...]  only measure (5 runs each)
# Output: out/<variant>/bin/floor, logs/<variant>.publish.log, logs/<variant>.run<N>.{out,time}, results.md
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="${RSS_FLOOR_WORK:-/tmp/boinc-persist-rss-floor}"
export RSS_FLOOR_WORK="$root"
mkdir -p "$root/logs" "$root/out"
cp -r "$here/src" "$here/common" "$here/data" "$here/variants" "$here/breakdown.sh" "$root/"
mkdir -p "$root/core" && cp "$here/../../src/Core/Slots/XmlText.cs" "$here/../../src/Core/Slots/XmlNode.cs" "$root/core/"
cd "$root"
ALL=(a b c d d_xmltext e e_nodehyd_nopie f g h h_nodehyd_nopie i x_toml x_xml x_xmltext x_sha x_sha_libcrypto x_http)
RUNS=${RUNS:-5}
mode=${1:-all}; shift || true
variants=("$@"); ((${#variants[@]})) || variants=("${ALL[@]}")

quiet() { while [ -e /tmp/quiet.lock ]; do sleep 10; done; }

build() {
  local v=$1
  quiet
  echo "build $v ..." >&2
  local t0=$(date +%s)
  if ! nice -n 19 dotnet publish "variants/$v/$v.csproj" -c Release -r linux-x64 -o "out/$v/bin" -nologo \
        -p:UseSharedCompilation=false > "logs/$v.publish.log" 2>&1; then
    echo "build $v FAILED (logs/$v.publish.log)" >&2; tail -n 20 "logs/$v.publish.log" >&2; return 1
  fi
  echo "build $v ok in $(( $(date +%s) - t0 )) s: $(stat -c %s out/$v/bin/floor) bytes" >&2
}

measure() {
  local v=$1 bin="out/$v/bin/floor"
  [[ -x $bin ]] || { echo "no binary for $v" >&2; return 1; }
  for n in $(seq 1 "$RUNS"); do
    quiet
    /usr/bin/time -v -o "logs/$v.run$n.time" "$bin" "$root/data" "$root/out/$v/status" > "logs/$v.run$n.out" 2>&1
  done
}

summarize() {
  python3 - "$@" <<'PY'
import re, sys, os, statistics
root = os.environ["RSS_FLOOR_WORK"]
rows = []
for v in sys.argv[1:]:
    binp = f"{root}/out/{v}/bin/floor"
    if not os.path.exists(binp):
        rows.append(f"| {v} | build failed | | | | | |"); continue
    size = os.path.getsize(binp) / 1048576
    peaks, ends, exits = [], [], []
    n = 1
    while os.path.exists(f"{root}/logs/{v}.run{n}.time"):
        t = open(f"{root}/logs/{v}.run{n}.time").read()
        peaks.append(int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1)) / 1024)
        o = open(f"{root}/logs/{v}.run{n}.out").read()
        for tag, dst in (("end-of-work", ends), ("exit", exits)):
            m = re.search(r"STAT " + tag + r" (.*)", o)
            dst.append(dict(kv.split("=") for kv in m.group(1).split() if "=" in kv) if m else {})
        n += 1
    med = lambda xs: statistics.median(xs)
    def f(d, k): return med([int(x[k]) for x in d if k in x]) / 1024
    rows.append(f"| {v} | {size:.1f} | {med(peaks):.1f} ({min(peaks):.1f}-{max(peaks):.1f}) | "
                f"{f(ends,'Rss'):.1f} | {f(ends,'Private_Dirty'):.1f} | {f(ends,'Pss'):.1f} | {f(ends,'Anonymous'):.1f} | "
                f"{f(exits,'Rss'):.1f} | {f(exits,'Private_Dirty'):.1f} |")
print("| variant | binary MB | peak RSS MB median (min-max) | end-of-work Rss | end-of-work Private_Dirty | Pss | Anonymous | exit Rss | exit Private_Dirty |")
print("|---|---|---|---|---|---|---|---|---|")
print("\n".join(rows))
PY
}

case $mode in
  build)   for v in "${variants[@]}"; do build "$v" || true; done ;;
  measure) for v in "${variants[@]}"; do measure "$v" || true; done; summarize "${variants[@]}" ;;
  all)     for v in "${variants[@]}"; do build "$v" || true; done
           for v in "${variants[@]}"; do measure "$v" || true; done
           summarize "${variants[@]}" | tee results.md ;;
  summary) summarize "${variants[@]}" ;;
esac
