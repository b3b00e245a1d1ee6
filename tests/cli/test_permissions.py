"""Unreadable files and directories, as an unprivileged user. CI runs as
root, which reads everything, so rescue runs as nobody (setpriv) on a tree
in a directory nobody can enter, where one file and one directory are
mode 000."""
import json
import os
import shutil
import tempfile

import pytest

from conftest import EICAR, FOUND, MARK_FILE, run, write

NOBODY = 65534


@pytest.fixture
def public_dir():
    """A directory outside pytest's 0700 tmp tree, enterable by nobody."""
    d = tempfile.mkdtemp(prefix="rescue-cli-perm-")
    os.chmod(d, 0o755)
    yield d
    for dirpath, dirnames, _ in os.walk(d):
        for n in dirnames:
            os.chmod(os.path.join(dirpath, n), 0o755)
    shutil.rmtree(d)


def as_nobody(binary, *args, timeout=60):
    if os.geteuid() != 0:
        pytest.skip("needs root to switch to nobody")
    if not shutil.which("setpriv"):
        pytest.skip("setpriv not installed")
    return run(binary, *args, timeout=timeout,
               prefix=["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                       "--clear-groups"])


def test_unreadable_file_and_dir(rescue_bin, public_dir, unchanged):
    root = os.path.join(public_dir, "tree")
    write(os.path.join(root, "ok", "eicar.com"), EICAR)
    write(os.path.join(root, "secret.bin"), MARK_FILE)
    write(os.path.join(root, "closed", "inside.bin"), MARK_FILE)
    os.chmod(os.path.join(root, "secret.bin"), 0o000)
    os.chmod(os.path.join(root, "closed"), 0o000)
    unchanged(root)
    p = as_nobody(rescue_bin, "scan", "-q", "--json", "-", root)
    assert p.returncode == FOUND, p
    rep = json.loads(p.stdout)
    (t,) = rep["targets"]
    reasons = {n["path"]: n["reason"] for n in t["not_scanned"]}
    assert reasons == {f"{root}/secret.bin": "permission",
                       f"{root}/closed": "permission"}
    assert t["not_scanned_by_reason"]["permission"]["files"] == 2
    assert t["status"] == "ok"
    assert [d["path"] for d in rep["detections"]] == [f"{root}/ok/eicar.com"]


def test_unreadable_target(rescue_bin, public_dir):
    root = os.path.join(public_dir, "closed")
    write(os.path.join(root, "x"), MARK_FILE)
    os.chmod(root, 0o000)
    p = as_nobody(rescue_bin, "scan", "-q", "--json", "-", root)
    assert p.returncode == 2, p
    rep = json.loads(p.stdout)
    assert rep["targets"][0]["status"] == "error"
    assert "Permission denied" in rep["targets"][0]["error"]
    assert b"Permission denied" in p.stderr
