#!/usr/bin/env python3
"""Trial boots: a first setup is started once from an entry of its own, and committed or undone.

On GRUB (debian12-grub) and systemd-boot (debian12-systemd-boot) fake roots, with stand-ins for
update-grub, update-initramfs, grub-editenv and bootctl that change the root as the real tools do:
- the plan leaves the default entry's line and drivers alone: no drop-in, no ids in modprobe.d,
  the booted entry untouched; the parameters (ids on the line, the trial marker) are the trial's;
- GRUB's trial script, run by sh and bash with a 10_linux stand-in, prints the first entry once
  more, renamed, with the parameters replacing those of the same name, and no savedefault;
- apply arms the one-time boot (grubenv's next_entry, LoaderEntryOneShot); verify says the trial
  is waiting, did not come up, or is this boot; commit writes what a direct apply writes and ends
  the trial; undo goes back to the trial, and again to the machine as it was;
- trial arms it again without changing a file; the by-address script binds only on the trial's
  line; chains without a one-time boot, and machines where it would not stay one-time, are
  refused with the reason and --no-trial.
Usage: trial.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, in_root, roots, stand_ins  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
GPU = "0000:03:00.0"
MARK = "vfio_setup.trial=1"
EFIVARS = "sys/firmware/efi/efivars"
GUID = "4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
ENTRIES = "boot/efi/loader/entries"
BOOTED = "4f1c2b3a5d6e7f8091a2b3c4d5e6f708-6.1.0-26-amd64.conf"
SCRIPT = "etc/grub.d/45_vfio-setup-trial"

# What 10_linux prints, abridged: the default entry first, then the submenu of the others.
TEN_LINUX = r"""#!/bin/sh
cat <<EOT
function gfxmode {
	set gfxpayload="\${1}"
}
menuentry 'Debian GNU/Linux' --class debian --class gnu-linux --class os \$menuentry_id_option 'gnulinux-simple-0b7d' {
	load_video
	savedefault
	insmod ext2
	echo	'Loading Linux 6.1.0-26-amd64 ...'
	linux	/boot/vmlinuz-6.1.0-26-amd64 root=UUID=0b7d ro ${GRUB_CMDLINE_LINUX} ${GRUB_CMDLINE_LINUX_DEFAULT}
	initrd	/boot/initrd.img-6.1.0-26-amd64
}
submenu 'Advanced options for Debian GNU/Linux' \$menuentry_id_option 'gnulinux-advanced-0b7d' {
	menuentry 'Debian GNU/Linux, with Linux 6.1.0-26-amd64' --class debian \$menuentry_id_option 'gnulinux-6.1.0-26-amd64-advanced-0b7d' {
		linux	/boot/vmlinuz-6.1.0-26-amd64 root=UUID=0b7d ro ${GRUB_CMDLINE_LINUX} ${GRUB_CMDLINE_LINUX_DEFAULT}
	}
}
EOT
"""


def run(root, commands, *args):
    return in_root(BINARY, root, *args, commands=commands)


def read(root, rel):
    path = os.path.join(root, rel)
    return open(path, errors="replace").read() if os.path.exists(path) else None


def efivar(root, name):
    data = read_bytes(os.path.join(root, EFIVARS, f"{name}-{GUID}"))
    return data[4:].decode("utf-16-le").rstrip("\0") if data is not None else None


def read_bytes(path):
    return open(path, "rb").read() if os.path.exists(path) else None


def set_efivar(root, name, data):
    path = os.path.join(root, EFIVARS, f"{name}-{GUID}")
    if data is None:
        if os.path.exists(path):
            os.unlink(path)
        return
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(struct.pack("<I", 7) + data)


def grubenv(root):
    text = read(root, "boot/grub/grubenv") or ""
    return dict(line.split("=", 1) for line in text.splitlines() if "=" in line and not line.startswith("#"))


def boot_with(root, line):
    """The next boot, as the fake root shows it: its command line."""
    with open(os.path.join(root, "proc/cmdline"), "w") as f:
        f.write(line + "\n")


def build(tmp, distro, name):
    root = os.path.join(tmp, name)
    shutil.rmtree(root, ignore_errors=True)
    roots.build(MKROOT, distro, "hw-intel-amd", root)
    return root


def default_untouched(tap, chain, root, before, plan_text):
    after = roots.machine_tree(root)
    changed = sorted(roots.differences(before, after))
    touched = [c for c in changed if c in ("etc/default/grub", "etc/default/grub.d/vfio-setup.cfg", "etc/kernel/cmdline",
                                           f"{ENTRIES}/{BOOTED}")]
    tap.ok(not touched, f"{chain}: the trial leaves the default entry's line where it is", touched)
    modprobe = read(root, "etc/modprobe.d/vfio-setup.conf") or ""
    tap.ok("options vfio-pci ids=" not in modprobe and "softdep amdgpu pre: vfio-pci" in modprobe,
           f"{chain}: modprobe.d has no ids (the trial's line has them), only the order of the drivers", modprobe)
    state = read(root, "var/lib/vfio-setup/state") or ""
    tap.ok("trial=" in state and MARK in state and "\nparams=" not in state,
           f"{chain}: the state records the trial's parameters apart from the default line's", state)
    tap.ok("Trial:" in plan_text and "vfio-pci.ids=1002:73bf,1002:ab28" in plan_text,
           f"{chain}: the plan says it is a trial, with the ids on the trial's line", plan_text[:600])


def grub_script(tap, root):
    """The script as grub-mkconfig runs it, beside a 10_linux stand-in, under sh and bash."""
    script = read(root, SCRIPT)
    with tempfile.TemporaryDirectory() as d:
        for name, text in (("45_vfio-setup-trial", script), ("10_linux", TEN_LINUX)):
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(d, name), 0o755)
        env = dict(os.environ, GRUB_CMDLINE_LINUX="intel_iommu=off rd.driver.blacklist=nouveau",
                   GRUB_CMDLINE_LINUX_DEFAULT="quiet vfio_pci.ids=10de:1234")
        for shell in ("sh", "bash"):
            p = subprocess.run([shell, os.path.join(d, "45_vfio-setup-trial")], capture_output=True, text=True, env=env)
            out = p.stdout
            linux = [w for line in out.splitlines() if line.strip().startswith("linux") for w in line.split()]
            tap.ok(p.returncode == 0 and out.count("menuentry ") == 1 and "submenu" not in out
                   and "menuentry 'vfio-setup trial: Debian GNU/Linux'" in out
                   and "$menuentry_id_option 'vfio-setup-trial' {" in out and "savedefault" not in out
                   and out.rstrip().endswith("}"),
                   f"GRUB: under {shell} the trial script prints the default entry once more as 'vfio-setup trial', "
                   "without savedefault", out + p.stderr)
            tap.ok("intel_iommu=on" in linux and "intel_iommu=off" not in linux and MARK in linux
                   and "vfio-pci.ids=1002:73bf,1002:ab28" in linux and "vfio_pci.ids=10de:1234" not in linux
                   and "rd.driver.blacklist=nouveau" in linux and "quiet" in linux,
                   f"GRUB: under {shell} its line has the setup's parameters in place of those of the same name, and "
                   "the rest of the default line", linux)
    if shutil.which("shellcheck"):
        p = subprocess.run(["shellcheck", "-s", "sh", "-"], input=script, capture_output=True, text=True)
        tap.ok(p.returncode == 0, "GRUB: shellcheck finds nothing in the trial script", p.stdout[-1500:])


def same_again(tap, root, commands, chain, when):
    """apply of the same setup: the trial is in place, so nothing is made or armed again."""
    journal = sorted(os.listdir(os.path.join(root, "var/lib/vfio-setup/journal")))
    a = run(root, commands, "apply", "--gpu", GPU, "--yes", "--json")
    doc = json.loads(a.stdout) if a.stdout.strip() else {}
    tap.ok(a.returncode == 0 and doc.get("changed") is False and not doc.get("commands") and
           sorted(os.listdir(os.path.join(root, "var/lib/vfio-setup/journal"))) == journal,
           f"{chain}: apply of the same setup {when} changes and runs nothing", a.stdout[-800:] + a.stderr[-800:])


def iommu_off(root):
    """The default entry, and so this boot, turn the IOMMU off: the trial's line removes that."""
    entry = os.path.join(root, ENTRIES, BOOTED)
    text = open(entry).read().replace("options    root=UUID=0a4b6c1e-2d3f-4a5b-9c8d-7e6f5a4b3c2d ro quiet",
                                      "options    root=UUID=0a4b6c1e-2d3f-4a5b-9c8d-7e6f5a4b3c2d ro quiet intel_iommu=off")
    open(entry, "w").write(text)
    boot_with(root, read(root, "proc/cmdline").strip() + " intel_iommu=off")


