# Shared by ./run, ./test and .ci/run: install what the build needs, then build.
# Sourced with TOP set to the source tree; BUILD may name another build directory.

# What the build, the program, the tests, the VM tier, CI and the package builds need: one row
# per need, its group, and its package in each family ("-": none there; the VM tier, CI and
# the package builds run on Debian).
PACKAGE_TABLE='
# need            group      apt                 dnf                 pacman           zypper
meson             build      meson               meson               meson            meson
ninja             build      ninja-build         ninja-build         ninja            ninja
pkg-config        build      pkg-config          pkgconf-pkg-config  pkgconf          pkg-config
cc                build      gcc                 gcc                 gcc              gcc
libc-headers      build      libc6-dev           glibc-devel         glibc            glibc-devel
libpci            build      libpci-dev          pciutils-devel      pciutils         pciutils-devel
libblkid          build      libblkid-dev        libblkid-devel      util-linux-libs  libblkid-devel
json-c            build      libjson-c-dev       json-c-devel        json-c           libjson-c-devel
zlib              build      zlib1g-dev          zlib-devel          zlib             zlib-devel
ncurses           build      libncurses-dev      ncurses-devel       ncurses          ncurses-devel
pci.ids           run        pci.ids             hwdata              hwdata           hwdata
check             test       check               check-devel         check            check-devel
python3           test       python3             python3             python           python3
lspci             test       pciutils            pciutils            pciutils         pciutils
tar               test       tar                 tar                 tar              tar
modprobe          test       kmod                kmod                kmod             kmod
tmux              test       tmux                tmux                tmux             tmux
time              test       time                time                time             time
git               test       git                 git                 git              git
virsh             test       libvirt-clients     libvirt-client      libvirt          libvirt-client
xmllint           test       libxml2-utils       libxml2             libxml2          libxml2-tools
shellcheck        test       shellcheck          ShellCheck          shellcheck       ShellCheck
qemu              vm         qemu-system-x86     -                   -                -
qemu-img          vm         qemu-utils          -                   -                -
ovmf              vm         ovmf                -                   -                -
mmdebstrap        vm         mmdebstrap          -                   -                -
sfdisk            vm         fdisk               -                   -                -
mkfs.fat          vm         dosfstools          -                   -                -
mke2fs            vm         e2fsprogs           -                   -                -
strace            bench      strace              strace              strace           strace
valgrind          ci         valgrind            -                   -                -
cppcheck          ci         cppcheck            -                   -                -
dpkg-buildpackage packaging  dpkg-dev            -                   -                -
build-essential   packaging  build-essential     -                   -                -
debhelper         packaging  debhelper           -                   -                -
lintian           packaging  lintian             -                   -                -
rpmbuild          packaging  rpm                 -                   -                -
makepkg           packaging  makepkg             -                   -                -
pacman            packaging  pacman-package-manager -                -                -
fakeroot          packaging  fakeroot            -                   -                -
xz                packaging  xz-utils            -                   -                -
bsdtar            packaging  libarchive-tools    -                   -                -
file              packaging  file                -                   -                -
ansible-playbook  packaging  ansible-core        -                   -                -
'

# The family whose package manager is here (VFIO_SETUP_PACKAGER chooses where there are two).
packager() {
        if [ -n "${VFIO_SETUP_PACKAGER:-}" ]; then
                echo "$VFIO_SETUP_PACKAGER"
                return
        fi
        for p in apt-get:apt dnf:dnf pacman:pacman zypper:zypper; do
                if command -v "${p%%:*}" >/dev/null 2>&1; then
                        echo "${p#*:}"
                        return
                fi
        done
        echo none
}

# packages_for FAMILY GROUP...: the family's packages of those groups ("none": the needs).
packages_for() {
        family=$1
        shift
        case $family in
        apt) column=3 ;; dnf) column=4 ;; pacman) column=5 ;; zypper) column=6 ;; *) column=1 ;;
        esac
        printf '%s\n' "$PACKAGE_TABLE" | awk -v c="$column" -v groups=" $* " \
                '!/^#/ && NF >= 6 && index(groups, " " $2 " ") && $c != "-" && !seen[$c]++ { printf "%s ", $c }'
}

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

is_installed() {
        case $1 in
        apt) dpkg-query -W -f='${Status}\n' "$2" 2>/dev/null | grep -q 'ok installed' ;;
        dnf|zypper) rpm -q --whatprovides "$2" >/dev/null 2>&1 ;;
        pacman) pacman -T "$2" >/dev/null 2>&1 ;;
        *) return 1 ;;
        esac
}

install_packages() {
        case $1 in
        apt) shift; as_root apt-get update -qq >&2 &&
                as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >&2 ;;
        dnf) shift; as_root dnf install -y "$@" >&2 ;;
        pacman) shift; as_root pacman -S --needed --noconfirm "$@" >&2 ;;
        zypper) shift; as_root zypper --non-interactive install "$@" >&2 ;;
        *) return 1 ;;
        esac
}

# ensure_packages GROUP...: installs what is missing of those groups, with the package manager here.
ensure_packages() {
        family=$(packager)
        if [ "$family" = none ]; then
                echo "vfio-setup: no apt-get, dnf, pacman or zypper here: install by hand what provides" \
                        "$(packages_for none "$@")(see README.md, Install)" >&2
                return 0
        fi
        missing=
        for p in $(packages_for "$family" "$@"); do
                is_installed "$family" "$p" || missing="$missing $p"
        done
        [ -z "$missing" ] && return 0
        echo "installing:$missing" >&2
        # shellcheck disable=SC2086
        if ! install_packages "$family" $missing; then
                echo "vfio-setup: could not install:$missing ($family); install them, then run this again" >&2
                return 1
        fi
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
