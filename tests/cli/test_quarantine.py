"""rescue quarantine and scan --action quarantine on real directory trees.

Every test checks the files themselves (bytes, mode, times) around the
command, not only its messages: a file must end either in place or in the
quarantine, never lost and never both.
"""
import fcntl
import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import CLEAN, EICAR, ERROR, FOUND, MARK_FILE, run, write

MARK_RULE = """rule Marker { meta: description = "test marker" severity = 3
  strings: $a = "RESCUE-TEST-MARKER-FILE" condition: $a }
"""
OTHER_RULE = "rule Other { strings: $a = \"NOT-IN-ANY-FILE-HERE\" condition: $a }\n"


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def q(rescue_bin, store, *args, **kw):
    return run(rescue_bin, "quarantine", *args, "--store", store, **kw)


def items(rescue_bin, store):
    proc = q(rescue_bin, store, "list", "--json")
    assert proc.returncode == CLEAN, proc.stderr
    return json.loads(proc.stdout)


def stat_of(path):
    st = os.lstat(path)
    return (st.st_mode, st.st_mtime_ns, st.st_size, sha(path))


@pytest.fixture
def tree(tmp_path):
    t = tmp_path / "tree"
    write(t / "Users" / "bob" / "tool.exe", b"MZ xx " + MARK_FILE + b" xx")
    write(t / "docs" / "letter.txt", b"dear bob\n")
    os.chmod(t / "Users" / "bob" / "tool.exe", 0o751)
    os.utime(t / "Users" / "bob" / "tool.exe", ns=(1_500_000_000_123_456_789,
                                                   1_600_000_000_987_654_321))
    return t


def test_add_restore_byte_exact(rescue_bin, tmp_path, tree):
    """add moves the file into the store, encrypted, with its metadata;
    restore puts back the same bytes, mode and times and drops the item."""
    f = tree / "Users" / "bob" / "tool.exe"
    before = stat_of(f)
    try:
        os.setxattr(f, "user.origin", b"downloaded")
        has_xattr = True
    except OSError:
        has_xattr = False
    store = tmp_path / "store"
    proc = q(rescue_bin, store, "add", f)
    assert proc.returncode == CLEAN, proc.stderr
    assert not f.exists()
    (it,) = items(rescue_bin, store)
    assert it["state"] == "quarantined" and it["reason"] == "manual"
    assert it["original"]["path"] == str(f)
    assert it["file"]["sha256"] == before[3] and it["file"]["size"] == before[2]
    assert it["file"]["mode"] == before[0]
    assert it["file"]["mtime"] == {"sec": 1_600_000_000, "nsec": 987_654_321}
    assert "payload" not in it  # the key stays in the store
    # The payload is neutralised: neither the bytes nor a scan find it.
    payload = (store / it["id"] / "payload.bin").read_bytes()
    assert MARK_FILE not in payload and len(payload) == before[2]
    proc = run(rescue_bin, "scan", "--rules", _rules(tmp_path), store)
    assert proc.returncode == CLEAN, proc.stdout
    # show prints the record.
    proc = q(rescue_bin, store, "show", it["id"][:10])
    assert proc.returncode == CLEAN and b"0751" in proc.stdout
    assert before[3].encode() in proc.stdout

    proc = q(rescue_bin, store, "restore", it["id"], "--no-allow")
    assert proc.returncode == CLEAN, proc.stderr
    assert stat_of(f) == before
    if has_xattr:
        assert os.getxattr(f, "user.origin") == b"downloaded"
    assert items(rescue_bin, store) == []
    assert not any(p.name.startswith(".rescue-restore") for p in f.parent.iterdir())


