"""rescue scan on real trees: detections, clean trees, not-scanned reasons,
odd names, rules files and the reports. Every suspect tree is checked to be
byte-identical after the scan."""
import hashlib
import json
import os
import unicodedata

import pytest

from conftest import (CLEAN, EICAR, EICAR_SHA256, ERROR, FOUND, MARK_FILE,
                      run, write)


@pytest.fixture
def tree(tmp_path, unchanged):
    """A small suspect tree with one EICAR file; checked unchanged after."""
    root = tmp_path / "suspect"
    write(root / "docs" / "readme.txt", "just text\n")
    write(root / "docs" / "empty")
    write(root / "bin" / "tool", b"\x7fELF" + bytes(200))
    write(root / "dl" / "eicar.com", EICAR)
    unchanged(root)
    return root


def test_eicar_found(scan, tree):
    r = scan(tree)
    assert r.returncode == FOUND, r
    (d,) = r.detections()
    assert d["rule"] == "EICAR_Test_File"
    assert d["namespace"] == "builtin"
    assert d["path"] == f"{tree}/dl/eicar.com"
    assert "path_hex" not in d
    assert d["target"] == str(tree)
    assert d["area"] is None
    assert d["size"] == len(EICAR)
    assert d["sha256"] == hashlib.sha256(EICAR).hexdigest() == EICAR_SHA256
    assert d["tags"] == ["test"]
    assert d["meta"]["severity"] == "test"
    assert d["strings"] == [{"identifier": "$eicar", "offset": 0,
                             "length": 68, "data_hex": EICAR[:64].hex()}]
    t = r.target
    assert t["kind"] == "directory" and t["status"] == "ok"
    assert t["error"] is None
    assert t["files_scanned"] == 4
    assert t["files_matched"] == 1
    assert t["directories"] == 4
    assert t["not_scanned"] == []
    s = r.report["summary"]
    assert s["detections"] == 1 and s["targets_failed"] == 0
    # The console line and the text summary name the file and the rule.
    assert f"{tree}/dl/eicar.com: builtin:EICAR_Test_File FOUND" in r.stdout
    assert r.stderr == ""


def test_report_header(scan, tree, rescue_bin):
    r = scan("--jobs", "1", "--timeout", "7", "--max-size", "2M", tree)
    rep = r.report
    assert rep["schema"] == 1
    assert rep["program"]["name"] == "rescue"
    assert rep["started"].endswith("Z") and rep["finished"].endswith("Z")
    assert rep["seconds"] >= 0
    assert rep["options"] == {"jobs": 1, "max_size": 2 << 20, "timeout": 7,
                              "one_filesystem": False, "excludes": []}
    rules = rep["rules"]
    assert rules["count"] == 5 and rules["sources_failed"] == 0
    assert [s["namespace"] for s in rules["sources"]] == ["builtin"]


def test_clean_tree(scan, tmp_path, unchanged):
    root = tmp_path / "clean"
    for i in range(30):
        write(root / f"d{i % 3}" / f"f{i}.dat", os.urandom(100 + i))
    unchanged(root)
    r = scan(root)
    assert r.returncode == CLEAN, r
    assert r.report["detections"] == []
    assert r.target["files_scanned"] == 30
    assert r.target["bytes_scanned"] == sum(100 + i for i in range(30))
    assert r.report["summary"]["detections"] == 0
    assert "detections: 0" in r.stdout


def test_marker_file(scan, tmp_path, unchanged):
    root = tmp_path / "t"
    write(root / "deep" / "er" / "m.bin", b"prefix " + MARK_FILE + b" suffix")
    unchanged(root)
    r = scan(root)
    assert r.returncode == FOUND, r
    (d,) = r.detections()
    assert d["rule"] == "Rescue_Test_Marker_File"
    assert d["strings"][0]["offset"] == 7


def test_single_file_target(scan, tree):
    r = scan(tree / "dl" / "eicar.com")
    assert r.returncode == FOUND, r
    assert r.target["kind"] == "file"
    assert r.detections()[0]["path"] == str(tree / "dl" / "eicar.com")


def test_several_targets(scan, tree, tmp_path):
    other = write(tmp_path / "other" / "x", MARK_FILE)
    r = scan(tree, other.parent)
    assert r.returncode == FOUND, r
    assert [t["path"] for t in r.report["targets"]] == [str(tree), str(other.parent)]
    assert {d["target"] for d in r.detections()} == {str(tree), str(other.parent)}
    assert r.report["summary"]["detections"] == 2


