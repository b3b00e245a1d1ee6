"""rescue ui: the real out/rescue in an 80x25 tmux terminal (tests/cli/tui.py).

Every screen is reached and every key of ui/keys.c is pressed where it is
bound and shown to do what its help line says, or to be a documented no-op
(test_every_binding_was_pressed checks the coverage against the table). The
screens end up as text captures in out/test-logs/ui/<screen>.txt (the
README's screenshots); every key and screen of a test is kept in
out/test-logs/ui-run/<test>.log.

Then the stories a user lives through: quarantine and restore with the bytes
and times checked on disk, the allowlist offer, a delete that defaults to
No, cancelling a scan, a resized terminal, vt100 and NO_COLOR, hostile file
names, and the terminal given back on exit and on a crash.

The trees are made in the test's directory and the program runs there with
relative paths (mnt/sda1, disk.img, q, reports), so the captures read as a
user's would.
"""
import hashlib
import json
import os
import re
import shutil
import signal
import time
from pathlib import Path

import pytest

from conftest import CLEAN, EICAR, EICAR_SHA256, MARK_FILE, MARK_MBR, REPO, run, write
from test_disk import make_image
from tui import PROMPT, TITLES, Tui, keys_c_bindings, terminfo_dir

if not shutil.which("tmux"):
    pytest.skip("tmux is not installed", allow_module_level=True)

RUNLOGS = REPO / "out" / "test-logs" / "ui-run"
DEV_KEY = REPO / "out" / "keys" / "development.key"
DEFINITIONS = REPO / "rescue" / "definitions"

# Rows of the 80x25 screen: title, body 1..22, the selected line's full
# name on the last body row (lists), status line, key bar.
LAST_BODY, BAR = 22, 24

ODD_NAME = b"odd\xff\x01name.txt"
LONG_DIRS = ["Program Files", "Vendor Software Corporation", "Component Framework",
             "x64", "plugins"]
EICAR_REL = "mnt/sda1/Users/Public/eicar.com"
# Results, ordered by path (byte order): the MBR of disk.img first.
HITS = ["mbr of disk.img", "deep-sample.dll", "eicar.com", "tool.exe", "name.txt"]
EICAR_MTIME_NS = 1_600_000_000_123_456_789

# (title, key) of every key pressed by the tests of this module.
PRESSED = []


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def terminfo(tmp_path_factory):
    d = terminfo_dir(tmp_path_factory.mktemp("terminfo"))
    if d is None:
        pytest.fail("infocmp/tic (ncurses-bin) are needed to build the test terminfo",
                    pytrace=False)
    return d


@pytest.fixture
def tui(tmp_path, terminfo, request):
    """tui(width, height, term, env) -> a Tui in tmp_path; closed at the end."""
    made = []
    RUNLOGS.mkdir(parents=True, exist_ok=True)
    log = RUNLOGS / (re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name) + ".log")
    log.write_text("")

    def _make(width=80, height=25, term="tmux-256color", env=None):
        e = {"TERMINFO": os.fspath(terminfo)}
        e.update(env or {})
        t = Tui(tmp_path, width, height, term, e, log=log)
        made.append(t)
        return t

    yield _make
    for t in made:
        PRESSED.extend(t.pressed)
        t.close()


@pytest.fixture
def tree(tmp_path):
    """mnt/sda1 with EICAR, three marker samples (one with an invalid-UTF-8
    and control-byte name, one deep in long directory names), clean files
    and a FIFO (not scanned); disk.img with the MBR marker."""
    root = tmp_path / "mnt" / "sda1"
    eicar = write(root / "Users" / "Public" / "eicar.com", EICAR)
    os.chmod(eicar, 0o640)
    os.utime(eicar, ns=(EICAR_MTIME_NS - 10**9, EICAR_MTIME_NS))
    write(root / "Users" / "bob" / "tool.exe", b"MZ\x90\x00 " + MARK_FILE + b" tool")
    write(os.fsencode(root) + b"/" + ODD_NAME, b"odd " + MARK_FILE)
    write(root.joinpath(*LONG_DIRS, "deep-sample.dll"), b"MZ " + MARK_FILE)
    write(root / "docs" / "letter.txt", b"dear bob\n")
    write(root / "docs" / "notes.md", b"# notes\n")
    os.mkfifo(root / "pipe")
    make_image(tmp_path / "disk.img", marks=[(100, MARK_MBR)])
    return root


UI_ARGS = ("--quarantine", "q", "--allowlist", "allow.json", "--reports", "reports",
           "mnt/sda1", "--disk", "disk.img")


def start(t, rescue_bin, *extra, args=UI_ARGS, env=None):
    return t.start(rescue_bin, *extra, *args, env=env)


def scan(t):
    """From the home screen: s, Enter; waits for the results."""
    t.key("s")
    t.wait_title("Scan setup")
    t.key("Enter")
    return t.wait_title("Results", "scan finished", timeout=60)


def rows(t):
    return t.capture()


def select(t, name, total=len(HITS)):
    """Moves the results' cursor to the hit whose name contains name."""
    t.key("Home")
    for i in range(total):
        screen = t.wait_for(f" {i + 1}/{total} ")
        if name in screen.split("\n")[LAST_BODY]:
            return
        t.key("Down")
    pytest.fail(f"no hit {name!r} in the results:\n{t.text()}")


def assert_frame(t, width=80, height=25):
    """The title on the first row, the key bar on the last, nothing wider."""
    r = t.capture()
    assert len(r) == height, f"{len(r)} rows:\n" + "\n".join(r)
    assert r[0].startswith(" rescue ") and r[0].rstrip().endswith("F1/? help"), r[0]
    assert len(r[0].rstrip()) == width - 3, r[0]  # "F1/? help" at COLS - 12
    assert re.match(r"^\S", r[height - 1]) and "  " in r[height - 1], r[height - 1]
    assert all(len(line) <= width for line in r)


def help_lines(t):
    """F1 on the current screen; every line of the help (its first page,
    then PgDn: the last page, which ends with Ctrl-L's line); q back.
    Returns the lines."""
    title = t.title()
    t.key("F1")
    screen = t.wait_title("Help", "Keys of this screen")
    lines = screen.split("\n")[2:LAST_BODY + 1]
    if "redraw the screen (Ctrl-L)" not in screen:
        t.key("NPage")
        screen = t.wait_for("redraw the screen (Ctrl-L)")
        lines += screen.split("\n")[2:LAST_BODY + 1]
    t.key("q")
    t.wait_title(title)
    return [line.strip() for line in lines if line.strip()]


def assert_help_documents(t, screen):
    """The help of the current screen lists every help line keys.c gives
    its bindings, with the key, then the global ones."""
    text = (REPO / "ui" / "keys.c").read_text()
    wanted = re.findall(rf"\{{\s*{screen}\s*,[^\n]*?,\s*A_\w+\s*,\s*(?:NULL|\"[^\"]*\")\s*,\s*\"([^\"]*)\"",
                        text)
    assert wanted, screen
    got = help_lines(t)
    for h in wanted:
        assert any(line.endswith(h[:66].rstrip()) for line in got), \
            f"help of {screen} lacks {h!r}:\n" + "\n".join(got)
    assert any("redraw the screen (Ctrl-L)" in line for line in got)


# --- every screen, every key ---------------------------------------------------