def cycle(tap, tmp, chain, armed, disarm, trial_line, prepare=None):
    """apply -> (power cycle) verify says not up -> trial again -> the trial's boot: verify --commit -> undo -> undo."""
    root = build(tmp, chain, chain)
    if prepare:
        prepare(root)
    commands = os.path.join(tmp, f"cmd-{chain}")
    stand_ins(commands)
    before = roots.machine_tree(root)
    first_line = read(root, "proc/cmdline").strip()

    p = run(root, commands, "plan", "--gpu", GPU)
    plan_text = p.stdout
    a = run(root, commands, "apply", "--gpu", GPU, "--yes")
    tap.ok(a.returncode == 0 and "The next boot is a trial" in a.stdout and "power the machine off and on" in a.stdout,
           f"{chain}: apply makes a trial and says how to get back", a.stdout[-800:] + a.stderr)
    tap.ok(armed(root), f"{chain}: the next boot, and only it, starts the trial's entry")
    default_untouched(tap, chain, root, before, plan_text)
    if chain.endswith("grub"):
        grub_script(tap, root)
    same_again(tap, root, commands, chain, "with the trial armed")
    v = run(root, commands, "verify", "--json")
    doc = json.loads(v.stdout) if v.stdout.strip() else {}
    tap.ok(doc.get("trial") == "waiting" and doc.get("ready") is False and armed(root),
           f"{chain}: before the reboot verify says the trial waits for it, not ready", v.stdout[-800:])

    # The boot loader took the one-time flag and the trial did not come up: the default entry started.
    disarm(root)
    v = run(root, commands, "verify", "--json")
    doc = json.loads(v.stdout) if v.stdout.strip() else {}
    tap.ok(v.returncode == 2 and doc.get("trial") == "not-up" and not doc.get("ready"),
           f"{chain}: booted from the default entry, verify says the trial did not come up", v.stdout[-800:])
    v = run(root, commands, "verify")
    tap.ok("vfio-setup undo removes the trial; vfio-setup trial starts it once more" in v.stdout,
           f"{chain}: ... and offers undo or another try", v.stdout)
    d = run(root, commands, "detect")
    tap.ok("trial is pending and this boot is not it" in d.stdout, f"{chain}: detect says so too", d.stdout[-600:])
    c = run(root, commands, "commit", "--yes")
    tap.ok(c.returncode == 0, f"{chain}: commit works from any boot (the user's choice)", c.stderr)
    u = run(root, commands, "undo", "--yes")
    tap.ok(u.returncode == 0 and "trial=" in (read(root, "var/lib/vfio-setup/state") or ""),
           f"{chain}: undo of the commit gives the trial back", u.stderr)
    # That commit made /etc/kernel/cmdline, which its undo leaves: the next is made on the trial's boot.
    if os.path.exists(os.path.join(root, "etc/kernel/cmdline")):
        os.unlink(os.path.join(root, "etc/kernel/cmdline"))

    files_before = roots.machine_tree(root)
    t = run(root, commands, "trial", "--yes")
    after = roots.machine_tree(root)
    changed = [k for k in roots.differences(files_before, after) if not k.startswith("var/lib/vfio-setup/journal")
               and k not in ("boot/grub/grubenv",)]
    tap.ok(t.returncode == 0 and armed(root) and not changed,
           f"{chain}: trial arms the one-time boot again and changes no file of the setup", t.stdout[-600:] + str(changed))

    # The trial's boot: its line carries the parameters and the marker.
    boot_with(root, trial_line(first_line))
    disarm(root)
    same_again(tap, root, commands, chain, "on the trial's boot")
    tap.ok(not armed(root), f"{chain}: ... and arms nothing: the boot after the trial's is the old setup's")
    v = run(root, commands, "verify", "--json")
    doc = json.loads(v.stdout) if v.stdout.strip() else {}
    tap.ok(doc.get("trial") == "booted" and any("this boot is the trial" in c["check"] and c["ok"]
                                                for c in doc.get("checks", [])),
           f"{chain}: on the trial's boot verify says so", v.stdout[-800:])
    c = run(root, commands, "verify", "--commit")
    # The fake sysfs has the devices on their own drivers: the trial's boot is not ready and nothing is committed.
    tap.ok(c.returncode == 2 and "nothing was committed" in c.stderr and "trial=" in read(root, "var/lib/vfio-setup/state"),
           f"{chain}: verify --commit commits nothing while the trial's boot is not ready", c.stderr)
    c = run(root, commands, "commit", "--yes", "--json")
    doc = json.loads(c.stdout) if c.stdout.strip() else {}
    state = read(root, "var/lib/vfio-setup/state") or ""
    tap.ok(c.returncode == 0 and doc.get("ok") and "trial=" not in state and "params=" in state and not armed(root),
           f"{chain}: commit makes the setup the default and ends the trial", c.stderr + state)
    modprobe = read(root, "etc/modprobe.d/vfio-setup.conf") or ""
    tap.ok("options vfio-pci ids=1002:73bf,1002:ab28" in modprobe and not os.path.exists(os.path.join(root, SCRIPT))
           and not os.path.exists(os.path.join(root, ENTRIES, "vfio-setup-trial.conf")),
           f"{chain}: committed, the files are a direct apply's and the trial's entry is gone", modprobe)
    if chain.endswith("systemd-boot"):
        line = read(root, "etc/kernel/cmdline") or ""
        tap.ok(MARK not in line and "vfio-pci.ids" not in line and "intel_iommu=on" in line,
               f"{chain}: the default line made on the trial's boot has the setup but not the trial's own words", line)
    # The commit, the second arming, the trial.
    for n in (1, 2, 3):
        u = run(root, commands, "undo", "--yes")
        tap.ok(u.returncode == 0, f"{chain}: undo {n} succeeds", u.stderr)
        if n == 1 and chain.endswith("systemd-boot"):
            line = read(root, "etc/kernel/cmdline") or ""
            tap.ok("intel_iommu=off" in line and MARK not in line and "intel_iommu=on" not in line,
                   f"{chain}: /etc/kernel/cmdline, made on the trial's boot, holds the default entry's line (with "
                   "what the trial removed), not the trial's", line)
    boot_with(root, first_line)
    diff = [d for d in roots.differences(before, roots.machine_tree(root))
            if d not in ("etc/kernel/", "etc/kernel/cmdline", "proc/cmdline") and not d.startswith("var/lib/vfio-setup")]
    tap.ok(not diff and not armed(root), f"{chain}: undone thrice, every file is as before and nothing is armed", diff)


