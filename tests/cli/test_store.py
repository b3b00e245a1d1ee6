"""The definitions store (rescue defs install/list/rollback/disable/enable)
and how rescue scan --store picks a set's bundle; also --stale-days and
rescue probe."""
import json
import struct
import subprocess

from conftest import CLEAN, ERROR, FOUND, MARK_FILE, REPO, run, write
from test_defs import resign

O_CREATED = 56  # docs/definitions-format.md

DEV_KEY = REPO / "out" / "keys" / "development.key"
DEFS = REPO / "rescue" / "definitions"


def build(rescue_bin, tmp_path, version, name=None):
    out = tmp_path / (name or f"core{version}.rdefs")
    proc = run(rescue_bin, "defs", "build", DEFS, "--set", "core",
               "--version", str(version), "--key", DEV_KEY, "-o", out)
    assert proc.returncode == CLEAN, proc.stderr
    return out


def defs(rescue_bin, *args):
    return run(rescue_bin, "defs", *args)


def test_install_list_rollback_disable(rescue_bin, tmp_path):
    store = tmp_path / "store"
    b = {v: build(rescue_bin, tmp_path, v) for v in (1, 2, 3, 4)}
    for v in (1, 2, 3):
        assert defs(rescue_bin, "install", b[v], "--store", store).returncode == CLEAN
    # A downgrade or a reinstall is refused and changes nothing.
    before = (store / "core" / "active").read_text()
    proc = defs(rescue_bin, "install", b[2], "--store", store)
    assert proc.returncode == ERROR and b"downgrade" in proc.stderr
    proc = defs(rescue_bin, "install", b[3], "--store", store)
    assert proc.returncode == ERROR and b"already installed" in proc.stderr
    assert (store / "core" / "active").read_text() == before
    # The last three versions are kept.
    assert defs(rescue_bin, "install", b[4], "--store", store).returncode == CLEAN
    kept = sorted(p.name for p in (store / "core").glob("v*.rdefs"))
    assert kept == ["v2.rdefs", "v3.rdefs", "v4.rdefs"]
    out = defs(rescue_bin, "list", "--store", store).stdout.decode()
    assert "core: version 4" in out and "signed by development" in out
    assert "enabled; kept: 2 3 4" in out
    # Rollback: one step back, logged; none left past the oldest.
    assert defs(rescue_bin, "rollback", "core", "--store", store).returncode == CLEAN
    assert (store / "core" / "active").read_text().strip() == "3"
    defs(rescue_bin, "rollback", "core", "--store", store)
    proc = defs(rescue_bin, "rollback", "core", "--store", store)
    assert proc.returncode == ERROR and b"no older version" in proc.stderr
    assert defs(rescue_bin, "disable", "core", "--store", store).returncode == CLEAN
    assert "DISABLED" in defs(rescue_bin, "list", "--store", store).stdout.decode()
    assert defs(rescue_bin, "enable", "core", "--store", store).returncode == CLEAN
    log = (store / "log.txt").read_text().splitlines()
    assert [line.split()[1:] for line in log] == [
        ["install", "core", "1"], ["install", "core", "2"],
        ["install", "core", "3"], ["install", "core", "4"],
        ["rollback", "core", "3"], ["rollback", "core", "2"],
        ["disable", "core", "2"], ["enable", "core", "2"]]
    proc = defs(rescue_bin, "rollback", "nosuch", "--store", store)
    assert proc.returncode == ERROR and b"not installed" in proc.stderr


def test_scan_uses_newest_valid_bundle(rescue_bin, tmp_path):
    store = tmp_path / "store"
    floor = build(rescue_bin, tmp_path, 1, "floor.rdefs")
    for v in (2, 3):
        defs(rescue_bin, "install", build(rescue_bin, tmp_path, v), "--store", store)
    target = write(tmp_path / "f.txt", b"x " + MARK_FILE + b" x")
    report = tmp_path / "r.json"

    def sets():
        proc = run(rescue_bin, "scan", "--no-builtin", "--defs", floor, "--store",
                   store, "--json", report, target)
        return proc, json.loads(report.read_text())["rules"]

    proc, rules = sets()
    assert proc.returncode == FOUND
    assert [(s["name"], s["version"]) for s in rules["sets"]] == [("core", 3)]
    # Tamper with the active bundle: refused, the next older one is used.
    active = store / "core" / "v3.rdefs"
    data = bytearray(active.read_bytes())
    data[200] ^= 0xff
    active.write_bytes(bytes(data))
    proc, rules = sets()
    assert [(s["name"], s["version"]) for s in rules["sets"]] == [("core", 2)]
    assert rules["refused"][0]["path"] == str(active)
    assert "signature" in rules["refused"][0]["reason"]
    # A disabled set is not loaded from the store nor from the floor.
    defs(rescue_bin, "disable", "core", "--store", store)
    proc = run(rescue_bin, "scan", "--no-builtin", "--defs", floor, "--store",
               store, target)
    assert proc.returncode == ERROR and b"no usable rules" in proc.stderr


def test_stale_sets_flagged(rescue_bin, tmp_path):
    fresh = build(rescue_bin, tmp_path, 1)
    # The same rules, made in 2001: patch the date and sign again.
    old = tmp_path / "old.rdefs"
    data = bytearray(fresh.read_bytes())
    data[O_CREATED:O_CREATED + 8] = struct.pack("<q", 978307200)
    old.write_bytes(bytes(data))
    resign(old, DEV_KEY)
    target = write(tmp_path / "f.txt", b"clean")
    report = tmp_path / "r.json"
    for bundle, days, stale in ((fresh, "30", False), (old, "30", True),
                                (old, "36500", False)):
        proc = run(rescue_bin, "scan", "--no-builtin", "--defs", bundle,
                   "--stale-days", days, "--json", report, target)
        assert proc.returncode == CLEAN, proc.stderr
        (s,) = json.loads(report.read_text())["rules"]["sets"]
        assert s["stale"] is stale, (bundle, days, s)
    assert s["age_days"] > 9000
    proc = run(rescue_bin, "scan", "--no-builtin", "--defs", old, target)
    assert b"STALE" in proc.stdout
    proc = run(rescue_bin, "scan", "--no-builtin", "--defs", fresh,
               "--stale-days", "bad", target)
    assert proc.returncode == ERROR


def test_probe(rescue_bin, tmp_path):
    img = tmp_path / "fat.img"
    with open(img, "wb") as f:
        f.truncate(8 << 20)
    subprocess.run(["mkfs.vfat", "-n", "PROBE'S", img], check=True,
                   stdout=subprocess.DEVNULL)
    proc = run(rescue_bin, "probe", img)
    assert proc.returncode == CLEAN
    assert b"vfat" in proc.stdout and b"PROBE'S" in proc.stdout
    # --shell quotes safely: eval in sh gives the label back exactly.
    proc = run(rescue_bin, "probe", "--shell", img)
    out = subprocess.run(["sh", "-c", proc.stdout.decode() + 'printf %s "$LABEL"'],
                         capture_output=True, check=True).stdout
    assert out == b"PROBE'S"
    proc = run(rescue_bin, "probe", tmp_path / "missing.img")
    assert proc.returncode == ERROR and b"cannot open" in proc.stderr
