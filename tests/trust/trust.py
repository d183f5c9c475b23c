#!/usr/bin/env python3
"""Hostile and broken trees: what someone else controls, or what is damaged, never turns
vfio-setup against the machine. A tree gets its programs run as root only when all they
reach is root's alone, from a fixed PATH with a clean environment; links in sysfs lead
nowhere outside; FIFOs, huge and crafted files cost no hang and no gigabytes; refused configuration files are refused, not crashed on; edits read back right by
the shell and the kernel; a damaged state file stops the plan by line; control characters
never reach the terminal; two runs at once do not share a journal; metadata is kept.
Usage: trust.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, in_root, roots, run_binary, stand_ins  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
TREECHECK = os.path.join(os.path.dirname(os.path.abspath(MKROOT)), "treecheck")
GPU = "0000:03:00.0"
ROOT_USER = os.geteuid() == 0
SKIP = "" if ROOT_USER else " # SKIP needs root"


def machine(tmp, name, distro="debian12-grub"):
    root = os.path.join(tmp, name)
    roots.build(MKROOT, distro, "hw-intel-amd", root)
    return root


def run(root, *args, commands=None):
    return in_root(BINARY, root, *args, commands=commands)


def write(root, rel, content, mode="w"):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path):
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)
        else:
            os.unlink(path)
    with open(path, mode) as f:
        f.write(content)


def untrusted_tree(tap, tmp):
    """A tree owned by another user: apply and undo run none of its programs as root."""
    if not ROOT_USER:
        tap.ok(True, "a tree owned by another user gets no program run as root" + SKIP)
        return
    root = machine(tmp, "untrusted")
    subprocess.run(["chown", "-R", "65534:65534", root], check=True)
    before = roots.machine_tree(root)
    # The tree's own update-grub, which would write outside the tree if it ran.
    witness = os.path.join(tmp, "outside-witness")
    write(root, "usr/sbin/update-grub", f"#!/bin/sh\ntouch {witness}\n")
    os.chmod(os.path.join(root, "usr/sbin/update-grub"), 0o755)
    p = run(root, "apply", "--no-trial", "--gpu", GPU, "--yes")
    tap.ok(p.returncode == 2 and f"{root} is owned by uid 65534, not by root" in p.stderr and
           "--no-regenerate" in p.stderr and
           "nothing was changed" in p.stderr and not os.path.exists(witness) and
           roots.differences(before, roots.machine_tree(root)) == ["usr/sbin/update-grub"],
           "a tree owned by another user: apply refuses to run its programs as root, says the way out", p.stderr)
    p = run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", "--no-regenerate")
    tap.ok(p.returncode == 0 and "run these by hand" in p.stdout and not os.path.exists(witness),
           "... with --no-regenerate it applies and lists the commands", p.stderr + p.stdout[-300:])
    p = run(root, "undo", "--yes")
    tap.ok(p.returncode == 2 and "owned by uid 65534, not by root" in p.stderr and not os.path.exists(witness),
           "... undo refuses to run them too", p.stderr)
    # The journal lives in a directory the tree's owner could replace: it is checked, not trusted.
    p = run(root, "undo", "--yes", "--no-regenerate")
    tap.ok(p.returncode == 0, "... undo --no-regenerate puts the files back", p.stderr)
    subprocess.run(["chown", "-R", "65534:65534", os.path.join(root, "var/lib/vfio-setup")], check=True)
    run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", "--no-regenerate")
    p = run(root, "undo", "--yes", "--no-regenerate")
    tap.ok(p.returncode == 2 and "owned by another user" in p.stderr,
           "a journal directory someone else owns is not undone from", p.stderr)


def runnable(root):
    """The host's dash as the tree's /bin/sh, with the libraries it loads: enough to run shell scripts chrooted."""
    ldd = subprocess.run(["ldd", "/bin/dash"], capture_output=True, text=True, check=True).stdout
    for src, dst in [("/bin/dash", "bin/sh")] + [(p, p.lstrip("/")) for p in re.findall(r"(/\S+) \(0x", ldd)]:
        dst = os.path.join(root, dst)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.realpath(src), dst)


def script(root, rel, body="", owner=None):
    """A program of the tree that writes down that it ran, and with which environment."""
    name = os.path.basename(rel)
    write(root, rel, f"#!/bin/sh\nexport -p > /ran-{name}\n{body}")
    os.chmod(os.path.join(root, rel), 0o755)
    if owner is not None:
        os.chown(os.path.join(root, rel), owner, owner)


def ran(root):
    return sorted(n[len("ran-"):] for n in os.listdir(root) if n.startswith("ran-"))


def tree_programs(tap, tmp):
    """Commands run as root only from a tree whose programs, libraries and generator files are root's alone,
    found in a fixed PATH and run with a clean environment."""
    if not ROOT_USER:
        tap.ok(True, "a tree's programs run as root only when all they reach is root's" + SKIP)
        return
    user = 1000

    def tree(name, distro="debian12-grub", parent=None):
        root = os.path.join(parent or tmp, name)
        roots.build(MKROOT, distro, "hw-intel-amd", root)
        runnable(root)
        for rel in ("usr/sbin/update-grub", "usr/sbin/update-initramfs", "usr/bin/mkinitcpio", "usr/bin/grub-mkconfig"):
            script(root, rel)
        return root

    def refused(root, what, distro_args=()):
        p = run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", *distro_args)
        return (p.returncode == 2 and what in p.stderr and "--no-regenerate" in p.stderr and
                "nothing was changed" in p.stderr and ran(root) == []), p.stderr

    # Root's alone: the commands run, from the fixed PATH, with nothing of the caller's environment.
    root = tree("clean")
    # A unit masked as systems mask them, with the tree's /dev as a live chroot has it.
    os.makedirs(os.path.join(root, "dev"), exist_ok=True)
    os.mknod(os.path.join(root, "dev/null"), 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    os.chmod(os.path.join(root, "dev/null"), 0o666)
    os.makedirs(os.path.join(root, "usr/lib/systemd/system"), exist_ok=True)
    os.symlink("/dev/null", os.path.join(root, "usr/lib/systemd/system/masked.service"))
    env = dict(os.environ, PATH="/nonexistent/evil:" + os.environ.get("PATH", ""), VFIO_SETUP_CANARY="1",
               LD_PRELOAD="/nonexistent/evil.so")
    env.pop("VFIO_SETUP_COMMAND_PATH", None)
    p = run_binary(BINARY, "--root", root, "apply", "--no-trial", "--gpu", GPU, "--yes", env=env)
    seen = open(os.path.join(root, "ran-update-grub")).read() if os.path.exists(os.path.join(root, "ran-update-grub")) \
        else ""
    tap.ok(p.returncode == 0 and ran(root) == ["update-grub", "update-initramfs"] and
           "PATH='/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'" in seen and "HOME='/root'" in seen and
           "CANARY" not in seen and "LD_PRELOAD" not in seen and "evil" not in seen,
           "a tree that is root's alone: its commands run chrooted, from the fixed PATH, with a clean environment",
           p.stderr[-600:] + seen)

    root = tree("local-sbin")
    os.makedirs(os.path.join(root, "usr/local/sbin"), exist_ok=True)
    os.chown(os.path.join(root, "usr/local/sbin"), user, user)
    script(root, "usr/local/sbin/update-grub", owner=user)
    ok, err = refused(root, f"{root}/usr/local/sbin is owned by uid {user}, not by root")
    tap.ok(ok, "a user's usr/local/sbin, early in PATH: refused by name, her update-grub never runs", err)
    p = run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", "--no-regenerate")
    u = run(root, "undo", "--yes")
    tap.ok(p.returncode == 0 and u.returncode == 2 and f"{root}/usr/local/sbin is owned by uid {user}" in u.stderr and
           ran(root) == [], "... undo refuses to run them as much", u.stderr)

    root = tree("own-file", "arch-grub")
    script(root, "usr/bin/mkinitcpio", owner=user)
    ok, err = refused(root, f"{root}/usr/bin/mkinitcpio is owned by uid {user}, not by root")
    tap.ok(ok, "a user's usr/bin/mkinitcpio in root's usr/bin: refused by name", err)

    root = tree("sourced", "arch-grub")
    os.chmod(os.path.join(root, "etc/mkinitcpio.conf"), 0o666)
    ok, err = refused(root, f"{root}/etc/mkinitcpio.conf is writable by others than root")
    tap.ok(ok, "an etc/mkinitcpio.conf (a shell script mkinitcpio sources) anyone can write: refused by name", err)

    root = tree("library")
    lib = os.path.dirname(re.findall(r"(/\S+libc\.so\S*) \(0x", subprocess.run(
        ["ldd", "/bin/dash"], capture_output=True, text=True).stdout)[0]).lstrip("/")
    os.chmod(os.path.join(root, lib), 0o775)
    ok, err = refused(root, f"{root}/{lib} is writable by others than root")
    tap.ok(ok, f"a group-writable /{lib}, where the shell's libc is: refused by name", err)

    root = tree("link-out")
    os.makedirs(os.path.join(root, "opt/tools"))
    os.chown(os.path.join(root, "opt/tools"), user, user)
    script(root, "opt/tools/update-grub")
    os.unlink(os.path.join(root, "usr/sbin/update-grub"))
    os.symlink("/opt/tools/update-grub", os.path.join(root, "usr/sbin/update-grub"))
    ok, err = refused(root, f"{root}/opt/tools is owned by uid {user}, not by root")
    tap.ok(ok, "a link in PATH to a program in a user's directory: the directory is named", err)

    home = os.path.join(tmp, "home-of-a-user")
    os.makedirs(home)
    os.chown(home, user, user)
    root = tree("in-home", parent=home)
    ok, err = refused(root, f"{home} is owned by uid {user}, not by root")
    tap.ok(ok, "a tree in a directory a user owns (she can swap it): the directory is named", err)

    # What the check costs on a whole system: this machine's own.
    p = subprocess.run([TREECHECK, "/"], capture_output=True, text=True)
    tap.ok(p.returncode in (0, 1) and p.stdout.startswith(("ok ", "untrusted ")),
           f"the check on this machine's whole tree: {p.stdout.strip()} (entries, seconds)", p.stderr)


def sysfs_links_stay_inside(tap, tmp):
    """An absolute link in the tree's sysfs names the tree's file, never the host's."""
    root = machine(tmp, "links")
    secret = os.path.join(tmp, "secret-vendor")
    with open(secret, "w") as f:
        f.write("0x1234\n")
    os.chmod(secret, 0o600)
    dev = os.path.realpath(os.path.join(root, "sys/bus/pci/devices", GPU))
    os.unlink(os.path.join(dev, "vendor"))
    os.symlink(secret, os.path.join(dev, "vendor"))
    p = run(root, "detect", "--json")
    doc = json.loads(p.stdout)
    gpu = [d for d in doc["devices"] if d["address"] == GPU][0]
    tap.ok(p.returncode == 0 and gpu["vendor_id"] != "1234", "an absolute link in sysfs does not lead out of the tree",
           json.dumps(gpu))


