#!/usr/bin/env python3
"""vfio-setup doctor: a guest's failed first start read from its logs, as QEMU, libvirt and the
kernel wrote them in public reports (doctor-sources.txt): each failure named with its cause
and its fix in the machine's terms, the last start of the QEMU log only, libvirt's own log
and the kernel's, a domain's NVIDIA GPU, lines it does not know shown as they are, --json,
--log, and what a log's terminal escapes become.
Usage: doctor.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, roots, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]

QEMU_LOG = """2024-05-01 10:00:00.000+0000: starting up libvirt version: 9.0.0, qemu version: 7.2.0
2024-05-01T10:00:01.000000Z qemu-system-x86_64: Could not access KVM kernel module: Permission denied
2024-05-02 10:00:00.000+0000: starting up libvirt version: 9.0.0, qemu version: 7.2.0
2024-05-02T10:00:01.563014Z qemu-system-x86_64: -device vfio-pci,host=0000:03:00.0,id=hostdev0,bus=pci.5,addr=0x0: vfio 0000:03:00.0: group 13 is not viable
Please ensure all devices within the iommu_group are bound to their vfio bus driver.
2024-05-02T10:00:01.600000Z qemu-system-x86_64: unable to map backing store for guest RAM: Cannot allocate memory
2024-05-02T10:00:01.700000Z qemu-system-x86_64: some error vfio-setup has never seen \x1b[31mred\x1b[0m
2024-05-02 10:00:02.000+0000: shutting down, reason=failed
"""
LIBVIRTD_LOG = """2024-05-02 10:00:03.000+0000: 1234: error : virPCIDeviceNew:1480 : internal error: Unknown PCI header type '127' for device '0000:03:00.0'
"""
KERN_LOG = """May  2 10:00:01 host kernel: [   44.702115] vfio-pci 0000:03:00.0: BAR 0: can't reserve [mem 0xd0000000-0xdfffffff 64bit pref]
May  2 10:00:01 host kernel: [   44.800000] usb 1-1: new high-speed USB device number 2 using xhci_hcd
"""
OTHER_LOG = """qemu-system-x86_64: -device vfio-pci,host=0000:03:00.0: vfio 0000:03:00.0: failed to open /dev/vfio/13: Device or resource busy
qemu-system-x86_64: -device vfio-pci,host=0000:03:00.1: vfio 0000:03:00.1: failed to open /dev/vfio/13: No such file or directory
qemu-system-x86_64: -device vfio-pci,host=03:00.0: vfio 0000:03:00.0: failed to setup container for group 13: No available IOMMU models
qemu-system-x86_64: -object memory-backend-file,id=shmmem-shmem0,mem-path=/dev/shm/looking-glass,size=33554432,share=yes: can't open backing store /dev/shm/looking-glass for guest RAM: Permission denied
"""
NVIDIA_DOMAIN = """<domain type='kvm'>
  <name>{name}</name>
  <features><acpi/>{hidden}</features>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x0000' bus='0x0c' slot='0x00' function='0x0'/></source>
    </hostdev>
  </devices>
</domain>
"""


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "w").write(text)


def doctor(root, *args):
    p = run_binary(BINARY, "--root", root, "--no-color", "doctor", *args)
    doc = None
    if "--json" in args:
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            doc = {}
    return p, doc


def by_failure(doc):
    return {f["failure"]: f for f in (doc or {}).get("findings", [])}


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "host")
        roots.build(MKROOT, "debian12-grub", "hw-intel-amd", root)
        write(root, "var/log/libvirt/qemu/win11.log", QEMU_LOG)
        write(root, "var/log/libvirt/libvirtd.log", LIBVIRTD_LOG)
        write(root, "var/log/kern.log", KERN_LOG)
        write(root, "proc/meminfo", "MemTotal: 32768000 kB\nHugePages_Total:    4096\nHugePages_Free:      512\n")

        p, doc = doctor(root, "win11", "--json")
        f = by_failure(doc)
        tap.ok(p.returncode == 2 and set(f) == {"group-not-viable", "hugepages", "reset-bug", "bar-reserve"},
               "the last start's failures, libvirt's reset bug and the kernel's BAR, and nothing of the start before",
               p.stdout[-2500:] + p.stderr)
        g = f.get("group-not-viable", {})
        tap.ok("IOMMU group 13" in g.get("cause", "") and "0000:03:00.1 on snd_hda_intel" in g.get("cause", "") and
               g.get("source", "").endswith("win11.log:4"),
               "group not viable: which devices vfio-pci does not hold, with their drivers, and where it was read", g)
        tap.ok("512 of 4096 are free" in f.get("hugepages", {}).get("cause", ""),
               "hugepages: how many are free now", f.get("hugepages"))
        tap.ok("0000:03:00.0" in f.get("reset-bug", {}).get("cause", "") and
               f.get("reset-bug", {}).get("source", "").startswith("/var/log/libvirt/libvirtd.log"),
               "the reset bug from libvirt's own log, which the QEMU log never has", f.get("reset-bug"))
        tap.ok("6.1.0-26-amd64" in f.get("bar-reserve", {}).get("fix", "") and
               "initcall_blacklist=sysfb_init" in f.get("bar-reserve", {}).get("fix", ""),
               "BAR can't reserve: the fix for this kernel (6.x removes firmware framebuffers itself)",
               f.get("bar-reserve"))
        tap.ok(any("some error vfio-setup has never seen" in u for u in doc.get("unrecognised", [])),
               "an error it does not know is shown, not guessed at", doc.get("unrecognised"))

        p, _ = doctor(root, "win11")
        tap.ok(p.returncode == 2 and "FAILURE  an IOMMU group with devices not on vfio-pci" in p.stdout and
               "Not recognised" in p.stdout and "\x1b" not in p.stdout,
               "the text report, the log's terminal escapes made harmless", p.stdout[-2000:])

        # An older kernel: the other fix.
        write(root, "proc/sys/kernel/osrelease", "5.15.0-91-generic\n")
        p, doc = doctor(root, "win11", "--json")
        tap.ok("video=efifb:off" in by_failure(doc).get("bar-reserve", {}).get("fix", ""),
               "before Linux 6.0 the fix is video=efifb:off", by_failure(doc).get("bar-reserve"))

        write(tmp, "other.log", OTHER_LOG)
        p, doc = doctor(root, "--log", os.path.join(tmp, "other.log"), "--json")
        tap.ok(p.returncode == 2 and "none of the logs named could be read" in p.stderr,
               "--log outside the tree: not read (with --root, a path is the tree's)", p.stderr)
        write(root, "srv/other.log", OTHER_LOG)
        p, doc = doctor(root, "--log", "/srv/other.log", "--json")
        f = by_failure(doc)
        tap.ok(set(f) == {"group-busy", "not-on-vfio", "no-iommu", "shm-denied"},
               "--log: a busy group, a device not on vfio-pci, no IOMMU, Looking Glass's memory denied", f)
        tap.ok("on snd_hda_intel" in f.get("not-on-vfio", {}).get("cause", "") and
               "fuser -v /dev/vfio/13" in f.get("group-busy", {}).get("fix", ""),
               "each in this machine's terms: the device's driver, the group's node", f)

        clean = os.path.join(root, "srv/clean.log")
        open(clean, "w").write("2024-05-03 10:00:00.000+0000: starting up libvirt version: 9.0.0\n")
        p, doc = doctor(root, "--log", "/srv/clean.log")
        tap.ok(p.returncode == 0 and "No failure vfio-setup knows" in p.stdout, "a clean log: says so, exit 0",
               p.stdout)
        p, _ = doctor(root, "nosuchguest")
        tap.ok(p.returncode == 2 and "no log of nosuchguest" in p.stderr, "a guest with no log: said, exit 2", p.stderr)
        p, _ = doctor(root)
        tap.ok(p.returncode == 1 and "name the guest" in p.stderr, "neither a guest nor a log: usage", p.stderr)

        nv = os.path.join(tmp, "nvidia")
        roots.build(MKROOT, "debian12-grub", "hw-amd-nvidia", nv)
        write(nv, "var/log/libvirt/qemu/g.log", "2024-05-03 10:00:00.000+0000: starting up\n")
        write(nv, "etc/libvirt/qemu/g.xml", NVIDIA_DOMAIN.format(name="g", hidden=""))
        p, doc = doctor(nv, "g", "--json")
        tap.ok("nvidia-code-43" in by_failure(doc) and "R465" in by_failure(doc)["nvidia-code-43"]["cause"],
               "a domain with an NVIDIA GPU that does not hide KVM: Code 43 with drivers before R465", doc)
        write(nv, "etc/libvirt/qemu/g.xml", NVIDIA_DOMAIN.format(name="g", hidden="<kvm><hidden state='on'/></kvm>"))
        p, doc = doctor(nv, "g", "--json")
        tap.ok(p.returncode == 0 and not by_failure(doc), "... and none once it does", doc)
    tap.done()


if __name__ == "__main__":
    main()
