#!/usr/bin/env python3
"""The VM tier's own parts, without booting: the guest scripts parse, the apt sources of a
machine are found, the serial protocol is read back, the cycles chain.  Run by ./test;
tests/vm/run does the boots.  Usage: selftest.py   (TAP on stdout)"""
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from importlib.machinery import SourceFileLoader

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
import vmlib  # noqa: E402
from vstest import Tap  # noqa: E402

tap = Tap()

for name in ("agent", "lib.sh"):
    p = subprocess.run(["sh", "-n", os.path.join(vmlib.GUEST, name)], capture_output=True, text=True)
    tap.ok(p.returncode == 0, f"guest/{name} parses (sh -n)", p.stderr)
    if shutil.which("shellcheck"):
        p = subprocess.run(["shellcheck", "-s", "sh", os.path.join(vmlib.GUEST, name)], capture_output=True, text=True)
        tap.ok(p.returncode == 0, f"guest/{name}: shellcheck", p.stdout)

with tempfile.TemporaryDirectory() as etc:
    os.makedirs(os.path.join(etc, "sources.list.d"))
    open(os.path.join(etc, "sources.list"), "w").write(
        "# comment\ndeb http://mirror.example/debian bookworm main\ndeb-src http://mirror.example/debian bookworm main\n"
        "deb http://other.example/repo nodistro main\ndeb [arch=amd64] http://x.example/d bookworm-updates main\n")
    open(os.path.join(etc, "sources.list.d/debian.sources"), "w").write(
        "Types: deb\nURIs: http://deb.example/debian-security\nSuites: bookworm-security\nComponents: main\n\n"
        "Types: deb\nURIs: https://third.example\nSuites: stable\nComponents: main\n")
    open(os.path.join(etc, "sources.list.d/off.list.disabled"), "w").write("deb http://off.example bookworm main\n")
    found = vmlib.apt_sources("bookworm", etc)
    text = "".join(t for _, t in found)
    tap.ok("mirror.example/debian bookworm" in text and "deb-src" not in text and "other.example" not in text and
           "deb.example/debian-security" in text and "third.example" not in text and "off.example" not in text,
           "the machine's apt sources for its release are taken, others left", found)
    tap.ok("deb [arch=amd64] http://x.example/d bookworm-updates main" in text,
           "a one-line source with options is taken, options and all", found)
    try:
        vmlib.apt_sources("trixie", etc)
        tap.ok(False, "no source for another release: refused")
    except vmlib.VmError as e:
        tap.ok("no apt source for trixie" in str(e), "no source for another release: refused", e)

log = ("noise\r\n@@BEGIN c1.verify\r\n{\"ready\": true}\r\n@@END c1.verify 0\r\n"
       "@@BEGIN c1.apply\nline\n@@BEGIN inner\n@@END c1.apply 3\n@@BEGIN cut\nno end\n")
blocks = vmlib.serial_blocks(log)
tap.ok(blocks.get("c1.verify") == (0, '{"ready": true}\n') and blocks.get("c1.apply", (None,))[0] == 3 and
       "cut" not in blocks, "serial blocks are read with their exit status; one cut short is not", blocks)

with tempfile.TemporaryDirectory() as d:
    report = "@@VMTEST start x\r\n@@VMTEST emergency\r\nboot-efi.mount loaded failed failed /boot/efi\r\n"
    path = os.path.join(d, "log")
    open(path, "w").write(report)
    b = vmlib.Boot(path, path, path, report, 1.0)
    tap.ok(b.done is None and b.emergency == "boot-efi.mount loaded failed failed /boot/efi\n",
           "a boot that went to emergency mode is read back with its failed units", vars(b))

missing = [u for u in vmlib.UNITS if not os.path.exists(os.path.join(vmlib.GUEST, u))]
p = subprocess.run(["systemd-analyze", "verify", "--man=no", *[os.path.join(vmlib.GUEST, u) for u in vmlib.UNITS]],
                   capture_output=True, text=True) if shutil.which("systemd-analyze") and not missing else None