def special_files(tap, tmp):
    """FIFOs, devices and huge files where files should be: refused by name, quickly."""
    for rel, distro in [("etc/os-release", "debian12-grub"), ("etc/default/grub", "arch-grub"),
                        ("etc/mkinitcpio.conf", "arch-grub"), ("proc/cpuinfo", "debian12-grub"),
                        ("proc/cmdline", "debian12-grub"), ("var/lib/vfio-setup/state", "debian12-grub")]:
        root = machine(tmp, "fifo-" + rel.replace("/", "-"), distro)
        path = os.path.join(root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path):
            os.unlink(path)
        os.mkfifo(path)
        start = time.monotonic()
        try:
            d = run_binary(BINARY, "--root", root, "detect", "--json")
            p = run_binary(BINARY, "--root", root, "plan", "--no-trial", "--gpu", GPU)
            took = time.monotonic() - start
            tap.ok(took < 20 and d.returncode in (0, 2) and p.returncode in (0, 2),
                   f"a FIFO at /{rel}: detect and plan finish ({took:.1f} s), exit {d.returncode}/{p.returncode}",
                   p.stderr[-300:])
        except subprocess.TimeoutExpired:
            tap.ok(False, f"a FIFO at /{rel}: detect or plan hangs")

    root = machine(tmp, "huge")
    with open(os.path.join(root, "proc/cpuinfo"), "r+") as f:
        f.truncate(1 << 30)
    p = subprocess.run(["/usr/bin/time", "-f", "%M", BINARY, "--root", root, "detect", "--json"], capture_output=True,
                       text=True)
    rss_kib = int(p.stderr.strip().splitlines()[-1])
    tap.ok(p.returncode == 0 and rss_kib < 64 * 1024, f"a 1 GiB sparse /proc/cpuinfo costs {rss_kib // 1024} MiB",
           p.stderr[-300:])

    root = machine(tmp, "siblings")
    topo = os.path.join(root, "sys/devices/system/cpu/cpu0/topology")
    os.makedirs(topo, exist_ok=True)
    for n in range(8):
        os.makedirs(os.path.join(root, f"sys/devices/system/cpu/cpu{n}/topology"), exist_ok=True)
        with open(os.path.join(root, f"sys/devices/system/cpu/cpu{n}/topology/thread_siblings_list"), "w") as f:
            f.write(("0-65535," * 512)[:4095] + "\n")
    start = time.monotonic()
    p = subprocess.run(["/usr/bin/time", "-f", "%M", BINARY, "--root", root, "detect", "--json"], capture_output=True,
                       text=True)
    took = time.monotonic() - start
    rss_kib = int(p.stderr.strip().splitlines()[-1])
    tap.ok(p.returncode == 0 and took < 2 and rss_kib < 64 * 1024,
           f"crafted CPU lists cost {took:.2f} s and {rss_kib // 1024} MiB", p.stderr[-300:])


