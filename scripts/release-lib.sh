# Shared by scripts/build-release and scripts/release-qemu (sourced, not run): pinned tool
# versions, the cache folder, and the Debian sid build root for the arm64 and loong64 builds.
# Everything here installs what it needs when it is missing, so a fresh Debian 12 machine
# (root, with the crates.io, PyPI and Debian registries) can run it.

# shellcheck shell=bash

# The pinned tools. Changing one of these changes what the release is built with: bump it in a
# commit of its own and rebuild.
CARGO_ZIGBUILD_VERSION=0.24.1 # PyPI; static binary
ZIGLANG_VERSION=0.15.2        # PyPI; zig as the linker with glibc stubs of a chosen version
CARGO_DEB_VERSION=3.8.0       # crates.io
CARGO_GENERATE_RPM_VERSION=0.21.1

# The glibc floors: x86_64 and aarch64 link against zig's glibc 2.17 stubs (the oldest zig
# provides; CentOS 7 and openEuler have 2.17 or later, Kylin V10 and UOS 20 have 2.28).
# LoongArch support in glibc began with 2.36, so that is the floor there (new-world ABI).
GLIBC_FLOOR_X86_64=2.17
GLIBC_FLOOR_AARCH64=2.17
GLIBC_FLOOR_LOONGARCH64=2.36

RELEASE_CACHE=${ISOGUARD_RELEASE_CACHE:-/var/cache/isoguard-release}
DEBIAN_MIRROR=${ISOGUARD_DEBIAN_MIRROR:-http://deb.debian.org/debian}
APT_GET=(apt-get -o DPkg::Lock::Timeout=600 -y -qq --no-install-recommends)

# What the sid root holds: Debian's own rustc and cargo with the arm64 and loong64 standard
# libraries (rustup has only x86_64 here), the cross C compilers and C libraries (bundled
# SQLite, and the loong64 link), binutils to read foreign ELF files, and a qemu-user new
# enough to run loongarch64 binaries.
SID_ARCHES="arm64 loong64"
SID_PACKAGES="rustc cargo libstd-rust-dev:arm64 libstd-rust-dev:loong64 \
gcc-aarch64-linux-gnu gcc-loongarch64-linux-gnu libc6-dev-arm64-cross libc6-dev-loong64-cross \
binutils-aarch64-linux-gnu binutils-loongarch64-linux-gnu qemu-user file"

log() { echo "== $*" >&2; }
die() {
    echo "error: $*" >&2
    exit 1
}

need_root() {
    [ "$(id -u)" -eq 0 ] || die "run as root (apt-get, debootstrap, systemd-nspawn)"
}

# Installs the Debian packages that are not installed yet.
apt_ensure() {
    local missing=()
    local p
    for p in "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive "${APT_GET[@]}" install "${missing[@]}" >/dev/null ||
        { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 -qq update &&
            DEBIAN_FRONTEND=noninteractive "${APT_GET[@]}" install "${missing[@]}" >/dev/null; }
}

# cargo-zigbuild and zig, pinned, in a venv of their own (prints its bin folder).
zig_tools() {
    local venv=$RELEASE_CACHE/zig-venv-$CARGO_ZIGBUILD_VERSION-$ZIGLANG_VERSION
    if [ ! -x "$venv/bin/cargo-zigbuild" ] || [ ! -e "$venv/.complete" ]; then
        apt_ensure python3-venv >&2
        log "pip install cargo-zigbuild==$CARGO_ZIGBUILD_VERSION ziglang==$ZIGLANG_VERSION"
        rm -rf "$venv"
        mkdir -p "$RELEASE_CACHE"
        python3 -m venv "$venv" >&2
        "$venv/bin/pip" install -q --disable-pip-version-check \
            "cargo-zigbuild==$CARGO_ZIGBUILD_VERSION" "ziglang==$ZIGLANG_VERSION" >&2
        touch "$venv/.complete"
    fi
    echo "$venv/bin"
}

# The zig binary inside that venv (a static binary; also used inside the sid root).
zig_dir() {
    local bin
    bin=$(zig_tools)
    "$bin/python" -c 'import ziglang, os; print(os.path.dirname(ziglang.__file__))'
}

# cargo-deb and cargo-generate-rpm at the pinned versions (skipped when installed).
packagers() {
    local have
    have=$(cargo deb --version 2>/dev/null || true)
    [ "$have" = "cargo-deb $CARGO_DEB_VERSION" ] ||
        cargo install --locked "cargo-deb@$CARGO_DEB_VERSION" >&2
    have=$(cargo generate-rpm --version 2>/dev/null || true)
    [ "$have" = "cargo-generate-rpm $CARGO_GENERATE_RPM_VERSION" ] ||
        cargo install --locked "cargo-generate-rpm@$CARGO_GENERATE_RPM_VERSION" >&2
}

# A command inside the sid root, with this machine's network (apt) unless told otherwise.
# Extra systemd-nspawn options come before `--`.
in_sid() {
    local root=$1
    shift
    local opts=()
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        opts+=("$1")
        shift
    done
    [ "${1:-}" = "--" ] && shift
    systemd-nspawn -D "$root" --register=no --keep-unit --quiet --console=pipe "${opts[@]}" "$@"
}

# The sid build root, made once and kept (prints its path). Keyed by mirror and package list:
# a change of either makes a new root; delete $RELEASE_CACHE to start over. The mirror's sid
# Release file is past its Valid-Until date here, hence Check-Valid-Until=false.
sid_root() {
    need_root
    apt_ensure debootstrap systemd-container >&2
    local key root
    key=$(printf '%s\n' "$DEBIAN_MIRROR" "$SID_ARCHES" "$SID_PACKAGES" | sha256sum | cut -c1-12)
    root=$RELEASE_CACHE/sid-root-$key
    mkdir -p "$RELEASE_CACHE"
    (
        flock 9
        if [ ! -e "$root/.isoguard-complete" ]; then
            local started=$SECONDS
            if [ ! -e "$root/.isoguard-debootstrap" ]; then
                rm -rf --one-file-system "$root"
                log "debootstrap sid into $root (from $DEBIAN_MIRROR)"
                debootstrap --variant=minbase sid "$root" "$DEBIAN_MIRROR" >&2 ||
                    die "debootstrap sid failed (see $root/debootstrap/debootstrap.log)"
                touch "$root/.isoguard-debootstrap"
            fi
            local a
            for a in $SID_ARCHES; do
                in_sid "$root" -- dpkg --add-architecture "$a"
            done
            in_sid "$root" -- sh -c 'echo "Acquire::Check-Valid-Until \"false\";" > /etc/apt/apt.conf.d/99isoguard-no-valid-until'
            log "apt-get install (in sid): $SID_PACKAGES"
            # shellcheck disable=SC2086
            in_sid "$root" -- env DEBIAN_FRONTEND=noninteractive sh -c \
                "apt-get -qq update && apt-get -y -qq --no-install-recommends install $SID_PACKAGES >/dev/null && apt-get clean" >&2 ||
                die "apt-get in the sid root failed"
            in_sid "$root" -- sh -c 'rustc --version; cargo --version' >&2
            touch "$root/.isoguard-complete"
            log "sid root ready: $((SECONDS - started)) s"
        fi
    ) 9>"$RELEASE_CACHE/.sid-root.lock" || exit 1
    echo "$root"
}
