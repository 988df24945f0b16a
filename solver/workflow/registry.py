"""The one list of case kinds, and what reads it: loading and validating a case file into
its kind's model, and the JSON schema of every kind.

Adding a kind: declare its :class:`~solver.core.kind.CaseKind` in its own package and add
it to ``KINDS`` below; nothing else names a kind."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Union

from pydantic import BaseModel, Field, ValidationError

from meshes.external import CASE_FOLDER

from solver.core.case import CaseError, apply_override, format_validation_error, read_case_toml
from solver.core.kind import CaseKind
from solver.etch.kind import ETCH
from solver.geometry.kind import GEOMETRY
from solver.mechanics.kind import THERMOELASTIC
from solver.mechanics.reliability.kind import RELIABILITY
from solver.plating.kinds import FILL, PLATING, SEED_LAYER
from solver.workflow.flow_kind import FLOW

KINDS: dict[str, CaseKind] = {k.name: k for k in (THERMOELASTIC, RELIABILITY, GEOMETRY, ETCH, PLATING, SEED_LAYER, FILL, FLOW)}


def register(kind: CaseKind) -> None:
    """Add a kind at run time (a plug-in, or a test's throwaway kind)."""
    if kind.name in KINDS:
        raise ValueError(f"case kind {kind.name!r} is registered already")
    KINDS[kind.name] = kind


def unregister(name: str) -> None:
    KINDS.pop(name)


def kind_of(case) -> CaseKind:
    return KINDS[case.kind]


def load_case(path: str | Path, overrides: list[str] | None = None):
    """A case file read, ``--set`` overrides applied, validated into its kind's model."""
    path = Path(path)
    raw = read_case_toml(path)
    for item in overrides or []:
        apply_override(raw, item)
    return validate_case(raw, source=str(path), folder=path.absolute().parent)


def validate_case(raw: dict, source: str = "<case>", folder: Path | None = None):
    """``folder``: the case file's folder, against which the files a case names (an external
    mesh) resolve; without it they resolve against the working directory."""
    kind = raw.get("kind")
    if kind is None:
        raise CaseError(f"{source}: kind: missing; expected one of {', '.join(KINDS)}")
    if not isinstance(kind, str) or kind not in KINDS:
        raise CaseError(f"{source}: kind: unknown case kind {kind!r}; expected one of {', '.join(KINDS)}")
    record = KINDS[kind]
    try:
        case = record.model.model_validate(raw, context={CASE_FOLDER: str(folder)} if folder else None)
    except ValidationError as exc:
        raise CaseError(f"{source}: {format_validation_error(exc, raw)}") from None
    try:
        case.cross_check()
        if record.cross_check is not None:
            record.cross_check(case)
    except CaseError as exc:
        raise CaseError(f"{source}: {exc}") from None
    return case


def json_schema() -> dict:
    """One schema for every case kind, selected by ``kind``."""
    from pydantic import TypeAdapter

    models: tuple[type[BaseModel], ...] = tuple(k.model for k in KINDS.values())
    adapter = TypeAdapter(Annotated[Union[models], Field(discriminator="kind")])
    return adapter.json_schema()