def refused_configs(tap, tmp):
    """A configuration file vfio-setup will not edit is refused with its name, never crashed on."""
    # The boot loader named, for detection would not recognise Limine without a readable limine.conf.
    cases = [
        ("endeavouros-systemd-boot", "etc/kernel/cmdline", "systemd-boot"),
        ("limine-cachyos", "boot/limine.conf", "limine"),
        ("arch-grub", "etc/default/grub", "grub"),
    ]
    for distro, rel, loader in cases:
        for what in ("nul", "big", "dir", "loop", "dangling", "hardlink"):
            root = machine(tmp, f"refuse-{distro}-{what}", distro)
            path = os.path.join(root, rel)
            if what == "nul":
                write(root, rel, b"quiet\0splash\n", "wb")
            elif what == "big":
                write(root, rel, "x" * (2 << 20))
            elif what == "dir":
                os.unlink(path)
                os.makedirs(path)
            elif what == "loop":
                os.unlink(path)
                os.symlink(os.path.basename(rel), path)
            elif what == "dangling":
                os.unlink(path)
                os.symlink("/nowhere/at/all", path)
            else:
                os.link(path, path + ".second-name")
            p = run(root, "plan", "--no-trial", "--gpu", GPU, "--bootloader", loader)
            a = run(root, "apply", "--no-trial", "--gpu", GPU, "--bootloader", loader, "--yes", commands=os.path.join(tmp, "cmd-refuse"))
            tap.ok(p.returncode == 2 and a.returncode == 2 and f"/{rel}" in p.stderr and "Traceback" not in p.stderr,
                   f"{distro}: /{rel} ({what}) refused by name, exit 2", f"{p.returncode} {a.returncode} {p.stderr[-300:]}")


