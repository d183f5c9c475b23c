#!/usr/bin/env python3
"""Single-GPU mode (--single-gpu DOMAIN).

The plan, apply, verify, undo and --release of the libvirt hook on a one-GPU machine and on a
machine with two; then the hook itself, run by sh as libvirt runs it, against stand-ins for
systemctl, modprobe and virsh and a fake sysfs whose "kernel" answers every write as the real
one does (unbind drops the driver link, drivers_probe binds by driver_override or else the
device's own driver). Every write and command goes to one log, in order. The hook's one line
that writes to sysfs and its two paths (/sys, /run) are the only lines the test changes.
Usage: single_gpu.py VFIO_SETUP MKROOT TESTS_DIR   (TAP on stdout)
"""
import json
import os
import shutil
import stat
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from vstest import Tap, card_tree, in_root, roots, stand_ins  # noqa: E402
from vstest.fakesys import FakeSys, check_script  # noqa: E402

BINARY, MKROOT, TESTS = sys.argv[1:4]
HOOK = "etc/libvirt/hooks/qemu.d/vfio-setup-single-gpu"
GPU, AUDIO = "0000:03:00.0", "0000:03:00.1"     # single-gpu-amd.card's RX 7900 and its HDMI audio
def run(root, commands, *args):
    return in_root(BINARY, root, *args, commands=commands)


