#!/usr/bin/env python3
"""The command line's behaviour: usage errors, bad roots, broken sysfs, colour, the real
machine. Usage: cli.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)"""
import json
import os
import pty
import re
import shutil
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, WRAP, card_tree, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]


def run(*args, env=None):
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    return run_binary(BINARY, *args, env=e)


def run_tty(*args, env=None):
    """Runs with stdout on a pseudo-terminal, as a user at a terminal would."""
    e = dict(os.environ)
    e.pop("NO_COLOR", None)
    e.update(env or {})
    pid, fd = pty.fork()
    if pid == 0:
        argv = [*WRAP, BINARY, *args]
        os.execvpe(argv[0], argv, e)
    out = b""
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), out.decode("utf-8", "replace")


def one_line_error(tap, p, name, code=1, needle=""):
    lines = p.stderr.strip().splitlines()
    tap.ok(p.returncode == code and p.stdout == "" and lines and lines[0].startswith("vfio-setup: ") and needle in p.stderr,
           name, f"exit {p.returncode}\nstdout {p.stdout!r}\nstderr {p.stderr!r}")


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def pci(root, bdf, vendor, device, cls):
    d = os.path.join(root, "sys/devices/pci0000:00", bdf)
    for name, value in (("vendor", vendor), ("device", device), ("class", cls), ("irq", "0\n"),
                        ("resource", "0x0 0x0 0x0\n"), ("revision", "0x00\n")):
        write(root, os.path.join(d, name), value)
    os.makedirs(os.path.join(root, "sys/bus/pci/devices"), exist_ok=True)
    os.symlink(f"../../../devices/pci0000:00/{bdf}", os.path.join(root, "sys/bus/pci/devices", bdf))


def concurrent_renames(tap, tmp):
    """openat2 gives up with EAGAIN when anything on the system is renamed while it resolves
    a "..", and sysfs links are full of them: detection must read the same regardless."""
    root = os.path.join(tmp, "renames")
    card_tree(MKROOT, "chipset-slot-dirty", root)
    want = run("--root", root, "detect", "--json").stdout
    spin = os.path.join(tmp, "spin")
    open(spin, "w").close()
    stop = threading.Event()

    def renames():
        while not stop.is_set():
            os.rename(spin, spin + ".b")
            os.rename(spin + ".b", spin)

    worker = threading.Thread(target=renames)
    worker.start()
    try:
        differ = sum(run("--root", root, "detect", "--json").stdout != want for _ in range(10))
    finally:
        stop.set()
        worker.join()
    tap.ok(differ == 0, "detect reads the same while files are renamed elsewhere", f"{differ} of 10 differ")


