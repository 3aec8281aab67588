#!/usr/bin/env bash
# Checkpoint commit throughput (1 MB, 100 MB, 1 GB) against a raw write + fsync of the same bytes on the same
# file system, as a ratio (goal >= 0.8), and the latency of a 1 KB commit.
# Usage: bench/checkpoint.sh [DIR] [SIZE_MB...]   (DIR defaults to /var/tmp; needs ~3x the largest size free)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
dir="${1:-/var/tmp}"
shift || true
dotnet build "$here/src/Shell" -c Release -p:UseSharedCompilation=false -v q -nologo >/dev/null
echo "# bench/checkpoint.sh on $(uname -r), $(nproc) cores, $(df -hT "$dir" | awk 'NR==2 {print $2 " on " $1}'), $(date -u +%FT%TZ)"
exec dotnet "$here/src/Shell/bin/Release/net10.0/boinc-persist.dll" __checkpoint-bench "$dir" "$@"
