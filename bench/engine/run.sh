#!/usr/bin/env bash
# Engine adapter figures (see EngineBench.cs). Usage: bash bench/engine/run.sh [BASE_IMAGE] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")"
exec dotnet run -c Release EngineBench.cs -- "${1:-boinc-persist/busybox:1}" "${2:-5}"
