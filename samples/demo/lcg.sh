#!/bin/sh
# The Boinc.Persist demo app (and the reference workload of the tests).
#
# It iterates a linear congruential generator, x <- (1103515245 x + 12345) mod 2^31, starting from x = 1:
# STEPS steps of WORK iterations each. The answer (x after STEPS*WORK iterations) is checkable by anyone
# with the same formula. Every CKPT_EVERY steps it checkpoints "step x" into state.txt in WORKDIR
# (write a temp file, rename it over: never torn), then touches checkpoint.done, the done marker job.toml
# declares, so the wrapper commits the generation at once. Progress goes to fraction_done, as
# docker_wrapper's apps do. Each start is logged to starts.log with the step it resumed from, so a test
# (or a curious volunteer) can see exactly how much work a crash cost.
#
# Parameters come from the environment or from docker_wrapper's ARGS ("--steps N --work N --ckpt-every N
# --out NAME"); the answer goes to NAME (default result.txt), its logical output file. At the end the shell's
# own CPU times (`times`) go to cpu_times.txt and stderr, for checking the CPU time the wrapper reported.
set -eu
steps=${STEPS:-60}
work=${WORK:-20000}
every=${CKPT_EVERY:-5}
out=${OUT:-result.txt}
set -- ${ARGS:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --ckpt-every) every=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "lcg.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

step=0
x=1
if [ -f state.txt ]; then
  read -r step x < state.txt || { echo "lcg.sh: unreadable state.txt" >&2; exit 3; }
  case "$step$x" in
    *[!0-9]*|'') echo "lcg.sh: state.txt is not 'step x': $(head -c 80 state.txt)" >&2; exit 3 ;;
  esac
fi
echo "start resumed_from=$step" >> starts.log
echo "lcg.sh: starting at step $step of $steps" >&2

while [ "$step" -lt "$steps" ]; do
  i=0
  while [ $i -lt "$work" ]; do
    x=$(( (x * 1103515245 + 12345) % 2147483648 ))
    i=$((i + 1))
  done
  step=$((step + 1))
  f=$((step * 1000 / steps))
  printf '%d.%03d\n' $((f / 1000)) $((f % 1000)) > fraction_done
  if [ $((step % every)) -eq 0 ] || [ "$step" -eq "$steps" ]; then
    echo "$step $x" > state.tmp
    mv state.tmp state.txt
    touch checkpoint.done
  fi
done

echo "$x" > "$out"
times > cpu_times.txt
echo "lcg.sh: cpu_times $(tr '\n' ' ' < cpu_times.txt)" >&2
echo "done x=$x" >> starts.log
echo "lcg.sh: done, x=$x" >&2
