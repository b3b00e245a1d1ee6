"""QEMU harness for the boot tests (used by conftest.py and the tests).

Boots out/rescue.iso under TCG with the serial line on pexpect, in one of
these firmware modes:

  bios-cd     SeaBIOS, the ISO as a CD (-cdrom)
  bios-usb    SeaBIOS, the ISO as a USB stick (xHCI usb-storage, hybrid MBR)
  uefi        OVMF, the ISO as a raw disk
  uefi-cd     OVMF, the ISO as a CD
  uefi-sb     OVMF with Microsoft keys and Secure Boot enforcing, ISO as disk

The suspect disk (vda) and the data disk (vdb) are per-test copies of the
images tests/boot/mkdisks.sh makes; more disks, on virtio, AHCI or NVMe and
with injected read errors, come from drive_args (test_coverage.py). Every
expect step has a timeout, scaled by RESCUE_TEST_TIMEOUT_MULT; each test's
full console log is kept in out/test-logs/<test>.log.

Environment: RESCUE_ISO (default out/rescue.iso), RESCUE_DISKS (default
out/disks, built with mkdisks.sh when missing), RESCUE_TEST_TIMEOUT_MULT
(default 1), QEMU (default qemu-system-x86_64).
"""

import hashlib
import re
import os
import shutil
import time

import pexpect
import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(REPO, "out")
ISO = os.environ.get("RESCUE_ISO", os.path.join(OUT, "rescue.iso"))
DISKS = os.environ.get("RESCUE_DISKS", os.path.join(OUT, "disks"))
LOGS = os.path.join(OUT, "test-logs")
MULT = float(os.environ.get("RESCUE_TEST_TIMEOUT_MULT", "1"))
QEMU = os.environ.get("QEMU", "qemu-system-x86_64")
OVMF = "/usr/share/OVMF"

FIRMWARE = {
    "bios": None,
    "uefi": (f"{OVMF}/OVMF_CODE_4M.fd", f"{OVMF}/OVMF_VARS_4M.fd"),
    "uefi-sb": (f"{OVMF}/OVMF_CODE_4M.ms.fd", f"{OVMF}/OVMF_VARS_4M.ms.fd"),
}

# Boot-to-report times, printed at the end of the run.
TIMINGS = []
# More sections for the terminal summary: (title, [lines]).
SUMMARIES = []


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def drive_args(name, path, bus, blkdebug=None, device_opts=""):
    """QEMU arguments attaching the raw image path as drive name on bus:
    "virtio" (vdX, in the order given), "ahci" (sdX; adds an AHCI controller
    "ahci-<name>", which works on both pc and q35) or "nvme" (nvmeXn1).
    blkdebug: a blkdebug rules file whose read errors QEMU injects.
    device_opts: appended to the -device options (",addr=0x10,bootindex=1")."""
    if blkdebug:
        drive = (f"if=none,id={name},driver=raw,file.driver=blkdebug,file.config={blkdebug},"
                 f"file.image.filename={path}")
    else:
        drive = f"if=none,id={name},format=raw,file={path}"
    if bus == "virtio":
        return ["-drive", drive, "-device", f"virtio-blk-pci,drive={name}{device_opts}"]
    if bus == "ahci":
        return ["-device", f"ahci,id=ahci-{name}", "-drive", drive,
                "-device", f"ide-hd,drive={name},bus=ahci-{name}.0{device_opts}"]
    if bus == "nvme":
        return ["-drive", drive, "-device", f"nvme,drive={name},serial=RESCUE-{name}{device_opts}"]
    raise ValueError(f"unknown bus {bus}")