def test_home_keys(tui, tree, rescue_bin):
    t = tui()
    screen = start(t, rescue_bin)
    for want in ("Disks", "Volumes to scan", "Definitions", "local", "5 rules",
                 "Where things go", "quarantine: q", "reports:    reports"):
        assert want in screen, want
    assert_frame(t)
    assert rows(t)[BAR].startswith("s scan  r results  q quit  F1 help")
    t.save("home")
    # r before any scan says so.
    t.press("r", "no scan yet: s starts one")
    # Movement keys, Esc and Left do nothing here: home is a page, the bottom.
    for k in ("Up", "k", "Down", "j", "PPage", "NPage", "Home", "End", "Escape", "Left"):
        t.press_noop(k)
    # q asks before leaving; Enter, n and Esc all keep the screen.
    for no in ("Enter", "n", "Escape"):
        t.press("q", "Leave the rescue screen?", "y = yes    n, Enter, Esc = no")
        t.key(no)
        t.wait_for("Where things go", absent=("Leave the rescue screen?",))
    # s, Enter and keypad Enter open the setup; q, Esc, Left come back.
    for k, back in (("s", "q"), ("Enter", "Escape"), ("KPEnter", "Left")):
        t.key(k)
        t.wait_title("Scan setup")
        t.key(back)
        t.wait_title("Ready")
    assert_help_documents(t, "UI_HOME")
    scan(t)
    t.key("q")
    t.wait_title("Ready", "Last scan: 5 with detections, 2 not scanned (r: results)")
    t.key("r")
    t.wait_title("Results", "5 detected")
    t.key("q")
    t.wait_title("Ready")
    t.press("q", "Leave the rescue screen?")
    t.key("y")
    t.wait_for("UI-EXIT=0", PROMPT.strip())


def test_setup_keys(tui, tree, rescue_bin, tmp_path):
    write(tree / "big.bin", os.urandom(300 * 1024))
    t = tui()
    start(t, rescue_bin)
    t.key("s")
    t.wait_title("Scan setup", "[x] volume  mnt/sda1", "[x] disk    disk.img",
                 "boot areas of the disks (b): scanned",
                 "size cap (m): 256.0 MiB    jobs (j): 0 (one per CPU)")
    t.save("setup")
    # Space toggles the row under the cursor; Down/Up (k) move it (j is
    # the jobs key here, not down).
    t.press("Space", "[ ] volume  mnt/sda1", "[x] disk    disk.img")
    t.press("Space", "[x] volume  mnt/sda1")
    t.key("Down")
    t.press("Space", "[x] volume  mnt/sda1", "[ ] disk    disk.img")
    t.key("k")
    t.press("Space", "[ ] volume  mnt/sda1", "[ ] disk    disk.img")
    t.press("a", "[x] volume  mnt/sda1", "[x] disk    disk.img")
    t.press("n", "[ ] volume  mnt/sda1", "[ ] disk    disk.img")
    t.press("Enter", "nothing chosen to scan")
    t.wait_title("Scan setup")
    t.press("a", "[x] volume  mnt/sda1", "[x] disk    disk.img")
    # End / Home / PgDn / PgUp move over the two rows.
    t.key("End")
    t.press("Space", "[x] volume  mnt/sda1", "[ ] disk    disk.img")
    t.key("Home")
    t.press("Space", "[ ] volume  mnt/sda1", "[ ] disk    disk.img")
    t.key("NPage")
    t.press("Space", "[ ] volume  mnt/sda1", "[x] disk    disk.img")
    t.key("PPage")
    t.press("Space", "[x] volume  mnt/sda1", "[x] disk    disk.img")
    # b: the disks' boot areas.
    t.press("b", "boot areas of the disks (b): not scanned", "(boot areas off)")
    t.press("b", "boot areas of the disks (b): scanned", absent=("(boot areas off)",))
    # m: the size cap, asked in a box; Esc keeps it, a bad one is refused.
    t.press("m", "Size cap (bytes, K/M/G; 0 for none):", "256M", "Enter: done    Esc: cancel")
    t.key("Escape")
    t.wait_for("size cap (m): 256.0 MiB", absent=("Size cap (bytes",))
    t.press("m", "Size cap (bytes")
    t.key(*["BSpace"] * 4)
    t.key("abc", literal=True)
    t.key("Enter")
    t.wait_for("not a size: 'abc'", "size cap (m): 256.0 MiB")
    t.press("m", "Size cap (bytes")
    t.key(*["BSpace"] * 4)
    t.key("100K", literal=True)
    t.press("Enter", "size cap (m): 100.0 KiB")
    # j: the workers.
    t.press("j", "Worker processes (0: one per CPU, at most 64):")
    t.key("BSpace")
    t.key("99", literal=True)
    t.press("Enter", "want 0 to 64, not '99'")
    t.press("j", "Worker processes")
    t.key("BSpace")
    t.key("2", literal=True)
    t.press("Enter", "size cap (m): 100.0 KiB    jobs (j): 2")
    assert_help_documents(t, "UI_SETUP")
    # F5 starts; big.bin is over the cap: listed as not scanned.
    t.key("F5")
    t.wait_title("Results", "scan finished: 5 with detections, 3 n", "0 planned; 3 not scanned", timeout=60)
    t.key("Tab")
    t.wait_for("size-cap", "300.0 KiB", "mnt/sda1/big.bin")
    report = json.loads(next((tmp_path / "reports").glob("report-*.json")).read_text())
    assert report["options"]["max_size"] == 100 * 1024, report["options"]
    assert report["options"]["jobs"] == 2, report["options"]
    t.key("Tab")
    t.wait_for("Showing all (f)")
    # Enter and keypad Enter start too; the setup is kept between scans.
    for k in ("Enter", "KPEnter"):
        next_second()
        t.key("q")
        t.wait_title("Ready")
        t.key("s")
        t.wait_title("Scan setup", "size cap (m): 100.0 KiB    jobs (j): 2")
        t.key(k)
        t.wait_title("Results", "scan finished", timeout=60)
    assert len(list((tmp_path / "reports").glob("report-*.json"))) == 3


def next_second():
    """Waits for the clock's next second. Reports are named by the second
    they are saved in, and a second scan in the same second cannot save its
    own (reported as a bug: "cannot save the report in 'reports': File
    exists"); the tests that scan twice do not run into it."""
    now = time.time()
    time.sleep(1.02 - (now - int(now)))


def sparse_files(root, n, size=250 << 20):
    """n sparse files of zeros: seconds of scanning, no disk space."""
    root.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        with open(root / f"zeros-{i}.bin", "wb") as f:
            f.truncate(size)


