#!/usr/bin/env python3
"""What the host keeps: a plan takes the card's functions and nothing else of its slot, binds
by id only where no other device has the id, and leaves the host the devices it needs.
Usage: host.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest.fakesys import FakeSys  # noqa: E402
from vstest import Tap, card_tree, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]


def run(*args, env=None):
    return run_binary(BINARY, *args, env=env)


def fixture(tmp, name):
    root = os.path.join(tmp, name)
    if not os.path.exists(root):
        card_tree(MKROOT, name, root)
    return root


def plan(root, *args):
    p = run("--root", root, "plan", "--no-trial", "--json", *args)
    try:
        doc = json.loads(p.stdout) if p.stdout.strip() else None
    except ValueError:
        doc = None
    return p, doc


def companions(tap, tmp):
    """An APU's slot: the iGPU takes its HDMI audio, never the SoC's security processor and USB."""
    root = fixture(tmp, "amd-am5-apu")
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    igpu = next(g for g in det["gpus"] if g["address"] == "0000:12:00.0")
    tap.ok(igpu["companions"] == ["0000:12:00.1"] and igpu["vfio_ids"] == ["1002:15bf", "1002:1640"]
           and igpu["blockers"] == [] and igpu["passthrough_ok"],
           "APU: the iGPU's companions are its HDMI audio alone; the platform's functions are not the card's", igpu)
    p, doc = plan(root, "--gpu", "12:00.0")
    text = json.dumps(doc)
    tap.ok(p.returncode == 0 and doc["devices"] == ["0000:12:00.0", "0000:12:00.1"] and "1022:" not in text,
           "APU: the plan binds the iGPU and its audio, and no id of the SoC's (1022:...)", p.stderr or doc)
    groups = json.loads(run("--root", root, "groups", "--gpus", "--json").stdout)
    shown = {d["address"] for g in groups["groups"] for d in g["devices"]}
    tap.ok("0000:12:00.3" not in shown and "0000:12:00.1" in shown,
           "APU: groups --gpus shows the card's groups, not the platform's", sorted(shown))
    text = run("--root", root, "--no-color", "detect").stdout
    tap.ok("0000:12:00.3  group 8    [0c03] 1022:15b9  Device 15b9  driver xhci_hcd  the platform's, stays" in text,
           "APU: detect names the slot's platform functions as staying with the host", text)

    # With the IOMMU off the groups are unknown: the slot's functions count as the card's, and the plan
    # holds back what the host needs there until the IOMMU is on.
    off = os.path.join(tmp, "apu-iommu-off")
    card = open(os.path.join(TESTS, "fixtures", "amd-am5-apu.card")).read().replace("# cpu: amd\n",
                                                                                  "# cpu: amd\n# kernel-iommu: no\n")
    card = "\n".join(line.split(" ", 3)[3] if line.startswith("IOMMU Group ") else line for line in card.splitlines())
    with open(os.path.join(tmp, "apu-off.card"), "w") as f:
        f.write(card + "\n")
    if not os.path.exists(os.path.join(tmp, "files")):
        os.symlink(os.path.join(os.path.abspath(TESTS), "fixtures", "files"), os.path.join(tmp, "files"))
    subprocess.run([MKROOT, os.path.join(tmp, "apu-off.card"), off], check=True)
    det = json.loads(run("--root", off, "detect", "--json").stdout)
    igpu = next(g for g in det["gpus"] if g["address"] == "0000:12:00.0")
    p, doc = plan(off, "--gpu", "12:00.0")
    tap.ok(len(igpu["companions"]) == 4 and p.returncode == 2 and "0000:12:00.2, a function of the slot of GPU "
           "0000:12:00.0 by another vendor, is the platform's security processor" in p.stderr and
           "Turn the IOMMU on first" in p.stderr,
           "APU, IOMMU off: the slot's functions may share the group; the plan holds back the security processor",
           (igpu["companions"], p.stderr))

    # The companion's group holds the platform's security processor: a blocker, named.
    root = fixture(tmp, "limine-amd-iommu-on")
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    igpu = next(g for g in det["gpus"] if g["address"] == "0000:10:00.0")
    tap.ok(igpu["companions"] == ["0000:10:00.1"] and igpu["blockers"] == ["0000:10:00.2"] and not igpu["group_clean"],
           "a companion's group holding the platform's function: a blocker, not a companion", igpu)
    p, doc = plan(root, "--gpu", "10:00.0", "--allow-boot-vga")
    tap.ok(p.returncode == 2 and "0000:10:00.2" in p.stderr and doc is not None and doc.get("ok") is False,
           "... and the plan refuses it, naming the blocker", p.stderr)


def ids_match_only_passed(tap, tmp):
    """No id bound by vfio-pci.ids matches a device the plan does not pass, on any fixture."""
    bad, plans = [], 0
    for card in sorted(glob.glob(os.path.join(TESTS, "fixtures", "*.card"))):
        name = os.path.basename(card)[:-5]
        root = fixture(tmp, name)
        det = json.loads(run("--root", root, "detect", "--json").stdout)
        ids = {d["address"]: f"{d['vendor_id']}:{d['device_id']}" for d in det["devices"]}
        for g in det["gpus"]:
            p, doc = plan(root, "--gpu", g["address"], "--allow-boot-vga", "--allow-dirty-group")
            if p.returncode != 0:
                continue
            plans += 1
            for addr, i in ids.items():
                if i in doc["vfio_ids"] and addr not in doc["devices"]:
                    bad.append(f"{name} {g['address']}: {addr} has {i}")
    tap.ok(plans >= 20 and not bad, f"{plans} plans: every id bound by id belongs to passed devices only", bad)


def write(root, rel, text):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def acs_override(tap, tmp):
    """Groups an ACS override made up are said to be the override's everywhere, claimed or proven."""
    root = fixture(tmp, "acs-override")
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    tap.ok(det["iommu"]["acs_override"] == "in-use" and "PCIe ACS overrides enabled" in det["iommu"]["acs_evidence"],
           "ACS override: the kernel log proves it in use", det["iommu"])
    gpu = next(g for g in det["gpus"] if g["address"] == "0000:04:00.0")
    tap.ok(gpu["passthrough_ok"] and any("ACS override" in r for r in gpu["reasons"]),
           "... the GPU's verdict says its group is the override's", gpu)
    groups = json.loads(run("--root", root, "groups", "--json").stdout)
    text = run("--root", root, "--no-color", "groups").stdout
    verdicts = [line for line in text.splitlines() if line.startswith("IOMMU group")]
    tap.ok(groups["acs_override"]["state"] == "in-use" and verdicts and
           all("ACS override" in v for v in verdicts) and text.startswith("ACS override:"),
           "... groups: a note first, and every group's verdict names the override", text)
    p, doc = plan(root, "--gpu", "04:00.0")
    tap.ok(p.returncode == 0 and any(w.startswith("ACS override:") and "not the hardware's isolation" in w
                                     for w in doc["warnings"]), "... the plan warns", p.stderr or doc["warnings"])
    v = json.loads(run("--root", root, "verify", "--gpu", "04:00.0", "--json").stdout)
    tap.ok(any("ACS override" in n for n in v["notes"]), "... and verify notes it", v)
    text = run("--root", root, "--no-color", "detect").stdout
    tap.ok("ACS override: the kernel log says" in text and "04:00.0: its IOMMU group comes from the ACS override" in text,
           "... detect says it under the firmware and the GPU", text)

    # The parameter alone: the kernel's symbols decide, or it is only claimed.
    os.remove(os.path.join(root, "dev/kmsg"))
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    tap.ok(det["iommu"]["acs_override"] == "in-use" and "carries the override patch" in det["iommu"]["acs_evidence"],
           "the parameter on a kernel whose symbols have the patch: in use", det["iommu"])
    write(root, "proc/kallsyms", "0000000000000000 T pci_enable_device\n" * 1000)
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    groups = run("--root", root, "--no-color", "groups").stdout
    tap.ok(det["iommu"]["acs_override"] == "ignored" and not any("ACS override" in r for g in det["gpus"] for r in g["reasons"])
           and "ACS override" not in groups, "the parameter on a kernel without the patch: ignored, groups are the hardware's",
           det["iommu"])
    os.remove(os.path.join(root, "proc/kallsyms"))
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    p, doc = plan(root, "--gpu", "04:00.0")
    tap.ok(det["iommu"]["acs_override"] == "claimed" and
           any("claimed, not proven" in r for g in det["gpus"] for r in g["reasons"]) and
           any(w.startswith("ACS override:") for w in doc["warnings"]),
           "the parameter with no way to tell: claimed, not proven, and warned about", det["iommu"])
    # Mainline's pci=config_acs= (Linux 6.11 and later) sets ACS by hand.
    cmdline = open(os.path.join(root, "proc/cmdline")).read().replace("pcie_acs_override=downstream,multifunction",
                                                                        "pci=noaer,config_acs=xx1x@pci:0:0")
    write(root, "proc/cmdline", cmdline)
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    tap.ok(det["iommu"]["acs_override"] == "in-use" and "config_acs" in det["iommu"]["acs_evidence"],
           "pci=config_acs= on Linux 6.12: in use", det["iommu"])
    write(root, "proc/sys/kernel/osrelease", "6.8.0-45-generic\n")
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    tap.ok(det["iommu"]["acs_override"] == "ignored", "pci=config_acs= on Linux 6.8: ignored", det["iommu"])