def test_bad_rules_file(scan, tree, tmp_path):
    rules = tmp_path / "rules"
    write(rules / "good.yar",
          'rule User_Good { strings: $a = "just text" condition: $a }\n')
    write(rules / "broken.yar",
          "rule User_Broken\n{\n    condition: undefined_thing\n}\n")
    r = scan("--rules", rules, tree)
    # The broken file is named with its line; the rest still loads and fires.
    assert f"error: {rules}/broken.yar:3: " in r.stderr, r
    assert "undefined_thing" in r.stderr
    assert r.returncode == FOUND, r
    assert {d["rule"] for d in r.detections()} == {"EICAR_Test_File", "User_Good"}
    (good,) = r.detections("User_Good")
    assert good["namespace"] == "good"
    assert good["path"].endswith("/docs/readme.txt")
    src = {s["path"]: s for s in r.report["rules"]["sources"]}
    assert r.report["rules"]["sources_failed"] == 1
    assert src[f"{rules}/broken.yar"]["loaded"] is False
    assert src[f"{rules}/broken.yar"]["rules"] == 0
    assert src[f"{rules}/broken.yar"]["error"].startswith(f"{rules}/broken.yar:3: ")
    assert src[f"{rules}/good.yar"]["loaded"] is True
    assert src[f"{rules}/good.yar"]["error"] is None
    assert r.report["rules"]["count"] == 6
    assert "rules file not loaded" in r.stdout


def test_only_broken_rules(scan, tree, tmp_path):
    bad = write(tmp_path / "bad.yar", "rule X { condition: }\n")
    r = scan("--no-builtin", "--rules", bad, tree)
    assert r.returncode == ERROR, r
    assert f"{bad}:1: " in r.stderr
    assert "no usable rules" in r.stderr


def test_missing_rules_path(scan, tree, tmp_path):
    r = scan("--rules", tmp_path / "nope.yar", tree)
    assert f"cannot read rules '{tmp_path}/nope.yar'" in r.stderr, r
    # The built-in rules still run.
    assert r.returncode == FOUND, r


def test_no_builtin_no_rules(scan, tree):
    r = scan("--no-builtin", tree)
    assert r.returncode == ERROR, r
    assert "no usable rules" in r.stderr


def test_symlink_loop(scan, tmp_path, unchanged):
    root = tmp_path / "links"
    write(root / "d" / "m.txt", MARK_FILE)
    os.symlink(".", root / "d" / "self")
    os.symlink("..", root / "d" / "parent")
    os.symlink(root, root / "d" / "abs")
    os.symlink("m.txt", root / "d" / "alias")
    os.symlink("b", root / "a")
    os.symlink("a", root / "b")
    unchanged(root)
    r = scan(root, timeout=30)
    assert r.returncode == FOUND, r
    # Found once, at its real path: no link was followed.
    (d,) = r.detections()
    assert d["path"] == f"{root}/d/m.txt"
    assert r.target["symlinks_not_followed"] == 6
    assert r.target["files_scanned"] == 1
    assert r.target["directories"] == 2


def test_symlink_loop_as_target(scan, tmp_path):
    os.symlink("b", tmp_path / "a")
    os.symlink("a", tmp_path / "b")
    r = scan(tmp_path / "a", timeout=30)
    assert r.returncode == ERROR, r
    assert r.target["status"] == "error"


def test_fifo(scan, tmp_path, unchanged):
    root = tmp_path / "fifo"
    write(root / "m.txt", MARK_FILE)
    os.mkfifo(root / "pipe")  # no writer: a blocking open would hang
    unchanged(root)
    r = scan(root, timeout=30)
    assert r.returncode == FOUND, r
    (n,) = r.not_scanned()
    assert n["path"] == f"{root}/pipe"
    assert n["reason"] == "special-file"
    assert r.target["not_scanned_by_reason"] == {
        "special-file": {"files": 1, "bytes": 0}}
    # Named directly as a target it is still not opened for reading.
    r = scan(root / "pipe", timeout=30)
    assert r.returncode == CLEAN, r
    assert [n["reason"] for n in r.not_scanned()] == ["special-file"]


