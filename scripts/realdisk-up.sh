#!/usr/bin/env bash
# Make sure this machine can run `boinc-persist crash-explore` (issue 19): it records the binary's system calls
# with strace. Idempotent: installs strace only if it is missing, serialised with the other setup scripts' apt
# use. Needs root to install.
set -euo pipefail

log() { echo "realdisk-up: $*" >&2; }
die() { echo "realdisk-up: ERROR: $*" >&2; exit 1; }

if command -v strace >/dev/null 2>&1; then
  log "present: $(strace -V | head -n1)"
  exit 0
fi

[[ $(id -u) -eq 0 ]] || die "strace is missing and installing it needs root (apt-get install -y strace)"
exec 9>/var/lock/boinc-persist-apt.lock
flock -w 600 9 || die "could not take /var/lock/boinc-persist-apt.lock within 600 s"
log "installing strace"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || die "apt-get update failed"
apt-get install -y -qq --no-install-recommends strace >/dev/null || die "apt-get install strace failed"
log "installed: $(strace -V | head -n1)"