def test_progress_keys(tui, tree, rescue_bin, tmp_path):
    sparse_files(tree / "big", 8)
    t = tui()
    start(t, rescue_bin)
    t.key("s")
    t.wait_title("Scan setup")
    t.key("Enter")
    t.wait_title("Scanning", "files:", stable=0)
    # p pauses at once: no new work, the screen still.
    t.key("p")
    screen = t.wait_for("Scanning (PAUSED: p resumes)", "paused: p resumes", stable=0.5)
    for want in ("of about 2.0 GiB", "files/s", "with detections:", "not scanned:",
                 "target:", "mnt/sda1", "now:", "["):
        assert want in screen, want
    t.save("progress")
    # F1 and ? say what the keys do while scanning; any key closes it.
    for k in ("F1", "?"):
        t.press(k, "While scanning", "p pauses or resumes, c cancels (asks)")
        t.key("Space")
        t.wait_for("Scanning (PAUSED", absent=("While scanning",))
    # Esc asks to cancel (No by default); the pause stays.
    t.press("Escape", "Cancel the scan?", "partial scan")
    t.key("Enter")
    t.wait_for("Scanning (PAUSED", absent=("Cancel the scan?",))
    # p resumes: the byte count moves again.
    t.key("p")
    t.wait_for("resumed", absent=("PAUSED",), stable=0)
    done = t.wait_until(lambda s: re.search(r"([\d.]+ \w*B) of about", s), "progress", stable=0)
    first = re.search(r"([\d.]+ \w*B) of about", done).group(1)
    moved = t.wait_until(lambda s: (m := re.search(r"([\d.]+ \w*B) of about", s))
                         and m.group(1) != first, "the byte count to move", stable=0, timeout=30)
    # Ctrl-C is not a way out (cancelling asks): the scan and its workers
    # go on.
    t.key("C-c")
    second = re.search(r"([\d.]+ \w*B) of about", moved).group(1)
    t.wait_until(lambda s: (m := re.search(r"([\d.]+ \w*B) of about", s))
                 and m.group(1) != second, "the scan to go on after Ctrl-C", stable=0, timeout=30)
    # Esc, y: cancelled, the results are partial.
    t.key("Escape")
    t.wait_for("Cancel the scan?", stable=0.2)
    t.key("y")
    t.wait_title("Results", "scan cancelled: the results are partial", timeout=30)
    (path,) = (tmp_path / "reports").glob("report-*.json")
    report = json.loads(path.read_text())
    assert [tg["status"] for tg in report["targets"]] == ["canceled"], report["targets"]
    reasons = {n["reason"] for tg in report["targets"] for n in tg["not_scanned"]}
    assert reasons == {"special-file"}, reasons


def test_cancel_scan(tui, tree, rescue_bin, tmp_path):
    """c then Enter keeps scanning; c then y cancels: partial results, and
    the saved report says the target was cancelled."""
    # Many files, so that the jobs already handed to the workers (which a
    # cancel lets finish) are a small part of the whole.
    sparse_files(tree / "big", 40, 50 << 20)
    t = tui()
    start(t, rescue_bin)
    t.key("s")
    t.wait_title("Scan setup")
    t.key("Enter")
    t.wait_title("Scanning", "files:", stable=0)
    t.key("c")
    screen = t.wait_for("Cancel the scan?", "What was scanned so far is kept", "y = yes    n, Enter, Esc = no")
    t.save("progress-cancel")
    count = re.search(r"([\d.]+ \w*B) of about", screen).group(1)
    t.key("Enter")
    t.wait_title("Scanning", absent=("Cancel the scan?",), stable=0)
    t.wait_until(lambda s: (m := re.search(r"([\d.]+ \w*B) of about", s)) and m.group(1) != count,
                 "the scan to go on after No", stable=0, timeout=30)
    assert "Scanning (PAUSED" not in t.text()
    t.key("c")
    t.wait_for("Cancel the scan?", stable=0.2)
    t.key("y")
    # (The summary's "(scan cancelled: partial)" does not fit in 80
    # columns: reported; the status line and the report say it.)
    screen = t.wait_title("Results", "scan cancelled: the results are partial", timeout=30)
    t.save("results-cancelled")
    (path,) = (tmp_path / "reports").glob("report-*.json")
    report = json.loads(path.read_text())
    statuses = {tg["path"]: tg["status"] for tg in report["targets"]}
    assert statuses.get("mnt/sda1") == "canceled", statuses
    # Less than everything was scanned.
    scanned = sum(tg.get("bytes_scanned", 0) for tg in report["targets"])
    assert scanned < 40 * (50 << 20), scanned


def test_results_keys(tui, tree, rescue_bin):
    t = tui()
    start(t, rescue_bin)
    screen = scan(t)
    assert "5 detected: 5 to act on, 0 HELD, 0 allowed, 0 planned; 2 not scanned" in screen
    assert "Showing all (f), ordered by path (o); Tab: not scanned; P: the plan" in screen
    body = screen.split("\n")
    for i, name in enumerate(HITS):
        assert name.split()[-1][-8:] in body[4 + i], (name, body[4 + i])
    assert_frame(t)
    t.save("results")
    # Moving: the counter and the full name of the selected line.
    t.press("Down", " 2/5 ", "deep-sample.dll")
    t.press("j", " 3/5 ", "mnt/sda1/Users/Public/eicar.com")
    t.press("Up", " 2/5 ")
    t.press("k", " 1/5 ", "mbr of disk.img")
    t.press("End", " 5/5 ")
    t.press("Home", " 1/5 ")
    t.press("NPage", " 5/5 ")
    t.press("PPage", " 1/5 ")
    # f: all, to act on, held, allowed.
    t.press("f", "Showing to act on (f)")
    t.press("f", "Showing held (f)", "None shown with this filter: f changes it.")
    t.press("f", "Showing allowed (f)", "None shown with this filter")
    t.press("f", "Showing all (f)", " 1/5 ")
    # o: by path, rule, severity.
    screen = t.press("o", "ordered by rule (o)")
    assert "EICAR_Test_File" in screen.split("\n")[4], screen
    t.press("o", "ordered by severity (o)")
    screen = t.press("o", "ordered by path (o)")
    assert "mbr of disk.img" in screen.split("\n")[4], screen
    # u on a boot area is refused; on files it plans, and the cursor moves on.
    t.press("u", "a boot area is not a file: it cannot be quarantined")
    t.press("Down", " 2/5 ")
    screen = t.press("u", "planned: quarantine (P reviews and applies the plan)", " 3/5 ")
    assert screen.split("\n")[5].startswith(" [Q]"), screen
    screen = t.press("i", "planned: ignore once", " 4/5 ")
    assert screen.split("\n")[6].startswith(" [I]"), screen
    screen = t.press("w", "planned: always allow", " 5/5 ")
    assert screen.split("\n")[7].startswith(" [A]"), screen
    assert "3 planned" in screen
    t.key("Up")
    screen = t.press("c", "no action planned for it", "2 planned")
    assert not screen.split("\n")[7].startswith(" [A]"), screen
    # Enter / keypad Enter: the detail; P: the plan.
    t.key("Home")
    t.wait_for(" 1/5 ")
    for k, back in (("Enter", "q"), ("KPEnter", "Left")):
        t.key(k)
        t.wait_title("Detection", "mbr of disk.img")
        t.key(back)
        t.wait_title("Results")
    t.key("P")
    t.wait_title("Plan", "Planned: quarantine 1, always allow 0, ignore once 1.")
    t.key("Escape")
    t.wait_title("Results")
    # Tab: what was not scanned, and why; Tab again comes back.
    screen = t.press("Tab", "Not scanned: 2 items. Each is a file or area whose content was not checked.",
                     "Tab: back to the detections (5)", "special-file", "mnt/sda1/pipe",
                     "not a regular file (FIFO, device, socket)")
    t.save("results-not-scanned")
    bottom = screen.split("\n")[LAST_BODY - 2]
    t.key("Down")
    screen = t.wait_change(screen)
    assert screen.split("\n")[LAST_BODY - 2] != bottom, screen
    t.press("Up", "mnt/sda1/pipe")
    for k in ("u", "Enter", "f"):
        t.press(k, "these keys act on the detections: Tab goes back to them")
        t.key("Home")  # clears the status line
        t.wait_for(absent=("these keys act",))
    t.key("P")
    t.wait_title("Plan")
    t.key("q")
    t.wait_title("Results", "Not scanned: 2 items")
    t.press("Tab", "Showing all (f)")
    assert_help_documents(t, "UI_RESULTS")


