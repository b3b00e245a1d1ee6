"""Drives `rescue ui` in a fixed-size terminal: a private tmux server.

Each Tui is one tmux server on its own socket (-L, no config file) with one
pane running /bin/sh (dash: no line editing of its own, so a terminal left
raw by the program stays raw for `stty -a` to see). The program is started
by typing a command line into that shell, so after it exits, the pane shows
what a user would see: its last output, the exit status, the prompt.

Reading the screen: capture() is `tmux capture-pane`, one string per row.
wait_for() polls it until the wanted text is there AND the screen has not
changed for `stable` seconds, with a deadline; a timeout fails the test with
the last screen in the message. Nothing here sleeps and hopes.

Keys: key() sends tmux key names ("Enter", "F10", "Up", "C-l") or literal
text, and records (screen title, key) for the coverage check against the
key table of ui/keys.c (keys_c_bindings below).
"""
import os
import re
import shlex
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CAPTURES = REPO / "out" / "test-logs" / "ui"

# One multiplier for slow machines, as the boot tests have.
MULT = float(os.environ.get("RESCUE_TEST_TIMEOUT_MULT", "1"))

PROMPT = "ui-test$ "

# The screen titles (the struct ui_screen of each ui/<screen>.c) by the
# names keys.c uses.
TITLES = {
    "UI_HOME": "Ready", "UI_SETUP": "Scan setup", "UI_PROGRESS": "Scanning",
    "UI_RESULTS": "Results", "UI_DETAIL": "Detection", "UI_PLAN": "Plan",
    "UI_QUARANTINE": "Quarantine", "UI_ALLOW": "Allowlist",
    "UI_DEFS": "Definitions", "UI_LOG": "Reports and logs", "UI_HELP": "Help",
}

# Curses key codes of keys.c as tmux key names.
TMUX_KEYS = {
    "'\\r'": "Enter", "KEY_ENTER": "KPEnter", "'\\t'": "Tab", "' '": "Space",
    "27": "Escape", "KEY_UP": "Up", "KEY_DOWN": "Down", "KEY_LEFT": "Left",
    "KEY_PPAGE": "PPage", "KEY_NPAGE": "NPage", "KEY_HOME": "Home",
    "KEY_END": "End", "CTRL('l')": "C-l",
}


def keys_c_bindings():
    """[(screen, tmux key name, action)] of the key table in ui/keys.c."""
    text = (REPO / "ui" / "keys.c").read_text()
    table = text[text.index("ui_keys[] = {"):]
    table = table[:table.index("\n};")]
    out = []
    for screen, key, act in re.findall(
            r"\{\s*(UI_\w+)\s*,\s*(.+?)\s*,\s*(A_\w+)\s*,", table):
        if key in TMUX_KEYS:
            name = TMUX_KEYS[key]
        elif re.fullmatch(r"KEY_F\((\d+)\)", key):
            name = "F" + re.fullmatch(r"KEY_F\((\d+)\)", key).group(1)
        elif re.fullmatch(r"'.'", key):
            name = key[1]
        else:
            raise ValueError(f"keys.c: a key code the tests do not know: {key}")
        out.append((screen, name, act))
    return out


def terminfo_dir(base):
    """A terminfo directory whose tmux-256color also has kent (the keypad
    Enter, KEY_ENTER, which tmux sends as ESC O M but Debian's entry does
    not list), so that every binding of keys.c can be pressed. None when
    infocmp or tic are missing."""
    d = Path(base) / "terminfo"
    if (d / "t" / "tmux-256color").exists():
        return d
    try:
        src = subprocess.run(["infocmp", "-x", "tmux-256color"], check=True,
                             capture_output=True, text=True, timeout=30).stdout
        d.mkdir(parents=True, exist_ok=True)
        src = src.rstrip() + "\n\tkent=\\EOM,\n"
        (d / "tmux-kent.src").write_text(src)
        subprocess.run(["tic", "-x", "-o", os.fspath(d), os.fspath(d / "tmux-kent.src")],
                       check=True, capture_output=True, timeout=30)
    except (OSError, subprocess.CalledProcessError):
        return None
    return d


