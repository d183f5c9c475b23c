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
    valued = ("--libvirt-domain", "--guest-os", "--iso", "--drivers-iso", "--input")
    selection = [a for i, a in enumerate(args) if a not in valued + ("--installed",)
                 and (i == 0 or args[i - 1] not in valued)]
    plan = json.loads(run_binary(BINARY, "--root", root, "plan", "--no-trial", *selection, "--json").stdout or "{}")
    if not tap.ok(p.returncode == 0, f"{what}: printed", p.stderr):
        return None, plan, ("", "")
    shown = validate(tap, p.stdout, what)
    return ET.fromstring(p.stdout), plan, shown


def targets(dom):
    return [t.get("dev") for t in dom.findall("devices/disk/target")]


def install_form(tap, dom, bus, video, iso, drivers, what):
    """The install's domain: the installer (and the drivers) on SATA CD-ROMs, the installer first to boot, then the
    system disk on the bus the installer can drive; a SPICE display with a tablet and keyboard beside the GPU."""
    disks = dom.findall("devices/disk")
    system = [d for d in disks if d.get("device") == "disk" and d.find("source").get("file")]
    cds = [d for d in disks if d.get("device") == "cdrom"]
    order = {d.find("source").get("file") or d.find("source").get("dev"): d.find("boot").get("order")
             for d in disks if d.find("boot") is not None}
    tap.ok(len(system) == 1 and system[0].find("target").get("bus") == bus and
           [c.find("source").get("file") for c in cds] == [iso] + ([drivers] if drivers else []) and
           all(c.find("target").get("bus") == "sata" and c.find("readonly") is not None for c in cds) and
           order.get(iso) == "1" and order.get(system[0].find("source").get("file")) == "2" and
           dom.find("os/boot") is None and len(set(targets(dom))) == len(targets(dom)),
           f"{what}: the installer on a SATA CD-ROM boots first, then the system disk on {bus}; "
           "every disk on a target of its own", ET.tostring(dom.find("devices"))[:1500])
    tap.ok(dom.find("devices/graphics").get("type") == "spice" and dom.find("devices/video/model").get("type") == video
           and sorted(i.get("type") for i in dom.findall("devices/input") if i.get("bus") == "usb") ==
           ["keyboard", "tablet"] and hostdevs(dom),
           f"{what}: for the install a SPICE display ({video}), a USB tablet and keyboard, beside the GPU",
           ET.tostring(dom.find("devices"))[:1500])


