"""Boot tests: the rescue ISO under BIOS and UEFI (Secure Boot too), scanning
the planted test disks unattended over the serial console."""

import json
import re
import subprocess
import time


from bootvm import TIMINGS, sha256

# How each kind of planted sample must be reported: the built-in rules
# (rescue/definitions/test-markers.yar) and the extra rule on RESCUEDATA.
RULES = {
    "eicar": re.compile(r"^EICAR_Test_File$"),
    "marker": re.compile(r"^Rescue_Test_Marker_File$"),
    "extra": re.compile(r"^Shop_Extra_Rule$"),
}

ENTRY_POWEROFF = ("a", "Unattended scan, then power off")
ENTRY_SCAN_SHELL = ("d", "Unattended scan, then shell")
ENTRY_SHELL = ("s", "Rescue scanner (shell)")


def report_from(text):
    """The JSON between the report markers of a console log."""
    text = text.replace("\r", "")
    m = re.search(r"^RESCUE-REPORT-BEGIN\n(.*?)^RESCUE-REPORT-END$", text, re.S | re.M)
    assert m, "no RESCUE-REPORT-BEGIN/END block on the console"
    return json.loads(m.group(1))


def data_dir(data_img, offset):
    """File names in reports/ of the data disk, read with mtools."""
    out = subprocess.run(["mdir", "-b", "-i", f"{data_img}@@{offset}", "::/reports"],
                         check=True, capture_output=True, text=True).stdout
    return [line.rsplit("/", 1)[-1] for line in out.split() if line.strip()]


def data_file(data_img, offset, path):
    return subprocess.run(["mtype", "-i", f"{data_img}@@{offset}", "::" + path],
                          check=True, capture_output=True).stdout


def check_report(report, expected, suspect_dev="/dev/vda", data_dev="/dev/vdb"):
    detections = report.get("detections", [])
    by_path = {}
    for d in detections:
        by_path.setdefault(d.get("path"), []).append(d)
    disk = suspect_dev.rsplit("/", 1)[-1]
    problems = []
    for part in expected["suspect"]["partitions"]:
        mnt = f"/mnt/{disk}{part['number']}"
        for f in part["files"]:
            path = mnt + f["path"]
            found = by_path.get(path, [])
            if f["kind"] == "clean":
                if found:
                    problems.append(f"clean file reported: {path}: {[d.get('rule') for d in found]}")
                continue
            rule = RULES[f["kind"]]
            if not any(rule.search(d.get("rule", "")) for d in found):
                problems.append(f"{f['kind']} sample not detected: {path} (got {[d.get('rule') for d in found]})")
            elif not any(d.get("target") in (None, mnt) for d in found):
                problems.append(f"{path}: detected under the wrong target {[d.get('target') for d in found]}")
    boot = [d for d in detections if d.get("area") == "mbr" and d.get("path") == suspect_dev
            and d.get("rule") == "Rescue_Test_Marker_MBR" and d.get("filetype") == "MBR"]
    if not boot:
        problems.append(f"MBR marker of {suspect_dev} not detected as a boot-area detection")
    if not any(d.get("rule") == expected["data"]["extra_rule"] for d in detections):
        problems.append("the extra rule from RESCUEDATA/definitions did not fire")
    inside_data = [d["path"] for d in detections if str(d.get("path", "")).startswith("/data/")]
    if inside_data:
        problems.append(f"the RESCUEDATA partition was scanned: {inside_data}")
    assert not problems, "\n".join(problems)


def check_definitions(report, expected):
    """The signed definitions: the store on RESCUEDATA beats the image's own
    core bundle, a tampered newer shop bundle is refused (and said so) while
    the older one stays in force, and no unsigned rules are loaded."""
    store = expected["data"]["store"]
    sets = {s["name"]: s for s in report["rules"]["sets"]}
    assert set(sets) == {"core", "shop"}, f"sets loaded: {sorted(sets)}"
    assert sets["core"]["version"] == store["core"], sets["core"]
    assert sets["core"]["path"].startswith("/data/defs/core/"), sets["core"]
    assert sets["core"]["signed"] and sets["core"]["key_name"] == "development"
    assert sets["shop"]["version"] == store["shop"], sets["shop"]
    refused = {r["path"]: r["reason"] for r in report["rules"].get("refused", [])}
    for path in store["refused"]:
        assert path in refused and "signature" in refused[path], refused
    shop = [d for d in report["detections"] if d["rule"] == expected["data"]["extra_rule"]]
    assert shop and all(d["set"] == "shop" and d["set_version"] == store["shop"] for d in shop)
    assert all(d["set"] in ("core", "shop") for d in report["detections"])


