"""rescue defs: keygen, build and verify of signed definitions bundles.

The real out/rescue on real files. Bundles are built from
rescue/definitions with the development key that the build trusts
(out/keys/development.key, "development"); bundles for other keys come from
`rescue defs keygen`. A bundle that is validly signed but wrong in one header
field is made by patching the field and re-signing the first n - 64 bytes
with `openssl pkeyutl -sign -rawin`, as a signer would.

Every refusal must exit 2 with one line naming the file and the reason, and
leave the file exactly as it was.
"""
import hashlib
import os
import re
import shutil
import struct
import subprocess

import pytest

from conftest import CLEAN, ERROR, REPO, run, write

DEV_KEY = REPO / "out" / "keys" / "development.key"
DEV_PUB = REPO / "out" / "keys" / "development.pub"
DEFINITIONS = REPO / "rescue" / "definitions"
HEADER, SIG = 160, 64
YARA_VERSION = "4.2.3"

# Header offsets (little-endian), from the format description.
O_FORMAT, O_SET, O_VERSION, O_YARA, O_SOURCES, O_KEYID = 8, 16, 48, 72, 88, 120

EXTRA_RULE = r'''
import "pe"
import "math"
import "hash"
import "elf"

rule Extra_Modules_And_Externals
{
    meta:
        description = "uses every external and four modules"
    strings:
        $s = "definitely-not-malware-xyz"
    condition:
        $s and
        (extension == "exe" or filename matches /setup/ or
         filepath contains "Windows" or owner == "root" or
         filetype == "MBR") and
        (pe.is_pe or elf.type == elf.ET_EXEC or
         math.entropy(0, filesize) > 7.5 or
         hash.sha256(0, filesize) == "00")
}
'''


def key_id(pub_hex):
    return hashlib.sha256(bytes.fromhex(pub_hex)).hexdigest()[:16]


def pub_hex(path):
    lines = [l.strip() for l in path.read_text().splitlines()
             if l.strip() and not l.startswith("#")]
    return lines[0]


def snapshot(path):
    st = os.stat(path)
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest(), st.st_size, st.st_mtime_ns


def resign(path, key):
    """Re-signs the bundle at path in place with the private key file."""
    data = path.read_bytes()
    body = path.with_name(path.name + ".body")
    sig = path.with_name(path.name + ".sig")
    body.write_bytes(data[:-SIG])
    subprocess.run(["openssl", "pkeyutl", "-sign", "-rawin", "-inkey",
                    os.fspath(key), "-in", os.fspath(body), "-out",
                    os.fspath(sig)], check=True, capture_output=True)
    signature = sig.read_bytes()
    assert len(signature) == SIG
    path.write_bytes(data[:-SIG] + signature)
    body.unlink()
    sig.unlink()


def patched(src, dst, offset, new, key=None):
    """A copy of src with bytes at offset replaced; re-signed with key."""
    data = bytearray(src.read_bytes())
    data[offset:offset + len(new)] = new
    dst.write_bytes(bytes(data))
    if key:
        resign(dst, key)
    return dst


@pytest.fixture(scope="session")
def dev_key():
    if not DEV_KEY.is_file() or not DEV_PUB.is_file():
        pytest.fail(f"{DEV_KEY} is missing: run `make DEVELOPER=1 rescue`",
                    pytrace=False)
    return DEV_KEY


@pytest.fixture(scope="session")
def dev_key_id(dev_key):
    return key_id(pub_hex(DEV_PUB))


@pytest.fixture
def defs(rescue_bin):
    """defs(*args) runs `rescue defs ARGS`."""
    def _defs(*args, cwd=None):
        proc = run(rescue_bin, "defs", *args, cwd=cwd)
        proc.out = proc.stdout.decode("utf-8", "replace")
        proc.err = proc.stderr.decode("utf-8", "replace")
        return proc
    return _defs


