"""Issue 11, item 4: output is safe in every format: escape sequences and newlines from file names and
names never reach the terminal raw, CSV cells never start a formula, Markdown never makes a link, a
``$`` in a shoe name is not math text, and ``report --out`` only ever replaces a regular file."""

from __future__ import annotations

import csv
import io
import os
import stat

import pytest

from click.testing import CliRunner

from runload.cli import cli

from .conftest import make_folder, run_cli, synthetic_bytes


class _Result:
    def __init__(self, result):
        self.returncode, self.stdout, self.stderr = result.exit_code, result.stdout, result.stderr


def run_in(args: list[str], db, **_kw) -> _Result:
    """The CLI in this process (faster than a process per call; the output is captured as from a pipe)."""
    return _Result(CliRunner().invoke(cli, ["--db", str(db), *args]))

ESC_TITLE = "\x1b]0;owned\x07"  # sets the terminal window title
ESC_RED = "\x1b[31m"


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """A store of 6 runs, one from a file whose name holds escape sequences and a newline, with a shoe
    named by an escape sequence (from a Strava activities.csv) and a shoe that looks like a formula."""
    root = tmp_path_factory.mktemp("out")
    folder = root / "watch"
    make_folder(folder, 5)
    evil_name = f"evil{ESC_TITLE}\nsecond line.gpx"
    (folder / evil_name).write_bytes(synthetic_bytes(40, "gpx"))
    (folder / f"broken{ESC_RED}.fit").write_bytes(b"not a fit file at all" * 10)
    (folder / "activities.csv").write_text(
        "Activity ID,Activity Date,Activity Name,Activity Type,Filename,Activity Gear\n"
        f'1,x,Morning,Run,a00001.gpx,"{ESC_RED}Red shoe"\n'
    )
    db = root / "r.db"
    proc = run_cli(["import", str(folder), "--athlete", "ann", "--tz", "UTC", "--jobs", "1"], db)
    assert proc.returncode == 3, proc.stderr  # the broken file is skipped
    proc = run_cli(["shoes", "add", "=HYPERLINK(\"http://x\",\"y\")", "--athlete", "ann"], db)
    assert proc.returncode == 0, proc.stderr
    return db, folder, proc


def _no_control(text: str) -> None:
    assert "\x1b" not in text and "\x07" not in text and "\r" not in text


def test_import_output_shows_file_names_escaped(store, tmp_path):
    _db, folder, _ = store
    proc = run_cli(["import", str(folder), "--athlete", "bob", "--jobs", "1"], tmp_path / "b.db")  # piped
    assert proc.returncode == 3
    _no_control(proc.stdout + proc.stderr)
    skipped = [line for line in proc.stdout.splitlines() if "broken" in line]
    assert len(skipped) == 1 and "broken\\x1b[31m.fit" in skipped[0]
    assert "second line" not in "".join(line for line in proc.stdout.splitlines() if line.startswith("second"))


@pytest.mark.parametrize("args", [["activities"], ["activities", "--format", "markdown"], ["shoes", "list"],
                                  ["activities", "--format", "csv"], ["weeks"], ["check"], ["summary"]])
def test_read_commands_never_print_control_characters(store, args):
    db, _folder, _ = store
    proc = run_in(args, db)
    assert proc.returncode in (0, 4, 5, 7), proc.stderr  # 7: the summary of a week without data
    _no_control(proc.stdout + proc.stderr)
    if args[0] == "activities" and args[1:] != ["--format", "csv"]:
        rows = [line for line in proc.stdout.splitlines() if "2026-0" in line]
        assert len(rows) == 6  # the newline in a file name did not split a row


def test_activities_csv_stores_the_escaped_source(store):
    db, _folder, _ = store
    proc = run_in(["activities", "--format", "csv"], db)
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    sources = [r["source"] for r in rows if "evil" in r["source"]]
    assert len(sources) == 1 and sources[0].endswith("evil\\x1b]0;owned\\x07\\nsecond line.gpx")
    assert any(r["shoe"] == "\\x1b[31mRed shoe" for r in rows)


