#!/usr/bin/env bash
# Regenerate src/Shell/aot-order.txt, the order in which ILC lays out the AOT binary's methods (Shell.csproj,
# IlcOrderFile): the methods a wrapper runs come first, together, so a running wrapper maps a few hundred KB of
# code instead of pages scattered over all 5 MB of it (docs/MEMORY.md, stop 31).
#
# How: an unstripped AOT build (for its symbols) and a stripped copy of it (valgrind cannot read ILC's debug
# info); the stripped copy runs under valgrind's callgrind, as the wrapper of bench/run.sh items 2, 6 and 7 and
# of every `conform` scenario; order.py maps each executed address to its method and ranks the methods by how
# many runs executed them. Needs root, the Docker engine (scripts/engine-up.sh) and valgrind (installed here if
# missing). About 10 minutes on two cores.
#
# A stale order file costs memory, never correctness: ILC skips names that no longer exist and lays out methods
# the file does not name after the ones it does. Rerun this after changes to what the wrapper runs, and check
# bench/run.sh item 7.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
log() { echo "aot-order: $*" >&2; }
die() { echo "aot-order: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "run as root (the bench makes cgroups; valgrind may need installing)"
if ! command -v valgrind >/dev/null 2>&1; then
  exec 9>/var/lock/boinc-persist-apt.lock
  flock -w 600 9 || die "could not take /var/lock/boinc-persist-apt.lock within 600 s"
  log "installing valgrind"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null || die "apt-get install valgrind failed"
  flock -u 9
fi
bash "$root/scripts/engine-up.sh" >&2
bash "$root/scripts/base-image.sh" >/dev/null
bash "$root/scripts/aot-up.sh" >&2

work="$(mktemp -d /var/tmp/aot-order.XXXXXX)"
log "working in $work"
log "publishing an unstripped AOT build..."
# An intermediate directory of its own: with the shared one, an up-to-date stripped link is reused as it is.
dotnet publish "$root/src/Shell" -c Release -r linux-x64 -p:UseSharedCompilation=false -p:BoincPersistAotBuild=true \
  -p:StripSymbols=false -p:NativeIntermediateOutputPath="$work/native/" -o "$work/aot" -nologo > "$work/publish.log" 2>&1 || { tail -n 20 "$work/publish.log" >&2; die "publish failed"; }
nm -n --defined-only "$work/aot/boinc-persist" > "$work/nm.txt"
grep -q ' __start___managedcode$' "$work/nm.txt" || die "the build has no symbols (see $work/publish.log)"
strip -o "$work/boinc-persist" "$work/aot/boinc-persist"
mkdir -p "$work/profiles"
cat > "$work/wrapper" <<WRAP
#!/bin/sh
exec valgrind -q --tool=callgrind --dump-instr=yes --callgrind-out-file=$work/profiles/cg.%p $work/boinc-persist "\$@"
WRAP
chmod +x "$work/wrapper"

log "bench items 2, 6, 7 under callgrind..."
dotnet build "$root/bench/Bench" -c Release -p:UseSharedCompilation=false -nologo -v q >&2
"$root/bench/Bench/bin/Release/net10.0/boinc-persist-bench" --bin "$work/wrapper" --items 2,6,7 --runs 1 \
  --binary-cache keep > "$work/bench.txt" 2> "$work/bench.log" || { tail -n 20 "$work/bench.log" >&2; die "bench failed"; }
log "conform under callgrind..."
"$work/aot/boinc-persist" conform --wrapper "$work/wrapper" --patience 120 > "$work/conform.txt" 2>&1 \
  || { tail -n 25 "$work/conform.txt" >&2; die "conform failed under callgrind"; }

python3 "$root/scripts/aot-order/order.py" --nm "$work/nm.txt" --binary "$work/boinc-persist" \
  --callgrind "$work"/profiles/cg.* > "$root/src/Shell/aot-order.txt"
rm -rf "$work/native"   # ILC's object files, hundreds of MB; the profiles, nm and logs stay for a look
log "wrote src/Shell/aot-order.txt ($(wc -l < "$root/src/Shell/aot-order.txt") methods); rm -rf $work when done looking"
