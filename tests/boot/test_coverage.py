"""Coverage boot tests: every disk, boot area and volume is scanned and named
right.

The coverage disks (tests/boot/mkdisks_coverage.py, manifest
cov-expected.json) are attached on three controllers and booted twice:

  BIOS, ISO as CD, "Unattended scan, then power off", all five disks:
    vda  cov-gpt.img    virtio  GPT: ESP, NTFS, ext4, exFAT, btrfs, gaps
    vdb  cov-mbr.img    virtio  MBR: primary, extended, two logicals
    vdc  cov-ioerr.img  virtio  through QEMU blkdebug: read errors on one
                                file's data and in a gap
    sda  cov-win.img    AHCI    hibernated NTFS, two BitLocker volumes
    nvme0n1 cov-bare.img NVMe   ext4 on the whole disk
  UEFI (OVMF), ISO as a disk (vda), "Unattended scan, then shell", a
    subset (vdb cov-gpt.img, sda cov-win.img): the "uefi" section of the
    report and the read-only efivarfs mount. A first, short OVMF run (the
    EFI shell and the ESP's startup.nsh, about 10 s) adds a boot entry for
    the planted EFI/evil/loader.efi to the variable store the boot uses.

Each boot runs once per module; the tests below each check one property of
its report, so a missing feature fails only its own test.
"""

import os
import re
import shutil
import subprocess

import pytest

from bootvm import FIRMWARE, LOGS, MULT, QEMU, TIMINGS, Machine, drive_args, sha256
from test_boot import ENTRY_POWEROFF, ENTRY_SCAN_SHELL, report_from

# (manifest disk, bus, guest device), in attachment order: virtio disks are
# named in PCI order, so the order here is the order of vda, vdb, vdc.
BIOS_DISKS = [("gpt", "virtio", "vda"), ("mbr", "virtio", "vdb"), ("ioerr", "virtio", "vdc"),
              ("win", "ahci", "sda"), ("bare", "nvme", "nvme0n1")]
# cov-gpt sits at a fixed PCI address in both UEFI runs, so that the boot
# entry the first run adds still names it in the second; its bootindex
# (after the medium's 0) keeps OVMF from pruning that entry, which it does to
# every PCI-device entry that QEMU's boot order does not name. The medium,
# on virtio at an automatic (lower) address, is then vda.
UEFI_DISKS = [("gpt", "virtio", "vdb"), ("win", "ahci", "sda")]
GPT_UEFI_OPTS = ",addr=0x10,bootindex=1"

RULES = {"eicar": "EICAR_Test_File", "marker": "Rescue_Test_Marker_File"}


# Each Boot#### variable's description, read by the shell: efivarfs puts the
# 4-byte attribute word first, then the EFI_LOAD_OPTION (attributes u32,
# FilePathListLength u16, the UTF-16 description up to a NUL, device path);
# for ASCII descriptions dropping the NUL bytes and cutting at the first
# unprintable byte leaves the description.
EFI_ENTRIES_COMMAND = (
    "for f in /sys/firmware/efi/efivars/Boot[0-9A-F][0-9A-F][0-9A-F][0-9A-F]-*; do n=${f##*/}; "
    "printf 'EFIENTRY %s ' ${n%%-*}; dd if=$f bs=1 skip=10 count=200 2>/dev/null | tr -d '\\000' | "
    "tr -c ' -~' '\\n' | head -n 1; done; echo EFIENTRIES-END")


def part_dev(disk, number):
    """Linux's name for partition number of disk: vda1, sda2, nvme0n1p1."""
    return f"{disk}p{number}" if disk[-1].isdigit() else f"{disk}{number}"


