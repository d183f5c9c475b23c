#!/usr/bin/env python3
"""Names from the tree in every format vfio-setup writes, each read back by its real consumer:
a disk's by-id name with quotes, '&', '<', '>' and a blank in libvirt's XML (xmllint,
virt-xml-validate, ElementTree) and in vfio-setup's own state (a second plan is empty); a
user's name with a blank or a quote in tmpfiles.d (systemd-tmpfiles --root makes the file for
that user) and in a udev rule; a module name that would add a line to modprobe.d (modprobe -C);
control characters in JSON (json) and on the terminal.
Usage: escape.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import subprocess
import sys
import tempfile
from xml.etree import ElementTree

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, card_tree, run_binary  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
GPU = "4a:00.0"                 # threadripper-3970x.card's RTX 3090
FREE_DISK = "nvme-WD_BLACK_SN750_1TB_19283A800123"
HOSTILE_IDS = ["ata-EVIL'><x&y\"z", "ata-with a blank", "ata-100%_sure"]


def run(*args, env=None):
    return run_binary(BINARY, *args, env=env)


def fixture(tmp, name, card="threadripper-3970x"):
    root = os.path.join(tmp, name)
    card_tree(MKROOT, card, root)
    return root


def rename_by_id(root, old, new):
    d = os.path.join(root, "dev/disk/by-id")
    target = os.readlink(os.path.join(d, old))
    os.unlink(os.path.join(d, old))
    os.symlink(target, os.path.join(d, new))


def xml_names(tap, tmp):
    for hostile in HOSTILE_IDS:
        root = fixture(tmp, "xml-" + str(HOSTILE_IDS.index(hostile)))
        rename_by_id(root, FREE_DISK, hostile)
        want = "/dev/disk/by-id/" + hostile
        p = run("--root", root, "plan", "--no-trial", "--gpu", GPU, "--disk", hostile, "--libvirt-domain", "win11")
        path = os.path.join(tmp, "domain.xml")
        with open(path, "w") as f:
            f.write(p.stdout)
        lint = subprocess.run(["xmllint", "--noout", path], capture_output=True, text=True)
        validate = subprocess.run(["virt-xml-validate", path, "domain"], capture_output=True, text=True) \
            if shutil.which("virt-xml-validate") else None
        try:
            sources = [d.find("source").get("dev") for d in ElementTree.parse(path).getroot().iter("disk")
                       if d.get("type") == "block"]
        except ElementTree.ParseError as e:
            sources = [str(e)]
        tap.ok(p.returncode == 0 and lint.returncode == 0 and (validate is None or validate.returncode == 0) and
               sources == [want], f"by-id name {hostile!r}: the domain's XML is valid and names the disk as it is",
               (p.stderr, lint.stderr, validate and validate.stdout + validate.stderr, sources))

        # vfio-setup's own record keeps the name whole: planning again from it changes nothing.
        commands = os.path.join(tmp, "cmds")
        os.makedirs(commands, exist_ok=True)
        env = dict(os.environ, VFIO_SETUP_COMMAND_PATH=commands)
        for tool in ("update-grub", "update-initramfs", "mkinitcpio", "grub-mkconfig", "grub2-mkconfig", "dracut",
                     "grubby", "kernelstub"):
            with open(os.path.join(commands, tool), "w") as f:
                f.write("#!/bin/sh\nexit 0\n")
            os.chmod(os.path.join(commands, tool), 0o755)
        a = run("--root", root, "apply", "--no-trial", "--gpu", GPU, "--disk", hostile, "--yes", env=env)
        again = run("--root", root, "plan", "--no-trial", "--libvirt-xml", env=env)
        empty = run("--root", root, "plan", "--no-trial", "--json", env=env)
        files = json.loads(empty.stdout).get("files") if empty.returncode == 0 else None
        try:
            back = [d.find("source").get("dev") for d in
                    ElementTree.fromstring("<devices>" + again.stdout + "</devices>").iter("disk")]
        except ElementTree.ParseError as e:
            back = [str(e)]
        tap.ok(a.returncode == 0 and back == [want] and files == [],
               f"by-id name {hostile!r}: the state keeps it whole; planned again from it, the same disk, no file to change",
               (a.stderr, back, files, empty.stderr))


def tmpfiles_names(tap, tmp):
    if os.geteuid() != 0 or not shutil.which("systemd-tmpfiles"):
        tap.skip("user names in tmpfiles.d, read back by systemd-tmpfiles", "needs root and systemd-tmpfiles")
        return
    for user, uid in (("alice smith", 1234), ("o'brien", 1235)):
        root = fixture(tmp, f"lg-{uid}")
        with open(os.path.join(root, "etc/passwd"), "a") as f:
            f.write(f"{user}:x:{uid}:{uid}::/home/u:/bin/sh\n")
        with open(os.path.join(root, "etc/group"), "a") as f:
            f.write("kvm:x:993:\n")
        p = run("--root", root, "plan", "--no-trial", "--json", "--gpu", GPU, "--goal", "looking-glass", "--lg-user", user)
        doc = json.loads(p.stdout) if p.returncode == 0 else {}
        conf = next((f["content"] for f in doc.get("files", []) if f["path"].endswith("10-looking-glass.conf")), "")
        path = os.path.join(tmp, f"lg-{uid}.conf")
        with open(path, "w") as f:
            f.write(conf)
        made = subprocess.run(["systemd-tmpfiles", f"--root={root}", "--create", path], capture_output=True, text=True)
        shm = os.path.join(root, "dev/shm/looking-glass")
        owner = os.stat(shm).st_uid if os.path.exists(shm) else None
        tap.ok(p.returncode == 0 and made.returncode == 0 and owner == uid,
               f"user {user!r}: systemd-tmpfiles reads the entry and gives the memory to that user",
               (p.stderr, conf, made.stderr, owner))
    root = fixture(tmp, "lg-udev")
    with open(os.path.join(root, "etc/passwd"), "a") as f:
        f.write("tab\there:x:1236:1236::/home/u:/bin/sh\n")
    p = run("--root", root, "plan", "--no-trial", "--gpu", GPU, "--goal", "looking-glass", "--lg-user", "tab\there")
    tap.ok(p.returncode == 2 and "a control character, which tmpfiles.d cannot hold" in p.stderr,
           "a user whose name holds a tab: refused, since no tmpfiles.d field can hold it", p.stderr)
    with open(os.path.join(root, "etc/passwd"), "a") as f:
        f.write('say"hi:x:1237:1237::/home/u:/bin/sh\nalice smith:x:1234:1234::/home/a:/bin/sh\n')
    p = run("--root", root, "plan", "--no-trial", "--gpu", GPU, "--goal", "looking-glass", "--lg-kvmfr", "--lg-user", 'say"hi')
    tap.ok(p.returncode == 2 and "which a udev rule cannot hold" in p.stderr,
           "kvmfr for a user whose name a udev rule cannot hold: refused, saying why", p.stderr)
    p = run("--root", root, "plan", "--no-trial", "--json", "--gpu", GPU, "--goal", "looking-glass", "--lg-kvmfr", "--lg-user",
            "alice smith")
    doc = json.loads(p.stdout) if p.returncode == 0 else {}
    rule = next((f["content"] for f in doc.get("files", []) if f["path"].endswith(".rules")), "")
    tap.ok('OWNER="alice smith",' in rule, "kvmfr: the user's name quoted in the udev rule", rule + p.stderr)


def modprobe_names(tap, tmp):
    """A module link named to add a line to modprobe.d: left out, said, and nothing added."""
    root = fixture(tmp, "modname")
    evil = "nvidia\ninstall nvme /bin/sh -c reboot"
    link = os.path.join(root, "sys/bus/pci/drivers/nvidia/module")
    os.makedirs(os.path.join(root, "sys/module", evil))
    os.symlink("../../../module/" + evil, link)
    det = json.loads(run("--root", root, "detect", "--json").stdout)
    p = run("--root", root, "plan", "--no-trial", "--json", "--gpu", GPU)
    doc = json.loads(p.stdout) if p.returncode == 0 else {}
    conf = next((f["content"] for f in doc.get("files", []) if f["path"] == "/etc/modprobe.d/vfio-setup.conf"), "")
    moddir = os.path.join(tmp, "modprobe.d")
    os.makedirs(moddir, exist_ok=True)
    with open(os.path.join(moddir, "vfio-setup.conf"), "w") as f:
        f.write(conf)
    shown = subprocess.run([shutil.which("modprobe") or "/usr/sbin/modprobe", "-C", moddir, "--showconfig"],
                           capture_output=True, text=True).stdout
    tap.ok(p.returncode == 0 and "reboot" not in conf and "install nvme" not in shown and "softdep nvidia pre: vfio-pci"
           in shown and any("is no module name" in w for w in det["warnings"]),
           "a module name with a newline: left out with a warning; modprobe -C reads no line it made", (conf, det["warnings"]))


def json_and_terminal(tap, tmp):
    """Control characters from the tree: escaped in JSON (read back whole), shown as \\xHH on the terminal."""
    root = fixture(tmp, "model")
    model = os.path.join(root, "sys/block/nvme1n1/device/model")
    hostile = 'WD "BLACK"\\ \x1b[2J\x07'
    with open(model, "w") as f:
        f.write(hostile + "\n")
    doc = json.loads(run("--root", root, "detect", "--json").stdout)
    got = next((d["model"] for d in doc["disks"] if d["name"] == "nvme1n1"), None)
    text = run("--root", root, "--no-color", "detect").stdout
    tap.ok(got == hostile.strip() and "\x1b" not in text and "\\x1b[2J" in text,
           "a disk model with quotes and escape sequences: whole in JSON, harmless on the terminal", (got, text[-600:]))


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        os.symlink(os.path.join(os.path.abspath(TESTS), "fixtures", "files"), os.path.join(tmp, "files"))
        xml_names(tap, tmp)
        tmpfiles_names(tap, tmp)
        modprobe_names(tap, tmp)
        json_and_terminal(tap, tmp)
    tap.done()


if __name__ == "__main__":
    main()