def test_max_size(scan, tmp_path, unchanged):
    root = tmp_path / "sizes"
    write(root / "big.bin", MARK_FILE + bytes(2048))
    write(root / "small.bin", b"small")
    other = tmp_path / "with-eicar"
    write(other / "big.bin", MARK_FILE + bytes(2048))
    write(other / "e.com", EICAR)
    unchanged(root)
    unchanged(other)
    r = scan("--max-size", "1K", root)
    # A file not scanned is listed, but only detections set the exit code.
    assert r.returncode == CLEAN, r
    assert r.report["detections"] == []
    (n,) = r.not_scanned()
    assert n["path"] == f"{root}/big.bin"
    assert n["reason"] == "size-cap"
    assert n["size"] == len(MARK_FILE) + 2048
    t = r.target
    assert t["files_not_scanned"] == 1
    assert t["bytes_not_scanned"] == len(MARK_FILE) + 2048
    assert t["not_scanned_by_reason"]["size-cap"] == {
        "files": 1, "bytes": len(MARK_FILE) + 2048}
    assert r.report["options"]["max_size"] == 1024
    assert "size-cap" in r.stdout
    # With a detection elsewhere the exit code is 1, not 2.
    r = scan("--max-size", "1K", other)
    assert r.returncode == FOUND, r
    assert [n["reason"] for n in r.not_scanned()] == ["size-cap"]


def test_max_size_zero_means_no_cap(scan, tmp_path):
    write(tmp_path / "t" / "big", MARK_FILE + bytes(300 << 10))
    r = scan("--max-size", "0", tmp_path / "t")
    assert r.returncode == FOUND, r


def test_non_utf8_name(scan, tmp_path, unchanged):
    root = tmp_path / "names"
    root.mkdir()
    raw = os.fsencode(root) + b"/bad\xffname"
    with open(raw, "wb") as f:
        f.write(EICAR)
    unchanged(root)
    r = scan(root)
    assert r.returncode == FOUND, r
    (d,) = r.detections()
    assert d["path_hex"] == raw.hex()
    assert d["path"] == f"{root}/bad\ufffdname"
    # On the console the bad byte is escaped, never sent raw.
    assert f"{root}/bad\\xffname: builtin:EICAR_Test_File FOUND" in r.stdout
    assert b"\xff" not in r.stdout_bytes


def test_unicode_names(scan, tmp_path, unchanged):
    root = tmp_path / "uni"
    names = [unicodedata.normalize("NFC", "café.txt"),
             unicodedata.normalize("NFD", "café.txt"),
             "😀 smile.txt", "日本語", "tab\tname"]
    assert names[0] != names[1]
    for n in names:
        write(root / n, MARK_FILE)
    unchanged(root)
    r = scan(root)
    assert r.returncode == FOUND, r
    got = sorted(d["path"] for d in r.detections())
    assert got == sorted(f"{root}/{n}" for n in names)
    assert all("path_hex" not in d for d in r.detections())
    # Control bytes are escaped on the console.
    assert f"{root}/tab\\x09name: " in r.stdout


def test_nonexistent_path(scan, tmp_path, tree):
    missing = tmp_path / "does-not-exist"
    r = scan(missing, tree)
    # An unreadable target is an error even though a detection was made.
    assert r.returncode == ERROR, r
    assert f"cannot scan '{missing}'" in r.stderr
    assert "No such file or directory" in r.stderr
    t = r.report["targets"][0]
    assert t["path"] == str(missing)
    assert t["status"] == "error"
    assert t["error"] == "cannot open: No such file or directory"
    assert r.report["summary"]["targets_failed"] == 1
    # The other target was still scanned.
    assert r.report["targets"][1]["status"] == "ok"
    assert len(r.detections()) == 1


def test_exclude(scan, tmp_path, unchanged):
    root = tmp_path / "ex"
    write(root / "keep.txt", MARK_FILE)
    write(root / "a.skip", MARK_FILE)
    write(root / "cache" / "inner.txt", MARK_FILE)
    unchanged(root)
    r = scan("--exclude", "*.skip", "-e", "cache", root)
    assert r.returncode == FOUND, r
    assert [d["path"] for d in r.detections()] == [f"{root}/keep.txt"]
    excluded = sorted(n["path"] for n in r.not_scanned("excluded"))
    assert excluded == [f"{root}/a.skip", f"{root}/cache"]
    assert r.report["options"]["excludes"] == ["*.skip", "cache"]
    # A pattern on the full path works too.
    r = scan("--exclude", f"{root}/keep*", root)
    assert f"{root}/keep.txt" in [n["path"] for n in r.not_scanned("excluded")]