class Run:
    """One boot over the coverage disks and what came out of it."""

    def __init__(self, mode, attach, manifest):
        self.mode = mode
        self.attach = attach
        self.manifest = manifest
        self.devs = {key: dev for key, _, dev in attach}
        self.report = None
        self.log = ""
        self.status = None
        self.qemu_status = None
        self.hashes = {}
        self.shell = {}

    def disk(self, key):
        return self.manifest["disks"][key]

    def targets(self):
        return {t["path"]: t for t in self.report["targets"]}

    def detections(self, **match):
        return [d for d in self.report["detections"]
                if all(d.get(k) == v for k, v in match.items())]

    def volumes(self):
        """(key, guest partition device or whole disk, manifest volume) of each disk's filesystems."""
        for key, dev in self.devs.items():
            d = self.disk(key)
            if d.get("whole_disk"):
                yield key, dev, d["whole_disk"]
            for p in d["partitions"]:
                yield key, part_dev(dev, p["number"]), p


def planted_boot_entry(disk_dir, manifest, workdir):
    """A UEFI variable store holding one more boot entry, for the planted
    loader on cov-gpt's ESP: OVMF boots a scratch copy of cov-gpt.img alone
    (no NIC), finds nothing bootable, starts the EFI shell, which runs the
    ESP's startup.nsh (bcfg boot add ... \\EFI\\evil\\loader.efi; reset -s).
    Returns (vars file, "Boot####")."""
    code, template = FIRMWARE["uefi"]
    vars_file = os.path.join(workdir, "OVMF_VARS.planted.fd")
    shutil.copyfile(template, vars_file)
    scratch = os.path.join(workdir, "prep-" + manifest["disks"]["gpt"]["file"])
    subprocess.run(["cp", "--sparse=always", os.path.join(disk_dir, manifest["disks"]["gpt"]["file"]),
                    scratch], check=True, timeout=120)
    log = os.path.join(LOGS, "test_coverage_uefi_prep.log")
    args = [QEMU, "-m", "256", "-nographic", "-no-reboot", "-accel", "tcg", "-machine", "q35",
            "-nic", "none",
            "-drive", f"if=pflash,format=raw,unit=0,readonly=on,file={code}",
            "-drive", f"if=pflash,format=raw,unit=1,file={vars_file}"]
    args += drive_args("prep", scratch, "virtio", device_opts=GPT_UEFI_OPTS)
    with open(log, "w") as f:
        f.write("# " + " ".join(args) + "\n")
        f.flush()
        try:
            subprocess.run(args, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT,
                           timeout=120 * MULT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"OVMF did not run startup.nsh and power off (log: {log})")
    os.unlink(scratch)
    with open(log, encoding="utf-8", errors="replace") as f:
        m = re.search(r"bcfg: Add (Boot[0-9A-F]{4})", f.read())
    if not m:
        pytest.fail(f"the EFI shell did not add the boot entry (log: {log})")
    return vars_file, m.group(1)


def boot(mode, attach, manifest, disk_dir, workdir, name, shell_commands=(), vars_file=None,
         device_opts=None):
    """Boots mode with the disks of attach, runs the unattended scan and
    returns a Run. shell_commands: (key, command, regex) run in the shell
    after the scan (the "then shell" entry); the match goes to run.shell[key]."""
    run = Run(mode, attach, manifest)
    drives = []
    for key, bus, _ in attach:
        d = manifest["disks"][key]
        copy = os.path.join(workdir, d["file"])
        subprocess.run(["cp", "--sparse=always", os.path.join(disk_dir, d["file"]), copy],
                       check=True, timeout=120)
        run.hashes[key] = [sha256(copy), None]
        conf = os.path.join(disk_dir, d["blkdebug"]) if d.get("blkdebug") else None
        drives += drive_args(f"cov-{key}", copy, bus, blkdebug=conf,
                             device_opts=(device_opts or {}).get(key, ""))
    os.makedirs(LOGS, exist_ok=True)
    m = Machine(mode, workdir, os.path.join(LOGS, f"{name}.log"), drives=drives, vars_file=vars_file)
    try:
        m.start()
        m.choose(*(ENTRY_SCAN_SHELL if shell_commands else ENTRY_POWEROFF))
        m.expect(r"rescue scanner initramfs", 240, "/init")
        m.expect(r"RESCUE-EXIT=(\d+)", 400, "the scan")
        run.status = int(m.child.match.group(1))
        m.expect(r"RESCUE-REPORT-END", 120, "the report")
        if shell_commands:
            m.expect(r"rescue:\S*[#$] ", 120, "the shell prompt")
            for key, command, regex in shell_commands:
                m.send(command + "\r")
                m.expect(regex, 30, f"the output of '{command}'")
                run.shell[key] = m.child.match
                m.expect(r"rescue:\S*[#$] ", 30, f"the prompt after '{command}'")
            m.send("poweroff\r")
        m.expect(r"reboot: Power down", 120, "power-off")
        run.qemu_status = m.wait_exit(60)
        TIMINGS.append((f"{mode} coverage scan", dict(m.marks)))
        run.log = m.log_text().replace("\r", "")
    finally:
        m.stop()
    run.report = report_from(run.log)
    for key, _, _ in attach:
        run.hashes[key][1] = sha256(os.path.join(workdir, manifest["disks"][key]["file"]))
    return run


