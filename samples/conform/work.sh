#!/bin/sh
# The conformance workload (boinc-persist conform). Deterministic: it iterates the LCG
# x <- (1103515245 x + 12345) mod 2^31 from x = 1, STEPS steps of WORK iterations, and writes x to result.txt.
# Every CKPT_EVERY steps (and after the last) it checkpoints "step x check" into state.txt in WORKDIR (temp
# file + rename, then touches checkpoint.done). check = (step * 7 + x) mod 1000003, so a torn or foreign
# state.txt is detected, never resumed from. Each start appends "start resumed_from=N" to starts.log; a bad
# checkpoint appends "complaint ..." and exits 3. fraction_done holds the progress, as docker_wrapper apps do.
# Parameters: docker_wrapper's ARGS ("--steps N --work N --ckpt-every N [--pace-ms MS]"), or
# STEPS/WORK/CKPT_EVERY/PACE_MS. PACE_MS (0..999) makes every step last at least that long (a sleep after its
# work), so the suite's faults land mid-run however fast the CPU is.
set -u
# A stop signal ends the job at once (PID 1 gets no default action for SIGTERM).
trap 'exit 143' TERM INT
steps=${STEPS:-40}
work=${WORK:-40000}
every=${CKPT_EVERY:-4}
pace=${PACE_MS:-0}
set -- ${ARGS:-}
while [ $# -gt 0 ]; do
  case "$1" in
    --steps) steps=$2; shift 2 ;;
    --work) work=$2; shift 2 ;;
    --ckpt-every) every=$2; shift 2 ;;
    --pace-ms) pace=$2; shift 2 ;;
    *) echo "work.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

step=0
x=1
if [ -f state.txt ]; then
  line=$(head -c 200 state.txt | tr '\n' ' ')
  set -- $line
  ok=no
  if [ $# -eq 3 ]; then
    case "$1$2$3" in
      *[!0-9]*|'') ;;
      *) [ $(( ($1 * 7 + $2) % 1000003 )) -eq "$3" ] && ok=yes ;;
    esac
  fi
  if [ $ok != yes ]; then
    echo "complaint bad state.txt: '$line'" >> starts.log
    echo "work.sh: state.txt is not a checkpoint: '$line'" >&2
    exit 3
  fi
  step=$1
  x=$2
fi
echo "start resumed_from=$step" >> starts.log
echo "work.sh: starting at step $step of $steps" >&2

while [ "$step" -lt "$steps" ]; do
  i=0
  while [ $i -lt "$work" ]; do
    x=$(( (x * 1103515245 + 12345) % 2147483648 ))
    i=$((i + 1))
  done
  [ "$pace" -gt 0 ] && sleep "0.$(printf '%03d' "$pace")"
  step=$((step + 1))
  f=$((step * 1000 / steps))
  printf '%d.%03d\n' $((f / 1000)) $((f % 1000)) > fraction_done
  if [ $((step % every)) -eq 0 ] || [ "$step" -eq "$steps" ]; then
    echo "$step $x $(( (step * 7 + x) % 1000003 ))" > state.tmp
    mv state.tmp state.txt
    touch checkpoint.done
  fi
  echo "$step" > progress.txt
done

echo "$x" > result.txt
echo "done x=$x" >> starts.log
echo "work.sh: done, x=$x" >&2
