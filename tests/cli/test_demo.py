"""`make demo` prints what the README shows: the README's demo block is the real output of
the Makefile's demo case on 2 ranks (only the wall time differs from run to run)."""

from __future__ import annotations

import re
import subprocess

import pytest

BLOCK = re.compile(r"<!-- demo-output -->\n```\n(.*?)```", re.S)


def demo_case(root) -> str:
    return re.search(r"^DEMO_CASE := (\S+)$", (root / "Makefile").read_text(), re.M).group(1)


def mask(text: str, out: str) -> str:
    """The wall time and the OUT folder are the run's own; everything else must match."""
    text = re.sub(r"rank(s?), [0-9.]+ s$", r"rank\1, <wall> s", text, flags=re.M)
    return text.replace(out, "OUT").strip()


@pytest.mark.slow
def test_the_readme_shows_the_demo_as_it_runs(tmp_path, sprout, root, python):
    """The flagship (a 3D diced CSP, P2, on 2 ranks) runs without a warning, and the report
    it prints equals the README's block line for line."""
    out = tmp_path / "demo"
    r = sprout("run", demo_case(root), "-o", out, "-q", ranks=2, timeout=600)
    assert r.returncode == 0 and r.stderr == "", r.stderr
    printed = subprocess.run([python, "-m", "solver.workflow.report", str(out / "summary.json")], capture_output=True,
                             text=True, cwd=root, check=True).stdout
    assert "warning" not in printed
    shown = BLOCK.search((root / "README.md").read_text())
    assert shown is not None, "README.md has no <!-- demo-output --> block"
    assert mask(printed, str(out)) == mask(shown.group(1), "results/demo")
