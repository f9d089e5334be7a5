#!/usr/bin/env bash
# Builds kyozo's offline base images on the local Docker Engine (no registry needed):
#   kyozo-base/busybox:latest  FROM scratch + Debian's static busybox (sh, httpd, wget, nc)
#   kyozo-base/debian:bookworm a debootstrap --variant=minbase root filesystem
#   kyozo-base/python:3        the same with python3
#   kyozo-base/node:18         the same with nodejs (Debian's package)
# Idempotent: an image that exists is kept (KYOZO_BASE_REBUILD=1 rebuilds). Quick when all exist.
# Needs root for debootstrap; installs busybox-static and debootstrap with apt-get when missing.
# Set KYOZO_BASE_ONLY=busybox to build only the busybox image.
set -euo pipefail

DOCKER=${DOCKER:-docker}
MIRROR=${KYOZO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
LOCK=${TMPDIR:-/tmp}/kyozo-base-images.lock

have() { [ -z "${KYOZO_BASE_REBUILD:-}" ] && $DOCKER image inspect "$1" >/dev/null 2>&1; }
log() { echo "base-images: $*" >&2; }

apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "need $* but not root: install it with apt-get"; exit 1
  fi
  log "apt-get install $*"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

# one builder at a time (parallel test processes call this script)
exec 9>"$LOCK"
flock 9

start=$(date +%s)

if ! have kyozo-base/busybox:latest; then
  bb=/bin/busybox
  # Debian's busybox-static package ships a fully static /bin/busybox
  [ -x "$bb" ] || apt_install busybox-static
  ctx=$(mktemp -d)
  cp "$bb" "$ctx/busybox"
  cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
CMD ["/bin/sh"]
DOCKERFILE
  log "building kyozo-base/busybox:latest"
  DOCKER_BUILDKIT=0 $DOCKER build -q -t kyozo-base/busybox:latest "$ctx" >/dev/null
  rm -rf "$ctx"
fi

if [ "${KYOZO_BASE_ONLY:-}" = busybox ]; then
  log "done in $(( $(date +%s) - start ))s"; exit 0
fi

# import_rootfs IMAGE ROOTDIR: docker import with a PATH and a shell entry
import_rootfs() {
  log "importing $1"
  tar -C "$2" -c . | $DOCKER import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV LANG=C.UTF-8' \
    -c 'CMD ["/bin/sh"]' - "$1" >/dev/null
}

if ! have kyozo-base/debian:bookworm || ! have kyozo-base/python:3 || ! have kyozo-base/node:18; then
  command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
  work=$(mktemp -d /var/tmp/kyozo-rootfs.XXXXXX)
  trap 'umount -l "$work/root/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
  root=$work/root
  log "debootstrap --variant=minbase $SUITE (this takes a few minutes once)"
  debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
    || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
  # trim what containers never need
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
    "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
  have kyozo-base/debian:bookworm || import_rootfs kyozo-base/debian:bookworm "$root"

  chroot_install() {
    local dir=$1; shift
    cp /etc/resolv.conf "$dir/etc/resolv.conf"
    mount -t proc proc "$dir/proc"
    chroot "$dir" apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -qq --no-install-recommends "$@" \
      >/dev/null
    chroot "$dir" apt-get clean
    umount "$dir/proc"
    rm -rf "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/*
    : >"$dir/etc/resolv.conf"
  }

  if ! have kyozo-base/python:3; then
    cp -a "$root" "$work/python"
    log "installing python3 into the root filesystem"
    chroot_install "$work/python" python3
    ln -sf python3 "$work/python/usr/bin/python"
    import_rootfs kyozo-base/python:3 "$work/python"
    rm -rf "$work/python"
  fi
  if ! have kyozo-base/node:18; then
    cp -a "$root" "$work/node"
    log "installing nodejs into the root filesystem"
    chroot_install "$work/node" nodejs
    import_rootfs kyozo-base/node:18 "$work/node"
    rm -rf "$work/node"
  fi
fi

log "done in $(( $(date +%s) - start ))s"
