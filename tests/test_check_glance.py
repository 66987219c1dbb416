"""``check`` at a glance: colour on a terminal only, never when piped or under NO_COLOR."""

from __future__ import annotations

import os
import pty
import shutil
import subprocess
import sys

import pytest

from runload.store import Store
from tests.report.helpers import ALERT_WEEK, add_runs


def _run_on_tty(args, env):
    master, slave = pty.openpty()
    try:
        proc = subprocess.run(args, stdout=slave, stderr=subprocess.PIPE, env=env, timeout=120)
        os.close(slave)
        slave = None
        chunks = []
        while True:
            try:
                data = os.read(master, 65536)
            except OSError:  # EIO: the other end is closed
                break
            if not data:
                break
            chunks.append(data)
        return proc.returncode, b"".join(chunks).decode()
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)


def test_severity_colour_on_a_terminal_only(tmp_path):
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        add_runs(store, "alex", ALERT_WEEK)
    args = [sys.executable, "-m", "runload", "--db", str(db), "check", "--as-of", "2024-01-17"]
    env = {**os.environ, "RUNLOAD_CONFIG": str(tmp_path / "none.toml")}
    (tmp_path / "none.toml").write_text("")
    env.pop("NO_COLOR", None)
    code, tty_text = _run_on_tty(args, env)
    assert code == 0 and "\x1b[31m" in tty_text and "ALERT" in tty_text  # red alert on a terminal
    piped = subprocess.run(args, capture_output=True, text=True, env=env, timeout=120)
    assert "ALERT" in piped.stdout and "\x1b" not in piped.stdout
    code, no_color = _run_on_tty(args, {**env, "NO_COLOR": "1"})
    assert "ALERT" in no_color and "\x1b" not in no_color
