#!/usr/bin/env bash
# Builds kyozo's offline base images on the local Docker Engine (no registry needed):
#   kyozo-base/busybox:latest   FROM scratch + Debian's static busybox (sh, httpd, wget, nc)
#   kyozo-base/debian:bookworm  a debootstrap --variant=minbase root filesystem
#   kyozo-base/python:3         the same with python3
#   kyozo-base/node:18          the same with nodejs (Debian's package)
#   kyozo-base/golang:1.19      the same with golang-go (Go 1.19; GOPATH=/go, GOPROXY=off)
#   kyozo-base/nginx:bookworm   the same with nginx-light, set up like the official nginx image
#                               (conf.d/default.conf serving /usr/share/nginx/html, logs on
#                               stdout/stderr, CMD nginx -g 'daemon off;')
# Idempotent: an image that exists is kept (KYOZO_BASE_REBUILD=1 rebuilds). Quick when all exist.
# When only derived images are missing, the root filesystem is exported from the existing
# kyozo-base/debian:bookworm instead of running debootstrap again. Packages are installed into
# copies of the root filesystem in parallel, with a policy-rc.d that keeps services from starting.
# Needs root for debootstrap/chroot; installs busybox-static and debootstrap with apt-get when
# missing. Set KYOZO_BASE_ONLY=busybox to build only the busybox image. KYOZO_BASE_PREFIX=name
# builds name/busybox:latest, name/debian:bookworm... instead of kyozo-base/* (to time a first
# build beside the images in use; remove them afterwards with docker rmi).
set -euo pipefail

