"""Quarantine boot tests: `rescue quarantine` in the image, on the planted
test disks, across reboots and power cuts.

Three boots in a row share one set of writable disk copies (module
fixtures; each test checks one property of what they recorded):

  A  BIOS, shell; suspect.img (vda), data.img (vdb), cov-win.img (AHCI,
     sda): `quarantine add` of the hibernated NTFS volume's sample is
     refused; the NTFS and ext4 EICAR samples are quarantined by hand; the
     FAT one by a scan with --action quarantine (so its item carries the
     rule), packed by `quarantine report` into RESCUEDATA:/fp.zip;
     `sync; poweroff -f`.
  B  UEFI, shell; the same suspect.img and data.img: both items still
     listed, restored (NTFS --no-allow, ext4 --allow); `sync; poweroff -f`.
  C  BIOS, "Unattended scan, then power off": the report marks the
     restored ext4 sample as allowed, with the allowlist entry.

test_power_cut kills QEMU (SIGKILL: a power cut) at random moments during
`quarantine add` and `quarantine restore` of a 4 MiB sample on NTFS and on
ext4 (quar-powercut.img, mkdisks_quarantine.py), boots again (the
recovery runs in /init) and checks that the file is in place, intact
(SHA-256, mtime, and found by a lookup of its name before anything reads
its directory), or in quarantine, exactly once. Calibration boots, as many
in parallel as the runs will have, time each operation as the first
command after boot; kill delays are drawn uniformly over [0, 1.3 x that].
Each run starts from fresh image copies; the images of failed runs (and
of runs that left a temporary file) are kept, and the per-run outcomes go
to the terminal summary.
Environment: RESCUE_POWERCUT_RUNS (default 20; split round-robin over the
four operation/filesystem pairs), RESCUE_POWERCUT_SEED (the seed of the
delays, printed in the summary), RESCUE_POWERCUT_JOBS (QEMUs in parallel,
default 2), RESCUE_POWERCUT_ONLY (run numbers to replay, "3,7"),
RESCUE_POWERCUT_DELAY (seconds, "1.5", or a range "1.4:1.6" drawn from
uniformly: the kill delays instead of the calibrated ones, to aim at a
moment on a machine whose timings differ).
"""

import concurrent.futures
import json
import os
import random
import re
import shutil
import signal
import subprocess
import time

import pexpect
import pytest

from bootvm import LOGS, SUMMARIES, TIMINGS, Machine, drive_args, sha256
from test_boot import ENTRY_POWEROFF, ENTRY_SHELL, report_from
from test_coverage import part_dev

PROMPT = r"rescue:\S*[#$] "
STORE = "/data/quarantine"
ALLOWLIST = "/data/allowlist.json"
# The scan as /init runs it (rescue/definitions as the signed core bundle,
# the store on RESCUEDATA), so that rule names match the unattended scan's.
SCAN_ARGS = "--no-builtin --defs /etc/rescue/defs/core.rdefs --store /data/defs"
HIBERNATED = "Windows on this volume is hibernated"


def boot_marks(m):
    """The boot's own timing marks (GRUB, /init, prompt, power-off), not
    those of each shell command."""
    return {k: v for k, v in m.marks.items() if "'" not in k}


def copy_image(src, dst):
    subprocess.run(["cp", "--sparse=always", src, dst], check=True, timeout=120)


class Shell:
    """Commands on a booted Machine's serial shell."""

    def __init__(self, m):
        self.m = m
        self.n = 0

    def run(self, command, timeout=60):
        """Runs command; returns (exit status, output with \\r removed).
        The markers are printed with printf arguments, so that the echo of
        the command line (which the console wraps anywhere) never matches."""
        self.n += 1
        tag = f"Q{self.n}"
        self.m.send(f"printf '%s-%s\\n' {tag} BEGIN; {command}; printf '%s-%s-%s\\n' {tag} END $?\r")
        self.m.expect(rf"{tag}-BEGIN\r*\n", 30, f"the start of '{command}'")
        self.m.expect(rf"{tag}-END-(\d+)\r*\n", timeout, f"the end of '{command}'")
        status = int(self.m.child.match.group(1))
        out = self.m.child.before.replace("\r", "")
        self.m.expect(PROMPT, 30, f"the prompt after '{command}'")
        return status, out

    def json(self, command, timeout=60):
        """Runs a command printing JSON; returns (status, lines before the JSON, value)."""
        status, out = self.run(command, timeout)
        m = re.search(r"^[\[{]", out, re.M)
        if not m:
            pytest.fail(f"no JSON in the output of '{command}' (status {status}): {out!r}")
        return status, out[:m.start()], json.loads(out[m.start():])

    def file_state(self, path):
        """(sha256 or None when absent, 'mtime-seconds|full mtime|mode') of a file."""
        _, out = self.run(f"if [ -e '{path}' ]; then sha256sum '{path}'; stat -c 'STAT %Y|%y|%a' '{path}'; "
                          f"else echo ABSENT; fi")
        if "ABSENT" in out.split():
            return None, None
        sha = re.search(r"^([0-9a-f]{64})\s", out, re.M)
        st = re.search(r"^STAT (.*)$", out, re.M)
        assert sha and st, f"cannot read {path}: {out!r}"
        return sha.group(1), st.group(1)

    def list_store(self):
        """(recovery lines printed first, items) of `rescue quarantine list --json`."""
        status, before, items = self.json(f"rescue quarantine list --json --store {STORE}")
        assert status == 0, f"quarantine list: exit status {status}"
        return recovered(before), items


