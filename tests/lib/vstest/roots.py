"""Fake machines from tests/fixtures: a machine card made a tree (card), with a distribution's
files on top (build), and reading such a tree back."""
import json
import os
import shutil
import subprocess

TESTS = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(TESTS, "fixtures")
DISTROS = os.path.join(FIXTURES, "distros")


def card_path(name):
    return os.path.join(FIXTURES, name + ".card")


def card_tree(mkroot, name, dest):
    """The tree of fixtures/NAME.card in dest, as mkroot makes it."""
    subprocess.run([mkroot, card_path(name), dest], check=True)
    return dest


def distros():
    return sorted(d for d in os.listdir(DISTROS) if os.path.isdir(os.path.join(DISTROS, d)))


def build(mkroot, distro, hw, dest):
    card_tree(mkroot, hw, dest)
    shutil.copytree(os.path.join(DISTROS, distro), dest, symlinks=True, dirs_exist_ok=True)


def tree(root, skip=(), meaning=None, dirs=True):
    """Every file, link and (with dirs) directory below root, sys and proc aside, with content and mode."""
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = os.path.relpath(dirpath, root)
        if rel_dir.startswith(("sys", "proc")) or rel_dir.startswith(tuple(skip)):
            dirnames[:] = []
            continue
        for name in dirnames if dirs else ():
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if not rel.startswith(tuple(skip)):
                out[rel + "/"] = ("dir", os.lstat(os.path.join(dirpath, name)).st_mode & 0o7777)
        for name in filenames:
            path = os.path.join(dirpath, name)
            rel = os.path.normpath(os.path.join(rel_dir, name))
            if rel.startswith(tuple(skip)):
                continue
            if os.path.islink(path):
                out[rel] = ("link", os.readlink(path))
                continue
            m = meaning(root, rel) if meaning else None
            out[rel] = m if m is not None else (open(path, "rb").read(), os.stat(path).st_mode & 0o7777)
    return out


# What vfio-setup keeps of its own (the journal, the lock) and the directories made for it: not part of the machine.
JOURNAL = "var/lib/vfio-setup/journal"
LOCK = "var/lib/vfio-setup/lock"
JOURNAL_PARENTS = ("var/", "var/lib/", "var/lib/vfio-setup/")


def machine_tree(root, meaning=None):
    t = tree(root, skip=(JOURNAL, LOCK), meaning=meaning)
    for d in JOURNAL_PARENTS:
        t.pop(d, None)
    return t


def differences(before, after):
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


def made_and_kept(root, before, after):
    """Where the boot entries follow /etc/kernel/cmdline or else the running command line,
    the file vfio-setup made of the running line stays after undo and --release, holding
    that line: what is expected of it (and of its directory), or {} where it was not made."""
    if "etc/kernel/cmdline" in before or "etc/kernel/cmdline" not in after:
        return {}
    words = [w for w in open(os.path.join(root, "proc/cmdline")).read().split()
             if not w.startswith(("BOOT_IMAGE=", "initrd="))]
    return {"etc/kernel/": ("dir", 0o755), "etc/kernel/cmdline": ((" ".join(words) + "\n").encode(), 0o644)}


def kernelstub_options(root):
    return json.load(open(os.path.join(root, "etc/kernelstub/configuration")))["user"]["kernel_options"]
