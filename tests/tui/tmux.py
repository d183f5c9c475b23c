#!/usr/bin/env python3
"""The wizard in a real terminal: tmux runs `vfio-setup --demo`, keys are sent with
send-keys, the screen is read with capture-pane. Skipped where tmux is not installed.
Usage: tmux.py VFIO_SETUP   (TAP on stdout)"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "cli"))
from tap import Tap  # noqa: E402

BINARY = sys.argv[1]
SOCKET = f"vfio-setup-test-{os.getpid()}"


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=check)


def screen():
    return tmux("capture-pane", "-p", "-t", "w").stdout


def wait_for(*texts, timeout=5.0):
    """The screen once it shows every text (a screen's last line among them, so that it is all drawn)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        s = screen()
        if all(t in s for t in texts):
            return s
        time.sleep(0.05)
    return screen()


def keys(*k):
    for key in k:
        tmux("send-keys", "-t", "w", key)
        time.sleep(0.05)


def start(command, x=100, y=30, env=""):
    tmux("kill-server", check=False)
    # The shell outlives a Ctrl-C to the wizard, to report how it ended.
    for _ in range(50):
        if tmux("new-session", "-d", "-s", "w", "-x", str(x), "-y", str(y),
                f"trap : INT; {env} {command}; echo EXITED $?; sleep 60", check=False).returncode == 0:
            return
        time.sleep(0.1)  # the previous server may still be going away
    raise RuntimeError("tmux would not start a session")


def main():
    tap = Tap()
    if not shutil.which("tmux"):
        tap.ok(True, "tmux is not installed # SKIP")
        tap.done()
    try:
        start(f"{BINARY} --demo amd-desktop")
        s = wait_for("1/8 Hardware")
        tap.ok("AMD Ryzen 7 5800X" in s and "q quit" in s, "demo starts on the hardware screen", s)
        keys("Enter", "Enter")
        s = wait_for("3/8 GPU choice")
        tap.ok("> 0000:0b:00.0" in s and "ready" in s, "the recommended GPU is preselected", s)
        tmux("resize-window", "-t", "w", "-x", "70", "-y", "22")
        s = wait_for("3/8 GPU choice", "q quit")
        tap.ok(max(len(line) for line in s.splitlines()) <= 70 and "q quit" in s, "redrawn after a resize to 70x22", s)
        tmux("resize-window", "-t", "w", "-x", "50", "-y", "12")
        s = wait_for("terminal too small")
        tap.ok("terminal too small: 50x12" in s, "says when the terminal is too small", s)
        tmux("resize-window", "-t", "w", "-x", "100", "-y", "30")
        s = wait_for("3/8 GPU choice", "Navi 21", "q quit")
        tap.ok("Navi 21" in s, "back at 100x30", s)
        keys("?")
        s = wait_for("Help: GPU choice")
        tap.ok("any key closes this help" in s, "? shows help for the screen", s)
        keys("x", "Enter", "Enter", "Enter")
        s = wait_for("6/8 Review")
        tap.ok("options vfio-pci ids=1002:73bf,1002:ab28" in s, "the review shows the plan", s)
        keys("Enter", "y")
        s = wait_for("Applied.")
        tap.ok("writing /etc/modprobe.d/vfio-setup.conf" in s and "not run" in s, "apply writes into the demo's copy", s)
        keys("Enter")
        s = wait_for("8/8 Done")
        tap.ok("vfio-setup verify" in s, "done says what comes next", s)
        tap.ok("<hostdev mode='subsystem' type='pci' managed='yes'>" in s and "function='0x1'" in s,
               "done shows the libvirt elements for the guest", s)
        keys("Enter")
        s = wait_for("EXITED")
        tap.ok("EXITED 0" in s, "the wizard ends, exit 0, terminal back", s)

        start(f"{BINARY} --demo dirty-group", env="NO_COLOR=1")
        wait_for("1/8 Hardware")
        keys("Enter", "Enter")
        s = wait_for("> 0000:04:00.0")
        tap.ok("GK208B" in s, "nothing can be recommended: the GPU that is not the boot VGA device is preselected", s)
        keys("Up")
        s = wait_for("> 0000:01:00.0")
        tap.ok("AMD Navi 23 GPU: it may not reset" in s and "vendor-reset" in s, "a GPU with the AMD reset bug is pointed to vendor-reset",
               s)
        keys("Down", "Enter")
        keys("q")
        s = wait_for("Quit without applying")
        tap.ok("y quits" in s, "q asks when choices are not applied", s)
        keys("y")
        s = wait_for("EXITED")
        tap.ok("EXITED 0" in s, "and y quits", s)

        for options, check, what in [
                ("--lg-user alice --lg-resolution 2560x1440", "f /dev/shm/looking-glass 0660 alice kvm -",
                 "the Looking Glass goal takes --lg-user from the command line"),
                ("", "--lg-user", "Looking Glass with no user: refused, says how")]:
            start(f"{BINARY} --demo amd-desktop {options}", env="env -u SUDO_USER")
            wait_for("1/8 Hardware")
            keys("Enter", "Enter", "Enter", "Enter")
            wait_for("5/8 Goal")
            keys("Down", "Space", "Enter")
            s = wait_for("6/8 Review")
            tap.ok(check in s, what, s)
            keys("q", "y")
            wait_for("EXITED")

        start(f"{BINARY} --demo workstation")
        wait_for("1/8 Hardware")
        keys("Enter", "Enter", "Enter", "Enter")
        wait_for("5/8 Goal")
        keys("Down", "Down", "Space", "Down", "Right", "Right", "Right", "Right")
        s = wait_for("16 hugepages of 1 GiB", "the host keeps 0-3,32-35")
        tap.ok("vCPUs  < all 56 >" in s and "on CPUs 4-31,36-63; the host keeps 0-3,32-35" in s and
               "16 hugepages of 1 GiB" in s, "gaming on the workstation: hugepages and the pinning of a Threadripper", s)
        keys("Down", "Down", "Space")
        s = wait_for("controller 0000:02:00.0", "the host's: nvme0n1")
        tap.ok("0000:01:00.0 the host's: nvme0n1 holds / /home /boot /boot/efi" in s,
               "storage on the workstation: the root disk's controller stays, named with its mounts", s)
        keys("Down", "Down", "Space", "Enter")
        s = wait_for("6/8 Review", "softdep nvme pre: vfio-pci")
        tap.ok("default_hugepagesz=1G" in s and "softdep nvme pre: vfio-pci" in s, "the review plans the hugepages", s)
        keys("Enter", "y")
        wait_for("Applied.")
        keys("Enter")
        wait_for("8/8 Done")
        keys("PageDown", "PageDown")
        s = wait_for("<vcpupin vcpu='0' cpuset='4'/>", "lines 21-32 of 88")
        tap.ok("<vcpupin vcpu='0' cpuset='4'/>" in s and "lines 21-32 of 88; Up/Down/PgUp/PgDn scroll" in s,
               "done scrolls through the guest's elements to <cputune>", s)
        keys("q", "y")
        wait_for("EXITED")

        start(f"{BINARY} --demo intel-laptop")
        wait_for("1/8 Hardware")
        keys("Enter", "Enter")
        s = wait_for("3/8 GPU choice")
        tap.ok("muxless laptop GPU" in s and "Looking Glass" in s, "a laptop's 3D controller: no outputs, explained", s)
        keys("q", "y")
        wait_for("EXITED")

        start(f"{BINARY} --demo intel-iommu-off")
        wait_for("1/8 Hardware")
        tmux("send-keys", "-t", "w", "C-c")
        s = wait_for("EXITED")
        tap.ok("EXITED 130" in s, "Ctrl-C ends it and gives the terminal back", s)
    finally:
        tmux("kill-server", check=False)
    tap.done()


if __name__ == "__main__":
    main()