def test_detail_keys(tui, tree, rescue_bin, tmp_path):
    t = tui()
    start(t, rescue_bin)
    scan(t)
    select(t, "eicar.com")
    t.key("Enter")
    t.wait_title("Detection", "mnt/sda1/Users/Public/eicar.com", "File",
                 "size         68 B (68 bytes)", EICAR_SHA256,
                 "mode 0640", "Detection 1 of 1: builtin:EICAR_Test_File",
                 "EICAR anti-malware test file (harmless)",
                 "$eicar at offset 0 (0x0), 68 bytes", "X5O!P%@AP[4\\PZX5",
                 "lines 1-20 of 27")
    t.save("detail")
    # Scrolling.
    t.press("Down", "lines 2-21 of 27")
    t.press("j", "lines 3-22 of 27")
    t.press("k", "lines 2-21 of 27")
    t.press("Up", "lines 1-20 of 27")
    t.press("NPage", "lines 8-27 of 27", "Windows executable facts (PE)", "not a Windows executable")
    t.press("PPage", "lines 1-20 of 27")
    t.press("End", "lines 8-27 of 27")
    t.press("Home", "lines 1-20 of 27")
    # The plan, from here.
    t.press("u", "planned: quarantine (P reviews", "planned      [Q] quarantine (P: the plan)")
    t.press("i", "planned: ignore once", "planned      [I] ignore once")
    t.press("w", "planned: always allow", "planned      [A] always allow")
    t.press("c", "no action planned for it", "planned      none: u quarantine, i ignore once")
    # e: the vendor package, once.
    t.press("e", "vendor package: reports/fp-275a021bbfb6.zip (password \"infected\")")
    assert (tmp_path / "reports" / "fp-275a021bbfb6.zip").stat().st_size > 0
    t.press("e", "'reports/fp-275a021bbfb6.zip' exists already")
    # P: the plan; Enter there comes back here, and P returns to it.
    t.key("u")
    t.wait_for("planned      [Q] quarantine")
    t.key("P")
    t.wait_title("Plan", "[Q] quarantine")
    t.key("Enter")
    t.wait_title("Detection", "eicar.com")
    t.key("P")
    t.wait_title("Plan")
    # q: back to the detail the plan was opened from, then the results.
    t.key("q")
    t.wait_title("Detection", "[Q] mnt/sda1/Users/Public/eicar.com")
    assert_help_documents(t, "UI_DETAIL")
    # A boot area: no quarantine, no vendor package.
    t.key("q")
    t.wait_title("Results")
    select(t, "mbr of disk.img")
    t.key("Enter")
    t.wait_title("Detection", "Boot area", "area         mbr", "disk         disk.img",
                 "$m at offset 100 (0x64), 22 bytes", "RESCUE-TEST-MARK")
    t.save("detail-boot-area")
    t.press("u", "a boot area is not a file: it cannot be quarantined")
    t.press("e", "a boot area is not a file: no vendor package")


def test_plan_keys(tui, tree, rescue_bin, tmp_path):
    t = tui()
    start(t, rescue_bin)
    scan(t)
    t.key("P")
    t.wait_title("Plan", "Nothing planned. On the results: u quarantine, i ignore once, w always allow",
                 "then P comes back here and a applies.")
    t.press("a", "nothing planned: u, i or w on the results plans an action")
    t.press_noop("c")
    t.key("q")
    t.wait_title("Results")
    select(t, "eicar.com")
    t.key("u")   # eicar: quarantine; the cursor moves to tool.exe
    t.wait_for("planned: quarantine", " 4/5 ")
    t.key("i")   # tool.exe: ignore once
    t.wait_for("planned: ignore once", " 5/5 ")
    t.key("w")   # the odd name: always allow
    t.wait_for("planned: always allow")
    t.key("P")
    screen = t.wait_title("Plan", "Planned: quarantine 1, always allow 1, ignore once 1.",
                          "[Q] quarantine    mnt/sda1/Users/Public/eicar.com",
                          "moved into the quarantine q", "[A] always allow",
                          "left in place; the allowlist gets 1 entry",
                          "[I] ignore once   mnt/sda1/Users/bob/tool.exe",
                          "left in place this time; the next scan finds it again", " 1/3 ")
    assert "odd\\xff\\x01name.txt" in screen
    t.save("plan")
    t.press("Down", " 2/3 ")
    t.press("End", " 3/3 ", "mnt/sda1/Users/bob/tool.exe")
    t.press("Home", " 1/3 ")
    t.press("j", " 2/3 ")
    t.press("k", " 1/3 ")
    t.press("NPage", " 3/3 ")
    t.press("PPage", " 1/3 ")
    # Enter / keypad Enter: the detail of the selected line.
    for k in ("Enter", "KPEnter"):
        t.key(k)
        t.wait_title("Detection", "mnt/sda1/Users/Public/eicar.com")
        t.key("q")
        t.wait_title("Plan")
    # c drops the selected one (the allow) from the plan.
    t.press("Down", " 2/3 ")
    t.press("c", "no action planned for it", "Planned: quarantine 1, always allow 0, ignore once 1.")
    # a asks once; Enter is No.
    screen = t.press("a", "Confirm", "Quarantine 1 file, ignore 1?",
                     "Quarantined files are moved to the quarantine")
    t.save("plan-confirm")
    t.press("Enter", "nothing done", absent=("Confirm",))
    assert (tmp_path / EICAR_REL).exists() and not (tmp_path / "q").exists()
    t.press("a", "Quarantine 1 file, ignore 1?")
    applied = t.press("y", "plan applied: 2 done, 0 not done (see each line)",
                      "done: quarantined as ", "done: ignored this time",
                      "Planned: quarantine 0, always allow 0, ignore once 0.  Done: 2 (0 not done)")
    t.save("plan-applied")
    assert not (tmp_path / EICAR_REL).exists()
    assert (tmp_path / "mnt/sda1/Users/bob/tool.exe").exists()
    # Applied lines cannot be cleared; a second a has nothing to do.
    t.press("c", "already applied: nothing to clear")
    t.press("a", "nothing planned")
    assert_help_documents(t, "UI_PLAN")
    t.key("q")
    screen = t.wait_title("Results", "5 detected: 3 to act on")
    assert " done " in screen.split("\n")[6] and " done " in screen.split("\n")[7], screen
    t.save("results-after-apply")
    # The saved report has the actions.
    qid = re.search(r"done: quarantined as (\S+)", applied).group(1)
    (path,) = (tmp_path / "reports").glob("report-*.json")
    actions = json.loads(path.read_text())["actions"]
    assert [(a["path"], a["action"], a["quarantine_id"]) for a in actions] == \
        [(EICAR_REL, "quarantined", qid)], actions


def quarantine_cli(rescue_bin, tmp_path, *paths):
    proc = run(rescue_bin, "quarantine", "add", *paths, "--store", tmp_path / "q")
    assert proc.returncode == CLEAN, proc.stderr
    return re.findall(rb"as (\S+)\n", proc.stdout)


def scan_quarantine(rescue_bin, tmp_path, directory):
    """rescue scan --action quarantine of one directory into q: [id]."""
    before = {it["id"] for it in items(rescue_bin, tmp_path)} if (tmp_path / "q").exists() else set()
    proc = run(rescue_bin, "scan", "--action", "quarantine", "--quarantine", tmp_path / "q", directory)
    assert proc.returncode == 1, proc.stderr
    return [it["id"] for it in items(rescue_bin, tmp_path) if it["id"] not in before]


