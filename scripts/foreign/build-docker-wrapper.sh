#!/usr/bin/env bash
# Build BOINC's own docker_wrapper (samples/docker_wrapper/docker_wrapper.cpp) offline, as the foreign
# wrapper our conformance oracle (`boinc-persist conform --wrapper ...`) runs against.
#
#   scripts/foreign/build-docker-wrapper.sh [--rev REV] [--jobs N] [--install-deps] [--force] SOURCE OUTDIR
#
# SOURCE is either a bare git mirror of BOINC/boinc (REV, default HEAD, is exported with `git archive`) or a
# BOINC source tree (copied, never built in place). OUTDIR receives:
#   bin/docker_wrapper        the wrapper: libstdc++/libgcc linked statically, only libc/libm dynamic, so it
#                             runs from any slot directory without LD_LIBRARY_PATH
#   bin/docker_wrapper.info   source identity, DOCKERWRAPPER_RELEASE, compiler, build flags
#   build/                    the exported tree, configure/make logs (build/logs/*.log)
#
# How: `_autosetup`, then `configure` with only the libraries enabled (no client, server, manager or apps),
# static libtool archives only; `make` of lib/libboinc.la and api/libboinc_api.la; then docker_wrapper.cpp is
# compiled and linked against those two archives with the flags of samples/docker_wrapper/Makefile.
# Idempotent: when bin/docker_wrapper.info already names the same source identity and build recipe, it
# does nothing; concurrent runs on one OUTDIR take turns (OUTDIR/.build-docker-wrapper.lock).
# Needs g++, make, autoconf, automake, libtool, pkg-config (--install-deps installs the missing ones with
# apt-get). Prints the binary path as its last line.
set -euo pipefail

readonly RECIPE_VERSION=1   # bump when the commands below change what is built
log() { echo "build-docker-wrapper: $*" >&2; }
die() { echo "build-docker-wrapper: ERROR: $*" >&2; exit 1; }
usage() { sed -n '5,6p' "$0" | sed 's/^# *//' >&2; exit 2; }

rev=HEAD; jobs=$(nproc 2>/dev/null || echo 1); install_deps=0; force=0
while (($#)); do
  case "$1" in
    --rev) [[ $# -ge 2 ]] || usage; rev=$2; shift 2 ;;
    --jobs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--jobs needs a positive integer"; jobs=$2; shift 2 ;;
    --install-deps) install_deps=1; shift ;;
    --force) force=1; shift ;;
    -h|--help) usage ;;
    --*) die "unknown option $1" ;;
    *) break ;;
  esac
