# Shared by ./run, ./test and .ci/run: install what the build needs, then build.
# Sourced with TOP set to the source tree; BUILD may name another build directory.

# Debian package names: build tools, libraries, and what the tests run.
BUILD_PACKAGES="meson ninja-build pkg-config gcc libc6-dev libpci-dev libblkid-dev libjson-c-dev zlib1g-dev libncurses-dev"
RUN_PACKAGES="pci.ids"
TEST_PACKAGES="check python3 pciutils tar kmod tmux time"
# The VM tier (tests/vm/run): QEMU, UEFI firmware, guest images made here.
VM_PACKAGES="qemu-system-x86 qemu-utils ovmf mmdebstrap fdisk dosfstools e2fsprogs"

: "${BUILD:=$TOP/build}"

as_root() {
        if [ "$(id -u)" -eq 0 ]; then
                "$@"
        elif command -v sudo >/dev/null 2>&1; then
                sudo "$@"
        else
                echo "vfio-setup: need root to run: $*" >&2
                return 1
        fi
}

missing_packages() {
        for p in "$@"; do
                dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q 'ok installed' || printf '%s ' "$p"
        done
}

ensure_packages() {
        missing=$(missing_packages "$@")
        [ -z "$missing" ] && return 0
        if ! command -v apt-get >/dev/null 2>&1; then
                echo "vfio-setup: missing packages: $missing; install their equivalents (see README.md)" >&2
                return 1
        fi
        echo "installing: $missing" >&2
        as_root apt-get update -qq >&2 &&
                as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing >&2
}

# ensure_build_quiet: ensure_build with its output kept in $BUILD.log, shown only when it fails.
ensure_build_quiet() {
        [ -f "$BUILD/build.ninja" ] || echo "vfio-setup: building (the first time takes a minute)..." >&2
        mkdir -p "$BUILD"
        if ! ensure_build >"$BUILD/build.log" 2>&1; then
                cat "$BUILD/build.log" >&2
                echo "vfio-setup: the build failed; its log: $BUILD/build.log" >&2
                return 1
        fi
}

# ensure_build [meson setup options...]: configures once, then rebuilds what changed.
ensure_build() {
        if [ ! -f "$BUILD/build.ninja" ]; then
                meson setup "$BUILD" "$TOP" "$@" >&2 || return 1
        fi
        ninja -C "$BUILD" >&2
}