class Machine:
    """One QEMU run on the serial console."""

    def __init__(self, mode, workdir, logpath, suspect=None, data=None, drives=(), vars_file=None):
        """drives: extra QEMU arguments for more disks, placed after the
        suspect and data disks and before the medium (see drive_args).
        vars_file: an OVMF variable store to use as it is (UEFI modes),
        instead of a fresh copy of the template."""
        self.mode = mode
        self.vars_file = vars_file
        self.drives = list(drives)
        self.workdir = workdir
        self.logpath = logpath
        self.suspect = suspect
        self.data = data
        self.child = None
        self.logfile = None
        self.started = None
        self.marks = {}

    def command(self):
        fw = "uefi-sb" if self.mode == "uefi-sb" else ("uefi" if self.mode.startswith("uefi") else "bios")
        args = [QEMU, "-m", "512", "-nographic", "-no-reboot", "-accel", "tcg", "-smp", "1"]
        if fw == "bios":
            args += ["-machine", "pc"]
        else:
            code, vars_template = FIRMWARE[fw]
            vars_copy = self.vars_file or os.path.join(self.workdir, "OVMF_VARS.fd")
            if not self.vars_file:
                shutil.copyfile(vars_template, vars_copy)
            if fw == "uefi-sb":
                args += ["-machine", "q35,smm=on", "-global", "driver=cfi.pflash01,property=secure,value=on"]
            else:
                args += ["-machine", "q35"]
            args += [
                "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
                "-drive", f"if=pflash,format=raw,unit=1,file={vars_copy}",
            ]
        # Suspect and data disks first, so that they are vda and vdb.
        for name, path in (("suspect", self.suspect), ("data", self.data)):
            if path:
                args += [
                    "-drive", f"if=none,id={name},format=raw,file={path}",
                    "-device", f"virtio-blk-pci,drive={name}",
                ]
        args += self.drives
        medium = f"if=none,id=medium,format=raw,readonly=on,file={ISO}"
        if self.mode.endswith("-cd"):
            args += ["-drive", medium.replace("format=raw", "media=cdrom"), "-device", "ide-cd,drive=medium,bootindex=0"]
        elif self.mode == "bios-usb":
            args += ["-drive", medium, "-device", "qemu-xhci", "-device", "usb-storage,drive=medium,bootindex=0"]
        else:
            args += ["-drive", medium, "-device", "virtio-blk-pci,drive=medium,bootindex=0"]
        return args

    def start(self):
        args = self.command()
        self.logfile = open(self.logpath, "w", encoding="utf-8", errors="replace")
        self.logfile.write("# " + " ".join(args) + "\n")
        self.logfile.flush()
        self.started = time.monotonic()
        self.child = pexpect.spawn(
            args[0], args[1:], encoding="utf-8", codec_errors="replace",
            logfile=self.logfile, timeout=30 * MULT, dimensions=(50, 160),
        )
        return self

    def expect(self, pattern, timeout, step):
        """Waits for pattern (regex or list) for timeout*MULT seconds; fails naming the step."""
        try:
            index = self.child.expect(pattern, timeout=timeout * MULT)
        except pexpect.TIMEOUT:
            pytest.fail(f"{self.mode}: timed out after {timeout * MULT:.0f} s waiting for {step} "
                        f"(log: {self.logpath})")
        except pexpect.EOF:
            pytest.fail(f"{self.mode}: QEMU exited while waiting for {step} (log: {self.logpath})")
        self.marks[step] = time.monotonic() - self.started
        return index

    def send(self, text):
        self.child.send(text)

    def choose(self, hotkey, title):
        """Waits for the GRUB menu and picks an entry by its hotkey."""
        self.expect(re.escape(title), 120, "the GRUB menu")
        # Let GRUB finish drawing before the key arrives.
        time.sleep(0.5)
        self.send(hotkey)

    def wait_exit(self, timeout):
        """Waits for QEMU to exit by itself; returns its exit status."""
        try:
            self.child.expect(pexpect.EOF, timeout=timeout * MULT)
        except pexpect.TIMEOUT:
            pytest.fail(f"{self.mode}: QEMU still running after {timeout * MULT:.0f} s (no power-off)")
        self.child.close()
        return self.child.exitstatus

    def log_text(self):
        self.logfile.flush()
        with open(self.logpath, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        if self.child is not None and self.child.isalive():
            self.child.terminate(force=True)
        if self.logfile is not None:
            self.logfile.close()