@pytest.fixture(scope="module")
def bios(iso, coverage_disks, tmp_path_factory):
    disk_dir, manifest = coverage_disks
    return boot("bios-cd", BIOS_DISKS, manifest, disk_dir, str(tmp_path_factory.mktemp("cov-bios")),
                "test_coverage_bios")


@pytest.fixture(scope="module")
def uefi(iso, coverage_disks, tmp_path_factory):
    disk_dir, manifest = coverage_disks
    workdir = str(tmp_path_factory.mktemp("cov-uefi"))
    os.makedirs(LOGS, exist_ok=True)
    vars_file, planted = planted_boot_entry(disk_dir, manifest, workdir)
    shell = [
        ("efivarfs", "grep efivarfs /proc/mounts",
         r"efivarfs (/sys/firmware/efi/efivars) efivarfs ([a-z,=0-9]+) "),
        ("bootvars", "ls /sys/firmware/efi/efivars | grep -c '^Boot'", r"\n(\d+)\r*\n"),
        ("entries", EFI_ENTRIES_COMMAND, r"\n(EFIENTRY Boot[\s\S]*?)\nEFIENTRIES-END"),
    ]
    run = boot("uefi", UEFI_DISKS, manifest, disk_dir, workdir, "test_coverage_uefi",
               shell_commands=shell, vars_file=vars_file, device_opts={"gpt": GPT_UEFI_OPTS})
    run.planted_entry = planted
    return run


def check_files(run, keys=None):
    """Every planted file found under the right /mnt/<dev> with its rule, clean files not."""
    problems = []
    by_path = {}
    for d in run.report["detections"]:
        by_path.setdefault(d["path"], []).append(d)
    for key, dev, vol in run.volumes():
        if keys and key not in keys or not vol.get("mounted", True):
            continue
        mnt = f"/mnt/{dev}"
        for f in vol.get("files", []):
            path = mnt + f["path"]
            found = by_path.get(path, [])
            if f["kind"] == "ioerr":
                continue  # test_io_error_listed
            if f["kind"] not in RULES:
                if found:
                    problems.append(f"clean file reported: {path}: {[d['rule'] for d in found]}")
                continue
            hits = [d for d in found if d["rule"] == RULES[f["kind"]]]
            if not hits:
                problems.append(f"{f['kind']} sample not detected: {path} (got {[d['rule'] for d in found]})")
            elif any(d["target"] != mnt for d in hits):
                problems.append(f"{path}: detected under target {[d['target'] for d in hits]}, not {mnt}")
    return problems


# --- BIOS boot, all disks -------------------------------------------------------


