"""The FP-storm guard in rescue scan: a rule matching more files than the
threshold, or any protected Windows system or boot file, has all its
detections held; --release-hold releases it; --storm-threshold 0 turns the
count check off. Held detections still make the exit status 1."""
import os

import pytest

from conftest import CLEAN, ERROR, FOUND, run, write

STORM = b"STORM-" + b"SAMPLE"
OTHER = b"OTHER-" + b"SAMPLE"
SVC = b"SVCHOST-" + b"SAMPLE"

RULES = """
rule Storm_Rule { strings: $a = "%s" condition: $a }
rule Other_Rule { strings: $a = "%s" condition: $a }
rule Svc_Rule { strings: $a = "%s" condition: $a }
""" % (STORM.decode(), OTHER.decode(), SVC.decode())


@pytest.fixture
def rules(tmp_path):
    """The test's rules file; its namespace is "storm"."""
    return write(tmp_path / "storm.yar", RULES)


@pytest.fixture
def storm_tree(tmp_path, unchanged):
    """200 files matching Storm_Rule (one string matched twice in each, so
    per-string matches must not inflate the count) and 3 matching
    Other_Rule, one of them also matching Storm_Rule."""
    root = tmp_path / "storm"
    for i in range(200):
        write(root / f"d{i % 7}" / f"f{i}.dat", STORM + b" x " + STORM)
    for i in range(3):
        write(root / "other" / f"o{i}.txt", OTHER)
    write(root / "other" / "o0.txt", OTHER + b" " + STORM)
    unchanged(root)
    return root


def holds_by_rule(r):
    return {h["rule"]: h for h in r.report["holds"]}


def test_storm_held(scan, rules, storm_tree, tmp_path):
    out = tmp_path / "report.txt"
    r = scan("--no-builtin", "--rules", rules, "--report", out, storm_tree)
    # Held is not clean: the exit status says something was found.
    assert r.returncode == FOUND, r
    storm = r.detections("Storm_Rule")
    assert len(storm) == 201
    assert all(d["held"] is True for d in storm)
    assert all(d["hold_reason"] == "matched 201 files (threshold 50)"
               for d in storm)
    # The other rule fired on the same tree, even on the same file: not held.
    other = r.detections("Other_Rule")
    assert len(other) == 3
    assert all(d["held"] is False and "hold_reason" not in d for d in other)
    (h,) = r.report["holds"]
    assert h == {"rule": "Storm_Rule", "namespace": "storm", "set": "local",
                 "set_version": 0, "files": 201,
                 "reason": "matched 201 files (threshold 50)",
                 "released": False, "released_by": None, "released_at": None}
    s = r.report["summary"]
    assert s["detections"] == 204 and s["detections_held"] == 201
    assert r.report["storm_guard"] == {"threshold": 50, "release_hold": []}
    # The text report, on the console and in --report, says it plainly.
    for text in (r.stdout, out.read_text()):
        assert "detections: 204, 201 held for review" in text
        assert "\nHELD: 1 rule, 201 detections held for review" in text
        assert "a question, not a verdict" in text
        assert "mass infections are real" in text
        assert "No action is taken on held" in text
        assert ("  HELD storm:Storm_Rule: 201 files, matched 201 files "
                "(threshold 50)\n") in text
        assert "release: rescue scan --release-hold storm:Storm_Rule " in text
    # The live lines are as before; the summary is the authority.
    assert f"{storm_tree}/d0/f0.dat: storm:Storm_Rule FOUND" in r.stdout


def test_release_hold(scan, rules, storm_tree):
    r = scan("--no-builtin", "--rules", rules,
             "--release-hold", "storm:Storm_Rule", storm_tree)
    assert r.returncode == FOUND, r
    assert all(d["held"] is False and "hold_reason" not in d
               for d in r.detections())
    (h,) = r.report["holds"]
    assert h["rule"] == "Storm_Rule" and h["files"] == 201
    assert h["released"] is True
    assert h["released_by"]  # the user running the scan
    assert h["released_by"] == _user()
    assert h["released_at"].endswith("Z") and len(h["released_at"]) == 20
    assert r.report["summary"]["detections_held"] == 0
    assert r.report["storm_guard"]["release_hold"] == ["storm:Storm_Rule"]
    assert "\nHELD:" not in r.stdout
    assert "holds released: 1" in r.stdout
    assert "released storm:Storm_Rule (201 files, " in r.stdout
    assert r.stderr == ""