def test_csv_cells_that_would_start_a_formula_are_neutralised(store, tmp_path):
    db, _folder, _ = store
    shoes = list(csv.reader(io.StringIO(run_in(["shoes", "list", "--format", "csv"], db).stdout)))
    cells = [c for row in shoes for c in row]
    assert "'=HYPERLINK(\"http://x\",\"y\")" in cells
    assert not any(c.startswith(("=", "+", "@")) for c in cells)
    assert run_in(["gaps", "add", "--from", "2026-03-20", "--to", "2026-03-21", "--reason", "@SUM(A1:A9)",
                    "--athlete", "ann"], db).returncode == 0
    assert run_in(["gaps", "add", "--from", "2026-03-23", "--to", "2026-03-23", "--reason", "-2+3",
                    "--athlete", "ann"], db).returncode == 0
    gaps = list(csv.DictReader(io.StringIO(run_in(["gaps", "list", "--format", "csv"], db).stdout)))
    assert [g["reason"] for g in gaps] == ["'@SUM(A1:A9)", "'-2+3"]
    weeks = list(csv.DictReader(io.StringIO(run_in(["weeks", "--format", "csv"], db).stdout)))
    changes = [w["change_pct"] for w in weeks if w["change_pct"]]
    assert any(c.startswith("-") for c in changes), changes  # a fall in distance: a negative number ...
    assert all(float(c) == float(c) for c in changes)  # ... written as a number, not quoted as a formula


def test_markdown_escapes_links_and_images(store):
    db, _folder, _ = store
    reason = "[click](javascript:alert(1)) ![x](http://evil.example/t.png)"
    assert run_in(["gaps", "add", "--from", "2026-04-01", "--to", "2026-04-01", "--reason", reason,
                    "--athlete", "ann"], db).returncode == 0
    out = run_in(["gaps", "list", "--format", "markdown"], db).stdout
    assert "](" not in out.replace("\\](", "")
    assert "\\[click\\](javascript:alert(1))" in out and "!\\[x\\](http://evil.example/t.png)" in out


def test_a_dollar_shoe_name_does_not_break_the_report(store, tmp_path):
    db, _folder, _ = store
    assert run_in(["shoes", "add", "$\\undefinedmacro$", "--athlete", "ann"], db).returncode == 0
    out = tmp_path / "r.html"
    proc = run_in(["report", "--out", str(out), "--athlete", "ann"], db)
    assert proc.returncode == 0, proc.stderr
    assert "$\\undefinedmacro$" in out.read_text()


def test_report_out_refuses_what_is_not_a_regular_file(store, tmp_path):
    db, _folder, _ = store
    target = tmp_path / "keep.txt"
    target.write_text("precious")
    os.symlink(target, tmp_path / "link.html")
    os.mkfifo(tmp_path / "fifo.html")
    (tmp_path / "folder.html").mkdir()
    specials = ["link.html", "fifo.html", "folder.html"]
    if os.geteuid() == 0:  # a device node of our own (as /dev/null), never a real one in /dev
        os.mknod(tmp_path / "dev.html", stat.S_IFCHR | 0o666, os.makedev(1, 3))
        specials.append("dev.html")
    for name in specials:
        path = tmp_path / name
        before = os.lstat(path)
        proc = run_in(["report", "--out", str(path), "--athlete", "ann"], db, timeout=60)
        assert proc.returncode == 2, (name, proc.stderr)
        assert "Usage:" in proc.stderr and "regular file" in proc.stderr
        after = os.lstat(path)
        assert (after.st_mode, after.st_ino) == (before.st_mode, before.st_ino), name
    assert target.read_text() == "precious"


def test_report_out_dash_writes_to_stdout(store, tmp_path):
    db, _folder, _ = store
    proc = run_cli(["report", "--out", "-", "--athlete", "ann"], db, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.lstrip().lower().startswith("<!doctype html") and proc.stdout.rstrip().endswith("</html>")
    assert not (tmp_path / "-").exists()
    assert "standard output" in proc.stderr
