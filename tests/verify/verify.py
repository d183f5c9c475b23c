#!/usr/bin/env python3
"""verify after the reboot, on machine cards as the kernel shows them then: devices bound or not,
whole groups or not, hugepages, Looking Glass's shared memory, identical GPUs held by address,
the boot time read from /proc/stat; each failed check with its fix, in text and JSON.
Usage: verify.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, card_tree, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]


def checks(tap, tmp):
    cases = [
        ("verify-after", [], 0, ["the kernel IOMMU is active", "0000:03:00.0 is bound to vfio-pci",
                                 "IOMMU group 13 is all with vfio-pci", "/dev/vfio/13 exists",
                                 "the kernel command line has intel_iommu=on"]),
        ("verify-before", [], 2, ["0000:03:00.0 is bound to amdgpu", "/dev/vfio/13 is missing",
                                  "the kernel command line lacks intel_iommu=on"]),
        ("verify-dirty", [], 2, ["IOMMU group 13 also holds 0000:00:1f.0 (lpc_ich)"]),
        ("amd-x570-two-gpus", ["--gpu", "0b:00.0"], 2, ["0000:0b:00.0 is bound to amdgpu", "0000:0b:00.1 is bound to"]),
        ("verify-hugepages", [], 2, ["12288 MiB of hugepages reserved for the guest's 16384 MiB",
                                     "0000:03:00.0 is bound to vfio-pci"]),
        ("verify-identical", [], 0, ["0000:0b:00.0 (the same id as 0000:0a:00.0) is held for vfio-pci by driver_override",
                                     "0000:0a:00.0, with the same id, stays with the host (amdgpu)"]),
    ]
    for card, args, code, texts in cases:
        root = os.path.join(tmp, "v-" + card)
        card_tree(MKROOT, card, root)
        p = run_binary(BINARY, "--root", root, "--no-color", "verify", *args)
        # The devices passed are checked on their own lines, never as "also" in their group.
        others = [line for line in p.stdout.splitlines() if "also holds" in line]
        passed = [w for t in texts for w in t.split() if w.startswith("0000:") and " is bound to " in t]
        tap.ok(p.returncode == code and all(t in p.stdout for t in texts) and
               not any(a in line for line in others for a in passed), f"verify {card}: exit {code}, the right checks",
               p.stdout + p.stderr)
        j = run_binary(BINARY, "--root", root, "verify", "--json", *args)
        doc = json.loads(j.stdout) if j.stdout else {}
        tap.ok(j.returncode == code and doc.get("ready") == (code == 0) and
               all(c["fix"] for c in doc.get("checks", []) if not c["ok"]), f"verify {card} --json: ready, and a fix per problem",
               j.stdout[:500])
    # All the pages there: ready.
    meminfo = os.path.join(tmp, "v-verify-hugepages", "proc/meminfo")
    with open(meminfo, "w") as f:
        f.write("MemTotal:       33554432 kB\nHugePages_Total:    8192\nHugepagesize:       2048 kB\n")
    p = run_binary(BINARY, "--root", os.path.join(tmp, "v-verify-hugepages"), "--no-color", "verify")
    tap.ok(p.returncode == 0 and "16384 MiB of hugepages reserved for the guest's 16384 MiB" in p.stdout,
           "verify: every hugepage the gaming goal asked for is there", p.stdout)

    # Looking Glass's shared memory: the user's with mode 0660, or not.
    root = os.path.join(tmp, "v-lg")
    card_tree(MKROOT, "verify-looking-glass", root)
    shm = os.path.join(root, "dev/shm/looking-glass")
    lg_cases = [(None, 2, "Looking Glass: /dev/shm/looking-glass is not alice's, mode 0660"),
                ((1000, 0o660), 0, "Looking Glass: /dev/shm/looking-glass is alice's, mode 0660"),
                ((1000, 0o644), 2, "is not alice's, mode 0660"),
                ("gone", 2, "Looking Glass: /dev/shm/looking-glass does not exist")]
    for how, code, text in lg_cases:
        if how == "gone":
            os.unlink(shm)
        elif how:
            os.chown(shm, how[0], -1) if os.getuid() == 0 else None
            os.chmod(shm, how[1])
        if how and how != "gone" and os.getuid() != 0 and code == 0:
            continue  # giving the file to another user needs root
        p = run_binary(BINARY, "--root", root, "--no-color", "verify")
        tap.ok(p.returncode == code and text in p.stdout and
               ("systemd-tmpfiles --create" in p.stdout) == (code != 0),
               f"verify: Looking Glass shared memory ({how}): exit {code}", p.stdout)

    # Bound by address, but the override did not happen and vfio-pci ids took the host's card too.
    root = os.path.join(tmp, "v-verify-identical")
    dev = os.path.join(root, "sys/devices/pci0000:00")
    with open(os.path.join(dev, "0000:0b:00.0/driver_override"), "w") as f:
        f.write("(null)\n")
    os.unlink(os.path.join(dev, "0000:0a:00.0/driver"))
    os.symlink("../../../bus/pci/drivers/vfio-pci", os.path.join(dev, "0000:0a:00.0/driver"))
    p = run_binary(BINARY, "--root", root, "--no-color", "verify")
    tap.ok(p.returncode == 2 and "held for vfio-pci by driver_override (not set)" in p.stdout and
           "0000:0a:00.0, with the same id, stays with the host (vfio-pci)" in p.stdout and "install lines" in p.stdout,
           "verify of identical GPUs: a missing override and the host's twin on vfio-pci are problems, with fixes",
           p.stdout)
    # btime on the first line of /proc/stat is read as on any other.
    root = os.path.join(tmp, "v-verify-before")
    with open(os.path.join(root, "proc/stat"), "w") as f:
        f.write("btime 1700000000\ncpu  1000 0 500 90000 10 0 5 0 0 0\n")
    verdict = json.loads(run_binary(BINARY, "--root", root, "verify", "--json").stdout or "{}")
    tap.ok(verdict.get("rebooted") is False, "verify reads btime from the first line of /proc/stat too", verdict)
    root = os.path.join(tmp, "v-amd-x570-two-gpus")
    p = run_binary(BINARY, "--root", root, "verify")
    tap.ok(p.returncode == 1 and "name the GPU with --gpu" in p.stderr, "verify with nothing set up asks for --gpu (exit 1)",
           p.stderr)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        checks(tap, tmp)
    tap.done()


if __name__ == "__main__":
    main()