def items(rescue_bin, tmp_path):
    proc = run(rescue_bin, "quarantine", "list", "--json", "--store", tmp_path / "q")
    assert proc.returncode == CLEAN, proc.stderr
    return json.loads(proc.stdout)


def test_quarantine_keys(tui, tree, rescue_bin, tmp_path):
    t = tui()
    start(t, rescue_bin)
    t.key("Q")
    t.wait_title("Quarantine", "The quarantine is empty",
                 "No file has been quarantined here yet")
    t.save("quarantine-empty")
    for k in ("r", "d", "e", "Enter"):
        t.press(k, "the quarantine is empty")
        t.key("Home")
        t.wait_for(absent=("the quarantine is empty\n",))
    t.press("s", "the quarantine is empty: nothing to rescan")
    t.key("q")
    t.wait_title("Ready")
    # Two items (by scans, so with their rules), a second apart: the list
    # is oldest first, to the second.
    ids = scan_quarantine(rescue_bin, tmp_path, tmp_path / "mnt/sda1/Users/Public")
    next_second()
    ids += scan_quarantine(rescue_bin, tmp_path, tmp_path / "mnt/sda1/Users/bob")
    t.key("Q")
    screen = t.wait_title("Quarantine", "2 items, oldest first", "Item", ids[0],
                          "/mnt/sda1/Users/Public/eicar.com\n", "rules builtin:EICAR_Test_File",
                          "not rescanned yet (s rescans every item with the rules in use)")
    t.save("quarantine")
    t.press("Down", ids[1], "tool.exe")
    t.press("Up", ids[0])
    t.press("End", ids[1])
    t.press("Home", ids[0])
    t.press("j", ids[1])
    t.press("k", ids[0])
    t.press("NPage", ids[1])
    t.press("PPage", ids[0])
    # Enter: the item in full, scrolled; q back to the list.
    t.key("Enter")
    screen = t.wait_for(f"Item {ids[0]} in full", "q: back to the list", "sha256:      " + EICAR_SHA256,
                        "mode:        0640", "reason:      detected")
    t.save("quarantine-item")
    first = screen.split("\n")[2]
    t.key("Down")
    t.wait_until(lambda s: s.split("\n")[2] != first, "the view to scroll")
    t.press("Up", first)
    t.key("q")
    t.wait_for("2 items, oldest first")
    t.key("KPEnter")
    t.wait_for(f"Item {ids[0]} in full")
    t.key("Escape")
    t.wait_for("2 items, oldest first")
    # s: rescan with the rules in use; both still detected.
    t.press("s", "rescanned 2 items with local: 0 likely false positives", "still detected by local")
    # e: the vendor package of the item.
    t.press("e", f"vendor package: reports/fp-{ids[0]}.zip (password \"infected\")")
    assert (tmp_path / "reports" / f"fp-{ids[0]}.zip").is_file()
    # r asks (No by default), d asks (No by default): tested in full below.
    t.press("r", f"Restore {ids[0]} to")
    t.press("Enter", f"{ids[0]} stays in the quarantine")
    t.press("d", f"Delete {ids[0]} for good?", "This cannot be undone")
    t.press("n", f"{ids[0]} kept")
    assert len(items(rescue_bin, tmp_path)) == 2
    assert_help_documents(t, "UI_QUARANTINE")


def test_allowlist_keys(tui, tree, rescue_bin, tmp_path):
    allow = tmp_path / "allow.json"
    for sha_, rule in ((EICAR_SHA256, "builtin:EICAR_Test_File"), ("ab" * 32, None)):
        args = ["allow", "add", sha_, "--list", allow, "--note", "known good"]
        if rule:
            args += ["--rule", rule]
        proc = run(rescue_bin, *args)
        assert proc.returncode == CLEAN, proc.stderr
    entries = json.loads(allow.read_text())["entries"]
    t = tui()
    start(t, rescue_bin)
    t.key("A")
    t.wait_title("Allowlist", "2 entries: files always allowed", entries[0]["id"],
                 "sha256  " + EICAR_SHA256, "rule    builtin:EICAR_Test_File",
                 "note    known good", "file: allow.json")
    t.save("allowlist")
    t.press("Down", "sha256  " + "ab" * 32, "rule    * (every rule)")
    t.press("Up", "sha256  " + EICAR_SHA256)
    t.press("End", "ab" * 32)
    t.press("Home", EICAR_SHA256)
    t.press("j", "ab" * 32)
    t.press("k", EICAR_SHA256)
    t.press("NPage", "ab" * 32)
    t.press("PPage", EICAR_SHA256)
    before = allow.read_bytes()
    t.press("d", f"Remove entry {entries[0]['id']} from the allowlist?", "This cannot be undone here")
    t.press("Enter", f"entry {entries[0]['id']} kept")
    assert allow.read_bytes() == before
    t.press("d", "Remove entry")
    t.press("y", f"removed entry {entries[0]['id']} (saved)", "1 entry: a file always allowed")
    left = json.loads(allow.read_text())["entries"]
    assert [e["id"] for e in left] == [entries[1]["id"]]
    assert_help_documents(t, "UI_ALLOW")


def build_bundle(rescue_bin, tmp_path, version):
    out = tmp_path / f"core{version}.rdefs"
    proc = run(rescue_bin, "defs", "build", DEFINITIONS, "--set", "core",
               "--version", str(version), "--key", DEV_KEY, "-o", out)
    assert proc.returncode == CLEAN, proc.stderr
    return out


def test_definitions_keys(tui, tree, rescue_bin, tmp_path):
    if not DEV_KEY.is_file():
        pytest.fail(f"{DEV_KEY} is missing: run `make DEVELOPER=1 rescue`", pytrace=False)
    store = tmp_path / "store"
    for v in (1, 2):
        proc = run(rescue_bin, "defs", "install", build_bundle(rescue_bin, tmp_path, v),
                   "--store", store, "--quarantine", tmp_path / "q")
        assert proc.returncode == CLEAN, proc.stderr
    # Without a store: r and e have nothing to change.
    t = tui()
    start(t, rescue_bin)
    t.key("D")
    t.wait_title("Definitions", "In use by the scan", "local      5 rules, unsigned (local sources)",
                 "no definitions store in this session")
    for k in ("r", "e"):
        t.press(k, "no definitions store in this session: nothing to change")
    t.key("F10")
    t.wait_for("Leave the rescue screen?")
    t.key("y")
    t.wait_for("UI-EXIT=0")
    # With the store.
    t.start(rescue_bin, "--store", "store", *UI_ARGS)
    t.key("D")
    t.wait_title("Definitions", "In use by the scan", "core       v2 ", "signed by development",
                 "Store store", "enabled  in use  kept: 1 2", "r: back to version 1")
    t.save("definitions")
    # Movement over the one set: nothing to see, nothing changes.
    for k in ("Down", "Up", "j", "k", "Home", "End", "NPage", "PPage"):
        t.press_noop(k)
    t.press("r", "Roll core back from version 2 to version 1?")
    t.press("Enter", "core not rolled back")
    assert (store / "core" / "active").read_text().strip() == "2"
    t.press("r", "Roll core back")
    t.press("y", "core rolled back to version 1; the scan now uses local, core v1", "core       v1 ")
    assert (store / "core" / "active").read_text().strip() == "1"
    t.press("r", "core: no version older than 1 is kept: nothing to roll back to")
    t.press("e", "Disable the definitions set core?")
    t.press("n", "core left enabled")
    t.press("e", "Disable the definitions set core?")
    t.press("y", "core disabled; the scan now uses local", "DISABLED")
    t.press("e", "Enable the definitions set core?")
    t.press("y", "core enabled; the scan now uses ", "core v1", "enabled")
    log = (store / "log.txt").read_text().splitlines()
    assert [line.split()[1:3] for line in log[-3:]] == [["rollback", "core"], ["disable", "core"],
                                                       ["enable", "core"]], log
    assert_help_documents(t, "UI_DEFS")


