"""Compile runload's sources before anything is timed.

The peers (fitparse, gpxpy, fitfast, click) come from site-packages with the bytecode pip wrote at
install time; an editable checkout has none until a run writes it, and with
``PYTHONDONTWRITEBYTECODE`` set (as on some CI machines) no run ever does, so every timed process would
recompile runload's modules (about 40 ms a process, measured on the FIT import). Compiling once here
times both sides as installed programs.
"""

from __future__ import annotations

import compileall
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def compile_sources() -> None:
    """Write the bytecode of ``src/`` (``__pycache__``, git-ignored); quiet, idempotent."""
    compileall.compile_dir(str(SRC), quiet=1)