def plan_and_apply(tap, tmp):
    root = os.path.join(tmp, "one-gpu")
    card_tree(MKROOT, "single-gpu-amd", root)
    commands = os.path.join(tmp, "cmd-one")
    log = stand_ins(commands)
    before = roots.machine_tree(root)

    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU)
    tap.ok(p.returncode == 2 and "--single-gpu DOMAIN" in p.stderr,
           "one GPU: the plan that binds it at boot is refused and names single-GPU mode", p.stderr)
    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--single-gpu", "bad name")
    tap.ok(p.returncode == 1 and "--single-gpu bad name" in p.stderr, "a domain name no script can hold is refused",
           p.stderr)
    p = run(root, commands, "plan", "--no-trial", "--gpu", GPU, "--single-gpu", "win11", "--json")
    plan = json.loads(p.stdout or "null") or {}
    files = {f["path"]: f for f in plan.get("files", [])}
    tap.ok(p.returncode == 0 and plan["single_gpu"] == "win11" and plan["devices"] == [GPU, AUDIO] and
           plan["vfio_ids"] == [] and plan["kernel_params"]["add"] == [] and plan["commands"] == [],
           "plan --json: both functions, no ids, no parameters, nothing to regenerate", p.stdout[-600:] + p.stderr)
    tap.ok(sorted(files) == ["/" + HOOK, "/var/lib/vfio-setup/state"] and files["/" + HOOK]["mode"] == 0o755 and
           '\nguest=win11\n' in files["/" + HOOK]["content"] and
           '\ndevices="0000:03:00.0 0000:03:00.1"\n' in files["/" + HOOK]["content"],
           "the plan writes the hook (0755, for win11 and both functions) and the state, nothing at boot",
           sorted(files))
    tap.ok(any("no display at all" in w for w in plan["warnings"]) and
           any("restart libvirt" in m for m in plan["manual"]), "it says what the mode means and to restart libvirtd",
           plan.get("warnings"))

    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--single-gpu", "win11", "--yes")
    hook = os.path.join(root, HOOK)
    tap.ok(p.returncode == 0 and os.path.isfile(hook) and stat.S_IMODE(os.stat(hook).st_mode) == 0o755 and
           not os.path.exists(log) and "Done. Next: restart libvirtd so that it finds the hook, then run" in p.stdout,
           "apply writes the hook, executable, runs nothing, and asks for libvirtd's restart, not a reboot",
           p.stdout[-300:] + p.stderr)
    state = open(os.path.join(root, "var/lib/vfio-setup/state")).read()
    tap.ok("single_gpu=win11\n" in state and "ids=" not in state, "the state records the mode", state)
    check_script(tap, hook, "the hook")

    # Booted before the apply: nothing at boot changed (AMD needs no parameter), so no reboot is asked for.
    with open(os.path.join(root, "proc/stat"), "w") as f:
        f.write("cpu  1 2 3 4\nbtime 1000\n")
    p = run(root, commands, "verify")
    tap.ok(p.returncode == 0 and f"{GPU} is with the host (amdgpu) until win11 starts" in p.stdout and
           "rebooted" not in p.stdout and
           f"the single-GPU hook /{HOOK} is there for guest win11" in p.stdout,
           "verify: the GPU is with the host until the guest starts, and the hook is there", p.stdout + p.stderr)
    os.chmod(hook, 0o644)
    p = run(root, commands, "verify")
    tap.ok(p.returncode == 2 and "is missing or not executable" in p.stdout, "verify: a hook that cannot run fails",
           p.stdout)
    os.chmod(hook, 0o755)
    p = run(root, commands, "plan")
    tap.ok(p.returncode == 0 and "Nothing to change" in p.stdout and "single-GPU mode" in p.stdout,
           "plan without options: the recorded mode, nothing to change", p.stdout[:400])
    p = run(root, commands, "plan", "--no-trial", "--libvirt-domain", "win11")
    tap.ok(p.returncode == 0 and "<name>win11</name>" in p.stdout and "bus='0x03'" in p.stdout,
           "plan --libvirt-domain: the domain the hook is for, with the GPU", p.stdout[:300] + p.stderr)

    # While the guest runs, its hook's record says what it took: nothing may change the hook until it stops.
    record = os.path.join(root, "run/vfio-setup/single-gpu-win11")
    os.makedirs(os.path.dirname(record))
    with open(record, "w") as f:
        f.write(f"display-manager\ndevice {GPU} amdgpu\ndevice {AUDIO} snd_hda_intel\n")
    hook_text = open(hook).read()
    for what, args in (("apply for another guest", ["apply", "--no-trial", "--gpu", GPU, "--single-gpu", "other", "--yes"]),
                       ("apply --release", ["apply", "--no-trial", "--release", "--yes"]), ("undo", ["undo", "--yes"])):
        p = run(root, commands, *args)
        tap.ok(p.returncode == 2 and "the guest win11 holds the devices single-GPU mode handed over" in p.stderr and
               "virsh shutdown win11" in p.stderr and open(hook).read() == hook_text,
               f"{what} while win11 runs: refused, the hook as it was", p.stdout[-300:] + p.stderr)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--single-gpu", "win11", "--goal", "gaming", "--vm-memory", "2G",
            "--yes")
    tap.ok(p.returncode == 0 and open(hook).read() == hook_text,
           "... a change that leaves the hook as it is goes ahead", p.stdout[-300:] + p.stderr)
    run(root, commands, "undo", "--yes")
    shutil.rmtree(os.path.join(root, "run"))
    p = run(root, commands, "undo", "--yes")
    after = roots.machine_tree(root)
    tap.ok(p.returncode == 0 and roots.differences(before, after) == [],
           "undo (the guest stopped): the hook and its directories are gone, every file as before",
           roots.differences(before, after))

    run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--single-gpu", "win11", "--yes")
    p = run(root, commands, "plan", "--no-trial", "--release")
    tap.ok(p.returncode == 0 and f"Delete /{HOOK}" in p.stdout, "plan --release deletes the hook", p.stdout[:400])
    p = run(root, commands, "apply", "--no-trial", "--release", "--yes")
    tap.ok(p.returncode == 0 and not os.path.exists(hook) and not os.path.exists(os.path.join(root, "etc/libvirt")),
           "apply --release removes it and the directories made for it", p.stdout[-300:] + p.stderr)
    p = run(root, commands, "plan", "--no-trial", "--release", "--single-gpu", "win11")
    tap.ok(p.returncode == 1, "--release takes no --single-gpu", p.stderr)

    # Two GPUs: the mode still works, with a warning; and leaving it binds at boot and removes the hook.
    root = os.path.join(tmp, "two-gpus")
    roots.build(MKROOT, "debian12-grub", "hw-intel-amd", root)
    commands = os.path.join(tmp, "cmd-two")
    log = stand_ins(commands)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--single-gpu", "vm", "--yes")
    grub = open(os.path.join(root, "etc/default/grub")).read()
    tap.ok(p.returncode == 0 and os.path.exists(os.path.join(root, HOOK)) and "vfio-pci.ids" not in grub and
           not os.path.exists(os.path.join(root, "etc/modprobe.d/vfio-setup.conf")) and "3 GPUs" in p.stdout and
           "and reboot for the kernel parameters" in p.stdout and open(log).read() == "update-grub \n",
           "two GPUs: the hook, a warning, and no ids anywhere", p.stdout[-600:] + p.stderr)
    p = run(root, commands, "apply", "--no-trial", "--gpu", GPU, "--yes")
    tap.ok(p.returncode == 0 and not os.path.exists(os.path.join(root, HOOK)) and
           os.path.exists(os.path.join(root, "etc/modprobe.d/vfio-setup.conf")),
           "without --single-gpu the devices are bound at boot and the hook goes", p.stdout[-300:] + p.stderr)