def test_scan_completes(bios):
    """Exit 1 (detections, no failed target) although one disk has bad sectors;
    every disk and every mounted volume is a target; QEMU powered off."""
    assert bios.status == 1, f"rescue exit status {bios.status}, expected 1"
    assert bios.qemu_status == 0, f"QEMU exit status {bios.qemu_status}"
    targets = bios.targets()
    failed = {p: t.get("error") for p, t in targets.items() if t["status"] != "ok"}
    assert not failed, f"targets not scanned: {failed}"
    assert bios.report["summary"]["targets_failed"] == 0
    want = {f"/dev/{dev}" for dev in bios.devs.values()}
    want |= {f"/mnt/{dev}" for _, dev, vol in bios.volumes() if vol.get("mounted")}
    missing = want - set(targets)
    assert not missing, f"not scanned: {sorted(missing)} (targets: {sorted(targets)})"


def test_disks_unchanged(bios):
    changed = [k for k, (before, after) in bios.hashes.items() if before != after]
    assert not changed, f"disks modified by the boot: {changed}"


def test_files_detected_under_right_mount(bios):
    """ESP, NTFS, ext4, exFAT and btrfs on GPT; FAT16, ext4 and NTFS in the
    primary and the logical partitions of the MBR disk; the hibernated NTFS
    on AHCI, the whole-disk ext4 on NVMe, the readable files of the disk
    with bad sectors."""
    problems = check_files(bios)
    assert not problems, "\n".join(problems)


def test_boot_area_markers(bios):
    """The MBR code marker, the VBR marker in the ESP's reserved sectors and
    the gap markers (before p1, between p2 and p3, after the last partition,
    between an EBR and its logical partition) under the disk, with the area
    named from the table we wrote."""
    problems = []
    for key, dev in bios.devs.items():
        for a in bios.disk(key)["areas"]:
            if a["area"] == "vbr":
                continue  # whole-disk filesystem: test_bare_disk_vbr_area
            hits = bios.detections(path=f"/dev/{dev}", area=a["area"], rule=a["rule"])
            if not hits:
                got = [(d["area"], d["rule"]) for d in bios.detections(path=f"/dev/{dev}")]
                problems.append(f"/dev/{dev}: {a['rule']} not detected in {a['area']} (got {got})")
            elif any(d["target"] != f"/dev/{dev}" for d in hits):
                problems.append(f"/dev/{dev} {a['area']}: wrong target {[d['target'] for d in hits]}")
    assert not problems, "\n".join(problems)


def test_layouts_match_tables(bios):
    """Each disk's layout: the table type, IDs and partitions we wrote, and the
    gaps at the sectors we left free."""
    problems = []
    targets = bios.targets()
    for key, dev in bios.devs.items():
        d = bios.disk(key)
        lay = targets[f"/dev/{dev}"].get("layout") or {}
        if lay.get("table") != d["table"]:
            problems.append(f"/dev/{dev}: table {lay.get('table')}, wrote {d['table']}")
        if lay.get("sector_size") != 512:
            problems.append(f"/dev/{dev}: sector size {lay.get('sector_size')}")
        if d.get("mbr_id") and lay.get("mbr_id") != d["mbr_id"]:
            problems.append(f"/dev/{dev}: MBR id {lay.get('mbr_id')}, wrote {d['mbr_id']}")
        if d.get("disk_guid") and str(lay.get("disk_guid")).lower() != d["disk_guid"].lower():
            problems.append(f"/dev/{dev}: disk GUID {lay.get('disk_guid')}, wrote {d['disk_guid']}")
        if lay.get("hybrid_mbr") or lay.get("problems"):
            problems.append(f"/dev/{dev}: hybrid {lay.get('hybrid_mbr')}, problems {lay.get('problems')}")
        got = {p["number"]: p for p in lay.get("partitions", [])}
        if sorted(got) != sorted(p["number"] for p in d["partitions"]):
            problems.append(f"/dev/{dev}: partitions {sorted(got)}, wrote {[p['number'] for p in d['partitions']]}")
        for p in d["partitions"]:
            g = got.get(p["number"], {})
            for field in ("start", "sectors"):
                if g.get(field) != p[field]:
                    problems.append(f"/dev/{dev} p{p['number']}: {field} {g.get(field)}, wrote {p[field]}")
            if str(g.get("type", "")).lower() != p["type"].lower():
                problems.append(f"/dev/{dev} p{p['number']}: type {g.get('type')}, wrote {p['type']}")
            if p.get("guid") and str(g.get("guid")).lower() != p["guid"].lower():
                problems.append(f"/dev/{dev} p{p['number']}: GUID {g.get('guid')}, wrote {p['guid']}")
            if p.get("name") and g.get("name") != p["name"]:
                problems.append(f"/dev/{dev} p{p['number']}: name {g.get('name')!r}, wrote {p['name']!r}")
            for flag in p.get("flags", []):
                if flag not in g.get("flags", []):
                    problems.append(f"/dev/{dev} p{p['number']}: flag {flag} missing from {g.get('flags')}")
        areas = {a["name"] for a in lay.get("areas", [])}
        for a in d["areas"]:
            if a["kind"] == "gap" and a["area"] not in areas:
                problems.append(f"/dev/{dev}: no area {a['area']} (areas: {sorted(areas)})")
        if key == "mbr":
            for s in d["ebrs"]:
                if f"ebr@{s}" not in areas:
                    problems.append(f"/dev/{dev}: EBR at {s} not among the areas {sorted(areas)}")
        if d["table"] == "gpt":
            for name in ("mbr", "gpt-header", "gpt-entries", "gpt-backup-header", "gpt-backup-entries"):
                if name not in areas:
                    problems.append(f"/dev/{dev}: no area {name}")
    assert not problems, "\n".join(problems)


