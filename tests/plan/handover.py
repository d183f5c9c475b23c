#!/usr/bin/env python3
"""Handover (--handover GUEST), and bind and release.

The plan, apply, verify, undo of handover's libvirt hook on a machine with an iGPU (the host's
display) and an AMD card; the Proxmox VE form (a hookscript with qm set); then the script
itself, run by sh as libvirt, Proxmox VE and vfio-setup run it, against a fake sysfs whose
"kernel" answers each write as the real one does (lib/vstest/fakesys.py), a fake /proc with
programs holding device nodes, and stand-ins for modprobe and virsh.  Last, vfio-setup bind and
release through a stand-in sh that runs the same script against the fake sysfs.
Usage: handover.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import stat
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, in_root, roots, stand_ins  # noqa: E402
from vstest.fakesys import FakeSys, check_script  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
LIB = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib")
HOOK = "etc/libvirt/hooks/qemu.d/vfio-setup-handover"
SNIPPET = "var/lib/vz/snippets/vfio-setup-handover-100.sh"
IGPU, GPU, AUDIO = "0000:00:02.0", "0000:03:00.0", "0000:03:00.1"     # hw-intel-amd.card
RECORD = f"run/vfio-setup/handover-{GPU}"


def run(root, commands, *args, env=None):
    return in_root(BINARY, root, *args, commands=commands, env=env)


def machine(tmp, name, distro="debian12-grub"):
    root = os.path.join(tmp, name)
    roots.build(MKROOT, distro, "hw-intel-amd", root)
    return root


def hook_text(root, *args):
    p = run(root, None, "plan", "--no-trial", "--gpu", GPU, *args, "--json")
    doc = json.loads(p.stdout)
    return next(f["content"] for f in doc["files"] if "handover" in f["path"])


def set_driver(root, dev, name):
    link = os.path.join(root, "sys/bus/pci/devices", dev)
    path = os.path.join(os.path.realpath(link), "driver")
    os.makedirs(os.path.join(root, "sys/bus/pci/drivers", name), exist_ok=True)
    os.unlink(path)
    os.symlink(f"../../../bus/pci/drivers/{name}", path)


def plan_apply_undo(tap, tmp):
    root = machine(tmp, "desk")
    commands = os.path.join(tmp, "cmd")
    stand_ins(commands)

    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--handover", "win11", "--json")
    doc = json.loads(p.stdout or "null") or {}
    files = {f["path"]: f for f in doc.get("files", [])}
    hook = files.get("/" + HOOK, {})
    tap.ok(p.returncode == 0 and doc["handover"] == "win11" and doc["single_gpu"] is None and
           doc["devices"] == [GPU, AUDIO] and doc["vfio_ids"] == [] and "intel_iommu=on" in doc["kernel_params"]["add"]
           and not any(a.startswith("vfio-pci") for a in doc["kernel_params"]["add"]) and
           "/etc/modprobe.d/vfio-setup.conf" not in files,
           "plan --json: both functions handed over, the IOMMU's parameter, no ids, no modprobe.d",
           p.stdout[-800:] + p.stderr)
    tap.ok(hook.get("mode") == 0o755 and "\nguest=win11\n" in hook.get("content", "") and
           f'\ndevices="{GPU} {AUDIO}"\n' in hook.get("content", "") and "\ndisplay=keep\n" in hook.get("content", ""),
           "the hook: 0755, for win11, both functions, the host's display kept", hook.get("content", "")[:600])
    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--handover", "win11")
    tap.ok(p.returncode == 0 and "Plan: handover: the host keeps 0000:03:00.0 0000:03:00.1 and its display; guest "
           "win11 gets them while it runs" in p.stdout, "the plan says what handover does", p.stdout[:400])

    p = run(root, commands, "plan", "--no-trial", "--gpu", IGPU, "--handover", "win11")
    tap.ok(p.returncode == 2 and "handover keeps the host's display, and 0000:00:02.0 is it (the firmware's boot "
           "display). Hand over another GPU, or bind this one at boot (without --handover)" in p.stderr,
           "the host's boot display is not handed over", p.stderr)
    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--handover", "win11", "--single-gpu", "win11")
    tap.ok(p.returncode == 2 and "choose one" in p.stderr, "handover and single-GPU mode at once are refused", p.stderr)
    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--gpu", "0000:04:00.0", "--handover", "win11")
    tap.ok(p.returncode == 2 and "handover hands one GPU to one guest" in p.stderr, "one GPU per handover", p.stderr)
    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--handover", "bad name")
    tap.ok(p.returncode == 1 and "--handover bad name" in p.stderr, "a guest name no script can hold is refused",
           p.stderr)

    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--handover", "win11", "--yes")
    path = os.path.join(root, HOOK)
    tap.ok(p.returncode == 0 and os.path.isfile(path) and stat.S_IMODE(os.stat(path).st_mode) == 0o755 and
           "restart libvirtd so that it finds the hook, and reboot for the kernel parameters" in p.stdout,
           "apply writes the hook and asks for libvirtd's restart and a reboot (the IOMMU's parameter)",
           p.stdout[-400:] + p.stderr)
    state = open(os.path.join(root, "var/lib/vfio-setup/state")).read()
    tap.ok("handover=win11\n" in state and "ids=" not in state, "the state records the mode", state)
    check_script(tap, path, "the hook")

    p = run(root, commands, "verify")
    tap.ok(f"{GPU} is with the host (amdgpu) until win11 starts" in p.stdout and
           f"the handover hook /{HOOK} is there for guest win11" in p.stdout and
           "the kernel command line lacks intel_iommu=on" in p.stdout,
           "verify: the devices with the host, the hook in place, the IOMMU's parameter checked", p.stdout)
    set_driver(root, GPU, "vfio-pci")
    p = run(root, commands, "verify")
    tap.ok(f"{GPU} is on vfio-pci, though no guest took it through the hook" in p.stdout and
           f"give it back: vfio-setup release --gpu {GPU}" in p.stdout,
           "verify: on vfio-pci with no guest's record is a problem, with release as the way back", p.stdout)
    os.makedirs(os.path.join(root, "run/vfio-setup"))
    with open(os.path.join(root, RECORD), "w") as f:
        f.write(f"guest win11\ndevice {GPU} amdgpu\n")
    p = run(root, commands, "verify")
    tap.ok(f"{GPU} is with vfio-pci: a guest has it (win11, or one started by hand)" in p.stdout,
           "verify: on vfio-pci with the record is a guest's", p.stdout)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    tap.ok(p.returncode == 2 and f"{GPU} is handed over to guest win11" in p.stderr and
           f"vfio-setup release --gpu {GPU}" in p.stderr and os.path.exists(path),
           "while a guest has the GPU, an apply that changes the hook is refused, naming release", p.stderr)
    os.unlink(os.path.join(root, RECORD))
    set_driver(root, GPU, "amdgpu")
    p = run(root, commands, "undo", "--yes")
    tap.ok(p.returncode == 0 and not os.path.exists(path), "undo removes the hook", p.stdout[-300:] + p.stderr)


def proxmox(tap, tmp):
    root = machine(tmp, "pve", "proxmox8-zfs-grub")
    os.makedirs(os.path.join(root, "etc/pve/qemu-server"))
    conf = os.path.join(root, "etc/pve/qemu-server/100.conf")
    with open(conf, "w") as f:
        f.write("machine: q35\nmemory: 8192\nname: win11\nostype: win11\n")
    commands = os.path.join(tmp, "cmd-pve")
    log = stand_ins(commands)
    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--handover", "100", "--json")
    doc = json.loads(p.stdout or "null") or {}
    qm = [c for c in doc.get("commands", []) if c[:1] == ["qm"]]
    tap.ok(p.returncode == 0 and "/" + SNIPPET in [f["path"] for f in doc["files"]] and len(qm) == 1 and
           qm[0][-2:] == ["--hookscript", "local:snippets/vfio-setup-handover-100.sh"] and "--hostpci0" in qm[0],
           "Proxmox VE: the script is a snippet, and the guest gets the devices and the hookscript in one qm set",
           json.dumps(qm) + p.stderr)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--handover", "100", "--yes")
    text = open(conf).read()
    tap.ok(p.returncode == 0 and "hookscript: local:snippets/vfio-setup-handover-100.sh\n" in text and
           os.access(os.path.join(root, SNIPPET), os.X_OK) and "restart libvirtd" not in p.stdout,
           "apply writes the snippet, executable, before qm set (which checks it is there), and names no libvirt",
           p.stdout[-600:] + p.stderr + text)
    p = run(root, commands, "verify")
    tap.ok(f"the handover hook /{SNIPPET} is there for guest 100" in p.stdout and
           "Proxmox VE guest 100 runs local:snippets/vfio-setup-handover-100.sh" in p.stdout,
           "verify: the snippet and the guest's hookscript option", p.stdout)
    with open(conf, "a") as f:
        f.write("\n[snap]\nhookscript: other\n")
    with open(conf) as f:
        own = f.read().replace("hookscript: local:snippets/vfio-setup-handover-100.sh\n", "")
    with open(conf, "w") as f:
        f.write(own)
    p = run(root, commands, "verify")
    tap.ok("Proxmox VE guest 100 does not run local:snippets/vfio-setup-handover-100.sh" in p.stdout,
           "verify: a hookscript only in a snapshot is not the guest's", p.stdout)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--handover", "100", "--yes")
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    tap.ok(p.returncode == 0 and "hookscript" not in open(conf).read().split("\n[")[0] and
           not os.path.exists(os.path.join(root, SNIPPET)),
           "bound at boot instead: the guest's hookscript option goes with the snippet (it would not start without)",
           p.stdout[-600:] + p.stderr)

    other = machine(tmp, "pve-own", "proxmox8-zfs-grub")
    os.makedirs(os.path.join(other, "etc/pve/qemu-server"))
    with open(os.path.join(other, "etc/pve/qemu-server/100.conf"), "w") as f:
        f.write("machine: q35\nhookscript: local:snippets/mine.sh\n")
    p = run(other, commands, "plan", "--no-trial", "--gpu", GPU, "--handover", "100")
    tap.ok(p.returncode == 2 and "runs a hookscript of its own (local:snippets/mine.sh)" in p.stderr,
           "a guest's own hookscript is not replaced", p.stderr)
    del log


class Host:
    """The fake sysfs: the iGPU on i915 (the console's), the card on amdgpu with card1 and renderD128, its audio
    on snd_hda_intel, each in IOMMU group 13; the script adapted to it."""

    def __init__(self, tmp, name, text, gpu_driver="amdgpu"):
        self.fake = FakeSys(os.path.join(tmp, name), {IGPU: "i915", GPU: gpu_driver, AUDIO: "snd_hda_intel"})
        self.dir, self.sys = self.fake.dir, self.fake.sys
        self.fake.drm(GPU, "card1", "renderD128")
        self.fake.drm(IGPU, "card0", "renderD129")
        for dev in (GPU, AUDIO):
            os.symlink("../../../kernel/iommu_groups/13", os.path.join(self.sys, "bus/pci/devices", dev, "iommu_group"))
        with open(os.path.join(self.sys, "bus/pci/devices", IGPU, "boot_vga"), "w") as f:
            f.write("1\n")
        os.makedirs(os.path.join(self.sys, "class/vtconsole/vtcon1"))
        with open(os.path.join(self.sys, "class/vtconsole/vtcon1/bind"), "w") as f:
            f.write("1\n")
        with open(os.path.join(self.sys, "class/vtconsole/vtcon1/name"), "w") as f:
            f.write("(M) frame buffer device\n")
        os.makedirs(os.path.join(self.sys, "class/graphics/fb0"))
        os.symlink(f"../../../bus/pci/devices/{IGPU}", os.path.join(self.sys, "class/graphics/fb0/device"))
        self.script = self.fake.adapt(text, "script")

    def run(self, *args, **env):
        return self.fake.run(self.script, *args, stdin="<domain/>", **env)

    def drivers(self):
        return (self.fake.driver(GPU), self.fake.driver(AUDIO), self.fake.driver(IGPU))

    def nodes(self):
        return os.path.isdir(os.path.join(self.sys, "bus/pci/devices", GPU, "drm/card1"))

    def record(self):
        path = os.path.join(self.dir, RECORD)
        return open(path).read() if os.path.exists(path) else None


AS_BOOTED = ("amdgpu", "snd_hda_intel", "i915")
TAKE_LOG = [
    "modprobe vfio-pci",
    f"write bus/pci/devices/{GPU}/driver_override vfio-pci",
    f"write bus/pci/drivers/amdgpu/unbind {GPU}",
    f"write bus/pci/drivers_probe {GPU}",
    f"write bus/pci/devices/{AUDIO}/driver_override vfio-pci",
    f"write bus/pci/drivers/snd_hda_intel/unbind {AUDIO}",
    f"write bus/pci/drivers_probe {AUDIO}",
]
GIVE_LOG = [
    f"write bus/pci/devices/{GPU}/driver_override ",
    f"write bus/pci/drivers/vfio-pci/unbind {GPU}",
    f"write bus/pci/drivers/amdgpu/bind {GPU}",
    f"write bus/pci/devices/{AUDIO}/driver_override ",
    f"write bus/pci/drivers/vfio-pci/unbind {AUDIO}",
    f"write bus/pci/drivers/snd_hda_intel/bind {AUDIO}",
]


def script_runs(tap, tmp):
    root = machine(tmp, "hook-root")
    text = hook_text(root, "--handover", "win11")
    transcript = []

    def show(what, p):
        transcript.extend([f"$ {what}"] + [f"  {line}" for line in p.log] +
                          [f"  (stderr) {line}" for line in p.stderr.splitlines()] + [f"  exit {p.returncode}"])

    h = Host(tmp, "rounds", text)
    p = h.run("win11", "prepare", "begin", "-")
    show("hook win11 prepare begin -", p)
    tap.ok(p.returncode == 0 and p.log == TAKE_LOG and h.drivers() == ("vfio-pci", "vfio-pci", "i915") and
           not h.nodes() and h.record() == f"guest win11\ndevice {GPU} amdgpu\ndevice {AUDIO} snd_hda_intel\n",
           "prepare begin: both functions to vfio-pci (the DRM nodes go), each written down first; no display "
           "manager, console or framebuffer touched, the iGPU kept", "\n".join(p.log) + p.stderr + str(h.drivers()))
    p = h.run("win11", "release", "end", "-")
    show("hook win11 release end -", p)
    tap.ok(p.returncode == 0 and p.log == GIVE_LOG and h.drivers() == AS_BOOTED and h.nodes() and h.record() is None,
           "release end: each function back to the driver it had, the DRM nodes back, the record gone",
           "\n".join(p.log) + p.stderr)
    rounds = 0
    for _ in range(10):
        a, b = h.run("win11", "prepare", "begin", "-"), h.run("win11", "release", "end", "-")
        rounds += a.returncode == 0 and b.returncode == 0 and h.drivers() == AS_BOOTED and h.nodes()
    tap.ok(rounds == 10, "ten rounds: each start takes, each stop gives back, as booted", rounds)
    p = h.run("other", "prepare", "begin", "-")
    tap.ok(p.returncode == 0 and p.log == [] and h.drivers() == AS_BOOTED, "another guest: nothing", p.log)

    # What uses the GPU is named and nothing is taken.
    h = Host(tmp, "held", text)
    h.fake.holder(4242, "Xwayland", "/dev/dri/card1", "/dev/null")
    h.fake.holder(77, "ollama", "/dev/dri/renderD128")
    h.fake.holder(1, "systemd", "/dev/dri/renderD129")
    p = h.run("win11", "prepare", "begin", "-")
    show("hook win11 prepare begin -   (Xwayland and ollama hold its nodes)", p)
    tap.ok(p.returncode == 1 and f"{GPU} is in use, so the guest does not get it:" in p.stderr and
           "  Xwayland (pid 4242) holds /dev/dri/card1\n" in p.stderr and
           "  ollama (pid 77) holds /dev/dri/renderD128\n" in p.stderr and "systemd" not in p.stderr and
           "nothing was taken" in p.stderr and p.log == [] and h.drivers() == AS_BOOTED and h.record() is None,
           "programs holding its DRM nodes are named (not the iGPU's); the start fails; nothing is written",
           p.stderr + "\n".join(p.log))

    h = Host(tmp, "nvidia", text, gpu_driver="nvidia")
    os.makedirs(os.path.join(h.dir, "proc/driver/nvidia/gpus", GPU))
    with open(os.path.join(h.dir, "proc/driver/nvidia/gpus", GPU, "information"), "w") as f:
        f.write("Model: \t\t NVIDIA GeForce RTX 3080\nDevice Minor: \t 1\n")
    h.fake.holder(900, "nvidia-persistenced")
    h.fake.holder(901, "python3", "/dev/nvidia1", "/dev/nvidiactl")
    h.fake.holder(902, "python3", "/dev/nvidia0")
    p = h.run("win11", "prepare", "begin", "-")
    tap.ok(p.returncode == 1 and "nvidia-persistenced keeps the NVIDIA driver on 0000:03:00.0 (systemctl stop "
           "nvidia-persistenced)" in p.stderr and "python3 (pid 901) holds /dev/nvidia1" in p.stderr and
           "pid 902" not in p.stderr and p.log == [],
           "NVIDIA: nvidia-persistenced and a CUDA program on its minor are named; one on another GPU is not",
           p.stderr)

    h = Host(tmp, "boot-vga", text)
    with open(os.path.join(h.sys, "bus/pci/devices", GPU, "boot_vga"), "w") as f:
        f.write("1\n")
    os.unlink(os.path.join(h.sys, "class/graphics/fb0/device"))
    os.symlink(f"../../../bus/pci/devices/{GPU}", os.path.join(h.sys, "class/graphics/fb0/device"))
    p = h.run("win11", "prepare", "begin", "-")
    tap.ok(p.returncode == 1 and f"{GPU} is the host's boot display" in p.stderr and
           f"the framebuffer console is on {GPU}" in p.stderr and p.log == [],
           "the host's boot display and the console on it are named, and never touched", p.stderr)

    # A take that fails part-way gives back what it took.
    h = Host(tmp, "nobind", text)
    p = h.run("win11", "prepare", "begin", "-", FAKE_NOBIND=AUDIO)
    show("hook win11 prepare begin -   (vfio-pci does not take the audio function)", p)
    tap.ok(p.returncode == 1 and "vfio-pci does not take it" in p.stderr and "go back to the host" in p.stderr and
           h.drivers() == AS_BOOTED and h.nodes() and h.record() is None,
           "vfio-pci refuses the second function: the first goes back too, the record goes", p.stderr)

    # A guest that has the group: the start is refused, and so is a release.
    h = Host(tmp, "guest-has-it", text)
    h.run("win11", "prepare", "begin", "-")
    h.fake.holder(5555, "qemu-system-x86", "/dev/vfio/13", "/dev/vfio/vfio")
    p = h.run("win11", "prepare", "begin", "-")
    tap.ok(p.returncode == 1 and "a guest has 0000:03:00.0 already:" in p.stderr and
           "qemu-system-x86 (pid 5555) holds /dev/vfio/13" in p.stderr and p.log == [] and
           h.drivers()[:2] == ("vfio-pci", "vfio-pci") and h.record(),
           "a second start while a guest has the group: refused, the first guest's devices and record kept", p.stderr)
    p = h.run("win11", "release", "end", "-")
    tap.ok("stays with vfio-pci: a guest still has it" in p.stderr and p.log == [] and h.record(),
           "a stop while a guest still holds the group gives nothing back (vfio-pci's unbind would wait for it)",
           p.stderr)

    # Killed half way: the GPU off amdgpu, not yet on vfio-pci; the record says what it had.
    h = Host(tmp, "killed", text)
    os.unlink(os.path.join(h.sys, "bus/pci/devices", GPU, "driver"))
    os.rename(os.path.join(h.sys, "bus/pci/devices", GPU, "drm"), os.path.join(h.sys, "bus/pci/devices", GPU, "drm.gone"))
    with open(os.path.join(h.sys, "bus/pci/devices", GPU, "driver_override"), "w") as f:
        f.write("vfio-pci\n")
    os.makedirs(os.path.join(h.dir, "run/vfio-setup"))
    with open(os.path.join(h.dir, RECORD), "w") as f:
        f.write(f"guest win11\ndevice {GPU} amdgpu\n")
    p = h.run("win11", "prepare", "begin", "-")
    show("hook win11 prepare begin -   (after a start killed half way)", p)
    tap.ok(p.returncode == 0 and "left from a start that did not end: what it took goes back first" in p.stderr and
           p.log[:3] == [f"write bus/pci/devices/{GPU}/driver_override ", f"write bus/pci/drivers/amdgpu/bind {GPU}",
                         "modprobe vfio-pci"] and h.drivers()[:2] == ("vfio-pci", "vfio-pci"),
           "the next start gives back what the record says, then takes afresh", "\n".join(p.log) + p.stderr)

    # Proxmox VE's hookscript: pre-start takes, post-stop gives back.
    pve = machine(tmp, "pve-script", "proxmox8-zfs-grub")
    os.makedirs(os.path.join(pve, "etc/pve/qemu-server"))
    with open(os.path.join(pve, "etc/pve/qemu-server/100.conf"), "w") as f:
        f.write("machine: q35\n")
    h = Host(tmp, "pve-sys", hook_text(pve, "--handover", "100"))
    results = []
    for phase in ("pre-start", "post-start", "pre-stop", "post-stop"):
        p = h.run("100", phase)
        results.append((phase, p.returncode, h.drivers()[:2]))
    p = h.run("101", "pre-start")
    tap.ok(results == [("pre-start", 0, ("vfio-pci", "vfio-pci")), ("post-start", 0, ("vfio-pci", "vfio-pci")),
                       ("pre-stop", 0, ("vfio-pci", "vfio-pci")), ("post-stop", 0, AS_BOOTED[:2])] and
           p.log == [] and h.drivers() == AS_BOOTED,
           "Proxmox VE: pre-start takes, post-stop gives back (Proxmox binds at the start but never gives back); "
           "another guest's phases do nothing", results)

    calls = [line for d in os.listdir(tmp) if os.path.exists(os.path.join(tmp, d, "log"))
             for line in open(os.path.join(tmp, d, "log")).read().splitlines() if line.startswith("virsh")]
    tap.ok(calls == [], "the script never calls virsh (libvirt waits for it)", calls)
    tap.comment(transcript)


# vfio-setup runs the script with sh; this sh runs it against the fake sysfs, with the record in the tree's /run.
STAND_IN_SH = f'''#!/usr/bin/env python3
import os, sys
sys.path.insert(0, {LIB!r})
from vstest.fakesys import adapt_text
assert sys.argv[1] == "-c"
text = adapt_text(sys.argv[2], os.environ["FAKE_SYS"], os.environ["FAKE_PROC"],
                  os.path.join(os.environ["STANDIN_ROOT"], "run/vfio-setup"))
os.execv("/bin/sh", ["sh", "-c", text] + sys.argv[3:])
'''


def bind_release(tap, tmp):
    root = machine(tmp, "bind-root")
    commands = os.path.join(tmp, "cmd-bind")
    stand_ins(commands)
    h = Host(tmp, "bind-sys", hook_text(root, "--handover", "win11"))
    FakeSys.tool(os.path.join(commands, "sh"), STAND_IN_SH)
    env = {"FAKE_SYS": h.sys, "FAKE_PROC": h.fake.proc, "FAKE_LOG": h.fake.log, "FAKE_DIR": h.dir,
           "PATH": h.fake.bin + ":" + os.environ["PATH"]}

    p = run(root, commands, "bind", "--gpu", "03:00.0", env=env)
    record = os.path.join(root, RECORD)
    tap.ok(p.returncode == 0 and h.drivers() == ("vfio-pci", "vfio-pci", "i915") and os.path.exists(record) and
           f"{GPU}: on vfio-pci now, for the guest; vfio-setup release --gpu {GPU} gives it back" in p.stdout and
           open(record).read().startswith("guest -\n"),
           "bind: both functions to vfio-pci, written down as taken by hand", p.stdout + p.stderr)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--handover", "win11", "--yes")
    tap.ok(p.returncode == 2 and f"{GPU} is handed over by hand" in p.stderr,
           "an apply that writes a handover script waits for release", p.stderr)
    p = run(root, commands, "release", "--gpu", "03:00.0", env=env)
    tap.ok(p.returncode == 0 and h.drivers() == AS_BOOTED and h.nodes() and not os.path.exists(record) and
           f"{GPU}: given back to the host" in p.stdout, "release: each back to its driver, the record gone",
           p.stdout + p.stderr)
    p = run(root, commands, "release", "--gpu", GPU, env=env)
    tap.ok(p.returncode == 0 and "nothing to give back" in p.stdout, "release with nothing taken says so", p.stdout)

    h.fake.holder(4242, "gnome-shell", "/dev/dri/card1")
    p = run(root, commands, "bind", "--gpu", GPU, env=env)
    tap.ok(p.returncode == 2 and "gnome-shell (pid 4242) holds /dev/dri/card1" in p.stderr and
           h.drivers() == AS_BOOTED and not os.path.exists(record),
           "bind while a session uses the GPU: refused, the program named, nothing taken", p.stderr)
    shutil.rmtree(os.path.join(h.fake.proc, "4242"))
    p = run(root, commands, "bind", "--gpu", IGPU, env=env)
    tap.ok(p.returncode == 2 and "is it (the firmware's boot display)" in p.stderr and h.drivers() == AS_BOOTED,
           "bind of the host's boot display: refused by the plan's checks, nothing run", p.stderr)

    # The hook killed half way, as in the VM tier: release gives back what the record says.
    os.unlink(os.path.join(h.sys, "bus/pci/devices", GPU, "driver"))
    os.makedirs(os.path.dirname(record), exist_ok=True)
    with open(record, "w") as f:
        f.write(f"guest win11\ndevice {GPU} amdgpu\n")
    p = run(root, commands, "release", "--gpu", GPU, env=env)
    tap.ok(p.returncode == 0 and h.drivers() == AS_BOOTED and not os.path.exists(record),
           "release after a hook killed half way: the GPU back on amdgpu", p.stdout + p.stderr)
    p = run(root, None, "bind", "--gpu", GPU)
    tap.ok(p.returncode == 1 and "acts on the running machine's devices" in p.stderr,
           "bind without stand-ins on a --root tree: refused, nothing run", p.stderr)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        plan_apply_undo(tap, tmp)
        proxmox(tap, tmp)
        script_runs(tap, tmp)
        bind_release(tap, tmp)
    tap.done()


main()