def recovered(text):
    """(op, id, outcome, detail) of each "recovered OP ID: OUTCOME (DETAIL)" line."""
    return re.findall(r"recovered (\S+) (\S+): (\S+) \((.*)\)\s*$", text.replace("\r", ""), re.M)


def boot_to_shell(m, step="the shell prompt"):
    m.start()
    m.choose(*ENTRY_SHELL)
    m.expect(r"rescue scanner initramfs", 240, "/init")
    m.expect(PROMPT, 240, step)
    return Shell(m)


def power_off(sh):
    """`sync; poweroff -f` (no unmounting: the store must survive that) and
    waits for QEMU to exit."""
    sh.m.send("sync; poweroff -f\r")
    sh.m.expect(r"reboot: Power down", 60, "power-off")
    return sh.m.wait_exit(60)


def guest_path(part, rel):
    return f"/mnt/vda{part}{rel}"


def sample_paths(expected):
    """Guest paths of the EICAR samples on p1 (NTFS), p2 (FAT) and p3 (ext4)."""
    out = {}
    for part in expected["suspect"]["partitions"]:
        for f in part["files"]:
            if f["kind"] == "eicar":
                out[part["fstype"]] = guest_path(part["number"], f["path"])
    return out


# --- boots A, B, C ------------------------------------------------------------


class Story:
    """The disks the three boots share and what each boot saw."""

    def __init__(self, workdir, expected, win_manifest):
        self.workdir = workdir
        self.expected = expected
        self.samples = sample_paths(expected)
        self.suspect = os.path.join(workdir, "suspect.img")
        self.data = os.path.join(workdir, "data.img")
        self.win = os.path.join(workdir, win_manifest["file"])
        hib = win_manifest["partitions"][0]
        assert hib.get("hibernated"), "cov-win.img p1 is not the hibernated volume"
        f = next(f for f in hib["files"] if f["kind"] == "marker")
        self.hib_path = f"/mnt/{part_dev('sda', hib['number'])}{f['path']}"
        self.a = {}
        self.b = {}
        self.c = {}


@pytest.fixture(scope="module")
def boot_a(iso, disks, coverage_disks, tmp_path_factory):
    disk_dir, expected = disks
    cov_dir, cov = coverage_disks
    story = Story(str(tmp_path_factory.mktemp("quarantine")), expected, cov["disks"]["win"])
    copy_image(os.path.join(disk_dir, "suspect.img"), story.suspect)
    copy_image(os.path.join(disk_dir, "data.img"), story.data)
    copy_image(os.path.join(cov_dir, cov["disks"]["win"]["file"]), story.win)
    a = story.a
    a["win_before"] = sha256(story.win)
    os.makedirs(LOGS, exist_ok=True)
    m = Machine("bios-cd", story.workdir, os.path.join(LOGS, "test_quarantine_boot_a.log"),
                story.suspect, story.data, drives=drive_args("win", story.win, "ahci"))
    try:
        sh = boot_to_shell(m)
        # The hibernated volume first, so the store is empty but for it.
        a["hib_sha_before"], _ = sh.file_state(story.hib_path)
        a["hib_add"] = sh.run(f"rescue quarantine add '{story.hib_path}' --store {STORE}")
        a["hib_sha_after"], _ = sh.file_state(story.hib_path)
        a["hib_list"] = sh.list_store()
        # The NTFS and ext4 samples, by hand.
        a["before"], a["add"], a["ids"], a["after"] = {}, {}, {}, {}
        for fs in ("ntfs", "ext4"):
            a["before"][fs] = sh.file_state(story.samples[fs])
        for fs in ("ntfs", "ext4"):
            status, out = sh.run(f"rescue quarantine add '{story.samples[fs]}' --store {STORE}")
            a["add"][fs] = (status, out)
            got = re.search(r"^quarantined '(.*)' as (\S+)$", out, re.M)
            a["ids"][fs] = got.group(2) if got else None
        for fs in ("ntfs", "ext4"):
            a["after"][fs] = sh.file_state(story.samples[fs])
        a["list"] = sh.list_store()
        a["mounts"] = sh.run("grep ' /mnt/vda' /proc/mounts; "
                             "echo RO $(cat /sys/block/vda/ro /sys/block/vda/vda1/ro /sys/block/vda/vda3/ro)")
        # The FAT sample through a scan, as /init's scan would name its rule.
        a["scan"] = sh.run(f"rescue scan {SCAN_ARGS} --action quarantine --quarantine {STORE} "
                           f"'{os.path.dirname(story.samples['vfat'])}'", 120)
        _, items = sh.list_store()
        fat = [it for it in items if it["original"]["path"] == story.samples["vfat"]]
        a["fat_item"] = fat[0] if len(fat) == 1 else None
        if a["fat_item"]:
            a["report"] = sh.run(f"rescue quarantine report {a['fat_item']['id']} -o /data/fp.zip --store {STORE}")
        a["qemu_status"] = power_off(sh)
        TIMINGS.append(("quarantine boot A (bios-cd, shell)", boot_marks(m)))
    finally:
        m.stop()
    a["win_after"] = sha256(story.win)
    # The zip, read off the data disk's FAT with mtools.
    zip_path = os.path.join(story.workdir, "fp.zip")
    offset = expected["data"]["offset"]
    a["mcopy"] = subprocess.run(["mcopy", "-n", "-i", f"{story.data}@@{offset}", "::/fp.zip", zip_path],
                                capture_output=True, text=True)
    a["zip"] = zip_path
    return story