def _user():
    import pwd
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return f"uid {os.getuid()}"


def test_release_bare_rule_and_unheld(scan, rules, storm_tree):
    r = scan("--no-builtin", "--rules", rules, "--release-hold", "Storm_Rule",
             "--release-hold", "Other_Rule", storm_tree)
    assert r.returncode == FOUND, r
    assert holds_by_rule(r)["Storm_Rule"]["released"] is True
    assert r.report["summary"]["detections_held"] == 0
    # Releasing a rule that was not held is harmless: a warning, no error.
    assert "warning: --release-hold 'Other_Rule': no such rule was held" \
        in r.stderr


def test_release_bare_ambiguous(scan, storm_tree, tmp_path):
    rdir = tmp_path / "rules"
    write(rdir / "one.yar", 'rule Storm_Rule { strings: $a = "%s" '
          'condition: $a }\n' % STORM.decode())
    write(rdir / "two.yar", 'rule Storm_Rule { strings: $a = "%s" '
          'condition: $a }\n' % STORM.decode())
    r = scan("--no-builtin", "--rules", rdir, "--release-hold", "Storm_Rule",
             storm_tree)
    assert r.returncode == FOUND, r
    hs = r.report["holds"]
    assert sorted(h["namespace"] for h in hs) == ["one", "two"]
    assert all(h["released"] is False for h in hs)
    assert "--release-hold 'Storm_Rule' is ambiguous" in r.stderr
    r = scan("--no-builtin", "--rules", rdir, "--release-hold",
             "two:Storm_Rule", storm_tree)
    assert {h["namespace"]: h["released"] for h in r.report["holds"]} == {
        "one": False, "two": True}


def test_threshold_zero_disables_count(scan, rules, storm_tree):
    r = scan("--no-builtin", "--rules", rules, "--storm-threshold", "0",
             storm_tree)
    assert r.returncode == FOUND, r
    assert r.report["holds"] == []
    assert all(d["held"] is False for d in r.detections())
    assert r.report["summary"]["detections_held"] == 0
    assert r.report["storm_guard"]["threshold"] == 0
    assert "HELD" not in r.stdout


def test_threshold_edge(scan, rules, tmp_path):
    root = tmp_path / "edge"
    for i in range(11):
        write(root / f"f{i}", STORM)
    r = scan("--no-builtin", "--rules", rules, "--storm-threshold", "11", root)
    assert r.report["holds"] == []
    r = scan("--no-builtin", "--rules", rules, "--storm-threshold", "10", root)
    (h,) = r.report["holds"]
    assert h["reason"] == "matched 11 files (threshold 10)"


def test_same_file_twice_counts_once(scan, rules, tmp_path):
    root = tmp_path / "twice"
    for i in range(30):
        write(root / "sub" / f"f{i}", STORM)
    # Two targets reaching the same 30 files: 60 detections, 30 files.
    r = scan("--no-builtin", "--rules", rules, "--storm-threshold", "40",
             root, root / "sub")
    assert len(r.detections("Storm_Rule")) == 60
    assert r.report["holds"] == []


