#!/usr/bin/python3
"""demo.py ISO DISKDIR: boots the rescue ISO in QEMU on this terminal.

The VM gets copies of DISKDIR/suspect.img (the planted samples) and
DISKDIR/data.img (RESCUEDATA: extra rules, reports), boots from the ISO as a
CD under SeaBIOS with the serial line on this terminal, and picks a GRUB
entry by its hotkey. On a terminal: "Unattended scan, then shell", then the
terminal is handed over (quit QEMU with Ctrl-A then X). Without a terminal:
"Unattended scan, then power off", and this exits when QEMU does: 0 when the
scan ran (with or without detections), non-zero when it did not.
"""

import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile

import pexpect


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: demo.py ISO DISKDIR")
    iso, diskdir = sys.argv[1:]
    if not os.path.isfile(iso):
        sys.exit(f"demo: '{iso}' not found (build the ISO first)")
    for name in ("suspect.img", "data.img"):
        if not os.path.isfile(os.path.join(diskdir, name)):
            sys.exit(f"demo: '{diskdir}/{name}' not found (run tests/boot/mkdisks.sh {diskdir})")
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    qemu = os.environ.get("QEMU", "qemu-system-x86_64")

    with tempfile.TemporaryDirectory(prefix="rescue-demo.") as tmp:
        disks = []
        for name in ("suspect.img", "data.img"):
            shutil.copyfile(os.path.join(diskdir, name), os.path.join(tmp, name))
            disks += ["-drive", f"file={os.path.join(tmp, name)},format=raw,if=virtio"]
        args = ["-m", "512", "-nographic", "-no-reboot", "-accel", "tcg", "-machine", "pc",
                "-drive", f"file={iso},media=cdrom,readonly=on", "-boot", "d"] + disks

        print("demo: booting the rescue ISO in QEMU (TCG: about 20 s to the report)")
        print("demo: disks: vda = suspect.img (NTFS, FAT32, ext4 with test samples), "
              "vdb = data.img (RESCUEDATA)")
        if interactive:
            print("demo: to quit QEMU at any time press Ctrl-A, then X")
        sys.stdout.flush()

        size = shutil.get_terminal_size((80, 24))
        child = pexpect.spawn(qemu, args, encoding="utf-8", codec_errors="replace",
                              dimensions=(size.lines, size.columns), timeout=300)
        child.logfile_read = sys.stdout
        if interactive:
            def resize(*_):
                s = shutil.get_terminal_size((80, 24))
                child.setwinsize(s.lines, s.columns)
            signal.signal(signal.SIGWINCH, resize)
        try:
            child.expect("Unattended scan, then shell", timeout=120)
            child.send("d" if interactive else "a")
            if interactive:
                child.logfile_read = None
                child.interact()
                child.close()
                return 0
            child.expect(r"RESCUE-EXIT=(\d+)", timeout=600)
            status = int(child.match.group(1))
            child.expect(pexpect.EOF, timeout=300)
            child.close()
            print(f"\ndemo: QEMU exited; rescue exit status {status}")
            listing = subprocess.run(
                ["mdir", "-b", "-i", os.path.join(tmp, "data.img") + "@@1M", "::/reports"],
                capture_output=True, text=True).stdout.split()
            if listing:
                print("demo: saved on the (copied) data disk: " + " ".join(listing))
            # Detections are what the demo is for: only a failed scan fails it.
            return 0 if status in (0, 1) else status
        except pexpect.TIMEOUT:
            print("\ndemo: timed out waiting for the VM", file=sys.stderr)
            return 2
        except pexpect.EOF:
            print("\ndemo: QEMU exited early", file=sys.stderr)
            return 2
        finally:
            if child.isalive():
                child.terminate(force=True)


if __name__ == "__main__":
    sys.exit(main())