@pytest.fixture(scope="module")
def boot_b(boot_a):
    story = boot_a
    a, b = story.a, story.b
    if not all(a["ids"].values()):
        pytest.fail(f"boot A did not quarantine both samples: {a['add']}")
    m = Machine("uefi-cd", story.workdir, os.path.join(LOGS, "test_quarantine_boot_b.log"),
                story.suspect, story.data)
    try:
        sh = boot_to_shell(m)
        b["init_log"] = m.log_text().replace("\r", "")
        b["list_before"] = sh.list_store()
        b["restore"] = {
            "ntfs": sh.run(f"rescue quarantine restore {a['ids']['ntfs']} --no-allow --store {STORE}"),
            "ext4": sh.run(f"rescue quarantine restore {a['ids']['ext4']} --allow --store {STORE}"),
        }
        b["after"] = {fs: sh.file_state(story.samples[fs]) for fs in ("ntfs", "ext4")}
        b["list_after"] = sh.list_store()
        b["mounts"] = sh.run("grep ' /mnt/vda' /proc/mounts; "
                             "echo RO $(cat /sys/block/vda/ro /sys/block/vda/vda1/ro /sys/block/vda/vda3/ro)")
        b["allow_list"] = sh.json("rescue allow list --json")
        b["qemu_status"] = power_off(sh)
        TIMINGS.append(("quarantine boot B (uefi-cd, shell)", boot_marks(m)))
    finally:
        m.stop()
    return story


@pytest.fixture(scope="module")
def boot_c(boot_b):
    story = boot_b
    c = story.c
    m = Machine("bios-cd", story.workdir, os.path.join(LOGS, "test_quarantine_boot_c.log"),
                story.suspect, story.data)
    try:
        m.start()
        m.choose(*ENTRY_POWEROFF)
        m.expect(r"rescue scanner initramfs", 240, "/init")
        m.expect(r"RESCUE-EXIT=(\d+)", 300, "the scan")
        c["status"] = int(m.child.match.group(1))
        m.expect(r"RESCUE-REPORT-END", 120, "the report")
        m.expect(r"reboot: Power down", 120, "power-off")
        c["qemu_status"] = m.wait_exit(60)
        TIMINGS.append(("quarantine boot C (bios-cd, unattended scan)", boot_marks(m)))
        c["log"] = m.log_text().replace("\r", "")
    finally:
        m.stop()
    c["report"] = report_from(c["log"])
    return story


def test_hibernated_ntfs_refused(boot_a):
    """`quarantine add` on a hibernated NTFS volume: exit 2 with the reason,
    the file untouched, no item, and not one byte of that disk written."""
    s, a = boot_a, boot_a.a
    status, out = a["hib_add"]
    assert status == 2, f"exit status {status}, expected 2: {out}"
    assert re.search(rf"error: '{re.escape(s.hib_path)}' not quarantined: '{re.escape(s.hib_path)}' "
                     rf"cannot be moved: {HIBERNATED}", out), f"no hibernation refusal: {out}"
    assert a["hib_sha_before"] and a["hib_sha_after"] == a["hib_sha_before"], \
        f"the sample changed: {a['hib_sha_before']} -> {a['hib_sha_after']}"
    rec, items = a["hib_list"]
    assert items == [] and not rec, f"the store is not empty after the refusal: {items} {rec}"
    assert a["win_after"] == a["win_before"], "cov-win.img (the hibernated disk) was written to"