def test_every_area_scanned_or_listed(bios):
    """A disk target scans every area of its layout completely, or lists it
    (io-error, gap-cap) in not_scanned: nothing is silently left out."""
    problems = []
    for key, dev in bios.devs.items():
        t = bios.targets()[f"/dev/{dev}"]
        areas = [a["name"] for a in (t.get("layout") or {}).get("areas", [])]
        listed = {n["area"] for n in t["not_scanned"] if n.get("area") and n["reason"] != "gap-cap"}
        if t["files_scanned"] + len(listed) != len(areas):
            problems.append(f"/dev/{dev}: {len(areas)} areas, {t['files_scanned']} scanned, "
                            f"{len(listed)} listed as not scanned ({sorted(listed)})")
    assert not problems, "\n".join(problems)


def test_every_partition_mounted_or_listed(bios):
    """Each partition with a filesystem is either mounted and scanned as a
    directory target, or listed in its disk's not_scanned with a reason.
    The btrfs volume counts too: its mounts show an anonymous device number.
    """
    problems = []
    targets = bios.targets()
    for key, dev in bios.devs.items():
        t = targets[f"/dev/{dev}"]
        listed = {}
        for n in t["not_scanned"]:
            m = re.search(r"partition (\d+)$", n["path"]) or re.search(r"(\d+)$", n["path"])
            if n.get("area") is None and m:
                listed[int(m.group(1))] = n
        for p in bios.disk(key)["partitions"]:
            if "extended" in p.get("flags", []):
                continue
            mnt = f"/mnt/{part_dev(dev, p['number'])}"
            if p.get("mounted"):
                if mnt not in targets:
                    problems.append(f"{mnt}: not a target")
                if p["number"] in listed:
                    problems.append(f"{mnt}: scanned, yet listed as not scanned: {listed[p['number']]}")
            elif p["number"] not in listed:
                problems.append(f"/dev/{dev} partition {p['number']} ({p['filesystem']}): neither mounted "
                                f"nor listed in not_scanned {t['not_scanned']}")
    assert not problems, "\n".join(problems)