def override_guard(tap, tmp):
    """Identical GPUs: the by-address script acts only on a line with the trial's marker."""
    root = os.path.join(tmp, "twins")
    shutil.rmtree(root, ignore_errors=True)
    roots.build(MKROOT, "debian12-grub", "identical-rx580", root)
    p = run(root, None, "plan", "--json", "--gpu", "0b:00.0", "--bootloader", "grub")
    doc = json.loads(p.stdout) if p.returncode == 0 else {}
    script = next((f["content"] for f in doc.get("files", []) if f["path"].endswith("vfio-pci-override.sh")), None)
    tap.ok(script and "vfio_setup.trial=1" in script, "by address: the trial's script checks for the trial's marker",
           p.stderr or script)
    if not script:
        return
    for line, acts in (("root=/dev/sda1 quiet", False), (f"root=/dev/sda1 {MARK} quiet", True)):
        with tempfile.TemporaryDirectory() as d:
            cmdline = os.path.join(d, "cmdline")
            with open(cmdline, "w") as f:
                f.write(line + "\n")
            body = script.replace("/proc/cmdline", cmdline).replace("/sys/bus", os.path.join(d, "bus"))
            for dev in doc["by_address"]:
                os.makedirs(os.path.join(d, "bus/pci/devices", dev))
                open(os.path.join(d, "bus/pci/devices", dev, "driver_override"), "w").close()
            os.makedirs(os.path.join(d, "bus/pci"), exist_ok=True)
            r = subprocess.run(["sh", "-c", body], capture_output=True, text=True)
            over = [read(d, f"bus/pci/devices/{dev}/driver_override") for dev in doc["by_address"]]
            tap.ok(r.returncode == 0 and all((o.strip() == "vfio-pci") == acts for o in over),
                   f"by address: on a line {'with' if acts else 'without'} the marker the script "
                   f"{'binds' if acts else 'binds nothing'}", r.stderr + str(over))


