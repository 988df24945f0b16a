"""What a case kind is: one record, declared in the kind's own package and listed once in
``solver.workflow.registry``. Everything that depends on the kind (loading, ``sprout
schema``, ``check``, ``run``, the restart guard, log lines, a flow's step summary, a
sweep's default responses) reads the record instead of testing the kind's name."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from mpi4py import MPI


@dataclass(frozen=True)
class RunContext:
    """What a kind's run entry gets besides its case. The entry solves, writes its files
    into ``out`` (through a staging directory) and returns the summary it wrote; a failed
    solve raises ``SolveError`` and the run driver writes the failed summary."""

    out: Path
    comm: MPI.Comm
    log: logging.Logger
    t0: float  # perf_counter at the start of the run: the summary's wall_s
    source: str  # the case file, as the user named it
    resolved: dict  # the case in SI units (case.resolved.json)
    restart: bool = False  # resume from OUT's checkpoint (kinds with restart=True)
    run_step: Callable[..., dict] | None = None  # runs another case as `sprout run` does (flows' steps)


@dataclass(frozen=True)
class CaseKind:
    """One case kind.

    ``run`` and ``describe`` name their functions as ``"module:function"``, imported when
    called: validating a case never imports dolfinx, and a flow's entries may use the
    registry that lists them. ``run`` takes ``(case, RunContext)`` and returns the summary.
    ``key_results`` are what the log shows after a run and what a flow's summary shows of a
    step."""

    name: str
    model: type[BaseModel]
    run: str
    describe: str  # "module:function": (case, its file) -> the line `sprout check` prints
    title: str
    key_results: tuple[str, ...] = ()
    cross_check: Callable[[Any], None] | None = None  # beyond case.cross_check() (the geometry's rules)
    # "module:function" (case, its file): checks that read other files (a flow's step cases),
    # run before anything is logged or written
    precheck: str | None = None
    restart: bool = False
    # "module:function" (OUT, the case's digest): OUT's checkpoint, if any, is one this case
    # can go on from (CaseError else); run on rank 0 before anything is logged
    restart_check: str | None = None
    mesh: bool = True  # has a geometry that `sprout mesh` can build
    # files a run of this kind writes for a later flow step to merge ("concavity.toml")
    hands_over: tuple[str, ...] = ()

    def entry(self) -> Callable[[Any, RunContext], dict]:
        return _load(self.run)

    def description(self, case, source: str) -> str:
        return _load(self.describe)(case, source)

    def check_inputs(self, case, source: str) -> None:
        if self.precheck is not None:
            _load(self.precheck)(case, source)

    def check_restart(self, out: Path, digest: str) -> None:
        if self.restart_check is not None:
            _load(self.restart_check)(out, digest)

    def key_results_of(self, data: dict) -> dict:
        """The key results of a run's summary; a load path's steps prefix theirs with the
        step's name (``room_warpage_um``)."""
        prefixes = [""] + [f"{s['name']}_" for s in data.get("steps", []) if isinstance(s, dict) and "name" in s]
        wanted = {p + k for p in prefixes for k in self.key_results}
        return {k: v for k, v in data["results"].items() if k in wanted}


def _load(entry: str):
    module, _, function = entry.partition(":")
    return getattr(importlib.import_module(module), function)
