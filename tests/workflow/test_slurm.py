"""The SLURM executor: options from the sweep file's [slurm] table and the command line,
array jobs chunked under MaxArraySize and chained, srun for multi-rank cases, cancelled and
requeued tasks, and ``sprout status`` asking squeue. The tests marked slow run against the
real single-node SLURM of ``conftest.slurm`` (MaxArraySize = 3)."""

from __future__ import annotations

import csv
import json
import subprocess
import time

import pytest

from solver.core.case import CaseError
from solver.cli import build_parser
from solver.workflow.slurm import SlurmOptions, _task_ids, array_script
from solver.workflow.sweep import load_sweep
from solver.workflow.sweep_run import slurm_options

from .conftest import GRID


def _sweep_file(tmp_path, slurm_table: str = "") -> str:
    path = tmp_path / "grid.toml"
    path.write_text(GRID.read_text().replace("../validation/", f"{GRID.parent.parent.as_posix()}/validation/")
                    + slurm_table)
    return path


# the queue is looked at every second at most (default: spacing out to 10 s), so that a
# test's sweep ends within a second of its last case
POLL = "\n[slurm]\npoll_s = 1\n"


def _rows(path) -> list[dict]:
    with open(path) as fh:
        return list(csv.DictReader(fh))


def test_options_from_the_file_and_the_command_line_reach_the_scripts(tmp_path, sprout):
    """The [slurm] table sets the job's options, the command line's win, extra #SBATCH lines
    add up; max_array_size = 3 splits the 4 cases into arrays 0-2 and 0-0 (task t runs
    CASES[t]) chained by submit.sh; two-rank cases start under srun --mpi=pmi2."""
    sweep = _sweep_file(tmp_path, '\n[slurm]\ntime = "1:00:00"\npartition = "short"\naccount = "pkg"\n'
                                  'mem = "4G"\nextra = ["--mail-type=END"]\nmax_array_size = 3\n')
    out = tmp_path / "out"
    r = sprout("sweep", sweep, "-o", out, "--executor", "slurm", "--no-submit", "--ranks", "2", "-j", "2",
               "--time", "30", "--qos", "long", "--constraint", "skylake&ib", "--sbatch=--comment=run7", "--requeue")
    assert r.returncode == 0, r.stderr
    first = (out / "slurm" / "array-0.sbatch").read_text()
    for line in ("#SBATCH --array=0-2%2", "#SBATCH --ntasks=2", "#SBATCH --time=30", "#SBATCH --partition=short",
                 "#SBATCH --account=pkg", "#SBATCH --qos=long", "#SBATCH --mem=4G",
                 "#SBATCH --constraint=skylake&ib", "#SBATCH --requeue", "#SBATCH --mail-type=END",
                 "#SBATCH --comment=run7", "CASES=(0 1 2)"):
        assert line in first.splitlines(), (line, first)
    assert "--srun-mpi pmi2" in first and "1:00:00" not in first
    second = (out / "slurm" / "array-1.sbatch").read_text()
    assert "#SBATCH --array=0-0%2" in second and "CASES=(3)" in second
    submit = (out / "slurm" / "submit.sh").read_text()
    assert submit.count("sbatch --parsable") == 2 and "--dependency=afterany:$job" in submit
    assert not (out / "results.csv").exists() and not (out / "slurm" / "jobs.json").exists()


@pytest.mark.parametrize("table, words", [
    ('time = "2 hours"', "slurm.time: '2 hours' is not a SLURM time"),
    ('partion = "short"', "slurm.partion: unknown key"),
    ('mem = "4 GB"', "slurm.mem: '4 GB' is not a SLURM memory size"),
    ("max_array_size = 0", "slurm.max_array_size: must be greater than or equal to 1"),
    ('extra = ["--output=x"]', "slurm.extra: '--output=x': --output is set by sprout"),
])
def test_a_bad_slurm_table_is_refused_naming_the_key(tmp_path, table, words):
    with pytest.raises(CaseError) as err:
        load_sweep(_sweep_file(tmp_path, f"\n[slurm]\n{table}\n"))
    assert words in str(err.value)


@pytest.mark.parametrize("args, words", [
    (("--mem", "4GB"), "--mem: '4GB' is not a SLURM memory size"),
    (("--time", "soon"), "--time: 'soon' is not a SLURM time"),
    (("--sbatch=--array=0-9",), "--sbatch: '--array=0-9': --array is set by sprout"),
    (("--sbatch=mail-type=END",), "--sbatch: 'mail-type=END' is not one sbatch option"),
    (("--partition", "a b"), "--partition: String should match pattern"),
])
def test_a_bad_slurm_option_is_refused_naming_the_option(tmp_path, args, words):
    parsed = build_parser().parse_args(["sweep", str(_sweep_file(tmp_path)), "-o", "x", *args])
    spec, _ = load_sweep(parsed.sweep)
    with pytest.raises(CaseError) as err:
        slurm_options(parsed, spec)
    assert words in str(err.value)


