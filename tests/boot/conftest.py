"""Fixtures of the boot tests; the QEMU harness itself is bootvm.py."""

import json
import os
import re
import shutil
import subprocess

import pytest

from bootvm import DISKS, ISO, LOGS, REPO, SUMMARIES, TIMINGS, Machine


@pytest.fixture(scope="session")
def iso():
    if not os.path.isfile(ISO):
        pytest.fail(f"'{ISO}' is missing: build it first (make, or image/mkiso.sh out/rescue.iso out/kernel out/initrd.img)")
    return ISO


@pytest.fixture(scope="session")
def disks():
    manifest = os.path.join(DISKS, "expected.json")
    if not os.path.isfile(manifest):
        subprocess.run([os.path.join(REPO, "tests", "boot", "mkdisks.sh"), DISKS], check=True)
    with open(manifest, encoding="utf-8") as f:
        expected = json.load(f)
    return DISKS, expected


@pytest.fixture(scope="session")
def coverage_disks():
    """(directory, manifest) of the coverage disks; rebuilt when missing or
    older than mkdisks_coverage.py."""
    manifest = os.path.join(DISKS, "cov-expected.json")
    script = os.path.join(REPO, "tests", "boot", "mkdisks_coverage.py")
    if not os.path.isfile(manifest) or os.path.getmtime(manifest) < os.path.getmtime(script):
        subprocess.run(["/usr/bin/python3", script, DISKS], check=True, timeout=300)
    with open(manifest, encoding="utf-8") as f:
        return DISKS, json.load(f)


@pytest.fixture(scope="session")
def quarantine_disks():
    """(directory, manifest) of the power-cut disk of test_quarantine.py;
    rebuilt when missing or older than mkdisks_quarantine.py."""
    manifest = os.path.join(DISKS, "quar-expected.json")
    script = os.path.join(REPO, "tests", "boot", "mkdisks_quarantine.py")
    if not os.path.isfile(manifest) or os.path.getmtime(manifest) < os.path.getmtime(script):
        subprocess.run(["/usr/bin/python3", script, DISKS], check=True, timeout=300)
    with open(manifest, encoding="utf-8") as f:
        return DISKS, json.load(f)


@pytest.fixture
def machine(request, tmp_path, iso, disks):
    """Returns make(mode, with_disks=True) -> started Machine."""
    os.makedirs(LOGS, exist_ok=True)
    machines = []
    disk_dir, _ = disks

    def make(mode, with_disks=True):
        suspect = data = None
        if with_disks:
            suspect = str(tmp_path / "suspect.img")
            data = str(tmp_path / "data.img")
            shutil.copyfile(os.path.join(disk_dir, "suspect.img"), suspect)
            shutil.copyfile(os.path.join(disk_dir, "data.img"), data)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
        log = os.path.join(LOGS, f"{name}.log")
        m = Machine(mode, str(tmp_path), log, suspect, data)
        machines.append(m)
        return m.start()

    yield make
    for m in machines:
        m.stop()


def pytest_terminal_summary(terminalreporter):
    for title, lines in SUMMARIES:
        terminalreporter.section(title)
        for line in lines:
            terminalreporter.write_line(line)
    if not TIMINGS:
        return
    terminalreporter.section("boot timings (TCG)")
    for name, marks in TIMINGS:
        parts = ", ".join(f"{k} {v:.1f} s" for k, v in marks.items())
        terminalreporter.write_line(f"{name}: {parts}")