def test_volumes_named(bios):
    """layout.partitions[] and each directory target's "volume" say which
    filesystem, label, UUID and mount point it is, and which is the ESP.
    """
    problems = []
    targets = bios.targets()
    for key, dev in bios.devs.items():
        lay = targets[f"/dev/{dev}"].get("layout") or {}
        got = {p["number"]: p for p in lay.get("partitions", [])}
        for p in bios.disk(key)["partitions"]:
            if "extended" in p.get("flags", []):
                continue
            g = got.get(p["number"], {})
            pdev = part_dev(dev, p["number"])
            where = f"/dev/{pdev}"
            if "filesystem" not in g:
                problems.append(f"{where}: no 'filesystem' in layout.partitions[]")
                continue
            if g["filesystem"] != p["filesystem"]:
                problems.append(f"{where}: filesystem {g['filesystem']!r}, wrote {p['filesystem']!r}")
            if p.get("label") and g.get("label") != p["label"]:
                problems.append(f"{where}: label {g.get('label')!r}, wrote {p['label']!r}")
            if p.get("uuid") and str(g.get("uuid")).lower() != p["uuid"].lower():
                problems.append(f"{where}: UUID {g.get('uuid')!r}, wrote {p['uuid']!r}")
            want_mnt = f"/mnt/{pdev}" if p.get("mounted") else None
            if g.get("mountpoint") != want_mnt:
                problems.append(f"{where}: mountpoint {g.get('mountpoint')!r}, expected {want_mnt!r}")
            if not p.get("mounted"):
                continue
            vol = targets.get(want_mnt, {}).get("volume")
            if not vol:
                problems.append(f"{want_mnt}: directory target has no 'volume'")
                continue
            for field, want in (("device", where), ("partition", p["number"]),
                                ("filesystem", p["filesystem"]), ("label", p.get("label")),
                                ("esp", bool(p.get("esp")))):
                if vol.get(field) != want:
                    problems.append(f"{want_mnt}: volume.{field} {vol.get(field)!r}, expected {want!r}")
            if p.get("esp") and "ESP" not in (vol.get("flags") or []):
                problems.append(f"{want_mnt}: the ESP without the ESP flag: {vol.get('flags')}")
    assert not problems, "\n".join(problems)


def test_hibernated_ntfs(bios):
    """The NTFS volume left hibernated is mounted read-only and scanned (its
    sample found), and flagged: volume_flags, volume.flags and a
    read_only_reason saying Windows must be shut down fully.
    """
    dev = bios.devs["win"]
    pdev = part_dev(dev, 1)
    mnt = f"/mnt/{pdev}"
    t = bios.targets().get(mnt)
    assert t and t["status"] == "ok", f"{mnt} was not scanned"
    assert not check_files(bios, keys={"win"})
    problems = []
    vol = t.get("volume") or {}
    if "hibernated" not in (vol.get("flags") or []):
        problems.append(f"{mnt}: volume.flags {vol.get('flags')}")
    reason = vol.get("read_only_reason") or ""
    if not re.search(r"shut (it )?down|shutdown", reason, re.I):
        problems.append(f"{mnt}: read_only_reason {reason!r}")
    lay = bios.targets()[f"/dev/{dev}"]["layout"]
    p1 = [p for p in lay["partitions"] if p["number"] == 1][0]
    if "hibernated" not in (p1.get("volume_flags") or []):
        problems.append(f"/dev/{dev}: layout.partitions[0].volume_flags {p1.get('volume_flags')}")
    assert not problems, "\n".join(problems)


def test_bitlocker_not_mounted(bios):
    """The BitLocker volume (full Windows 7 header) is not mounted: /init
    says encrypted, the scanner lists it as not scanned, reason encrypted."""
    dev = bios.devs["win"]
    pdev = part_dev(dev, 2)
    assert re.search(rf"/dev/{pdev}\s+BitLocker\s.*encrypted, not scanned", bios.log), \
        f"/init's volume table does not list /dev/{pdev} as encrypted"
    assert f"/mnt/{pdev}" not in bios.targets()
    assert f"/mnt/{pdev}/" not in bios.log
    entries = [n for n in bios.targets()[f"/dev/{dev}"]["not_scanned"]
               if re.search(r"(partition 2|%s)$" % pdev, n["path"])]
    assert entries, f"/dev/{pdev} missing from not_scanned of /dev/{dev}"
    assert entries[0]["reason"] == "encrypted" and "BitLocker" in (entries[0]["detail"] or ""), entries