def shell_and_kernel_read_back(tap, tmp, commands):
    # An unquoted value: the shell must still see one word.
    root = machine(tmp, "unquoted", "arch-grub")
    grub = os.path.join(root, "etc/default/grub")
    text = open(grub).read().replace('GRUB_CMDLINE_LINUX_DEFAULT="loglevel=3 quiet"', "GRUB_CMDLINE_LINUX_DEFAULT=quiet")
    write(root, "etc/default/grub", text)
    p = run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", commands=commands)
    sourced = subprocess.run(["bash", "-c", f'set -e; . "{grub}"; printf %s "$GRUB_CMDLINE_LINUX_DEFAULT"'],
                             capture_output=True, text=True)
    tap.ok(p.returncode == 0 and sourced.returncode == 0 and "intel_iommu=on" in sourced.stdout.split() and
           sourced.stdout.startswith("quiet "),
           "an unquoted GRUB value gets quotes: bash reads every parameter", sourced.stdout + sourced.stderr + p.stderr)

    # An apostrophe on the kernel command line is no quote: the second plan is empty.
    root = machine(tmp, "apostrophe", "endeavouros-systemd-boot")
    cmdline = os.path.join(root, "etc/kernel/cmdline")
    write(root, "etc/kernel/cmdline", open(cmdline).read().rstrip("\n") + " nvme_core.note=it's\n")
    p = run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", commands=commands)
    again = run(root, "plan", "--no-trial", "--gpu", GPU, "--json")
    doc = json.loads(again.stdout) if again.returncode == 0 else {}
    tap.ok(p.returncode == 0 and doc.get("files") == [] and open(cmdline).read().count("intel_iommu=on") == 1,
           "an apostrophe in the kernel command line: applied once, nothing left to do", open(cmdline).read())


