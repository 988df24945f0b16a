"""What every case file shares: the error type, strict models, the case base, reading TOML,
``--set`` overrides, one-line validation messages, the geometry cross-check and the
resolved case in SI units. Each case kind's model lives in its own package; the registry
(``solver.workflow.registry``) lists them and validates a file into the right one."""

from __future__ import annotations

import hashlib
import json
import re
import stat
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, ValidationError

from meshes import GeometryError, GeometrySpec, check_sizes, check_spec_budget
from meshes.base import InputModel
from meshes.budget import MAX_CELLS


class CaseError(ValueError):
    """Invalid input: the CLI prints ``str(err)`` and exits 2."""


class Strict(InputModel):
    """A case table: unknown keys refused, values frozen, TOML's own types not coerced."""


class MeshSettings(Strict):
    algorithm: Literal["hxt", "delaunay"] = Field("hxt", description="gmsh 3D algorithm")
    threads: int = Field(1, ge=1, le=64, description="gmsh threads; more than 1 is faster but not reproducible")
    max_cells: int = Field(MAX_CELLS, ge=1, le=10**9,
                           description="refuse element sizes estimated to give more cells than this, before "
                                       "meshing (the default suits a 2-core, 24 GB machine in 3D P2)")
    order: Literal[1, 2] | None = Field(
        None,
        description="geometric order of the elements; default: the displacement degree where the "
        "geometry is curved, else 1 (straight-sided cells are exact and cheaper)",
    )


class LinearSolverSettings(Strict):
    method: Literal["auto", "iterative", "direct"] = Field(
        "auto", description="iterative: CG + GAMG; direct: MUMPS; auto: direct below direct_below_dofs"
    )
    rtol: float = Field(1e-10, gt=0, lt=1, description="unpreconditioned relative residual")
    max_iterations: int = Field(2000, ge=1)
    direct_below_dofs: int = Field(100_000, ge=0)


class FieldSettings(Strict):
    vtx: bool = Field(False, description="also write the volume fields as VTX (fields/<name>.bp, ADIOS2), which "
                                         "only a ParaView built with ADIOS2 reads; VTU/PVD are always written")


CaseName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=80)]


class CaseBase(Strict):
    """What every case kind has: its kind (a literal in each kind), a name that is also a
    folder name, a description, the geometry and its meshing."""

    kind: str
    name: CaseName
    description: str = ""
    geometry: GeometrySpec
    mesh: MeshSettings = MeshSettings()
    fields: FieldSettings = FieldSettings()

    def cross_check(self) -> None:
        """Rules across fields that pydantic cannot express; raise CaseError (the message
        starts with the field path). The geometry's own constraints hold for every kind."""
        check_geometry(self.geometry, self.mesh.max_cells)

    def resolved_extra(self) -> dict:
        """What a kind adds to its resolved case beyond the case itself (materials by region)."""
        return {}


# -- reading ---------------------------------------------------------------------------
MAX_INPUT_BYTES = 1 << 20  # a case, sweep or flow file, or a snippet a flow merges: 1 MiB
MAX_DEPTH = 12  # tables and arrays inside each other (the deepest shipped case has 5)
_SYSTEM = ("/dev", "/proc", "/sys")  # files there are devices or the kernel's, never input