def refusals(tap, tmp):
    def refused(root, why, name):
        p = run(root, None, "plan", "--gpu", GPU)
        tap.ok(p.returncode == 2 and why in p.stderr and "--no-trial" in p.stderr,
               f"{name}: no trial, refused with the reason and --no-trial", p.stderr)
        p = run(root, None, "plan", "--gpu", GPU, "--no-trial")
        tap.ok(p.returncode == 0 and "Trial:" not in p.stdout, f"{name}: --no-trial plans the setup for good", p.stderr)

    for distro, why in (("fedora41-silverblue", "a power cycle does not bring the old one back"),
                        ("fedora40-grub-bls", "grubby keeps"), ("proxmox8-zfs-systemd-boot", "proxmox-boot-tool"),
                        ("limine-cachyos", "Limine"), ("popos-kernelstub", "kernelstub")):
        refused(build(tmp, distro, "r-" + distro), why, distro)
    # Where the parameters are the user's to add, so is the entry to try them on: planned for good, unasked.
    for distro in ("nixos", "unknown"):
        p = run(build(tmp, distro, "r-" + distro), None, "plan", "--gpu", GPU)
        tap.ok(p.returncode == 0 and "Trial:" not in p.stdout and "by hand" in p.stdout,
               f"{distro}: the parameters are the user's to add; no trial, nothing to confirm", p.stdout[-400:] + p.stderr)

    root = build(tmp, "debian12-grub", "btrfs")
    path = os.path.join(root, "proc/self/mountinfo")
    text = open(path).read().replace(" ext4 /dev/sda2", " btrfs /dev/sda2")
    open(path, "w").write(text)
    refused(root, "/boot/grub is on btrfs", "GRUB on btrfs")
    root = build(tmp, "debian12-grub", "lvm")
    os.makedirs(os.path.join(root, "sys/dev/block/8:2/dm"), exist_ok=True)
    open(os.path.join(root, "sys/dev/block/8:2/dm/name"), "w").write("vg-root\n")
    refused(root, "/boot/grub is on LVM or device-mapper", "GRUB on LVM")

    sd = "debian12-systemd-boot"
    root = build(tmp, sd, "saved")
    with open(os.path.join(root, "boot/efi/loader/loader.conf"), "w") as f:
        f.write("default @saved\n")
    refused(root, "default @saved", "systemd-boot with default @saved")
    root = build(tmp, sd, "star")
    set_efivar(root, "LoaderEntryDefault", "*\0".encode("utf-16-le"))
    refused(root, "default pattern would choose the trial's entry", "systemd-boot with a default pattern of *")
    root = build(tmp, sd, "old")
    set_efivar(root, "LoaderFeatures", struct.pack("<Q", 0xff))
    refused(root, "sorts entries by sort-key", "systemd-boot before 251")
    root = build(tmp, sd, "unsorted")
    entry = os.path.join(root, ENTRIES, BOOTED)
    open(entry, "w").write("".join(l for l in open(entry) if not l.startswith("sort-key")))
    with open(os.path.join(root, "boot/efi/loader/loader.conf"), "w") as f:
        f.write("timeout 3\n")
    refused(root, "no sort-key", "systemd-boot: no default and no sort-key")
    root = build(tmp, sd, "uki")
    set_efivar(root, "LoaderEntrySelected", "debian-6.1.0-26-amd64.efi\0".encode("utf-16-le"))
    refused(root, "in no loader/entries directory", "systemd-boot booted from a unified kernel image")


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        cycle(tap, tmp, "debian12-grub",
              armed=lambda root: grubenv(root).get("next_entry") == "vfio-setup-trial",
              disarm=lambda root: subprocess.run(
                  [os.path.join(TESTS, "lib/standins/grub-editenv"), "/boot/grub/grubenv", "set", "next_entry="],
                  env=dict(os.environ, STANDIN_ROOT=root, STANDIN_LOG=os.devnull), check=True),
              trial_line=lambda line: f"{line} intel_iommu=on vfio-pci.ids=1002:73bf,1002:ab28 {MARK}")
        cycle(tap, tmp, "debian12-systemd-boot",
              armed=lambda root: efivar(root, "LoaderEntryOneShot") == "vfio-setup-trial.conf",
              disarm=lambda root: set_efivar(root, "LoaderEntryOneShot", None),
              trial_line=lambda line: " ".join(w for w in line.split() if w != "intel_iommu=off") +
              f" intel_iommu=on vfio-pci.ids=1002:73bf,1002:ab28 {MARK}",
              prepare=iommu_off)
        override_guard(tap, tmp)
        refusals(tap, tmp)
    tap.done()


if __name__ == "__main__":
    main()