def test_log_keys(tui, tree, rescue_bin, tmp_path):
    t = tui()
    start(t, rescue_bin)
    t.key("L")
    t.wait_title("Reports and logs")
    t.save("log-empty")
    t.key("q")
    t.wait_title("Ready")
    scan(t)
    select(t, "eicar.com")
    t.key("u", "P", "a")
    t.wait_for("Quarantine 1 file?")
    t.key("y")
    t.wait_for("plan applied: 1 done")
    t.key("L")
    screen = t.wait_title("Reports and logs", "newest first", "quarantine journal q/journal",
                          "report (text)", "report (JSON)", "reports in: reports")
    t.save("log")
    listed = [line for line in screen.split("\n")[2:LAST_BODY] if line.strip()]
    assert len(listed) == 3, listed
    # What each row opens: the header of its view.
    kinds = []
    for line in listed:
        kind = re.search(r"(quarantine journal|report \(text\)|report \(JSON\))", line).group(1)
        kinds.append(kind)
    heads = {"quarantine journal": ("quarantine journal: q/journal", "quarantine copied "),
             "report (text)": ("report (text): reports/report-", "detections: 5"),
             "report (JSON)": ("report (JSON): reports/report-", '"schema": 1')}
    # Enter: the first file; Tab: the next ones, then "the last".
    t.key("Enter")
    t.wait_for(*heads[kinds[0]], "1/3")
    t.save("log-view")
    t.key("Tab")
    t.wait_for(*heads[kinds[1]], "2/3")
    t.key("Tab")
    t.wait_for(*heads[kinds[2]], "3/3")
    t.press("Tab", "that was the last file")
    t.press("Enter", *heads[kinds[2]])  # in the view: nothing more to open
    # The text report, scrolled; the odd name escaped (the report escapes
    # it, the viewer shows that backslash escaped again).
    t.key("q")
    t.wait_for("reports in: reports")
    t.key("Home")
    for _ in range(kinds.index("report (text)")):
        t.key("Down")
    t.key("KPEnter")
    screen = t.wait_for("report (text): reports/report-", "scan report", "lines")
    assert "odd\\\\xff\\\\x01name.txt" in screen and "\x01" not in screen, screen
    t.save("log-report")
    t.press("NPage", absent=("scan report",))
    t.press("PPage", "scan report")
    t.press("End", absent=("scan report",))
    t.press("Home", "scan report")
    t.press("Down", absent=("scan report",))
    t.press("Up", "scan report")
    t.press("j", absent=("scan report",))
    t.press("k", "scan report")
    t.key("Escape")
    t.wait_for("reports in: reports")
    t.key("Left")
    t.wait_title("Plan")  # where L was pressed
    t.key("L")
    t.wait_title("Reports and logs", "reports in: reports")
    # In the list: moving, and Tab opens the selected file too.
    t.key("End")
    t.press("Tab", *heads[kinds[2]])
    t.key("q")
    t.wait_for("reports in: reports")
    for k, i in (("PPage", 0), ("NPage", 2), ("Home", 0), ("j", 1), ("k", 0), ("Down", 1),
                 ("Up", 0)):
        t.key(k)
        t.key("Enter")
        t.wait_for(*heads[kinds[i]])
        t.key("q")
        t.wait_for("reports in: reports")
    assert_help_documents(t, "UI_LOG")


def test_help_keys(tui, tree, rescue_bin):
    t = tui()
    start(t, rescue_bin)
    scan(t)
    t.key("F1")
    top = "Enter     details: the detection in full"
    screen = t.wait_title("Help", "Keys of this screen, then keys that work everywhere", top,
                          "Tab       not scanned: switch to the not-scanned list and back")
    t.save("help")
    first = lambda s: s.split("\n")[2]
    # Down/Up (j/k) scroll a line; PgDn to the last page.
    t.press("Down", absent=(top,))
    t.press("Up", top)
    t.press("j", absent=(top,))
    t.press("k", top)
    screen = t.press("NPage", "Ctrl-L    redraw the screen (Ctrl-L)", absent=(top,))
    # PgUp goes back up (a page; reported: it goes one line when less
    # than a page from the top).
    t.key("PPage")
    after = t.wait_change(screen)
    assert first(after) != first(screen) and first(screen).strip() in after, after
    while top not in t.text():
        before = t.text()
        t.key("Up")
        t.wait_change(before)
    # F1, ? on the help itself, Home and End: no-ops.
    # (Down then Up after each: once they are seen, the key was read.)
    for k in ("F1", "?", "Home", "End"):
        before = t.text()
        t.key(k)
        t.key("Down")
        t.wait_change(before)
        t.key("Up")
        assert t.wait_for(top) == before, k
    t.key("Escape")
    t.wait_title("Results")
    t.key("?")
    t.wait_title("Help")
    t.key("Left")
    t.wait_title("Results")


def test_global_keys(tui, tree, rescue_bin, tmp_path):
    t = tui()
    start(t, rescue_bin)
    scan(t)
    # Q, A, D, L from anywhere, and back with q.
    for k, title in (("Q", "Quarantine"), ("A", "Allowlist"), ("D", "Definitions"),
                     ("L", "Reports and logs")):
        t.key(k)
        t.wait_title(title)
        t.key("q")
        t.wait_title("Results")
    # Ctrl-L redraws what something else wrote over the screen.
    tty = t.tmux("display-message", "-p", "#{pane_tty}").strip()
    with open(tty, "w") as f:
        f.write("\033[5;5HGARBAGE-OVER-THE-SCREEN")
    t.wait_for("GARBAGE-OVER-THE-SCREEN")
    t.key("C-l")
    t.wait_for("5 detected", absent=("GARBAGE",))
    # !: a shell on the terminal, in its normal mode; exit comes back.
    t.key("!")
    t.wait_for("Shell: type 'exit' to go back to the rescue screen.", PROMPT.strip())
    assert not t.alternate_on()
    t.type_line("stty -a; echo SHELL-$((6 * 7))")
    assert_cooked(t.wait_for("SHELL-42"))
    t.type_line("exit")
    t.wait_title("Results", "back from the shell")
    # F10 asks; Enter and Esc keep the screen.
    for no in ("Enter", "Escape"):
        t.press("F10", "Leave the rescue screen?")
        t.key(no)
        t.wait_title("Results", absent=("Leave the rescue",))
    t.press("F10", "Leave the rescue screen?")
    t.key("y")
    t.wait_for("UI-EXIT=0")
    # --no-shell: ! says no.
    t.start(rescue_bin, "--no-shell", *UI_ARGS)
    t.press("!", "no shell from here in this session")
    screen = t.press("F10", "Leave the rescue screen?")
    assert "The scan results stay in the saved reports." not in screen


# --- stories ----------------------------------------------------------------


