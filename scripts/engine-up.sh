#!/usr/bin/env bash
# Make sure a Docker engine that Testcontainers 4 accepts (API >= 1.44) answers on this machine.
#
# Idempotent, run as root. Cases handled:
#   - an engine with API >= 1.44 already answers            -> nothing to do
#   - trixie's dockerd is installed but not running          -> start it (clearing a stale pid file)
#   - fresh Debian 12 machine                                -> install trixie's docker.io 26, then start it
# Facts behind the recipe: /work/shared/ENGINE.md (bookworm's own docker.io is API 1.41, too old).
set -euo pipefail

readonly MIN_API=1.44
# Engine 25 is the first that speaks API 1.44.
readonly MIN_ENGINE_MAJOR=25
readonly DOCKERD=/usr/sbin/dockerd
readonly PIDFILE=/var/run/docker.pid
readonly LOG=/var/log/boinc-persist-dockerd.log
# Private apt state: the machine's own apt configuration and lists must stay exactly as they are.
readonly APT_DIR=/var/lib/boinc-persist/apt
readonly START_TIMEOUT_S=60

log() { echo "engine-up: $*" >&2; }
die() { echo "engine-up: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages and starts dockerd)"

# Several engineers (and CI) share one machine: serialise installs and starts so two runs never race
# on apt or start two daemons on one socket.
exec 9>/var/lock/boinc-persist-engine-up.lock
flock -w 600 9 || die "could not take /var/lock/boinc-persist-engine-up.lock within 600 s"

# Prints the server's API version, or nothing when no engine answers.
server_api() {
  timeout 10 docker version --format '{{.Server.APIVersion}}' 2>/dev/null || true
}

version_ge() { [[ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n1)" == "$2" ]]; }

engine_ok() {
  local api
  api=$(server_api)
  [[ -n "$api" ]] && version_ge "$api" "$MIN_API"
}

dockerd_major() {
  # "Docker version 26.1.5+dfsg1, build a72d7cd" -> 26
  [[ -x $DOCKERD ]] || { echo 0; return; }
  "$DOCKERD" --version 2>/dev/null | sed -n 's/^Docker version \([0-9][0-9]*\)\..*/\1/p' | head -n1 | grep . || echo 0
}

# The Debian mirror the machine already uses (deb822 or one-line format), so the install goes through
# the same proxy/snapshot as every other apt call here.
debian_mirror() {
  local uri
  uri=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null \
        | awk '{print $2}' | grep -E '/debian/?$' | head -n1 || true)
  if [[ -z "$uri" ]]; then
    uri=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null \
          | grep -E ' bookworm( |$)' | sed -E 's/^deb (\[[^]]*\] )?//' | awk '{print $1}' | head -n1 || true)
  fi
  [[ -n "$uri" ]] || die "found no Debian mirror for bookworm in /etc/apt/sources.list{,.d/*}"
  echo "${uri%/}"
}

install_trixie_docker() {
  local mirror sources prefs
  mirror=$(debian_mirror)
  mkdir -p "$APT_DIR/lists/partial"
  sources=$APT_DIR/sources.list
  prefs=$APT_DIR/preferences
  # bookworm + bookworm-updates resolve runc/tini and every library; trixie only supplies docker itself.
  cat >"$sources" <<EOF
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror bookworm-updates main
deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $mirror trixie main
EOF
  # Without this pin apt "helpfully" upgrades libc6, dpkg and base-files to trixie: never acceptable.
  cat >"$prefs" <<'EOF'
Package: *
Pin: release n=trixie
Pin-Priority: 100
EOF
  local -a apt_opts=(
    -o Dir::Etc::SourceList="$sources"
    -o Dir::Etc::SourceParts=/dev/null
    -o Dir::State::Lists="$APT_DIR/lists"
    -o Dir::Etc::Preferences="$prefs"
    -o Dir::Etc::PreferencesParts=/dev/null
    # Keep apt's binary caches of the machine's own lists untouched too.
    -o Dir::Cache::pkgcache=
    -o Dir::Cache::srcpkgcache=
    -o DPkg::Lock::Timeout=300
  )
  log "apt-get update (private lists in $APT_DIR, mirror $mirror)"
  apt-get "${apt_opts[@]}" update -qq || die "apt-get update with the private trixie sources failed"

  # Refuse, before touching anything, a plan that would drag core packages to trixie.
  local plan
  plan=$(apt-get "${apt_opts[@]}" -s install docker.io/trixie docker-cli/trixie) || die "apt cannot plan docker.io/trixie"
  if grep -E '^Inst (libc6|libc-bin|dpkg|base-files) ' <<<"$plan"; then
    die "installing docker.io/trixie would replace core packages (above); refusing"
  fi

  log "installing docker.io from trixie"
  # docker-cli is only a Recommends of docker.io; the scripts and humans need a client either way.
  DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" install -y -q --no-install-recommends \
    docker.io/trixie docker-cli/trixie >/dev/null || die "apt-get install docker.io/trixie failed"
  [[ $(dockerd_major) -ge $MIN_ENGINE_MAJOR ]] || die "after install, $DOCKERD is still older than $MIN_ENGINE_MAJOR"
}

# --- 1. Already fine? -------------------------------------------------------------------------------
if engine_ok; then
  log "engine already answers with API $(server_api) (>= $MIN_API); nothing to do"
  exit 0
fi

api=$(server_api)
if [[ -n "$api" ]]; then
  # Someone else's (older) engine owns the socket; stopping it is not ours to decide.
  die "an engine answers with API $api < $MIN_API; stop it (or set DOCKER_API_VERSION=$api) and rerun"
fi
if [[ -n "${DOCKER_HOST:-}" && "${DOCKER_HOST}" != "unix:///var/run/docker.sock" ]]; then
  die "DOCKER_HOST=$DOCKER_HOST does not answer; this script only manages the local default engine"
fi

# --- 2. Install when the right dockerd is missing ------------------------------------------------------
if [[ $(dockerd_major) -ge $MIN_ENGINE_MAJOR ]] && command -v docker >/dev/null; then
  log "$DOCKERD $("$DOCKERD" --version | sed 's/^Docker version //') already installed"
else
  install_trixie_docker
  # The package's postinst may have started an engine itself (where an init system exists).
  if engine_ok; then
    log "engine answers after install with API $(server_api)"
    exit 0
  fi
fi

# --- 3. Start it -------------------------------------------------------------------------------------
# The pid of a live (not zombie) dockerd named by the pid file, or nothing.
live_dockerd_pid() {
  local pid
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [[ "$(cat "/proc/$pid/comm" 2>/dev/null || true)" == dockerd ]] || return 0
  # A killed daemon stays a zombie until its parent reaps it: it will never answer.
  [[ "$(awk '/^State:/ {print $2}' "/proc/$pid/status" 2>/dev/null || true)" != Z ]] || return 0
  echo "$pid"
}

started=0
for ((i = 0; i < START_TIMEOUT_S; i++)); do
  if engine_ok; then
    log "engine up after ${i} s, API $(server_api)"
    exit 0
  fi
  # A live dockerd that does not answer yet is still coming up: wait rather than start a second one.
  # A pid file without one is stale and makes dockerd refuse to start, so it goes. Re-checked every
  # second, so a daemon that dies while we wait is replaced (once).
  pid=$(live_dockerd_pid)
  if [[ -n "$pid" ]]; then
    [[ $i -eq 0 ]] && log "dockerd (pid $pid) is running but not answering yet; waiting for it"
  elif [[ $started -eq 0 ]]; then
    if [[ -e $PIDFILE ]]; then
      log "removing stale $PIDFILE (pid '$(cat "$PIDFILE" 2>/dev/null || true)' is not a live dockerd)"
      rm -f "$PIDFILE"
    fi
    log "starting dockerd (no bridge, no iptables: containers get loopback only); log: $LOG"
    # setsid+nohup: the daemon must outlive this script, the test run and the shell that called it.
    # 9>&-: it must not inherit our lock either, or every later run would wait on it forever.
    setsid nohup "$DOCKERD" --bridge=none --iptables=false --ip6tables=false \
      >>"$LOG" 2>&1 </dev/null 9>&- &
    disown || true
    started=1
  fi
  sleep 1
done

echo "engine-up: ERROR: dockerd did not answer 'docker info' within ${START_TIMEOUT_S} s. Last lines of $LOG:" >&2
tail -n 30 "$LOG" >&2 || true
exit 1
