#!/bin/sh
# A deliberately broken "wrapper" for the conformance suite's own tests (and a demonstration of what BROKEN
# looks like): it runs the job in a throw-away container with no slot mount, ignores the client entirely
# (no status, no suspend, no quit), and writes boinc_finish_called 0 without checking anything.
# Usage: boinc-persist conform --wrapper "samples/conform/broken/no-persistence.sh"
set -u
name="broken_$(basename "$(pwd)")_$$"
# Its work lives in the container's own layer, so every crash starts over and nothing reaches the slot.
docker run --rm --name "$name" --label org.boinc-persist.conform.broken=1 \
  -v "$(pwd)/../../projects:/projects:ro" boinc-persist/busybox:1 \
  sh -c 'cd /tmp && sh "$(ls -d /projects/*/ | head -1)work.sh"' >/dev/null 2>&1
echo 0 > boinc_finish_called
exit 0
