#!/usr/bin/env bash
# RSS per mapping (grouped by file / [anon]) of a variant, sampled 1.5 s into its 3 s timer loop.
# Run bench/rss-floor/run.sh build VARIANT first; uses its work directory (RSS_FLOOR_WORK).
v=$1; root="${RSS_FLOOR_WORK:-/tmp/boinc-persist-rss-floor}"
while [ -e /tmp/quiet.lock ]; do sleep 10; done
$root/out/$v/bin/floor $root/data $root/out/$v/status > /dev/null & pid=$!
sleep 1.5
awk '/^[0-9a-f]+-[0-9a-f]+ /{name=($6==""?"[anon]":$6)} /^Rss:/{rss[name]+=$2} /^Private_Dirty:/{pd[name]+=$2}
     END{for(n in rss) if(rss[n]>=64) printf "%8d kB Rss %8d kB Private_Dirty  %s\n", rss[n], pd[n], n}' /proc/$pid/smaps | sort -rn
wait $pid