def json_errors(tap, tmp):
    """With --json, stdout is one JSON document on every way out: the command's own, or one that
    says what went wrong, exit status and all; stderr says it as without --json."""
    root = os.path.join(tmp, "json-root")
    card_tree(MKROOT, "chipset-slot-dirty", root)
    off = os.path.join(tmp, "json-off")
    card_tree(MKROOT, "vm-no-iommu", off)
    cases = [
        ("a --root that is not there", ["--root", "/nonexistent/root", "detect", "--json"], 1),
        ("a --root that is a file", ["--root", os.path.join(tmp, "plainfile"), "detect", "--json"], 1),
        ("an unknown option", ["--root", root, "detect", "--json", "--bogus"], 1),
        ("a stray argument", ["--root", root, "plan", "--no-trial", "--json", "extra"], 1),
        ("an option of another command", ["--root", root, "verify", "--json", "--yes"], 1),
        ("an unknown boot loader", ["--root", root, "plan", "--no-trial", "--json", "--gpu", "04:00.0", "--bootloader", "nonsense"], 1),
        ("an unknown initramfs generator", ["--root", root, "apply", "--no-trial", "--json", "--initramfs", "nonsense"], 1),
        ("an unknown goal", ["--root", root, "plan", "--no-trial", "--json", "--goal", "nonsense"], 1),
        ("a timeout that is no number", ["--root", root, "undo", "--json", "--timeout", "x"], 1),
        ("--release with devices", ["--root", root, "plan", "--no-trial", "--json", "--release", "--gpu", "04:00.0"], 1),
        ("two ways of printing the plan", ["--root", root, "plan", "--no-trial", "--json", "--libvirt-xml"], 1),
        ("a GPU that is not there", ["--root", root, "plan", "--no-trial", "--json", "--gpu", "09:00.0"], 2),
        ("a refused plan (a group the host needs)", ["--root", root, "plan", "--no-trial", "--json", "--gpu", "04:00.0"], 2),
        ("a refused apply", ["--root", root, "apply", "--no-trial", "--json", "--yes", "--gpu", "04:00.0"], 2),
        ("verify with nothing set up", ["--root", root, "verify", "--json"], 1),
        ("verify of a device that is no GPU", ["--root", root, "verify", "--json", "--gpu", "02:00.0"], 1),
        ("groups of a group that is not there", ["--root", root, "groups", "--json", "--group", "99"], 1),
        ("groups with the IOMMU off", ["--root", off, "groups", "--json"], 2),
        ("groups --gpus with --group", ["--root", root, "groups", "--json", "--gpus", "--group", "1"], 1),
        ("undo with nothing to undo", ["--root", root, "undo", "--json", "--yes"], 0),
        ("detect", ["--root", root, "detect", "--json"], 0),
        ("plan", ["--root", root, "plan", "--no-trial", "--json", "--gpu", "01:00.0", "--allow-boot-vga"], 0),
    ]
    bad = []
    for what, args, code in cases:
        p = run(*args)
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            doc = None
        failed = isinstance(doc, dict) and doc.get("ok") is False
        if p.returncode != code or doc is None or (code != 0 and not failed) or \
                (failed and "exit_code" in doc and doc["exit_code"] != p.returncode) or (code != 0 and not p.stderr):
            bad.append(f"{what}: exit {p.returncode}, stdout {p.stdout[:200]!r}, stderr {p.stderr[:200]!r}")
    tap.ok(not bad, f"--json: one JSON document on stdout on each of {len(cases)} ways out, errors said on stderr too",
           "\n".join(bad))
    p = run("--root", root, "plan", "--no-trial", "--json", "--bootloader", "nonsense")
    doc = json.loads(p.stdout or "null") or {}
    tap.ok(doc.get("command") == "plan" and doc.get("exit_code") == 1 and
           doc.get("error") == "--bootloader nonsense: unknown boot loader",
           "--json usage error: the command, the exit status and the message", p.stdout)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        one_line_error(tap, run("--root", "/nonexistent/root", "detect"), "missing --root: one line, exit 1",
                       needle="No such file or directory")
        write(tmp, "plainfile", "x")
        one_line_error(tap, run("--root", os.path.join(tmp, "plainfile"), "detect"),
                       "--root that is a file: one line, exit 1", needle="Not a directory")
        json_errors(tap, tmp)
        p = run("frobnicate")
        tap.ok(p.returncode == 1 and "unknown command 'frobnicate'" in p.stderr, "unknown command: exit 1", p.stderr)
        p = run("detect", "extra")
        tap.ok(p.returncode == 1 and "unexpected argument" in p.stderr, "stray argument: exit 1", p.stderr)
        p = run("detect", "-o", "x.tar.gz")
        tap.ok(p.returncode == 1 and "not valid for this command" in p.stderr, "option of another command: exit 1", p.stderr)
        p = run("--gpu", "0000:01:00.0")
        tap.ok(p.returncode == 1 and "these options go with a command" in p.stderr, "plan option without a command: exit 1",
               p.stderr)
        p = run("--lg-user", "alice", "detect")
        tap.ok(p.returncode == 1 and "not valid for this command" in p.stderr, "wizard option with detect: exit 1", p.stderr)
        p = run("detect", "--bogus")
        tap.ok(p.returncode == 1 and p.stdout == "", "unknown option: exit 1", p.stderr)
        one_line_error(tap, run("--root", tmp, "snapshot"), "snapshot without -o: exit 1", needle="hint: name the archive")
        p = run("--demo")
        tap.ok(p.returncode == 0 and "amd-desktop" in p.stdout, "--demo lists the sample machines", p.stdout)
        p = run("--demo", "no-such-machine")
        tap.ok(p.returncode == 1 and "no such sample machine" in p.stderr, "--demo with an unknown name", p.stderr)
        p = run("--version")
        tap.ok(p.returncode == 0 and p.stdout.startswith("vfio-setup "), "--version", p.stdout)
        p = run("--help")
        tap.ok(p.returncode == 0 and "detect [--json]" in p.stdout and "--root DIR" in p.stdout and "--demo" in p.stdout,
               "--help", p.stdout)
        p = run("snapshot", "--help")
        tap.ok(p.returncode == 0 and "snapshot -o FILE.tar.gz" in p.stdout, "snapshot --help", p.stdout)

        empty = os.path.join(tmp, "empty")
        os.mkdir(empty)
        p = run("--root", empty)
        tap.ok(p.returncode == 1 and "the wizard needs a terminal" in p.stderr and "vfio-setup detect" in p.stderr,
               "no command and no terminal: points to the commands", p.stderr)
        p = run("--root", empty, "--lg-user", "alice", "--lg-kvmfr")
        tap.ok(p.returncode == 1 and "the wizard needs a terminal" in p.stderr, "the wizard takes the --lg-* options",
               p.stderr)
        concurrent_renames(tap, tmp)
        p = run("--root", empty, "detect", "--json")
        ok = p.returncode == 0
        doc = json.loads(p.stdout) if ok else {}
        tap.ok(ok and doc["devices"] == [] and doc["gpus"] == [] and doc["iommu"]["kernel_active"] is False,
               "empty root: valid JSON with no devices", p.stderr)
        p = run("--root", empty, "detect")
        tap.ok(p.returncode == 0 and "No GPU found" in p.stdout and "PROBLEM" in p.stdout, "empty root: readable report", p.stdout)

        broken = os.path.join(tmp, "broken")
        pci(broken, "0000:00:01.0", "garbage\n", "0x1482\n", "0x060000\n")
        pci(broken, "0000:00:02.0", "0x1002\n", "0x73bf\n", "\n")
        pci(broken, "0000:0b:00.0", "0x1002\n", "0x73bf\n", "0x030000\n")
        os.symlink("../../../devices/pci0000:00/0000:00:09.0", os.path.join(broken, "sys/bus/pci/devices/0000:00:09.0"))
        os.symlink("nowhere", os.path.join(broken, "sys/bus/pci/devices/not-an-address"))
        os.makedirs(os.path.join(broken, "sys/class/dmi/id/board_name"))
        os.symlink("../../../kernel/iommu_groups/x", os.path.join(broken, "sys/devices/pci0000:00/0000:0b:00.0/iommu_group"))
        write(broken, "proc/cpuinfo", "\x00\x01binary junk\n")
        write(broken, "etc/os-release", "ID=\"unterminated\n")
        os.makedirs(os.path.join(broken, "proc/cmdline"))
        p = run("--root", broken, "detect", "--json")
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            doc = None
        tap.ok(p.returncode == 0 and doc is not None, "garbage sysfs: exit 0 and one whole JSON document", p.stderr)
        if doc:
            devs = {d["address"]: d for d in doc["devices"]}
            tap.ok(devs["0000:00:01.0"]["vendor_id"] is None and devs["0000:00:02.0"]["class"] is None
                   and devs["0000:00:09.0"]["vendor_id"] is None and devs["0000:0b:00.0"]["device_id"] == "73bf",
                   "garbage sysfs: unreadable facts are null, readable ones kept", devs)
            joined = "\n".join(doc["warnings"])
            tap.ok(all(s in joined for s in ("0000:00:01.0", "0000:00:02.0", "0000:00:09.0", "not-an-address",
                                              "board_name", "proc/cmdline", "iommu_group")),
                   "garbage sysfs: every unreadable fact is warned about", joined)
        p = run("--root", broken, "detect")
        tap.ok(p.returncode == 0 and "Detection" in p.stdout and "WARNING" in p.stdout, "garbage sysfs: report shows warnings",
               p.stdout + p.stderr)

        code, out = run_tty("--root", empty, "detect")
        tap.ok(code == 0 and "\033[" in out, "colour on a terminal", repr(out[:200]))
        code, out = run_tty("--root", empty, "detect", env={"NO_COLOR": "1"})
        tap.ok(code == 0 and "\033[" not in out, "NO_COLOR turns colour off", repr(out[:200]))
        code, out = run_tty("--root", empty, "--no-color", "detect")
        tap.ok(code == 0 and "\033[" not in out, "--no-color turns colour off", repr(out[:200]))
        p = run("--root", empty, "detect")
        tap.ok("\033[" not in p.stdout, "no colour into a pipe")
        p = run("--root", empty, "detect", env={"LC_ALL": "C"})
        tap.ok("->" in p.stdout and "\u2192" not in p.stdout, "ASCII arrows without a UTF-8 locale")

        archive = os.path.join(tmp, "mine.tar.gz")
        p = run("--root", empty, "snapshot", "-o", archive, env={"SUDO_UID": "4321", "SUDO_GID": "4321"})
        st = os.stat(archive) if p.returncode == 0 else None
        tap.ok(st is not None and st.st_mode & 0o044 == 0o044 and (os.getuid() != 0 or st.st_uid == 4321),
               "snapshot: readable archive, handed to the sudo user", p.stderr)
        tap.ok(sorted(os.listdir(tmp)).count("mine.tar.gz") == 1 and not [f for f in os.listdir(tmp) if ".tmp-" in f],
               "snapshot: no temporary file left")

        out = os.path.join(tmp, "no", "such", "dir", "x.tar.gz")
        one_line_error(tap, run("--root", empty, "snapshot", "-o", out), "snapshot into a missing directory: exit 1")

        # The manual page renders without warnings and names every command and option of --help.
        man = os.path.join(os.path.dirname(BINARY), "vfio-setup.8")
        if shutil.which("groff") and os.path.exists(man):
            g = subprocess.run(["groff", "-man", "-ww", "-z", man], capture_output=True, text=True)
            page = subprocess.run(["man", "-l", man], capture_output=True, text=True,
                                  env=dict(os.environ, MANWIDTH="200", LC_ALL="C.UTF-8")).stdout.replace("\u2010", "-")
            helps = run("--help").stdout + "".join(run(c, "--help").stdout
                                                   for c in ("detect", "plan", "apply", "undo", "verify", "groups", "rom", "snapshot"))
            words = set(re.findall(r"--[a-z][a-z-]+", helps)) | {"detect", "plan", "apply", "undo", "verify", "groups", "rom", "snapshot"}
            missing = sorted(w for w in words if w not in page)
            tap.ok(g.returncode == 0 and g.stderr == "" and missing == [], "man page renders and covers --help",
                   g.stderr + repr(missing))
        else:
            tap.ok(True, "man page # SKIP groff or the built page is missing")
        completion = os.path.join(TESTS, "..", "data", "completions", "vfio-setup.bash")
        disks = os.path.join(tmp, "disks")
        card_tree(MKROOT, "threadripper-3970x", disks)
        script = f'''source {completion}
complete_for() {{ COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); COMPREPLY=(); _vfio_setup; echo "${{COMPREPLY[*]}}"; }}
complete_for vfio-setup pl
complete_for vfio-setup plan --bootloader sy
complete_for vfio-setup --root {broken} plan --gpu 0000:0b
complete_for vfio-setup verify --
complete_for vfio-setup --root {disks} plan --disk nvme-
complete_for {BINARY} --demo work
complete_for vfio-setup --root {disks} plan --gpu ""
complete_for vfio-setup --root {disks} plan --extra 0000:00:01
complete_for vfio-setup --root {disks} groups --group ""
complete_for vfio-setup groups --'''
        out = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True).stdout.splitlines()
        gpus = [d for d in os.listdir(os.path.join(disks, "sys/bus/pci/devices"))
                if open(os.path.join(disks, "sys/bus/pci/devices", d, "class")).read().startswith("0x03")]
        groups = os.listdir(os.path.join(disks, "sys/kernel/iommu_groups"))
        tap.ok(out[:3] == ["plan", "systemd-boot", "0000:0b:00.0"] and "--gpu" in out[3].split() and
               "--yes" not in out[3].split() and
               sorted(out[4].split()) == ["nvme-Samsung_SSD_970_EVO_Plus_1TB_S4EWNX0N123456",
                                          "nvme-WD_BLACK_SN750_1TB_19283A800123"] and
               out[5:6] == ["workstation"],
               "bash completion: commands, names, devices and disks below --root, options per command, samples", out)
        tap.ok(len(out) == 10 and gpus and sorted(out[6].split()) == sorted(gpus) and out[7].split() and
               sorted(out[8].split()) == sorted(groups) and "--group" in out[9].split() and
               not {"--demo", "--keep"} & set(out[9].split()),
               "bash completion: --gpu offers GPUs only, --extra every device, --group the groups; --demo and --keep "
               "not after a command", (out[6:], gpus, groups))

        before = {n for n in os.listdir("/tmp") if n.startswith("vfio-setup-demo-")}
        p = subprocess.run([BINARY, "--demo", "amd-desktop", "groups", "--gpus"], capture_output=True, text=True)
        left = {n for n in os.listdir("/tmp") if n.startswith("vfio-setup-demo-")} - before
        tap.ok(p.returncode == 0 and "Navi 21" in p.stdout and not left,
               "--demo NAME COMMAND: the command on a copy of the sample, removed after", p.stdout[-300:] + p.stderr)
        p = subprocess.run([BINARY, "--demo", "amd-desktop", "--keep", "plan", "--gpu", "0b:00.0", "--json"],
                           capture_output=True, text=True)
        left = {n for n in os.listdir("/tmp") if n.startswith("vfio-setup-demo-")} - before
        tap.ok(p.returncode == 0 and json.loads(p.stdout)["devices"] == ["0000:0b:00.0", "0000:0b:00.1"] and
               len(left) == 1 and "/tmp/" + left.copy().pop() in p.stderr,
               "--demo NAME --keep COMMAND: the copy kept and named", p.stderr)
        for name in left:
            shutil.rmtree(os.path.join("/tmp", name))

        p = run("detect", "--json")
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            doc = None
        tap.ok(p.returncode == 0 and doc is not None and "gpus" in doc, "the real machine: detect --json", p.stderr)
        p = run("detect")
        tap.ok(p.returncode == 0 and "Summary:" in p.stdout, "the real machine: detect", p.stderr)
    tap.done()


if __name__ == "__main__":
    main()
