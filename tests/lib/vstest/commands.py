"""The commands a plan runs, as stand-ins, and vfio-setup run on a fake root with them."""
import os
import shutil

from .roots import TESTS
from .tap import run_binary

STANDINS = os.path.join(TESTS, "lib", "standins")
# The regeneration commands that only make boot files: their stand-ins record their arguments.
REGENERATORS = ("update-grub", "update-initramfs", "mkinitcpio", "grub-mkconfig", "dracut", "reinstall-kernels",
                "grubby", "kernelstub", "grub2-mkconfig")


def stand_ins(directory, fail=(), hang=(), missing=(), sleep=0):
    """The boot tools that own a boot chain are lib/standins' (they refuse what the real tools
    refuse, and change the fake root as they would); the others record "NAME ARGS" in
    directory/log and say they work, or fail, hang, sleep first, or are not there.  Returns the log."""
    os.makedirs(directory, exist_ok=True)
    log = os.path.join(directory, "log")
    for name in os.listdir(STANDINS):
        if name not in missing and not name.startswith("__"):
            shutil.copy2(os.path.join(STANDINS, name), directory)
    for name in REGENERATORS:
        if name in missing:
            continue
        body = f'echo "$(basename "$0") $*" >> {log}\n'
        body += f"sleep {sleep}\n" if sleep else ""
        body += f'echo "{name}: working"\n'
        if name in fail:
            body += 'echo "error: something broke" >&2\nexit 1\n'
        if name in hang:
            body += "sleep 60\n"
        with open(os.path.join(directory, name), "w") as f:
            f.write("#!/bin/sh\n" + body)
        os.chmod(os.path.join(directory, name), 0o755)
    return log


def in_root(binary, root, *args, commands=None, env=None, fault=None):
    """vfio-setup --root ROOT --no-color ARGS; with commands, the plan's commands are the
    stand-ins there (acting on root); fault arms VFIO_SETUP_FAULT."""
    e = dict(os.environ)
    for name in ("VFIO_SETUP_COMMAND_PATH", "VFIO_SETUP_FAULT"):
        e.pop(name, None)
    if commands:
        e.update(VFIO_SETUP_COMMAND_PATH=commands, STANDIN_ROOT=root, STANDIN_LOG=os.path.join(commands, "log"))
    if fault:
        e["VFIO_SETUP_FAULT"] = fault
    e.update(env or {})
    return run_binary(binary, "--root", root, "--no-color", *args, env=e)


def journal_states(root):
    """The state line of each journal vfio-setup keeps in root, oldest first."""
    base = os.path.join(root, "var/lib/vfio-setup/journal")
    out = []
    for seq in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        path = os.path.join(base, seq, "journal")
        if seq.isdigit() and os.path.exists(path):
            out += [line.split("\t")[1].strip() for line in open(path) if line.startswith("state\t")]
    return out
