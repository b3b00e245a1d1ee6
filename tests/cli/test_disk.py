"""--disk on image files partitioned with sfdisk: the MBR, the gap before
the first partition and the partition's boot sectors are scanned as areas;
the image is never written."""
import hashlib
import os
import shutil
import subprocess

import pytest

from conftest import CLEAN, ERROR, FOUND, MARK_FILE, MARK_GAP, MARK_MBR, write

MIB = 1 << 20


def make_image(path, size=8 * MIB, marks=()):
    """An image with one partition at sector 2048; marks are (offset, bytes)."""
    if not shutil.which("sfdisk"):
        pytest.skip("sfdisk not installed")
    with open(path, "wb") as f:
        f.truncate(size)
    subprocess.run(["sfdisk", "--quiet", "--no-reread", "--no-tell-kernel",
                    os.fspath(path)], input=b"label: dos\nstart=2048, type=83\n",
                   check=True, stdout=subprocess.DEVNULL, timeout=30)
    with open(path, "r+b") as f:
        mbr = f.read(512)
        assert mbr[510:512] == b"\x55\xaa"
        assert int.from_bytes(mbr[446 + 8:446 + 12], "little") == 2048
        for off, data in marks:
            f.seek(off)
            f.write(data)
    return path


def sha(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def test_markers_in_mbr_and_gap(scan, tmp_path):
    img = make_image(tmp_path / "disk.img",
                     marks=[(100, MARK_MBR), (300 * 512 + 7, MARK_GAP),
                            # Inside the partition: not part of the boot area.
                            (3 * MIB, MARK_GAP)])
    before = sha(img)
    r = scan("--disk", img)
    assert r.returncode == FOUND, r
    t = r.target
    assert t["kind"] == "disk" and t["status"] == "ok"
    # mbr, gap@1+2047 and p1:vbr (8 KiB: no filesystem in the partition).
    assert t["files_scanned"] == 3
    assert t["bytes_scanned"] == 2048 * 512 + 8192
    assert [a["name"] for a in t["layout"]["areas"]] == ["mbr", "gap@1+2047", "p1:vbr"]
    by_area = {d["area"]: d for d in r.detections()}
    assert set(by_area) == {"mbr", "gap@1+2047"}
    mbr = by_area["mbr"]
    assert mbr["rule"] == "Rescue_Test_Marker_MBR"
    assert mbr["filetype"] == "MBR"
    assert mbr["size"] == 512
    assert mbr["path"] == str(img)
    assert mbr["strings"][0]["offset"] == 100
    with open(img, "rb") as f:
        assert mbr["sha256"] == hashlib.sha256(f.read(512)).hexdigest()
    gap = by_area["gap@1+2047"]
    assert gap["rule"] == "Rescue_Test_Marker_Gap"
    assert gap["filetype"] == "GAP"
    assert gap["size"] == 2047 * 512
    assert gap["strings"][0]["offset"] == 299 * 512 + 7
    assert f"{img} [mbr]: builtin:Rescue_Test_Marker_MBR FOUND" in r.stdout
    assert sha(img) == before


def test_clean_disk(scan, tmp_path):
    img = make_image(tmp_path / "clean.img")
    r = scan("--disk", img)
    assert r.returncode == CLEAN, r
    assert r.target["files_scanned"] == 3


def test_mbr_marker_past_code_area_ignored(scan, tmp_path):
    """The MBR rule looks at bytes 0..440 only; the file rule never fires
    on boot areas."""
    img = make_image(tmp_path / "d.img", marks=[(2 * 512, MARK_FILE)])
    r = scan("--disk", img)
    assert r.returncode == CLEAN, r


def test_disk_and_directory_together(scan, tmp_path):
    img = make_image(tmp_path / "d.img", marks=[(100, MARK_MBR)])
    tree = tmp_path / "tree"
    write(tree / "m.txt", MARK_FILE)
    r = scan(tree, "--disk", img)
    assert r.returncode == FOUND, r
    assert [t["kind"] for t in r.report["targets"]] == ["directory", "disk"]
    assert {d["rule"] for d in r.detections()} == {
        "Rescue_Test_Marker_File", "Rescue_Test_Marker_MBR"}


def test_not_a_disk(scan, tmp_path):
    tiny = write(tmp_path / "tiny.img", b"short")
    r = scan("--disk", tiny)
    assert r.returncode == ERROR, r
    assert r.target["status"] == "error"
    assert r.target["error"] == "not a disk or disk image"
    assert "not a disk" in r.stderr
