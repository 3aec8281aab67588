#!/usr/bin/env bash
# Make sure this machine can publish boinc-persist as a Native AOT binary (Debian 12, run as root).
#
# Native AOT compiles with the ILCompiler package (restored by `dotnet publish` from NuGet; the SDK picks its
# version) and links with the platform toolchain: `clang` on the PATH (the linker driver), `lld` (preferred
# by the .NET 10 ILCompiler when present), and zlib's headers/library (`-lz`). Idempotent: installs only what
# is missing, serialised with the other setup scripts' apt use.
set -euo pipefail

log() { echo "aot-up: $*" >&2; }
die() { echo "aot-up: ERROR: $*" >&2; exit 1; }

[[ $(id -u) -eq 0 ]] || die "must run as root (it installs packages)"

missing=()
command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v ld.lld >/dev/null 2>&1 || missing+=(lld)
dpkg-query -W -f='${Status}' zlib1g-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(zlib1g-dev)

if ((${#missing[@]} == 0)); then
  log "toolchain present: $(clang --version | head -n1); $(ld.lld --version | head -n1); zlib1g-dev"
  exit 0
fi

exec 9>/var/lock/boinc-persist-apt.lock
flock -w 600 9 || die "could not take /var/lock/boinc-persist-apt.lock within 600 s"
log "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || die "apt-get update failed"
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || die "apt-get install ${missing[*]} failed"
log "toolchain ready: $(clang --version | head -n1); $(ld.lld --version | head -n1)"
