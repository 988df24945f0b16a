"""What every parametric geometry shares: strict spec models, the gmsh session, and the
file contract with the solver (physical groups carry names, never bare numbers)."""

from __future__ import annotations

import contextlib
import math
import types
import typing
from dataclasses import dataclass, field
from typing import Annotated, Iterator, Literal, Protocol, runtime_checkable

import gmsh
from pydantic import (BaseModel, BeforeValidator, ConfigDict, PlainValidator, StringConstraints, WrapValidator,
                      model_validator)

# gmsh/OpenCASCADE work in micrometres: OCC's absolute tolerance (1e-7) would be 10 % of a
# 1 um feature in metres. Specs hold SI metres; builders multiply by UM_PER_M; the
# finished mesh is scaled back to metres (to_si_mesh) so .msh files and the solver see SI.
UM_PER_M = 1e6

RegionName = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=48),
]


class InputModel(BaseModel):
    """An input table (a case's, a geometry's): unknown keys refused, values frozen, and no
    silent coercion of TOML's own types (``degree = true`` is not 1, ``elements = "5"`` not
    5; tuples still come from arrays, which pydantic's strict mode would refuse)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _no_coercion(cls, data):
        if isinstance(data, dict):
            converted = {f for d in cls.__pydantic_decorators__.field_validators.values()
                         if d.info.mode in ("before", "wrap", "plain") for f in d.info.fields}
            for name, info in cls.model_fields.items():
                key = info.alias or name
                if key not in data or name in converted or any(isinstance(m, _CONVERTERS) for m in info.metadata):
                    continue  # a unit quantity or a field that converts its input itself
                value, kinds = data[key], _scalar_kinds(info.annotation)
                if not kinds:
                    continue
                if isinstance(value, bool) and bool not in kinds:
                    raise ValueError(f"{key}: must be {_expected(kinds)}, not true/false")
                if isinstance(value, str) and str not in kinds:
                    raise ValueError(f"{key}: must be {_expected(kinds)}, not the string {value[:40]!r}")
        return data


_CONVERTERS = (BeforeValidator, PlainValidator, WrapValidator)


def _expected(kinds: set) -> str:
    if kinds <= {bool, type(None)}:
        return "true or false"
    if float in kinds:
        return "a number"
    return "a whole number" if int in kinds else "text"


def _scalar_kinds(annotation) -> set:
    """The plain scalar types a field takes (int, float, bool, str, from Literal values too),
    or an empty set where that is not all it is (a unit quantity, a model, a list)."""
    if annotation is type(None):
        return {type(None)}
    if annotation in (int, float, bool, str):
        return {annotation}
    origin = typing.get_origin(annotation)
    if origin is Literal:
        return {type(v) for v in typing.get_args(annotation)}
    if origin in (typing.Union, types.UnionType):
        parts = [_scalar_kinds(a) for a in typing.get_args(annotation)]
        return set().union(*parts) if all(parts) else set()
    return set()  # Annotated (units, constraints with conversions), models, containers


class GeometryModel(InputModel):
    """Base of all geometry specs."""


@runtime_checkable
class Geometry(Protocol):
    """A parametric geometry the solver can mesh: analytic boxes and package models are
    interchangeable behind this protocol."""

    type: str
    curved: bool  # has curved boundaries or interfaces (then quadratic geometry pays off)

    @property
    def dimension(self) -> int: ...

    def region_names(self) -> list[str]: ...

    def boundary_names(self) -> list[str]: ...

    def check(self) -> None:
        """Raise :class:`GeometryError` for constraints pydantic cannot express."""

    def build(self, model_name: str) -> None:
        """Add the geometry, its physical groups and its mesh sizes to the current gmsh model."""


class GeometryError(ValueError):
    """A geometric constraint is violated; ``field`` is the case-file path of the culprit."""

    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message

    def __reduce__(self):  # raised on rank 0, sent to every rank
        return (type(self), (self.field, self.message))


@dataclass
class BuiltMesh:
    """What a build produced, as the solver and the reports need it."""

    dimension: int
    regions: dict[str, int] = field(default_factory=dict)  # name -> physical tag (dim)
    boundaries: dict[str, int] = field(default_factory=dict)  # name -> physical tag (dim-1)
    element_counts: dict[str, int] = field(default_factory=dict)  # region -> cells
    nodes: int = 0


@contextlib.contextmanager
def gmsh_session(verbose: bool = False) -> Iterator[None]:
    """An initialised gmsh with settings that make meshes reproducible.

    gmsh is a process-wide singleton; callers on MPI build on one rank only."""
    already = gmsh.isInitialized()
    if not already:
        # interruptible=False: gmsh must not install its own SIGINT handler in a
        # library call (the CLI owns signals).
        gmsh.initialize(interruptible=False)
    try:
        gmsh.option.setNumber("General.Terminal", 1 if verbose else 0)
        gmsh.option.setNumber("General.Verbosity", 3 if verbose else 1)
        # Reproducibility: one thread and a fixed seed give the same mesh every run.
        gmsh.option.setNumber("General.NumThreads", 1)
        gmsh.option.setNumber("Mesh.RandomSeed", 1)
        gmsh.option.setNumber("Mesh.MshFileVersion", 4.1)
        # HXT on one thread with gmsh's optimiser limited to elements below 0.1 minSICN:
        # bit-reproducible; on a 1M-tet package unit 6 s against 40 s for Delaunay, with
        # better worst elements (0.11 vs 0.02). The default threshold 0.3 made the optimiser
        # take 38 s on a coarse 2 x 2 array for no gain in the worst element.
        gmsh.option.setNumber("Mesh.Algorithm3D", 10)
        gmsh.option.setNumber("Mesh.Optimize", 1)
        gmsh.option.setNumber("Mesh.OptimizeThreshold", 0.1)
        yield
    finally:
        if not already:
            gmsh.finalize()


def set_meshing(algorithm: str = "hxt", threads: int = 1) -> None:
    """3D algorithm ("hxt" or "delaunay") and threads. One thread gives the same mesh
    every run; HXT on several threads does not."""
    gmsh.option.setNumber("Mesh.Algorithm3D", {"hxt": 10, "delaunay": 1}[algorithm])
    gmsh.option.setNumber("General.NumThreads", threads)
    gmsh.option.setNumber("Mesh.MaxNumThreads2D", threads)
    gmsh.option.setNumber("Mesh.MaxNumThreads3D", threads)


def add_physical(dim: int, entities: list[int], name: str, tag: int) -> int:
    """Add a named physical group (deduplicated entity list); returns its tag."""
    ents = sorted(set(int(e) for e in entities))
    if not ents:
        raise GeometryError(name, "no entities for this physical group (the geometry is degenerate)")
    gmsh.model.addPhysicalGroup(dim, ents, tag=tag, name=name)
    return tag


def graded_size(near: str, entities: list[int], sampling: int, size_min: float, size_max: float,
                dist_min: float, dist_max: float) -> int:
    """A gmsh size field: ``size_min`` within ``dist_min`` of the entities (``near``:
    "PointsList", "CurvesList" or "SurfacesList"), growing linearly to ``size_max`` at
    ``dist_max``. Returns the field's tag."""
    f = gmsh.model.mesh.field
    dist = f.add("Distance")
    f.setNumbers(dist, near, entities)
    if near != "PointsList":
        f.setNumber(dist, "Sampling", sampling)
    grade = f.add("Threshold")
    f.setNumber(grade, "InField", dist)
    f.setNumber(grade, "SizeMin", size_min)
    f.setNumber(grade, "SizeMax", size_max)
    f.setNumber(grade, "DistMin", dist_min)
    f.setNumber(grade, "DistMax", dist_max)
    return grade