def _rules(tmp_path, text=MARK_RULE, name="rules.yar"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_symlink_and_dotdot_refused(rescue_bin, tmp_path, tree):
    """A path through a symbolic link (a junction on NTFS) or naming one,
    or with '..', is refused and nothing changes."""
    store = tmp_path / "store"
    os.symlink(tree / "Users", tmp_path / "link")
    os.symlink(tree / "docs" / "letter.txt", tree / "docs" / "alias.txt")
    before = stat_of(tree / "Users" / "bob" / "tool.exe")
    for path in (tmp_path / "link" / "bob" / "tool.exe", tree / "docs" / "alias.txt"):
        proc = q(rescue_bin, store, "add", path)
        assert proc.returncode == ERROR
        assert b"symbolic link or junction" in proc.stderr, proc.stderr
    proc = q(rescue_bin, store, "add", f"{tree}/docs/../Users/bob/tool.exe")
    assert proc.returncode == ERROR and b"'..'" in proc.stderr
    assert stat_of(tree / "Users" / "bob" / "tool.exe") == before
    assert (tree / "docs" / "alias.txt").is_symlink()
    assert items(rescue_bin, store) == []


def test_not_a_regular_file(rescue_bin, tmp_path, tree):
    os.mkfifo(tree / "fifo")
    proc = q(rescue_bin, tmp_path / "store", "add", tree / "fifo")
    assert proc.returncode == ERROR and b"not a regular file" in proc.stderr
    assert (tree / "fifo").exists()


def test_store_full_refused(rescue_bin, tmp_path, tree):
    """A store without room refuses before copying anything."""
    store = tmp_path / "small"
    store.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", store],
                      stderr=subprocess.DEVNULL).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root)")
    try:
        big = write(tree / "big.bin", os.urandom(3 << 20))
        before = stat_of(big)
        proc = q(rescue_bin, store, "add", big)
        assert proc.returncode == ERROR and b"has no room" in proc.stderr, proc.stderr
        assert stat_of(big) == before
        assert [p.name for p in store.iterdir() if p.name not in ("lock", "journal")] == []
    finally:
        subprocess.run(["umount", store])


def test_critical_files_copied_unless_force(rescue_bin, tmp_path):
    """Windows system files and boot loaders are copied and left in place;
    --force moves them."""
    t = tmp_path / "vol"
    drv = write(t / "Windows" / "System32" / "drivers" / "disk.sys", b"driver")
    boot = write(t / "EFI" / "Microsoft" / "Boot" / "bootmgfw.efi", b"loader")
    store = tmp_path / "store"
    proc = q(rescue_bin, store, "add", drv, boot)
    assert proc.returncode == CLEAN, proc.stderr
    assert drv.exists() and boot.exists()
    assert b"original stays in place" in proc.stdout
    got = items(rescue_bin, store)
    assert sorted(i["state"] for i in got) == ["copied", "copied"]
    assert all(i["critical"] for i in got)
    proc = q(rescue_bin, store, "add", "--force", drv)
    assert proc.returncode == CLEAN and not drv.exists()


def test_restore_refuses_to_overwrite(rescue_bin, tmp_path, tree):
    """A different file in the way is kept; --overwrite replaces it and
    keeps it in the quarantine; --to restores elsewhere."""
    f = tree / "docs" / "letter.txt"
    original = f.read_bytes()
    store = tmp_path / "store"
    assert q(rescue_bin, store, "add", f).returncode == CLEAN
    (it,) = items(rescue_bin, store)
    f.write_bytes(b"a new letter\n")
    proc = q(rescue_bin, store, "restore", it["id"], "--no-allow")
    assert proc.returncode == ERROR and b"a different file is at" in proc.stderr
    assert f.read_bytes() == b"a new letter\n"
    assert len(items(rescue_bin, store)) == 1
    # --to: into another directory, under its own name.
    other = tmp_path / "elsewhere"
    proc = q(rescue_bin, store, "restore", it["id"], "--to", other, "--no-allow")
    assert proc.returncode == CLEAN, proc.stderr
    assert (other / "letter.txt").read_bytes() == original
    # Again, with --overwrite.
    assert q(rescue_bin, store, "add", other / "letter.txt").returncode == CLEAN
    (it,) = items(rescue_bin, store)
    proc = q(rescue_bin, store, "restore", it["id"], "--overwrite", "--to", tree / "docs",
             "--no-allow")
    assert proc.returncode == CLEAN, proc.stderr
    assert f.read_bytes() == original
    (kept,) = items(rescue_bin, store)
    assert kept["state"] == "copied" and kept["reason"] == "replaced by a restore"
    assert kept["file"]["sha256"] == hashlib.sha256(b"a new letter\n").hexdigest()


def test_restore_same_file_already_there(rescue_bin, tmp_path, tree):
    """A copied item whose original is still there: restore writes nothing
    and drops the item."""
    f = tree / "docs" / "letter.txt"
    store = tmp_path / "store"
    assert q(rescue_bin, store, "add", "--copy", f).returncode == CLEAN
    before = os.stat(f).st_ino
    (it,) = items(rescue_bin, store)
    assert q(rescue_bin, store, "restore", it["id"], "--no-allow").returncode == CLEAN
    assert os.stat(f).st_ino == before and items(rescue_bin, store) == []


