"""Command line: help, version, bad usage. Exit 2 always comes with a
message on stderr."""
import re

import pytest

from conftest import CLEAN, ERROR, run


def test_version(rescue_bin):
    p = run(rescue_bin, "--version")
    assert p.returncode == CLEAN
    assert re.fullmatch(rb"rescue \d+\.\d+\.\d+ \(libyara \d+\.\d+\.\d+\)\n",
                        p.stdout), p.stdout
    assert run(rescue_bin, "version").stdout == p.stdout


def test_help_scan(rescue_bin):
    p = run(rescue_bin, "help", "scan")
    assert p.returncode == CLEAN
    out = p.stdout.decode()
    assert out.startswith("usage: rescue scan [OPTIONS] PATH...")
    for opt in ("--rules", "--no-builtin", "--disk", "--jobs", "--max-size",
                "--timeout", "--exclude", "--json", "--report", "--quiet"):
        assert opt in out
    assert run(rescue_bin, "scan", "--help").stdout == p.stdout


def test_help_lists_commands(rescue_bin):
    p = run(rescue_bin, "help")
    assert p.returncode == CLEAN
    assert b"scan" in p.stdout and b"version" in p.stdout


def test_help_unknown_command(rescue_bin):
    p = run(rescue_bin, "help", "nosuch")
    assert p.returncode == ERROR
    assert b"unknown command 'nosuch'" in p.stderr


def test_unknown_command(rescue_bin):
    p = run(rescue_bin, "nosuch")
    assert p.returncode == ERROR
    assert b"unknown command 'nosuch'" in p.stderr


def test_no_command(rescue_bin):
    p = run(rescue_bin)
    assert p.returncode == ERROR
    assert b"usage: rescue" in p.stderr


@pytest.mark.parametrize("args, message", [
    (["--no-such-option", "."], b"unrecognized option"),
    (["--jobs", "0", "."], b"invalid --jobs '0'"),
    (["--jobs", "65", "."], b"invalid --jobs '65'"),
    (["--jobs", "two", "."], b"invalid --jobs 'two'"),
    (["--timeout", "0", "."], b"invalid --timeout '0'"),
    (["--timeout", "-1", "."], b"invalid --timeout '-1'"),
    (["--max-size", "12Q", "."], b"invalid --max-size '12Q'"),
    (["--max-size", "-5", "."], b"invalid --max-size '-5'"),
    ([], b"nothing to scan"),
    (["--rules"], b"requires an argument"),
], ids=["unknown-option", "jobs-0", "jobs-65", "jobs-word", "timeout-0",
        "timeout-negative", "max-size-suffix", "max-size-negative",
        "nothing-to-scan", "missing-argument"])
def test_bad_usage(rescue_bin, tmp_path, args, message):
    p = run(rescue_bin, "scan", *args, cwd=tmp_path)
    assert p.returncode == ERROR, p
    assert message in p.stderr, p.stderr
    assert p.stdout == b""


def test_max_size_suffixes(rescue_bin, tmp_path):
    import json
    for arg, want in (("10", 10), ("4k", 4096), ("2M", 2 << 20),
                      ("1G", 1 << 30), ("3KiB", 3072), ("5MB", 5 << 20)):
        p = run(rescue_bin, "scan", "-q", "--max-size", arg, "--json", "-",
                tmp_path)
        assert p.returncode == CLEAN, (arg, p)
        assert json.loads(p.stdout)["options"]["max_size"] == want, arg
