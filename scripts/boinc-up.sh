#!/usr/bin/env bash
# Make sure the real BOINC client (Debian 12's boinc-client 7.20.5: `boinc`, `boinccmd`) is installed for the
# real-client integration tests, and that Debian's own system daemon is NOT running next to them.
#
# Idempotent, run as root. Debian's package enables and starts boinc-client.service in its postinst; our tests
# start private clients on private data directories and must never share the machine with the system one
# (it would compete for the CPUs and answer on its own GUI RPC port). So:
#   - during the install a policy-rc.d (unless one exists already) refuses to start boinc-client;
#   - the service is masked for systemd (a /dev/null unit link works without systemd as PID 1) and disabled
#     for sysvinit, so no later boot or package upgrade starts it;
#   - a system daemon that is running anyway (installed earlier by someone else) is stopped through its own
#     service manager; if it still runs, we fail loudly rather than kill a process we did not start.
# Prints `boinc-up: boinc-client <version> ready in N s` as its last line.
set -euo pipefail

readonly PACKAGE=boinc-client
readonly SERVICE=boinc-client
readonly SYSTEM_DATA_DIR=/var/lib/boinc-client
readonly POLICY=/usr/sbin/policy-rc.d
readonly MASK=/etc/systemd/system/$SERVICE.service

log() { echo "boinc-up: $*" >&2; }
die() { echo "boinc-up: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs a package)"
started_at=$SECONDS

# Several engineers (and CI) share one machine: serialise so two runs never race on apt or the policy file.
exec 9>/var/lock/boinc-persist-boinc-up.lock
flock -w 600 9 || die "could not take /var/lock/boinc-persist-boinc-up.lock within 600 s"

installed() { [[ "$(dpkg-query -W -f='${Status}' "$PACKAGE" 2>/dev/null || true)" == "install ok installed" ]]; }

# Pids of a system daemon: a `boinc` process whose command line names Debian's data directory.
system_daemon_pids() {
  local pid
  for pid in $(pgrep -x boinc || true); do
    if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$SYSTEM_DATA_DIR"; then echo "$pid"; fi
    # The sysvinit script starts it with cwd = the data dir and no --dir.
    if [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" == "$SYSTEM_DATA_DIR" ]]; then echo "$pid"; fi
  done | sort -u
}

systemd_is_init() { [[ -d /run/systemd/system ]]; }

# Never let the package start the service, and keep it from starting later.
keep_service_off() {
  mkdir -p "$(dirname "$MASK")"
  if [[ ! -L $MASK || "$(readlink "$MASK")" != /dev/null ]]; then
    ln -sfn /dev/null "$MASK"   # what `systemctl mask` does; works with or without systemd running
    log "masked $SERVICE.service"
    systemd_is_init && systemctl daemon-reload || true
  fi
  if [[ -x /etc/init.d/$SERVICE ]] && command -v update-rc.d >/dev/null; then
    update-rc.d "$SERVICE" disable >/dev/null 2>&1 || true
  fi
  local pids
  pids=$(system_daemon_pids)
  [[ -z "$pids" ]] && return 0
  log "stopping the system BOINC daemon (pid $(echo $pids)) through its service manager"
  if systemd_is_init; then
    timeout 60 systemctl stop "$SERVICE" || true
  elif [[ -x /etc/init.d/$SERVICE ]]; then
    timeout 60 /etc/init.d/"$SERVICE" stop >/dev/null 2>&1 || true
  fi
  for _ in $(seq 1 30); do
    [[ -z "$(system_daemon_pids)" ]] && return 0
    sleep 1
  done
  die "the system BOINC daemon (pid $(echo $(system_daemon_pids))) still runs; stop it (it would share the" \
      "machine with the test clients) and rerun"
}

install_package() {
  # The policy file applies to every service, so only the one we put there ourselves is removed afterwards.
  local own_policy=0
  if [[ ! -e $POLICY ]]; then
    printf '#!/bin/sh\n# boinc-up.sh: keep boinc-client from starting during its install\n' >"$POLICY"
    printf 'case "$1" in %s) exit 101 ;; esac\nexit 0\n' "$SERVICE" >>"$POLICY"
    chmod 755 "$POLICY"
    own_policy=1
    trap 'rm -f "$POLICY"' EXIT
  fi
  # Masked before the install, so even deb-systemd-invoke under a real systemd leaves it alone.
  keep_service_off
  export DEBIAN_FRONTEND=noninteractive
  local -a apt=(apt-get -o DPkg::Lock::Timeout=300 -q)
  log "installing $PACKAGE (no recommends)"
  # A fresh machine may have no package lists yet: update only when the first attempt cannot find it.
  if ! "${apt[@]}" install -y --no-install-recommends "$PACKAGE" >/dev/null 2>&1; then
    "${apt[@]}" update -qq || die "apt-get update failed"
    "${apt[@]}" install -y --no-install-recommends "$PACKAGE" >/dev/null || die "apt-get install $PACKAGE failed"
  fi
  if [[ $own_policy -eq 1 ]]; then rm -f "$POLICY"; trap - EXIT; fi
}

if installed; then
  log "$PACKAGE already installed"
else
  install_package
fi
keep_service_off

# The protocol tests compile the client's own parsing code (lib/parse.h of 7.20.5, as Debian ships it in
# libboinc-app-dev) into an oracle: they need those headers and g++.
dev_ok() { [[ -f /usr/include/boinc/parse.h ]] && command -v g++ >/dev/null; }
if ! dev_ok; then
  log "installing libboinc-app-dev and g++ (the client-parsing oracle of the protocol tests)"
  apt-get -o DPkg::Lock::Timeout=300 -q install -y --no-install-recommends libboinc-app-dev g++ >/dev/null ||
    die "apt-get install libboinc-app-dev g++ failed"
fi
dev_ok || die "/usr/include/boinc/parse.h or g++ missing after the install"

for tool in boinc boinccmd; do
  command -v "$tool" >/dev/null || die "$tool is not on PATH after installing $PACKAGE"
done
version=$(dpkg-query -W -f='${Version}' "$PACKAGE")
# The harness writes client_state.xml for 7.20.5 (Debian 12); another version works but was not verified.
[[ $version == 7.20.* ]] || log "warning: $PACKAGE $version is not the verified 7.20.x; the harness assumes 7.20.5"
log "$PACKAGE $version ready in $((SECONDS - started_at)) s"