# The agent is where the image puts it, not here.
complaints = [ln for ln in (p.stderr if p else "").splitlines()
              if "vmtest" in ln and "/usr/local/sbin/vmtest-agent is not executable" not in ln]
tap.ok(not missing and not complaints, "the guest's units exist and systemd-analyze finds nothing wrong in them",
       (missing, complaints))

with tempfile.TemporaryDirectory() as d:
    p = subprocess.run(["sh", "-c", f". {vmlib.GUEST}/lib.sh; drivers | head -3; block x sh -c 'echo hi; exit 4'"],
                       capture_output=True, text=True, cwd=d)
    lines = p.stdout.splitlines()
    when = lines[-1].split()
    tap.ok(lines[-4:-1] == ["@@BEGIN x", "hi", "@@END x 4"] and when[:2] == ["@@TIME", "x"] and len(when) == 4 and
           0 <= float(when[3]) - float(when[2]) < 5, "lib.sh: block frames a command and its status, and times it",
           p.stdout)
    tap.ok(all(len(ln.split()) == 4 for ln in lines[:-4]), "lib.sh: drivers lists address, ids, class, driver",
           p.stdout)

p = subprocess.run([os.path.join(HERE, "run"), "--list"], capture_output=True, text=True)
tap.ok(p.returncode == 0 and len(p.stdout.splitlines()) == 11 and p.stdout.count("(CI)") == 5,
       "run --list: eleven cycles, five of them CI's", p.stdout + p.stderr)

# Every step of every cycle is a shell script the guest runs: each must parse.
run_module = SourceFileLoader("vm_run", os.path.join(HERE, "run")).load_module()
bad = []
for n, make in run_module.CYCLES.items():
    for k, (script, _) in enumerate(make().boots, 1):
        p = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True)
        if p.returncode != 0:
            bad.append(f"cycle {n} boot {k}: {p.stderr}")
tap.ok(bad == [], "every cycle's step scripts parse (sh -n)", bad)

# CI's chains on two cores: the longest alone, the two others after each other.
chains = {}
for n in run_module.CI_CYCLES:
    chains.setdefault(run_module.CHAIN_OF[n], []).append(run_module.CYCLES[n]())
split = [[key for key, _ in work] for work in run_module.lanes(chains, 2)]
tap.ok(sorted(map(len, split)) == [1, 2] and [("grub", "intel")] in split, "CI's chains go to two lanes, balanced",
       split)
tap.ok(len(run_module.lanes(chains, 1)) == 1 and len(run_module.lanes(chains, 8)) == len(chains),
       "one lane for --jobs 1, no empty lane for more jobs than chains")

clock = run_module.Clock(time.time() + 1000)
tap.ok(clock.fits("a", 1) and not clock.fits("a", 2), "before any boot, a boot is expected to take ten minutes")
clock.saw("a", 300)
tap.ok(clock.fits("a", 3) and not clock.fits("a", 4), "then as long as the longest seen")
clock.saw("b", 100)
tap.ok(clock.fits("b", 9) and not clock.fits("b", 11) and not clock.fits("a", 4),
       "each chain by its own longest boot, not by another chain's")
tap.ok(clock.fits("c", 3) and not clock.fits("c", 4), "a chain not yet booted by the longest of any")
tap.ok(run_module.Clock(None).fits("a", 1000), "without a deadline, everything fits")
# Lanes, and runs sharing the cache, that need one image wait for its one builder.
with tempfile.TemporaryDirectory() as cache:
    events, real = [], vmlib._build_image

    def builder(name, cache_dir, accel):
        events.append("in")
        time.sleep(0.2)
        events.append("out")
        return name

    vmlib._build_image = builder
    try:
        lanes = [threading.Thread(target=vmlib.build_image, args=("grub", cache, None)) for _ in range(3)]
        for t in lanes:
            t.start()
        for t in lanes:
            t.join()
    finally:
        vmlib._build_image = real
    tap.ok(events == ["in", "out"] * 3, "an image has one builder at a time", events)