def test_manifest_traversal_refused(rescue_bin, tmp_path, tree):
    """A manifest edited to point outside its volume ("..") is refused."""
    f = tree / "docs" / "letter.txt"
    store = tmp_path / "store"
    assert q(rescue_bin, store, "add", f).returncode == CLEAN
    (it,) = items(rescue_bin, store)
    mpath = store / it["id"] / "manifest.json"
    m = json.loads(mpath.read_text())
    m["original"]["path"] = str(tree / ".." / ".." / "evil.txt")
    m["original"]["volume_path"] = "../../evil.txt"
    mpath.write_text(json.dumps(m))
    proc = q(rescue_bin, store, "restore", it["id"], "--no-allow")
    assert proc.returncode == ERROR and b"'..'" in proc.stderr
    assert not (tmp_path / "evil.txt").exists() and not (tmp_path.parent / "evil.txt").exists()
    assert len(items(rescue_bin, store)) == 1


def test_damaged_payload_not_restored(rescue_bin, tmp_path, tree):
    f = tree / "docs" / "letter.txt"
    store = tmp_path / "store"
    assert q(rescue_bin, store, "add", f).returncode == CLEAN
    (it,) = items(rescue_bin, store)
    p = store / it["id"] / "payload.bin"
    data = bytearray(p.read_bytes())
    data[0] ^= 1
    p.write_bytes(bytes(data))
    proc = q(rescue_bin, store, "restore", it["id"], "--no-allow")
    assert proc.returncode == ERROR and b"does not match its SHA-256" in proc.stderr
    assert not f.exists()
    assert not any(x.name.startswith(".rescue-restore") for x in f.parent.iterdir())


def test_restore_allow_then_scan_reports_allowed(rescue_bin, tmp_path, tree):
    """Restoring a false positive with --allow adds it to the allowlist for
    the rules that flagged it; the next scan reports it as allowed."""
    rules = _rules(tmp_path)
    store = tmp_path / "store"
    lst = tmp_path / "allow.json"
    proc = run(rescue_bin, "scan", "--rules", rules, "--no-builtin", "--action", "quarantine",
               "--quarantine", store, "--json", tmp_path / "r.json", tree)
    assert proc.returncode == FOUND, proc.stderr
    (it,) = items(rescue_bin, store)
    assert it["detections"][0]["rule"] == "Marker"
    assert it["detections"][0]["meta"] == {"description": "test marker", "severity": 3}
    proc = q(rescue_bin, store, "restore", it["id"], "--allow", "--list", lst)
    assert proc.returncode == CLEAN, proc.stderr
    (entry,) = json.loads(lst.read_text())["entries"]
    assert entry["sha256"] == it["file"]["sha256"] and entry["rule"].endswith(":Marker")
    assert it["id"] in entry["note"]
    report = tmp_path / "r2.json"
    proc = run(rescue_bin, "scan", "--rules", rules, "--no-builtin", "--allowlist", lst,
               "--json", report, tree)
    assert proc.returncode == CLEAN, proc.stdout
    (d,) = json.loads(report.read_text())["detections"]
    assert d["allowed"] is True
    # Without a terminal and without --allow nothing is added.
    assert q(rescue_bin, store, "add", tree / "docs" / "letter.txt").returncode == CLEAN
    (it2,) = items(rescue_bin, store)
    proc = q(rescue_bin, store, "restore", it2["id"], "--list", lst)
    assert proc.returncode == CLEAN and b"not added to the allowlist" in proc.stdout
    assert len(json.loads(lst.read_text())["entries"]) == 1


def test_delete_asks(rescue_bin, tmp_path, tree):
    store = tmp_path / "store"
    assert q(rescue_bin, store, "add", tree / "docs" / "letter.txt").returncode == CLEAN
    (it,) = items(rescue_bin, store)
    proc = q(rescue_bin, store, "delete", it["id"])
    assert proc.returncode == ERROR and b"--yes" in proc.stderr
    assert len(items(rescue_bin, store)) == 1
    assert q(rescue_bin, store, "delete", it["id"], "--yes").returncode == CLEAN
    assert items(rescue_bin, store) == [] and not (store / it["id"]).exists()
    proc = q(rescue_bin, store, "show", it["id"])
    assert proc.returncode == ERROR and b"no item" in proc.stderr


def test_store_in_use(rescue_bin, tmp_path, tree):
    store = tmp_path / "store"
    assert q(rescue_bin, store, "list").returncode == CLEAN  # no store yet
    assert q(rescue_bin, store, "add", "--copy", tree / "docs" / "letter.txt").returncode == CLEAN
    with open(store / "lock", "r+") as lock:
        fcntl.lockf(lock, fcntl.LOCK_EX)
        proc = q(rescue_bin, store, "add", tree / "docs" / "letter.txt")
        assert proc.returncode == ERROR and b"in use by another" in proc.stderr
    assert (tree / "docs" / "letter.txt").exists()
    assert len(items(rescue_bin, store)) == 1


