#!/usr/bin/env bash
# Make BOINC client 8.2 (Debian unstable's boinc-client 8.2.x) available next to Debian 12's 7.20.5, for the
# real-client tests run with BOINC_PERSIST_TEST_CLIENT=8. Client 8.2 is the first that detects Docker/Podman
# (docker_type/docker_version in init_data.xml) and removes `boinc__*` containers and images at start-up.
#
# Debian 12 cannot take sid's libc, so the client lives in its own root, built from Debian's packages only:
#   debootstrap --variant=minbase --include=boinc-client sid $BOINC8_ROOT
# and runs through that root's dynamic loader (`ld.so --library-path ROOT/libs ROOT/usr/bin/boinc`), NOT in a
# chroot: it sees the host's file system as it is, so the data directories under /tmp, the engines' sockets and
# CLIs (`docker`, `podman`, which the client probes with `--version` and `run --rm hello-world`), and the app it
# starts (boinc-persist, exec'd with the host's own loader) need no bind mount. Two launchers are installed:
#   /usr/local/bin/boinc8, /usr/local/bin/boinccmd8
# Idempotent, run as root. Nothing is started: the package's own service cannot run in that root (no init), and
# the client never runs there as a daemon.
#
# Environment (all optional):
#   BOINC8_ROOT    where the root lives (default /opt/boinc8)
#   BOINC8_SUITE   Debian suite with boinc-client 8.2 (default sid)
#   BOINC8_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   BOINC8_BIN     where the launchers go (default /usr/local/bin)
#   BOINC8_CACHE   where debootstrap keeps the .debs it downloaded (default /var/cache/boinc-persist/boinc8-debs);
#                  CI can cache this directory: a rebuild then downloads nothing that did not change.
# Prints `boinc8-up: boinc-client <version> ready in N s` as its last line.
set -euo pipefail

readonly ROOT=${BOINC8_ROOT:-/opt/boinc8}
readonly SUITE=${BOINC8_SUITE:-sid}
readonly MIRROR=${BOINC8_MIRROR:-http://deb.debian.org/debian}
readonly CACHE=${BOINC8_CACHE:-/var/cache/boinc-persist/boinc8-debs}
readonly BIN=${BOINC8_BIN:-/usr/local/bin}
readonly LOADER=/lib64/ld-linux-x86-64.so.2
readonly LIBS=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu

log() { echo "boinc8-up: $*" >&2; }
die() { echo "boinc8-up: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs debootstrap and writes $ROOT and $BIN)"
[[ $(uname -m) == x86_64 ]] || die "only x86_64 is supported (the launchers name x86_64's loader), not $(uname -m)"
started_at=$SECONDS

exec 9>/var/lock/boinc-persist-boinc8-up.lock
flock -w 900 9 || die "could not take /var/lock/boinc-persist-boinc8-up.lock within 900 s"

# The client of the root, run by the root's own loader with the root's libraries; prints its version or fails.
root_client_version() {
  [[ -x $ROOT$LOADER && -x $ROOT/usr/bin/boinc ]] || return 1
  timeout 20 "$ROOT$LOADER" --library-path "$ROOT${LIBS//:/:$ROOT}" "$ROOT/usr/bin/boinc" --version 2>/dev/null | head -1
}

if ! command -v debootstrap >/dev/null; then
  log "installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt=(apt-get -o DPkg::Lock::Timeout=300 -q)
  if ! "${apt[@]}" install -y --no-install-recommends debootstrap >/dev/null 2>&1; then
    "${apt[@]}" update -qq || die "apt-get update failed"
    "${apt[@]}" install -y --no-install-recommends debootstrap >/dev/null || die "apt-get install debootstrap failed"
  fi
fi

if version=$(root_client_version) && [[ $version == 8.* ]]; then
  log "$ROOT already holds boinc-client ($version)"
else
  # Built aside and renamed, so an interrupted run never leaves a half root that looks complete.
  staging=$ROOT.partial
  rm -rf --one-file-system "$staging"
  mkdir -p "$CACHE"
  log "debootstrap $SUITE (minbase + boinc-client) into $ROOT from $MIRROR; .debs cached in $CACHE"
  t0=$SECONDS
  if ! debootstrap --variant=minbase --include=boinc-client --cache-dir="$CACHE" \
      "$SUITE" "$staging" "$MIRROR" >"$staging.log" 2>&1; then
    tail -20 "$staging.log" >&2
    die "debootstrap failed (full log: $staging.log)"
  fi
  log "debootstrap took $((SECONDS - t0)) s"
  rm -rf --one-file-system "$ROOT"
  mv "$staging" "$ROOT"
  rm -f "$staging.log"
  version=$(root_client_version) || die "the client in $ROOT does not run through its own loader"
  [[ $version == 8.* ]] || die "$SUITE's boinc-client is $version, not 8.x"
fi

# Launchers: the root's loader runs the root's binary; the process then execs apps (boinc-persist), `sh -c` for
# the engine probes and `docker`/`podman` from the HOST, whose own loader and libraries they use.
write_launcher() {
  local name=$1 binary=$2 file=$BIN/$1
  local text
  text=$(printf '#!/bin/sh\n# boinc8-up.sh: %s of Debian %s (%s), run by its own loader and libraries\nexec %q --library-path %q %q "$@"\n' \
    "$binary" "$SUITE" "$ROOT" "$ROOT$LOADER" "$ROOT${LIBS//:/:$ROOT}" "$ROOT/usr/bin/$binary")
  if [[ ! -f $file || "$(cat "$file")" != "$text" ]]; then
    printf '%s\n' "$text" >"$file"
    chmod 755 "$file"
    log "wrote $file"
  fi
}
write_launcher boinc8 boinc
write_launcher boinccmd8 boinccmd

got=$("$BIN/boinc8" --version | head -1) || die "$BIN/boinc8 --version failed"
[[ $got == "$version" ]] || die "$BIN/boinc8 reports '$got', the root's client '$version'"
"$BIN/boinccmd8" --version >/dev/null 2>&1 || die "$BIN/boinccmd8 --version failed"
log "boinc-client $version ready in $((SECONDS - started_at)) s"