def state_file(tap, tmp, commands):
    root = machine(tmp, "state")
    run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", commands=commands)
    state = os.path.join(root, "var/lib/vfio-setup/state")
    text = open(state).read()
    write(root, "var/lib/vfio-setup/state", text + "this line is not key=value\n".replace("=", " ") + "\n")
    p = run(root, "plan", "--no-trial", "--gpu", GPU)
    r = run(root, "plan", "--no-trial", "--release")
    line = len(text.splitlines()) + 1
    tap.ok(p.returncode == 2 and r.returncode == 2 and f"/var/lib/vfio-setup/state:{line}" in p.stderr,
           "a state line vfio-setup cannot read stops plan and --release, named by line", p.stderr + r.stderr)
    write(root, "var/lib/vfio-setup/state", text + "future_key=kept as it is\n")
    p = run(root, "apply", "--no-trial", "--gpu", "0000:04:00.0", "--yes", commands=commands)
    tap.ok(p.returncode == 0 and "future_key=kept as it is\n" in open(state).read(),
           "a newer version's key is kept when the state is written again", p.stderr)
    p = run(root, "plan", "--no-trial", "--release")
    tap.ok(p.returncode == 2 and "newer vfio-setup" in p.stderr, "... and --release leaves it to that version", p.stderr)


def no_control_characters(tap, tmp, commands):
    root = machine(tmp, "escapes")
    osr = os.path.join(root, "etc/os-release")
    write(root, "etc/os-release", open(osr).read().replace('PRETTY_NAME="', 'PRETTY_NAME="\x1b]0;owned\x07\x1b[2J\u009b31m'))
    grub = os.path.join(root, "etc/default/grub")
    write(root, "etc/default/grub", "# \x1b[31mred\x1b[0m\r\n" + open(grub).read())
    outs = []
    for args in (["detect"], ["detect", "--json"], ["plan", "--no-trial", "--gpu", GPU], ["plan", "--no-trial", "--gpu", GPU, "--json"],
                 ["apply", "--no-trial", "--gpu", GPU, "--yes"], ["undo", "--yes"]):
        p = subprocess.run([BINARY, "--root", root, *args], capture_output=True,
                           env=dict(os.environ, VFIO_SETUP_COMMAND_PATH=commands))
        raw = p.stdout + p.stderr
        bad = [c for c in raw if (c < 0x20 and c not in (0x0a, 0x09)) or c == 0x7f]
        c1 = b"\xc2\x9b" in raw
        outs.append((args, p.returncode, bad, c1))
        if "--json" in args:
            json.loads(p.stdout)
    tap.ok(all(not bad and not c1 for _, _, bad, c1 in outs) and all(code == 0 for _, code, _, _ in outs),
           "control characters from the tree reach no terminal: text escaped, JSON escaped and valid", outs)
    p = subprocess.run([BINARY, "--root", root, "detect"], capture_output=True)
    tap.ok(b"\\x1b]0;owned\\x07" in p.stdout, "... and they are shown as \\xHH", p.stdout[:400])


def one_at_a_time(tap, tmp):
    root = machine(tmp, "race")
    slow = os.path.join(tmp, "cmd-slow")
    stand_ins(slow, sleep=6)
    results = {}

    def apply(name, gpu):
        results[name] = run(root, "apply", "--no-trial", "--gpu", gpu, "--yes", commands=slow)

    first = threading.Thread(target=apply, args=("first", GPU))
    first.start()
    # The second starts once the first holds the lock (its pid is in the lock file).
    lock = os.path.join(root, "var/lib/vfio-setup/lock")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not (os.path.exists(lock) and open(lock).read().strip()):
        time.sleep(0.05)
    second = threading.Thread(target=apply, args=("second", "0000:04:00.0"))
    second.start()
    first.join()
    second.join()
    journals = sorted(os.listdir(os.path.join(root, "var/lib/vfio-setup/journal")))
    tap.ok(results["first"].returncode == 0 and results["second"].returncode == 2 and
           "another vfio-setup (pid" in results["second"].stderr and journals == ["0001"],
           "two applies at once: the second waits, then refuses naming the first's pid; one journal",
           results["second"].stderr + repr(journals))
    p = run(root, "undo", "--yes", commands=slow)
    tap.ok(p.returncode == 0, "... and undo of the one that ran works", p.stderr)


