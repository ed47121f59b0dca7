"""Every quotebot module imports in a fresh interpreter, and the modules import in no circle
(module-level imports; with the lazy ones inside functions too, none through the answering
core: quotebot.bot and quotebot.index)."""

from __future__ import annotations

import ast
import importlib.util
import pkgutil
import subprocess
import sys
from pathlib import Path

import quotebot

PACKAGES = ["quotebot", "quotebot.bot", "quotebot.index", "quotebot.ui", "quotebot.evaluation"]
PACKAGES += ["quotebot.evaluation.metrics", "quotebot.prompts", "quotebot.evals"]


def modules() -> dict[str, Path]:
    """Return every quotebot module's dotted name and file."""
    found: dict[str, Path] = {}
    for package in PACKAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.submodule_search_locations is None:
            continue
        folder = Path(spec.submodule_search_locations[0])
        if (folder / "__init__.py").exists():
            found[package] = folder / "__init__.py"
        for info in pkgutil.iter_modules([str(folder)]):
            if not info.ispkg:
                found[f"{package}.{info.name}"] = folder / f"{info.name}.py"
    return found


def imports(name: str, path: Path, known: set[str], lazy: bool) -> set[str]:
    """Return the quotebot modules that module `name` imports (with `lazy`, also inside
    functions)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    nodes = ast.walk(tree) if lazy else iter(tree.body)
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - node.level + 1]
                base = ".".join([*parts, base] if base else parts)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                out.add(target)
    return out


def cycle(graph: dict[str, set[str]]) -> list[str]:
    """Return one import circle in `graph`, or [] when there is none."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt) :] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return []

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return []


def test_every_module_imports_in_a_fresh_interpreter():
    names = sorted(modules())
    assert "quotebot.bot.pipeline" in names and "quotebot.index.lexicon" in names
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\n"
    done = subprocess.run(
        [sys.executable, "-c", code, *names], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_every_benchmark_script_imports():
    """The repository's scripts (bench/: the benchmark, the tuner, the question generators) are
    not in the wheel and run only by hand: an import that breaks in a refactor shows here."""
    root = Path(__file__).resolve().parents[1]
    names = sorted(f"bench.{p.stem}" for p in (root / "bench").glob("*.py"))
    assert "bench.synth_questions" in names and "bench.tune" in names
    code = "import importlib, sys\nfor n in sys.argv[1:]:\n    importlib.import_module(n)\n"
    done = subprocess.run(
        [sys.executable, "-c", code, *names],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=root,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def reaches(graph: dict[str, set[str]], start: str, goal: str) -> bool:
    """Return True when `goal` can be reached from `start` along `graph`'s edges."""
    seen, todo = set(), [start]
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(graph[node])
    return False


def test_no_import_circle_among_quotebot_modules():
    found = modules()
    graph = {n: imports(n, p, set(found), lazy=False) for n, p in found.items()}
    assert cycle(graph) == []


def test_no_lazy_import_circle_through_the_answering_core():
    found = modules()
    graph = {n: imports(n, p, set(found), lazy=True) for n, p in found.items()}
    core = [n for n in graph if n.startswith(("quotebot.bot", "quotebot.index"))]
    circular = [n for n in core if any(reaches(graph, nxt, n) for nxt in graph[n])]
    assert circular == []


def test_the_cycle_check_finds_a_circle():
    assert cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert cycle({"a": {"b"}, "b": set()}) == []


def test_the_import_graph_sees_relative_and_lazy_imports():
    found = modules()
    bot = imports("quotebot.bot.bot", found["quotebot.bot.bot"], set(found), lazy=True)
    assert {"quotebot.bot.pipeline", "quotebot.bot.langchain_retriever", "quotebot.bot.llm"} <= bot
    eager = imports("quotebot.bot.bot", found["quotebot.bot.bot"], set(found), lazy=False)
    assert "quotebot.bot.llm" not in eager and "quotebot.bot.pipeline" in eager
    assert quotebot.__name__ == "quotebot"
