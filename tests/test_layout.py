"""The layout: no import circle anywhere in ``src/runload`` (late imports inside functions included)."""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """{module: runload modules it imports}, from every import statement (top level or inside functions)."""
    files = {_module_name(p): p for p in SRC.joinpath("runload").rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        is_pkg = path.name == "__init__.py"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    pkg = mod.split(".") if is_pkg else mod.split(".")[:-1]
                    pkg = pkg[: len(pkg) - (node.level - 1)]
                    base = ".".join(pkg + ([base] if base else []))
                # "from package import module" depends on that module, not on the package's own code
                subs = [f"{base}.{a.name}" for a in node.names if f"{base}.{a.name}" in files]
                targets = subs if len(subs) == len(node.names) else [base] + subs
            for t in targets:
                while t and t not in files:
                    t = t.rpartition(".")[0]
                if t and t != mod and t.startswith("runload"):
                    graph[mod].add(t)
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    return out


def test_no_import_circle():
    found = cycles(import_graph())
    assert not found, "import circles: " + "; ".join(" <-> ".join(c) for c in found)


def test_help_and_completion_load_no_heavy_library():
    """``runload --help``, a command's help and shell completion import none of pandas, numpy,
    matplotlib or the decoders: every TAB of completion would pay for them."""
    import subprocess
    import sys

    code = (
        "import os, sys\n"
        "from runload.cli import cli\n"
        "for args in (['--help'], ['check', '--help'], ['weeks', '--help'], ['import', '--help']):\n"
        "    try:\n"
        "        cli(args, prog_name='runload', standalone_mode=False)\n"
        "    except SystemExit:\n"
        "        pass\n"
        "heavy = ('pandas', 'numpy', 'matplotlib', 'fitfast', 'fitparse', 'gpxpy', 'runload.store')\n"
        "print('HEAVY:' + ','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={**__import__("os").environ, "PYTHONPATH": str(SRC)})
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines()[-1] == "HEAVY:", out.stdout
    env = {**__import__("os").environ, "PYTHONPATH": str(SRC), "_RUNLOAD_COMPLETE": "bash_complete",
           "COMP_WORDS": "runload we", "COMP_CWORD": "1"}
    probe = ("import sys\n"
             "from runload.cli import cli\n"
             "try:\n    cli.main([], prog_name='runload', complete_var='_RUNLOAD_COMPLETE')\n"
             "except SystemExit:\n    pass\n"
             "print('HEAVY:' + ','.join(m for m in ('pandas', 'numpy', 'matplotlib') if m in sys.modules))\n")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, env=env)
    assert "weeks" in done.stdout and "HEAVY:\n" in done.stdout + "\n", done.stdout + done.stderr


def _loaded_after(args: list[str], watch: tuple[str, ...]) -> list[str]:
    """The modules of ``watch`` a whole ``runload ARGS`` process has loaded when it ends."""
    import os
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from runload.cli import cli\n"
        "try:\n"
        f"    cli({args!r}, prog_name='runload')\n"
        "except SystemExit as end:\n"
        "    assert end.code in (0, None), end.code\n"
        f"print('LOADED:' + ','.join(m for m in {watch!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONPATH": str(SRC)})
    assert out.returncode == 0, out.stderr
    line = out.stdout.splitlines()[-1]
    assert line.startswith("LOADED:"), out.stdout[-500:]
    return [m for m in line[len("LOADED:"):].split(",") if m]


def test_check_and_a_one_process_import_load_no_pandas(tmp_path):
    """``runload check`` on a real store and athlete reads the store's numpy columns: pandas and
    matplotlib never load (importing pandas alone costs a command ~0.2 s); ``runload import`` in one
    process (FIT, GPX and TCX files of the sample season) loads neither, nor the worker-pool machinery."""
    from tests.conftest import SAMPLES

    db = str(tmp_path / "s.db")
    watch = ("pandas", "matplotlib", "concurrent.futures.process")
    assert _loaded_after(["--db", db, "import", str(SAMPLES / "alex"), "--athlete", "alex", "--tz", "Europe/Berlin",
                          "--jobs", "1", "-q"], watch) == []
    for fmt in ("json", "text", "markdown"):  # the text renderers too: the default format is what cron runs
        assert _loaded_after(["--db", db, "check", "--athlete", "alex", "--as-of", "2026-11-21", "--format", fmt],
                             watch) == [], fmt
