"""The rescue screen in the image: GRUB's "Rescue scanner" entry (rescue.ui=1)
runs `rescue ui` on the serial console (TERM=vt220), read here through a
terminal emulator (pyte) the size ncurses takes for vt220 (80x24: the
serial line has no size of its own).

Two boots share one set of writable disk copies:

  1  BIOS: the home screen lists the volumes; s, Enter scans; the NTFS
     EICAR sample is picked in the results, u, P, a, y quarantines it;
     the shell key (!) records nothing but a `sync; poweroff -f`.
  2  UEFI: Q lists the item; r, y restores it; the allowlist question is
     answered y; the shell key (!) shows the file back, byte-exact, with
     its times, and the allowlist entry.

Every wait is for text on the emulated screen AND a second of silence on
the line (a redraw takes a while at 115200 baud), with a timeout scaled by
RESCUE_TEST_TIMEOUT_MULT. The screens are kept as text in
out/test-logs/ui-qemu/; the console logs in out/test-logs/test_ui_boot_*.log.
"""

import json
import os
import re
import subprocess
import time

import pexpect
import pyte
import pytest

from bootvm import LOGS, MULT, OUT, TIMINGS, Machine

ENTRY_UI = ("u", "Rescue scanner")
CAPTURES = os.path.join(OUT, "test-logs", "ui-qemu")
SAMPLE = "/mnt/vda1/Users/Public/Downloads/eicar.com"
EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
COLS, ROWS = 80, 24          # vt220's terminfo size: what ncurses uses
LAST_BODY = ROWS - 3         # the selected line's full name in lists
QUIET = 1.0                  # seconds without output: the screen is drawn

# vt220 keys (its terminfo: no keypad transmit mode, so plain CSI arrows).
KEY = {"Enter": "\r", "Down": "\x1b[B", "Up": "\x1b[A", "F1": "\x1bOP",
       "F10": "\x1b[21~", "C-l": "\x0c"}
# The login shell's prompt (after leaving the UI) and the shell key's
# (BusyBox ash's default, "/ # ").
PROMPT = r"(?:rescue:\S*[#$]|/\S* [#$]) "


class Console:
    """A booted Machine's serial line on an emulated 80x24 screen."""

    def __init__(self, m):
        self.m = m
        self.screen = pyte.Screen(COLS, ROWS)
        self.stream = pyte.Stream(self.screen)
        # ncurses draws vt220 boxes with the DEC line-drawing set (ESC ( 0),
        # which pyte honours only outside its UTF-8 mode; the UI sends no
        # UTF-8 here (C locale: other bytes are shown as \xNN).
        self.stream.use_utf8 = False
        self.raw = ""            # everything read, for shell output

    def pump(self, seconds):
        """Reads for up to seconds; returns when QUIET seconds pass without
        output (True) or the time is up (False)."""
        end = time.monotonic() + seconds
        last = time.monotonic()
        while time.monotonic() < end:
            try:
                data = self.m.child.read_nonblocking(65536, timeout=0.1)
            except pexpect.TIMEOUT:
                if time.monotonic() - last >= QUIET:
                    return True
                continue
            except pexpect.EOF:
                pytest.fail(f"{self.m.mode}: QEMU exited (log: {self.m.logpath})")
            if data:
                self.stream.feed(data)
                self.raw += data
                last = time.monotonic()
        return False

    def text(self):
        return "\n".join(line.rstrip() for line in self.screen.display)

    def wait(self, *texts, timeout=60, absent=(), step=None):
        """Waits until texts are on the screen (and not absent) and the line
        has been quiet for QUIET seconds; returns the screen text."""
        end = time.monotonic() + timeout * MULT
        while True:
            quiet = self.pump(min(5.0, max(0.1, end - time.monotonic())))
            text = self.text()
            if quiet and all(t in text for t in texts) and not any(a in text for a in absent):
                if step or texts:
                    self.m.marks[step or texts[0]] = time.monotonic() - self.m.started
                return text
            if time.monotonic() > end:
                pytest.fail(f"{self.m.mode}: timed out after {timeout * MULT:.0f} s waiting for "
                            f"{step or texts} (log: {self.m.logpath}); the screen:\n{text}")

    def key(self, *names):
        for k in names:
            self.m.send(KEY.get(k, k))

    def press(self, k, *texts, timeout=60, absent=()):
        self.key(k)
        return self.wait(*texts, timeout=timeout, absent=absent)

    def redraw(self):
        """Ctrl-L: the UI paints the whole screen again (after kernel
        messages on the console wrote over it)."""
        self.key("C-l")
        self.pump(10)

    def save(self, name):
        os.makedirs(CAPTURES, exist_ok=True)
        with open(os.path.join(CAPTURES, f"{name}.txt"), "w", encoding="utf-8") as f:
            f.write(self.text() + "\n")

    def shell(self, command, timeout=60):
        """At a shell prompt: runs command; returns (status, output). The
        markers are printf arguments, so the echoed command never matches."""
        tag = f"U{len(self.raw)}"
        start = len(self.raw)
        self.m.send(f"printf '%s-%s\\n' {tag} BEGIN; {command}; printf '%s-%s-%s\\n' {tag} END $?\r")
        end = time.monotonic() + timeout * MULT
        pattern = re.compile(rf"{tag}-BEGIN\r*\n(.*?){tag}-END-(\d+)\r*\n", re.S)
        while True:
            self.pump(1)
            got = pattern.search(self.raw, start)
            if got:
                break
            if time.monotonic() > end:
                pytest.fail(f"{self.m.mode}: '{command}' did not finish in {timeout * MULT:.0f} s "
                            f"(log: {self.m.logpath})")
        while not re.search(PROMPT, self.raw[got.end():]):
            self.pump(1)
            if time.monotonic() > end + 30 * MULT:
                pytest.fail(f"no prompt after '{command}' (log: {self.m.logpath})")
        return int(got.group(2)), got.group(1).replace("\r", "")

    def to_shell(self):
        """The shell key: the UI leaves the screen for a shell."""
        start = len(self.raw)
        self.key("!")
        end = time.monotonic() + 60 * MULT
        while not re.search(PROMPT, self.raw[start:]):
            self.pump(2)
            if time.monotonic() > end:
                pytest.fail(f"no shell prompt after '!'; the screen:\n{self.text()}")
        assert "Shell: type 'exit' to go back to the rescue screen." in self.raw[start:]

    def back_from_shell(self):
        self.m.send("exit\r")
        return self.wait("back from the shell", step="back from the shell")


