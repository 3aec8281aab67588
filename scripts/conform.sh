#!/usr/bin/env bash
# The conformance oracle in CI: builds boinc-persist, runs `boinc-persist conform` against it with CI trial
# counts, prints the table (and the progress lines), writes artifacts/conform.json ($CONFORM_JSON), and exits non-zero if a guarantee
# does not hold. Usage: scripts/conform.sh [--wrapper CMD] [--trials N] [--seed S] [extra conform args...]
# Defaults: the freshly built binary (or $BOINC_PERSIST_BIN), 2 trials of each randomized guarantee, seed from
# $CONFORM_SEED or 1. Needs root, the engine and the base image (it runs engine-up.sh and base-image.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/engine-up.sh
bash scripts/base-image.sh >/dev/null

if [[ -n "${BOINC_PERSIST_BIN:-}" ]]; then
  bin="$BOINC_PERSIST_BIN"
else
  dotnet build src/Shell/Shell.csproj -c Release -nologo -v quiet -p:UseSharedCompilation=false >/dev/null
  bin="$PWD/src/Shell/bin/Release/net10.0/boinc-persist"
fi

wrapper="$bin"
trials=2
seed="${CONFORM_SEED:-1}"
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --wrapper) wrapper="$2"; shift 2 ;;
    --trials) trials="$2"; shift 2 ;;
    --seed) seed="$2"; shift 2 ;;
    *) extra+=("$1"); shift ;;
  esac
done

echo "conform.sh: $bin conform --wrapper \"$wrapper\" --trials $trials --seed $seed ${extra[*]:-}"
set +e
json="${CONFORM_JSON:-artifacts/conform.json}"
mkdir -p "$(dirname "$json")"
"$bin" conform --wrapper "$wrapper" --trials "$trials" --seed "$seed" --json "$json" "${extra[@]}"
code=$?
set -e
if [[ $code -eq 0 ]]; then
  echo "conform.sh: every guarantee held"
else
  echo "conform.sh: FAILED (exit $code): a guarantee did not hold or could not be run; see the table above and $json" >&2
fi
exit $code