def point_on(dim: int, tag: int) -> tuple[float, float, float]:
    """A point in the middle of a curve's or surface's parameter range."""
    lo, hi = gmsh.model.getParametrizationBounds(dim, tag)
    mid = [(a + b) / 2 for a, b in zip(lo, hi)]
    x = gmsh.model.getValue(dim, tag, mid)
    return float(x[0]), float(x[1]), float(x[2])


def bounding_box(dim: int, tag: int) -> tuple[float, ...]:
    return tuple(gmsh.model.getBoundingBox(dim, tag))


def isclose(a: float, b: float, scale: float) -> bool:
    """Equal up to OCC's bounding-box padding, relative to the model size."""
    return math.isclose(a, b, rel_tol=0.0, abs_tol=1e-6 * scale)


def to_si_mesh() -> None:
    """Scale the generated mesh from the builder's micrometres to metres."""
    s = 1.0 / UM_PER_M
    gmsh.model.mesh.affineTransform([s, 0, 0, 0, 0, s, 0, 0, 0, 0, s, 0])


def summarize(dimension: int, regions: dict[str, int], boundaries: dict[str, int]) -> BuiltMesh:
    """Count elements per region of the mesh now in gmsh."""
    counts: dict[str, int] = {}
    for name, tag in regions.items():
        n = 0
        for ent in gmsh.model.getEntitiesForPhysicalGroup(dimension, tag):
            types, tags, _ = gmsh.model.mesh.getElements(dimension, int(ent))
            n += sum(len(t) for t in tags)
        counts[name] = n
    node_tags, _, _ = gmsh.model.mesh.getNodes()
    return BuiltMesh(dimension, dict(regions), dict(boundaries), counts, int(len(node_tags)))