def file_state(con, path):
    """(sha256, 'mtime-seconds|full mtime|mode') of a guest file, or None."""
    status, out = con.shell(f"sha256sum '{path}' && stat -c 'STAT %Y|%y|%a' '{path}'")
    if status:
        return None
    sha = re.search(r"^([0-9a-f]{64})\s", out, re.M)
    st = re.search(r"^STAT (.*)$", out, re.M)
    assert sha and st, out
    return sha.group(1), st.group(1)


def boot_ui(mode, workdir, name, suspect, data):
    m = Machine(mode, workdir, os.path.join(LOGS, f"test_ui_boot_{name}.log"), suspect, data)
    m.start()
    m.choose(*ENTRY_UI)
    con = Console(m)
    # The home screen once /init has mounted the volumes.
    con.wait("Ready", "Volumes to scan", "/mnt/vda1", "Where things go", timeout=300,
             step="the rescue screen")
    return m, con


def power_off(con):
    """At a shell prompt: `sync; poweroff -f`; QEMU's exit status."""
    con.m.send("sync; poweroff -f\r")
    con.m.expect(r"reboot: Power down", 60, "power-off")
    return con.m.wait_exit(60)


def select(con, needle, total):
    """Moves the results' cursor to the line whose full name (shown on the
    last row of the list) is needle."""
    for _ in range(total):
        if con.screen.display[LAST_BODY].strip().endswith(needle):
            return
        before = con.screen.display[LAST_BODY]
        con.key("Down")
        con.wait()
        if con.screen.display[LAST_BODY] == before:
            break
    pytest.fail(f"no line {needle!r} in the results:\n{con.text()}")