def unattended_scan(machine, disks, mode):
    disk_dir, expected = disks
    m = machine(mode)
    before = sha256(m.suspect)
    m.choose(*ENTRY_POWEROFF)
    m.expect(r"rescue scanner initramfs", 240, "/init")
    m.expect(r"RESCUE-EXIT=(\d+)", 300, "the scan")
    status = int(m.child.match.group(1))
    m.expect(r"RESCUE-REPORT-END", 120, "the report")
    m.expect(r"reboot: Power down", 120, "power-off")
    exit_status = m.wait_exit(60)
    TIMINGS.append((f"{mode} unattended scan", dict(m.marks)))
    log = m.log_text()

    report = report_from(log)

    # The truncated filesystem is reported with the kernel's reason, on the
    # console and in the report's not-scanned list of its disk.
    disk = next(t for t in report["targets"] if t["path"] == "/dev/vda")
    for part in expected["suspect"]["partitions"]:
        if part.get("mountable", True) is False:
            dev = f"/dev/vda{part['number']}"
            assert re.search(rf"cannot mount {dev} \(\w+\): .+", log), f"no mount failure line for {dev}"
            assert re.search(rf"{dev}.*mount failed: ", log), f"{dev} missing from the volume table"
            listed = [n for n in disk["not_scanned"] if n["path"] == dev]
            assert listed and listed[0]["reason"] == "mount-failed" and listed[0]["detail"], \
                f"{dev} not listed as mount-failed with a reason: {listed}"

    assert status == 1, f"rescue exit status {status}, expected 1 (detections)"
    check_report(report, expected)
    check_definitions(report, expected)
    assert exit_status == 0, f"QEMU exit status {exit_status}"
    assert sha256(m.suspect) == before, "the suspect disk was modified"

    offset = expected["data"]["offset"]
    names = [n for n in data_dir(m.data, offset) if n.startswith("report-") and n.endswith(".json")]
    assert len(names) == 1, f"expected one report on RESCUEDATA, found {names}"
    saved = json.loads(data_file(m.data, offset, "/reports/" + names[0]))
    assert saved == report, "the saved report differs from the one on the console"
    return log


def test_bios_cd_unattended_scan(machine, disks):
    unattended_scan(machine, disks, "bios-cd")


def test_uefi_disk_unattended_scan(machine, disks):
    unattended_scan(machine, disks, "uefi")


def test_uefi_secure_boot_unattended_scan(machine, disks):
    log = unattended_scan(machine, disks, "uefi-sb")
    assert re.search(r"[Ss]ecure boot enabled", log), "the kernel did not report Secure Boot enabled"


def test_bios_usb_stick_boots(machine):
    """The hybrid MBR: the ISO written to a USB stick boots under BIOS and
    /init recognises the stick as the rescue medium."""
    m = machine("bios-usb", with_disks=False)
    m.choose(*ENTRY_SHELL)
    m.expect(r"rescue scanner initramfs", 240, "/init")
    m.expect(r"/dev/sd[a-z]\s+iso9660.*rescue medium", 120, "the medium detected")
    m.expect(r"rescue:\S*[#$] ", 120, "the shell prompt")
    TIMINGS.append(("bios-usb to shell", dict(m.marks)))


def test_uefi_cd_scan_then_shell(machine, disks):
    """UEFI from CD, "Unattended scan, then shell": the report, then a shell
    that answers, with Ctrl-C working in it."""
    _, expected = disks
    m = machine("uefi-cd")
    m.choose(*ENTRY_SCAN_SHELL)
    m.expect(r"rescue scanner initramfs", 240, "/init")
    m.expect(r"/dev/sr0\s+iso9660.*rescue medium", 120, "the medium detected")
    m.expect(r"RESCUE-REPORT-END", 300, "the report")
    check_report(report_from(m.log_text()), expected)
    m.expect(r"rescue:\S*[#$] ", 120, "the shell prompt")
    m.send("ls /data/reports\r")
    m.expect(r"report-\d{8}-\d{6}\.json", 30, "the saved report")
    m.send("ls /mnt; grep -c ' /mnt/' /proc/mounts\r")
    m.expect(r"vda1\s+vda2\s+vda3", 30, "the mounted volumes")
    m.expect(r"\n3\r*\n", 30, "three read-only mounts")
    # The suspect disk is read-only at the block layer too; the data disk is not.
    m.send("cat /sys/block/vda/ro /sys/block/vda/vda1/ro /sys/block/vda/vda3/ro /sys/block/vdb/vdb1/ro | tr -d '\\n'; echo\r")
    m.expect(r"\n(\d{4})\r*\n", 30, "the read-only flags")
    assert m.child.match.group(1) == "1110", f"read-only flags of vda vda1 vda3 vdb1: {m.child.match.group(1)}"
    m.send("sleep 1000; echo not-interrupted\r")
    m.expect(r"sleep 1000; echo not-interrupted\r*\n", 30, "the sleep command")
    time.sleep(1)
    m.send("\x03")
    m.expect(r"rescue:\S*[#$] ", 30, "the prompt after Ctrl-C")
    m.send("echo ok-$((6*7))\r")
    assert m.expect([r"ok-42", r"not-interrupted"], 30, "the shell after Ctrl-C") == 0, "Ctrl-C did not stop sleep"
    m.send("poweroff\r")
    m.expect(r"reboot: Power down", 60, "poweroff from the shell")
    TIMINGS.append(("uefi-cd scan then shell", dict(m.marks)))
