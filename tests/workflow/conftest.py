"""The sweep tests' shared fixtures: the bimetal grid run locally (the reference every
executor is compared with) and a real single-node SLURM."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from .slurm_harness import LocalSlurm, available

GRID = Path(__file__).resolve().parents[2] / "cases" / "sweeps" / "bimetal_grid.toml"


@pytest.fixture(scope="module")
def local_reference(tmp_path_factory, sprout):
    """The grid sweep run here, uninterrupted, two cases at once."""
    out = tmp_path_factory.mktemp("sweep") / "local"
    r = sprout("sweep", GRID, "-o", out, "-j", "2")
    assert r.returncode == 0, r.stderr
    # each finished case says how far the sweep is: n/N, then time so far and left
    done = re.findall(r"case_\d{4}: ok  \[(\d)/4; \d+ %, \S+(, ETA \S+)?\]", r.stderr)
    assert [int(n) for n, _ in done] == [1, 2, 3, 4] and done[0][1].startswith(", ETA"), r.stderr
    return out


@pytest.fixture(scope="module")
def slurm(tmp_path_factory):
    """slurmctld and slurmd on localhost with MaxArraySize = 3 (a 4-case sweep needs two
    array jobs); .ci/run requires it (SPROUT_REQUIRE_SLURM), elsewhere a missing SLURM skips."""
    if not available():
        if os.environ.get("SPROUT_REQUIRE_SLURM"):
            pytest.fail("SLURM (slurm-wlm, munge) is required here but not installed")
        pytest.skip("SLURM is not installed (.ci/run installs slurm-wlm and munge)")
    cluster = LocalSlurm(tmp_path_factory.mktemp("slurm")).start()
    yield cluster
    cluster.stop()