def test_bad_slurm_input_is_exit_2_before_anything_is_written(tmp_path, sprout):
    """One line naming the option, exit 2; OUT is not created and nothing is submitted."""
    sweep = _sweep_file(tmp_path)
    r = sprout("sweep", sweep, "-o", tmp_path / "out", "--executor", "slurm", "--time", "soon")
    assert r.returncode == 2 and "--time: 'soon' is not a SLURM time" in r.stderr, r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and not (tmp_path / "out").exists()


def test_the_slurm_table_is_read_with_the_sweep(tmp_path):
    spec, _ = load_sweep(_sweep_file(tmp_path, '\n[slurm]\nqos = "long"\nrequeue = true\n'))
    assert spec.slurm.qos == "long" and spec.slurm.requeue and spec.slurm.mpi == "pmi2"
    path = tmp_path / "top.toml"
    path.write_text('slurm = "long"\n' + _sweep_file(tmp_path).read_text())
    with pytest.raises(CaseError, match="slurm: must be a table"):
        load_sweep(path)


def test_squeue_task_ranges_are_read():
    """squeue's %K: a task, a throttled range, a list of ranges."""
    assert _task_ids("3") == [3]
    assert _task_ids("2-5%2") == [2, 3, 4, 5]
    assert _task_ids("1,4-5") == [1, 4, 5]
    assert _task_ids("N/A") == []


def test_one_rank_scripts_start_the_case_without_srun(tmp_path):
    text = array_script(tmp_path, [4, 9], 3, 1, "g", SlurmOptions(), 1)
    assert "#SBATCH --array=0-1%3" in text and "CASES=(4 9)" in text and "srun" not in text
    assert "--requeue" not in text


@pytest.mark.slow
def test_a_task_for_a_complete_case_does_nothing(tmp_path, local_reference, sprout):
    """What a requeued task runs (sweep-case OUT INDEX) leaves a complete case as it is:
    requeue redoes only unfinished cases."""
    summary = local_reference / "cases" / "case_0001" / "summary.json"
    before = summary.stat().st_mtime_ns
    r = sprout("sweep-case", local_reference, "1")
    assert r.returncode == 0 and "case_0001: complete already" in r.stdout, r.stderr
    assert summary.stat().st_mtime_ns == before


def _show_job(slurm, job: str) -> str:
    return subprocess.run(["scontrol", "show", "job", job], capture_output=True, text=True, env=slurm.env).stdout


@pytest.mark.slow
def test_options_reach_the_jobs_and_srun_runs_two_rank_cases(tmp_path, slurm, local_reference, root, python):
    """The grid's two cold cases on 2 ranks each: the options visible in ``scontrol show
    job``, each case started by srun on 2 ranks; the results equal the local one-rank sweep's
    to 1e-8 (MUMPS on 2 ranks orders its elimination differently: measured up to 1e-10)."""
    out = tmp_path / "two"
    sweep = _sweep_file(tmp_path, POLL)
    sweep.write_text(sweep.read_text().replace('["25 degC", "-55 degC"]', '["-55 degC"]'))
    r = subprocess.run([python, "-m", "solver", "sweep", str(sweep), "-o", str(out), "--executor", "slurm",
                        "--ranks", "2", "-j", "1", "--time", "10", "--mem", "256M", "--partition", "debug",
                        "--sbatch=--comment=sprout-test", "--requeue"],
                       cwd=root, capture_output=True, text=True, env=slurm.env, timeout=600)
    assert r.returncode == 0, r.stderr
    jobs = json.loads((out / "slurm" / "jobs.json").read_text())
    assert [j["cases"] for j in jobs] == [[0, 1]]
    shown = _show_job(slurm, jobs[0]["job_id"])
    for item in ("TimeLimit=00:10:00", "Partition=debug", "Comment=sprout-test", "Requeue=1", "NumTasks=2",
                 "MinMemoryNode=256M"):
        assert item in shown, (item, shown)
    for case in range(2):
        assert "on 2 ranks" in (out / "logs" / f"case_000{case}.log").read_text()
    mine, ref = _rows(out / "results.csv"), _rows(local_reference / "results.csv")[1::2]
    for a, b in zip(mine, ref, strict=True):
        assert a["load.temperature"] == b["load.temperature"] == "-55 degC"
        assert a["status"] == b["status"] == "ok"
        for key in ("curvature_1_per_m", "max_von_mises_MPa"):
            assert float(a[key]) == pytest.approx(float(b[key]), rel=1e-8)
    assert "2 of 2 cases ok" in r.stdout