def test_bitlocker_signature_only(bios):
    """A volume with only the BitLocker boot-sector signature ("-FVE-FS-" at
    offset 3, no FVE metadata where a header would point: libblkid alone
    does not call that BitLocker) is not mounted either, and is listed as
    encrypted."""
    dev = bios.devs["win"]
    pdev = part_dev(dev, 3)
    assert re.search(rf"/dev/{pdev}\s+BitLocker\s.*encrypted, not scanned", bios.log), \
        f"/init's volume table does not list /dev/{pdev} as encrypted"
    assert f"/mnt/{pdev}" not in bios.targets()
    entries = [n for n in bios.targets()[f"/dev/{dev}"]["not_scanned"]
               if re.search(r"(partition 3|%s)$" % pdev, n["path"])]
    assert entries and entries[0]["reason"] == "encrypted", \
        f"/dev/{pdev} not listed as encrypted: {entries}"


def test_bare_disk_files(bios):
    """The disk with no partition table: its whole-disk ext4 mounted at
    /mnt/nvme0n1 (NVMe) and scanned, the layout says no table."""
    dev = bios.devs["bare"]
    assert f"/mnt/{dev}" in bios.targets(), f"/mnt/{dev} not scanned"
    assert not check_files(bios, keys={"bare"}), check_files(bios, keys={"bare"})
    assert bios.targets()[f"/dev/{dev}"]["layout"]["table"] == "none"


def test_bare_disk_vbr_area(bios):
    """The boot sector of the whole-disk filesystem is the area "vbr", and the
    VBR marker in ext4's unused boot block is found there.
    """
    dev = bios.devs["bare"]
    areas = [a["name"] for a in bios.targets()[f"/dev/{dev}"]["layout"]["areas"]]
    assert "vbr" in areas and not any(a.startswith("gap@") for a in areas), \
        f"/dev/{dev}: areas {areas}, expected the whole-disk filesystem's vbr"
    assert bios.detections(path=f"/dev/{dev}", area="vbr", rule="Rescue_Test_Marker_VBR")


def test_io_error_listed(bios):
    """Bad sectors (QEMU blkdebug) under one file's data and in a gap: the
    scan finishes, the file is listed as io-error, its readable neighbours
    are found, the gap area is listed as io-error too."""
    d = bios.disk("ioerr")
    dev = bios.devs["ioerr"]
    mnt = f"/mnt/{part_dev(dev, 1)}"
    t = bios.targets()[mnt]
    assert t["status"] == "ok"
    listed = {n["path"]: n for n in t["not_scanned"]}
    for f in d["io_error_files"]:
        n = listed.get(mnt + f)
        assert n, f"{mnt + f} not listed as not scanned ({sorted(listed)})"
        assert n["reason"] == "io-error", n
    assert not bios.detections(path=mnt + d["io_error_files"][0]), "a file that cannot be read was 'scanned'"
    assert not check_files(bios, keys={"ioerr"}), check_files(bios, keys={"ioerr"})
    disk_t = bios.targets()[f"/dev/{dev}"]
    assert disk_t["status"] == "ok", f"/dev/{dev}: {disk_t['status']} {disk_t.get('error')}"
    areas = {n["area"]: n for n in disk_t["not_scanned"] if n.get("area")}
    for a in d["io_error_areas"]:
        assert a in areas and areas[a]["reason"] == "io-error", \
            f"/dev/{dev} area {a} not listed as io-error: {disk_t['not_scanned']}"


def test_controllers_named(bios):
    """virtio, AHCI and NVMe disks all enumerated and their volumes mounted
    read-only under the kernel's names (nvme0n1 is a whole disk, vdb5 and
    vdb6 are logical partitions)."""
    for dev, fs in (("vda1", "vfat"), ("vda2", "ntfs"), ("vda3", "ext4"), ("vda4", "exfat"),
                    ("vda5", "btrfs"), ("vdb1", "vfat"), ("vdb5", "ext4"), ("vdb6", "ntfs"),
                    ("vdc1", "ext4"), ("sda1", "ntfs"), ("nvme0n1", "ext4")):
        assert re.search(rf"/dev/{dev}\s+{fs}\s.*/mnt/{dev} \(read-only\)", bios.log), \
            f"/dev/{dev} ({fs}) not mounted read-only in /init's volume table"