def read_input_toml(path, what: str = "case file") -> dict:
    """A TOML input file, read only if it is a regular UTF-8 file (a BOM is accepted) of at
    most MAX_INPUT_BYTES nested at most MAX_DEPTH deep: a directory, FIFO, device or a
    kernel file (/proc/self/environ) is refused before it is opened. CaseError else."""
    path = Path(path)
    shown = _shown(path)
    try:
        real = path.resolve()
        info = real.stat()
    except FileNotFoundError:
        raise CaseError(f"{shown}: no such {what}") from None
    except (OSError, RuntimeError) as exc:  # RuntimeError: a symlink loop
        raise CaseError(f"{shown}: cannot read: {exc}") from None
    if not stat.S_ISREG(info.st_mode) or str(real).startswith(tuple(p + "/" for p in _SYSTEM)):
        kind = "a directory" if stat.S_ISDIR(info.st_mode) else "not a regular file"
        raise CaseError(f"{shown}: {kind}; a {what} must be a regular file")
    try:
        with open(real, "rb") as fh:
            data = fh.read(MAX_INPUT_BYTES + 1)
    except OSError as exc:
        raise CaseError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_INPUT_BYTES:
        raise CaseError(f"{shown}: larger than {MAX_INPUT_BYTES // 1024} KiB; not a {what}")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CaseError(f"{shown}: not UTF-8 text (byte {exc.start}); save the {what} as UTF-8") from None
    return parse_toml(text, shown)


def parse_toml(text: str, where: str) -> dict:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CaseError(f"{where}: malformed TOML: {exc}") from None
    except RecursionError:
        raise CaseError(f"{where}: nested deeper than {MAX_DEPTH} levels") from None
    if _depth(raw) > MAX_DEPTH:
        raise CaseError(f"{where}: nested deeper than {MAX_DEPTH} levels")
    return raw


def _depth(node, level: int = 0) -> int:
    if level > MAX_DEPTH:
        return level
    if isinstance(node, dict):
        return max((_depth(v, level + 1) for v in node.values()), default=level + 1)
    if isinstance(node, list):
        return max((_depth(v, level + 1) for v in node), default=level + 1)
    return level


def _shown(path: Path) -> str:
    """A path as a message can print it (a non-UTF-8 name's bytes escaped)."""
    return str(path).encode("utf-8", "backslashreplace").decode("utf-8")


def read_case_toml(path: Path) -> dict:
    return read_input_toml(path, "case file")


def apply_override(raw: dict, item: str) -> None:
    """``--set a.b[0].c=value``: the value is read as a TOML value, else as a string."""
    if "=" not in item:
        raise CaseError(f"--set {item!r}: expected key=value")
    key, value_text = item.split("=", 1)
    key = key.strip()
    if len(value_text) > 10_000:
        raise CaseError(f"--set {key.strip()[:80]}: a value longer than 10000 characters")
    try:
        value = parse_toml(f"v = {value_text}", f"--set {key.strip()}")["v"]
    except CaseError:
        value = value_text.strip()
    parts: list[str | int] = []
    for part in key.replace("]", "").split("."):
        name, *indices = part.split("[")
        if name:
            parts.append(name)
        parts.extend(int(i) if i.lstrip("-").isdigit() else i for i in indices)
    if not parts:
        raise CaseError(f"--set {item!r}: empty key")
    node: Any = raw
    for i, part in enumerate(parts[:-1]):
        nxt = parts[i + 1]
        try:
            if isinstance(part, int):
                node = node[part]
            else:
                node = node.setdefault(part, [] if isinstance(nxt, int) else {})
        except (IndexError, TypeError, KeyError, AttributeError):
            raise CaseError(f"--set {key}: no such entry in the case") from None
    last = parts[-1]
    try:
        node[last] = value
    except (IndexError, TypeError):
        raise CaseError(f"--set {key}: no such entry in the case") from None