def quarantine_eicar(t):
    """scan, select eicar.com, u, P, a, y: returns the item id."""
    scan(t)
    select(t, "eicar.com")
    t.key("u")
    t.wait_for("[Q]")
    t.key("P")
    t.wait_title("Plan", "[Q] quarantine    mnt/sda1/Users/Public/eicar.com")
    t.key("a")
    t.wait_for("Quarantine 1 file?")
    t.key("y")
    screen = t.wait_for("plan applied: 1 done, 0 not done", "done: quarantined as ")
    return re.search(r"done: quarantined as (\S+)", screen).group(1)


def test_quarantine_then_restore(tui, tree, rescue_bin, tmp_path):
    eicar = tmp_path / EICAR_REL
    before = os.stat(eicar)
    t = tui()
    start(t, rescue_bin)
    qid = quarantine_eicar(t)
    assert not eicar.exists()
    (item,) = items(rescue_bin, tmp_path)
    assert item["id"] == qid and item["reason"] == "detected"
    assert item["file"]["sha256"] == EICAR_SHA256
    # Q, the item, r, y; the allowlist offer: n.
    t.key("Q")
    t.wait_title("Quarantine", "1 item, oldest first", qid, "rules builtin:EICAR_Test_File")
    t.key("r")
    t.wait_for(f"Restore {qid} to", "It is put back byte-exact")
    t.save("quarantine-restore-confirm")
    t.key("y")
    t.wait_for("Was it a false positive? Always allow this file?", f"restored {qid} to")
    t.save("quarantine-allow-offer")
    t.key("n")
    # (The status line, "restored ID, not added to the allowlist: now at
    # 'PATH'", is shortened in the middle at this path's length.)
    t.wait_for(f"restored {qid}, not ", "The quarantine is empty")
    assert sha(eicar) == EICAR_SHA256
    after = os.stat(eicar)
    assert after.st_mtime_ns == before.st_mtime_ns == EICAR_MTIME_NS
    assert after.st_mode == before.st_mode and after.st_size == before.st_size
    assert items(rescue_bin, tmp_path) == []
    assert not (tmp_path / "allow.json").exists()


def test_allowlist_offer_then_allowed(tui, tree, rescue_bin, tmp_path):
    t = tui()
    start(t, rescue_bin)
    qid = quarantine_eicar(t)
    t.key("Q")
    t.wait_title("Quarantine", qid)
    t.key("r")
    t.wait_for(f"Restore {qid} to")
    t.key("y")
    t.wait_for("Was it a false positive?")
    t.key("y")
    t.wait_for(f"restored {qid} and a", "The quarantine is empty")
    assert sha(tmp_path / EICAR_REL) == EICAR_SHA256
    (entry,) = json.loads((tmp_path / "allow.json").read_text())["entries"]
    assert entry["sha256"] == EICAR_SHA256 and entry["rule"] == "builtin:EICAR_Test_File"
    assert qid in entry["note"]
    # A new scan shows the hit as allowed.
    for title in ("Plan", "Results", "Ready"):
        t.key("q")
        t.wait_title(title)
    screen = scan(t)
    assert "5 detected: 4 to act on, 0 HELD, 1 allowed" in screen
    select(t, "eicar.com")
    screen = t.text()
    assert re.search(r"^\s+ALLOWED\s+test EICAR_Test_File", screen.split("\n")[6], re.M), screen
    t.save("results-allowed")
    t.key("f", "f", "f")
    screen = t.wait_for("Showing allowed (f)", " 1/1 ", "mnt/sda1/Users/Public/eicar.com")
    # w on it: already allowed.
    t.press("w", "already allowed by the allowlist")
    t.key("A")
    t.wait_title("Allowlist", "1 entry: a file always allowed", "restored from quarantine " + qid)


def test_delete_defaults_to_no(tui, tree, rescue_bin, tmp_path):
    (qid,) = [i.decode() for i in quarantine_cli(rescue_bin, tmp_path, tmp_path / EICAR_REL)]
    payload = tmp_path / "q" / qid
    assert payload.is_dir()
    t = tui()
    start(t, rescue_bin)
    t.key("Q")
    t.wait_title("Quarantine", qid)
    t.key("d")
    t.wait_for(f"Delete {qid} for good?", "This cannot be undone", "y = yes    n, Enter, Esc = no")
    t.save("quarantine-delete-confirm")
    t.key("Enter")
    t.wait_for(f"{qid} kept", "1 item, oldest first", absent=("Delete ",))
    assert payload.is_dir() and len(items(rescue_bin, tmp_path)) == 1
    t.key("d")
    t.wait_for(f"Delete {qid} for good?")
    t.key("Escape")
    t.wait_for(f"{qid} kept")
    assert payload.is_dir()
    t.key("d")
    t.wait_for(f"Delete {qid} for good?")
    t.key("y")
    t.wait_for(f"deleted {qid}", "The quarantine is empty")
    assert not payload.exists() and items(rescue_bin, tmp_path) == []
    assert not (tmp_path / EICAR_REL).exists()


def test_resize(tui, tree, rescue_bin):
    t = tui()
    start(t, rescue_bin)
    scan(t)
    t.key("Down")
    before = t.wait_for(" 2/5 ")
    assert_frame(t)
    t.resize(100, 30)
    screen = t.wait_until(lambda s: len(s.split("\n")) == 30 and "F1/? help" in s.split("\n")[0]
                          and s.split("\n")[0].rstrip().endswith("help")
                          and len(s.split("\n")[0].rstrip()) == 97
                          and s.split("\n")[29].startswith("Enter details"), "the 100x30 redraw")
    assert_frame(t, 100, 30)
    t.save("results-100x30")
    lines = screen.split("\n")
    # The wider set column (12) and the longer names at 100 columns.
    assert "5 detected" in lines[1] and "do  state   sev  rule" in lines[3]
    assert "deep-sample.dll" in lines[27] and " 2/5 " in lines[27], lines[27]
    assert "mnt/sda1/Program Files/Vendor Software Cor...onent Framework/x64/plugins/" \
           "deep-sample.dll" in lines[27]
    # And back: the same screen as before.
    t.resize(80, 25)
    t.wait_until(lambda s: s == before, "the 80x25 screen as it was")
    assert_frame(t)
    # Resized under a dialog: once it is answered, the screen is the one
    # of the new size. (While the box is up, the screen behind it is not
    # redrawn: reported.)
    t.key("F10")
    t.wait_for("Leave the rescue screen?")
    t.resize(100, 30)
    t.wait_until(lambda s: len(s.split("\n")) == 30, "the 100x30 screen")
    t.key("n")
    t.wait_until(lambda s: s == screen, "the 100x30 screen as before the dialog")
    t.resize(80, 25)
    t.wait_until(lambda s: s == before, "the 80x25 screen as before the dialog")
    assert_frame(t)


SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colours(attr_rows):
    """The colour parameters (30-38, 40-48, 90-107) of SGR escapes; 39 and
    49, the default colours, are how tmux writes "no colour"."""
    found = set()
    for row in attr_rows:
        for params in SGR.findall(row):
            p = [int(x) for x in params.split(";") if x]
            if any((30 <= x <= 48 and x != 39) or 90 <= x <= 107 for x in p):
                found.add(params)
    return found


