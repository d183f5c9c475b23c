#!/usr/bin/env python3
"""The three package recipes, built by tools/build-packages from `meson dist`'s tarball and
checked: each package holds exactly what `meson install` puts in place (and the family's
documentation files), the versions agree, .SRCINFO matches the PKGBUILD, lintian finds no
error, the .deb installs into an empty root with dpkg and `dpkg -r` takes all of it away.
Skipped, saying what to install, when the packaging tools are missing.
Usage: packages.py SOURCE_DIR BUILD_DIR   (TAP on stdout)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap  # noqa: E402

TOP, BUILD = sys.argv[1:3]
# Each tool and the Debian package that has it.
TOOLS = {"dpkg-buildpackage": "dpkg-dev", "dh": "debhelper", "lintian": "lintian", "rpmbuild": "rpm",
         "makepkg": "makepkg", "fakeroot": "fakeroot", "git": "git", "xz": "xz-utils",
         "bsdtar": "libarchive-tools", "file": "file", "pacman": "pacman-package-manager"}
ROOT_USER = os.geteuid() == 0


def as_user(argv):
    """makepkg and lintian refuse or warn as root: as root they run as nobody."""
    if not ROOT_USER:
        return argv
    return ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"] + argv


def run(argv, **kw):
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def expected_files():
    """What `meson install` puts in place, relative to the prefix: share/..., sbin/vfio-setup."""
    p = run(["meson", "introspect", BUILD, "--installed"])
    installed = json.loads(p.stdout)
    prefix = run(["meson", "introspect", BUILD, "--buildoptions"]).stdout
    prefix = next(o["value"] for o in json.loads(prefix) if o["name"] == "prefix")
    out = set()
    for source, dest in installed.items():
        rel = os.path.relpath(dest, prefix)
        if os.path.isdir(source):
            for d, _, files in os.walk(source):
                out.update(os.path.join(rel, os.path.relpath(os.path.join(d, f), source)) for f in files)
        else:
            out.add(rel)
    # Debian and Arch compress manual pages.
    return {re.sub(r"(man/man\d/[^/]+)$", r"\1.gz", f) for f in out}


def files_of(listing, prefix):
    """Regular files of a listing of absolute or ./ paths, relative to prefix; directories dropped."""
    out = set()
    for path in listing:
        path = "/" + path.lstrip("./").rstrip("/")
        if path.startswith(prefix + "/"):
            out.add(path[len(prefix) + 1:])
    return out


def check_versions(tap):
    version = re.search(r"version\s*:\s*'([^']+)'", open(os.path.join(TOP, "meson.build")).read()).group(1)
    found = {
        "vfio-setup.spec": re.search(r"^Version:\s*(\S+)", open(os.path.join(TOP, "vfio-setup.spec")).read(), re.M),
        "PKGBUILD": re.search(r"^pkgver=(\S+)", open(os.path.join(TOP, "PKGBUILD")).read(), re.M),
        ".SRCINFO": re.search(r"^\tpkgver = (\S+)", open(os.path.join(TOP, ".SRCINFO")).read(), re.M),
        "debian/changelog": re.search(r"^vfio-setup \(([^)-]+)", open(os.path.join(TOP, "debian/changelog")).read()),
    }
    found = {k: m.group(1) if m else None for k, m in found.items()}
    tap.ok(all(v == version for v in found.values()), f"every recipe has meson.build's version {version}", found)
    return version


def check_srcinfo(tap):
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(TOP, "PKGBUILD"), d)
        os.chmod(d, 0o755)
        if ROOT_USER:
            shutil.chown(d, "nobody")
        env = dict(os.environ, HOME=d, BUILDDIR=d, PKGDEST=d, SRCDEST=d, SRCPKGDEST=d, LOGDEST=d)
        p = run(as_user(["makepkg", "--printsrcinfo"]), cwd=d, env=env)
    tap.ok(p.returncode == 0 and p.stdout == open(os.path.join(TOP, ".SRCINFO")).read(),
           ".SRCINFO is what makepkg --printsrcinfo makes of the PKGBUILD (regenerate it when the PKGBUILD changes)",
           p.stdout + p.stderr)


def check_deb(tap, out, version, expected):
    debs = [f for f in os.listdir(out) if f.startswith(f"vfio-setup_{version}_") and f.endswith(".deb")]
    if not tap.ok(len(debs) == 1, "dpkg-buildpackage made the .deb", os.listdir(out)):
        return
    deb = os.path.join(out, debs[0])
    listed = run(["sh", "-c", f"dpkg-deb --fsys-tarfile '{deb}' | tar -t"]).stdout.split()
    files = files_of([f for f in listed if not f.endswith("/")], "/usr")
    docs = {"share/doc/vfio-setup/copyright", "share/doc/vfio-setup/changelog.gz"}
    tap.ok(files == expected | docs, "the .deb holds what meson install puts in place, its copyright and changelog",
           {"missing": sorted((expected | docs) - files), "extra": sorted(files - expected - docs)})
    fields = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    tap.ok(all(lib in fields for lib in ("pci.ids", "libpci3", "libblkid1", "libjson-c5", "libncursesw6")),
           "the .deb depends on pci.ids and the libraries it links", fields)
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o755)
        copy = os.path.join(d, os.path.basename(deb))
        shutil.copy(deb, copy)
        os.chmod(copy, 0o644)
        # From a directory nobody may enter: the checkout may be in a home only its owner enters.
        p = run(as_user(["env", f"HOME={d}", "lintian", "--pedantic", "--display-info", copy]), cwd=d)
    errors = [ln for ln in p.stdout.splitlines() if ln.startswith("E:")]
    tap.ok(p.returncode in (0, 2) and errors == [] and "lintian" not in p.stderr.replace("root privileges", ""),
           "lintian --pedantic finds no error in the .deb", p.stdout + p.stderr)
    if p.stdout.strip():
        tap.comment(["lintian:"] + p.stdout.splitlines())
    if not ROOT_USER:
        tap.skip("dpkg -i into an empty root, dpkg -r", "dpkg --root needs root here")
        return
    with tempfile.TemporaryDirectory() as root:
        for sub in ("info", "updates", "triggers"):
            os.makedirs(os.path.join(root, "var/lib/dpkg", sub))
        open(os.path.join(root, "var/lib/dpkg/status"), "w").close()
        # The libraries it depends on are not in the empty root: their check is what --force-depends skips.
        p = run(["dpkg", f"--root={root}", "--force-depends", "-i", deb])
        installed = set()
        for d, _, fs in os.walk(root):
            installed.update(os.path.relpath(os.path.join(d, f), os.path.join(root, "usr"))
                             for f in fs if not os.path.join(d, f).startswith(os.path.join(root, "var")))
        version_out = run([os.path.join(root, "usr/sbin/vfio-setup"), "--version"]).stdout
        tap.ok(p.returncode == 0 and installed == expected | docs and version in version_out,
               "dpkg -i into an empty root: every file in place, the binary runs", (p.stdout + p.stderr)[-600:])
        p = run(["dpkg", f"--root={root}", "-r", "vfio-setup"])
        left = [os.path.relpath(os.path.join(d, x), root) for d, ds, fs in os.walk(root) for x in ds + fs
                if not os.path.relpath(os.path.join(d, x), root).startswith("var")]
        tap.ok(p.returncode == 0 and left == [], "dpkg -r takes every file and directory away", (p.stderr, left))


def check_rpm(tap, out, version, expected):
    rpms = [f for f in os.listdir(out) if f.startswith(f"vfio-setup-{version}-") and f.endswith(".rpm")]
    if not tap.ok(len(rpms) == 1, "rpmbuild made the .rpm", os.listdir(out)):
        return
    rpm = os.path.join(out, rpms[0])
    listed = run(["rpm", "-qlp", rpm]).stdout.split()
    everything = files_of(listed, "/usr")
    # rpm lists the directories it owns: a path with others below it is one.
    files = {f for f in everything if not any(g.startswith(f + "/") for g in everything)}
    docs = {f for f in files if f.startswith(("share/doc/", "share/licenses/"))}
    # rpm links each binary under its build id, as Fedora's packages do.
    files -= docs | {f for f in files if f.startswith("lib/.build-id/")}
    # Not every rpm compresses manual pages (brp-compress): either is right.
    files = {f if f.endswith(".gz") or "/man/" not in f else f + ".gz" for f in files}
    tap.ok(files == expected and sorted(os.path.basename(f) for f in docs) == ["COPYING", "README.md"],
           "rpm -qlp lists exactly what meson install puts in place, with the README and the license",
           {"missing": sorted(expected - files), "extra": sorted(files - expected), "docs": sorted(docs)})
    requires = run(["rpm", "-qp", "--requires", rpm]).stdout
    tap.ok("hwdata" in requires and "libpci.so" in requires, "the .rpm requires hwdata and the libraries it links",
           requires)


def check_arch(tap, out, version, expected):
    pkgs = [f for f in os.listdir(out) if f.startswith(f"vfio-setup-{version}-") and ".pkg.tar" in f]
    if not tap.ok(len(pkgs) == 1, "makepkg made the Arch package", os.listdir(out)):
        return
    pkg = os.path.join(out, pkgs[0])
    listed = run(["bsdtar", "-tf", pkg] if shutil.which("bsdtar") else ["tar", "-tf", pkg]).stdout.split()
    files = files_of(listed, "/usr")
    files = {f for f in files if not any(g.startswith(f + "/") for g in files)}
    # Arch has no /usr/sbin of its own (a link to /usr/bin).
    expected_arch = {re.sub(r"^sbin/", "bin/", f) for f in expected} | {"share/doc/vfio-setup/README.md"}
    tap.ok(files == expected_arch, "the Arch package holds what meson install puts in place, in /usr/bin",
           {"missing": sorted(expected_arch - files), "extra": sorted(files - expected_arch)})
    info = run(["sh", "-c", f"tar -xOf '{pkg}' .PKGINFO"]).stdout
    tap.ok(all(f"depend = {d}" in info for d in ("hwdata", "pciutils", "json-c", "ncurses")),
           "the Arch package depends on hwdata and the libraries' packages", info)


def main():
    tap = Tap()
    missing = sorted({pkg for tool, pkg in TOOLS.items() if not shutil.which(tool)})
    if missing:
        tap.skip("the package builds", "not installed: " + " ".join(missing) +
                 " (./test installs them with apt-get; elsewhere, install them to build the packages)")
        sys.exit(tap.done())
    if not os.path.isdir(os.path.join(TOP, ".git")):
        tap.skip("the package builds", "meson dist makes the tarball from git: this tree is not a git checkout")
        sys.exit(tap.done())
    version = check_versions(tap)
    check_srcinfo(tap)
    with tempfile.TemporaryDirectory() as out:
        with open(os.path.join(out, "mine"), "w") as f:
            f.write("keep\n")
        p = run([os.path.join(TOP, "tools/build-packages"), "--out", out, "deb"])
        tap.ok(p.returncode == 1 and "did not make" in p.stderr and os.listdir(out) == ["mine"],
               "build-packages --out DIR: a directory holding what it did not make is refused and left as it is", p.stderr)
    expected = expected_files()
    with tempfile.TemporaryDirectory() as out:
        os.chmod(out, 0o755)
        p = run([os.path.join(TOP, "tools/build-packages"), "--out", out])
        if tap.ok(p.returncode == 0, "tools/build-packages builds all three", p.stderr[-3000:]):
            tap.comment([ln for ln in p.stderr.splitlines() if ln.startswith("-")])
            check_deb(tap, out, version, expected)
            check_rpm(tap, out, version, expected)
            check_arch(tap, out, version, expected)
    sys.exit(tap.done())


if __name__ == "__main__":
    main()