def test_vendor_report_zip(boot_a):
    """`quarantine report` writes RESCUEDATA:/fp.zip, encrypted with
    "infected": the sample, byte-exact, and report.txt with rule and hash."""
    s, a = boot_a, boot_a.a
    status, out = a["scan"]
    assert status == 1 and "quarantined as" in out, f"the FAT sample was not quarantined by the scan: {out}"
    item = a["fat_item"]
    assert item, "no quarantine item for the FAT sample"
    rules = [d["rule"] for d in item["detections"]]
    assert "EICAR_Test_File" in rules, f"item detections: {item['detections']}"
    status, out = a["report"]
    assert status == 0, f"quarantine report: exit status {status}: {out}"
    assert a["qemu_status"] == 0
    assert a["mcopy"].returncode == 0, f"no fp.zip on RESCUEDATA: {a['mcopy'].stderr}"
    listing = subprocess.run(["7z", "l", "-slt", "-pinfected", a["zip"]], capture_output=True, text=True)
    assert listing.returncode == 0, listing.stdout + listing.stderr
    members = re.findall(r"^Path = (.+)$", listing.stdout, re.M)[1:]  # the first is the archive
    encrypted = re.findall(r"^Encrypted = (.)$", listing.stdout, re.M)
    assert sorted(members) == sorted(["eicar.com", "report.txt"]), f"members: {members}"
    assert encrypted == ["+", "+"], f"not every member is encrypted: {encrypted}"
    wrong = subprocess.run(["7z", "t", "-pwrong", a["zip"]], capture_output=True, text=True)
    assert wrong.returncode != 0, "the zip opens with a wrong password"
    out_dir = os.path.join(s.workdir, "fp")
    x = subprocess.run(["7z", "x", "-y", "-pinfected", f"-o{out_dir}", a["zip"]], capture_output=True, text=True)
    assert x.returncode == 0, x.stdout + x.stderr
    assert sha256(os.path.join(out_dir, "eicar.com")) == item["file"]["sha256"], "the sample in the zip differs"
    with open(os.path.join(out_dir, "report.txt"), encoding="utf-8") as f:
        text = f.read()
    assert "EICAR_Test_File" in text, f"report.txt lacks the rule name:\n{text}"
    assert item["file"]["sha256"] in text, f"report.txt lacks the SHA-256:\n{text}"
    assert s.samples["vfat"] in text, f"report.txt lacks the original path:\n{text}"


def test_quarantine_reboot_restore(boot_b):
    """NTFS and ext4 samples quarantined (gone, listed, volumes read-only
    again), still there after a reboot, restored byte-exact with their
    times and mode, and gone from the store."""
    s, a, b = boot_b, boot_b.a, boot_b.b
    for fs in ("ntfs", "ext4"):
        sha, st = a["before"][fs]
        assert sha and st, f"{fs} sample missing before the test: {s.samples[fs]}"
        status, out = a["add"][fs]
        assert status == 0 and a["ids"][fs], f"{fs}: quarantine add: exit status {status}: {out}"
        assert a["after"][fs] == (None, None), f"{fs}: {s.samples[fs]} still there after quarantine add"
    rec, items = a["list"]
    assert not rec, f"recovery on a clean store: {rec}"
    by_id = {it["id"]: it for it in items}
    for fs in ("ntfs", "ext4"):
        it = by_id.get(a["ids"][fs])
        assert it, f"{fs}: item {a['ids'][fs]} not listed: {list(by_id)}"
        assert it["state"] == "quarantined", it
        assert it["original"]["path"] == s.samples[fs], it["original"]
        assert "/" + it["original"]["volume_path"].lstrip("/") == s.samples[fs][len("/mnt/vdaN"):], it["original"]
        assert it["original"]["volume"]["uuid"], it["original"]
        assert it["file"]["sha256"] == a["before"][fs][0], it["file"]
        assert it["file"]["mtime"]["sec"] == int(a["before"][fs][1].split("|")[0]), it["file"]
    # Back to read-only: every mount, and the block devices.
    _, out = a["mounts"]
    modes = re.findall(r"^/dev/vda\d+ /mnt/vda\d+ \S+ (\w+),", out, re.M)
    assert modes and set(modes) == {"ro"}, f"mounts after quarantine add:\n{out}"
    assert re.search(r"^RO 1 1 1$", out, re.M), f"block devices not read-only again:\n{out}"
    assert a["qemu_status"] == 0

    # Boot B: the store survived, /init's recovery found nothing to do.
    assert re.search(r"quarantine: the quarantine '/data/quarantine' is consistent", b["init_log"]), \
        "no recovery report from /init"
    assert not recovered(b["init_log"]), f"/init recovered something after a clean run: {recovered(b['init_log'])}"
    rec, items = b["list_before"]
    listed = {it["id"]: it["state"] for it in items}
    for fs in ("ntfs", "ext4"):
        assert listed.get(a["ids"][fs]) == "quarantined", f"{fs}: not in the store after the reboot: {listed}"
    for fs in ("ntfs", "ext4"):
        status, out = b["restore"][fs]
        assert status == 0, f"{fs}: restore: exit status {status}: {out}"
        assert f"restored {a['ids'][fs]} to '{s.samples[fs]}'" in out, out
        assert b["after"][fs] == a["before"][fs], \
            f"{fs}: restored file differs: before {a['before'][fs]}, after {b['after'][fs]}"
    rec, items = b["list_after"]
    left = [it["id"] for it in items if it["id"] in a["ids"].values()]
    assert not left, f"restored items still in the store: {left}"
    _, out = b["mounts"]
    modes = re.findall(r"^/dev/vda\d+ /mnt/vda\d+ \S+ (\w+),", out, re.M)
    assert modes and set(modes) == {"ro"}, f"mounts after restore:\n{out}"
    assert re.search(r"^RO 1 1 1$", out, re.M), f"block devices not read-only again:\n{out}"
    assert b["qemu_status"] == 0