def test_externals_in_user_rule(scan, tmp_path, unchanged):
    root = tmp_path / "ext"
    for n in ["a.exe", "B.EXE", "c.txt", "d.exe.txt", "exe"]:
        write(root / n, b"x")
    write(root / "fake.txt", b"MZ\x90\x00")
    unchanged(root)
    rules = write(tmp_path / "ext.yar",
                  'rule By_Extension { condition: extension == "exe" }\n'
                  'rule By_Type { condition: filetype == "EXE" }\n'
                  'rule By_Name { condition: filename == "c.txt" }\n')
    r = scan("--no-builtin", "--rules", rules, root)
    assert r.returncode == FOUND, r
    by_rule = {}
    for d in r.detections():
        by_rule.setdefault(d["rule"], []).append(os.path.basename(d["path"]))
        assert d["namespace"] == "ext"
    assert sorted(by_rule["By_Extension"]) == ["B.EXE", "a.exe"]
    assert by_rule["By_Type"] == ["fake.txt"]
    assert by_rule["By_Name"] == ["c.txt"]
    (fake,) = r.detections("By_Type")
    assert fake["filetype"] == "EXE"


def test_json_to_stdout(rescue_bin, tree):
    import json
    from conftest import run
    proc = run(rescue_bin, "scan", "-q", "--json", "-", tree)
    assert proc.returncode == FOUND, proc
    rep = json.loads(proc.stdout)
    assert rep["detections"][0]["rule"] == "EICAR_Test_File"
    assert proc.stderr == b""


def test_quiet(scan, tree):
    r = scan("-q", tree)
    assert r.returncode == FOUND, r
    assert r.stdout == ""
    assert r.report["summary"]["detections"] == 1


def test_text_report(scan, tmp_path, unchanged):
    tree = tmp_path / "t"
    write(tree / "dl" / "eicar.com", EICAR)
    write(tree / "big", bytes(4096))
    unchanged(tree)
    out = tmp_path / "report.txt"
    r = scan("--report", out, "--max-size", "1K", tree)
    assert r.returncode == FOUND, r
    text = out.read_text()
    assert text.startswith("rescue ")
    assert "detections: 1" in text
    assert f"{tree}/dl/eicar.com" in text
    assert "builtin:EICAR_Test_File" in text
    assert EICAR_SHA256 in text
    assert f"{tree}/big: size-cap" in text
    assert f"  {tree} (directory): ok" in text


def test_report_unwritable(scan, tree, tmp_path):
    r = scan("--report", tmp_path / "no" / "such" / "dir" / "r.txt", tree)
    assert r.returncode == ERROR, r
    assert "cannot open" in r.stderr


def test_jobs_one(scan, tree):
    r = scan("-j", "1", tree)
    assert r.returncode == FOUND, r
    assert r.report["options"]["jobs"] == 1


def test_suspect_never_written(scan, tmp_path, unchanged):
    """Mixed tree incl. disk-looking files and odd modes stays identical."""
    root = tmp_path / "ro"
    write(root / "e.com", EICAR)
    write(root / "m", MARK_FILE * 3)
    write(root / "zero", bytes(1 << 20))
    ro = write(root / "readonly", b"ro")
    os.chmod(ro, 0o400)
    before = os.stat(root / "e.com")
    unchanged(root)
    r = scan(root)
    assert r.returncode == FOUND, r
    after = os.stat(root / "e.com")
    assert after.st_mtime_ns == before.st_mtime_ns
    assert after.st_size == before.st_size


@pytest.mark.parametrize("name", [
    pytest.param(b"esc\x1b[2Jname", id="ascii-then-escape"),
    # A valid multibyte character right before the control byte.
    pytest.param(b"caf\xc3\xa9\x1b[2J", id="utf8-then-escape"),
    pytest.param(b"\xf0\x9f\x98\x80\x07bell", id="emoji-then-bell"),
    pytest.param(b"x\xff\x1b]0;title\x07", id="bad-byte-then-osc"),
])
def test_console_never_gets_control_bytes(scan, tmp_path, name, unchanged):
    root = tmp_path / "ctl"
    root.mkdir()
    with open(os.fsencode(root) + b"/" + name, "wb") as f:
        f.write(EICAR)
    unchanged(root)
    out = tmp_path / "r.txt"
    r = scan("--report", out, root)
    assert r.returncode == FOUND, r
    assert len(r.detections()) == 1
    for where, data in (("stdout", r.stdout_bytes), ("--report", out.read_bytes())):
        bad = sorted({c for c in data if (c < 0x20 and c != 0x0a) or c == 0x7f})
        assert not bad, f"raw control bytes {bad} in {where}: {data[:300]!r}"