def build(defs, out, *rules, key=DEV_KEY, set_="core", version="1",
          extra=()):
    return defs("build", *(rules or [DEFINITIONS]), "--set", set_,
                "--version", version, "--key", key, "-o", out, *extra)


@pytest.fixture(scope="session")
def core_bundle(rescue_bin, dev_key, tmp_path_factory):
    """A good bundle of rescue/definitions (set core, version 1) and its
    rule count, built once; tests copy it before changing it."""
    out = tmp_path_factory.mktemp("core") / "core.bundle"
    proc = run(rescue_bin, "defs", "build", DEFINITIONS, "--set", "core",
               "--version", "1", "--key", dev_key, "-o", out)
    assert proc.returncode == CLEAN, proc.stderr
    m = re.search(rb", (\d+) rules, ", proc.stdout)
    assert m, proc.stdout
    return out, int(m.group(1))


@pytest.fixture
def bundle(core_bundle, tmp_path):
    path = tmp_path / "core.bundle"
    shutil.copyfile(core_bundle[0], path)
    return path


def assert_refused(defs, path, *words):
    """verify refuses path (exit 2), one line naming it with every word,
    and leaves it unchanged."""
    before = snapshot(path)
    proc = defs("verify", path)
    assert proc.returncode == ERROR, proc.out + proc.err
    assert proc.out == ""
    lines = proc.err.splitlines()
    assert len(lines) == 1, proc.err
    assert lines[0].startswith(f"error: '{path}' refused: "), lines[0]
    for w in words:
        assert w in lines[0], lines[0]
    assert snapshot(path) == before, "verify modified the bundle"
    return lines[0]


def assert_nothing_written(out):
    assert not out.exists(), f"{out} was written"
    assert not out.with_name(out.name + ".tmp").exists(), "temp file left"


# ---- keygen ----