def allow_entry(story):
    """The allowlist entry id printed by the --allow restore."""
    _, out = story.b["restore"]["ext4"]
    m = re.search(r"^allowed ([0-9a-f]{64})( for rule \S+)? as entry (\S+) in '/data/allowlist.json'$", out, re.M)
    assert m, f"restore --allow printed no allowlist entry: {out}"
    return m.group(1), m.group(3)


def test_allowlist_survives_reboot(boot_c):
    """restore --allow writes the allowlist on the stick; the next boot's
    unattended scan reports that file as allowed, with the entry, and no
    other file."""
    s, b, c = boot_c, boot_c.b, boot_c.c
    sha, entry = allow_entry(s)
    assert sha == s.a["before"]["ext4"][0]
    _, _, allow = b["allow_list"]
    assert entry in [e["id"] for e in allow["entries"]], f"entry {entry} not in 'rescue allow list': {allow}"
    report = c["report"]
    assert c["status"] == 1, f"scan exit status {c['status']} (the marker samples are still there)"
    assert c["qemu_status"] == 0
    assert re.search(r"quarantine: the quarantine '/data/quarantine' is consistent", c["log"])
    ext4 = [d for d in report["detections"] if d.get("path") == s.samples["ext4"]]
    assert ext4, f"no detection of the restored sample {s.samples['ext4']}"
    for d in ext4:
        assert d.get("allowed") is True, f"not allowed: {d}"
        assert d.get("allowed_by", {}).get("id") == entry, f"allowed by another entry: {d.get('allowed_by')}"
    others = [d for d in report["detections"] if d.get("allowed") and d.get("sha256") != sha]
    assert not others, f"files with another hash reported as allowed: {[d['path'] for d in others]}"
    not_allowed = [d for d in report["detections"] if d.get("path", "").startswith("/mnt/") and not d.get("allowed")]
    assert not_allowed, "every detection is allowed: the allowlist is not specific"
    assert report["summary"].get("detections_allowed", 0) >= 1, report["summary"]


# --- power cuts ---------------------------------------------------------------

POWERCUT_RUNS = int(os.environ.get("RESCUE_POWERCUT_RUNS", "20"))
POWERCUT_SEED = int(os.environ.get("RESCUE_POWERCUT_SEED", "20261125"))
POWERCUT_JOBS = int(os.environ.get("RESCUE_POWERCUT_JOBS", "2"))
POWERCUT_ONLY = {int(n) for n in os.environ.get("RESCUE_POWERCUT_ONLY", "").replace(",", " ").split()}
# Aiming: "S" or "LOW:HIGH" seconds instead of the calibrated span.
POWERCUT_DELAY = os.environ.get("RESCUE_POWERCUT_DELAY")
POWERCUT_SPAN = 1.3  # kill delays are drawn over [0, SPAN x the operation's time]
KINDS = [("quarantine", "ntfs"), ("quarantine", "ext4"), ("restore", "ntfs"), ("restore", "ext4")]
POWERCUT_LOGS = os.path.join(LOGS, "test_quarantine_power_cut")


class PowerCut:
    """The calibration: the disk, the samples, each operation's duration,
    and the images with both samples in quarantine (where restores start)."""

    def __init__(self, disk_dir, manifest, workdir):
        self.workdir = workdir
        self.pristine = (os.path.join(disk_dir, manifest["file"]), os.path.join(disk_dir, "data.img"))
        self.vols = {v["fstype"]: v for v in manifest["volumes"]}
        self.paths = {fs: f"/mnt/vda{v['number']}{v['path']}" for fs, v in self.vols.items()}
        self.seconds = {}
        self.mtime = {}
        self.ids = {}
        self.quarantined = None  # (suspect, data) with both samples in quarantine


def timed(sh, command, timeout=120):
    """Runs command between two markers; returns (seconds from the first
    marker to the end, exit status, output)."""
    m = sh.m
    m.send(f"printf '%s-%s\\n' CUT GO; {command}; printf '%s-%s-%s\\n' CUT END $?\r")
    m.expect(r"CUT-GO\r*\n", 30, f"the start of '{command}'")
    t0 = time.monotonic()
    m.expect(r"CUT-END-(\d+)\r*\n", timeout, f"'{command}'")
    took = time.monotonic() - t0
    status = int(m.child.match.group(1))
    out = m.child.before.replace("\r", "")
    m.expect(PROMPT, 30, "the prompt")
    return took, status, out


