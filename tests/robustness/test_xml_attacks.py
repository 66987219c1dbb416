"""Acceptance 3: hostile XML in GPX and TCX is refused quickly, with bounded memory and a clear reason.

Small attacks run in this process under a 2 s deadline; the 50 MB and 100k-level
ones run in a fresh process each (``xml_attacks.py``) so that the peak RSS is the
attack's own, with a hard subprocess timeout so a quadratic parser fails fast
instead of hanging the suite.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from runload.errors import ImportFormatError
from runload.importers import read_bytes
from runload.ingest import import_paths
from runload.store import Store

from . import xml_attacks
from .conftest import check_read, max_rss_mb

DRIVER = Path(xml_attacks.__file__)
LIMIT_S = 2.0
#: Peak RSS allowed for one attack process [MB]: the 50 MB input is built 2-3 times over by the driver itself.
ATTACK_PEAK_MB = 400
#: Growth of the peak RSS while read_bytes runs [MB], beyond what building the input cost.
ATTACK_GROWTH_MB = 150

DTD_ATTACKS = ("billion_laughs", "quadratic_blowup", "external_entity", "external_dtd", "parameter_entity")


def _passwd_markers() -> list[bytes]:
    try:
        lines = Path("/etc/passwd").read_bytes().splitlines()
    except OSError:
        return [b"root:x:0:0"]
    return [line for line in lines if line.count(b":") >= 5][:5] or [b"root:x:0:0"]


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_valid_documents_are_read(fmt):
    """The attack templates are otherwise valid: the refusals below are about the attack."""
    acts = check_read(xml_attacks.build("valid", fmt))
    assert isinstance(acts, list) and acts[0].sport == "running"


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
@pytest.mark.parametrize("attack", DTD_ATTACKS)
def test_dtd_and_entity_attacks_refused(attack, fmt):
    before = max_rss_mb()
    data = xml_attacks.build(attack, fmt)
    result = check_read(data, limit_s=LIMIT_S)
    assert isinstance(result, ImportFormatError), f"{attack} {fmt} was accepted"
    assert "DTD" in result.reason or "entit" in result.reason
    for marker in _passwd_markers():
        assert marker.decode() not in result.reason
    assert max_rss_mb() - before < 50


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_nothing_from_etc_passwd_is_stored(fmt, tmp_path):
    """Every entity/XInclude route to /etc/passwd, imported through the pipeline: no stored byte comes from it."""
    folder = tmp_path / "in"
    folder.mkdir()
    for attack in (*DTD_ATTACKS, "xinclude"):
        (folder / f"{attack}.{fmt}").write_bytes(xml_attacks.build(attack, fmt))
    db = tmp_path / "s.db"
    with Store.open(db) as store:
        report = import_paths(store, [folder], athlete="x", jobs=1)
        texts = [str(v) for row in store.conn.execute("SELECT * FROM activities") for v in row]
        texts += [str(v) for row in store.conn.execute("SELECT * FROM import_files") for v in row]
    assert {f.rsplit("/", 1)[-1] for f, _ in report.skipped} == {f"{a}.{fmt}" for a in DTD_ATTACKS}
    blob = "\n".join(texts).encode()
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    for marker in _passwd_markers():
        assert marker not in blob and marker not in raw


def _run_driver(attack: str, fmt: str, tmp_path: Path, timeout: float) -> dict:
    try:
        proc = subprocess.run([sys.executable, str(DRIVER), attack, fmt, str(tmp_path / f"{attack}.db")],
                              capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{attack} ({fmt}) still running after {timeout} s (limit {LIMIT_S} s)")
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def _bounded(result: dict) -> None:
    assert result["seconds"] < LIMIT_S, result
    assert result["peak_mb"] < ATTACK_PEAK_MB, result
    assert result["peak_mb"] - result["base_mb"] < ATTACK_GROWTH_MB, result
    assert result["max_field_len"] < 10_000, result  # no 50 MB string ends up in a stored field


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
@pytest.mark.parametrize("attack", ["deep_nesting", "deep_nesting_unclosed", "huge_text"])
def test_deep_and_huge_documents_bounded(attack, fmt, tmp_path):
    """100,000 levels of nesting and 50 MB of text: done in < 2 s with bounded memory, whatever the verdict."""
    result = _run_driver(attack, fmt, tmp_path, timeout=30)
    _bounded(result)
    if result["outcome"] == "refused":
        assert result["reason"] and "\n" not in result["reason"]


def test_huge_attribute_refused_quickly(tmp_path):
    """GPX and TCX with a 50 MB attribute, side by side in two processes (the slow case fails in ~4 s)."""
    procs = {
        fmt: subprocess.Popen([sys.executable, str(DRIVER), "huge_attribute", fmt, str(tmp_path / f"{fmt}.db")],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for fmt in ("gpx", "tcx")
    }
    try:
        for fmt, proc in procs.items():
            try:
                out, err = proc.communicate(timeout=4.0)
            except subprocess.TimeoutExpired:
                pytest.fail(f"50 MB attribute in {fmt}: still parsing after 4 s (limit {LIMIT_S} s)")
            assert proc.returncode == 0, err[-2000:]
            _bounded(json.loads(out.strip().splitlines()[-1]))
    finally:
        for proc in procs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.mark.parametrize("fmt", ["gpx", "tcx"])
def test_deep_nesting_refused_with_reason(fmt):
    result = check_read(xml_attacks.build("deep_nesting", fmt), limit_s=LIMIT_S)
    assert isinstance(result, ImportFormatError)
    assert "nested more than 1000 levels" in result.reason
