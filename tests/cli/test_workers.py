"""A file that costs a worker (rule timeout, crash, hang) is listed with its
reason, and the rest of the tree is still scanned and still detected.
Crash and hang use out/rescue-testhooks, whose workers crash on files
starting with SC-TEST-CRASH and hang on files starting with SC-TEST-HANG."""
import pytest

from conftest import EICAR, FOUND, MARK_FILE, write

# Compared with every position, for every position: never finishes on 20 MB.
SLOW_RULE = """
rule Quadratic
{
    condition:
        for all i in (0..filesize - 1) :
            (for all j in (0..filesize - 1) : (uint8(j) == uint8(i)))
}
"""


def _tree(root, special_name, special_content):
    write(root / "a" / "eicar.com", EICAR)
    for i in range(6):
        write(root / "b" / f"clean{i}.txt", f"clean file {i}\n")
    write(root / "c" / "m.txt", MARK_FILE)
    write(root / special_name, special_content)
    return root


def test_rule_timeout(scan, tmp_path, unchanged):
    root = tmp_path / "slow"
    write(root / "zeros.bin", bytes(20 << 20))
    write(root / "m.txt", MARK_FILE)
    unchanged(root)
    rules = write(tmp_path / "slow.yar", SLOW_RULE)
    r = scan("--timeout", "1", "--rules", rules, root, timeout=30)
    assert r.returncode == FOUND, r
    (n,) = r.not_scanned()
    assert n["path"] == f"{root}/zeros.bin"
    assert n["reason"] == "timeout"
    assert n["size"] == 20 << 20
    assert r.target["not_scanned_by_reason"] == {
        "timeout": {"files": 1, "bytes": 20 << 20}}
    # Partial results of the timed-out file are not reported; the other
    # file is found by both rule sets (the slow rule matches tiny files).
    paths = {d["path"] for d in r.detections()}
    assert paths == {f"{root}/m.txt"}
    assert r.report["options"]["timeout"] == 1


def test_worker_crash(scan, testhooks_bin, tmp_path, unchanged):
    root = _tree(tmp_path / "crash", "boom.bin", b"SC-TEST-CRASH and more")
    unchanged(root)
    r = scan("--jobs", "2", root, binary=testhooks_bin, timeout=60)
    assert r.returncode == FOUND, r
    (n,) = r.not_scanned()
    assert n["path"] == f"{root}/boom.bin"
    assert n["reason"] == "worker-crash"
    assert "signal 11" in n["detail"]
    t = r.target
    assert t["status"] == "ok"
    assert t["files_scanned"] == 8
    assert t["files_not_scanned"] == 1
    assert {d["rule"] for d in r.detections()} == {
        "EICAR_Test_File", "Rescue_Test_Marker_File"}


def test_several_crashes_one_worker(scan, testhooks_bin, tmp_path):
    """The replacement workers crash too; every file still gets an answer."""
    root = tmp_path / "crashes"
    for i in range(5):
        write(root / f"boom{i}", b"SC-TEST-CRASH")
    write(root / "zz-eicar.com", EICAR)
    r = scan("--jobs", "1", root, binary=testhooks_bin, timeout=60)
    assert r.returncode == FOUND, r
    assert len(r.not_scanned("worker-crash")) == 5
    assert len(r.detections()) == 1


def test_production_binary_has_no_hooks(scan, tmp_path):
    root = tmp_path / "nohooks"
    write(root / "boom.bin", b"SC-TEST-CRASH")
    write(root / "hang.bin", b"SC-TEST-HANG")
    r = scan(root, timeout=30)
    assert r.returncode == 0, r
    assert r.not_scanned() == []
    assert r.target["files_scanned"] == 2


@pytest.mark.slow
def test_worker_hang(scan, testhooks_bin, tmp_path, unchanged):
    root = _tree(tmp_path / "hang", "stuck.bin", b"SC-TEST-HANG forever")
    unchanged(root)
    # --timeout 1: the engine gives up on the worker after 2*1+10 = 12 s.
    r = scan("--timeout", "1", "--jobs", "2", root, binary=testhooks_bin,
             timeout=60)
    assert r.returncode == FOUND, r
    (n,) = r.not_scanned()
    assert n["path"] == f"{root}/stuck.bin"
    assert n["reason"] == "worker-hang"
    assert "12 s" in n["detail"]
    assert r.target["files_scanned"] == 8
    assert {d["rule"] for d in r.detections()} == {
        "EICAR_Test_File", "Rescue_Test_Marker_File"}
    assert 11 <= r.report["seconds"] < 40