DOCKER=${DOCKER:-docker}
MIRROR=${KYOZO_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=bookworm
P=${KYOZO_BASE_PREFIX:-kyozo-base}
# one lock per prefix: builds of the usual images wait for each other, not for a timing run
if [ "$P" = kyozo-base ]; then
  LOCK=${TMPDIR:-/tmp}/kyozo-base-images.lock
else
  LOCK=${TMPDIR:-/tmp}/kyozo-base-images-${P//\//_}.lock
fi

have() { [ -z "${KYOZO_BASE_REBUILD:-}" ] && $DOCKER image inspect "$1" >/dev/null 2>&1; }
log() { echo "base-images: $*" >&2; }
image_id() { $DOCKER image inspect -f '{{.Id}}' "$1" 2>/dev/null || true; }
# drop_old IMAGE OLD_ID: removes the image a rebuild replaced (kept while a container uses it)
drop_old() {
  local now
  now=$(image_id "$1")
  if [ -n "$2" ] && [ "$2" != "$now" ]; then
    $DOCKER rmi "$2" >/dev/null 2>&1 || true
  fi
}

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
# step LABEL: prints how long the previous step took
t_step=$start
took() { local now; now=$(date +%s); log "$1 in $(( now - t_step ))s"; t_step=$now; }

if ! have "$P/busybox:latest"; then
  old=$(image_id "$P/busybox:latest")
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
  log "building $P/busybox:latest"
  blog=$(mktemp)
  DOCKER_BUILDKIT=0 $DOCKER build -q -t "$P/busybox:latest" "$ctx" >"$blog" 2>&1 \
    || { tail -20 "$blog" >&2; rm -rf "$ctx" "$blog"; exit 1; }
  rm -rf "$ctx" "$blog"
  drop_old "$P/busybox:latest" "$old"
  took "$P/busybox:latest"
fi

if [ "${KYOZO_BASE_ONLY:-}" = busybox ]; then
  log "done in $(( $(date +%s) - start ))s"; exit 0
fi

# image name -> packages installed into a copy of the root filesystem
declare -A PACKAGES=(
  ["$P/python:3"]=python3
  ["$P/node:18"]=nodejs
  ["$P/golang:1.19"]=golang-go
  ["$P/nginx:bookworm"]=nginx-light
)
DERIVED=("$P/python:3" "$P/node:18" "$P/golang:1.19" "$P/nginx:bookworm")

# import_rootfs IMAGE ROOTDIR [CHANGE...]: docker import with a PATH, a shell entry and changes
import_rootfs() {
  local image=$1 dir=$2 old; shift 2
  old=$(image_id "$image")
  local changes=(
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
    -c 'ENV LANG=C.UTF-8'
  )
  local has_cmd=
  for c in "$@"; do
    changes+=(-c "$c")
    case $c in CMD*) has_cmd=1 ;; esac
  done
  [ -n "$has_cmd" ] || changes+=(-c 'CMD ["/bin/sh"]')
  tar -C "$dir" -c . | $DOCKER import "${changes[@]}" - "$image" >/dev/null
  drop_old "$image" "$old"
}

missing=()
for i in "${DERIVED[@]}"; do have "$i" || missing+=("$i"); done

if ! have "$P/debian:bookworm" || [ ${#missing[@]} -gt 0 ]; then
  [ "$(id -u)" = 0 ] || { log "building the Debian images needs root (debootstrap, chroot)"; exit 1; }
  work=$(mktemp -d /var/tmp/kyozo-rootfs.XXXXXX)
  cleanup() {
    local m
    for m in "$work"/*/proc; do umount -l "$m" 2>/dev/null || true; done
    rm -rf "$work"
  }
  trap cleanup EXIT
  root=$work/root
  if have "$P/debian:bookworm"; then
    # the Debian image exists: its file system is the root filesystem (no debootstrap)
    log "exporting $P/debian:bookworm"
    mkdir -p "$root"
    cid=$($DOCKER create "$P/debian:bookworm" /bin/true)
    $DOCKER export "$cid" | tar -C "$root" -x
    $DOCKER rm "$cid" >/dev/null
    rm -f "$root/.dockerenv"
    took "exported the root filesystem"
  else
    command -v debootstrap >/dev/null 2>&1 || apt_install debootstrap
    log "debootstrap --variant=minbase $SUITE (about a minute, once)"
    debootstrap --variant=minbase "$SUITE" "$root" "$MIRROR" >"$work/debootstrap.log" 2>&1 \
      || { tail -20 "$work/debootstrap.log" >&2; exit 1; }
    # trim what containers never need
    rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
      "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/*
    took "debootstrap"
    import_rootfs "$P/debian:bookworm" "$root"
    took "imported $P/debian:bookworm"
  fi

  if [ ${#missing[@]} -gt 0 ]; then
    # package lists once, shared by every copy
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    chroot "$root" apt-get update -qq >"$work/update.log" 2>&1 \
      || { tail -20 "$work/update.log" >&2; exit 1; }
    # no service may start while packages are installed (nginx would listen on the host)
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
    took "apt-get update"

    # chroot_install DIR PACKAGE...: installs into a copy, then trims it
    chroot_install() {
      local dir=$1; shift
      mount -t proc proc "$dir/proc"
      DEBIAN_FRONTEND=noninteractive chroot "$dir" apt-get install -y -qq \
        --no-install-recommends "$@"
      chroot "$dir" apt-get clean
      umount "$dir/proc"
      rm -rf "$dir"/var/lib/apt/lists/* "$dir"/usr/share/doc/* "$dir"/usr/share/man/* \
        "$dir"/usr/share/locale/* "$dir"/usr/share/go-*/test
      : >"$dir/etc/resolv.conf"
    }

    # configure IMAGE DIR: what each image needs beyond its packages
    configure() {
      case $1 in
        "$P/python:3") ln -sf python3 "$2/usr/bin/python" ;;
        "$P/golang:1.19")
          mkdir -p "$2/go/bin" "$2/go/src"
          chmod -R 1777 "$2/go"
          # Debian's precompiled standard library is built with cgo; compile it once the way
          # kyozo builds (CGO_ENABLED=0) into root's build cache, so a service build takes
          # seconds, not half a minute
          mount -t proc proc "$2/proc"
          chroot "$2" env -i HOME=/root PATH=/usr/bin:/bin CGO_ENABLED=0 GOPROXY=off \
            GOTOOLCHAIN=local go build std
          umount "$2/proc"
          ;;
        "$P/nginx:bookworm")
          # like the official image: one default server on /usr/share/nginx/html, logs on the
          # container's stdout/stderr, no Debian default site
          rm -f "$2/etc/nginx/sites-enabled/default"
          mkdir -p "$2/usr/share/nginx/html" "$2/var/log/nginx"
          cat >"$2/etc/nginx/conf.d/default.conf" <<'CONF'
server {
    listen 80;
    server_name localhost;
    location / {
        root /usr/share/nginx/html;
        index index.html index.htm;
    }
}
CONF
          [ -f "$2/usr/share/nginx/html/index.html" ] \
            || echo '<!doctype html><title>nginx</title><h1>nginx works</h1>' \
              >"$2/usr/share/nginx/html/index.html"
          ln -sf /dev/stdout "$2/var/log/nginx/access.log"
          ln -sf /dev/stderr "$2/var/log/nginx/error.log"
          ;;
      esac
    }

    changes_of() {
      case $1 in
        "$P/golang:1.19")
          printf '%s\n' 'ENV GOPATH=/go' \
            'ENV PATH=/go/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
            'ENV CGO_ENABLED=0' 'ENV GOPROXY=off' 'ENV GOTOOLCHAIN=local' 'WORKDIR /go'
          ;;
        "$P/nginx:bookworm")
          printf '%s\n' 'EXPOSE 80' 'CMD ["nginx", "-g", "daemon off;"]'
          ;;
      esac
    }

    # build_one IMAGE DIR: install, configure, import, clean up
    build_one() {
      local changes
      chroot_install "$2" ${PACKAGES[$1]}
      configure "$1" "$2"
      mapfile -t changes < <(changes_of "$1")
      import_rootfs "$1" "$2" "${changes[@]}"
      rm -rf "$2"
    }

    # every image at once: downloads, unpacking and imports overlap
    pids=()
    for i in "${missing[@]}"; do
      dir=$work/$(basename "${i%%:*}")
      cp -a "$root" "$dir"
      log "installing ${PACKAGES[$i]} for $i"
      (
        t0=$(date +%s)
        build_one "$i" "$dir" >"$dir.log" 2>&1
        log "built $i in $(( $(date +%s) - t0 ))s"
      ) &
      pids+=($!)
    done
    failed=
    for n in "${!pids[@]}"; do
      i=${missing[$n]}
      if ! wait "${pids[$n]}"; then
        log "building $i failed:"
        tail -20 "$work/$(basename "${i%%:*}").log" >&2
        failed=1
      fi
    done
    [ -z "$failed" ] || exit 1
    took "built ${missing[*]}"
  fi
fi

log "done in $(( $(date +%s) - start ))s"