def test_scan_action_quarantine(rescue_bin, tmp_path):
    """--action quarantine: detections are moved, except held ones, allowed
    ones and critical files (copied); every outcome is in the report."""
    t = tmp_path / "vol"
    moved = write(t / "a" / "one.exe", b"1 " + MARK_FILE)
    allowed = write(t / "b" / "two.exe", b"2 " + MARK_FILE)
    critical = write(t / "Windows" / "System32" / "three.dll", b"3 " + MARK_FILE)
    eicar = write(t / "c" / "eicar.com", EICAR)
    clean = write(t / "c" / "clean.txt", b"clean")
    lst = tmp_path / "allow.json"
    assert run(rescue_bin, "allow", "add", "--file", allowed, "--list", lst).returncode == CLEAN
    store = tmp_path / "store"
    rules = _rules(tmp_path, MARK_RULE + "rule Eicar { strings: $a = \"EICAR-STANDARD\" condition: $a }\n")
    report = tmp_path / "r.json"
    # The critical file makes the storm guard hold Marker: release it to see
    # the critical-file rule at work.
    proc = run(rescue_bin, "scan", "--rules", rules, "--no-builtin", "--allowlist", lst,
               "--action", "quarantine", "--quarantine", store, "--json", report,
               "--release-hold", "Marker", t)
    assert proc.returncode == FOUND, proc.stderr
    acts = {Path(a["path"]).name: a for a in json.loads(report.read_text())["actions"]}
    assert acts["one.exe"]["action"] == "quarantined" and not moved.exists()
    assert acts["two.exe"]["action"] == "skipped" and "allowlist" in acts["two.exe"]["detail"]
    assert acts["three.dll"]["action"] == "copied" and critical.exists()
    assert acts["eicar.com"]["action"] == "quarantined" and not eicar.exists()
    assert allowed.exists() and clean.exists() and "clean.txt" not in acts
    ids = {i["id"] for i in items(rescue_bin, store)}
    assert {acts[n]["quarantine_id"] for n in ("one.exe", "three.dll", "eicar.com")} == ids
    assert b"actions: 4" in proc.stdout

    # Held by the storm guard (more matches than the threshold): untouched.
    t2 = tmp_path / "vol2"
    files = [write(t2 / f"f{i}.bin", b"%d " % i + MARK_FILE) for i in range(3)]
    report = tmp_path / "r2.json"
    proc = run(rescue_bin, "scan", "--rules", rules, "--no-builtin", "--storm-threshold", "2",
               "--action", "quarantine", "--quarantine", store, "--json", report, t2)
    assert proc.returncode == FOUND
    acts = json.loads(report.read_text())["actions"]
    assert len(acts) == 3 and all(a["action"] == "skipped" and "storm" in a["detail"] for a in acts)
    assert all(f.exists() for f in files)


def test_scan_action_refuses_changed_file(rescue_bin, tmp_path):
    """A file that changed between its scan and the action is left alone."""
    t = tmp_path / "vol"
    f = write(t / "x.exe", b"x " + MARK_FILE)
    rules = _rules(tmp_path)
    report = tmp_path / "r.json"
    # --jobs 1 and a FIFO-free tree: the scan finishes, then the action runs;
    # a wrapper cannot change the file in between, so the manifest hash is
    # checked against a modified size through the library in the unit tests.
    proc = run(rescue_bin, "scan", "--rules", rules, "--no-builtin", "--action", "quarantine",
               "--quarantine", tmp_path / "store", "--json", report, t)
    assert proc.returncode == FOUND
    assert json.loads(report.read_text())["actions"][0]["action"] == "quarantined"
    assert not f.exists()


def test_rescan_marks_likely_false_positive(rescue_bin, tmp_path, tree):
    """An item no longer detected by newer rules is a likely false positive,
    with the definitions that cleared it; one still detected is not."""
    store = tmp_path / "store"
    rules = _rules(tmp_path)
    proc = run(rescue_bin, "scan", "--rules", rules, "--no-builtin", "--action", "quarantine",
               "--quarantine", store, tree)
    assert proc.returncode == FOUND, proc.stderr
    proc = q(rescue_bin, store, "rescan", "--rules", rules, "--unsigned-rules", "--no-builtin")
    assert proc.returncode == CLEAN, proc.stderr
    assert b"still detected" in proc.stdout
    (it,) = items(rescue_bin, store)
    assert it["rescan"]["detected"] is True and it["rescan"]["likely_false_positive"] is False
    fixed = _rules(tmp_path, OTHER_RULE, "fixed.yar")
    proc = q(rescue_bin, store, "rescan", "--rules", fixed, "--unsigned-rules", "--no-builtin")
    assert proc.returncode == CLEAN and b"likely a false positive" in proc.stdout
    (it,) = items(rescue_bin, store)
    assert it["rescan"]["likely_false_positive"] is True
    assert it["rescan"]["definitions"] == "local"
    assert b"LIKELY FALSE POSITIVE" in q(rescue_bin, store, "list").stdout
    # --rules without the development switch is refused.
    proc = q(rescue_bin, store, "rescan", "--rules", fixed)
    assert proc.returncode == ERROR and b"--unsigned-rules" in proc.stderr


