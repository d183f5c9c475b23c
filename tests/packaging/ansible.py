#!/usr/bin/env python3
"""The Ansible role (contrib/ansible/roles/vfio_setup) run by ansible-playbook against an
inventory of fake machine roots on this machine (connection local, one --root each, the boot
tools replaced by stand-ins, the reboot by tests/packaging/fake-reboot): check mode changes
nothing and says what would change; the first run changes every host it can, reboots and
verifies; the second changes nothing; a host with a dirty IOMMU group fails with
vfio-setup's reason, a host whose reboot did not take fails at verify, and neither stops the
others; state absent takes it away again.
Usage: ansible.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from vstest import Tap, card_tree, roots  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
ROLES = os.path.join(TESTS, "..", "contrib", "ansible", "roles")
BOOT_TOOLS = ("update-grub", "update-initramfs", "mkinitcpio", "dracut", "grub-mkconfig", "grub2-mkconfig")

# name: (distribution files, hardware card, GPU as the host_vars give it, reboot that takes, a trial)
HOSTS = {
    "by-address": ("debian12-grub", "hw-intel-amd", "0000:03:00.0", True, True),
    "by-id": ("arch-systemd-boot", "hw-amd-nvidia", "10de:2484", True, False),
    "dirty-group": (None, "chipset-slot-dirty", "0000:04:00.0", True, True),
    "reboot-fails": ("ubuntu2404-grub", "hw-intel-amd", "03:00.0", False, True),
}


def make_host(tmp, name):
    distro, hw, gpu, boots, trial = HOSTS[name]
    root = os.path.join(tmp, "roots", name)
    if distro:
        roots.build(MKROOT, distro, hw, root)
    else:
        card_tree(MKROOT, hw, root)
    # Up for an hour: the kernel's boot time, which verify compares with vfio-setup's last write.
    with open(os.path.join(root, "proc/stat"), "a") as f:
        f.write(f"btime {int(time.time()) - 3600}\n")
    commands = os.path.join(tmp, "commands", name)
    os.makedirs(commands)
    for f in os.listdir(os.path.join(TESTS, "lib", "standins")):
        if not f.startswith("__"):
            shutil.copy2(os.path.join(TESTS, "lib", "standins", f), commands)
    for tool in BOOT_TOOLS:
        with open(os.path.join(commands, tool), "w") as f:
            f.write(f'#!/bin/sh\necho "{tool} $*" >> {commands}/log\n')
        os.chmod(os.path.join(commands, tool), 0o755)
    return {
        "ansible_connection": "local",
        "ansible_python_interpreter": sys.executable,
        "vfio_setup_binary": os.path.abspath(BINARY),
        "vfio_setup_root": root,
        "vfio_setup_gpu": gpu,
        "vfio_setup_trial": trial,
        "vfio_setup_environment": {"VFIO_SETUP_COMMAND_PATH": commands, "STANDIN_ROOT": root},
        # A reboot that did not take leaves the machine as it was.
        "vfio_setup_reboot_command": f"{HERE}/fake-reboot {root}" if boots else "true",
    }


def playbook(tmp, *args):
    env = dict(os.environ, ANSIBLE_ROLES_PATH=ROLES, ANSIBLE_NOCOLOR="1", ANSIBLE_HOME=os.path.join(tmp, "home"),
               ANSIBLE_LOCAL_TEMP=os.path.join(tmp, "home", "tmp"), ANSIBLE_FORKS="4",
               ANSIBLE_HOST_KEY_CHECKING="0", ANSIBLE_RETRY_FILES_ENABLED="0")
    p = subprocess.run(["ansible-playbook", "-i", os.path.join(tmp, "inventory.json"), os.path.join(tmp, "site.yml"),
                        *args], capture_output=True, text=True, env=env, timeout=600)
    recap = {}
    for m in re.finditer(r"^(\S+)\s*:\s*ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", p.stdout, re.M):
        recap[m.group(1)] = {"changed": int(m.group(3)), "failed": int(m.group(5))}
    lines = [ln for ln in p.stdout.splitlines() if re.match(r"^\S+\s*: ok=", ln)]
    return p, recap, lines


def trees(tmp):
    return {name: roots.machine_tree(os.path.join(tmp, "roots", name)) for name in HOSTS}


def main():
    tap = Tap()
    if not shutil.which("ansible-playbook"):
        tap.skip("the Ansible role", "ansible-playbook is not installed (Debian: apt-get install ansible-core; "
                 "./test installs it)")
        tap.done()
    with tempfile.TemporaryDirectory() as tmp:
        hosts = {name: make_host(tmp, name) for name in HOSTS}
        json.dump({"all": {"hosts": hosts}}, open(os.path.join(tmp, "inventory.json"), "w"))
        open(os.path.join(tmp, "site.yml"), "w").write(
            "- hosts: all\n  gather_facts: false\n  roles:\n    - vfio_setup\n")
        good = ("by-address", "by-id", "reboot-fails")

        before = trees(tmp)
        p, recap, lines = playbook(tmp, "--check")
        tap.ok(set(recap) == set(HOSTS) and trees(tmp) == before, "check mode: every host planned, nothing written",
               p.stdout[-2000:] + p.stderr[-1000:])
        tap.ok(all(recap.get(h, {}).get("changed") == 1 and recap[h]["failed"] == 0 for h in good) and
               recap.get("dirty-group", {}).get("failed") == 1,
               "check mode: the plan says what would change; the dirty group fails", lines)

        p, recap, lines = playbook(tmp)
        out = p.stdout
        tap.comment(["first run:"] + lines)
        tap.ok(all(recap.get(h, {}).get("changed", 0) >= 2 for h in good),
               "first run: every host that can be set up changed (apply, reboot)", lines)
        tap.ok(recap.get("by-address", {}).get("failed") == 0 and recap.get("by-id", {}).get("failed") == 0,
               "first run: rebooted and verified ready", out[-3000:])
        root = hosts["by-address"]["vfio_setup_root"]
        state = open(os.path.join(root, "var/lib/vfio-setup/state")).read()
        cmdline = open(os.path.join(root, "proc/cmdline")).read()
        tap.ok(recap["by-address"]["changed"] >= 4 and "vfio-setup | commit" in out and "trial=" not in state and
               "params=" in state and "vfio_setup.trial" not in cmdline and "intel_iommu=on" in cmdline,
               "first run: the trial's boot verified ready is committed, and the committed setup's boot verified",
               [state, cmdline] + lines)
        state = open(os.path.join(hosts["by-id"]["vfio_setup_root"], "var/lib/vfio-setup/state")).read()
        tap.ok("trial=" not in state and recap["by-id"]["changed"] == 2,
               "first run: vfio_setup_trial false sets up for good: one reboot, no commit", [state] + lines)
        applied = json.loads(subprocess.run([BINARY, "--root", hosts["by-id"]["vfio_setup_root"], "verify", "--json"],
                                            capture_output=True, text=True).stdout or "{}")
        tap.ok(applied.get("devices", [None])[0] == "0000:0c:00.0" and applied.get("ready") is True,
               "first run: the GPU named by its id 10de:2484 is the one set up", applied)
        tap.ok(recap.get("dirty-group", {}).get("failed") == 1 and
               "the IOMMU groups of the devices also hold what the host needs" in out and "could never start" in out,
               "first run: the dirty group's host fails with vfio-setup's reason", out[-3000:])
        tap.ok(recap.get("reboot-fails", {}).get("failed") == 1 and
               re.search(r"vfio-setup verify on reboot-fails: not ready:.*has not been rebooted since vfio-setup",
                         out), "first run: a host whose reboot did not take fails at verify, with the checks that failed",
               out[-3000:])

        p, recap, lines = playbook(tmp)
        tap.comment(["second run:"] + lines)
        tap.ok(all(recap.get(h, {}).get("changed") == 0 for h in good) and
               recap.get("by-address", {}).get("failed") == 0 and recap.get("dirty-group", {}).get("failed") == 1,
               "second run: changed=0 everywhere; the dirty group still fails alone", lines)
        tap.ok(recap.get("reboot-fails", {}).get("failed") == 0 and
               "reboot-fails: not rebooted since vfio-setup changed its boot files" in p.stdout,
               "second run: the host not rebooted since the apply is named, not failed", p.stdout[-2000:])
        # Its trial hangs and it is powered off and on: GRUB took the one-time flag, the old setup started.
        root = hosts["reboot-fails"]["vfio_setup_root"]
        stat = os.path.join(root, "proc/stat")
        text = open(stat).read()
        open(stat, "w").write(re.sub(r"^btime \d+$", f"btime {int(time.time()) + 5}", text, flags=re.M))
        env = dict(os.environ, STANDIN_ROOT=root)
        subprocess.run([os.path.join(tmp, "commands", "reboot-fails", "grub-editenv"), "/boot/grub/grubenv", "unset",
                        "next_entry"], env=env, check=True, capture_output=True)
        p, recap, lines = playbook(tmp, "--limit", "reboot-fails")
        tap.ok(recap.get("reboot-fails", {}).get("failed") == 1 and recap["reboot-fails"]["changed"] == 0 and
               "the trial did not come up at its boot" in p.stdout and "vfio-setup trial tries it once more" in p.stdout,
               "a trial that did not come up fails the host, and is not tried again on its own", p.stdout[-2000:])

        p, recap, lines = playbook(tmp, "--limit", "by-address", "-e", "vfio_setup_state=absent")
        state = os.path.join(hosts["by-address"]["vfio_setup_root"], "var/lib/vfio-setup/state")
        grub_d = os.path.join(hosts["by-address"]["vfio_setup_root"], "etc/default/grub.d/vfio-setup.cfg")
        tap.ok(recap.get("by-address", {}).get("changed", 0) >= 1 and recap["by-address"]["failed"] == 0 and
               not os.path.exists(state) and not os.path.exists(grub_d),
               "state absent: what vfio-setup set up is removed", lines + [p.stdout[-1500:]])
        p, recap, lines = playbook(tmp, "--limit", "by-address", "-e", "vfio_setup_state=absent")
        tap.ok(recap.get("by-address", {}).get("changed") == 0 and recap["by-address"]["failed"] == 0,
               "state absent again: changed=0", lines)
    tap.done()


if __name__ == "__main__":
    main()
