#!/usr/bin/env python3
"""The wizard in a real terminal: tmux runs `vfio-setup --demo`, keys are sent with
send-keys, the screen is read with capture-pane. Skipped where tmux is not installed.
Usage: tmux.py VFIO_SETUP   (TAP on stdout)"""
import os
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap  # noqa: E402

BINARY = sys.argv[1]
SOCKET = f"vfio-setup-test-{os.getpid()}"


def tmux(*args, check=True):
    return subprocess.run(["tmux", "-L", SOCKET, *args], capture_output=True, text=True, check=check)


def screen():
    return tmux("capture-pane", "-p", "-t", "w").stdout


def wait_for(*texts, timeout=5.0):
    """The screen once it shows every text and has stopped changing: tmux may show a frame the
    program is still writing (a slow build, a sanitizer's, writes it in pieces)."""
    end = time.monotonic() + timeout
    last = None
    while time.monotonic() < end:
        s = screen()
        if all(t in s for t in texts) and s == last:
            return s
        last = s
        time.sleep(0.05)
    return screen()


def forward(first, last):
    """Enter from step first to step last, one step at a time: each step flushes what was typed ahead."""
    for n in range(first, last):
        keys("Enter")
        wait_for(f"{n + 1}/8 ")


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


def demo_copies():
    tmp = "/tmp"
    return {os.path.join(tmp, n) for n in os.listdir(tmp) if n.startswith("vfio-setup-demo-")}