def test_no_uefi_section_under_bios(bios):
    assert not bios.report.get("uefi"), "a BIOS boot reported UEFI boot entries"


# --- UEFI boot, a subset ----------------------------------------------------------


def test_uefi_scan(uefi):
    """Under OVMF the same disks are found the same way; efivarfs is mounted
    read-only by /init."""
    assert uefi.status == 1, f"rescue exit status {uefi.status}"
    assert uefi.qemu_status == 0
    problems = check_files(uefi)
    assert not problems, "\n".join(problems)
    assert re.search(r"UEFI firmware: variables at /sys/firmware/efi/efivars \(read-only\)", uefi.log)
    opts = uefi.shell["efivarfs"].group(2).split(",")
    assert "ro" in opts, f"efivarfs mounted {opts}"
    assert int(uefi.shell["bootvars"].group(1)) >= 2, "no Boot#### variables under efivarfs"
    changed = [k for k, (a, b) in uefi.hashes.items() if a != b]
    assert not changed, f"disks modified: {changed}"


def test_uefi_boot_entries(uefi):
    """The report's "uefi" section lists OVMF's boot entries, the same the raw
    variables hold, with a verdict each: the UiApp and the EFI shell are
    firmware entries, the entry added for \\EFI\\evil\\loader.efi on
    cov-gpt's ESP is to be reviewed; BootOrder and BootCurrent name listed
    entries."""
    u = uefi.report.get("uefi")
    assert isinstance(u, dict), f"no 'uefi' section (got {u!r})"
    entries = u.get("entries") or []
    assert entries, "no boot entries"
    names = [e.get("name") for e in entries]
    bad = [e for e in entries if e.get("verdict") not in ("expected", "firmware", "review")]
    assert not bad, f"entries without a valid verdict: {bad}"
    assert all(e.get("description") is not None and "loader" in e for e in entries)
    firmware = [e for e in entries if re.search(r"UiApp|Shell|Boot Manager Menu", e.get("description") or "")]
    assert firmware, f"no UiApp or EFI shell entry among {[e.get('description') for e in entries]}"
    assert all(e["verdict"] == "firmware" for e in firmware), \
        [(e["description"], e["verdict"], e.get("reason")) for e in firmware]
    # The same entries as the raw variables hold.
    raw = dict(re.findall(r"EFIENTRY (Boot[0-9A-F]{4}) ([^\r\n]*)", uefi.shell["entries"].group(1)))
    assert raw, "the shell found no Boot#### variables"
    got = {e.get("name"): e.get("description") for e in entries}
    for name, desc in raw.items():
        match = [n for n in got if str(n).endswith(name[4:])]
        assert match and got[match[0]] == desc.strip(), f"{name} {desc!r}: scanner lists {got}"
    # The entry the EFI shell added for the planted loader: to be reviewed.
    planted = [e for e in entries if str(e.get("name")).endswith(uefi.planted_entry[4:])]
    assert planted, f"{uefi.planted_entry} (the planted loader) not listed: {names}"
    e = planted[0]
    assert re.search(r"\\EFI\\evil\\loader\.efi$", e.get("loader") or "", re.I), e
    assert e.get("verdict") == "review", e
    part = e.get("partition") or {}
    esp = uefi.disk("gpt")["partitions"][0]
    assert str(part.get("guid")).lower() == esp["guid"].lower() and part.get("number") == 1, part
    assert (part.get("start"), part.get("size")) == (esp["start"], esp["sectors"]), part
    order = u.get("boot_order") or []
    assert order and all(any(str(o) in str(n) for n in names) for o in order), (order, names)
    assert u.get("boot_current") and any(str(u["boot_current"]) in str(n) for n in names), \
        (u.get("boot_current"), names)
