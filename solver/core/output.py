"""Result files: written into a staging directory and moved into place when complete.

A run never leaves half a result: files are built in ``<parent>/.<name>.partial-<id>``
and moved into the output directory one by one, ``summary.json`` last, so a present
``summary.json`` means a complete result. Invalid input never creates the output
directory. Every JSON/CSV write is atomic (temporary file + rename)."""

from __future__ import annotations

import json
import os
import platform
import shutil
import tempfile
import uuid
from pathlib import Path

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from mpi4py import MPI


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def atomic_write_text(path: Path, text: str) -> None:
    path = Path(path)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, _FILE_MODE)  # mkstemp's 0600 would hide results from colleagues
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def atomic_write_json(path: Path, data) -> None:
    atomic_write_text(path, json.dumps(data, indent=2, sort_keys=False, default=_json_default) + "\n")


def _json_default(obj):
    if isinstance(obj, (np.floating, np.integer)):
        return obj.item()
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"not JSON serialisable: {type(obj).__name__}")


def list_in_summary(folder: Path, *names: str) -> dict:
    """Add ``names`` to the ``files`` of ``folder/summary.json`` (files written after it), in
    one rewrite; returns the summary."""
    path = Path(folder) / "summary.json"
    data = json.loads(path.read_text())
    files = data.get("files")
    new = [n for n in names if isinstance(files, list) and n not in files]
    if new:
        data["files"] = files + new
        atomic_write_json(path, data)
    return data


def write_csv(path: Path, header: list[str], rows: np.ndarray) -> None:
    lines = [",".join(header)]
    lines += [",".join(f"{v:.10g}" for v in row) for row in np.atleast_2d(rows)]
    atomic_write_text(path, "\n".join(lines) + "\n")


class Staging:
    """A staging directory shared by all ranks; ``commit`` moves its content to ``out``."""

    def __init__(self, out: Path, comm: MPI.Comm):
        self.out = Path(out)
        self.comm = comm
        token = comm.bcast(uuid.uuid4().hex[:8] if comm.rank == 0 else None, root=0)
        self.path = self.out.parent / f".{self.out.name}.partial-{token}"
        if comm.rank == 0:
            self.path.mkdir(parents=True, exist_ok=False)
        comm.barrier()

    def file(self, name: str) -> Path:
        return self.path / name

    def commit(self, last: str = "summary.json") -> None:
        """Move everything into ``out`` (rank 0), ``last`` at the end. Older files of the
        same names are replaced; other files in ``out`` are left alone."""
        self.comm.barrier()
        if self.comm.rank == 0:
            if last == "summary.json" and (self.path / last).exists():
                from solver.core.resolved_toml import write_for_current_run
                from solver.core.run_report import write_report

                write_report(self.path, also=write_for_current_run(self.path))
            self.out.mkdir(parents=True, exist_ok=True)
            names = sorted(p.name for p in self.path.iterdir())
            self._remove_stale(set(names))
            for name in [n for n in names if n != last] + ([last] if last in names else []):
                target = self.out / name
                if target.is_dir() and not target.is_symlink():
                    shutil.rmtree(target)
                os.replace(self.path / name, target)
            shutil.rmtree(self.path, ignore_errors=True)
        self.comm.barrier()

    def _remove_stale(self, new: set[str]) -> None:
        """Files an earlier run listed in its summary but this run does not write (fields
        switched off, say) would sit next to the new summary as if they belonged to it."""
        old = self.out / "summary.json"
        try:
            listed = json.loads(old.read_text()).get("files", [])
        except (OSError, ValueError):
            return
        for name in listed:
            if not isinstance(name, str):
                continue
            name = name.split("/")[0]  # fields/<file>: the folder as a whole (never a path out of OUT)
            target = self.out / name
            if name in new or name.startswith(".") or not name:
                continue
            if target.is_dir() and not target.is_symlink():
                shutil.rmtree(target, ignore_errors=True)
            elif target.exists():
                target.unlink()

    def discard(self) -> None:
        if self.comm.rank == 0:
            shutil.rmtree(self.path, ignore_errors=True)


