#!/usr/bin/env bash
# Make BOINC client 8.2 (Debian unstable's boinc-client 8.2.x) available next to Debian 12's 7.20.5, for the
# real-client tests run with BOINC_PERSIST_TEST_CLIENT=8. Client 8.2 is the first that detects Docker/Podman
# (docker_type/docker_version in init_data.xml) and removes `boinc__*` containers and images at start-up.
#
# Debian 12 cannot take sid's libc, so the client lives in its own root, built from Debian's packages only:
# apt-get, with a private configuration (sid's sources, verified with Debian's archive keyring, an empty dpkg
# status), downloads boinc-client's dependency closure, and `dpkg-deb -x` unpacks it into $BOINC8_ROOT. No
# maintainer script runs and nothing is configured there: only two binaries ever run from it. (Measured here:
# ~40 s, against ~180 s for `debootstrap --variant=minbase --include=boinc-client sid`, which configures a whole
# system nobody uses.) The client runs through that root's dynamic loader (`ld.so --library-path ROOT/libs
# ROOT/usr/bin/boinc`), NOT in a chroot: it sees the host's file system as it is, so the data directories under
# /tmp, the engines' sockets and CLIs (`docker`, `podman`, which the client probes with `--version` and
# `run --rm hello-world`), and the app it starts (boinc-persist, exec'd with the host's own loader) need no bind
# mount. Two launchers are installed: $BOINC8_BIN/boinc8 and $BOINC8_BIN/boinccmd8.
# Idempotent, run as root. Nothing is started (the package's service has no init in that root).
#
# Environment (all optional):
#   BOINC8_ROOT    where the root lives (default /opt/boinc8)
#   BOINC8_SUITE   Debian suite with boinc-client 8.2 (default sid)
#   BOINC8_MIRROR  Debian mirror (default http://deb.debian.org/debian)
#   BOINC8_BIN     where the launchers go (default /usr/local/bin)
#   BOINC8_CACHE   apt's private state: package lists and the downloaded .debs (default
#                  /var/cache/boinc-persist/boinc8-apt); CI can cache it: a rebuild downloads only what changed.
# Prints `boinc8-up: boinc-client <version> ready in N s` as its last line.
set -euo pipefail

readonly ROOT=${BOINC8_ROOT:-/opt/boinc8}
readonly SUITE=${BOINC8_SUITE:-sid}
readonly MIRROR=${BOINC8_MIRROR:-http://deb.debian.org/debian}
readonly CACHE=${BOINC8_CACHE:-/var/cache/boinc-persist/boinc8-apt}
readonly KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
readonly BIN=${BOINC8_BIN:-/usr/local/bin}
readonly LOADER=/usr/lib64/ld-linux-x86-64.so.2
readonly LIBS=/usr/lib/x86_64-linux-gnu:/lib/x86_64-linux-gnu

log() { echo "boinc8-up: $*" >&2; }
die() { echo "boinc8-up: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it writes $ROOT and $BIN)"
[[ $(uname -m) == x86_64 ]] || die "only x86_64 is supported (the launchers name x86_64's loader), not $(uname -m)"
started_at=$SECONDS

exec 9>/var/lock/boinc-persist-boinc8-up.lock
flock -w 900 9 || die "could not take /var/lock/boinc-persist-boinc8-up.lock within 900 s"

# The client of the root, run by the root's own loader with the root's libraries; prints its version or fails.
root_client_version() {
  [[ -x $ROOT$LOADER && -x $ROOT/usr/bin/boinc ]] || return 1
  timeout 20 "$ROOT$LOADER" --library-path "$ROOT${LIBS//:/:$ROOT}" "$ROOT/usr/bin/boinc" --version 2>/dev/null | head -1
}

# apt-get on a private configuration: nothing of the host's apt state (sources, status, lists) is read or changed.
apt_private() {
  apt-get -q \
    -o Dir::State="$CACHE/state" -o Dir::State::status="$CACHE/state/status" -o Dir::Cache="$CACHE/cache" \
    -o Dir::Etc::SourceList="$CACHE/sources.list" -o Dir::Etc::SourceParts=/nonexistent \
    -o Dir::Etc::Preferences=/nonexistent -o Dir::Etc::PreferencesParts=/nonexistent \
    -o Dir::Etc::Parts=/nonexistent -o APT::Architecture=amd64 -o APT::Architectures::=amd64 \
    -o APT::Install-Recommends=false -o Debug::NoLocking=1 "$@"
}

if version=$(root_client_version) && [[ $version == 8.* ]]; then
  log "$ROOT already holds boinc-client ($version)"
else
  [[ -r $KEYRING ]] || die "$KEYRING missing (package debian-archive-keyring): cannot verify $SUITE's packages"
  mkdir -p "$CACHE/state/lists/partial" "$CACHE/cache/archives/partial"
  : >"$CACHE/state/status"   # nothing installed: apt downloads the whole dependency closure
  echo "deb [signed-by=$KEYRING] $MIRROR $SUITE main" >"$CACHE/sources.list"
  t0=$SECONDS
  log "fetching $SUITE's package lists from $MIRROR"
  apt_private update >"$CACHE/apt.log" 2>&1 || { tail -20 "$CACHE/apt.log" >&2; die "apt-get update ($SUITE) failed"; }
  log "downloading boinc-client and its dependencies ($SUITE) into $CACHE/cache/archives"
  apt_private -y install --download-only boinc-client >>"$CACHE/apt.log" 2>&1 ||
    { tail -20 "$CACHE/apt.log" >&2; die "apt-get download of boinc-client ($SUITE) failed"; }
  # Exactly the closure apt chose this time (the cache may hold older versions too).
  # Exactly the closure apt chose (the cache may hold older versions too): "Inst NAME (VERSION ... [ARCH])"
  # (possibly followed by " [...]") of a simulated install is the file NAME_VERSION_ARCH.deb, with an epoch's ':' written as %3a.
  mapfile -t debs < <(apt_private -s install boinc-client 2>/dev/null |
    sed -n 's/^Inst \([^ ]*\) (\([^ ]*\) [^[]*\[\([^]]*\)\]).*/\1_\2_\3.deb/p' | sed 's/:/%3a/g')
  [[ ${#debs[@]} -gt 0 ]] || die "apt chose no packages for boinc-client ($SUITE)"
  # Unpacked aside and renamed, so an interrupted run never leaves a half root that looks complete.
  staging=$ROOT.partial
  rm -rf --one-file-system "$staging"
  mkdir -p "$staging"
  for deb in "${debs[@]}"; do
    dpkg-deb -x "$CACHE/cache/archives/$deb" "$staging" || die "dpkg-deb -x $deb failed"
  done
  log "${#debs[@]} packages downloaded and unpacked in $((SECONDS - t0)) s"
  rm -rf --one-file-system "$ROOT"
  mv "$staging" "$ROOT"
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