def calibration_boot(pc, name, suspect, data, op, order):
    """Boots the shell on suspect and data, times op ("quarantine" or
    "restore") of each sample in order, then unmounts RESCUEDATA and powers
    off. Returns {fs: (seconds, output)}."""
    took = {}
    m = Machine("bios-cd", pc.workdir, os.path.join(POWERCUT_LOGS, f"{name}.log"), suspect, data)
    try:
        sh = boot_to_shell(m)
        if op == "quarantine":
            for fs in order:
                sha, st = sh.file_state(pc.paths[fs])
                assert sha == pc.vols[fs]["sha256"], f"{name}: {fs} sample on the fresh disk: {sha}"
                pc.mtime[fs] = st
        for fs in order:
            if op == "quarantine":
                command = f"rescue quarantine add {pc.paths[fs]} --store {STORE}"
            else:
                command = f"rescue quarantine restore {pc.ids[fs]} --no-allow --store {STORE}"
            seconds, status, out = timed(sh, command)
            assert status == 0, f"{name}: '{command}': exit status {status}: {out}"
            took[fs] = (seconds, out)
        if op == "restore":
            for fs in order:
                assert sh.file_state(pc.paths[fs]) == (pc.vols[fs]["sha256"], pc.mtime[fs]), \
                    f"{name}: the restored {fs} sample is not the original"
        sh.run("umount /data; sync")
        m.send("poweroff -f\r")
        m.expect(r"reboot: Power down", 60, "power-off")
        m.wait_exit(60)
        TIMINGS.append((f"power-cut {name} (bios-cd)", boot_marks(m)))
    finally:
        m.stop()
    return took


def calibrate(pc, op, images, jobs):
    """Times op as a run meets it: just after boot, with as many QEMUs
    running as the runs will have. Two boots, each doing one sample first
    (that one is timed) and then the other; returns the images of the first."""
    orders = [("ntfs", "ext4"), ("ext4", "ntfs")]
    copies = []
    for i, _ in enumerate(orders):
        c = (os.path.join(pc.workdir, f"calib-{op}{i}-suspect.img"),
             os.path.join(pc.workdir, f"calib-{op}{i}-data.img"))
        copy_image(images[0], c[0])
        copy_image(images[1], c[1])
        copies.append(c)
    with concurrent.futures.ThreadPoolExecutor(max_workers=min(jobs, 2)) as pool:
        futures = [pool.submit(calibration_boot, pc, f"calibration-{op}{i}", *copies[i], op, order)
                   for i, order in enumerate(orders)]
        results = [f.result() for f in futures]
    for order, took in zip(orders, results):
        pc.seconds[op, order[0]] = took[order[0]][0]
    if op == "quarantine":
        for fs in ("ntfs", "ext4"):
            pc.ids[fs] = re.search(r"^quarantined '.*' as (\S+)$", results[0][fs][1], re.M).group(1)
    for c in copies[1:]:
        for f in c:
            os.unlink(f)
    return copies[0]


@pytest.fixture(scope="module")
def powercut(iso, quarantine_disks, tmp_path_factory):
    """The calibration: each operation timed on fresh images; the images
    with both samples quarantined are where restore runs start."""
    disk_dir, manifest = quarantine_disks
    pc = PowerCut(disk_dir, manifest, str(tmp_path_factory.mktemp("powercut")))
    os.makedirs(POWERCUT_LOGS, exist_ok=True)
    jobs = max(1, POWERCUT_JOBS)
    pc.quarantined = calibrate(pc, "quarantine", pc.pristine, jobs)
    restored = calibrate(pc, "restore", pc.quarantined, jobs)
    for f in restored:
        os.unlink(f)
    return pc


def journal_state(journal, item_id, recovered_ids):
    """The journal's last word on item_id when the power went ("OP:STATE"):
    its last line, or the one before the line the recovery added."""
    states = [f"{op[0]}:{state}" for op, state in
              re.findall(rf"^\S+ (\S+) (\S+) {re.escape(item_id)}\b", journal, re.M)]
    if item_id in recovered_ids and states:
        states = states[:-1]
    return states[-1] if states else "-"


def classify(pc, fs, lookup, listed, sha, st, items):
    """The outcome of one run: "in place", "quarantined", or a failure in
    capitals. lookup: the path was found by name before its directory was
    read; listed: readdir lists it; sha, st: file_state after that."""
    want = pc.vols[fs]["sha256"]
    mine = [it for it in items if it["file"]["sha256"] == want]
    if not lookup and (listed or sha is not None):
        content = "no content" if sha is None else "content intact" if sha == want else "content wrong"
        return (f"DAMAGED (directory listed the name but a lookup did not find it; {content}; "
                f"{len(mine)} item(s) in the store)")
    if sha is not None and sha != want:
        return "DAMAGED (wrong SHA-256)"
    if sha is not None and mine:
        return f"DUPLICATE (in place and in the store as {[it['state'] for it in mine]})"
    if sha is not None:
        return "in place" if st == pc.mtime[fs] else f"DAMAGED (metadata {st}, was {pc.mtime[fs]})"
    if not mine:
        return "LOST (neither in place nor in the store)"
    if len(mine) > 1:
        return f"DUPLICATE ({len(mine)} items)"
    if mine[0]["state"] != "quarantined":
        return f"NOT SETTLED (item {mine[0]['state']}, file absent)"
    return "quarantined"