def test_vendor_report_zip(rescue_bin, tmp_path, tree):
    """report writes a zip encrypted with "infected" holding the sample and
    the text a vendor needs; an existing file is never overwritten."""
    seven = shutil.which("7z")
    if not seven:
        pytest.fail("7z (p7zip-full) is needed: ./build.sh installs it")
    store = tmp_path / "store"
    rules = _rules(tmp_path)
    f = tree / "Users" / "bob" / "tool.exe"
    digest = sha(f)
    proc = run(rescue_bin, "scan", "--rules", rules, "--no-builtin", "--action", "quarantine",
               "--quarantine", store, tree)
    assert proc.returncode == FOUND
    (it,) = items(rescue_bin, store)
    out = tmp_path / "fp.zip"
    proc = q(rescue_bin, store, "report", it["id"], "-o", out)
    assert proc.returncode == CLEAN, proc.stderr
    x = tmp_path / "x"
    proc = subprocess.run([seven, "x", "-pwrong", f"-o{x}", out], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    assert proc.returncode != 0
    shutil.rmtree(x, ignore_errors=True)
    proc = subprocess.run([seven, "x", "-pinfected", f"-o{x}", out], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert sha(x / "tool.exe") == digest
    text = (x / "report.txt").read_text()
    for needle in ("Marker", digest, "test marker", str(f), "rescue 0.", "not a PE"):
        assert needle in text, needle
    # Never overwrites.
    proc = q(rescue_bin, store, "report", it["id"], "-o", out)
    assert proc.returncode == ERROR


def test_defs_install_rescans_the_quarantine(rescue_bin, tmp_path, tree):
    """Installing definitions rescans the quarantine: an item the new set no
    longer detects is marked a likely false positive by that set."""
    from test_store import build
    store = tmp_path / "store"
    rules = _rules(tmp_path, 'rule Local_Only { strings: $a = "dear bob" condition: $a }\n')
    proc = run(rescue_bin, "scan", "--rules", rules, "--no-builtin", "--action", "quarantine",
               "--quarantine", store, tree / "docs")
    assert proc.returncode == FOUND, proc.stderr
    (it,) = items(rescue_bin, store)
    assert it["detections"][0]["rule"] == "Local_Only"
    bundle = build(rescue_bin, tmp_path, 7)
    proc = run(rescue_bin, "defs", "install", bundle, "--store", tmp_path / "defs",
               "--quarantine", store)
    assert proc.returncode == CLEAN, proc.stderr
    assert b"rescanning the quarantine" in proc.stdout
    (it,) = items(rescue_bin, store)
    assert it["rescan"]["likely_false_positive"] is True
    assert "core v7" in it["rescan"]["definitions"]


def test_vendor_report_pe_version_info(rescue_bin, tmp_path):
    """The vendor text carries the sample's own VERSIONINFO (libyara's pe
    module), here from a PE generated by tests/data/mkpe.py."""
    from conftest import REPO
    pe = tmp_path / "vol" / "setup.exe"
    pe.parent.mkdir()
    subprocess.run(["/usr/bin/python3", REPO / "tests" / "data" / "mkpe.py", pe], check=True)
    store = tmp_path / "store"
    assert q(rescue_bin, store, "add", pe, "--reason", "flagged by hand").returncode == CLEAN
    (it,) = items(rescue_bin, store)
    out = tmp_path / "fp.zip"
    assert q(rescue_bin, store, "report", it["id"], "-o", out).returncode == CLEAN
    x = tmp_path / "x"
    proc = subprocess.run(["7z", "x", "-pinfected", f"-o{x}", out], stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE)
    assert proc.returncode == 0, proc.stdout
    text = (x / "report.txt").read_text()
    for needle in ("CompanyName: Example Software Ltd", "FileVersion: 1.2.3.4",
                   "ProductName: Example Product", "PE32+ executable", "flagged by hand"):
        assert needle in text, (needle, text)
    assert sha(x / "setup.exe") == it["file"]["sha256"]
