"""The case as it ran, written back as a case file: ``OUT/case.resolved.toml``.

Every value is written, defaults included, so the file does not depend on what a later
version chooses as a default; quantities carry their SI unit (``"0.0005 m"``), with the
shortest decimal that reads back to the same double, so ``sprout run case.resolved.toml``
solves exactly the case that produced OUT. Paths the case names (a flow's step cases, an
external mesh) are written absolute: the file lives in OUT, not beside the original.

A float is a quantity when its type carries a :class:`meshes.units.Dimension` (also inside
``list[...]``, ``dict[...]``, ``X | None`` and by position in ``tuple[...]``); it is written
with that dimension's SI unit. A field is a path when its ``json_schema_extra`` says ``{"x-file": True}``."""

from __future__ import annotations

import json
import math
import re
import types
import typing
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic_core import to_jsonable_python

from meshes.units import Dimension

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def resolved_toml(case: BaseModel, source: str | Path, header: str = "") -> str:
    """``case`` (validated) as TOML that validates back to an equal model. ``source`` is the
    case file the paths in it are relative to."""
    base = Path(source).resolve().parent
    data = _plain(case, base)
    lines = [f"# {line}".rstrip() for line in header.splitlines()]
    lines += _table(data, [])
    return "\n".join(lines).strip("\n") + "\n"


# -- the model as plain values, units and absolute paths put in ------------------------------
def _plain(model: BaseModel, base: Path) -> dict:
    out: dict[str, Any] = {}
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue  # TOML has no null; an absent key validates to the same None default
        key = info.alias or name
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if extra.get("x-file") and isinstance(value, str):
            out[key] = str((base / value).resolve()) if not Path(value).is_absolute() else value
            continue
        dims = [m for m in info.metadata if isinstance(m, Dimension)]
        out[key] = _with_unit(value, dims[0]) if dims else _typed(value, info.annotation, base)
    return out


def _typed(value: Any, annotation: Any, base: Path) -> Any:
    """``value`` as plain data, each float that ``annotation`` marks with a Dimension
    written with its unit (positionally in tuples: a table of (temperature, stress))."""
    if isinstance(value, BaseModel):
        return _plain(value, base)
    dims = [m for m in getattr(annotation, "__metadata__", ()) if isinstance(m, Dimension)]
    if dims:
        return _with_unit(value, dims[0])
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return _typed(value, _branch(value, args), base)
    if isinstance(value, dict):
        inner = args[1] if origin is dict and len(args) == 2 else None
        return {str(k): _typed(v, inner, base) for k, v in value.items() if v is not None}
    if isinstance(value, (list, tuple)):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return [_typed(v, a, base) for v, a in zip(value, args)]
        inner = args[0] if args else None
        return [_typed(v, inner, base) for v in value]
    return to_jsonable_python(value)


def _branch(value: Any, args: tuple) -> Any:
    """The member of a union that ``value`` was validated as (by its Python type)."""
    for arg in args:
        origin = typing.get_origin(arg)
        if isinstance(value, (list, tuple)) and origin in (list, tuple):
            return arg
        if isinstance(value, dict) and origin is dict:
            return arg
        if isinstance(value, float) and getattr(arg, "__metadata__", None):
            return arg
    return None


def _with_unit(value: Any, dim: Dimension) -> Any:
    if isinstance(value, float):
        return f"{value!r} {dim.si_unit}"
    if isinstance(value, (list, tuple)):
        return [_with_unit(v, dim) for v in value]
    return to_jsonable_python(value)


# -- TOML ------------------------------------------------------------------------------------
def _table(data: dict, path: list[str]) -> list[str]:
    """Plain keys first, then sub-tables and arrays of tables (TOML's order rule)."""
    lines: list[str] = []
    nested: list[tuple[str, Any]] = []
    for k, v in data.items():
        if isinstance(v, dict) and v:
            nested.append((k, v))
        elif _is_table_array(v):
            nested.append((k, v))
        else:
            lines.append(f"{toml_key(k)} = {toml_value(v)}")
    for k, v in nested:
        sub = path + [toml_key(k)]
        if isinstance(v, dict):
            lines += ["", f"[{'.'.join(sub)}]"] + _table(v, sub)
        else:
            for item in v:
                lines += ["", f"[[{'.'.join(sub)}]]"] + _table(item, sub)
    return lines


def _is_table_array(v: Any) -> bool:
    return isinstance(v, list) and bool(v) and all(isinstance(i, dict) for i in v)


def toml_key(k: str) -> str:
    """A key as TOML writes it: bare where it can be, else a quoted string."""
    return k if _BARE_KEY.match(k) else _string(k)


def toml_value(v: Any) -> str:
    """A value on one line (arrays and inline tables), floats to the last bit."""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)
    if isinstance(v, str):
        return _string(v)
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(toml_value(i) for i in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(f"{toml_key(k)} = {toml_value(i)}" for k, i in v.items()) + "}"
    raise TypeError(f"{type(v).__name__} has no TOML form")


def _string(s: str) -> str:
    # JSON's escapes are TOML's basic-string escapes; DEL is the one control character JSON
    # leaves raw and TOML refuses
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


# -- the run being written -------------------------------------------------------------------
# The run driver names the case it is running; the staging folder's commit writes it back as
# case.resolved.toml beside case.resolved.json, for every kind, without each kind's writer
# knowing (a flow's step sets its own case for the time it runs).
RUN_CASE: ContextVar[tuple[BaseModel, str] | None] = ContextVar("sprout_run_case", default=None)


def write_for_current_run(folder: Path) -> list[str]:
    """``folder/case.resolved.toml`` (atomic) when the folder holds a resolved case of the
    run the driver is running; the names written (for the summary's files)."""
    current = RUN_CASE.get()
    if current is None or not (folder / "case.resolved.json").exists():
        return []
    return [write_resolved_toml(folder, *current)]


def write_resolved_toml(folder: Path, case: BaseModel, source: str) -> str:
    """``folder/case.resolved.toml`` (atomic); returns its name."""
    from solver.core.output import atomic_write_text
    from solver.core.provenance import git_revision
    from solver.core.version import __version__

    header = (f"{case.name}: the case as sprout {__version__} ran it (git {git_revision() or 'n/a'}), from "
              f"{source}.\nEvery value is written, in SI units; `sprout run case.resolved.toml` runs it again.")
    atomic_write_text(Path(folder) / "case.resolved.toml", resolved_toml(case, source, header))
    return "case.resolved.toml"
