#!/usr/bin/env bash
# Publish boinc-persist as a Native AOT binary (settings in src/Shell/Shell.csproj) into artifacts/aot/ and
# print the binary's path as the last line. Installs the toolchain first if needed (scripts/aot-up.sh).
# Skips the publish when the binary is newer than every file under src/ (sources, projects, and the files ILC
# reads: the method order aot-order.txt, the substitutions XML) and the root props (AOT compilation takes minutes
# on two cores); BOINC_PERSIST_AOT_FORCE=1 publishes anyway.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
out="$root/artifacts/aot"
bin="$out/boinc-persist"

log() { echo "aot-publish: $*" >&2; }

bash "$root/scripts/aot-up.sh"

if [[ -x "$bin" && "${BOINC_PERSIST_AOT_FORCE:-0}" != 1 ]] &&
   [[ -z "$(find "$root/src" "$root/Directory.Build.props" "$root/Directory.Packages.props" \
              -type f -newer "$bin" -not -path '*/obj/*' -not -path '*/bin/*' -print -quit)" ]]; then
  log "up to date: $bin"
  echo "$bin"
  exit 0
fi

mkdir -p "$out"
log "publishing (Native AOT, linux-x64)..."
start=$(date +%s)
if ! dotnet publish "$root/src/Shell" -c Release -r linux-x64 -p:UseSharedCompilation=false -p:BoincPersistAotBuild=true \
       -o "$out" -nologo \
     > "$out.log" 2>&1; then
  tail -n 30 "$out.log" >&2
  log "ERROR: publish failed (full log: $out.log)"
  exit 1
fi
# The accepted third-party warnings (see Shell.csproj), shown so nobody has to trust this script.
grep -E 'warning IL[0-9]+' "$out.log" | sed 's/^.*: warning/warning/; s/ \[.*\]$//' | sort -u >&2 || true
log "published in $(( $(date +%s) - start )) s: $(stat -c %s "$bin") bytes"
echo "$bin"