class Timeout(AssertionError):
    pass


class Tui:
    """One tmux server with one pane running /bin/sh in workdir."""

    _n = 0

    def __init__(self, workdir, width=80, height=25, term="tmux-256color",
                 env=None, log=None):
        """log: a file that gets every key and every screen waited for."""
        Tui._n += 1
        self.workdir = Path(workdir)
        self.log = open(log, "a", encoding="utf-8", errors="replace") if log else None
        self.socket = f"rescue-ui-test-{os.getpid()}-{Tui._n}"
        self.pressed = []          # (screen title, key)
        self.pidfile = self.workdir / f"ui-{Tui._n}.pid"
        self.width, self.height = width, height
        base = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME": os.fspath(self.workdir),
            "TERM": term,
            "PS1": PROMPT,
            "LANG": "C.UTF-8",
            "SHELL": "/bin/sh",
        }
        base.update(env or {})
        self.env = {k: v for k, v in base.items() if v is not None}
        cmd = "exec env -i " + " ".join(
            shlex.quote(f"{k}={v}") for k, v in self.env.items()) + " /bin/sh"
        self.tmux("new-session", "-d", "-x", str(width), "-y", str(height),
                  "-c", os.fspath(self.workdir), "-e", f"TERM={term}", cmd)
        # The pane follows the window size that resize() sets.
        self.tmux("set-option", "-g", "window-size", "manual")
        self.tmux("set-option", "-g", "status", "off")
        self.wait_for(PROMPT.strip(), stable=0.1)

    # --- tmux -----------------------------------------------------------
    def tmux(self, *args, check=True):
        proc = subprocess.run(["tmux", "-L", self.socket, "-f", "/dev/null", *args],
                              capture_output=True, text=True, timeout=30)
        if check and proc.returncode:
            raise RuntimeError(f"tmux {' '.join(args)}: {proc.stderr.strip()}")
        return proc.stdout

    def close(self):
        if self.log:
            try:
                self.note("the screen at the end", self.text())
            except Exception:  # the server may be gone
                pass
            self.log.close()
            self.log = None
        self.tmux("kill-server", check=False)

    def note(self, what, text=None):
        if self.log:
            self.log.write(f"### {what}\n")
            if text is not None:
                self.log.write(text + "\n")
            self.log.flush()

    # --- the program ----------------------------------------------------
    def start(self, binary, *args, wait="Ready", env=None):
        """Types `binary ui ARGS; echo UI-EXIT=$?` at the shell prompt and
        waits for the screen titled wait. The program's pid is in
        self.pidfile (the script execs it). env: more variables for it."""
        script = self.workdir / f"run-ui-{Tui._n}.sh"
        envs = " ".join(shlex.quote(f"{k}={v}") for k, v in (env or {}).items())
        script.write_text(
            "#!/bin/sh\n"
            f"echo $$ > {shlex.quote(os.fspath(self.pidfile))}\n"
            f"exec {'env ' + envs + ' ' if envs else ''}"
            + " ".join(shlex.quote(os.fspath(a)) for a in (binary, "ui", *args)) + "\n")
        self.type_line(f"sh {shlex.quote(os.fspath(script))}; echo UI-EXIT=$?")
        if wait:
            return self.wait_title(wait)
        return None

    def pid(self):
        return int(self.pidfile.read_text())

    def type_line(self, text):
        self.tmux("send-keys", "-l", text)
        self.tmux("send-keys", "Enter")

    # --- the screen -----------------------------------------------------
    def capture(self, attrs=False):
        """The visible screen: one string per row (height rows). attrs: with
        the SGR escapes of colours and attributes."""
        out = self.tmux("capture-pane", "-p", *(["-e"] if attrs else []))
        rows = out.split("\n")
        if rows and rows[-1] == "":
            rows.pop()
        return rows

    def text(self):
        return "\n".join(self.capture())

    def title(self):
        """The screen's title from the first row ("Results"), or ""."""
        m = re.match(r"^ rescue \S+  \|  (.*?)\s{2,}F1/\? help", self.capture()[0])
        return m.group(1) if m else ""

    def alternate_on(self):
        return self.tmux("display-message", "-p", "#{alternate_on}").strip() == "1"

    def wait_until(self, ok, what, timeout=15, stable=0.1):
        """Polls the screen until ok(text) holds and the screen has stayed
        the same for stable seconds; returns the text. Fails after timeout."""
        deadline = time.monotonic() + timeout * MULT
        last, since = None, time.monotonic()
        while True:
            text = self.text()
            now = time.monotonic()
            if text != last:
                last, since = text, now
            if ok(text) and now - since >= stable:
                self.note(f"screen ({what})", text)
                return text
            if now > deadline:
                self.note(f"TIMEOUT waiting for {what}", text)
                raise Timeout(f"timed out after {timeout * MULT:.0f} s waiting for "
                              f"{what}; the screen:\n{text}")
            time.sleep(0.02)

    def wait_for(self, *texts, absent=(), timeout=15, stable=0.1):
        """Waits until every one of texts is on the screen and none of
        absent, and the screen is stable; returns the screen text."""
        return self.wait_until(
            lambda t: all(s in t for s in texts) and not any(s in t for s in absent),
            f"{texts!r}" + (f" without {absent!r}" if absent else ""),
            timeout, stable)

    def wait_title(self, title, *texts, absent=(), timeout=15, stable=0.1):
        """Waits for the screen titled title with texts (and not absent)."""
        return self.wait_until(
            lambda t: re.match(rf"^ rescue \S+  \|  {re.escape(title)}\s", t) is not None
            and all(s in t for s in texts) and not any(s in t for s in absent),
            f"the screen {title!r}" + (f" with {texts!r}" if texts else "")
            + (f" without {absent!r}" if absent else ""), timeout, stable)

    def wait_change(self, before, timeout=15, stable=0.1):
        """Waits for a stable screen different from before (a text)."""
        return self.wait_until(lambda t: t != before, "the screen to change",
                               timeout, stable)

    # --- keys -------------------------------------------------------------
    def key(self, *keys, literal=False):
        """Sends keys (tmux key names, or text with literal=True); each is
        recorded with the title of the screen it was pressed on."""
        for k in keys:
            title = self.title()
            self.pressed.append((title, k))
            self.note(f"key {k!r} on {title!r}")
            if literal:
                self.tmux("send-keys", "-l", k)
            else:
                self.tmux("send-keys", k)
            if k == "Escape":
                # The program waits ESCDELAY (50 ms) to tell a lone Esc
                # from the start of a key's sequence: let that pass before
                # the next key, or the two would read as one.
                time.sleep(0.15)

    def press(self, key, *texts, absent=(), timeout=15, stable=0.1):
        """key() then wait_for(texts); returns the screen."""
        self.key(key)
        return self.wait_for(*texts, absent=absent, timeout=timeout, stable=stable)

    def press_noop(self, key):
        """key() for a documented no-op. To know that the program has read
        it, F1 (help) and q (back) follow: once the screen is back, the key
        was handled; the screen must be as before, but for the status line
        (any key clears it)."""
        before = self.capture()
        title = self.title()
        self.key(key)
        self.key("F1")
        self.wait_title("Help")
        self.key("q")
        self.wait_title(title)
        after = self.capture()
        status = len(after) - 2
        strip = lambda rows: [r for i, r in enumerate(rows) if i != status]
        assert strip(after) == strip(before), \
            f"{key} on {title!r} changed the screen:\n" + "\n".join(after)
        return after

    def resize(self, width, height):
        self.tmux("resize-window", "-x", str(width), "-y", str(height))
        self.width, self.height = width, height

    def save(self, name, text=None):
        """Keeps the screen (or text) as out/test-logs/ui/<name>.txt."""
        CAPTURES.mkdir(parents=True, exist_ok=True)
        (CAPTURES / f"{name}.txt").write_text((text if text is not None else self.text()) + "\n")