@pytest.mark.slow
def test_a_cancelled_task_is_redone_by_resume(tmp_path, slurm, local_reference, root, python, sprout):
    """Four cases, one at a time, with MaxArraySize = 3: two array jobs (cases 0-2, then 3,
    the second after the first). The task of case 2 is cancelled while it waits (scancel
    JOB_2); meanwhile ``sprout status`` shows the waiting cases as queued (from squeue). The
    sweep ends with 3 of 4 ok and exit 1; ``--resume`` submits case 2 alone, and results.csv
    equals the uninterrupted local sweep's byte for byte."""
    out = tmp_path / "cancel"
    sweep = _sweep_file(tmp_path, POLL)
    proc = subprocess.Popen([python, "-m", "solver", "sweep", str(sweep), "-o", str(out), "--executor", "slurm",
                             "-j", "1"], cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=slurm.env)
    jobs_file = out / "slurm" / "jobs.json"
    deadline = time.time() + 120
    while time.time() < deadline and not (jobs_file.exists() and len(json.loads(jobs_file.read_text())) == 2):
        time.sleep(0.1)
    jobs = json.loads(jobs_file.read_text())
    assert [j["cases"] for j in jobs] == [[0, 1, 2], [3]]
    first = jobs[0]["job_id"]
    assert f"Dependency=afterany:{first}" in _show_job(slurm, jobs[1]["job_id"])
    look = sprout("status", out, env=slurm.env)
    assert look.returncode == 0 and "queued" in look.stdout.splitlines()[0], look.stdout
    assert f"SLURM jobs: {first}" in look.stdout
    subprocess.run(["scancel", f"{first}_2"], check=True, env=slurm.env)
    stdout, stderr = proc.communicate(timeout=300)
    assert proc.returncode == 1 and "3 of 4 cases ok" in stdout, stderr
    after = sprout("status", out, env=slurm.env)
    assert after.stdout.startswith("cancel: 3 of 4 cases done (3 ok, 1 pending)"), after.stdout
    kept = {c: (out / "cases" / c / "summary.json").stat().st_mtime_ns for c in ("case_0000", "case_0001",
                                                                               "case_0003")}
    r = subprocess.run([python, "-m", "solver", "sweep", str(sweep), "-o", str(out), "--executor", "slurm",
                        "--resume"], cwd=root, capture_output=True, text=True, env=slurm.env, timeout=300)
    assert r.returncode == 0, r.stderr
    assert [j["cases"] for j in json.loads(jobs_file.read_text())][2:] == [[2]]
    assert (out / "results.csv").read_text() == (local_reference / "results.csv").read_text()
    for case, mtime in kept.items():
        assert (out / "cases" / case / "summary.json").stat().st_mtime_ns == mtime


def test_a_chunk_sbatch_refuses_cancels_the_queued_ones(tmp_path, monkeypatch):
    """sbatch accepting the first array and refusing the second (a limit on queued jobs
    reached mid-submission): the first is cancelled, the refusal is a ClusterError (exit 1)
    with sbatch's words, and only the accepted job was recorded."""
    from solver.core.errors import ClusterError
    from solver.workflow import slurm

    calls = []

    def fake(argv, timeout=60):
        calls.append(argv)
        if argv[0] == "sbatch" and len([c for c in calls if c[0] == "sbatch"]) == 2:
            return subprocess.CompletedProcess(argv, 1, "", "sbatch: error: QOSMaxSubmitJobPerUserLimit")
        return subprocess.CompletedProcess(argv, 0, "41\n" if argv[0] == "sbatch" else "", "")

    monkeypatch.setattr(slurm, "_call", fake)
    scripts = slurm.write_scripts(tmp_path, [0, 1, 2, 3], 1, 1, "g", SlurmOptions(), 3)
    with pytest.raises(ClusterError, match="QOSMaxSubmitJobPerUserLimit"):
        slurm.submit(tmp_path, scripts)
    assert calls[-1] == ["scancel", "41"]
    assert calls[1][:3] == ["sbatch", "--parsable", "--dependency=afterany:41"]
    assert [j["job_id"] for j in slurm.read_jobs(tmp_path)] == ["41"]