class Host:
    """A fake sysfs with the GPU on amdgpu and its audio on snd_hda_intel, a framebuffer console,
    simpledrm's framebuffer and a running display manager; the hook adapted to it."""

    def __init__(self, tmp, name, hook_text):
        self.fake = FakeSys(os.path.join(tmp, name), {GPU: "amdgpu", AUDIO: "snd_hda_intel"})
        self.dir, self.sys = self.fake.dir, self.fake.sys
        for con, bound in (("vtcon0", "0"), ("vtcon1", "1")):
            os.makedirs(os.path.join(self.sys, "class/vtconsole", con))
            open(os.path.join(self.sys, "class/vtconsole", con, "bind"), "w").write(bound + "\n")
        os.makedirs(os.path.join(self.sys, "bus/platform/drivers/simple-framebuffer/simple-framebuffer.0"))
        open(os.path.join(self.dir, "dm-active"), "w").close()
        self.hook = self.fake.adapt(hook_text, "hook")

    def run(self, *args, **env):
        # libvirt gives the domain's XML on stdin.
        return self.fake.run(self.hook, *args, stdin="<domain/>", **env)

    def driver(self, dev):
        return self.fake.driver(dev)

    def read(self, rel):
        return self.fake.read(rel)

    def host_state(self):
        return (self.driver(GPU), self.driver(AUDIO), self.read("class/vtconsole/vtcon1/bind"),
                os.path.isdir(os.path.join(self.sys, "bus/platform/drivers/simple-framebuffer/simple-framebuffer.0")),
                os.path.exists(os.path.join(self.dir, "dm-active")),
                os.path.exists(os.path.join(self.dir, f"run/vfio-setup/handover-{GPU}")))


HOST_AS_BOOTED = ("amdgpu", "snd_hda_intel", "1", True, True, False)