def metadata(tap, tmp, commands):
    root = machine(tmp, "xattr", "arch-grub")
    grub = os.path.join(root, "etc/default/grub")
    try:
        os.setxattr(grub, "user.vfio_setup_test", b"kept")
    except OSError:
        tap.ok(True, "extended attributes are kept # SKIP the file system has no user attributes")
        return
    def attribute():
        try:
            return os.getxattr(grub, "user.vfio_setup_test")
        except OSError:
            return None

    p = run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", commands=commands)
    kept = attribute() == b"kept"
    u = run(root, "undo", "--yes", commands=commands)
    tap.ok(p.returncode == 0 and u.returncode == 0 and kept and attribute() == b"kept",
           "extended attributes survive apply and undo", p.stderr + u.stderr)


def confirmation(tap, tmp, commands):
    root = machine(tmp, "confirm")
    run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", commands=commands)
    p = subprocess.run([BINARY, "--root", root, "undo"], capture_output=True, text=True, stdin=subprocess.DEVNULL,
                       env=dict(os.environ, VFIO_SETUP_COMMAND_PATH=commands))
    tap.ok(p.returncode == 1 and "add --yes" in p.stderr and "/etc/default/grub.d/vfio-setup.cfg" in p.stdout,
           "undo shows what it puts back and, without a terminal, asks for --yes as apply does", p.stdout + p.stderr)


def fuzz_findings(tap, tmp, commands):
    """What the whole-root fuzzer found, as the user would meet it."""
    root = machine(tmp, "open-quote", "endeavouros-systemd-boot")
    write(root, "etc/kernel/cmdline", 'root=UUID=1234 rw "quiet\n')
    p = run(root, "plan", "--no-trial", "--gpu", GPU)
    tap.ok(p.returncode == 2 and "quote that is not closed" in p.stderr,
           "a kernel command line with an open quote is refused: nothing added after it would reach the kernel",
           p.stderr)

    root = machine(tmp, "array-quote", "arch-grub")
    conf = os.path.join(root, "etc/mkinitcpio.conf")
    write(root, "etc/mkinitcpio.conf", open(conf).read().replace("HOOKS=(base udev", "HOOKS=(base ude'v"))
    p = run(root, "plan", "--no-trial", "--gpu", GPU)
    tap.ok(p.returncode == 2 and "/etc/mkinitcpio.conf:" in p.stderr and "quote in the array is not closed" in p.stderr,
           "a shell array with an open quote is refused by line, not edited again on every run", p.stderr)

    root = machine(tmp, "renamed-param", "arch-grub")
    run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", commands=commands)
    state = os.path.join(root, "var/lib/vfio-setup/state")
    write(root, "var/lib/vfio-setup/state", open(state).read().replace("intel_iommu=on", "intel_iommu"))
    p = run(root, "apply", "--no-trial", "--gpu", GPU, "--yes", commands=commands)
    again = run(root, "plan", "--no-trial", "--gpu", GPU, "--json")
    grub = open(os.path.join(root, "etc/default/grub")).read()
    tap.ok(p.returncode == 0 and json.loads(again.stdout)["files"] == [] and "intel_iommu=on" in grub,
           "a parameter recorded by name alone is replaced, not dropped along with its new value", p.stdout[-400:])


STDVGA_CARD = """# Two identical std VGA display devices (QEMU), driver bochs-drm (module bochs): not in the name table.
# cpu: intel
# boot-vga: 0000:00:01.0
# driver: 00:01.0 bochs-drm
# driver: 00:02.0 bochs-drm
# kernel: 6.1.0-26-amd64
IOMMU Group 0 00:00.0 Host bridge [0600]: Intel Corporation 82G33/G31/P35/P31 Express DRAM Controller [8086:29c0]
IOMMU Group 1 00:01.0 VGA compatible controller [0300]: Device [1234:1111] (rev 02)
IOMMU Group 2 00:02.0 VGA compatible controller [0300]: Device [1234:1111] (rev 02)
"""