def shared_drivers(tap, tmp):
    """A driver built into the kernel, or one the host's devices need, is never blacklisted: the device
    it would hold is taken back once the real root is up, and the host's devices keep it."""
    # The RTX 2070's USB-C controller, on a kernel that builds xhci_pci in (as Fedora's do).
    root = os.path.join(tmp, "builtin-xhci")
    shutil.copytree(fixture(tmp, "intel-z390-igpu-rtx2070"), root, symlinks=True)
    with open(os.path.join(root, "lib/modules/6.8.0-49-generic/modules.builtin"), "a") as f:
        f.write("kernel/drivers/usb/host/xhci-pci.ko\nkernel/drivers/nvme/host/nvme.ko\n")
    write(root, "usr/lib/systemd/systemd", "")
    p, doc = plan(root, "--gpu", "01:00.0")
    files = {f["path"]: f["content"] for f in (doc or {}).get("files", [])}
    script = files.get("/etc/vfio-setup/vfio-pci-takeback.sh") or ""
    unit = files.get("/etc/systemd/system/vfio-setup-takeback.service") or ""
    tap.ok(p.returncode == 0 and 'devices="0000:01:00.2"' in script and "ExecStart=/bin/sh /etc/vfio-setup/vfio-pci-takeback.sh"
           in unit and "Wants=vfio-setup-takeback.service" in files.get(
               "/etc/systemd/system/sysinit.target.d/vfio-setup-takeback.conf", "") and
           any("xhci_pci is built into the kernel 6.8.0-49-generic" in w for w in doc["warnings"]),
           "xhci_pci built in: the USB-C controller is taken back by a service early in the boot, and the plan says why",
           p.stderr or sorted(files))
    path = os.path.join(tmp, "takeback.sh")
    with open(path, "w") as f:
        f.write(script)
    checks = [subprocess.run(["sh", "-n", path], capture_output=True, text=True)]
    if shutil.which("shellcheck"):
        checks.append(subprocess.run(["shellcheck", path], capture_output=True, text=True))
    tap.ok(all(c.returncode == 0 for c in checks), "the script: sh -n and shellcheck", [c.stdout + c.stderr for c in checks])

    fake = FakeSys(os.path.join(tmp, "takeback-sys"), {"0000:01:00.2": "xhci_hcd", "0000:00:14.0": "xhci_hcd"})
    run_it = fake.adapt(script, "takeback")
    r = fake.run(run_it)
    tap.ok(r.returncode == 0 and fake.driver("0000:01:00.2") == "vfio-pci" and fake.driver("0000:00:14.0") == "xhci_hcd" and
           r.log == ["modprobe vfio-pci", "write bus/pci/devices/0000:01:00.2/driver_override vfio-pci",
                     "write bus/pci/drivers/xhci_hcd/unbind 0000:01:00.2", "write bus/pci/drivers_probe 0000:01:00.2"],
           "run on a fake sysfs: the passed controller goes to vfio-pci, the host's stays with xhci_hcd", r.log + [r.stderr])
    r = fake.run(run_it)
    tap.ok(r.returncode == 0 and r.log == ["modprobe vfio-pci"], "run again: nothing to do, nothing written", r.log)
    fake = FakeSys(os.path.join(tmp, "takeback-nobind"), {"0000:01:00.2": "xhci_hcd"})
    run_it = fake.adapt(script, "takeback")
    r = fake.run(run_it, FAKE_NOBIND="0000:01:00.2")
    tap.ok(r.returncode == 1 and fake.driver("0000:01:00.2") == "xhci_hcd" and "goes back to xhci_hcd" in r.stderr and
           fake.read("bus/pci/devices/0000:01:00.2/driver_override") == "(null)",
           "vfio-pci does not take it: it goes back to its own driver, and the service fails", r.log + [r.stderr])
    fake = FakeSys(os.path.join(tmp, "takeback-blacklisted"), {"0000:01:00.2": "xhci_hcd"})
    run_it = fake.adapt(script, "takeback")
    r = fake.run(run_it, FAKE_MODPROBE_FAILS="1")
    tap.ok(r.returncode == 0 and fake.driver("0000:01:00.2") == "xhci_hcd" and r.log == ["modprobe vfio-pci"],
           "module_blacklist=vfio_pci (modprobe fails): nothing is taken, the boot goes on", r.log + [r.stderr])
    p, doc = plan(root, "--gpu", "01:00.0", "--single-gpu", "win11")
    tap.ok(p.returncode == 0 and not any("takeback" in f["path"] for f in doc["files"]),
           "single-GPU mode binds nothing at boot: no service", p.stderr)

    # rpm-ostree: the image's initramfs; snd_hda_intel also drives the host's GTX 1060 audio.
    root = fixture(tmp, "bazzite-ostree")
    p, doc = plan(root, "--gpu", "0b:00.0")
    params = " ".join(doc["kernel_params"]["add"]) if doc else ""
    script = next((f["content"] for f in doc["files"] if f["path"].endswith("takeback.sh")), "") if doc else ""
    tap.ok(p.returncode == 0 and "rd.driver.blacklist=amdgpu,radeon" in params and "snd_hda_intel" not in params and
           'devices="0000:0b:00.1"' in script,
           "rpm-ostree: a driver the host's devices need is never in rd.driver.blacklist; its device is taken back",
           params + p.stderr)
    # After the boot: the host's audio kept snd_hda_intel, and verify says so.
    apply_root = os.path.join(tmp, "bazzite-booted")
    shutil.copytree(root, apply_root, symlinks=True)
    write(apply_root, "var/lib/vfio-setup/state", "devices=0000:0b:00.0 0000:0b:00.1\nids=1002:73bf 1002:ab28\n")
    v = json.loads(run("--root", apply_root, "verify", "--json").stdout)
    tap.ok(any(c["check"] == "0000:0a:00.1, which the host keeps, stays with snd_hda_intel" and c["ok"] for c in v["checks"]),
           "verify: the host's device that shares the driver kept it", [c["check"] for c in v["checks"]])
    os.unlink(os.path.join(apply_root, "sys/bus/pci/devices/0000:0a:00.1/driver"))
    cmdline = open(os.path.join(apply_root, "proc/cmdline")).read().strip() + " rd.driver.blacklist=snd_hda_intel\n"
    write(apply_root, "proc/cmdline", cmdline)
    v = json.loads(run("--root", apply_root, "verify", "--json").stdout)
    tap.ok(any("0000:0a:00.1, which the host keeps, has no driver: the kernel command line keeps snd_hda_intel" in c["check"]
               and not c["ok"] for c in v["checks"]) and not v["ready"],
           "verify: a blacklist that took the shared driver from the host's device is a problem", [c["check"] for c in v["checks"]])