def test_console_escapes_c1_controls(scan, tmp_path, unchanged):
    """U+009B is CSI on the Linux console even in UTF-8 mode (vt.c treats
    the decoded code point 128+27 as a control), and a rescue system runs
    on that console: C1 code points in names must be escaped too."""
    root = tmp_path / "c1"
    root.mkdir()
    with open(os.fsencode(root) + b"/c1\xc2\x9b2J", "wb") as f:
        f.write(EICAR)
    unchanged(root)
    r = scan(root)
    assert r.returncode == FOUND, r
    assert b"\xc2\x9b" not in r.stdout_bytes, r.stdout_bytes[:300]


def test_unsigned_rules_need_the_switch(rescue_bin, tmp_path):
    """--rules (unsigned sources) is refused without --unsigned-rules, and
    with it the report says plainly that unsigned rules were loaded."""
    rules = write(tmp_path / "r.yar", "rule R { condition: true }\n")
    target = write(tmp_path / "f.txt", "x")
    proc = run(rescue_bin, "scan", "--no-switch", "--rules", rules, target)
    assert proc.returncode == ERROR
    assert b"--unsigned-rules" in proc.stderr
    report = tmp_path / "r.json"
    proc = run(rescue_bin, "scan", "--unsigned-rules", "--rules", rules,
               "--json", report, target)
    assert proc.returncode == FOUND
    assert b"UNSIGNED" in proc.stdout
    data = json.loads(report.read_text())
    assert data["rules"]["unsigned_rules_loaded"] is True
    local = [s for s in data["rules"]["sets"] if s["name"] == "local"]
    assert local and local[0]["signed"] is False


def test_allowlist_add_scan_remove(rescue_bin, tmp_path):
    """An allowed file is reported as allowed, with its entry, and does not
    count as found; a rule-specific entry allows that rule only; remove
    undoes it; a damaged list is never overwritten."""
    tree = tmp_path / "tree"
    tree.mkdir()
    marked = write(tree / "tool.exe", b"xx " + MARK_FILE + b" xx")
    lst = tmp_path / "allow.json"
    proc = run(rescue_bin, "allow", "add", "--file", marked, "--note",
               "vendor tool", "--list", lst)
    assert proc.returncode == CLEAN, proc.stderr
    entry = json.loads(lst.read_text())["entries"][0]
    assert entry["sha256"] == hashlib.sha256(marked.read_bytes()).hexdigest()
    report = tmp_path / "r.json"
    proc = run(rescue_bin, "scan", "--allowlist", lst, "--json", report, tree)
    assert proc.returncode == CLEAN, proc.stdout
    (d,) = json.loads(report.read_text())["detections"]
    assert d["allowed"] is True and d["allowed_by"]["id"] == entry["id"]
    assert d["allowed_by"]["note"] == "vendor tool"
    assert b"ALLOWED" in proc.stdout
    # Only for another rule: the detection counts again.
    assert run(rescue_bin, "allow", "remove", entry["id"], "--list", lst).returncode == CLEAN
    run(rescue_bin, "allow", "add", entry["sha256"], "--rule", "builtin:Other",
        "--list", lst)
    proc = run(rescue_bin, "scan", "--allowlist", lst, "--json", report, tree)
    assert proc.returncode == FOUND
    assert json.loads(report.read_text())["detections"][0]["allowed"] is False
    # A damaged list: refused, untouched; the scan warns and goes on.
    lst.write_text("{ not json")
    proc = run(rescue_bin, "allow", "add", entry["sha256"], "--list", lst)
    assert proc.returncode == ERROR and b"not an allowlist" in proc.stderr
    assert lst.read_text() == "{ not json"
    proc = run(rescue_bin, "scan", "--allowlist", lst, tree)
    assert proc.returncode == FOUND and b"not used" in proc.stderr
    assert run(rescue_bin, "allow", "add", "abc", "--list",
               tmp_path / "x.json").returncode == ERROR