@pytest.mark.parametrize("term,env,name", [
    ("vt100", {}, "vt100"),
    ("tmux-256color", {"NO_COLOR": "1"}, "no-color"),
    ("tmux-256color", {}, "colour"),
])
def test_terminals(tui, tree, rescue_bin, term, env, name):
    """vt100 and NO_COLOR draw in bold/reverse without a colour; the
    default draws in colour (so the check can tell)."""
    t = tui(term=term)
    start(t, rescue_bin, env=env)
    t.wait_for("Volumes to scan", "Where things go")
    assert_frame(t)
    attrs = t.capture(attrs=True)
    screen = scan(t)
    assert "5 detected" in screen
    attrs += t.capture(attrs=True)
    if name == "vt100":
        # No alternate screen on a vt100: back from the shell key, the
        # shell's lines must be painted over.
        t.key("!")
        t.wait_for("Shell: type 'exit' to go back to the rescue screen.", PROMPT.strip())
        t.type_line("echo SHELL-$((6 * 7))")
        t.wait_for("SHELL-42")
        t.type_line("exit")
        t.wait_title("Results", "back from the shell", absent=("SHELL-42", "Shell: type"))
        assert_frame(t)
    if name == "colour":
        assert colours(attrs), "no colour at all in the default run"
    else:
        assert not colours(attrs), f"colours with TERM={term} {env}: {colours(attrs)}"
        # The title and the selection still stand out: reverse video.
        assert any("7" in params.split(";") for r in attrs for params in SGR.findall(r)), \
            "no reverse video"
        t.save(f"results-{name}")
    t.key("q")
    t.wait_title("Ready")
    t.key("q")
    t.wait_for("Leave the rescue screen?")
    t.key("y")
    t.wait_for("UI-EXIT=0")


def test_names_shown_safely(tui, tree, rescue_bin, tmp_path):
    t = tui()
    start(t, rescue_bin)
    screen = scan(t)
    lines = screen.split("\n")
    # In the list, shortened in the middle; the control byte escaped.
    assert lines[8].rstrip().endswith("mnt/sda1/odd...\\x01name.txt"), lines[8]
    assert lines[5].rstrip().endswith("mnt/sda1/Pro...p-sample.dll"), lines[5]
    assert "\x01" not in screen and "^A" not in screen and "\ufffd" not in screen
    # Selected: the whole name (escaped) on the last line of the list.
    select(t, "name.txt")
    bottom = t.text().split("\n")[LAST_BODY]
    assert bottom.rstrip().endswith("mnt/sda1/odd\\xff\\x01name.txt"), bottom
    select(t, "deep-sample.dll")
    bottom = t.text().split("\n")[LAST_BODY]
    assert re.search(r"mnt/sda1/Program Files/Vendor So\S*\.\.\.\S*/x64/plugins/deep-sample\.dll$",
                     bottom.rstrip()), bottom
    assert len(bottom.rstrip()) <= 79
    # The detail and the plan too.
    select(t, "name.txt")
    t.key("Enter")
    screen = t.wait_title("Detection", "mnt/sda1/odd\\xff\\x01name.txt")
    t.save("detail-odd-name")
    assert "\x01" not in screen
    t.key("u")
    t.key("P")
    screen = t.wait_title("Plan", "mnt/sda1/odd\\xff\\x01name.txt")
    t.key("a")
    t.wait_for("Quarantine 1 file?")
    t.key("y")
    t.wait_for("plan applied: 1 done")
    assert not os.path.exists(os.fsencode(tree) + b"/" + ODD_NAME)
    # The quarantine manager and its confirmation (escaped in the box).
    t.key("Q")
    screen = t.wait_title("Quarantine", "odd\\xff\\x01name.txt")
    t.key("r")
    screen = t.wait_for("Restore ", "\\x01name.txt?")
    assert "\x01" not in screen
    t.key("y")
    t.wait_for("Was it a false positive?")
    t.key("n")
    t.wait_for("The quarantine is empty", "odd\\xff\\x01name.txt'")
    assert os.path.exists(os.fsencode(tree) + b"/" + ODD_NAME)


def assert_cooked(screen):
    """`stty -a` on the screen shows the terminal in its normal mode: line
    editing (icanon) and echo on (the line that lists them, not the typed
    command line)."""
    line = next((l for l in screen.split("\n") if "icanon" in l.split()
                 or "-icanon" in l.split()), None)
    assert line, f"no stty -a output:\n{screen}"
    flags = line.split()
    assert "icanon" in flags and "echo" in flags, f"terminal left raw: {line}\n{screen}"


def test_exit_restores_terminal(tui, tree, rescue_bin):
    t = tui()
    start(t, rescue_bin)
    assert t.alternate_on()
    t.key("F10")
    t.wait_for("Leave the rescue screen?")
    t.key("y")
    screen = t.wait_for("UI-EXIT=0", absent=("rescue 0.1.0  |",))
    lines = [l for l in screen.split("\n") if l.strip()]
    assert lines[-1] == PROMPT.strip(), screen
    assert lines[-2] == "UI-EXIT=0", screen
    assert not t.alternate_on()
    t.type_line("stty -a")
    assert_cooked(t.wait_for("speed", "icanon"))


def test_crash_restores_terminal(tui, tree, rescue_bin, tmp_path):
    """A crash in the middle of a (paused) scan: the terminal is given
    back, and the scan's workers do not outlive the program."""
    sparse_files(tree / "big", 8)
    t = tui()
    start(t, rescue_bin)
    t.key("s")
    t.wait_title("Scan setup")
    t.key("Enter")
    t.wait_title("Scanning", "files:", stable=0)
    t.key("p")
    t.wait_for("Scanning (PAUSED: p resumes)")
    assert t.alternate_on()
    assert len(programs_in(tmp_path, rescue_bin)) > 1  # the UI and its workers
    os.kill(t.pid(), signal.SIGSEGV)
    t.wait_for(f"UI-EXIT={128 + signal.SIGSEGV}", absent=("rescue 0.1.0  |",))
    assert not t.alternate_on()
    t.type_line("stty -a; echo STTY-DONE")
    assert_cooked(t.wait_for("STTY-DONE\n", "speed"))
    # The scan's workers went with it.
    deadline = time.monotonic() + 10
    while programs_in(tmp_path, rescue_bin):
        assert time.monotonic() < deadline, f"left running: {programs_in(tmp_path, rescue_bin)}"
        time.sleep(0.1)


def programs_in(directory, binary):
    """Pids of the processes of binary running in directory."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe") == os.fspath(binary) and \
                    os.readlink(f"/proc/{pid}/cwd") == os.fspath(directory):
                found.append(int(pid))
        except OSError:
            pass
    return found


# --- the table, all of it ---------------------------------------------------------


def test_every_binding_was_pressed(request):
    """Every (screen, key) of ui/keys.c was pressed on its screen by the
    tests above; a UI_ANY key on a screen that does not bind it itself.
    Runs last; skipped when only some of the tests ran."""
    ran = {i.originalname for i in request.session.items if i.module is request.module}
    tests = {n for n in dir(request.module) if n.startswith("test_")}
    if ran != tests:
        pytest.skip("not every test of test_ui.py ran")
    bindings = keys_c_bindings()
    own = {}
    for screen, key, _ in bindings:
        if screen != "UI_ANY":
            own.setdefault(screen, set()).add(key)
    screen_of = {title: screen for screen, title in TITLES.items()}
    pressed = {}
    for title, key in PRESSED:
        if title in screen_of:
            pressed.setdefault(screen_of[title], set()).add(key)
    missing = []
    for screen, key, act in bindings:
        if screen == "UI_ANY":
            if not any(key in keys and key not in own.get(s, set())
                       for s, keys in pressed.items()):
                missing.append((screen, key, act))
        elif key not in pressed.get(screen, set()):
            missing.append((screen, key, act))
    assert not missing, f"bindings of ui/keys.c no test pressed: {missing}"
