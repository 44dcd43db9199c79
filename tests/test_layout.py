"""The package layout: layers import only downward, no cycles, no import hidden in a function, the
shipped app needs no development tool, and no module grows past ~400 lines without saying why."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import grimp

from helpers import THROWAWAY_DATA_KEY

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
LAYERS = PYPROJECT["tool"]["importlinter"]["contracts"][0]["layers"]
PRODUCTION = [layer for layer in LAYERS if layer != "devtools"]
# What only the `dev` extra installs: the shipped app must run without any of it.
DEV_ONLY = ("devtools", "yaml", "cheroot")
LONG_MODULE = 400


def python_files(packages):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.relative_to(ROOT).parts:
                yield path


def test_the_layers_contract_holds():
    """import-linter's layers contract in pyproject.toml (what `lint-imports` checks)."""
    run = subprocess.run([Path(sys.executable).parent / "lint-imports"], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_layers_are_the_top_level_packages():
    packages = {p.parent.name for p in ROOT.glob("*/__init__.py")} - {"bench"}
    assert packages == set(LAYERS)
    assert set(PYPROJECT["tool"]["setuptools"]["packages"]["find"]["include"]) == {f"{p}*" for p in PRODUCTION}


def strongly_connected(graph) -> list[list[str]]:
    """Tarjan's algorithm over the import graph: every group of modules that import each other in a ring."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    rings: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            ring = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                ring.append(member)
                if member == module:
                    break
            if len(ring) > 1:
                rings.append(sorted(ring))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return rings


def test_there_are_no_import_cycles():
    sys.path.insert(0, str(ROOT))  # devtools is not installed (not shipped): found from the checkout
    try:
        graph = grimp.build_graph(*LAYERS)
    finally:
        sys.path.remove(str(ROOT))
    assert strongly_connected(graph) == []


def deferred_imports(path: Path) -> list[str]:
    """Imports of project modules inside a function or class body."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            for inner in ast.walk(node):
                names = ([alias.name for alias in inner.names] if isinstance(inner, ast.Import)
                         else [inner.module or ""] if isinstance(inner, ast.ImportFrom) and inner.level == 0
                         else ["." * inner.level] if isinstance(inner, ast.ImportFrom) else [])
                found += [f"{path.relative_to(ROOT)}:{inner.lineno} {name}" for name in names
                          if name.split(".")[0] in LAYERS or name.startswith(".")]
    return found


def test_no_project_module_is_imported_inside_a_function():
    assert [hit for path in python_files(LAYERS) for hit in deferred_imports(path)] == []


def test_long_modules_say_why():
    """A module over ~400 lines is one thing that reads best whole; its docstring says so ("Long: ...")."""
    unexplained = []
    for path in python_files(LAYERS):
        lines = path.read_text().count("\n")
        docstring = ast.get_docstring(ast.parse(path.read_text())) or ""
        if lines > LONG_MODULE and "Long:" not in docstring:
            unexplained.append(f"{path.relative_to(ROOT)} ({lines} lines)")
    assert unexplained == []


def test_the_shipped_app_needs_no_development_dependency(tmp_path):
    """No production dependency is a development tool, and the app starts, migrates and answers the
    webhook with every development package made unimportable (as after a bare `pip install .`)."""
    runtime = " ".join(PYPROJECT["project"]["dependencies"]).lower()
    assert not any(name in runtime for name in ("pyyaml", "cheroot", "fastjsonschema", "openapi", "pytest"))
    script = textwrap.dedent(f"""
        import importlib.abc, sys
        class NoDevTools(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in {DEV_ONLY!r}:
                    raise ImportError(f"development-only module {{name}} imported by the shipped app")
        sys.meta_path.insert(0, NoDevTools())
        from bot import create_app
        from bot.db_cli import upgrade_database
        app = create_app({{"DATABASE_URL": "sqlite:///{tmp_path / 'app.sqlite3'}", "INSTANCE_PATH": "{tmp_path}",
                          "LINE_CHANNEL_SECRET": "s", "LINE_CHANNEL_ACCESS_TOKEN": "t",
                          "DATA_ENCRYPTION_KEY": sys.argv[1]}})
        with app.app_context():
            upgrade_database()
        import handlers, scheduler  # every production package, every job and flow
        print(app.test_client().get("/healthz").status_code)
    """)
    env = {**os.environ, "PYTHONPATH": ""}
    run = subprocess.run([sys.executable, "-c", script, THROWAWAY_DATA_KEY], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr[-3000:]
    assert run.stdout.strip().endswith("200")
