"""Imports point down only: cli > workflow > {mechanics, plating, etch, geometry} (never
each other) > fronts > core > meshes, and ``meshes`` never imports ``solver``. Function-level
imports count as much as module-level ones, and module-level imports form no cycle.

The checker reads the source (ast), so it also runs on a copy with a forbidden import
added: that copy must fail, or the rule would be a test that cannot fail."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PHYSICS = ("mechanics", "plating", "etch", "geometry")
LAYER = {"meshes": 0, "solver._hook": 0, "solver.core": 1, "solver.fronts": 2, **{f"solver.{p}": 3 for p in PHYSICS},
         "solver.workflow": 4, "solver.cli": 5, "solver.__main__": 6, "solver": 7}


def unit(module: str) -> str:
    """The unit a module belongs to: its package under solver/, or meshes."""
    parts = module.split(".")
    if parts[0] == "meshes":
        return "meshes"
    if len(parts) == 1:
        return "solver"
    return ".".join(parts[:2])


def module_name(path: Path, root: Path) -> str:
    rel = path.relative_to(root).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> list[tuple[str, int, bool]]:
    """(imported module, line, at module level) for every import of solver or meshes."""
    tree = ast.parse(path.read_text())
    top = set(map(id, tree.body))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name.split(".")[0] in ("solver", "meshes"):
                found.append((name, node.lineno, id(node) in top))
    return found


def violations(root: Path) -> list[str]:
    modules = {module_name(p, root): p for d in ("solver", "meshes") for p in (root / d).rglob("*.py")}
    problems, graph = [], {}
    for module, path in sorted(modules.items()):
        mine = unit(module)
        graph[module] = set()
        for target, line, top in imports_of(path, module):
            if target not in modules and target.rpartition(".")[0] in modules:
                target = target.rpartition(".")[0]  # `from pkg.mod import name`
            if target not in modules:
                continue
            theirs = unit(target)
            if top and target != module and not module.startswith(target + "."):
                graph[module].add(target)
            if theirs == mine or mine == "solver":
                continue
            if LAYER[theirs] >= LAYER[mine]:
                problems.append(f"{path.relative_to(root)}:{line}: {module} ({mine}) imports {target} ({theirs})")
    problems += [f"import cycle: {' -> '.join(c)}" for c in cycles(graph)]
    return problems


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    found, state = [], {}

    def visit(node, stack):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                found.append(stack[stack.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, stack)
        stack.pop()
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return found


def test_imports_point_down_and_form_no_cycle():
    """Measured: no violation in solver/ and meshes/."""
    assert violations(ROOT) == []


def test_a_sideways_import_is_caught(tmp_path):
    """The same check on a copy where etch imports plating, core imports workflow and
    meshes imports solver: each is reported."""
    for d in ("solver", "meshes"):
        shutil.copytree(ROOT / d, tmp_path / d, ignore=shutil.ignore_patterns("__pycache__"))
    for rel, line in (("solver/etch/run.py", "from solver.plating.electrochem import FARADAY\n"),
                      ("solver/core/output.py", "    from solver.workflow import registry\n"),
                      ("meshes/base.py", "import solver.core.case\n")):
        path = tmp_path / rel
        text = path.read_text()
        if line.startswith("    "):  # inside a function: imports in functions count too
            text += "\n\ndef _probe():\n" + line
        else:
            text = line + text
        path.write_text(text)
    found = violations(tmp_path)
    assert any("solver.etch.run (solver.etch) imports solver.plating.electrochem" in p for p in found), found
    assert any("solver.core.output (solver.core) imports solver.workflow.registry" in p for p in found), found
    assert any("meshes.base (meshes) imports solver.core.case" in p for p in found), found


def test_a_module_level_cycle_is_caught():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [["a", "b", "c", "a"]]


def kind_dispatches(root: Path, kinds: set[str]) -> list[str]:
    """Places outside the registry that test a case's kind against a kind's name: a
    comparison or membership test with a registered kind's name, or a table keyed by them."""
    found = []
    for path in sorted((root / "solver").rglob("*.py")):
        if path.name == "registry.py" and path.parent.name == "workflow":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.Compare):
                for side in [node.left, *node.comparators]:
                    elts = side.elts if isinstance(side, (ast.Tuple, ast.List, ast.Set)) else [side]
                    names += [e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
                sides = [node.left, *node.comparators]
                if not any("kind" in ast.unparse(s) for s in sides):
                    continue
            elif isinstance(node, ast.Dict):
                names = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)]
                if len(set(names) & kinds) < 2:
                    continue
            hit = sorted(set(names) & kinds)
            if hit:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {', '.join(hit)}")
    return found


def test_no_dispatch_on_the_kind_outside_the_registry(tmp_path):
    """Everything that depends on the kind reads its record; measured: no place outside
    solver/workflow/registry.py compares a kind with a kind's name. A planted
    ``if case.kind == "fill"`` in a copy is found."""
    from solver.workflow.registry import KINDS

    assert kind_dispatches(ROOT, set(KINDS)) == []
    shutil.copytree(ROOT / "solver", tmp_path / "solver", ignore=shutil.ignore_patterns("__pycache__"))
    planted = tmp_path / "solver" / "workflow" / "driver.py"
    planted.write_text(planted.read_text() + '\n\ndef _probe(case):\n    return case.kind == "fill"\n')
    assert kind_dispatches(tmp_path, set(KINDS)) == ["solver/workflow/driver.py:" + str(
        planted.read_text().count("\n") - 0) + ": fill"]