START_LOG = [
    "systemctl is-active --quiet display-manager.service",
    "systemctl stop display-manager.service",
    "write class/vtconsole/vtcon1/bind 0",
    "write bus/platform/drivers/simple-framebuffer/unbind simple-framebuffer.0",
    "modprobe vfio-pci",
    f"write bus/pci/devices/{GPU}/driver_override vfio-pci",
    f"write bus/pci/drivers/amdgpu/unbind {GPU}",
    f"write bus/pci/drivers_probe {GPU}",
    f"write bus/pci/devices/{AUDIO}/driver_override vfio-pci",
    f"write bus/pci/drivers/snd_hda_intel/unbind {AUDIO}",
    f"write bus/pci/drivers_probe {AUDIO}",
]
STOP_LOG = [
    f"write bus/pci/devices/{GPU}/driver_override ",
    f"write bus/pci/drivers/vfio-pci/unbind {GPU}",
    f"write bus/pci/drivers/amdgpu/bind {GPU}",
    f"write bus/pci/devices/{AUDIO}/driver_override ",
    f"write bus/pci/drivers/vfio-pci/unbind {AUDIO}",
    f"write bus/pci/drivers/snd_hda_intel/bind {AUDIO}",
    "write bus/platform/drivers/simple-framebuffer/bind simple-framebuffer.0",
    "write class/vtconsole/vtcon1/bind 1",
    "systemctl start display-manager.service",
]