def screens(tap, tmp):
    """A GPU lighting a screen is a way in when it is the last one: taking one of two leaves the host the other."""
    def card(name, lines):
        path = os.path.join(tmp, name + ".card")
        with open(path, "w") as f:
            f.write("".join(f"# screen: {ln}\n" for ln in lines))
            f.write(open(os.path.join(TESTS, "fixtures", "amd-x570-two-gpus.card")).read())
        root = os.path.join(tmp, name)
        subprocess.run([MKROOT, path, root], check=True, capture_output=True)
        return root

    root = card("screens-both", ["0a:00.0 DP-1", "0b:00.0 HDMI-A-1"])
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    ways = {d["address"]: d["host_ways"] for d in det["devices"] if d["screens"]}
    p, doc = plan(root, "--gpu", "0b:00.0")
    tap.ok(ways == {"0000:0a:00.0": [], "0000:0b:00.0": []} and p.returncode == 0 and doc["devices"][0] == "0000:0b:00.0",
           "screens on both GPUs: passing one leaves the host the other, no confirmation", (ways, p.stderr))
    p = run("--root", root, "plan", "--no-trial", "--gpu", "0a:00.0", "--allow-boot-vga", "--extra", "0b:00.0")
    tap.ok(p.returncode == 2 and "the plan takes every GPU lighting a screen the host shows now (0000:0a:00.0, "
           "0000:0b:00.0): the host would be left with none. Once there is another way in, pass it anyway with "
           "--allow-host-device ADDRESS (0000:0b:00.0)" in p.stderr, "... taking both leaves none: refused until the other is named", p.stderr)
    p, doc = plan(root, "--gpu", "0a:00.0", "--allow-boot-vga", "--extra", "0b:00.0", "--allow-host-device", "0b:00.0",
                  "--allow-dirty-group")
    tap.ok(p.returncode == 0 and any("takes every GPU lighting a screen" in w and "ssh" in w for w in doc["warnings"]),
           "... named, planned, saying how to get back in", p.stderr or doc["warnings"])
    root = card("screens-one", ["0b:00.0 HDMI-A-1"])
    p = run("--root", root, "plan", "--no-trial", "--gpu", "0b:00.0")
    tap.ok(p.returncode == 2 and "0000:0b:00.0 is the only GPU lighting a screen the host shows now (HDMI-A-1)" in
           p.stderr, "the only screen on the GPU to pass (the boot GPU dark): refused by name", p.stderr)
    p, doc = plan(root, "--gpu", "0b:00.0", "--allow-host-device", "0b:00.0")
    tap.ok(p.returncode == 0 and any("its screens go dark" in w for w in doc["warnings"]),
           "... with --allow-host-device, planned with the way back", p.stderr or doc["warnings"])


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        companions(tap, tmp)
        ids_match_only_passed(tap, tmp)
        acs_override(tap, tmp)
        shared_drivers(tap, tmp)
        screens(tap, tmp)
    tap.done()


if __name__ == "__main__":
    main()