# A build killed part-way leaves its chroot's mounts: /dev/shm there is the host's own.
with tempfile.TemporaryDirectory() as d:
    host, stale = os.path.join(d, "host-shm"), os.path.join(d, ".img-build")
    os.makedirs(host)
    os.makedirs(os.path.join(stale, "root/dev/shm"))
    can_mount = os.geteuid() == 0 and shutil.which("unshare") and subprocess.run(
        ["mount", "--bind", host, os.path.join(stale, "root/dev/shm")], capture_output=True).returncode == 0
    if not can_mount:
        tap.skip("a dead build's directory goes, and nothing under a mount inside it", "cannot mount here")
        tap.skip("a builder's mounts end with it when it is killed", "cannot mount here")
    else:
        open(os.path.join(host, "keep"), "w").write("host\n")
        open(os.path.join(stale, "root/etc-file"), "w").write("chroot\n")
        try:
            vmlib.remove_build_dir(stale)
        finally:
            for point in vmlib.mounts_under(stale):
                subprocess.run(["umount", "--lazy", point])
        tap.ok(not os.path.lexists(stale) and os.path.exists(os.path.join(host, "keep")),
               "a dead build's directory goes, and nothing under a mount inside it",
               os.listdir(host) + vmlib.mounts_under(d))
        point = os.path.join(d, "ns")
        os.makedirs(point)
        mounted = os.path.join(d, "mounted")
        subprocess.run(vmlib.own_mounts("sh", "-c", f"mount -t tmpfs none {point} && touch {mounted} && kill -9 $$"))
        left = vmlib.mounts_under(point)
        for mount in left:
            subprocess.run(["umount", "--lazy", mount])
        tap.ok(os.path.exists(mounted) and left == [], "a builder's mounts end with it when it is killed", left)
# --work names a directory the tier empties: one it did not make is refused, its files left.
with tempfile.TemporaryDirectory() as d:
    open(os.path.join(d, "mine"), "w").write("keep\n")
    p = subprocess.run([sys.executable, os.path.join(HERE, "run"), "--work", d, "1"], capture_output=True, text=True)
    tap.ok(p.returncode == 2 and "did not make" in p.stderr and os.listdir(d) == ["mine"],
           "run --work DIR: a directory holding what the tier did not make is refused and left as it is", p.stderr)
# On a machine without the tier's tools, it names them with their packages and stops cleanly.
with tempfile.TemporaryDirectory() as empty:
    path = os.environ.get("PATH", "")
    os.environ["PATH"] = empty
    try:
        missing = dict(run_module.missing_tools())
    finally:
        os.environ["PATH"] = path
    tap.ok(missing.get("sfdisk") == "fdisk" and missing.get("qemu-system-x86_64") == "qemu-system-x86" and
           missing.get("mmdebstrap") == "mmdebstrap", "the tools the tier needs, each with its Debian package", missing)
nobody = 65534
if os.geteuid() == 0 and os.access(os.path.join(HERE, "run"), os.R_OK) and \
        subprocess.run(["setpriv", f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups", "test", "-r",
                        os.path.join(HERE, "run")]).returncode == 0:
    with tempfile.TemporaryDirectory() as d:
        os.chmod(d, 0o777)
        p = subprocess.run(["setpriv", f"--reuid={nobody}", f"--regid={nobody}", "--clear-groups", sys.executable,
                            os.path.join(HERE, "run"), "--work", os.path.join(d, "work"), "1"],
                           capture_output=True, text=True)
    tap.ok(p.returncode == 1 and "run it as root" in p.stderr and "Traceback" not in p.stderr,
           "run as a user: says it needs root, and exits 1 without a traceback", p.stderr)
else:
    tap.skip("run as a user: says it needs root", "needs root, and a checkout others can read")
sys.exit(tap.done())