done
[[ $# -eq 2 ]] || usage
source_arg=$1
mkdir -p "$2" || die "cannot create output directory $2"
out=$(cd "$2" && pwd)
readonly build="$out/build" logs="$out/build/logs" tree="$out/build/boinc"
readonly binary="$out/bin/docker_wrapper" info="$out/bin/docker_wrapper.info"
start=$(date +%s)

# --- prerequisites ------------------------------------------------------------------------------------
declare -A tool_pkg=([g++]=g++ [make]=make [autoconf]=autoconf [automake]=automake [libtoolize]=libtool
                     [pkg-config]=pkg-config [git]=git)
missing=()
for t in "${!tool_pkg[@]}"; do command -v "$t" >/dev/null 2>&1 || missing+=("${tool_pkg[$t]}"); done
if ((${#missing[@]})); then
  if ((install_deps)); then
    log "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q -o DPkg::Lock::Timeout=300 "${missing[@]}" >&2 \
      || die "apt-get install ${missing[*]} failed"
  else
    die "missing tools; install them with: apt-get install -y ${missing[*]} (or pass --install-deps)"
  fi
fi

# --- source identity ----------------------------------------------------------------------------------
if [[ -f "$source_arg/samples/docker_wrapper/docker_wrapper.cpp" ]]; then
  kind=tree
  src=$(cd "$source_arg" && pwd)
  # Content hash of everything the wrapper is built from, so an edited tree is rebuilt.
  identity="tree:$(cd "$src" && find api lib samples/docker_wrapper m4 configure.ac Makefile.am Makefile.incl \
      version.h.in _autosetup -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)"
elif [[ "$(git -C "$source_arg" rev-parse --is-bare-repository 2>/dev/null)" == true ]] ||
     git -C "$source_arg" rev-parse --git-dir >/dev/null 2>&1; then
  kind=git
  src=$(cd "$source_arg" && pwd)
  commit=$(git -C "$src" rev-parse --verify "$rev^{commit}" 2>/dev/null) \
    || die "$src has no commit $rev"
  git -C "$src" cat-file -e "$commit:samples/docker_wrapper/docker_wrapper.cpp" 2>/dev/null \
    || die "$src at $commit has no samples/docker_wrapper/docker_wrapper.cpp: not a BOINC repository?"
  identity="git:$commit"
else
  die "$source_arg is neither a BOINC source tree nor a git repository"
fi
case "$src/" in "$build"/*) die "the source $src lies inside $build, which every build replaces" ;; esac

# One build per OUTDIR at a time: a second run waits, then finds the result up to date.
exec 9>"$out/.build-docker-wrapper.lock"
flock 9 || die "cannot lock $out/.build-docker-wrapper.lock"

recipe="recipe=$RECIPE_VERSION; $(g++ -dumpfullversion 2>/dev/null || g++ -dumpversion)"

if ((!force)) && [[ -x "$binary" && -f "$info" ]] &&
   grep -qxF "source: $identity" "$info" && grep -qxF "recipe: $recipe" "$info"; then
  log "up to date ($identity); nothing to do"
  echo "$binary"
  exit 0
fi

run() {  # run LOGNAME CMD...: the command's output goes to build/logs/LOGNAME.log, its tail on failure
  local name=$1; shift
  if ! "$@" >"$logs/$name.log" 2>&1; then
    tail -n 30 "$logs/$name.log" >&2
    die "$name failed (full log: $logs/$name.log)"
  fi
}

# --- export the tree (always fresh: a half-configured tree from an interrupted run is never reused) -------
rm -rf "$build"
mkdir -p "$tree" "$logs" "$out/bin"
if [[ $kind == git ]]; then
  log "exporting $commit from $src"
  git -C "$src" archive --format=tar "$commit" | tar -x -C "$tree" || die "git archive of $commit failed"
else
  log "copying $src"
  tar -C "$src" --exclude=.git -cf - . | tar -x -C "$tree" || die "copying $src failed"
fi

# --- libboinc and libboinc_api ------------------------------------------------------------------------
cd "$tree"
log "autosetup"
run autosetup ./_autosetup
log "configure (libraries only, static)"
run configure ./configure --disable-server --disable-client --disable-manager --disable-fcgi \
  --enable-libraries --disable-apps --enable-static --disable-shared
log "make libboinc, libboinc_api (-j$jobs)"
run make-lib make -C lib -j"$jobs" libboinc.la
run make-api make -C api -j"$jobs" libboinc_api.la
for a in lib/.libs/libboinc.a api/.libs/libboinc_api.a; do [[ -f $a ]] || die "$a was not built"; done

# --- docker_wrapper: the flags of samples/docker_wrapper/Makefile, the archives named explicitly ---------
log "compile docker_wrapper"
readonly cxxflags="-O2 -g -Wall -W -Wshadow -Wpointer-arith -Wcast-qual -Wcast-align -Wwrite-strings -fno-common"
readonly ldflags="-static-libstdc++ -static-libgcc -lpthread"
# shellcheck disable=SC2086  # the flag lists are word-split on purpose
run compile-wrapper g++ $cxxflags -I. -Iapi -Ilib -o "$binary.tmp" samples/docker_wrapper/docker_wrapper.cpp \
  api/.libs/libboinc_api.a lib/.libs/libboinc.a $ldflags
# Only libc, libm and the loader may stay dynamic: the client starts it with whatever LD_LIBRARY_PATH.
if ldd "$binary.tmp" | grep -vE 'linux-vdso|libc\.so|libm\.so|ld-linux' | grep -q .; then
  ldd "$binary.tmp" >&2
  die "docker_wrapper depends on shared libraries other than libc/libm"
fi

release=$(sed -n 's/^#define DOCKERWRAPPER_RELEASE \([0-9]*\).*/\1/p' version.h)
{
  echo "source: $identity"
  echo "recipe: $recipe"
  echo "from: $src"
  echo "docker_wrapper_release: ${release:-unknown}"
  echo "cxxflags: $cxxflags"
  echo "ldflags: $ldflags"
  echo "built: $(date -u +%Y-%m-%dT%H:%M:%SZ) in $(( $(date +%s) - start )) s"
} >"$info.tmp"
mv -f "$binary.tmp" "$binary"
mv -f "$info.tmp" "$info"
log "built docker_wrapper release ${release:-unknown} in $(( $(date +%s) - start )) s"
echo "$binary"