def format_validation_error(exc: ValidationError, raw: dict) -> str:
    """One line: the field path as the user wrote it, and the rule."""
    errors = exc.errors(include_url=False)
    err = errors[0]
    path = _user_path(err["loc"], raw)
    msg = err["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    rule = err["type"]
    if rule == "extra_forbidden":
        msg = "unknown key"
    elif rule == "missing":
        msg = "required but missing"
    elif rule in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        # The constraint is checked on the SI value; say so when the input had a unit.
        given = err.get("input")
        msg = msg.replace("Input should be", "must be")
        if isinstance(given, str):
            msg += f" (in SI units; got {given!r})"
    elif rule.startswith("literal_error") or rule == "union_tag_invalid":
        msg = msg.replace("Input should be", "must be")
    more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
    if re.match(r"^[a-z_][\w.\[\]]*: ", msg):  # a model's rule that names its field itself
        return f"{path}.{msg}{more}" if path else f"{msg}{more}"
    return f"{path or '<case>'}: {msg}{more}"


def _user_path(loc: tuple, raw: Any) -> str:
    """Rebuild ``geometry.layers[0].thickness`` from pydantic's location, dropping the
    union tags pydantic inserts (they are not keys of the user's file)."""
    out = ""
    node = raw
    for part in loc:
        if isinstance(part, int) and isinstance(node, list):
            out += f"[{part}]"
            node = node[part] if -len(node) <= part < len(node) else None
        elif isinstance(node, dict) and part in node:
            out += ("." if out else "") + str(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and part.startswith(("function-", "tagged-union")):
            continue
        elif isinstance(node, dict) and node.get("type") == part:
            continue  # discriminator tag
        else:
            out += ("." if out else "") + str(part)
            node = None
    return out


# -- cross-checks pydantic cannot express ----------------------------------------------
def check_geometry(geo, max_cells: int = MAX_CELLS) -> tuple[list[str], list[str]]:
    """Geometric constraints of the spec, its element sizes against the cell budget where
    the spec bounds its own cell count, and region/boundary names (which must differ)."""
    try:
        geo.check()
        check_sizes(geo)
        check_spec_budget(geo, max_cells)
        regions = geo.region_names()
        boundaries = geo.boundary_names()
    except GeometryError as exc:
        raise CaseError(f"{exc.field}: {exc.message}") from None
    clash = sorted(set(regions) & set(boundaries))
    if clash:
        where = _region_field(geo, clash[0])
        raise CaseError(
            f"{where}: {clash[0]!r} is also the name of a boundary of this geometry; "
            "region and boundary names must differ (they share one namespace in the mesh)"
        )
    return regions, boundaries


def _region_field(geo, region: str) -> str:
    """The case-file path where a region name was given."""
    for i, layer in enumerate(getattr(geo, "layers", [])):
        if layer.region == region:
            return f"geometry.layers[{i}].region"
    for key in ("core_region", "shell_region"):
        if getattr(geo, key, None) == region:
            return f"geometry.{key}"
    return "geometry"


def resolved_case(case: BaseModel) -> dict:
    """The validated case in SI units, with the unit of every converted value by path."""
    from meshes.units import Dimension

    units: dict[str, str] = {}

    def walk(model: BaseModel, prefix: str) -> None:
        for name, info in type(model).model_fields.items():
            value = getattr(model, name)
            path = f"{prefix}{name}"
            dim = _dimension_of(info, Dimension)
            if dim is not None and value is not None:
                units[path] = dim.si_unit
            if isinstance(value, BaseModel):
                walk(value, path + ".")
            elif isinstance(value, (list, tuple)):
                for i, item in enumerate(value):
                    if isinstance(item, BaseModel):
                        walk(item, f"{path}[{i}].")
            elif isinstance(value, dict):
                for k, item in value.items():
                    if isinstance(item, BaseModel):
                        walk(item, f"{path}.{k}.")

    walk(case, "")
    out = {"case": case.model_dump(mode="json"), "si_units": units}
    out.update(case.resolved_extra())
    return out


def _dimension_of(info, Dimension):
    """The Dimension marker of a field, also inside ``Length | None``."""
    import typing

    found = [m for m in info.metadata if isinstance(m, Dimension)]
    for arg in typing.get_args(info.annotation):
        found += [m for m in getattr(arg, "__metadata__", ()) if isinstance(m, Dimension)]
    return found[0] if found else None


def case_digest(resolved: dict) -> str:
    """What a checkpoint must match to be resumed, and a flow's step to be reused: the case
    as resolved, without its name and description."""
    keep = {k: v for k, v in resolved.items() if k not in ("name", "description")}
    return hashlib.sha256(json.dumps(keep, sort_keys=True, default=str).encode()).hexdigest()[:16]