def driver_modules(tap, tmp):
    """Identical devices bound by address need the module that would claim them: from sysfs or modules.alias."""
    card = os.path.join(tmp, "stdvga.card")
    with open(card, "w") as f:
        f.write(STDVGA_CARD)
    root = os.path.join(tmp, "stdvga")
    subprocess.run([MKROOT, card, root], check=True)
    shutil.copytree(os.path.join(roots.DISTROS, "debian12-grub"), root, symlinks=True, dirs_exist_ok=True)
    p = run(root, "plan", "--no-trial", "--gpu", "00:02.0")
    tap.ok(p.returncode == 2 and "module that would claim it is not known" in p.stderr,
           "a device bound by address whose driver's module is unknown is refused, with why", p.stderr + p.stdout[-300:])
    drivers = os.path.join(root, "sys/bus/pci/drivers/bochs-drm")
    os.makedirs(os.path.join(root, "sys/module/bochs"), exist_ok=True)
    os.symlink("../../../../module/bochs", os.path.join(drivers, "module"))
    p = run(root, "plan", "--no-trial", "--gpu", "00:02.0")
    tap.ok(p.returncode == 0 and "install bochs modprobe vfio-pci; /bin/sh /etc/vfio-setup/vfio-pci-override.sh" in p.stdout,
           "... the module behind the bound driver comes from sysfs (bochs for bochs-drm)", p.stderr + p.stdout[-600:])
    os.unlink(os.path.join(drivers, "module"))
    for dev in ("0000:00:01.0", "0000:00:02.0"):
        os.unlink(os.path.join(root, "sys/bus/pci/devices", dev, "driver"))
    write(root, "lib/modules/6.1.0-26-amd64/modules.alias",
          "alias pci:v00001234d00001111sv*sd*bc03sc*i* bochs\nalias pci:v000010DEd*sv*sd*bc03sc*i* nouveau\n")
    p = run(root, "plan", "--no-trial", "--gpu", "00:02.0")
    tap.ok(p.returncode == 0 and "install bochs modprobe vfio-pci; /bin/sh" in p.stdout and "nouveau" not in p.stdout,
           "... and for a device without a driver, from modules.alias", p.stderr + p.stdout[-600:])


def boot_findings(tap, tmp):
    """What real boots of Debian 12 with systemd-boot found, as fake roots."""
    root = machine(tmp, "debian-sdboot", "debian12-systemd-boot-cmdline")
    p = run(root, "plan", "--no-trial", "--gpu", GPU)
    tap.ok(p.returncode == 0 and "update-initramfs -u -k all" in p.stdout and "kernel-install" not in p.stdout,
           "Debian 12, systemd-boot, /etc/kernel/cmdline: its update-initramfs hook remakes the entries", p.stdout[-300:])
    os.unlink(os.path.join(root, "etc/initramfs/post-update.d/systemd-boot"))
    p = run(root, "plan", "--no-trial", "--gpu", GPU)
    add = "kernel-install add 6.1.0-26-amd64 /boot/vmlinuz-6.1.0-26-amd64"
    tap.ok(p.returncode == 0 and add in p.stdout and "add-all" not in p.stdout and
           p.stdout.index("update-initramfs -u -k all") < p.stdout.index(add),
           "without that hook, kernel-install add for each kernel (add-all needs systemd 255), after the initramfs the "
           "entries copy", p.stdout[-300:])


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        os.chmod(tmp, 0o755)
        commands = os.path.join(tmp, "cmd")
        stand_ins(commands)
        stand_ins(os.path.join(tmp, "cmd-refuse"))
        untrusted_tree(tap, tmp)
        tree_programs(tap, tmp)
        sysfs_links_stay_inside(tap, tmp)
        special_files(tap, tmp)
        refused_configs(tap, tmp)
        shell_and_kernel_read_back(tap, tmp, commands)
        state_file(tap, tmp, commands)
        no_control_characters(tap, tmp, commands)
        one_at_a_time(tap, tmp)
        metadata(tap, tmp, commands)
        confirmation(tap, tmp, commands)
        fuzz_findings(tap, tmp, commands)
        driver_modules(tap, tmp)
        boot_findings(tap, tmp)
    tap.done()


if __name__ == "__main__":
    main()
