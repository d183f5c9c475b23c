#!/usr/bin/env python3
"""Crash consistency, proven at every step: apply and undo are killed (SIGKILL) before each system
call that changes the disk, and fail with ENOSPC at each one that takes space, on several boot
chains (VFIO_SETUP_FAULT); a trial's apply and its commit are killed likewise on the chains that
make trials. After each: what the journal says is true, the next run refuses or
repairs as it should, `undo` gives every file back byte for byte, no temporary file outlives the
next run, and a run that claims "every file was put back" has put every file back.
Usage: crash.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, WRAP, in_root, journal_states, roots, stand_ins  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
GPU = "0000:03:00.0"
CHAINS = os.environ.get("CRASH_CHAINS", "debian12-grub arch-systemd-boot endeavouros-systemd-boot limine-cachyos "
                        "debian12-systemd-boot fedora41-silverblue").split()
# Under valgrind each run costs a second or two: one chain and every fourth point there, all of them otherwise.
STRIDE = 4 if WRAP else 1
if WRAP:
    CHAINS = CHAINS[:1]
EACH = "each" if STRIDE == 1 else f"every {STRIDE}th"
TRIAL_CHAINS = [c for c in CHAINS if c in ("debian12-grub", "debian12-systemd-boot")]


def run(root, commands, *args, fault=None):
    return in_root(BINARY, root, *args, commands=commands, fault=fault)


def leftovers(root):
    """Temporary files anywhere, and journals never published."""
    found = [os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.startswith(".#vfio-setup.")]
    base = os.path.join(root, "var/lib/vfio-setup/journal")
    if os.path.isdir(base):
        found += [n for n in os.listdir(base) if n.endswith(".new") or not os.path.exists(os.path.join(base, n, "journal"))]
    return found


def clone(src, dest):
    """A copy to run on: sysfs and procfs, which apply only reads, as hard links (fast); the rest copied."""
    shutil.rmtree(dest, ignore_errors=True)
    os.makedirs(dest)
    for name in os.listdir(src):
        if name in ("sys", "proc"):
            subprocess.run(["cp", "-al", os.path.join(src, name), dest], check=True)
        elif os.path.isdir(os.path.join(src, name)) and not os.path.islink(os.path.join(src, name)):
            shutil.copytree(os.path.join(src, name), os.path.join(dest, name), symlinks=True)
        else:
            shutil.copy2(os.path.join(src, name), dest, follow_symlinks=False)


def fresh(tmp, chain):
    root = os.path.join(tmp, "root")
    shutil.rmtree(root, ignore_errors=True)
    roots.build(MKROOT, chain, "hw-intel-amd", root)
    return root


def each_fault(root, start, commands, args, kind, check):
    """Runs vfio-setup ARGS on a copy of start with its Nth fault of kind, for N = 1, 2, ... until a run
    no longer meets one; check(fault, run) returns the problems seen after each. Gives the number of
    faults met, the problems, and the last (unhindered) run."""
    bad, points, n = [], 0, 1
    while True:
        clone(start, root)
        p = run(root, commands, *args, fault=f"{kind}:{n}")
        if (p.returncode != -9) if kind == "kill" else (p.returncode == 0):
            return points, bad, p
        points += 1
        bad += check(f"{kind}:{n}", p)
        n += STRIDE


def undone_differences(root, before):
    """What differs from before once undone, but /etc/kernel/cmdline where vfio-setup made it and undo keeps it."""
    after = roots.machine_tree(root)
    kept = roots.made_and_kept(root, before, after)
    return [d for d in roots.differences(before, after) if d not in kept or after.get(d) != kept[d]]


def restored(root, before, commands, fault, what):
    """What a user does next: undo (again); then every file is back and nothing is left behind."""
    u = run(root, commands, "undo", "--yes")
    diff = undone_differences(root, before)
    if u.returncode != 0 or diff or leftovers(root) or "begun" in journal_states(root):
        return [f"{fault}: undo after {what}: exit {u.returncode}, differs {diff}, left {leftovers(root)}, "
                f"journals {journal_states(root)}: {u.stderr[-200:]}"]
    return []


def faults(tap, tmp, chain, commands):
    root = fresh(tmp, chain)
    pristine, applied = os.path.join(tmp, "pristine"), os.path.join(tmp, "applied")
    clone(root, pristine)
    before = roots.machine_tree(root)
    run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    clone(root, applied)
    apply = ("apply", "--no-trial", "--gpu", GPU, "--yes")

    def killed_apply(fault, p):
        bad = []
        states = journal_states(root)
        # Killed after the journal said complete (its directory's fsync, the lock): the apply is whole.
        if states not in ([], ["begun"], ["complete"]):
            bad.append(f"{fault}: journal says {states} after a kill during apply")
        if states == ["begun"]:
            again = run(root, commands, *apply)
            if again.returncode != 2 or "did not finish" not in again.stderr:
                bad.append(f"{fault}: a second apply did not refuse: {again.returncode} {again.stderr[-200:]}")
        return bad + restored(root, before, commands, fault, "a killed apply")

    points, bad, p = each_fault(root, pristine, commands, apply, "kill", killed_apply)
    tap.ok(p.returncode == 0 and points * STRIDE > 20 and not bad,
           f"{chain}: apply killed at {EACH} change ({points} runs) to the disk; undo gives everything back each time",
           "\n".join(bad[:10]) or p.stderr)

    points, bad, p = each_fault(root, applied, commands, ("undo", "--yes"), "kill",
                                lambda fault, p: restored(root, before, commands, fault, "a killed undo"))
    tap.ok(p.returncode == 0 and points * STRIDE > 10 and not bad,
           f"{chain}: undo killed at {EACH} change ({points} runs); undo again finishes it", "\n".join(bad[:10]) or p.stderr)

    def full_apply(fault, p):
        bad = []
        diff = roots.differences(before, roots.machine_tree(root))
        if p.returncode not in (2, 3) or "No space left on device" not in p.stderr:
            bad.append(f"{fault}: exit {p.returncode}: {p.stderr[-300:]}")
        if diff:
            bad.append(f"{fault}: the machine differs after a failed apply: {diff}")
        if "every file was put back" in p.stderr and (diff or p.returncode != 3):
            bad.append(f"{fault}: claimed every file back: {p.stderr[-300:]}")
        # Exit 2 is "nothing was changed", exit 3 a rollback: the words must say which.
        if ("nothing was changed" in p.stderr) != (p.returncode == 2) or (
                p.returncode == 2 and "could not all be read back" in p.stderr):
            bad.append(f"{fault}: exit {p.returncode} and its words disagree: {p.stderr[-300:]}")
        if "begun" in journal_states(root) and "vfio-setup undo will finish" not in p.stderr:
            bad.append(f"{fault}: journal says begun, and the user was not told: {p.stderr[-300:]}")
        return bad + restored(root, before, commands, fault, "a full disk")

    points, bad, p = each_fault(root, pristine, commands, apply, "enospc", full_apply)
    tap.ok(points * STRIDE > 20 and not bad, f"{chain}: ENOSPC at {EACH} write ({points} runs); nothing changed, nothing claimed falsely",
           "\n".join(bad[:10]))

    def full_undo(fault, p):
        bad = []
        if p.returncode not in (2, 3) or "No space left on device" not in p.stderr or "changed since" in p.stderr:
            bad.append(f"{fault}: undo exit {p.returncode}: {p.stderr[-300:]}")
        if "every file was put back" in p.stderr and undone_differences(root, before):
            bad.append(f"{fault}: undo claimed every file back: {p.stderr[-300:]}")
        return bad + restored(root, before, commands, fault, "an undo on a full disk")

    points, bad, p = each_fault(root, applied, commands, ("undo", "--yes"), "enospc", full_undo)
    tap.ok(points * STRIDE > 5 and not bad, f"{chain}: undo failing with ENOSPC at {EACH} write ({points} runs); undo again finishes",
           "\n".join(bad[:10]))


def trial_faults(tap, tmp, chain, commands, kill_apply):
    """A trial applied (where kill_apply), and committed, each killed at every change: undo gives back what was."""
    root = fresh(tmp, chain)
    pristine, trialed = os.path.join(tmp, "pristine"), os.path.join(tmp, "trialed")
    clone(root, pristine)
    before = roots.machine_tree(root)
    apply = ("apply", "--gpu", GPU, "--yes")
    if kill_apply:
        points, bad, p = each_fault(root, pristine, commands, apply, "kill",
                                    lambda fault, p: restored(root, before, commands, fault, "a killed trial"))
        tap.ok(p.returncode == 0 and "trial" in p.stdout and points * STRIDE > 20 and not bad,
               f"{chain}: a trial's apply killed at {EACH} change ({points} runs); undo gives everything back",
               "\n".join(bad[:10]) or p.stdout[-300:] + p.stderr)
    else:
        run(root, commands, *apply)
    clone(root, trialed)
    # The one-time flag is not a file; grubenv's next_entry, which commit clears, is not given back by undo.
    trial_tree = {k: v for k, v in roots.machine_tree(root).items() if k != "boot/grub/grubenv"}

    def killed_commit(fault, p):
        # Killed before its journal existed, the commit changed nothing: the user commits again, then undoes it.
        if len(journal_states(root)) == 1:
            c = run(root, commands, "commit", "--yes")
            if c.returncode != 0:
                return [f"{fault}: commit again after a killed one: exit {c.returncode}: {c.stderr[-200:]}"]
        u = run(root, commands, "undo", "--yes")
        now = {k: v for k, v in roots.machine_tree(root).items() if k != "boot/grub/grubenv"}
        diff = [d for d in roots.differences(trial_tree, now) if not d.startswith("etc/kernel")]
        if u.returncode != 0 or diff or leftovers(root) or "begun" in journal_states(root):
            return [f"{fault}: undo after a killed commit: exit {u.returncode}, differs {diff}, left "
                    f"{leftovers(root)}: {u.stderr[-200:]}"]
        return []

    points, bad, p = each_fault(root, trialed, commands, ("commit", "--yes"), "kill", killed_commit)
    tap.ok(p.returncode == 0 and points * STRIDE > 10 and not bad,
           f"{chain}: commit killed at {EACH} change ({points} runs); undo (after commit again where nothing was "
           "journalled yet) gives the trial back",
           "\n".join(bad[:10]) or p.stderr)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        commands = os.path.join(tmp, "commands")
        stand_ins(commands)
        for chain in CHAINS:
            faults(tap, tmp, chain, commands)
        # Each chain's trial files are killed in apply on one, in commit on the other: the quick loop's time.
        for i, chain in enumerate(TRIAL_CHAINS):
            trial_faults(tap, tmp, chain, commands, kill_apply=i == 0)
    tap.done()


if __name__ == "__main__":
    main()