def test_keygen_writes_private_and_public(defs, tmp_path):
    proc = defs("keygen", "-o", tmp_path / "k")
    assert proc.returncode == CLEAN, proc.err
    key, pub = tmp_path / "k.key", tmp_path / "k.pub"
    assert (os.stat(key).st_mode & 0o777) == 0o600
    assert key.read_text().startswith("-----BEGIN PRIVATE KEY-----\n")
    hexkey = pub_hex(pub)
    assert re.fullmatch(r"[0-9a-f]{64}", hexkey)
    kid = key_id(hexkey)
    assert pub.read_text().splitlines()[0] == \
        f"# rescue definitions key {kid} (Ed25519)"
    assert kid in proc.out
    # The .pub is the public half of the .key.
    der = subprocess.run(["openssl", "pkey", "-in", key, "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    assert der[-32:].hex() == hexkey
    # Two keys are never the same.
    assert defs("keygen", "-o", tmp_path / "k2").returncode == CLEAN
    assert pub_hex(tmp_path / "k2.pub") != hexkey


def test_keygen_refuses_to_overwrite(defs, tmp_path):
    assert defs("keygen", "-o", tmp_path / "k").returncode == CLEAN
    before = {p.name: snapshot(p) for p in tmp_path.iterdir()}
    proc = defs("keygen", "-o", tmp_path / "k")
    assert proc.returncode == ERROR
    assert "k.key" in proc.err and "exists" in proc.err
    assert {p.name: snapshot(p) for p in tmp_path.iterdir()} == before


def test_keygen_leaves_no_key_without_its_pub(defs, tmp_path):
    """An existing PREFIX.pub (say, a committed release key) must not leave
    a fresh PREFIX.key behind whose public half was never written."""
    write(tmp_path / "release.pub", "# someone's key\n" + "ab" * 32 + "\n")
    proc = defs("keygen", "-o", tmp_path / "release")
    assert proc.returncode == ERROR
    assert "release.pub" in proc.err
    assert (tmp_path / "release.pub").read_text().startswith("# someone's")
    assert not (tmp_path / "release.key").exists(), \
        "keygen left release.key without a matching release.pub"


# ---- build ----

def test_build_definitions(defs, tmp_path, dev_key_id, core_bundle):
    out = tmp_path / "core.bundle"
    proc = build(defs, out)
    assert proc.returncode == CLEAN, proc.err
    n = core_bundle[1]
    assert n >= 1
    size = out.stat().st_size
    assert proc.out == f"{out}: set core version 1, {n} rules, {size} bytes\n"
    data = out.read_bytes()
    assert data[:8] == b"RSCUDEFS"
    assert data[O_KEYID:O_KEYID + 8].hex() == dev_key_id
    assert struct.unpack_from("<Q", data, 128)[0] == size - HEADER - SIG
    assert_nothing_written(out.with_name("none"))


def test_build_with_modules_and_externals(defs, tmp_path, core_bundle):
    src = tmp_path / "rules"
    shutil.copytree(DEFINITIONS, src)
    write(src / "extra.yar", EXTRA_RULE)
    out = tmp_path / "extra.bundle"
    proc = build(defs, out, src, set_="community", version="3")
    assert proc.returncode == CLEAN, proc.err
    assert f", {core_bundle[1] + 1} rules, " in proc.out
    ok = defs("verify", out)
    assert ok.returncode == CLEAN, ok.err
    assert "set community version 3" in ok.out


def test_build_broken_rule_fails_with_file_and_line(defs, tmp_path):
    src = tmp_path / "rules"
    write(src / "good.yar", 'rule good { strings: $a = "abcdef" '
                            'condition: $a }\n')
    write(src / "broken.yar", 'rule fine { condition: true }\n'
                              'rule broken {\n'
                              '    strings: $a = "abcdef"\n'
                              '    condition: $a ==== 1\n'
                              '}\n')
    out = tmp_path / "b.bundle"
    proc = build(defs, out, src)
    assert proc.returncode == ERROR
    assert re.search(r"broken\.yar:4: syntax error", proc.err), proc.err
    assert "nothing written" in proc.err
    assert_nothing_written(out)


def test_failed_build_keeps_the_old_bundle(defs, bundle, tmp_path):
    before = snapshot(bundle)
    write(tmp_path / "broken.yar", "rule broken { condition: nope }\n")
    assert build(defs, bundle, tmp_path / "broken.yar").returncode == ERROR
    assert snapshot(bundle) == before
    assert not bundle.with_name(bundle.name + ".tmp").exists()


@pytest.mark.parametrize("string", [r"{ 00 ?? }", r"/a.*b/"])
def test_build_slow_rule_needs_allow_slow(defs, tmp_path, string):
    src = write(tmp_path / "slow.yar",
                "rule fast { strings: $f = \"abcdefgh\" condition: $f }\n"
                f"rule slow {{\n  strings: $a = {string}\n"
                "  condition: $a\n}\n")
    out = tmp_path / "slow.bundle"
    proc = build(defs, out, src)
    assert proc.returncode == ERROR
    assert re.search(r"slow\.yar:3: .*may slow down scanning", proc.err), \
        proc.err
    assert "--allow-slow" in proc.err
    assert_nothing_written(out)
    proc = build(defs, out, src, extra=["--allow-slow"])
    assert proc.returncode == CLEAN, proc.err
    # The slow rule is still listed.
    assert re.search(r"slow\.yar:3: .*may slow down scanning", proc.err), \
        proc.err
    assert ", 2 rules, " in proc.out
    assert defs("verify", out).returncode == CLEAN


def test_build_refuses_non_ed25519_key(defs, tmp_path):
    key = tmp_path / "rsa.key"
    subprocess.run(["openssl", "genpkey", "-algorithm", "rsa", "-pkeyopt",
                    "rsa_keygen_bits:1024", "-out", key], check=True,
                   capture_output=True)
    out = tmp_path / "rsa.bundle"
    proc = build(defs, out, key=key)
    assert proc.returncode == ERROR
    assert "Ed25519" in proc.err
    assert len(proc.err.splitlines()) == 1, proc.err
    assert_nothing_written(out)
    # A public key is no signing key either.
    proc = build(defs, out, key=DEV_PUB)
    assert proc.returncode == ERROR
    assert "Ed25519" in proc.err
    assert_nothing_written(out)


@pytest.mark.parametrize("args", [
    ["--set", "Core"], ["--set", ""], ["--set", "a" * 32], ["--set", "x/y"],
    ["--version", "0"], ["--version", "-1"], ["--version", "1x"],
    ["--version", ""], ["--version", "18446744073709551616"],
])
def test_build_bad_arguments(defs, tmp_path, args):
    out = tmp_path / "x.bundle"
    opts = {"--set": "core", "--version": "1"}
    opts[args[0]] = args[1]
    proc = defs("build", DEFINITIONS, "--set", opts["--set"], "--version",
                opts["--version"], "--key", DEV_KEY, "-o", out)
    assert proc.returncode == ERROR
    assert_nothing_written(out)


@pytest.mark.parametrize("version", ["4611686018427387905",
                                     "18446744073709551615"])
def test_build_never_signs_an_unloadable_version(defs, tmp_path, version):
    """A version build accepts must be one verify accepts: else the signed
    bundle is refused everywhere ('bad version number')."""
    out = tmp_path / "v.bundle"
    proc = build(defs, out, version=version)
    if proc.returncode == ERROR:
        assert_nothing_written(out)
        return
    assert proc.returncode == CLEAN
    ok = defs("verify", out)
    assert ok.returncode == CLEAN, \
        f"build signed version {version}, verify refuses it: {ok.err}"


# ---- verify ----

def test_verify_ok(defs, bundle, dev_key_id, core_bundle):
    before = snapshot(bundle)
    proc = defs("verify", bundle)
    assert proc.returncode == CLEAN, proc.err
    assert proc.err == ""
    line = re.escape(str(bundle)) + (
        r": OK: set core version 1, %d rules, "
        r"made \d{4}-\d\d-\d\d \d\d:\d\d UTC \(0 days ago\), "
        r"signed by development \(key %s\), YARA %s\n"
        % (core_bundle[1], dev_key_id, re.escape(YARA_VERSION)))
    assert re.fullmatch(line, proc.out), proc.out
    assert snapshot(bundle) == before


def test_verify_several(defs, bundle, tmp_path):
    bad = tmp_path / "bad.bundle"
    bad.write_bytes(b"not a bundle")
    proc = defs("verify", bundle, bad, bundle)
    assert proc.returncode == ERROR
    assert proc.out.count(": OK: ") == 2
    assert proc.err.splitlines() == [
        f"error: '{bad}' refused: not a definitions bundle (bad magic)"]


def test_verify_unsigned(defs, bundle):
    data = bundle.read_bytes()
    bundle.write_bytes(data[:-SIG] + bytes(SIG))
    assert_refused(defs, bundle, "unsigned")


@pytest.mark.parametrize("region,where", [
    ("header: set name", lambda n: O_SET),
    ("header: version", lambda n: O_VERSION),
    ("header: sources hash", lambda n: O_SOURCES + 7),
    ("rules: first byte", lambda n: HEADER),
    ("rules: middle", lambda n: (HEADER + n - SIG) // 2),
    ("rules: last byte", lambda n: n - SIG - 1),
    ("signature: first byte", lambda n: n - SIG),
    ("signature: last byte", lambda n: n - 1),
])
def test_verify_one_byte_changed(defs, bundle, region, where):
    data = bytearray(bundle.read_bytes())
    data[where(len(data))] ^= 0x02
    bundle.write_bytes(bytes(data))
    assert_refused(defs, bundle, "bad signature")


def test_verify_key_id_changed(defs, bundle):
    data = bytearray(bundle.read_bytes())
    data[O_KEYID] ^= 0x01
    bundle.write_bytes(bytes(data))
    assert_refused(defs, bundle, "unknown key")


def test_verify_unknown_key(defs, tmp_path):
    assert defs("keygen", "-o", tmp_path / "stranger").returncode == CLEAN
    out = tmp_path / "stranger.bundle"
    proc = build(defs, out, key=tmp_path / "stranger.key")
    assert proc.returncode == CLEAN, proc.err
    assert_refused(defs, out, "unknown key")


@pytest.mark.parametrize("cut", ["empty", 7, 8, 100, HEADER, HEADER + SIG - 1,
                                 "no signature", "one byte short"])
def test_verify_truncated(defs, bundle, cut):
    data = bundle.read_bytes()
    n = {"empty": 0, "no signature": len(data) - SIG,
         "one byte short": len(data) - 1}.get(cut, cut)
    bundle.write_bytes(data[:n])
    line = assert_refused(defs, bundle)
    assert ("bad magic" if n < 8 else "truncated") in line


def test_verify_trailing_bytes(defs, bundle):
    with open(bundle, "ab") as f:
        f.write(b"\0" * 10)
    assert_refused(defs, bundle, "bad length")


def test_verify_oversized(defs, tmp_path):
    big = tmp_path / "big.bundle"
    with open(big, "wb") as f:
        f.write(b"RSCUDEFS" + struct.pack("<II", 1, HEADER))
        f.truncate(300 << 20)  # sparse
    assert_refused(defs, big, "oversized")


def test_verify_missing_file(defs, tmp_path):
    proc = defs("verify", tmp_path / "none.bundle")
    assert proc.returncode == ERROR
    assert proc.err.splitlines() == [
        f"error: '{tmp_path / 'none.bundle'}' refused: "
        "No such file or directory"]


@pytest.mark.parametrize("fmt", [0, 2])
def test_verify_format_version(defs, bundle, tmp_path, fmt):
    """Refused for its format even when validly signed."""
    out = patched(bundle, tmp_path / "fmt.bundle", O_FORMAT,
                  struct.pack("<I", fmt), key=DEV_KEY)
    assert_refused(defs, out, "format version")


def test_verify_bad_set_name_even_if_signed(defs, bundle, tmp_path):
    out = patched(bundle, tmp_path / "set.bundle", O_SET, b"Core",
                  key=DEV_KEY)
    assert_refused(defs, out, "set name")


def test_verify_resigned_is_accepted(defs, bundle, tmp_path):
    """The re-signing the tests rely on makes bundles verify accepts."""
    out = patched(bundle, tmp_path / "v9.bundle", O_VERSION,
                  struct.pack("<Q", 9), key=DEV_KEY)
    proc = defs("verify", out)
    assert proc.returncode == CLEAN, proc.err
    assert "set core version 9," in proc.out


@pytest.mark.parametrize("other", ["4.2.4", "4.3.0", "4.2.30"])
def test_verify_other_yara_version(defs, bundle, tmp_path, other):
    field = other.encode().ljust(16, b"\0")
    unsigned = patched(bundle, tmp_path / "p.bundle", O_YARA, field)
    assert_refused(defs, unsigned, "bad signature")
    out = patched(bundle, tmp_path / "y.bundle", O_YARA, field, key=DEV_KEY)
    assert_refused(defs, out, "different YARA version")


def test_verify_directory(defs, tmp_path):
    """A directory is not a bundle; saying 'Input/output error' would send a
    technician looking for a failing disk."""
    d = tmp_path / "dir.bundle"
    d.mkdir()
    proc = defs("verify", d)
    assert proc.returncode == ERROR
    assert len(proc.err.splitlines()) == 1
    assert proc.err.startswith(f"error: '{d}' refused: ")
    assert "Input/output error" not in proc.err, proc.err