def write_from_root(out: Path, comm: MPI.Comm, write, fields=None) -> dict:
    """Build the output folder on rank 0: ``write(staging)`` writes the files and returns
    the summary. An error there is raised on every rank (none waits for rank 0 forever) and
    nothing is left half-written in ``out``. ``fields(staging)``, if given, runs first on
    every rank (collective writers: ``field_writer``, ``field_hook``)."""
    staging = Staging(out, comm)
    try:
        if fields is not None:
            fields(staging)
        data, error = None, None
        if comm.rank == 0:
            try:
                data = write(staging)
            except Exception as exc:
                error = exc
        error = comm.bcast(error, root=0)
        if error is not None:
            raise error
        data = comm.bcast(data, root=0)
        staging.commit()
    except BaseException:
        staging.discard()
        raise
    return data


def versions() -> dict[str, str]:
    import dolfinx
    import gmsh
    from mpi4py import MPI
    from petsc4py import PETSc

    from solver.core.version import __version__

    petsc = ".".join(str(v) for v in PETSc.Sys.getVersion())
    mpi = MPI.Get_library_version().strip().splitlines()[0]
    return {
        "sprout": __version__,
        "dolfinx": dolfinx.__version__,
        "petsc": petsc,
        "gmsh": gmsh.__version__,
        "mpi": mpi,
        "python": platform.python_version(),
    }


def summary(case_name: str, kind: str, status: str, ranks: int, dofs: int, wall_s: float,
            results: dict, reference: dict | None = None, **extra) -> dict:
    """The summary.json contract: fixed keys first, named scalars with units in the names."""
    from solver.core.provenance import provenance

    out = {
        "case": case_name,
        "kind": kind,
        "status": status,
        "ranks": ranks,
        "dofs": int(dofs),
        "wall_s": round(float(wall_s), 4),
        "versions": versions(),
        "provenance": provenance(wall_s),
        "results": {k: float(v) for k, v in results.items()},
    }
    if reference is not None:
        out["reference"] = {k: float(v) for k, v in reference.items()}
    out.update(extra)
    return out


def concavity_toml(points, comment: str) -> str:
    """A ``[geometry.concavity] profile`` snippet (points (r, z) in metres, from the film/base
    interface to the axis) that a substrate geometry reads: how the etch and the barrier
    plating hand their concavity to the next step of a flow."""
    rows = "".join(f'  ["{r * 1e6:.6g} um", "{min(z, 0.0) * 1e6:.6g} um"],\n' for r, z in points)
    return f"# {comment}\n[geometry.concavity]\nprofile = [\n{rows}]\n"


def field_writer(domain, name: str, functions: list, vtx: bool = False, t: float = 0.0):
    """A ``fields`` hook for write_from_root: the functions (on ``domain``'s mesh) at time
    ``t`` as ``fields/<name>.pvd`` with one VTU, the region legend and the boundaries beside
    them (:mod:`solver.core.fields`); ``vtx`` also writes VTX ``.bp``. Once it ran, its
    ``files`` lists what it wrote (relative to OUT) for the summary."""
    return field_hook(domain.comm, vtx, lambda ff: ff.write(name, domain, functions, t))


def field_hook(comm: MPI.Comm, vtx: bool, write):
    """A ``fields`` hook for write_from_root that calls ``write(FieldFiles)`` on every
    rank: several files, surfaces, profiles. ``.files`` lists what it wrote once it ran."""
    return _FieldHook(comm, vtx, write)


class _FieldHook:
    def __init__(self, comm: MPI.Comm, vtx: bool, write):
        self.comm, self.vtx, self.write = comm, vtx, write
        self.files: list[str] = []

    def __call__(self, staging) -> None:
        from solver.core.fields import FieldFiles

        with FieldFiles(staging, self.comm, self.vtx) as ff:
            self.write(ff)
        self.files = ff.files