def test_ui_quarantine_restore_across_boots(iso, disks, tmp_path):
    disk_dir, expected = disks
    os.makedirs(LOGS, exist_ok=True)
    suspect = str(tmp_path / "suspect.img")
    data = str(tmp_path / "data.img")
    for name, dst in (("suspect.img", suspect), ("data.img", data)):
        subprocess.run(["cp", "--sparse=always", os.path.join(disk_dir, name), dst],
                       check=True, timeout=120)

    # --- boot 1: scan, quarantine the NTFS sample --------------------------
    m, con = boot_ui("bios-cd", str(tmp_path), "1", suspect, data)
    try:
        home = con.text()
        for vol in ("/dev/vda1    ntfs", "/dev/vda2    vfat", "/dev/vda3    ext4",
                    "quarantine: /data/quarantine", "reports:    /data/reports"):
            assert vol in home, f"{vol!r} not on the home screen:\n{home}"
        # The size ncurses took (vt220's 80x24): the title on the first row,
        # the key bar on the 24th.
        assert con.screen.display[0].startswith(" rescue ") and "F1/? help" in con.screen.display[0]
        assert con.screen.display[ROWS - 1].startswith("s scan  r results"), con.text()
        con.save("home")
        # The sample as it is, from the shell key (and back).
        con.to_shell()
        before = file_state(con, SAMPLE)
        assert before and before[0] == EICAR_SHA256, before
        # Back from the shell, the whole screen is painted again (a vt220
        # has no alternate screen: the shell's lines were on it).
        screen = con.back_from_shell()
        assert "Shell: type 'exit'" not in screen and "sha256sum" not in screen, screen
        assert con.screen.display[ROWS - 1].startswith("s scan  r results"), screen
        con.save("back-from-shell")
        con.press("s", "Scan setup", "[x] volume  /mnt/vda1", "[x] disk    /dev/vda")
        con.save("setup")
        con.key("Enter")
        results = con.wait("Results", "scan finished", "detected:", timeout=600, step="the scan")
        con.save("results")
        total = int(re.search(r"(\d+) detected:", results).group(1))
        assert total >= 9, results
        select(con, SAMPLE, total)
        con.press("u", "planned: quarantine", "[Q]")
        con.press("P", "Plan", "[Q] quarantine", SAMPLE, "moved into the quarantine /data/quarantine")
        con.save("plan")
        con.press("a", "Quarantine 1 file?", "y = yes")
        con.save("plan-confirm")
        con.key("y")
        screen = con.wait("plan applied: 1 done, 0 not done", timeout=120, step="the quarantine")
        if "done: quarantined as" not in screen:
            con.redraw()  # kernel lines (the volume made writable) over it
            screen = con.wait("done: quarantined as")
        qid = re.search(r"done: quarantined as (\S+)", screen).group(1)
        con.save("plan-applied")
        con.to_shell()
        assert file_state(con, SAMPLE) is None, "the sample is still in place"
        assert power_off(con) == 0
        TIMINGS.append(("ui boot 1 (bios-cd)", dict(m.marks)))
    finally:
        m.stop()

    # --- boot 2: restore it from the quarantine manager ------------------
    m, con = boot_ui("uefi-cd", str(tmp_path), "2", suspect, data)
    try:
        con.key("Q")
        screen = con.wait("Quarantine", "1 item, oldest first", qid, "from  " + SAMPLE,
                          ":EICAR_Test_File")
        con.save("quarantine")
        con.press("r", f"Restore {qid} to", "It is put back byte-exact")
        con.save("restore-confirm")
        con.key("y")
        screen = con.wait("Was it a false positive? Always allow this file?", timeout=120,
                          step="the restore")
        con.save("allow-offer")
        con.key("y")
        screen = con.wait("The quarantine is empty", f"restored {qid} and a", timeout=60)
        con.save("restored")
        con.key("A")
        screen = con.wait("Allowlist", "1 entry: a file always allowed", EICAR_SHA256,
                          ":EICAR_Test_File", f"restored from quarantine {qid}")
        con.save("allowlist")
        con.to_shell()
        after = file_state(con, SAMPLE)
        assert after is not None, "the sample was not restored"
        assert after[0] == EICAR_SHA256, after
        assert after == before, f"restored {after}, was {before}"
        status, out = con.shell("rescue allow list --json")
        assert status == 0, out
        entries = json.loads(out[out.index("{"):])["entries"]
        assert [(e["sha256"], e["rule"].rsplit(":", 1)[-1]) for e in entries] == \
            [(EICAR_SHA256, "EICAR_Test_File")], entries
        assert qid in entries[0]["note"], entries
        status, out = con.shell("rescue quarantine list --json --store /data/quarantine")
        assert status == 0 and json.loads(out[out.index("["):]) == [], out
        assert power_off(con) == 0
        TIMINGS.append(("ui boot 2 (uefi-cd)", dict(m.marks)))
    finally:
        m.stop()
