#!/usr/bin/env python3
"""`plan --libvirt-domain NAME`: whole domains for several setups, each validated by libvirt
itself (virt-xml-validate against its schema, `virsh -c test:///default define` through its
parser) and read back: q35 with the OVMF of the distribution's layout found in the tree
(Secure Boot with SMM when that build is there, libvirt's choice when none is), the plan's
devices as hostdevs, Looking Glass's shmem or kvmfr's QEMU arguments, the gaming goal's
memory, hugepages and pinning, the storage goal's disks, TPM and Hyper-V.
Usage: libvirt_domain.py VFIO_SETUP MKROOT TESTS_DIR DATA_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, roots, run_binary  # noqa: E402

BINARY, MKROOT, TESTS, DATA = sys.argv[1:5]
QEMU = "{http://libvirt.org/schemas/domain/qemu/1.0}"


def validate(tap, xml, what):
    with tempfile.NamedTemporaryFile("w", suffix=".xml", delete=False) as f:
        f.write(xml)
    try:
        v = subprocess.run(["virt-xml-validate", f.name, "domain"], capture_output=True, text=True)
        d = subprocess.run(["virsh", "-c", "test:///default", "define", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    tap.ok(v.returncode == 0 and d.returncode == 0 and "defined" in d.stdout,
           f"{what}: virt-xml-validate and virsh define (test driver) take it", v.stdout + v.stderr + d.stdout + d.stderr)
    return (v.stdout + v.stderr).strip(), d.stdout.strip()


def hostdevs(dom):
    out = []
    for a in dom.findall("./devices/hostdev/source/address"):
        out.append("%04x:%02x:%02x.%x" % tuple(int(a.get(k), 16) for k in ("domain", "bus", "slot", "function")))
    return out


def domain(tap, root, args, what):
    p = run_binary(BINARY, "--root", root, "plan", "--no-trial", *args)
    # The same selection as a plan: without the options (and their values) that shape only the domain.
    selection = [a for i, a in enumerate(args) if a not in ("--libvirt-domain", "--guest-os")
                 and args[i - 1 if i else 0] not in ("--libvirt-domain", "--guest-os")]
    plan = json.loads(run_binary(BINARY, "--root", root, "plan", "--no-trial", *selection, "--json").stdout or "{}")
    if not tap.ok(p.returncode == 0, f"{what}: printed", p.stderr):
        return None, plan, ("", "")
    shown = validate(tap, p.stdout, what)
    return ET.fromstring(p.stdout), plan, shown


def main():
    tap = Tap()
    missing = [t for t in ("virt-xml-validate", "virsh", "xmllint") if not shutil.which(t)]
    if missing:
        tap.skip("libvirt domains", "not installed: " + " ".join(missing) +
                 " (Debian: libvirt-clients libxml2-utils; ./test installs them)")
        tap.done()
    transcript = []
    with tempfile.TemporaryDirectory() as tmp:
        root = os.path.join(tmp, "debian")
        roots.build(MKROOT, "debian12-grub", "hw-intel-amd", root)
        dom, plan, shown = domain(tap, root, ["--gpu", "03:00.0", "--libvirt-domain", "guest"], "no OVMF in the tree")
        transcript.append(shown)
        if dom is not None:
            tap.ok(dom.find("os").get("firmware") == "efi" and dom.find("os/type").get("machine") == "q35" and
                   hostdevs(dom) == plan.get("devices") and dom.find("name").text == "guest",
                   "no OVMF: libvirt picks the firmware; q35; the plan's devices as hostdevs", ET.tostring(dom)[:600])
            tap.ok(dom.find("devices/tpm/backend").get("version") == "2.0" and
                   dom.find("features/hyperv").get("mode") == "custom" and
                   dom.find("devices/disk/target").get("bus") == "virtio" and
                   dom.find("devices/interface/model").get("type") == "virtio" and
                   dom.find("devices/memballoon").get("model") == "none",
                   "TPM 2.0, Hyper-V enlightenments, a virtio disk and network to fill in, no balloon")
            tap.ok(dom.find("clock").get("offset") == "localtime" and
                   dom.find("clock/timer[@name='hypervclock']").get("present") == "yes",
                   "a Windows guest by default: its clock in local time, the Hyper-V clock")
        dom, plan, shown = domain(tap, root, ["--gpu", "03:00.0", "--libvirt-domain", "guest", "--guest-os", "linux"],
                                  "a Linux guest")
        if dom is not None:
            tap.ok(dom.find("features/hyperv") is None and dom.find("clock").get("offset") == "utc" and
                   dom.find("clock/timer[@name='hypervclock']") is None and
                   dom.find("devices/tpm/backend").get("version") == "2.0" and hostdevs(dom) == plan.get("devices"),
                   "--guest-os linux: no Hyper-V enlightenments nor clock, the clock in UTC; TPM and hostdevs as for "
                   "Windows", ET.tostring(dom)[:900])
        p = run_binary(BINARY, "--root", root, "plan", "--no-trial", "--gpu", "03:00.0", "--libvirt-domain", "x", "--guest-os", "macos")
        tap.ok(p.returncode == 1 and "--guest-os macos: windows or linux" in p.stderr, "--guest-os of another system: "
               "refused, names the two", p.stderr)
        p = run_binary(BINARY, "--root", root, "plan", "--no-trial", "--gpu", "03:00.0", "--guest-os", "linux")
        tap.ok(p.returncode == 1 and "--libvirt-domain" in p.stderr and p.stdout == "",
               "--guest-os without --libvirt-domain: refused", p.stderr)
        for layout, code, vars_, secure in [
                ("Debian (Secure Boot)", "usr/share/OVMF/OVMF_CODE_4M.ms.fd", "usr/share/OVMF/OVMF_VARS_4M.ms.fd", True),
                ("Fedora", "usr/share/edk2/ovmf/OVMF_CODE.fd", "usr/share/edk2/ovmf/OVMF_VARS.fd", False),
                ("Arch (Secure Boot)", "usr/share/edk2/x64/OVMF_CODE.secboot.4m.fd", "usr/share/edk2/x64/OVMF_VARS.4m.fd",
                 True),
                ("openSUSE", "usr/share/qemu/ovmf-x86_64-4m-code.bin", "usr/share/qemu/ovmf-x86_64-4m-vars.bin", False)]:
            tree = os.path.join(tmp, layout.split()[0])
            roots.build(MKROOT, "debian12-grub", "hw-intel-amd", tree)
            for f in (code, vars_):
                os.makedirs(os.path.dirname(os.path.join(tree, f)), exist_ok=True)
                open(os.path.join(tree, f), "w").close()
            dom, plan, shown = domain(tap, tree, ["--gpu", "03:00.0", "--libvirt-domain", "guest"], f"OVMF of {layout}")
            if dom is None:
                continue
            loader, nvram = dom.find("os/loader"), dom.find("os/nvram")
            tap.ok(loader is not None and loader.text == "/" + code and nvram.get("template") == "/" + vars_ and
                   (loader.get("secure") == "yes") == secure and (dom.find("features/smm") is not None) == secure,
                   f"OVMF of {layout}: its code and variables template" + (", Secure Boot and SMM" if secure else ""),
                   ET.tostring(dom.find("os")))

        ws = os.path.join(tmp, "workstation")
        subprocess.run([MKROOT, os.path.join(DATA, "samples", "workstation.card"), ws], check=True)
        args = ["--gpu", "4a:00.0", "--goal", "gaming", "--vm-memory", "16G", "--goal", "looking-glass",
                "--lg-user", "alex", "--disk", "nvme1n1", "--libvirt-domain", "guest"]
        dom, plan, shown = domain(tap, ws, args, "the workstation with gaming, Looking Glass and a disk")
        transcript.append(shown)
        if dom is not None:
            pins = dom.findall("cputune/vcpupin")
            tap.ok(dom.find("memory").text == "16384" and dom.find("memoryBacking/hugepages/page") is not None and
                   len(pins) == int(dom.find("vcpu").text) == len(plan.get("gaming", {}).get("guest_cpus", pins)),
                   "gaming: the memory, its hugepages, one pin per vCPU", ET.tostring(dom)[:800])
            tap.ok(dom.find("devices/shmem/model").get("type") == "ivshmem-plain" and
                   [d.get("dev") for d in dom.findall("devices/disk/source") if d.get("dev")] == plan.get("disks") and
                   hostdevs(dom) == plan.get("devices"),
                   "Looking Glass's shmem, the storage goal's disk, the hostdevs", ET.tostring(dom.find("devices"))[:1500])
        dom, plan, shown = domain(tap, ws, ["--gpu", "4a:00.0", "--goal", "looking-glass", "--lg-user", "alex",
                                            "--lg-kvmfr", "--libvirt-domain", "guest"], "Looking Glass through kvmfr")
        if dom is not None:
            args = [a.get("value") for a in dom.findall(f"{QEMU}commandline/{QEMU}arg")]
            tap.ok(dom.find("devices/shmem") is None and any("/dev/kvmfr0" in a for a in args),
                   "kvmfr: QEMU's arguments in the qemu namespace, no shmem", args)
        p = run_binary(BINARY, "--root", root, "plan", "--no-trial", "--gpu", "03:00.0", "--libvirt-domain", "a/b")
        tap.ok(p.returncode == 1 and "--libvirt-domain a/b" in p.stderr, "a name with a slash: refused", p.stderr)
        p = run_binary(BINARY, "--root", root, "plan", "--no-trial", "--gpu", "03:00.0", "--libvirt-domain", "x", "--json")
        tap.ok(p.returncode == 1 and "give one" in p.stderr, "--libvirt-domain with --json: refused", p.stderr)
    tap.comment(["libvirt's word on two of them:"] + [line for pair in transcript for line in pair])
    tap.done()


if __name__ == "__main__":
    main()
