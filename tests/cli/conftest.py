"""Fixtures for the CLI tests: the real out/rescue binaries on real trees.

The binaries are found from the repository root (two levels above this
file); build them first with `make DEVELOPER=1 rescue`. Test samples (the
EICAR string, the project's marker strings) are assembled at run time so
that no file of the repository holds them whole.
"""
import hashlib
import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Two halves each, joined at run time.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-" + b"STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f"
MARK_FILE = b"RESCUE-TEST-" + b"MARKER-FILE"
MARK_MBR = b"RESCUE-TEST-" + b"MARKER-MBR"
MARK_GAP = b"RESCUE-TEST-" + b"MARKER-GAP"

# Exit codes of rescue.
CLEAN, FOUND, ERROR = 0, 1, 2

# Every run gets a deadline: a hang is a failure, never a stuck CI job.
DEFAULT_TIMEOUT = 60


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "slow: takes more than a few seconds (worker-hang detection)")


def _binary(name):
    path = REPO / "out" / name
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(f"{path} is missing or not executable: "
                    "run `make DEVELOPER=1 rescue` first", pytrace=False)
    return path


@pytest.fixture(scope="session")
def rescue_bin():
    """out/rescue, the static production binary."""
    return _binary("rescue")


@pytest.fixture(scope="session")
def testhooks_bin():
    """out/rescue-testhooks: files starting SC-TEST-CRASH / SC-TEST-HANG
    crash or hang the worker that scans them."""
    return _binary("rescue-testhooks")


class Result:
    """A finished run: exit code, raw and decoded output, parsed report."""

    def __init__(self, proc, report):
        self.returncode = proc.returncode
        self.stdout_bytes = proc.stdout
        self.stdout = proc.stdout.decode("utf-8", "replace")
        self.stderr = proc.stderr.decode("utf-8", "replace")
        self.report = report

    def __repr__(self):
        return (f"<rc={self.returncode} stderr={self.stderr[-2000:]!r} "
                f"stdout={self.stdout[-2000:]!r}>")

    @property
    def target(self):
        """The only target of the report."""
        targets = self.report["targets"]
        assert len(targets) == 1, targets
        return targets[0]

    def detections(self, rule=None):
        return [d for d in self.report["detections"]
                if rule is None or d["rule"] == rule]

    def not_scanned(self, reason=None):
        return [n for t in self.report["targets"] for n in t["not_scanned"]
                if reason is None or n["reason"] == reason]


def run(binary, *args, timeout=DEFAULT_TIMEOUT, prefix=(), cwd=None):
    """Runs binary with args (str, bytes or Path); returns CompletedProcess.
    The tests load their rules from source throughout: `scan` with --rules
    gets --unsigned-rules, the development switch that allows that
    (test_unsigned_rules_need_the_switch checks the switch itself)."""
    args = [os.fspath(a) for a in args]
    if args and args[0] == "scan" and ("--rules" in args or "-r" in args) \
            and "--unsigned-rules" not in args and "--no-switch" not in args:
        args.insert(1, "--unsigned-rules")
    args = [a for a in args if a != "--no-switch"]
    cmd = [*prefix, os.fspath(binary), *args]
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, timeout=timeout, cwd=cwd)


@pytest.fixture
def scan(rescue_bin, tmp_path):
    """scan(*args, binary=None, timeout=...) runs `rescue scan --json FILE
    ARGS` and returns a Result with the parsed JSON report."""
    counter = [0]

    def _scan(*args, binary=None, timeout=DEFAULT_TIMEOUT):
        counter[0] += 1
        report_path = tmp_path / f"report-{counter[0]}.json"
        proc = run(binary or rescue_bin, "scan", "--json", report_path, *args,
                   timeout=timeout)
        report = None
        if report_path.exists():
            report = json.loads(report_path.read_text(encoding="utf-8"))
        return Result(proc, report)

    return _scan


def tree_digest(root):
    """{relative path bytes: (type, sha256 or link target)} for a tree,
    without following symlinks or opening special files."""
    root = os.fsencode(root)
    out = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        for name in dirnames + filenames:
            full = os.path.join(dirpath, name)
            rel = os.path.relpath(full, root)
            st = os.lstat(full)
            if stat.S_ISLNK(st.st_mode):
                out[rel] = ("link", os.readlink(full))
            elif stat.S_ISREG(st.st_mode):
                # Mode 000 files too: the tests run as root.
                with open(full, "rb") as f:
                    out[rel] = ("file", hashlib.sha256(f.read()).hexdigest(),
                                st.st_size, stat.S_IMODE(st.st_mode))
            elif stat.S_ISDIR(st.st_mode):
                out[rel] = ("dir",)
            else:
                out[rel] = ("special", stat.S_IFMT(st.st_mode))
    return out


@pytest.fixture
def unchanged():
    """unchanged(path) records a tree; at teardown the tree must be
    byte-identical: the scanner never writes to what it scans."""
    recorded = []

    def _record(path):
        recorded.append((path, tree_digest(path)))
        return path

    yield _record
    for path, before in recorded:
        assert tree_digest(path) == before, f"scan modified {path}"


def write(path, data=b""):
    """Writes bytes (or str) to path, creating parent directories."""
    path = Path(os.fsdecode(path)) if isinstance(path, bytes) else Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path
