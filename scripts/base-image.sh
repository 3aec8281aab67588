#!/usr/bin/env bash
# Create the local base image the integration tests run jobs in, without any registry.
#
# Usage: base-image.sh [docker|podman]   (default docker). With podman the image is imported into Podman's
# storage, where it is named localhost/boinc-persist/busybox:1 and found again by its short name.
#
# No registry is reachable from these machines, so `docker pull busybox` is impossible: the image is a
# `docker import` of a tiny rootfs built from Debian's statically linked busybox. Idempotent: skips when the
# image exists. Prints the image id as its last line.
set -euo pipefail

readonly IMAGE=${BOINC_PERSIST_BASE_IMAGE:-boinc-persist/busybox:1}
readonly BUSYBOX=/bin/busybox
readonly ENGINE=${1:-docker}
case "$ENGINE" in
  docker|podman) ;;
  *) echo "base-image: ERROR: engine must be docker or podman, not '$ENGINE'" >&2; exit 2 ;;
esac

log() { echo "base-image: $*" >&2; }
die() { echo "base-image: ERROR: $*" >&2; exit 1; }

if [[ $ENGINE == podman ]]; then
  command -v podman >/dev/null || die "podman is not installed; run scripts/podman-up.sh first"
  docker() { podman "$@"; }
else
  docker info >/dev/null 2>&1 || die "no Docker engine answers; run scripts/engine-up.sh first"
fi

if id=$(docker image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null); then
  log "$IMAGE already exists"
  echo "$id"
  exit 0
fi

# Only the static build runs inside an empty rootfs (the dynamic `busybox` package would need a libc there).
if [[ "$(dpkg-query -W -f='${Status}' busybox-static 2>/dev/null || true)" != "install ok installed" ]]; then
  log "installing busybox-static"
  export DEBIAN_FRONTEND=noninteractive
  # A fresh machine has no package lists yet: update only when the first attempt cannot find the package.
  if ! apt-get install -y -q -o DPkg::Lock::Timeout=300 busybox-static >/dev/null 2>&1; then
    apt-get -o DPkg::Lock::Timeout=300 update -qq || die "apt-get update failed"
    apt-get install -y -q -o DPkg::Lock::Timeout=300 busybox-static >/dev/null \
      || die "apt-get install busybox-static failed"
  fi
fi
[[ -x $BUSYBOX ]] || die "$BUSYBOX missing after installing busybox-static"

root=$(mktemp -d /tmp/boinc-persist-rootfs.XXXXXX)
trap 'rm -rf "$root"' EXIT

# mktemp -d makes the directory 0700, and the tar carries that mode to the image's /: Docker's import resets
# it, rootless Podman keeps it, and then no non-root user (the slot owner) can even exec /bin/sh.
chmod 0755 "$root"
mkdir -p "$root"/{bin,usr/bin,etc,tmp,app,proc,sys,dev,root}
chmod 1777 "$root/tmp"
cp "$BUSYBOX" "$root/bin/busybox"
# Every applet as a link: job scripts may call any of them (sh, cat, sleep, sync, sha256sum, ...), and the
# links cost nothing. Relative links keep the image independent of where it was built.
while read -r applet; do
  [[ -n "$applet" && "$applet" != busybox ]] && ln -sf busybox "$root/bin/$applet"
done < <("$BUSYBOX" --list)
[[ -e "$root/bin/sh" ]] || ln -s busybox "$root/bin/sh"
# Shebangs like `#!/usr/bin/env sh` are common in job scripts.
ln -s ../../bin/busybox "$root/usr/bin/env"

cat >"$root/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$root/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
nobody:x:65534:
EOF

# Fixed owners and mtimes: the same busybox gives the same layer on every machine.
tar --create --numeric-owner --owner=0 --group=0 --mtime='2000-01-01 00:00:00Z' --sort=name \
    -C "$root" . \
  | docker import \
      --change 'CMD ["/bin/sh"]' \
      --change 'LABEL org.boinc-persist.base=true' \
      --message "boinc-persist base: Debian busybox-static $(dpkg-query -W -f='${Version}' busybox-static)" \
      - "$IMAGE" >/dev/null \
  || die "$ENGINE import of the rootfs failed"

# A quick proof the image actually runs a shell (catches a non-static busybox or a broken link).
out=$(docker run --rm --network none "$IMAGE" sh -c 'echo ok') || die "$IMAGE does not run sh"
[[ "$out" == ok ]] || die "$IMAGE ran sh but printed '$out'"

log "created $IMAGE"
docker image inspect --format '{{.Id}}' "$IMAGE"
