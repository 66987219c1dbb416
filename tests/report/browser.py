"""A small headless-Chromium driver for the report tests (standard library only).

Chromium is started with ``--remote-debugging-pipe``: it reads DevTools
protocol commands (JSON, each ended by a NUL byte) from file descriptor 3 and
writes answers and events to descriptor 4. No network port, no websocket
library, no browser download: Debian's ``/usr/bin/chromium`` is enough.

Chromium runs in a new process group (session) of its own; :meth:`Browser.close`
ends that group (SIGTERM, then SIGKILL) and waits until none of the processes
it started is left, children (zygote, renderer, GPU) included.

Used by ``tests/report/test_browser.py`` and handy by hand::

    with Browser() as b:
        page = b.open(Path("team.html").resolve().as_uri(), width=390)
        print(page.evaluate("document.documentElement.scrollWidth"))
        Path("shot.png").write_bytes(page.screenshot())
        Path("print.pdf").write_bytes(page.pdf(8.27, 11.69))   # A4
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")

#: Flags for a quiet, offline, throw-away browser (no sandbox: CI runs as root in a container).
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--hide-scrollbars", "--mute-audio", "--remote-debugging-pipe")


def find_chromium() -> str | None:
    """The Chromium executable, or None when none is installed."""
    for path in CANDIDATES:
        if Path(path).exists() and os.access(path, os.X_OK):
            return path
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return found


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium process tree, driven over the DevTools pipe."""

    def __init__(self, executable: str | None = None, timeout_s: float = 60.0):
        self.executable = executable or find_chromium()
        if not self.executable:
            raise BrowserError("no Chromium executable found")
        self.timeout_s = timeout_s
        self._profile = tempfile.mkdtemp(prefix="runload-chromium-")
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict] = []
        to_chrome_r, self._to_chrome = os.pipe()
        self._from_chrome, from_chrome_w = os.pipe()

        def child_fds():  # runs in the child before exec: put the pipe ends on fds 3 and 4
            a = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD, 10)
            b = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD, 10)
            os.dup2(a, 3)
            os.dup2(b, 4)

        self.proc = subprocess.Popen(
            [self.executable, *FLAGS, f"--user-data-dir={self._profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            pass_fds=(3, 4), preexec_fn=child_fds, start_new_session=True)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.pids_seen: set[int] = {self.proc.pid}

    # -- protocol --------------------------------------------------------------
    def send(self, method: str, params: dict | None = None, session: str | None = None) -> dict:
        """Send one command and wait for its answer (events that arrive meanwhile go to ``events``)."""
        self._next_id += 1
        msg = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_chrome, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            for answer in self._read(deadline):
                if answer.get("id") == self._next_id:
                    if "error" in answer:
                        raise BrowserError(f"{method}: {answer['error']}")
                    return answer.get("result", {})
                self.events.append(answer)

    def _read(self, deadline: float) -> list[dict]:
        while b"\0" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError(f"Chromium did not answer within {self.timeout_s:.0f} s")
            ready, _, _ = select.select([self._from_chrome], [], [], left)
            if ready:
                chunk = os.read(self._from_chrome, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the DevTools pipe (it exited)")
                self._buffer += chunk
        *messages, self._buffer = self._buffer.split(b"\0")
        return [json.loads(m) for m in messages if m]

    def open(self, url: str, width: int, height: int = 900) -> "Page":
        """A new tab of ``width`` × ``height`` CSS pixels showing ``url``, loaded, images decoded."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        page.resize(width, height)
        self.send("Page.navigate", {"url": url}, session)
        deadline = time.monotonic() + self.timeout_s
        while page.evaluate("document.readyState") != "complete":
            if time.monotonic() > deadline:
                raise BrowserError(f"{url} did not finish loading")
            time.sleep(0.05)
        page.evaluate("Promise.all([...document.images].map(i => i.decode().catch(() => null))).then(() => 1)")
        self._note_children()
        return page

    # -- processes -------------------------------------------------------------
    def _note_children(self) -> None:
        """Remember every process of Chromium's process group (to check they are all gone later)."""
        self.pids_seen |= set(group_pids(self.proc.pid)) | set(descendants(self.proc.pid))

    def alive(self) -> list[int]:
        """Processes this browser started that still exist (zombies count as ended)."""
        return [p for p in self.pids_seen | set(group_pids(self.proc.pid)) if _running(p)]

    def close(self) -> None:
        self._note_children()
        try:
            if self.proc.poll() is None:
                try:
                    self.send("Browser.close")
                except (BrowserError, OSError):
                    pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if not self.alive():
                    break
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                end = time.monotonic() + 5
                while self.alive() and time.monotonic() < end:
                    time.sleep(0.05)
            if self.proc.poll() is None:
                self.proc.wait(timeout=5)
        finally:
            for fd in (self._to_chrome, self._from_chrome):
                try:
                    os.close(fd)
                except OSError:
                    pass
            shutil.rmtree(self._profile, ignore_errors=True)

    def __enter__(self) -> "Browser":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    def __init__(self, browser: Browser, session: str):
        self.browser = browser
        self.session = session

    def send(self, method: str, params: dict | None = None) -> dict:
        return self.browser.send(method, params, self.session)

    def resize(self, width: int, height: int = 900) -> None:
        self.send("Emulation.setDeviceMetricsOverride",
                  {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": False})

    def evaluate(self, expression: str):
        """The JSON value of a JavaScript expression (promises are awaited)."""
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True,
                                                "awaitPromise": True})
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]}...: {result['exceptionDetails'].get('text')}")
        return result["result"].get("value")

    def screenshot(self) -> bytes:
        """A PNG of the whole page (not only the viewport)."""
        data = self.send("Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True})["data"]
        return base64.b64decode(data)

    def pdf(self, paper_width_in: float, paper_height_in: float) -> bytes:
        """The page printed (print stylesheet) on paper of the given size in inches."""
        data = self.send("Page.printToPDF", {"paperWidth": paper_width_in, "paperHeight": paper_height_in,
                                              "printBackground": True, "marginTop": 0.5, "marginBottom": 0.5,
                                              "marginLeft": 0.5, "marginRight": 0.5})["data"]
        return base64.b64decode(data)


def group_pids(pgid: int) -> list[int]:
    """Processes whose process group is ``pgid`` (from /proc)."""
    out = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # fields after "(comm)": state, ppid, pgrp, ...
            out.append(int(entry))
    return out


def descendants(root: int) -> list[int]:
    """Every process below ``root`` in the process tree (from /proc)."""
    parent = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                fields = Path(f"/proc/{entry}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            parent[int(entry)] = int(fields[1])
    out, frontier = [], {root}
    while frontier:
        frontier = {p for p, pp in parent.items() if pp in frontier}
        out.extend(frontier)
    return out


def _running(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


PAPER_IN = {"A4": (8.27, 11.69), "Letter": (8.5, 11.0)}