def powercut_run(pc, n, op, fs, delay):
    """One run: boot, start op, SIGKILL QEMU after delay s, boot again,
    look. Returns a dict for the summary."""
    run = {"n": n, "op": op, "fs": fs, "delay": delay, "ok": False}
    d = os.path.join(pc.workdir, f"run{n:02d}")
    os.makedirs(d)
    suspect, data = os.path.join(d, "suspect.img"), os.path.join(d, "data.img")
    src = pc.pristine if op == "quarantine" else pc.quarantined
    copy_image(src[0], suspect)
    copy_image(src[1], data)
    path = pc.paths[fs]
    if op == "quarantine":
        command = f"rescue quarantine add {path} --store {STORE}"
    else:
        command = f"rescue quarantine restore {pc.ids[fs]} --no-allow --store {STORE}"

    m = Machine("bios-cd", d, os.path.join(POWERCUT_LOGS, f"run{n:02d}-cut.log"), suspect, data)
    try:
        boot_to_shell(m)
        m.send(f"printf '%s-%s\\n' CUT GO; {command}; printf '%s-%s-%s\\n' CUT END $?\r")
        m.expect(r"CUT-GO\r*\n", 30, "the command's start")
        t0 = time.monotonic()
        time.sleep(delay)
        os.kill(m.child.pid, signal.SIGKILL)
        run["cut_at"] = time.monotonic() - t0
        m.child.expect(pexpect.EOF, timeout=30)
        out = m.child.before.replace("\r", "")
        done = re.search(r"CUT-END-(\d+)", out)
        run["finished"] = f"yes ({done.group(1)})" if done else "no"
        got = re.search(r"^quarantined '.*' as (\S+)$", out, re.M)
        run["id"] = got.group(1) if got else (pc.ids[fs] if op == "restore" else None)
    finally:
        m.stop()

    m = Machine("bios-cd", d, os.path.join(POWERCUT_LOGS, f"run{n:02d}-recover.log"), suspect, data)
    try:
        sh = boot_to_shell(m, "the shell prompt after the power cut")
        at_boot = recovered(m.log_text())
        run["recovery"] = "; ".join(f"{o} {outcome}" for o, _, outcome, _ in at_boot) or "-"
        run["recovery_detail"] = at_boot
        # Looked up by name first, before anything reads the directory: that
        # is what the recovery and the user see. A name that readdir lists
        # but a lookup cannot find is a half-written directory index.
        _, out = sh.run(f"[ -e '{path}' ] && echo PRESENT || echo ABSENT")
        lookup = "PRESENT" in out.split()
        temp = f"{os.path.dirname(path)}/.rescue-restore-{pc.ids[fs]}"
        _, out = sh.run(f"[ -e '{temp}' ] && echo PRESENT || echo ABSENT")
        run["temp_lookup"] = "PRESENT" in out.split()
        _, out = sh.run(f"ls -a '{os.path.dirname(path)}'")
        listed = os.path.basename(path) in out.split()
        run["temp_files"] = [f for f in out.split() if f.startswith(".rescue-restore-")]
        sha, st = sh.file_state(path)
        _, out = sh.run("dmesg | grep -i -e ntfs3 -e 'EXT4-fs' | grep -v -e 'mounted filesystem' -e 'ntfs3: Max link'")
        run["kernel"] = [line.strip() for line in out.splitlines() if line.strip()]
        _, out = sh.run(f"rescue probe --shell /dev/vda{pc.vols[fs]['number']}")
        run["dirty"] = "DIRTY='1'" in out or "DIRTY=1" in out
        _, out = sh.run(f"[ -d {STORE} ] && echo STORE || echo NO-STORE")
        if "NO-STORE" in out.split():
            late, items, journal = [], [], ""
        else:
            late, items = sh.list_store()
            _, journal = sh.run(f"cat {STORE}/journal")
        if run["id"] is None:
            # A quarantine cut before it printed its id: the journal's last.
            ids = re.findall(r"^\S+ quarantine \S+ (\S+)", journal, re.M)
            run["id"] = ids[-1] if ids else None
        run["journal"] = journal_state(journal, run["id"], {i for _, i, _, _ in at_boot}) if run["id"] else "-"
        run["late_recovery"] = late
    finally:
        m.stop()
    run["outcome"] = classify(pc, fs, lookup, listed, sha, st, items)
    problems = []
    if run["outcome"] not in ("in place", "quarantined"):
        problems.append(run["outcome"])
    if late:
        problems.append(f"recovery left work for the next command: {late}")
    unresolved = [r for r in at_boot if r[2] == "unresolved"]
    if unresolved:
        problems.append(f"unresolved at boot: {unresolved}")
    if problems and run["kernel"]:
        problems.append("kernel: " + " | ".join(run["kernel"][-5:]))
    run["problems"] = problems
    run["ok"] = not problems
    if run["ok"] and not run["temp_files"]:
        shutil.rmtree(d, ignore_errors=True)  # keep the images of failed or odd runs only
    return run


