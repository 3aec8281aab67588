#!/usr/bin/env bash
# Make sure rootful Podman serves the Docker-compatible API on /run/podman/podman.sock, and that the local base
# image exists in Podman's storage too.
#
# Idempotent, run as root. Cases handled:
#   - the socket answers already                           -> nothing to start
#   - podman is installed, its service is not running      -> start `podman system service --time=0`
#   - podman is missing (fresh Debian 12)                   -> install bookworm's podman 4.3, then start it
# Facts behind the recipe: /work/shared/ENGINE.md. Podman serves Engine API 1.41: Testcontainers 4 needs
# DOCKER_API_VERSION=1.41 to talk to it (the product does not: it sends unversioned requests).
set -euo pipefail

readonly SOCK=${BOINC_PERSIST_PODMAN_SOCK:-/run/podman/podman.sock}
readonly LOG=/var/log/boinc-persist-podman.log
readonly ULIMITS_CONF=/etc/containers/containers.conf.d/50-boinc-persist-ulimits.conf
readonly START_TIMEOUT_S=30
# Podman's built-in default for nofile (rootful): more than this sandbox may set without CAP_SYS_RESOURCE.
readonly PODMAN_DEFAULT_NOFILE=1048576

log() { echo "podman-up: $*" >&2; }
die() { echo "podman-up: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and starts the rootful service)"

exec 9>/var/lock/boinc-persist-podman-up.lock
flock -w 600 9 || die "could not take /var/lock/boinc-persist-podman-up.lock within 600 s"

answers() { timeout 10 curl -fsS --unix-socket "$SOCK" http://d/_ping >/dev/null 2>&1; }

# --- 1. Install ----------------------------------------------------------------------------------------
if ! command -v podman >/dev/null; then
  log "installing podman (bookworm), uidmap and slirp4netns (for rootless use)"
  export DEBIAN_FRONTEND=noninteractive
  pkgs=(podman catatonit uidmap slirp4netns curl)
  if ! apt-get install -y -q -o DPkg::Lock::Timeout=300 "${pkgs[@]}" >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq || die "apt-get update failed"
    apt-get install -y -q -o DPkg::Lock::Timeout=300 "${pkgs[@]}" >/dev/null || die "apt-get install podman failed"
  fi
fi
command -v curl >/dev/null || apt-get install -y -q -o DPkg::Lock::Timeout=300 curl >/dev/null || die "curl missing"
# The container's PID 1 is an init (the wrapper asks for HostConfig.Init): Podman 4.3's compat API runs catatonit
# for it and refuses to create the container when catatonit is missing.
[[ -x /usr/libexec/podman/catatonit ]] || apt-get install -y -q -o DPkg::Lock::Timeout=300 catatonit >/dev/null \
  || die "catatonit missing (Podman's --init)"
log "$(podman --version)"

# --- 2. Ulimits this sandbox can grant ---------------------------------------------------------------
# Without CAP_SYS_RESOURCE nobody may raise a hard limit, and Podman's default nofile (1048576) is above this
# machine's hard limit: every container would fail with "error setting rlimit ... operation not permitted".
# The product passes explicit ulimits (capped at its own hard limits) on create; this default is for the
# containers that tests and humans create with plain `podman run`.
hard_nofile=$(ulimit -Hn)
if [[ "$hard_nofile" != unlimited && "$hard_nofile" -lt $PODMAN_DEFAULT_NOFILE ]]; then
  # Podman lowers its own nproc to 32768 when it cannot raise it: more would fail in runc.
  hard_nproc=$(ulimit -Hu)
  [[ "$hard_nproc" == unlimited || "$hard_nproc" -gt 32768 ]] && hard_nproc=32768
  mkdir -p "$(dirname "$ULIMITS_CONF")"
  want=$(printf '[containers]\ndefault_ulimits = [\n  "nofile=%s:%s",\n  "nproc=%s:%s",\n]\n' \
    "$hard_nofile" "$hard_nofile" "$hard_nproc" "$hard_nproc")
  if [[ "$(cat "$ULIMITS_CONF" 2>/dev/null || true)" != "$want" ]]; then
    log "hard nofile limit is $hard_nofile < $PODMAN_DEFAULT_NOFILE: writing $ULIMITS_CONF"
    printf '%s\n' "$want" >"$ULIMITS_CONF"
  fi
fi

# --- 3. Start the service ------------------------------------------------------------------------------
# A service whose working directory was deleted still answers /_ping but fails every container (conmon
# inherits the directory: "Failed to get working directory", "write child: broken pipe"). That happens when
# it was started from a checkout that was removed since: stop it, so it is started again below, from "/".
for pid in $(pgrep -f "podman system service .*unix://$SOCK" || true); do
  if [[ "$(readlink "/proc/$pid/cwd" 2>/dev/null || true)" == *" (deleted)" ]]; then
    log "the service (pid $pid) runs in a deleted directory and cannot start containers: restarting it"
    kill "$pid" 2>/dev/null || true
    for ((i = 0; i < 20; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
  fi
done
if answers; then
  log "the service already answers on $SOCK"
else
  mkdir -p "$(dirname "$SOCK")"
  rm -f "$SOCK"
  log "starting podman system service --time=0 unix://$SOCK; log: $LOG"
  # setsid+nohup: the service must outlive this script; 9>&-: it must not inherit our lock; cd /: it must not
  # keep (or lose) the caller's directory, see above.
  setsid nohup env -C / podman system service --time=0 "unix://$SOCK" >>"$LOG" 2>&1 </dev/null 9>&- &
  disown || true
  for ((i = 0; i < START_TIMEOUT_S; i++)); do
    answers && break
    sleep 1
  done
  answers || { tail -n 30 "$LOG" >&2 || true; die "the service did not answer on $SOCK within ${START_TIMEOUT_S} s"; }
  log "the service answers on $SOCK (API $(curl -fsS --unix-socket "$SOCK" http://d/version | sed -n 's/.*"ApiVersion":"\([^"]*\)".*/\1/p'))"
fi

# --- 4. The base image ---------------------------------------------------------------------------------
exec 9>&-
bash "$(dirname "$0")/base-image.sh" podman
