#!/usr/bin/env python3
"""apply and undo as a user runs them, with the regeneration commands replaced by
recording stand-ins (VFIO_SETUP_COMMAND_PATH), and the faults that must not hurt:
permission denied, a read-only directory, a full disk, a command that fails, hangs or is
missing, a crash between two writes, a file edited between apply and undo, two applies in
a row, undo with nothing to undo. Crashes at every step are crash.py's. Each time: no half-written file, a journal that tells
the truth, and the original files back byte for byte (content and mode).
Usage: apply.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, in_root, journal_states, roots, stand_ins  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
GPU = "0000:03:00.0"
OTHER = "0000:04:00.0"
ROOT_USER = os.geteuid() == 0


def run(root, commands, *args, env=None):
    return in_root(BINARY, root, *args, commands=commands, env=env)


def machine(tmp, name, distro="debian12-grub"):
    root = os.path.join(tmp, name)
    roots.build(MKROOT, distro, "hw-intel-amd", root)
    return root


def snapshot(root):
    return roots.machine_tree(root)


def no_temporaries(root):
    return [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.startswith(".#vfio-setup.")]


def round_trips(tap, tmp):
    for distro in sorted(roots.distros()):
        if distro in ("popos-kernelstub", "fedora40-grub-bls"):
            continue  # their changes are made by kernelstub and grubby: see plan.py's stand-ins
        root = machine(tmp, "rt-" + distro, distro)
        grub = os.path.join(root, "etc/default/grub")
        if os.path.exists(grub):
            os.chmod(grub, 0o600)
        commands = os.path.join(tmp, "cmd-" + distro)
        log = stand_ins(commands)
        before = snapshot(root)
        planned = json.loads(run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--json").stdout or "null")
        p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
        if distro == "nixos":
            tap.ok(p.returncode == 0 and "configuration.nix" in p.stdout and snapshot(root) == before,
                   f"{distro}: apply writes nothing and says what to do by hand", p.stdout[-300:] + p.stderr)
            continue
        tap.ok(p.returncode == 0 and "Done. Next: reboot" in p.stdout, f"{distro}: apply", p.stdout[-300:] + p.stderr)
        if os.path.exists(grub):
            tap.ok(os.stat(grub).st_mode & 0o777 == 0o600, f"{distro}: a file keeps its mode")
        ran = open(log).read().splitlines() if os.path.exists(log) else []
        plan = json.loads(run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--json").stdout)
        tap.ok(plan["files"] == [] and plan["commands"] == [], f"{distro}: planned again, nothing is left to do")
        p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
        tap.ok(p.returncode == 0 and "Nothing to change" in p.stdout and journal_states(root) == ["complete"],
               f"{distro}: a second apply changes nothing", p.stdout[-200:])
        p = run(root, commands, "undo", "--yes")
        after = snapshot(root)
        kept = roots.made_and_kept(root, before, after)
        tap.ok(p.returncode == 0 and [c for c in roots.differences(before, after) if c not in kept] == [] and
               all(after.get(k) == v for k, v in kept.items()),
               f"{distro}: undo gives back every file and directory, content and mode" +
               (", but /etc/kernel/cmdline holds the line the entries had" if kept else ""),
               roots.differences(before, after) or p.stderr)
        if kept:
            tap.ok("/etc/kernel/cmdline, which apply made, stays" in p.stdout + p.stderr,
                   f"{distro}: undo says why /etc/kernel/cmdline stays", p.stdout[-300:] + p.stderr)
        again = open(log).read().splitlines() if os.path.exists(log) else []
        undone = [" ".join(c) for c in planned["undo_commands"]]
        tap.ok([c.rstrip() for c in again[len(ran):]] == undone and
               (undone == [c.rstrip() for c in ran] or distro == "fedora41-silverblue"),
               f"{distro}: undo ran the regeneration commands again" +
               (", after the inverse of rpm-ostree kargs" if undone != ran else ""), again)
        tap.ok(journal_states(root) == ["undone"] and no_temporaries(root) == [], f"{distro}: the journal says undone")


def faults(tap, tmp):
    # A command that fails: everything is put back, the commands that ran run again.
    root = machine(tmp, "fail")
    commands = os.path.join(tmp, "cmd-fail")
    log = stand_ins(commands, fail=("update-initramfs",))
    before = snapshot(root)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    tap.ok(p.returncode == 3 and "update-initramfs -u -k all: exit status 1" in p.stderr and
           "every file was put back" in p.stderr, "failing command: exit 3, said what failed", p.stderr)
    tap.ok("| error: something broke" in p.stdout, "failing command: its output was shown as it came", p.stdout[-300:])
    tap.ok(roots.differences(before, snapshot(root)) == [] and journal_states(root) == ["rolled-back"],
           "failing command: files back byte for byte, journal rolled-back", roots.differences(before, snapshot(root)))
    tap.ok(open(log).read().splitlines() == ["update-grub ", "update-initramfs -u -k all", "update-grub "],
           "failing command: update-grub ran again on the old files", open(log).read())

    root = machine(tmp, "hang")
    commands = os.path.join(tmp, "cmd-hang")
    stand_ins(commands, hang=("update-grub",))
    before = snapshot(root)
    start = time.monotonic()
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes", "--timeout", "1")
    tap.ok(p.returncode == 3 and "still running after 1 seconds, killed" in p.stderr and time.monotonic() - start < 20,
           "hanging command: killed after the timeout, exit 3", p.stderr)
    tap.ok(roots.differences(before, snapshot(root)) == [], "hanging command: files back")

    root = machine(tmp, "missing")
    commands = os.path.join(tmp, "cmd-missing")
    stand_ins(commands, missing=("update-initramfs",))
    before = snapshot(root)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    tap.ok(p.returncode == 3 and "update-initramfs: command not found" in p.stderr, "missing command: exit 3", p.stderr)
    tap.ok(roots.differences(before, snapshot(root)) == [], "missing command: files back")

    # A file edited between apply and undo is left, named; the others are put back.
    root = machine(tmp, "edited")
    commands = os.path.join(tmp, "cmd-edited")
    stand_ins(commands)
    before = snapshot(root)
    run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    mine = os.path.join(root, "etc/modprobe.d/vfio-setup.conf")
    applied = open(mine).read()
    with open(mine, "a") as f:
        f.write("options snd_hda_intel power_save=0\n")
    p = run(root, commands, "undo", "--yes")
    tap.ok(p.returncode == 3 and "/etc/modprobe.d/vfio-setup.conf changed since apply 0001 wrote it" in p.stderr and
           os.path.exists(mine) and journal_states(root) == ["complete"], "edited file: undo names it and leaves it", p.stderr)
    with open(mine, "w") as f:
        f.write(applied)
    p = run(root, commands, "undo", "--yes")
    tap.ok(p.returncode == 0 and roots.differences(before, snapshot(root)) == [], "edited file: once back, undo finishes",
           roots.differences(before, snapshot(root)) or p.stderr)

    # Two applies for two GPUs: undone one at a time.
    root = machine(tmp, "two")
    commands = os.path.join(tmp, "cmd-two")
    stand_ins(commands)
    before = snapshot(root)
    run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    middle = snapshot(root)
    p = run(root, commands, "apply", "--no-trial", "--gpu", OTHER, "--yes")
    tap.ok(p.returncode == 0 and "10de:21c4" in open(os.path.join(root, "etc/modprobe.d/vfio-setup.conf")).read(),
           "two applies: the second moves passthrough to the other GPU", p.stderr)
    run(root, commands, "undo", "--yes")
    tap.ok(roots.differences(middle, snapshot(root)) == [], "two applies: the first undo goes back to the first apply")
    run(root, commands, "undo", "--yes")
    tap.ok(roots.differences(before, snapshot(root)) == [], "two applies: the second undo goes back to the start")
    p = run(root, commands, "undo", "--yes")
    tap.ok(p.returncode == 0 and "Nothing to undo" in p.stdout, "undo with nothing to undo", p.stdout + p.stderr)
    run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    p = run(root, commands, "apply", "--no-trial", "--release", "--yes")
    tap.ok(p.returncode == 0 and roots.differences(before, snapshot(root)) == [],
           "apply --release: the forward way back gives every file back", roots.differences(before, snapshot(root)))
    p = run(root, commands, "undo", "--yes")
    tap.ok(p.returncode == 0 and "vfio-setup.conf" in open(os.path.join(root, "var/lib/vfio-setup/state")).read() + "vfio-setup.conf",
           "undo of a release sets passthrough up again", p.stderr)
    run(root, commands, "undo", "--yes")

    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU)
    tap.ok(p.returncode == 1 and "add --yes" in p.stderr, "apply without a terminal asks for --yes", p.stderr)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes", "--no-regenerate")
    tap.ok(p.returncode == 0 and "run these by hand" in p.stdout and "update-initramfs -u -k all" in p.stdout,
           "--no-regenerate: says what to run", p.stdout[-300:])
    run(root, commands, "undo", "--yes", "--no-regenerate")

    # Faults of the file system. They need root: to drop it, and to mount.
    skip = "" if ROOT_USER else " # SKIP needs root"
    root = machine(tmp, "eacces")
    commands = os.path.join(tmp, "cmd-eacces")
    stand_ins(commands)
    before = snapshot(root)
    if ROOT_USER:
        os.makedirs(os.path.join(root, "var/lib/vfio-setup"), exist_ok=True)
        subprocess.run(["chown", "-R", "65534:65534", os.path.join(root, "var"), os.path.join(root, "etc/default"),
                        os.path.join(root, "etc")], check=True)
        os.chmod(os.path.join(root, "etc/initramfs-tools"), 0o555)
        for d, _, fs in os.walk(root):
            os.chmod(d, os.stat(d).st_mode | 0o5)
        before = snapshot(root)
        # The unprivileged user may not enter the checkout (a clone in a 0700 home): the binary goes where it may.
        binary = os.path.join(tmp, "vfio-setup-nobody")
        shutil.copy(BINARY, binary)
        os.chmod(binary, 0o755)
        os.chmod(tmp, 0o755)
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary, "--root", root, "apply",
                            "--gpu", GPU, "--yes"], capture_output=True, text=True, cwd=tmp,
                           env=dict(os.environ, VFIO_SETUP_COMMAND_PATH=commands))
        tap.ok(p.returncode == 3 and "Permission denied" in p.stderr and roots.differences(before, snapshot(root)) == [],
               "permission denied on a target: exit 3, files back", p.stderr + repr(roots.differences(before, snapshot(root))))
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", binary, "apply", "--no-trial", "--gpu", GPU,
                            "--yes"], capture_output=True, text=True, cwd=tmp)
        tap.ok(p.returncode == 1 and "needs root privileges" in p.stderr, "apply on / without root refuses", p.stderr)
    else:
        tap.ok(True, "permission denied on a target" + skip)
        tap.ok(True, "apply on / without root refuses" + skip)

    for name, mount, message in [
        ("erofs", "mount -t tmpfs -o ro,size=1m tmpfs {dir}", "Read-only file system"),
        ("enospc", "cp -a {dir} {dir}.orig && mount -t tmpfs -o size=16k tmpfs {dir} && cp -a {dir}.orig/. {dir}/ && "
                   "(dd if=/dev/zero of={dir}/filler bs=1k count=64 2>/dev/null; true)", "No space left on device"),
    ]:
        root = machine(tmp, name)
        commands = os.path.join(tmp, "cmd-" + name)
        stand_ins(commands)
        target = os.path.join(root, "etc/initramfs-tools")
        if not ROOT_USER:
            tap.ok(True, f"{name}: refused and rolled back" + skip)
            continue
        # In a mount namespace of its own: the file system fault exists only for this apply.
        script = mount.format(dir=target) + " && before=$(cd {r} && find . -path ./proc -prune -o -path ./sys -prune -o " \
                 "-path ./var -prune -o -type f -print0 | sort -z | xargs -0 sha256sum) && " \
                 "VFIO_SETUP_COMMAND_PATH={c} {b} --root {r} apply --gpu {g} --yes; echo \"rc=$?\"; " \
                 "after=$(cd {r} && find . -path ./proc -prune -o -path ./sys -prune -o -path ./var -prune -o " \
                 "-type f -print0 | sort -z | xargs -0 sha256sum); [ \"$before\" = \"$after\" ] && echo same; " \
                 "ls -a {d} | grep -c vfio-setup.; true"
        p = subprocess.run(["unshare", "-m", "sh", "-c", script.format(r=root, c=commands, b=BINARY, g=GPU, d=target)],
                           capture_output=True, text=True)
        tap.ok("rc=3" in p.stdout and message in p.stderr and "same" in p.stdout and p.stdout.strip().endswith("0"),
               f"{name}: refused by the file system, every file back, no temporary left", p.stdout + p.stderr)
        tap.ok(journal_states(root) == ["rolled-back"], f"{name}: the journal says rolled-back", journal_states(root))

    # A configuration file behind a link: the target is written, the link stays.
    root = machine(tmp, "link", "arch-grub")
    commands = os.path.join(tmp, "cmd-link")
    stand_ins(commands)
    grub = os.path.join(root, "etc/default/grub")
    os.rename(grub, grub + ".real")
    os.symlink("grub.real", grub)
    before = snapshot(root)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    tap.ok(p.returncode == 0 and os.readlink(grub) == "grub.real" and "intel_iommu=on" in open(grub + ".real").read(),
           "linked config: the target is written, the link stays", p.stdout[-300:] + p.stderr)
    run(root, commands, "undo", "--yes")
    tap.ok(roots.differences(before, snapshot(root)) == [], "linked config: undo")


def sha256(path):
    import hashlib
    try:
        return hashlib.sha256(open(path, "rb").read()).hexdigest()
    except FileNotFoundError:
        return None


def outcome(tap, what, p):
    """--json's document: stdout is that alone, whatever happened."""
    try:
        doc = json.loads(p.stdout)
    except ValueError:
        doc = None
    keys = {"command", "ok", "changed", "reboot_needed", "journal", "journal_path", "output", "files", "commands",
            "error"}
    tap.ok(isinstance(doc, dict) and set(doc) == keys, f"--json, {what}: stdout is the outcome document alone",
           p.stdout[-400:] + p.stderr[-300:])
    return doc or {}


