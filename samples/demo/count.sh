#!/bin/sh
# The demo workload: counts to N, checkpointing its step in state.txt in WORKDIR, and reports progress in
# fraction_done as docker_wrapper's apps do. A restart resumes from the last step in state.txt.
n=${N:-30}
step=$(cat state.txt 2>/dev/null || echo 0)
echo "start at step $step" >> log.txt
while [ "$step" -lt "$n" ]; do
  sleep 1
  step=$((step + 1))
  echo "$step" > state.tmp && mv state.tmp state.txt
  echo "$step $n" | awk '{ printf "%.3f\n", $1 / $2 }' > fraction_done
done
cat "$(cat input_link_target 2>/dev/null || echo in)" > out.txt 2>/dev/null || true
echo done >> log.txt
