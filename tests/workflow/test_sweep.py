"""Parameter sweeps: expansion (grid, list, Latin hypercube), the local executor, resume
after SIGKILL, status. The SLURM executor's tests are in test_slurm.py."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from solver.core.case import CaseError
from solver.workflow.sweep import SweepSpec, expand

CASES = Path(__file__).resolve().parents[2] / "cases"
GRID = CASES / "sweeps" / "bimetal_grid.toml"


def spec(**kw) -> SweepSpec:
    return SweepSpec.model_validate({"name": "s", "base": "x.toml", **kw})


def test_grid_list_and_latin_hypercube_expansion():
    grid = expand(spec(parameters={"a": ["1 um", "2 um"], "b": [1, 2, 3]}))
    assert len(grid) == 6 and grid[0].values == {"a": "1 um", "b": 1} and grid[-1].id == "case_0005"
    assert grid[0].overrides() == ['a="1 um"', "b=1"]
    paired = expand(spec(method="list", parameters={"a": ["1 um", "2 um"], "b": [1, 2]}))
    assert [c.values for c in paired] == [{"a": "1 um", "b": 1}, {"a": "2 um", "b": 2}]
    lhs = spec(method="latin_hypercube", samples=10, seed=7,
               parameters={"r": {"low": "10 um", "high": "30 um"}, "k": {"low": 0.0, "high": 1.0}})
    a, b = expand(lhs), expand(lhs)
    assert [c.values for c in a] == [c.values for c in b]  # the seed fixes the design
    r = np.array([float(c.values["r"].split()[0]) for c in a])
    k = np.array([c.values["k"] for c in a])
    # one sample in each tenth of each range
    assert sorted(np.floor((r - 10) / 2).astype(int)) == list(range(10))
    assert sorted(np.floor(k * 10).astype(int)) == list(range(10))
    assert all(c.values["r"].endswith(" um") for c in a)


@pytest.mark.parametrize("bad, words", [
    ({"method": "latin_hypercube", "parameters": {"a": ["1 um"]}}, "ranges"),
    ({"method": "latin_hypercube", "parameters": {"a": {"low": "1 um", "high": "2 um"}}}, "samples"),
    ({"method": "list", "parameters": {"a": [1, 2], "b": [1]}}, "same length"),
    ({"parameters": {}}, "parameters"),
])
def test_bad_sweeps_are_refused(bad, words):
    with pytest.raises(ValueError, match=words):
        spec(**bad)


def test_a_case_the_base_refuses_stops_the_sweep_before_it_runs(tmp_path, sprout):
    sweep = tmp_path / "bad.toml"
    sweep.write_text(GRID.read_text().replace('base = "../validation/bimetal_strip.toml"',
                                              f'base = "{(CASES / "validation" / "bimetal_strip.toml").as_posix()}"')
                     .replace('"load.temperature" = ["25 degC", "-55 degC"]', '"load.temperature" = ["25 degC", 3]'))
    r = sprout("sweep", sweep, "-o", tmp_path / "out")
    assert r.returncode == 2 and "case_0001" in r.stderr and "load.temperature" in r.stderr
    assert not (tmp_path / "out").exists()
    with pytest.raises(CaseError):
        from solver.workflow.sweep import load_sweep

        load_sweep(tmp_path / "missing.toml")


def _rows(path):
    with open(path) as fh:
        return list(csv.DictReader(fh))


@pytest.mark.slow
def test_local_sweep_collects_every_case(local_reference):
    rows = _rows(local_reference / "results.csv")
    assert [r["case"] for r in rows] == ["case_0000", "case_0001", "case_0002", "case_0003"]
    assert all(r["status"] == "ok" for r in rows)
    assert rows[0]["geometry.layers[1].thickness"] == "0.25 mm"
    assert float(rows[0]["geometry.layers[1].thickness [m]"]) == pytest.approx(2.5e-4)
    assert float(rows[1]["load.temperature [K]"]) == pytest.approx(218.15)
    # the bimetal bends more the further it cools: the sweep's results follow the parameters
    k = {(r["geometry.layers[1].thickness"], r["load.temperature"]): float(r["curvature_1_per_m"]) for r in rows}
    assert abs(k[("0.5 mm", "-55 degC")]) > abs(k[("0.5 mm", "25 degC")])
    assert (local_reference / "responses.png").exists() and (local_reference / "timings.csv").exists()


@pytest.mark.slow
def test_resume_after_sigkill_gives_the_same_results(tmp_path, local_reference, sprout, root, python):
    """Killed with SIGKILL (the sweep and its running case) once two cases are complete,
    then resumed: the completed cases are skipped, the rest run, and results.csv equals the
    uninterrupted run's."""
    out = tmp_path / "killed"
    proc = subprocess.Popen([python, "-m", "solver", "sweep", str(GRID), "-o", str(out), "-j", "1"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline:
        done = [p for p in (out / "cases").glob("case_*/summary.json")] if (out / "cases").exists() else []
        if len(done) >= 2:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = {p.parent.name for p in (out / "cases").glob("case_*/summary.json")}
    assert 2 <= len(finished) < 4, finished
    before = {c: (out / "cases" / c / "summary.json").stat().st_mtime_ns for c in finished}
    r = sprout("sweep", GRID, "-o", out, "--resume")
    assert r.returncode == 0, r.stderr
    assert (out / "results.csv").read_text() == (local_reference / "results.csv").read_text()
    for c, mtime in before.items():  # skipped, not rerun
        assert (out / "cases" / c / "summary.json").stat().st_mtime_ns == mtime
    assert not list((out / "cases").glob(".*.partial-*"))


@pytest.mark.slow
def test_a_finished_sweep_is_not_overwritten(tmp_path, local_reference, sprout):
    r = sprout("sweep", GRID, "-o", local_reference)
    assert r.returncode == 2 and "--resume" in r.stderr


@pytest.mark.slow
def test_isolated_processes_give_the_workers_results(tmp_path, local_reference, sprout):
    """--isolated (one process per case) and the in-process workers write the same
    results.csv: the workers carry no state from case to case that changes a result."""
    out = tmp_path / "isolated"
    r = sprout("sweep", GRID, "-o", out, "-j", "2", "--isolated")
    assert r.returncode == 0, r.stderr
    assert (out / "results.csv").read_text() == (local_reference / "results.csv").read_text()
    assert "in_process" in (local_reference / "logs" / "case_0000.json").read_text()
    assert "in_process" not in (out / "logs" / "case_0000.json").read_text()


@pytest.mark.slow
def test_sigterm_stops_a_local_sweep_and_its_running_cases(tmp_path, root, python, sprout):
    """SIGTERM to the sweep alone (a batch system's time limit on the process that started
    it): the sweep passes it to the cases running in its two workers, each ends as an
    interrupted run (summary says so, checkpoint kept for --resume), no worker is left
    behind, and the sweep ends with exit 143 in seconds, not when the cases would have."""
    sweep = tmp_path / "cycles.toml"
    sweep.write_text(f'''[sweep]
name = "cycles"
base = "{root / 'cases' / 'reliability' / 'die_attach_cycling.toml'}"
method = "grid"
set = ["output.fields=false", "output.picture=false", "load.cycle.cycles=4"]
responses = ["attach_die_edge_energy_density_per_cycle_kJ_per_m3"]
[sweep.parameters]
"load.cycle.high" = ["125 degC", "150 degC"]
''')
    out = tmp_path / "out"
    proc = subprocess.Popen([python, "-m", "solver", "sweep", str(sweep), "-o", str(out), "-j", "2"], cwd=root,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 240
    while time.time() < deadline and len(list(out.glob("cases/case_*/checkpoint.npz"))) < 2:
        time.sleep(0.1)
    assert len(list(out.glob("cases/case_*/checkpoint.npz"))) == 2, "both cases should be stepping"
    running = sprout("status", out)  # a look while it runs: the cases' locks say who is running
    assert running.returncode == 0 and running.stdout.startswith("out: 0 of 2 cases done (2 running)"), running.stdout
    t = time.time()
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    after = sprout("status", out)
    assert after.stdout.startswith("out: 0 of 2 cases done (2 interrupted)"), after.stdout
    assert time.time() - t < 30
    for case in ("case_0000", "case_0001"):
        data = json.loads((out / "cases" / case / "summary.json").read_text())
        assert data["status"] == "interrupted", data
        assert (out / "cases" / case / "checkpoint.npz").exists()
    left = subprocess.run(["pgrep", "-f", f"sweep-worker {out}"], capture_output=True, text=True).stdout
    assert left == "", left


def test_a_response_no_case_reports_is_refused(tmp_path, sprout):
    """A sweep's responses name results of cases not run yet; a typo (curvature_1_per_mm)
    used to plot nothing after the whole sweep. It is refused before any case runs, in
    check and in sweep, naming the entry and the results the base case reports."""
    sweep = tmp_path / "grid.toml"
    sweep.write_text(GRID.read_text().replace("../validation/", f"{GRID.parent.parent}/validation/")
                     .replace('"curvature_1_per_m"', '"curvature_1_per_mm"'))
    for args in (("check", sweep), ("sweep", sweep, "-o", tmp_path / "out")):
        r = sprout(*args)
        assert r.returncode == 2 and "sweep.responses[0]: 'curvature_1_per_mm' is not a result" in r.stderr, r.stderr
        assert "curvature_1_per_m" in r.stderr  # what it does report
    assert not (tmp_path / "out").exists()


@pytest.mark.slow
def test_status_of_a_finished_sweep(tmp_path, local_reference, sprout):
    """`sprout status OUT` on the finished grid: every case ok and each response's range over
    them; then on a copy where one case failed (its summary's reason shown) and one never
    ran (pending, as after a killed job), and on a folder that is not a sweep (exit 2)."""
    r = sprout("status", local_reference)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == "local: 4 of 4 cases done (4 ok)"
    rows = _rows(local_reference / "results.csv")
    k = [float(row["curvature_1_per_m"]) for row in rows]
    assert f"  curvature_1_per_m: {min(k):.6g} .. {max(k):.6g} over 4 case(s)" in lines
    copy = tmp_path / "copy"
    shutil.copytree(local_reference, copy)
    failed = copy / "cases" / "case_0002" / "summary.json"
    data = json.loads(failed.read_text())
    failed.write_text(json.dumps(data | {"status": "failed", "error": "not converged after 2000 iterations"}))
    (copy / "cases" / "case_0003" / "summary.json").unlink()
    (copy / "logs" / "case_0003.json").unlink()
    lines = sprout("status", copy).stdout.splitlines()
    assert lines[0] == "copy: 3 of 4 cases done (2 ok, 1 failed, 1 pending)"
    assert "  failed case_0002: not converged after 2000 iterations" in lines
    assert sprout("status", tmp_path).returncode == 2