def test_protected_file_held(scan, rules, tmp_path, unchanged):
    root = tmp_path / "mnt" / "vda2"
    svchost = write(root / "Windows" / "System32" / "svchost.exe", SVC)
    write(root / "Users" / "a" / "tool.exe", SVC)
    write(root / "Users" / "a" / "other.txt", OTHER)
    # Look-alikes are not protected (and here match nothing held by count).
    write(root / "MyWindows" / "System32x" / "a", OTHER)
    unchanged(root)
    out = tmp_path / "r.txt"
    r = scan("--no-builtin", "--rules", rules, "--storm-threshold", "0",
             "--report", out, root)
    assert r.returncode == FOUND, r
    reason = f"matched a protected system file: {svchost}"
    (h,) = r.report["holds"]
    assert h["rule"] == "Svc_Rule" and h["namespace"] == "storm"
    assert h["files"] == 2 and h["reason"] == reason
    # All of the rule's detections are held, not only the protected one.
    svc = r.detections("Svc_Rule")
    assert len(svc) == 2
    assert all(d["held"] is True and d["hold_reason"] == reason for d in svc)
    assert all(d["held"] is False for d in r.detections("Other_Rule"))
    text = out.read_text()
    assert f"  HELD storm:Svc_Rule: 2 files, {reason}\n" in text
    assert "release: rescue scan --release-hold storm:Svc_Rule " in text
    # Released like any other hold.
    r = scan("--no-builtin", "--rules", rules, "--release-hold",
             "storm:Svc_Rule", root)
    assert r.report["holds"][0]["released"] is True
    assert all(d["held"] is False for d in r.detections())


@pytest.mark.parametrize("rel", [
    "Windows/System32/drivers/x.sys",
    "WINDOWS/system32/config/SYSTEM",
    "Windows/SysWOW64/a.dll",
    "Windows/WinSxS/amd64_x/b.dll",
    "Windows/explorer.exe",
    "bootmgr",
    "EFI/Microsoft/Boot/bootmgfw.efi",
    "efi/boot/bootx64.efi",
])
def test_protected_list(scan, rules, tmp_path, rel):
    root = tmp_path / "vol"
    write(root / rel, SVC)
    r = scan("--no-builtin", "--rules", rules, root)
    assert r.returncode == FOUND, r
    (h,) = r.report["holds"]
    assert h["reason"] == f"matched a protected system file: {root}/{rel}"


@pytest.mark.parametrize("rel", [
    "MyWindows/System32/a",
    "Windows/System32x/a",
    "Windows/System32.bak/a",
    "bootmgr.txt",
])
def test_lookalikes_not_protected(scan, rules, tmp_path, rel):
    root = tmp_path / "vol"
    write(root / rel, SVC)
    r = scan("--no-builtin", "--rules", rules, root)
    assert r.returncode == FOUND, r
    assert r.report["holds"] == []


def test_held_only_is_found_not_clean(scan, rules, tmp_path):
    root = tmp_path / "only"
    write(root / "bootmgr", SVC)
    r = scan("-q", "--no-builtin", "--rules", rules, root)
    assert r.returncode == FOUND, r
    assert r.report["summary"]["detections_held"] == 1
    assert r.stdout == ""


def test_json_stdout_has_holds(rescue_bin, rules, tmp_path):
    import json
    write(tmp_path / "v" / "Windows" / "System32" / "svchost.exe", SVC)
    proc = run(rescue_bin, "scan", "-q", "--no-builtin", "--rules", rules,
               "--json", "-", tmp_path / "v")
    assert proc.returncode == FOUND, proc
    rep = json.loads(proc.stdout)
    assert rep["holds"][0]["rule"] == "Svc_Rule"


@pytest.mark.parametrize("args", [
    ["--storm-threshold", "-1"],
    ["--storm-threshold", "many"],
    ["--storm-threshold", "5k"],
    ["--release-hold", ""],
    ["--release-hold", "ns:"],
    ["--release-hold", ":Rule"],
])
def test_bad_options(scan, rules, tmp_path, args):
    write(tmp_path / "c" / "x", b"clean")
    r = scan("--no-builtin", "--rules", rules, *args, tmp_path / "c")
    assert r.returncode == ERROR, r
    assert "invalid --" in r.stderr


def test_clean_tree_has_no_holds(scan, rules, tmp_path):
    write(tmp_path / "c" / "Windows" / "System32" / "ok.dll", b"clean")
    r = scan("--no-builtin", "--rules", rules, tmp_path / "c")
    assert r.returncode == CLEAN, r
    assert r.report["holds"] == []
    assert r.report["summary"]["detections_held"] == 0
