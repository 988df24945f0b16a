"""What a user installs: the distribution sprout-wlp (PyPI's "sprout" is an unrelated
project) with the `sprout` command, MIT-licensed with PEP 639 metadata, every dependency
pinned in requirements.lock (what make and the Dockerfile install)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

from solver.core.version import DISTRIBUTION, __version__

ROOT = Path(__file__).resolve().parents[2]


def _name(requirement: str) -> str:
    """The PEP 503 normalised name of a requirement such as ``"h5py>=3.10"``."""
    return re.sub(r"[-_.]+", "-", re.match(r"[A-Za-z0-9._-]+", requirement)[0]).lower()


def test_every_dependency_is_pinned():
    """pyproject's dependencies and extras each have an exact pin in requirements.lock, so
    `make` and the Docker image install the versions the tests ran with."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    declared = project["dependencies"] + [r for extra in project["optional-dependencies"].values() for r in extra]
    pins = {_name(line): line.split("==")[1] for line in (ROOT / "requirements.lock").read_text().splitlines()
            if "==" in line and not line.startswith("#")}
    assert project["name"] == DISTRIBUTION
    assert not [r for r in declared if _name(r) not in pins]
    assert "h5py" in pins  # meshio's XDMF and MED


@pytest.mark.slow
def test_the_wheel_carries_name_version_and_license(tmp_path):
    """A wheel built from the sources (setuptools from the venv, no network): its metadata
    names sprout-wlp at solver's version, the MIT license as an SPDX expression (PEP 639,
    Metadata-Version 2.4) with the LICENSE file inside, and the `sprout` command."""
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, src / name)
    for package in ("solver", "meshes"):
        shutil.copytree(ROOT / package, src / package, ignore=shutil.ignore_patterns("__pycache__"))
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                        "-w", str(tmp_path / "dist"), str(src)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    assert wheel.name == f"sprout_wlp-{__version__}-py3-none-any.whl"
    info = f"sprout_wlp-{__version__}.dist-info"
    with zipfile.ZipFile(wheel) as z:
        metadata = z.read(f"{info}/METADATA").decode()
        license_text = z.read(f"{info}/licenses/LICENSE").decode()
        entry_points = z.read(f"{info}/entry_points.txt").decode()
    header = metadata.split("\n\n", 1)[0].splitlines()
    assert "Name: sprout-wlp" in header and f"Version: {__version__}" in header
    assert "License-Expression: MIT" in header and "License-File: LICENSE" in header
    assert not [line for line in header if line.startswith("License:") or "License ::" in line]  # the old forms
    assert any(line.startswith("Requires-Dist: h5py") for line in header)
    assert license_text.startswith("MIT License") and "Copyright (c) the sprout developers" in license_text
    assert "sprout = solver.cli:main" in entry_points
