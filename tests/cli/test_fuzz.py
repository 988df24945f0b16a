"""Hostile and careless input, generated: seeded mutations of every shipped case, sweep and
flow file (a value replaced by a wrong type, a huge, deep, non-finite or path-like value; a
key deleted or added; a table turned into a list; ``kind`` broken), run through ``sprout
check`` in-process and a sample through ``sprout run``.

The rule each must keep: exit 0 (the mutation is still a valid case) or exit 2 with one
line on stderr naming the problem; never a traceback or an internal error, nothing written,
and no file read outside the case's own folder tree: every path-like mutation points at a
canary file outside it, whose marker must never appear in a message.

The default gate runs a fast subset (SUBSET mutations per file); the full set is marked
slow. Seeded: a failure names its seed and mutation, and reproduces."""

from __future__ import annotations

import contextlib
import io
import json
import random
import shutil
from pathlib import Path

import pytest

from solver.cli import main
from solver.core.resolved_toml import toml_key, toml_value

ROOT = Path(__file__).resolve().parents[2]
CANARY_MARK = "CANARY-7f3a9c"
SUBSET, FULL = 12, 60  # mutations per file: default gate, slow set


def shipped_files() -> list[Path]:
    return sorted(p.relative_to(ROOT / "cases") for p in (ROOT / "cases").rglob("*.toml"))


# -- mutated files are written by sprout's own TOML writer (every structure on one line) ---
def to_toml(data: dict) -> str:
    return "".join(f"{toml_key(str(k))} = {toml_value(v)}\n" for k, v in data.items())


# -- mutations ------------------------------------------------------------------------------
def nested(depth: int):
    v: object = 1
    for _ in range(depth):
        v = [v]
    return v


def hostile_values(canary: Path) -> list:
    return [
        None, [], {}, [[["x"]]], {"a": {"b": {"c": 1}}}, nested(300), "", " ", "x" * 200_000, -1, 0, 10**30,
        -(2**63), 1e308, float("nan"), float("inf"), True, "1e999 um", "5 K*9**9**9", "5 um*(2**64)**(2**64)",
        "0 um", "-5 um", "1e-30 um", "30 mm", "nan um", "5 furlong", "5", "\u00b5m", "\x7f", "caf\u00e9",
        str(canary), f"../../../../../../../..{canary}", "/dev/zero", "/proc/self/environ", "{x}/../../../etc/passwd",
        ["a", 1, 2.5], [{"a": 1}], 3.5, "kind",
    ]


