#!/usr/bin/env python3
"""./run's and ./test's installing of what is missing, on each family: tools/bootstrap.sh with
stand-ins for apt-get/dpkg-query, dnf/rpm, pacman and zypper that record what they are asked.
Usage: bootstrap.py SOURCE_DIR   (TAP on stdout)
"""
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap  # noqa: E402

TOP = sys.argv[1]
# The build's packages in each family, as their package managers name them.
BUILD = {
    "apt": "meson ninja-build pkg-config gcc libc6-dev libpci-dev libblkid-dev libjson-c-dev zlib1g-dev libncurses-dev",
    "dnf": "meson ninja-build pkgconf-pkg-config gcc glibc-devel pciutils-devel libblkid-devel json-c-devel zlib-devel "
           "ncurses-devel",
    "pacman": "meson ninja pkgconf gcc glibc pciutils util-linux-libs json-c zlib ncurses",
    "zypper": "meson ninja pkg-config gcc glibc-devel pciutils-devel libblkid-devel libjson-c-devel zlib-devel "
              "ncurses-devel",
}
RUN = {"apt": "pci.ids", "dnf": "hwdata", "pacman": "hwdata", "zypper": "hwdata"}
# Each family's tools: the one that installs and the one that says what is installed.
STANDINS = {"apt": ("apt-get", "dpkg-query"), "dnf": ("dnf", "rpm"), "pacman": ("pacman", None),
            "zypper": ("zypper", "rpm")}
# How each installs.
INSTALL = {"apt": "apt-get install -y -qq --no-install-recommends ", "dnf": "dnf install -y ",
           "pacman": "pacman -S --needed --noconfirm ", "zypper": "zypper --non-interactive install "}


def standin(directory, name, log, installed=(), fail=False):
    """Records its arguments; as a query, answers for the installed packages only."""
    body = f'echo "{name} $*" >> {log}\n'
    if name == "dpkg-query":
        # dpkg-query -W -f=... NAME
        body += f'case " {" ".join(installed)} " in *" $3 "*) echo "install ok installed";; esac\n'
    elif name in ("rpm", "pacman"):
        # rpm -q --whatprovides NAME; pacman -T NAME
        flag, arg = ("-q", "$3") if name == "rpm" else ("-T", "$2")
        body += (f'if [ "$1" = {flag} ]; then case " {" ".join(installed)} " in *" {arg} "*) exit 0;; esac; '
                 'exit 1; fi\n')
    body += "exit 1\n" if fail else "exit 0\n"
    path = os.path.join(directory, name)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + body)
    os.chmod(path, 0o755)


def ensure(family, groups, installed=(), fail=False):
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "log")
        for name in STANDINS[family]:
            if name:
                standin(d, name, log, installed, fail and name == STANDINS[family][0])
        env = dict(os.environ, PATH=f"{d}:{os.environ['PATH']}", VFIO_SETUP_PACKAGER=family, TOP=TOP)
        p = subprocess.run(["sh", "-c", f'. "$TOP/tools/bootstrap.sh"; as_root() {{ "$@"; }}; ensure_packages {groups}'],
                           capture_output=True, text=True, env=env)
        calls = open(log).read().splitlines() if os.path.exists(log) else []
    return p, [c for c in calls if c.startswith(INSTALL[family])]


def main():
    tap = Tap()
    for family in STANDINS:
        p, installs = ensure(family, "build run")
        want = INSTALL[family] + BUILD[family] + " " + RUN[family]
        tap.ok(p.returncode == 0 and installs == [want], f"{family}: the build's and the program's packages, by "
               "their names there, in one install", (installs, want, p.stderr))
        have = BUILD[family].split()[:3]
        p, installs = ensure(family, "build", installed=have)
        tap.ok(p.returncode == 0 and len(installs) == 1 and not any(f" {h} " in installs[0] + " " for h in have),
               f"{family}: what is installed is not asked for again", installs)
        p, installs = ensure(family, "build run", installed=BUILD[family].split() + [RUN[family]])
        tap.ok(p.returncode == 0 and installs == [], f"{family}: nothing missing, nothing installed", installs)
        p, installs = ensure(family, "run", fail=True)
        tap.ok(p.returncode == 1 and f"could not install: {RUN[family]} ({family})" in p.stderr,
               f"{family}: an install that fails names the packages", p.stderr)
    p = subprocess.run(["sh", "-c", '. "$TOP/tools/bootstrap.sh"; ensure_packages build run'], capture_output=True,
                       text=True, env=dict(os.environ, TOP=TOP, VFIO_SETUP_PACKAGER="none"))
    tap.ok(p.returncode == 0 and "libpci libblkid json-c zlib ncurses pci.ids" in p.stderr,
           "no known package manager: what to install is named, the build goes on", p.stderr)
    p = subprocess.run(["sh", "-c", '. "$TOP/tools/bootstrap.sh"; for f in dnf pacman zypper; do '
                        'packages_for $f vm ci packaging; done'], capture_output=True, text=True,
                       env=dict(os.environ, TOP=TOP))
    tap.ok(p.stdout.strip() == "", "the VM tier, CI and the package builds ask for Debian packages only", p.stdout)
    tap.done()


if __name__ == "__main__":
    main()
