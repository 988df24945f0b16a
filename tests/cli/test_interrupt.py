"""SIGTERM in the middle of a run (a SLURM time limit, ``kill``): one line, exit 143, a
summary that says the run was interrupted, the checkpoint kept, and ``--restart`` finishing
the run. PETSc's own signal handler (a crash banner and MPI_Abort) is off."""

import json
import os
import signal
import subprocess
import time

import pytest

CASE = "reliability/die_attach_cycling.toml"


def started_stepping(out) -> bool:
    return (out / "checkpoint.npz").exists()


@pytest.mark.slow
@pytest.mark.parametrize("ranks", [1, 2])
def test_sigterm_mid_run_then_restart(ranks, cases, tmp_path, python, mpirun, root, sprout, read_summary):
    """The die attach (1 cycle) signalled once its first checkpoint exists: exit 143 within
    seconds, stderr ends in one line 'sprout: interrupted by SIGTERM' with no PETSc banner
    or MPI_Abort line, summary.json says interrupted and lists the checkpoint; --restart
    then completes the run."""
    out = tmp_path / "out"
    cmd = [python, "-m", "solver", "run", str(cases / CASE), "-o", str(out), "--set", "load.cycle.cycles=1"]
    if ranks > 1:
        cmd = [mpirun, "-n", str(ranks), *cmd]
    env = dict(os.environ)
    env.pop("PYTEST_CURRENT_TEST", None)
    proc = subprocess.Popen(cmd, cwd=root, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None and not started_stepping(out):
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the run ended before it could be signalled"
    proc.send_signal(signal.SIGTERM)
    t = time.time()
    _, err = proc.communicate(timeout=60)
    assert time.time() - t < 15
    assert proc.returncode == 143, err
    lines = [line for line in err.splitlines() if line.strip()]
    assert lines[-1] == "sprout: interrupted by SIGTERM", err[-2000:]
    assert not any(word in err for word in ("PETSC ERROR", "MPI_Abort", "Traceback", "BAD TERMINATION"))
    data = json.loads((out / "summary.json").read_text())
    assert data["status"] == "interrupted" and data["error"] == "interrupted by SIGTERM"
    assert data["restart"] and "checkpoint.npz" in data["files"]
    assert not list(tmp_path.glob(".out.*")), "staging or lock left behind"
    r = sprout("run", cases / CASE, "-o", out, "--restart", "--set", "load.cycle.cycles=1", ranks=ranks)
    assert r.returncode == 0, r.stderr
    done = read_summary(out)
    assert done["status"] == "ok" and done["resumed_at_s"] > 0