def leaves(node, path=()):
    """(path, value) of every value in a parsed TOML document."""
    if isinstance(node, dict):
        for k, v in node.items():
            yield from leaves(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from leaves(v, path + (i,))
    if path:
        yield path, node


def set_at(doc, path, value):
    node = doc
    for p in path[:-1]:
        node = node[p]
    if value is None:
        del node[path[-1]]
    else:
        node[path[-1]] = value


def mutate(doc: dict, rng: random.Random, canary: Path) -> tuple[dict, str]:
    import copy

    doc = copy.deepcopy(doc)
    spots = list(leaves(doc))
    kind = rng.random()
    if kind < 0.1:
        value = rng.choice([["reliability"], {"a": 1}, 5, "nope", "", None])
        set_at(doc, ("kind",), value) if "kind" in doc or value is not None else None
        return doc, f"kind <- {value!r}"[:120]
    path, old = rng.choice(spots)
    if kind < 0.2 and isinstance(old, dict):
        key = rng.choice(["unknown_key", "Kind", "name ", "\u00e9"])
        old[key] = 1
        return doc, f"{'.'.join(map(str, path))}.{key} added"
    if kind < 0.3 and isinstance(old, dict):
        set_at(doc, path, [old])
        return doc, f"{'.'.join(map(str, path))} table -> list"
    value = rng.choice(hostile_values(canary))
    set_at(doc, path, value)
    return doc, f"{'.'.join(map(str, path))} <- {value!r}"[:160]


# -- the run --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def tree(tmp_path_factory):
    """A copy of cases/ (mutations live beside the files they reference) and a canary file
    outside it."""
    base = tmp_path_factory.mktemp("fuzz")
    shutil.copytree(ROOT / "cases", base / "cases", ignore=shutil.ignore_patterns("*.png"))
    canary = base / "outside" / "canary.toml"
    canary.parent.mkdir()
    canary.write_text(f'kind = "{CANARY_MARK}"\nname = "{CANARY_MARK}"\n[sweep]\nname = "{CANARY_MARK}"\n')
    return base, canary


def check_in_process(path: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(["check", str(path)])
        except SystemExit as exc:  # argparse
            code = exc.code if isinstance(exc.code, int) else 2
    return code, out.getvalue(), err.getvalue()


def fuzz_file(rel: Path, count: int, tree) -> list[str]:
    import tomllib

    base, canary = tree
    original = base / "cases" / rel
    doc = tomllib.loads(original.read_text())
    rng = random.Random(f"{rel}:{count}")
    problems = []
    for i in range(count):
        mutated, what = mutate(doc, rng, canary)
        path = original.with_name(f"_fuzz_{i}_{original.name}")
        path.write_text(to_toml(mutated), encoding="utf-8")
        before = set(base.rglob("*"))
        code, out, err = check_in_process(path)
        lines = [line for line in err.splitlines() if line.strip()]
        where = f"{rel} mutation {i} ({what}): exit {code}"
        if code not in (0, 2):
            problems.append(f"{where}; {err[-300:]}")
        elif code == 2 and len(lines) != 1:
            problems.append(f"{where}; {len(lines)} lines: {err[:300]}")
        elif "Traceback" in err + out:
            problems.append(f"{where}; traceback")
        elif CANARY_MARK in err + out:
            problems.append(f"{where}; read the canary outside the case tree: {err[:200]}")
        elif len(err) > 2000:
            problems.append(f"{where}; a {len(err)}-character message")
        elif set(base.rglob("*")) != before:
            problems.append(f"{where}; wrote {sorted(set(base.rglob('*')) - before)[:3]}")
        path.unlink()
    return problems


@pytest.mark.parametrize("rel", shipped_files(), ids=str)
def test_mutated_files_are_refused_cleanly(rel, tree):
    """SUBSET seeded mutations of each shipped file through ``sprout check``: each exits 0
    or 2 with one short line, no traceback, nothing written, the canary never read."""
    problems = fuzz_file(rel, SUBSET, tree)
    assert not problems, "\n".join(problems)


@pytest.mark.slow
@pytest.mark.parametrize("rel", shipped_files(), ids=str)
def test_mutated_files_are_refused_cleanly_full(rel, tree):
    """The full set: FULL mutations per shipped file."""
    problems = fuzz_file(rel, FULL, tree)
    assert not problems, "\n".join(problems)


RUN_SAMPLE = ["validation/bimetal_strip.toml", "validation/lame_cylinder.toml", "plating/parallel_plates_bv.toml"]


@pytest.mark.slow
@pytest.mark.parametrize("rel", RUN_SAMPLE)
def test_a_sample_of_mutations_runs_or_is_refused(rel, tree, sprout):
    """8 mutations of each of three quick cases through ``sprout run`` (a subprocess, as a
    user runs it): exit 0, 1 with a failed summary, or 2 with one line and no OUT; never a
    traceback, an internal error or a run that does not end within 2 minutes."""
    import tomllib

    base, canary = tree
    original = base / "cases" / rel
    doc = tomllib.loads(original.read_text())
    rng = random.Random(f"run:{rel}")
    problems = []
    for i in range(8):
        mutated, what = mutate(doc, rng, canary)
        path = original.with_name(f"_run_{i}_{original.name}")
        path.write_text(to_toml(mutated), encoding="utf-8")
        out = base / "runs" / f"{original.stem}_{i}"
        r = sprout("run", path, "-o", out, timeout=120)
        lines = [line for line in r.stderr.splitlines() if line.strip() and not line.startswith("[sprout]")]
        where = f"{rel} mutation {i} ({what}): exit {r.returncode}"
        if r.returncode not in (0, 1, 2) or "Traceback" in r.stderr:
            problems.append(f"{where}; {r.stderr[-300:]}")
        elif r.returncode == 2 and (len(lines) != 1 or out.exists()):
            problems.append(f"{where}; {len(lines)} lines, OUT written: {out.exists()}")
        elif r.returncode == 1 and json.loads((out / "summary.json").read_text())["status"] != "failed":
            problems.append(f"{where}; exit 1 without a failed summary")
        elif CANARY_MARK in r.stderr:
            problems.append(f"{where}; read the canary")
        path.unlink()
    assert not problems, "\n".join(problems)