def hook_runs(tap, tmp):
    root = os.path.join(tmp, "hook-root")
    card_tree(MKROOT, "single-gpu-amd", root)
    p = run(root, os.path.join(tmp, "none"), "plan", "--no-trial", "--gpu", GPU, "--single-gpu", "win11", "--json")
    text = next(f["content"] for f in json.loads(p.stdout)["files"] if f["path"] == "/" + HOOK)
    transcript = []

    def show(what, p):
        transcript.extend([f"$ hook {what}"] + [f"  {line}" for line in p.log] +
                          [f"  (stderr) {line}" for line in p.stderr.splitlines()] + [f"  exit {p.returncode}"])

    h = Host(tmp, "started", text)
    p = h.run("win11", "prepare", "begin", "-")
    show("win11 prepare begin -", p)
    tap.ok(p.returncode == 0 and p.log == START_LOG, "prepare begin: the display manager stops, the console and the "
           "framebuffer let go, vfio-pci loads, each function is moved to it", "\n".join(p.log) + p.stderr)
    tap.ok(h.host_state() == ("vfio-pci", "vfio-pci", "0", False, False, True) and
           h.read(f"bus/pci/devices/{GPU}/driver_override") == "vfio-pci", "both functions are with vfio-pci",
           h.host_state())
    p = h.run("win11", "start", "begin", "-")
    tap.ok(p.returncode == 0 and p.log == [], "the other operations do nothing", p.log)
    p = h.run("win11", "release", "end", "-")
    show("win11 release end -", p)
    tap.ok(p.returncode == 0 and p.log == STOP_LOG, "release end: each function goes back to the driver it had, the "
           "framebuffer and console come back, the display manager starts", "\n".join(p.log) + p.stderr)
    tap.ok(h.host_state() == HOST_AS_BOOTED and h.read(f"bus/pci/devices/{GPU}/driver_override") == "(null)",
           "the host is as it booted, the override cleared, the record gone", h.host_state())
    p = h.run("win11", "release", "end", "-")
    tap.ok(p.returncode == 0 and p.log == [], "a second release end (or one without a start) touches nothing", p.log)
    p = h.run("other", "prepare", "begin", "-")
    tap.ok(p.returncode == 0 and p.log == [] and h.host_state() == HOST_AS_BOOTED, "another guest: nothing", p.log)

    # A start cut short (libvirtd killed) leaves the record: a second start gives back what it says first, so that
    # the display manager it stopped is not forgotten.
    h = Host(tmp, "twice", text)
    h.run("win11", "prepare", "begin", "-")
    p = h.run("win11", "prepare", "begin", "-")
    record = open(os.path.join(h.dir, f"run/vfio-setup/handover-{GPU}")).read()
    tap.ok(p.returncode == 0 and p.log == STOP_LOG + START_LOG and "display-manager\n" in record and
           "left from a start that did not end" in p.stderr,
           "a start again over a start gives back what the first took, then takes it again, the display manager "
           "recorded", "\n".join(p.log) + p.stderr)
    p = h.run("win11", "release", "end", "-")
    tap.ok(p.returncode == 0 and h.host_state() == HOST_AS_BOOTED, "... and the stop gives everything back",
           h.host_state())

    # The stop gives back what the start wrote down, whatever the hook says now (it was rewritten meanwhile).
    h = Host(tmp, "changed", text)
    h.run("win11", "prepare", "begin", "-")
    narrowed = text.replace(f'devices="{GPU} {AUDIO}"', 'devices="0000:09:00.0"')
    h.hook = h.fake.adapt(narrowed, "hook2")
    p = h.run("win11", "release", "end", "-")
    tap.ok(p.returncode == 0 and h.host_state() == HOST_AS_BOOTED,
           "a hook rewritten while the guest ran: its stop still gives back both functions the start took",
           f"{h.host_state()}\n" + "\n".join(p.log))

    # A function that had no driver goes back to none, not to whatever a probe finds.
    h = Host(tmp, "driverless", text)
    os.unlink(os.path.join(h.sys, "bus/pci/devices", AUDIO, "driver"))
    h.run("win11", "prepare", "begin", "-")
    p = h.run("win11", "release", "end", "-")
    tap.ok(p.returncode == 0 and h.driver(AUDIO) is None and h.driver(GPU) == "amdgpu",
           "a function without a driver before the start has none after the stop", "\n".join(p.log))

    h = Host(tmp, "no-dm", text)
    os.unlink(os.path.join(h.dir, "dm-active"))
    h.run("win11", "prepare", "begin", "-")
    p = h.run("win11", "release", "end", "-")
    tap.ok(p.returncode == 0 and not any("start display-manager" in line for line in p.log) and
           not os.path.exists(os.path.join(h.dir, "dm-active")), "no display manager running: none is started", p.log)

    faults = [
        ("the GPU's driver does not let go", {"FAKE_FAIL": "bus/pci/drivers/amdgpu/unbind"}, "amdgpu does not let it go"),
        ("the audio's driver does not let go", {"FAKE_FAIL": "bus/pci/drivers/snd_hda_intel/unbind"},
         "snd_hda_intel does not let it go"),
        ("modprobe vfio-pci fails", {"FAKE_MODPROBE_FAILS": "1"}, "modprobe vfio-pci failed"),
        ("vfio-pci does not take the GPU", {"FAKE_NOBIND": GPU}, "vfio-pci does not take it"),
        ("the display manager does not stop", {"FAKE_DM_STUCK": "1"}, "the display manager does not stop"),
    ]
    for name, env, said in faults:
        h = Host(tmp, "fault-" + str(faults.index((name, env, said))), text)
        p = h.run("win11", "prepare", "begin", "-", **env)
        if env.get("FAKE_NOBIND") == GPU:
            show("win11 prepare begin -   (vfio-pci does not take the GPU)", p)
        ok_state = h.host_state() == HOST_AS_BOOTED or (env.get("FAKE_DM_STUCK") and h.host_state()[:4] == HOST_AS_BOOTED[:4])
        noise = [line for line in p.stderr.splitlines() if "go back to the host" not in line and said not in line]
        tap.ok(p.returncode == 1 and said in p.stderr and "go back to the host" in p.stderr and ok_state and not noise,
               f"{name}: the start fails, says why (and nothing else), and the host gets everything back",
               f"{p.returncode} {h.host_state()}\n" + p.stderr + "\n".join(p.log))

    calls = [line for d in os.listdir(tmp) if os.path.exists(os.path.join(tmp, d, "log"))
             for line in open(os.path.join(tmp, d, "log")).read().splitlines() if line.startswith("virsh")]
    tap.ok(calls == [], "the hook never calls virsh (libvirt waits for it)", calls)
    tap.comment(transcript)


def main():
    tap = Tap()
    with tempfile.TemporaryDirectory() as tmp:
        plan_and_apply(tap, tmp)
        hook_runs(tap, tmp)
    tap.done()


main()