def media_and_inputs(tap, tmp, root, transcript):
    """--iso and --drivers-iso (they must be there), then --installed with the host's keyboard and mouse."""
    images = os.path.join(root, "srv/iso")
    os.makedirs(images, exist_ok=True)
    for f in ("win11.iso", "virtio-win.iso"):
        open(os.path.join(images, f), "w").close()
    by_id = os.path.join(root, "dev/input/by-id")
    os.makedirs(by_id, exist_ok=True)
    for n, name in ((3, "usb-Logitech_USB_Keyboard-event-kbd"), (5, "usb-Logitech_G203-event-mouse")):
        open(os.path.join(root, f"dev/input/event{n}"), "w").close()
        os.symlink(f"../event{n}", os.path.join(by_id, name))
    kbd, mouse = "/dev/input/by-id/usb-Logitech_USB_Keyboard-event-kbd", "/dev/input/by-id/usb-Logitech_G203-event-mouse"
    gpu = ["--gpu", "03:00.0", "--libvirt-domain", "win"]
    dom, plan, shown = domain(tap, root, gpu + ["--iso", "/srv/iso/win11.iso", "--drivers-iso", "/srv/iso/virtio-win.iso"],
                              "Windows with its installer and virtio-win")
    transcript.append(shown)
    if dom is not None:
        install_form(tap, dom, "virtio", "qxl", "/srv/iso/win11.iso", "/srv/iso/virtio-win.iso",
                     "Windows with virtio-win")
        tap.ok(dom.find("devices/interface/model").get("type") == "virtio",
               "with virtio-win the network is virtio too", ET.tostring(dom.find("devices/interface")))
    for args, why, what in [
            (["--iso", "/srv/iso/none.iso"], "--iso /srv/iso/none.iso: no such file", "an installer that is not there"),
            (["--iso", "srv/iso/win11.iso"], "absolute path", "a relative installer path"),
            (["--installed"], "--input /dev/input/by-id/NAME", "--installed without the keyboard and mouse"),
            (["--installed", "--input", "/dev/input/event3"], "not a device of /dev/input/by-id", "--input not by id"),
            (["--installed", "--iso", "/srv/iso/win11.iso"], "--installed has no installer", "--installed with --iso"),
            (["--input", kbd], "--input is for the installed domain", "--input without --installed")]:
        p = run_binary(BINARY, "--root", root, "plan", "--no-trial", *gpu, *args)
        tap.ok(p.returncode == 1 and why in p.stderr and p.stdout == "", f"{what}: refused, saying so", p.stderr)
    p = run_binary(BINARY, "--root", root, "plan", "--no-trial", *gpu, "--installed")
    tap.ok(kbd in p.stderr and mouse in p.stderr, "--installed without input names the keyboards and mice here",
           p.stderr)
    p = run_binary(BINARY, "--root", root, "plan", "--no-trial", "--gpu", "03:00.0", "--iso", "/srv/iso/win11.iso")
    tap.ok(p.returncode == 1 and "--libvirt-domain" in p.stderr, "--iso without --libvirt-domain: refused", p.stderr)

    dom, plan, shown = domain(tap, root, gpu + ["--installed", "--drivers-iso", "/srv/iso/gone.iso", "--input", kbd,
                                                "--input", mouse], "the installed Windows domain")
    transcript.append(shown)
    if dom is not None:
        evdev = {i.find("source").get("dev"): i.find("source").attrib for i in dom.findall("devices/input")
                 if i.get("type") == "evdev"}
        tap.ok(set(evdev) == {kbd, mouse} and evdev[kbd].get("grab") == "all" and
               evdev[kbd].get("grabToggle") == "ctrl-ctrl" and evdev[kbd].get("repeat") == "on" and
               "grab" not in evdev[mouse],
               "installed: the keyboard and mouse by evdev, the keyboard grabbing both, toggled by both Ctrl keys",
               evdev)
        tap.ok(dom.find("devices/graphics") is None and dom.find("devices/video/model").get("type") == "none" and
               not dom.findall("devices/disk[@device='cdrom']") and dom.find("os/boot").get("dev") == "hd" and
               [t.get("bus") for t in dom.findall("devices/disk/target")] == ["virtio"] and
               not [i for i in dom.findall("devices/input") if i.get("type") == "tablet"],
               "installed: no emulated display, no media, no tablet; the system disk on virtio as installed "
               "(the drivers ISO may be gone by now)", ET.tostring(dom.find("devices"))[:1500])
    ws = os.path.join(tmp, "lg")
    subprocess.run([MKROOT, os.path.join(DATA, "samples", "workstation.card"), ws], check=True)
    dom, plan, shown = domain(tap, ws, ["--gpu", "4a:00.0", "--goal", "looking-glass", "--lg-user", "alex",
                                        "--disk", "nvme1n1", "--libvirt-domain", "guest", "--installed"],
                              "the installed domain with Looking Glass")
    if dom is not None:
        inputs = [(i.get("type"), i.get("bus")) for i in dom.findall("devices/input")]
        tap.ok(dom.find("devices/graphics").get("type") == "spice" and ("mouse", "ps2") in inputs and
               not [t for t, _ in inputs if t == "tablet"] and dom.find("devices/video/model").get("type") == "none",
               "installed with Looking Glass: the SPICE channel its client sends input over, a mouse and no tablet, "
               "no emulated display", inputs)
    dom, plan, shown = domain(tap, ws, ["--gpu", "4a:00.0", "--goal", "storage", "--disk", "nvme1n1",
                                        "--libvirt-domain", "guest"], "the install's domain with a passed disk")
    if dom is not None:
        tap.ok(len(set(targets(dom))) == len(targets(dom)) == 3,
               "the storage goal's disk after the system disk and the installer, on a target of its own", targets(dom))


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
                   dom.find("devices/interface/model").get("type") == "e1000e" and
                   dom.find("devices/memballoon").get("model") == "none",
                   "TPM 2.0, Hyper-V enlightenments, a network Windows has a driver for, no balloon")
            install_form(tap, dom, "sata", "qxl", "/var/lib/libvirt/images/guest-installer.iso", None,
                         "Windows, no media named")
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
        if dom is not None:
            install_form(tap, dom, "virtio", "virtio", "/var/lib/libvirt/images/guest-installer.iso", None,
                         "Linux, no media named")
        media_and_inputs(tap, tmp, root, transcript)
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