def powercut_summary(pc, runs, jobs):
    calib = ", ".join(f"{op} {fs} {pc.seconds[op, fs]:.2f} s" for op, fs in KINDS)
    lines = [f"seed {POWERCUT_SEED} (RESCUE_POWERCUT_SEED), {len(runs)} runs (RESCUE_POWERCUT_RUNS="
             f"{POWERCUT_RUNS}), {jobs} QEMUs in parallel; kill delays uniform over [0, {POWERCUT_SPAN} x "
             f"the operation's time]",
             f"operation times (calibration): {calib}",
             "journal: the item's last journal entry before the cut (q: quarantine, r: restore); "
             "finished: the command printed its exit status before the cut",
             f"{'run':>3}  {'operation':<10} {'fs':<4} {'cut at':>7} {'of op':>6}  {'finished':<8} "
             f"{'journal':<11} {'recovery at boot':<28} outcome"]
    for r in sorted(runs, key=lambda r: r["n"]):
        if "cut_at" not in r:
            lines.append(f"{r['n']:>3}  {r['op']:<10} {r['fs']:<4} {'-':>7} {'-':>6}  {'-':<8} {'-':<11} "
                         f"{'-':<28} ERROR {r.get('error', '')}")
            continue
        frac = r["cut_at"] / pc.seconds[r["op"], r["fs"]]
        note = ""
        if r["dirty"]:
            note += "; volume left dirty"
        if r["temp_files"]:
            note += (f"; temporary file left: {' '.join(r['temp_files'])} (a lookup by name "
                     f"{'finds' if r['temp_lookup'] else 'does not find'} it)")
            if r["kernel"] and not r["problems"]:
                note += "; kernel: " + " | ".join(r["kernel"][-3:])
        if r["problems"] and r["problems"] != [r["outcome"]]:
            note += "; " + "; ".join(p for p in r["problems"] if p != r["outcome"])
        lines.append(f"{r['n']:>3}  {r['op']:<10} {r['fs']:<4} {r['cut_at']:>6.2f}s {frac:>6.0%}  "
                     f"{r['finished']:<8} {r['journal']:<11} {r['recovery']:<28} {r['outcome']}{note}")
    outcomes = {}
    for r in runs:
        key = r.get("outcome", "ERROR")
        outcomes[key] = outcomes.get(key, 0) + 1
    mid = sum(1 for r in runs if r.get("finished") == "no")
    lines.append("outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items()))
                 + f"; cut before the command finished: {mid} of {len(runs)}")
    return lines


def test_power_cut(powercut):
    """SIGKILL of QEMU at random moments of quarantine add and restore,
    NTFS and ext4: after the next boot's recovery, each file is in place
    (right SHA-256 and mtime) or in quarantine, exactly once."""
    pc = powercut
    rng = random.Random(POWERCUT_SEED)
    plan = []
    for n in range(POWERCUT_RUNS):
        op, fs = KINDS[n % len(KINDS)]
        u = rng.random()
        delay = u * POWERCUT_SPAN * pc.seconds[op, fs]
        if POWERCUT_DELAY:
            low, _, high = POWERCUT_DELAY.partition(":")
            delay = float(low) + u * (float(high or low) - float(low))
        if not POWERCUT_ONLY or n in POWERCUT_ONLY:
            plan.append((n, op, fs, delay))
    print(f"power-cut seed {POWERCUT_SEED}: " + ", ".join(f"{n}:{op}/{fs}@{d:.2f}s" for n, op, fs, d in plan))
    jobs = max(1, min(POWERCUT_JOBS, len(plan)))
    runs = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = {pool.submit(powercut_run, pc, *p): p for p in plan}
        for fut in concurrent.futures.as_completed(futures):
            n, op, fs, delay = futures[fut]
            try:
                runs.append(fut.result())
            except BaseException as e:  # pytest.fail raises a BaseException
                runs.append({"n": n, "op": op, "fs": fs, "delay": delay, "ok": False,
                             "error": str(e).splitlines()[0] if str(e) else type(e).__name__,
                             "problems": [f"error: {e}"]})
    SUMMARIES.append(("quarantine power cuts", powercut_summary(pc, runs, jobs)))
    bad = [r for r in sorted(runs, key=lambda r: r["n"]) if not r["ok"]]
    assert not bad, (f"{len(bad)} of {len(runs)} power-cut runs failed (replay: RESCUE_POWERCUT_SEED="
                     f"{POWERCUT_SEED} RESCUE_POWERCUT_RUNS={POWERCUT_RUNS} RESCUE_POWERCUT_ONLY="
                     f"{','.join(str(r['n']) for r in bad)}; logs in {POWERCUT_LOGS}):\n"
                     + "\n".join(f"run {r['n']} {r['op']} {r['fs']} cut at {r.get('cut_at', r['delay']):.2f} s: "
                                 f"{'; '.join(r['problems'])}" for r in bad))