def main():
    tap = Tap()
    if not shutil.which("tmux"):
        tap.ok(True, "tmux is not installed # SKIP")
        tap.done()
    try:
        start(f"{BINARY} --demo amd-desktop")
        s = wait_for("1/8 Hardware", "q quit")
        tap.ok("AMD Ryzen 7 5800X" in s and "q quit" in s, "demo starts on the hardware screen", s)
        forward(1, 3)
        s = wait_for("3/8 GPU choice")
        tap.ok("> 0000:0b:00.0" in s and "ready" in s, "the recommended GPU is preselected", s)
        tmux("resize-window", "-t", "w", "-x", "70", "-y", "22")
        s = wait_for("3/8 GPU choice", "q quit")
        tap.ok(max(len(line) for line in s.splitlines()) <= 70 and "q quit" in s, "redrawn after a resize to 70x22", s)
        tmux("resize-window", "-t", "w", "-x", "50", "-y", "12")
        s = wait_for("terminal too small")
        tap.ok("50x12, need 64x18" in s, "says when the terminal is too small", s)
        keys("?")
        tmux("resize-window", "-t", "w", "-x", "100", "-y", "30")
        s = wait_for("3/8 GPU choice", "Navi 21", "q quit")
        tap.ok("Navi 21" in s and "Help:" not in s, "back at 100x30; the key typed while too small did nothing", s)
        keys("?")
        s = wait_for("Help: GPU choice")
        tap.ok("any key closes this help" in s, "? shows help for the screen", s)
        keys("x")
        wait_for("3/8 GPU choice", "q quit")
        forward(3, 6)
        s = wait_for("6/8 Review")
        tap.ok("vfio-pci.ids=1002:73bf,1002:ab28" in s and "Trial:" in s, "the review shows the plan, a trial", s)
        keys("Enter")
        wait_for("7/8 ")
        keys("y")
        s = wait_for("Applied.")
        tap.ok("writing /etc/modprobe.d/vfio-setup.conf" in s and "not run" in s, "apply writes into the demo's copy", s)
        keys("Enter")
        s = wait_for("8/8 Done")
        tap.ok("sudo vfio-setup verify" in s and "removed when the wizard ends" in s, "done says what comes next", s)
        keys("x")
        s = wait_for("function='0x1'")
        tap.ok("<hostdev mode='subsystem' type='pci' managed='yes'>" in s and "function='0x1'" in s,
               "done shows the libvirt elements for the guest", s)
        keys("Enter")
        s = wait_for("EXITED")
        tap.ok("EXITED 0" in s and "What comes next:" in s and "The next boot is a trial" in s and
               "run: sudo vfio-setup verify --commit" in s,
               "the wizard ends, exit 0, and the next steps stay on the terminal", s)
        # At 100 columns each line of them ends with a whole word, and goes on under its first word.
        lines = [ln for ln in s.splitlines() if ln.strip()]
        broken = [(a, b) for a, b in zip(lines, lines[1:]) if len(a) == 100 and a[-1] != " " and b[:1] != " "]
        tap.ok(max(len(ln) for ln in lines) <= 100 and not broken and
               any(ln.startswith("   ") and not ln.startswith("    ") for ln in lines),
               "the next steps are wrapped to the terminal at word boundaries, items under their first word", s)

        start(f"{BINARY} --demo dirty-group", env="NO_COLOR=1")
        wait_for("1/8 Hardware")
        forward(1, 3)
        s = wait_for("> 0000:04:00.0")
        tap.ok("GK208B" in s, "nothing can be recommended: the GPU that is not the boot VGA device is preselected", s)
        keys("Up")
        s = wait_for("> 0000:01:00.0")
        tap.ok("boot display" in s and "vendor-reset" not in s,
               "Navi 23, which vendor-reset does not know: no advice to install it", s)
        keys("Down", "Enter")
        keys("q")
        s = wait_for("Quit without applying")
        tap.ok("y quits" in s, "q asks when choices are not applied", s)
        keys("y")
        s = wait_for("EXITED")
        tap.ok("EXITED 0" in s and "Quit before anything was applied: nothing was written." in s,
               "and y quits, saying that nothing was written", s)

        for options, check, what in [
                ("--lg-user sam --lg-resolution 2560x1440", "f /dev/shm/looking-glass 0660 sam kvm -",
                 "the Looking Glass goal takes --lg-user from the command line"),
                ("--lg-user nosuchuser", "there is no user nosuchuser in /etc/passwd",
                 "a Looking Glass user the machine does not have: refused, says where to choose one"),
                ("", "f /dev/shm/looking-glass 0660 alex kvm -",
                 "Looking Glass without sudo: the first user who logs in, shown on the goal screen")]:
            start(f"{BINARY} --demo amd-desktop {options}", env="env -u SUDO_USER")
            wait_for("1/8 Hardware")
            forward(1, 5)
            wait_for("5/8 Goal")
            keys("Down", "Space", "Enter")
            s = wait_for("6/8 Review")
            # The files' summary comes first: a page down shows the Looking Glass file.
            if check not in s:
                keys("NPage")
                s = wait_for("6/8 Review", check)
            tap.ok(check in s, what, s)
            keys("q", "y")
            wait_for("EXITED")

        start(f"{BINARY} --demo workstation")
        wait_for("1/8 Hardware")
        forward(1, 5)
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
        keys("Enter")
        wait_for("7/8 ")
        keys("y")
        wait_for("Applied.")
        keys("Enter")
        wait_for("8/8 Done")
        keys("x", "PageDown")
        s = wait_for("<vcpupin vcpu='0' cpuset='4'/>", "of 88; Up/Down/PgUp/PgDn scroll")
        tap.ok("<vcpupin vcpu='0' cpuset='4'/>" in s and "of 88; Up/Down/PgUp/PgDn scroll" in s,
               "done scrolls through the guest's elements to <cputune>", s)
        keys("q", "y")
        wait_for("EXITED")

        start(f"{BINARY} --demo intel-laptop")
        wait_for("1/8 Hardware")
        forward(1, 3)
        s = wait_for("3/8 GPU choice")
        tap.ok("muxless laptop GPU" in s and "Looking Glass" in s, "a laptop's 3D controller: no outputs, explained", s)
        keys("q", "y")
        wait_for("EXITED")

        before = demo_copies()
        start(f"{BINARY} --demo intel-iommu-off")
        wait_for("1/8 Hardware")
        tap.ok(len(demo_copies() - before) == 1, "the demo works on a copy of its sample", str(demo_copies() - before))
        tmux("send-keys", "-t", "w", "C-c")
        s = wait_for("EXITED")
        tap.ok("EXITED 130" in s, "Ctrl-C ends it and gives the terminal back", s)
        tap.ok(demo_copies() == before, "... and its copy is removed", str(demo_copies() - before))

        start(f"{BINARY} --demo single-gpu")
        wait_for("1/8 Hardware")
        tmux("kill-server", check=False)  # the terminal goes away: SIGHUP
        gone = False
        for _ in range(50):
            if demo_copies() == before:
                gone = True
                break
            time.sleep(0.1)
        tap.ok(gone, "a hang-up (the terminal closed) removes the demo's copy too", str(demo_copies() - before))

        start(f"{BINARY} --demo amd-desktop --keep")
        wait_for("1/8 Hardware")
        kept = demo_copies() - before
        forward(1, 7)
        keys("y")
        wait_for("Applied.")
        # Typed while nothing was on the screen to take them: dropped when the next step begins.
        keys("Enter", "q", "y")
        s = wait_for("EXITED")
        copy = next(iter(kept), "")
        tap.ok(len(kept) == 1 and os.path.isdir(copy) and f"kept in {copy}" in s and
               f"vfio-setup --root {copy} verify" in s, "--keep keeps the copy and names it in the commands", s)
        p = subprocess.run([BINARY, "--root", copy, "plan", "--libvirt-xml"], capture_output=True, text=True)
        tap.ok(p.returncode == 0 and "<hostdev" in p.stdout,
               "plan --libvirt-xml after an apply takes what was set up, without --gpu", p.stderr)
        p = subprocess.run([BINARY, "--root", copy, "verify"], capture_output=True, text=True)
        # The demo runs no command: nothing armed the trial, and this "boot" is not it.
        tap.ok(p.returncode == 2 and "The trial did not come up" in p.stdout, "the verify it names runs on the copy",
               p.stdout + p.stderr)
        tap.ok(os.path.isfile(os.path.join(copy, "var/lib/vfio-setup/guest-devices.xml")),
               "the guest's libvirt elements are saved where Done said", copy)
        shutil.rmtree(copy, ignore_errors=True)
    finally:
        tmux("kill-server", check=False)
    tap.done()


if __name__ == "__main__":
    main()