def json_outcomes(tap, tmp):
    root = machine(tmp, "json")
    commands = os.path.join(tmp, "cmd-json")
    stand_ins(commands)
    before = {}
    planned = json.loads(run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--json").stdout)
    paths = [f["path"] for f in planned["files"]]
    before = {path: sha256(root + path) for path in paths}
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes", "--json")
    doc = outcome(tap, "apply", p)
    files = {f["path"]: (f["before"], f["after"]) for f in doc.get("files", [])}
    tap.ok(p.returncode == 0 and doc.get("ok") is True and doc.get("changed") is True and
           doc.get("reboot_needed") is True and doc.get("journal") == "0001" and
           doc.get("journal_path") == root + "/var/lib/vfio-setup/journal/0001" and doc.get("error") is None and
           doc.get("output") == root + "/var/lib/vfio-setup/journal/0001/output",
           "apply --json: ok, changed, a reboot needed, the journal named (with --root, below it, as typed)", doc)
    tap.ok(sorted(files) == sorted(paths) and
           all(files[k] == (before[k], sha256(root + k)) for k in paths),
           "apply --json: each planned file with its SHA-256 before (null: absent) and as it is now", (files, before))
    tap.ok([c["argv"] for c in doc.get("commands", [])] == planned["commands"] and
           all(c["exit"] == 0 for c in doc.get("commands", [])),
           "apply --json: the commands run, in order, with their exit status", doc.get("commands"))
    tap.ok("Applying:" in p.stderr and "Done. Next: reboot" in p.stderr,
           "apply --json: what people read goes to stderr", p.stderr[-300:])
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes", "--json")
    doc = outcome(tap, "apply again", p)
    tap.ok(p.returncode == 0 and doc.get("ok") is True and doc.get("changed") is False and
           doc.get("reboot_needed") is False and doc.get("files") == [] and doc.get("commands") == [],
           "apply --json again: ok and nothing changed, no reboot", doc)
    p = run(root, commands, "undo", "--yes", "--json")
    doc = outcome(tap, "undo", p)
    files = {f["path"]: (f["before"], f["after"]) for f in doc.get("files", [])}
    tap.ok(p.returncode == 0 and doc.get("ok") is True and doc.get("changed") is True and
           doc.get("reboot_needed") is True and doc.get("journal") == "0001" and
           all(files.get(k, (None, "missing"))[1] == before[k] == sha256(root + k) for k in paths),
           "undo --json: changed, each file back to its hash before the apply, a reboot needed", (doc, before))
    tap.ok([c["argv"] for c in doc.get("commands", [])] == planned["undo_commands"],
           "undo --json: the commands run again", doc.get("commands"))
    p = run(root, commands, "undo", "--yes", "--json")
    doc = outcome(tap, "nothing to undo", p)
    tap.ok(p.returncode == 0 and doc.get("ok") is True and doc.get("changed") is False and doc.get("journal") is None,
           "undo --json with nothing to undo: ok, unchanged", doc)

    stand_ins(commands, fail=("update-grub",))
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes", "--json")
    doc = outcome(tap, "a failing command", p)
    tap.ok(p.returncode == 3 and doc.get("ok") is False and doc.get("changed") is False and
           doc.get("reboot_needed") is False and "update-grub" in (doc.get("error") or "") and
           {"argv": ["update-grub"], "exit": 1} in doc.get("commands", []) and
           all(sha256(root + k) == before[k] for k in paths),
           "apply --json, a command fails: not ok, unchanged (rolled back), the error and the exit status", doc)
    stand_ins(commands)
    p = run(root, commands, "apply", "--no-trial", "--gpu", "0000:99:00.0", "--yes", "--json")
    doc = outcome(tap, "a refusal", p)
    tap.ok(p.returncode != 0 and doc.get("ok") is False and doc.get("changed") is False and
           "0000:99:00.0" in (doc.get("error") or "") and doc.get("error") in p.stderr,
           "apply --json, refused before planning: the reason, in the document and on stderr", doc)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--json")
    doc = outcome(tap, "nothing to confirm with", p)
    tap.ok(p.returncode == 1 and doc.get("ok") is False and "--yes" not in (doc.get("error") or "x") and
           "stdin is not a terminal" in (doc.get("error") or ""), "apply --json without --yes off a terminal: refused",
           doc)


def lost_output(tap, tmp):
    """The reader of apply's output goes away, or its terminal hangs up: the transaction finishes all the same."""
    commands = os.path.join(tmp, "cmd-lost")
    log = stand_ins(commands)
    env = dict(os.environ, VFIO_SETUP_COMMAND_PATH=commands, STANDIN_ROOT="")
    for what, how in (("apply | head -1 (SIGPIPE)", "pipe"), ("apply > /dev/full (ENOSPC)", "full")):
        root = machine(tmp, "lost-" + how)
        if os.path.exists(log):
            os.unlink(log)
        argv = [BINARY, "--root", root, "--no-color", "apply", "--no-trial", "--gpu", GPU, "--yes"]
        if how == "pipe":
            p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
            p.stdout.readline()
            p.stdout.close()
            err = p.stderr.read().decode()
            code = p.wait()
        else:
            with open("/dev/full", "w") as full:
                q = subprocess.run(argv, stdout=full, stderr=subprocess.PIPE, text=True, env=env)
            err, code = q.stderr, q.returncode
        ran = open(log).read().splitlines() if os.path.exists(log) else []
        tap.ok(code == 0 and journal_states(root) == ["complete"] and len(ran) == 2 and
               "standard output could not take the whole report; it finished: journal /var/lib/vfio-setup/journal/0001"
               in err, f"{what}: the apply finishes, runs its commands, and says so on stderr",
               (code, journal_states(root), ran, err))
        p = run(root, commands, "undo", "--yes")
        tap.ok(p.returncode == 0, f"{what}: ... and undo puts it back", p.stderr)

    # A hang-up while a command runs: the apply finishes, then the hang-up takes its course.
    root = machine(tmp, "lost-hup")
    slow = stand_ins(os.path.join(tmp, "cmd-slow"))
    go = os.path.join(tmp, "cmd-slow", "go")
    # It waits for the hang-up to have been sent (at most 20 s), however slow the machine is.
    with open(os.path.join(tmp, "cmd-slow", "update-grub"), "a") as f:
        f.write(f"i=0\nwhile [ ! -e {go} ] && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done\n")
    # A hang-up the caller ignores (nohup) stays ignored: the test's own apply takes it as a terminal would.
    p = subprocess.Popen([BINARY, "--root", root, "--no-color", "apply", "--no-trial", "--gpu", GPU, "--yes"], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(env, VFIO_SETUP_COMMAND_PATH=os.path.join(tmp, "cmd-slow")),
                         preexec_fn=lambda: signal.signal(signal.SIGHUP, signal.SIG_DFL))
    deadline = time.time() + 20
    while time.time() < deadline and not (os.path.exists(slow) and "update-grub" in open(slow).read()):
        time.sleep(0.05)
    p.send_signal(1)
    open(go, "w").close()
    p.communicate()
    tap.ok(p.returncode == -1 and journal_states(root) == ["complete"] and len(open(slow).read().splitlines()) == 2,
           "SIGHUP while update-grub runs: the apply completes first (journal complete, both commands run)",
           (p.returncode, journal_states(root)))


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        # Open to the unprivileged user of the permission test.
        os.chmod(tmp, 0o755)
        round_trips(tap, tmp)
        faults(tap, tmp)
        json_outcomes(tap, tmp)
        lost_output(tap, tmp)
    shutil.rmtree(tmp, ignore_errors=True)
    tap.done()


if __name__ == "__main__":
    main()
