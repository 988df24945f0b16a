"""Wiring substrate with bumps plated into isotropically etched concavities (process B).

Stack (z up, from the base bottom at z = 0):

    base         copper foil, 0 .. base_thickness; the plating power supply
    film         insulating film on the base with holes: radius ``hole_radius`` at the
                 film/base interface, walls tapered outward by ``taper`` from vertical
    concavity    under each hole, the isotropic etch of depth d: every base point within d
                 of the opening disk (a cylinder of the hole radius plus a quarter-round
                 rim revolved), so the film is undercut by d; neighbours closer than 2d merge
    barrier      film of given thickness plated on the concavity wall (Ni/Co)
    bump         bump material filling the lined concavity to ``fill.level`` above the
                 film/base interface (positive: into the hole)
    cap          barrier cap layer on the fill, inside the hole
    wiring       the rest of the hole, a land on the film, and per wiring layer an
                 insulator with a via and a land on top (``insulator`` regions)
    electrolyte  above the film, ``electrolyte.height`` thick (the diffusion layer), plus
                 every open hole and concavity

``stage`` says how far the process has gone: ``etched`` (base, film, open concavities),
``barrier``, ``filled``, ``capped``, ``wired``, ``final`` (base and barrier film removed:
the bumps protrude below the film). The electrolyte is present up to ``filled`` when
given.

Boundaries: ``cathode`` (electrolyte against the base, barrier or deposit), ``mask``
(electrolyte against the film: hole walls, the film top and the undercut film underside),
``bulk`` (top of the electrolyte), ``bottom``, ``top``, ``side``, ``sym_x``, ``sym_y``,
``axis`` (2D), and ``interface_<a>_<b>`` between solid regions. ``dimension = 2`` is the
axisymmetric single hole in a cell of radius pitch/2.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import gmsh
import numpy as np
from pydantic import Field, model_validator

from .assembly import VOID, Assembly, cylinder, frustum, lateral_face, revolved, slab
from .base import UM_PER_M, GeometryError, GeometryModel, RegionName, graded_size, isclose
from .units import Angle, Length

STAGES = ("etched", "barrier", "filled", "capped", "wired", "final")
PRIORITY = {"base": 10, "film": 20, "barrier": 40, "bump": 60, "cap": 65, "wiring": 70, "insulator": 15,
            "electrolyte": 50}


class Film(GeometryModel):
    thickness: Length = Field(gt=0)
    hole_radius: Length = Field(gt=0, description="at the film/base interface")
    taper: Angle = Field(0.0, ge=0, lt=math.radians(80), description="wall angle from vertical; the hole widens upward")

    @property
    def top_radius(self) -> float:
        return self.hole_radius + self.thickness * math.tan(self.taper)


class Concavity(GeometryModel):
    """Either the analytic isotropic etch of ``depth`` d, or a ``profile`` of the etched wall
    handed over by the etch solver: (r, z) points from the film/base interface (z = 0,
    r >= hole radius) down to the axis (r = 0), z <= 0, revolved about the hole axis."""

    depth: Length | None = Field(None, gt=0, description="isotropic etch depth d (undercut = d)")
    profile: list[tuple[Length, Length]] | None = Field(None, min_length=2)

    @model_validator(mode="after")
    def _one(self):
        if (self.depth is None) == (self.profile is None):
            raise ValueError("give either depth (analytic isotropic etch) or profile (from the etch solver)")
        if self.profile is not None:
            r = [p[0] for p in self.profile]
            z = [p[1] for p in self.profile]
            if abs(z[0]) > 1e-12 or abs(r[-1]) > 1e-12:
                raise ValueError("profile must start on the interface (z = 0) and end on the axis (r = 0)")
            if any(v > 1e-12 for v in z) or any(v < 0 for v in r):
                raise ValueError("profile points need r >= 0 and z <= 0 (below the film/base interface)")
        return self

    @property
    def extent(self) -> tuple[float, float]:
        """(radius at the interface, depth) in m."""
        if self.profile is None:
            return float("nan"), self.depth
        return self.profile[0][0], -min(p[1] for p in self.profile)


class Fill(GeometryModel):
    level: Length = Field(0.0, description="fill top above the film/base interface (negative: below it)")


class WiringLayer(GeometryModel):
    insulator_thickness: Length = Field(gt=0)
    via_diameter: Length = Field(gt=0)
    land_diameter: Length = Field(gt=0)
    wiring_thickness: Length = Field(gt=0)


class Electrolyte(GeometryModel):
    height: Length = Field(gt=0, description="above the film: the diffusion (Nernst) layer")
    cathode_element_size: Length | None = Field(
        None, gt=0, description="cells along the cathode, growing by about 20 % per cell to the electrolyte's "
        "size away from it (a deep liquid resolved at a moving wall)")


class HoleArray:
    """The layout of an array of holes at ``pitch``, ``margin`` from the outer hole centres to
    the model edge (default pitch / 2); in 2D one hole on the axis in a cell of radius
    ``margin``. Shared by the substrate and the masked base before the etch."""

    @property
    def edge(self) -> float:
        """Outer hole centres to the model edge (m); the cell radius in 2D."""
        return self.margin if self.margin is not None else self.pitch / 2

    def extent(self) -> tuple[float, float]:
        """Model size (um) in x and y (the cell radius and 0 in 2D)."""
        p, m = self.pitch * UM_PER_M, self.edge * UM_PER_M
        if self.dimension == 2:
            return m, 0.0
        return (self.holes[0] - 1) * p + 2 * m, (self.holes[1] - 1) * p + 2 * m

    def hole_centres(self) -> np.ndarray:
        """Hole centres (um) of the whole array, also those outside a half/quarter model."""
        if self.dimension == 2:
            return np.zeros((1, 2))
        p, m = self.pitch * UM_PER_M, self.edge * UM_PER_M
        return np.array([(m + i * p, m + j * p) for i in range(self.holes[0]) for j in range(self.holes[1])])


class BumpedSubstrate(HoleArray, GeometryModel):
    type: Literal["substrate"]
    dimension: Literal[2, 3] = 3
    stage: Literal["etched", "barrier", "filled", "capped", "wired", "final"] = "etched"
    holes: tuple[int, int] = (1, 1)
    pitch: Length = Field(gt=0)
    margin: Length | None = Field(None, gt=0, description="outer hole centres to the model edge (default pitch/2)")
    base_thickness: Length = Field(gt=0)
    film: Film
    concavity: Concavity
    barrier_thickness: Length = Field(0.0, ge=0)
    fill: Fill = Fill()
    cap_thickness: Length = Field(0.0, ge=0)
    land_diameter: Length = Field(0.0, ge=0, description="land on the film over each hole (wired)")
    land_thickness: Length = Field(0.0, ge=0)
    wiring_layers: list[WiringLayer] = Field(default_factory=list)
    electrolyte: Electrolyte | None = None
    symmetry: Literal["none", "half", "quarter"] = "none"
    element_size: Length = Field(gt=0)
    element_sizes: dict[RegionName, Length] = Field(default_factory=dict)

    # As for the package: affine cells by default; [mesh] order = 2 on request (checked).
    curved: ClassVar[bool] = False

    @model_validator(mode="after")
    def _consistent(self):
        if min(self.holes) < 1 or max(self.holes) > 30:
            raise ValueError("holes must be between 1 and 30 in each direction")
        if self.dimension == 2 and self.symmetry != "none":
            raise ValueError("the axisymmetric model (dimension = 2) takes symmetry = 'none'")
        return self

    def _at(self, stage: str) -> bool:
        return STAGES.index(self.stage) >= STAGES.index(stage)

    def region_names(self) -> list[str]:
        names = [] if self.stage == "final" else ["base"]
        names.append("film")
        if self._at("barrier") and self.stage != "final":
            names.append("barrier")
        if self._at("filled"):
            names.append("bump")
        if self._at("capped"):
            names.append("cap")
        if self._at("wired"):
            names.append("wiring")
            if self.wiring_layers:
                names.append("insulator")
        if self._has_electrolyte():
            names.append("electrolyte")
        return names

    def _has_electrolyte(self) -> bool:
        return self.electrolyte is not None and not self._at("capped")

    def boundary_names(self) -> list[str]:
        names = ["bottom", "top", "side"] if not self._has_electrolyte() else ["bottom", "bulk", "side"]
        if self.stage == "final":
            names.append("bump_surface")
        if self._has_electrolyte():
            names += ["cathode", "mask"]
        if self.dimension == 2:
            names.append("axis")
        names += {"none": [], "half": ["sym_x"], "quarter": ["sym_x", "sym_y"]}[self.symmetry]
        return names

    # -- layout: HoleArray (micrometres) -------------------------------------------------------

    @property
    def depth(self) -> float:
        """Concavity depth (m), analytic or from the profile."""
        return self.concavity.extent[1]

    @property
    def _concavity_field(self) -> str:
        return "geometry.concavity." + ("profile" if self.concavity.profile is not None else "depth")

    def reach(self) -> float:
        """Concavity radius at the film/base interface (m)."""
        if self.concavity.profile is not None:
            return self.concavity.profile[0][0]
        return self.film.hole_radius + self.concavity.depth

    def concavity_volume(self, depth: float | None = None) -> float:
        """Closed form (m^3) of one analytic concavity: pi R^2 d + (pi^2/2) R d^2 + (2/3) pi d^3."""
        R = self.film.hole_radius
        d = self.concavity.depth if depth is None else depth
        return math.pi * R**2 * d + math.pi**2 / 2 * R * d**2 + 2 / 3 * math.pi * d**3

    def facts(self) -> dict[str, float]:
        """Concavity and bump figures (micrometres): depth and reach at the film; from stage
        ``filled`` on the bump's extent below the film, lined by the barrier (which the final
        stage removes, leaving the bump protruding by that much)."""
        um = UM_PER_M
        out = {"concavity_depth_um": self.depth * um, "concavity_radius_at_film_um": self.reach() * um,
               "undercut_um": (self.reach() - self.film.hole_radius) * um}
        if self._at("filled"):
            inner = self.depth - self.barrier_thickness
            out["bump_depth_below_film_um"] = inner * um
            out["bump_radius_at_film_um"] = (self.reach() - self.barrier_thickness) * um
            out["barrier_thickness_um"] = self.barrier_thickness * um
        return out

    # -- checks --------------------------------------------------------------------------------
    def check(self) -> None:
        um = UM_PER_M
        R, d, f = self.film.hole_radius, self.depth, self.film
        if self.concavity.profile is not None:
            if self.stage != "etched":
                raise GeometryError("geometry.concavity.profile",
                                    "a concavity profile supports stage = 'etched' only (the later layers are grown "
                                    "on it by the plating solver)")
            if self.reach() < R - 1e-12:
                raise GeometryError("geometry.concavity.profile",
                                    "the profile must start at or outside the hole radius (the film/base opening)")
        if d >= self.base_thickness:
            raise GeometryError(self._concavity_field,
                                f"{d * um:.4g} um reaches through the {self.base_thickness * um:.4g} um base")
        if self.reach() >= self.edge:
            # Merging neighbours are fine; leaving (or touching) the modelled area is not.
            raise GeometryError(self._concavity_field,
                                f"the concavity (radius {self.reach() * um:.4g} um at the film) reaches the edge "
                                f"of the modelled area ({self.edge * um:.4g} um from the hole centre; see "
                                "geometry.margin)")
        # Film holes may not touch each other nor the model edge.
        limit = self.edge if tuple(self.holes) == (1, 1) else min(self.pitch / 2, self.edge)
        if f.top_radius >= limit:
            raise GeometryError("geometry.film.taper",
                                f"the holes open to radius {f.top_radius * um:.4g} um at the film top and overlap "
                                f"(pitch {self.pitch * um:.4g} um)")
        if self._at("barrier") and not 0 < self.barrier_thickness < d:
            raise GeometryError("geometry.barrier_thickness",
                                f"must be positive and below the concavity depth ({d * um:.4g} um)")
        inner = d - self.barrier_thickness
        if self._at("filled"):
            lvl = self.fill.level
            if not -inner < lvl <= f.thickness:
                raise GeometryError("geometry.fill.level",
                                    f"{lvl * um:.4g} um is outside the lined concavity and hole "
                                    f"({-inner * um:.4g} .. {f.thickness * um:.4g} um)")
        if self._at("capped"):
            if self.cap_thickness <= 0:
                raise GeometryError("geometry.cap_thickness", "must be positive from stage 'capped' on")
            if self.fill.level < 0:
                raise GeometryError("geometry.fill.level", "the cap sits in the hole: fill to the interface or above")
            if self.fill.level + self.cap_thickness > f.thickness + 1e-15:
                raise GeometryError("geometry.cap_thickness",
                                    f"fill level + cap ({(self.fill.level + self.cap_thickness) * um:.4g} um) exceeds "
                                    f"the film thickness ({f.thickness * um:.4g} um)")
        if self._at("wired"):
            if self.land_diameter < 2 * f.top_radius or self.land_thickness <= 0:
                raise GeometryError("geometry.land_diameter",
                                    f"the land must cover the hole (>= {2 * f.top_radius * um:.4g} um) and have a "
                                    "positive land_thickness")
            if self.land_diameter >= self.pitch:
                raise GeometryError("geometry.land_diameter", "lands of neighbouring holes overlap (>= pitch)")
            below = self.land_diameter
            for i, layer in enumerate(self.wiring_layers):
                if layer.via_diameter > below:
                    raise GeometryError(f"geometry.wiring_layers[{i}].via_diameter",
                                        f"{layer.via_diameter * um:.4g} um is wider than the land below "
                                        f"({below * um:.4g} um)")
                if layer.land_diameter < layer.via_diameter or layer.land_diameter >= self.pitch:
                    raise GeometryError(f"geometry.wiring_layers[{i}].land_diameter",
                                        "must cover the via and stay below the pitch")
                below = layer.land_diameter

    # -- build ----------------------------------------------------------------------------------
    def build(self, model_name: str = "substrate") -> None:
        gmsh.model.add(model_name)
        dim = self.dimension
        um = UM_PER_M
        asm = Assembly(dim, self.region_names())
        ex, ey = self.extent()
        tb, tf = self.base_thickness * um, self.film.thickness * um
        zi, zf = tb, tb + tf
        R, d = self.film.hole_radius * um, self.depth * um
        Rt = self.film.top_radius * um
        z_top = zf + (self.electrolyte.height * um if self._has_electrolyte() else 0.0)
        if self._at("wired"):
            z_top = max(z_top, zf + self.land_thickness * um
                        + sum((w.insulator_thickness + w.wiring_thickness) * um for w in self.wiring_layers))
        if self.symmetry != "none":
            lo = [ex / 2, ey / 2 if self.symmetry == "quarter" else -1.0, -1.0]
            asm.clip_to(lo, [ex + 1.0, ey + 1.0, z_top + 1.0])

        def box(z0, z1):
            return slab((0.0, 0.0, z0), (ex, ey, z1), 3) if dim == 3 else slab((0.0, z0), (ex, z1), 2)

        def clipped(parts, z0, z1):
            """``parts`` kept between z0 and z1."""
            cut = box(z0, z1)
            out, _ = gmsh.model.occ.intersect(parts, cut)
            return [e for e in out if e[0] == dim]

        open_fill = "electrolyte" if self._has_electrolyte() else VOID
        p_open = PRIORITY["electrolyte"] if self._has_electrolyte() else 100
        final = self.stage == "final"
        if not final:
            asm.add(box(0.0, tb), "base", PRIORITY["base"])
        asm.add(box(zi, zf), "film", PRIORITY["film"])
        inner_depth = d - (self.barrier_thickness * um if self._at("barrier") else 0.0)
        fill_z = zi + self.fill.level * um
        cap_z = fill_z + self.cap_thickness * um
        for x, y in self.hole_centres():
            if not final:
                # The concavity: open, or lined with the barrier film.
                lining = "barrier" if self._at("barrier") else open_fill
                asm.add(self._concavity(x, y, zi, R, d), lining, PRIORITY["barrier"] if lining == "barrier" else p_open)
            inner = self._concavity(x, y, zi, R, inner_depth)
            if self._at("filled"):
                if fill_z >= zi:
                    asm.add(inner, "bump", PRIORITY["bump"])
                    if fill_z > zi:
                        asm.add(frustum(x, y, zi, fill_z, R, self._hole_radius_at(fill_z - zi), dim), "bump",
                                PRIORITY["bump"])
                else:
                    asm.add(clipped(inner, zi - d - 1.0, fill_z), "bump", PRIORITY["bump"])
                    if not final:
                        asm.add(clipped(self._concavity(x, y, zi, R, inner_depth), fill_z, zi), open_fill, p_open)
                above = fill_z
                if self._at("capped"):
                    asm.add(frustum(x, y, fill_z, cap_z, self._hole_radius_at(fill_z - zi),
                                    self._hole_radius_at(cap_z - zi), dim), "cap", PRIORITY["cap"])
                    above = cap_z
                if above < zf - 1e-9:
                    rest = frustum(x, y, max(above, zi), zf, self._hole_radius_at(max(above, zi) - zi), Rt, dim)
                    asm.add(rest, "wiring" if self._at("wired") else open_fill,
                            PRIORITY["wiring"] if self._at("wired") else p_open)
            else:
                asm.add(inner, open_fill, p_open)
                asm.add(frustum(x, y, zi, zf, R, Rt, dim), open_fill, p_open)
        if self._has_electrolyte():
            asm.add(box(zf, zf + self.electrolyte.height * um), "electrolyte", PRIORITY["electrolyte"])
        if self._at("wired"):
            self._add_wiring(asm, zf)
        asm.fragment()

        scale = max(ex, ey, z_top)
        bottom_z = zi if final else 0.0

        def exterior(bb, region):
            zk = dim - 1
            flat_z = isclose(bb[zk], bb[zk + 3], scale)
            if flat_z and isclose(bb[zk], bottom_z, scale):
                return "bottom"
            if final and bb[zk + 3] <= bottom_z + 1e-6 * scale:
                return "bump_surface"  # protruding below the film once the base is gone
            if region == "electrolyte" and flat_z and isclose(bb[zk], z_top, scale):
                return "bulk"
            return lateral_face(bb, dim, (ex, ey), self.symmetry, scale) or "top"

        def interface(a, b):
            pair = {a, b}
            if "electrolyte" in pair:
                other = (pair - {"electrolyte"}).pop()
                return "mask" if other in ("film", "insulator") else "cathode"
            return None

        faces = asm.boundaries(exterior, interface)
        asm.add_physical_groups(faces)
        sizes = self._sizes()
        asm.set_sizes(sizes, self.element_size * um)
        if self._has_electrolyte() and self.electrolyte.cathode_element_size is not None:
            self._grade_from_cathode(asm, faces.get("cathode", []), sizes)

    def _grade_from_cathode(self, asm: Assembly, cathode: list[int], sizes: dict[str, float]) -> None:
        """Fine cells along the cathode, coarse ones far from it, in the electrolyte only: a
        liquid many diffusion lengths deep costs cells in proportion to the wall's length,
        not to its area. The growth over 5 coarse sizes keeps neighbouring cells within
        about 20 % of each other."""
        if not cathode:
            raise GeometryError("geometry.electrolyte.cathode_element_size", "the electrolyte touches no cathode")
        um = UM_PER_M
        fine = self.electrolyte.cathode_element_size * um
        coarse = max(fine, min(sizes["electrolyte"], self.element_size * um))
        near = "CurvesList" if self.dimension == 2 else "SurfacesList"
        grade = graded_size(near, cathode, 4 if self.dimension == 2 else 40, fine, coarse, fine, 5 * coarse)
        f = gmsh.model.mesh.field
        inside = f.add("Restrict")
        f.setNumber(inside, "InField", grade)
        f.setNumbers(inside, "SurfacesList" if self.dimension == 2 else "VolumesList", asm.regions["electrolyte"])
        f.setNumber(inside, "IncludeBoundary", 1)
        f.setAsBackgroundMesh(inside)

    def sections(self) -> list[dict]:
        """Panels for the mesh picture: through a row of holes, and a close-up of one."""
        ex, ey = self.extent()
        c = self.hole_centres()
        lo_x = ex / 2 if self.symmetry != "none" else 0.0
        lo_y = ey / 2 if self.symmetry == "quarter" else -np.inf
        c = c[(c[:, 0] >= lo_x) & (c[:, 1] >= lo_y)]
        x, y = c[np.lexsort((c[:, 0], c[:, 1]))][0]
        zi = self.base_thickness * UM_PER_M
        half = min(self.pitch / 2, self.edge) * UM_PER_M
        return [
            {"axis": 1, "at": float(y), "window": None, "label": "hole row"},
            {"axis": 1, "at": float(y), "label": "one hole",
             "window": (x - half, x + half, zi - 2 * self.depth * UM_PER_M,
                        zi + (self.film.thickness + self.depth) * UM_PER_M * 1.5)},
        ]

    def _hole_radius_at(self, h: float) -> float:
        """Hole radius (um) at height h (um) above the film/base interface."""
        return self.film.hole_radius * UM_PER_M + h * math.tan(self.film.taper)

    def _concavity(self, x, y, zi, R, d):
        """The set of points within d of the opening disk of radius R, below zi; or the
        revolved etch-solver profile."""
        if self.concavity.profile is not None:
            pts = [(r * UM_PER_M, zi + z * UM_PER_M) for r, z in self.concavity.profile]
            return revolved([(0.0, zi)] + pts, None, self.dimension, (x, y))
        if R > 1e-9:
            rz = [(0.0, zi), (R + d, zi), (R, zi - d), (0.0, zi - d)]
        else:
            rz = [(0.0, zi), (d, zi), (0.0, zi - d)]
        return revolved(rz, {1: (R, zi)}, self.dimension, (x, y))

    def _add_wiring(self, asm: Assembly, zf: float) -> None:
        um = UM_PER_M
        dim = self.dimension
        ex, ey = self.extent()
        z = zf
        z_land = z + self.land_thickness * um
        for x, y in self.hole_centres():
            asm.add(cylinder(x, y, z, z_land, self.land_diameter * um / 2, dim), "wiring", PRIORITY["wiring"])
        z = z_land
        for layer in self.wiring_layers:
            z_ins = z + layer.insulator_thickness * um
            z_w = z_ins + layer.wiring_thickness * um
            if dim == 3:
                asm.add(slab((0.0, 0.0, zf), (ex, ey, z_ins), 3), "insulator", PRIORITY["insulator"])
            else:
                asm.add(slab((0.0, zf), (ex, z_ins), 2), "insulator", PRIORITY["insulator"])
            for x, y in self.hole_centres():
                asm.add(cylinder(x, y, z, z_ins, layer.via_diameter * um / 2, dim), "wiring", PRIORITY["wiring"])
                asm.add(cylinder(x, y, z_ins, z_w, layer.land_diameter * um / 2, dim), "wiring", PRIORITY["wiring"])
            z = z_w

    def _sizes(self) -> dict[str, float]:
        um = UM_PER_M
        h = self.element_size * um
        d = self.depth * um
        sizes = {"film": min(h, 2.5 * self.film.thickness * um), "bump": min(h, d / 4), "cap": h,
                 "wiring": h, "electrolyte": h, "base": h}
        if self._at("barrier") and self.stage != "final":
            sizes["barrier"] = min(h, 2.5 * self.barrier_thickness * um)
        if self._at("capped"):
            sizes["cap"] = min(h, 2.5 * self.cap_thickness * um)
        if self._at("wired"):
            sizes["wiring"] = min(h, 2.5 * self.land_thickness * um)
        # The etched wall and the mask edge carry the physics: resolve the concavity.
        sizes["electrolyte"] = min(sizes["electrolyte"], max(d / 4, h / 8))
        for name, value in self.element_sizes.items():
            sizes[name] = value * um
        return sizes
