"""Wafer-level chip-size package with sprout (stud) bumps penetrating a resin-sealing layer.

Stack (z up, from the die bottom at z = 0):

    die            Si, 0 .. die_thickness, over the whole modelled area
    pad            electrode pads on the die (square), peripheral rows or an area array
    bump           sprout bumps on the pads: a flattened-ball base (cylinder) and a cone
                   (frustum); ``stack`` of them, each base on the tip of the one below
    resin          resin-sealing layer from the die top, thinner than the bump stack so
                   the tips project by (pad + stack height - resin thickness)
    wiring         on the resin top: a trace from each bump tip to a round land; the
                   projecting tip is embedded in it
    resist         solder resist over the uppermost wiring, with openings over the lands
    solder         solder balls in the openings: the opening filled, a spherical cap on top

Multi-layer: every further arrangement is a resin layer laminated over the wiring below
with its bumps bonded on the lands below (``resin_2``, ``bump_2``, ``wiring_2``, ...).

``state = "on_wafer"`` models an n x m array of chip areas separated by scribe lanes (the
die and resin continue through the lanes); ``"diced"`` one package cut in the lane
(free edges, ``(scribe_width - kerf)/2`` of lane left on each side). ``symmetry`` keeps
half (x >= centre) or a quarter (x, y >= centre) with the planes tagged ``sym_x``,
``sym_y``. ``dimension = 2`` is the axisymmetric single-bump model: one pad at r = 0 in a
cell of radius pitch/2, the land directly over the bump and the ball over the land.

Boundaries: ``bottom`` (die bottom), ``top`` (every upward-exposed face), ``side``
(lateral faces: package edges or wafer cuts), ``sym_x``/``sym_y``, ``axis`` (2D), and
``interface_<a>_<b>`` between every pair of touching regions.
"""

from __future__ import annotations

import math
from typing import ClassVar, Literal

import gmsh
import numpy as np
from pydantic import Field, field_validator, model_validator

from .assembly import VOID, Assembly, bar, cylinder, frustum, lateral_face, slab
from .base import UM_PER_M, GeometryError, GeometryModel, RegionName, isclose
from .units import Length

# Precedence where primitives overlap: a bump keeps its tip inside the wiring, the
# wiring displaces resin, a ball fills its resist opening.
PRIORITY = {"die": 10, "pad": 20, "bump": 40, "wiring": 30, "solder": 35, "resin": 5, "resist": 6}


class Pads(GeometryModel):
    layout: Literal["peripheral", "area_array"] = "peripheral"
    pitch: Length = Field(gt=0)
    size: Length = Field(gt=0, description="side of the square pad")
    thickness: Length = Field(gt=0)
    per_side: int = Field(3, ge=1, le=200, description="pads per chip edge (peripheral)")
    inset: Length | None = Field(None, gt=0, description="chip edge to pad centre (peripheral)")
    count: tuple[int, int] = Field((3, 3), description="pads in x and y (area array)")


class SproutBump(GeometryModel):
    base_diameter: Length = Field(gt=0, description="flattened ball bonded on the pad")
    base_height: Length = Field(gt=0)
    cone_base_diameter: Length = Field(gt=0)
    cone_tip_diameter: Length = Field(gt=0)
    cone_height: Length = Field(gt=0)
    stack: int = Field(1, ge=1, le=6, description="bumps stacked, each on the tip of the one below")

    @property
    def height(self) -> float:
        return self.stack * (self.base_height + self.cone_height)

    @model_validator(mode="after")
    def _shape(self):
        if self.cone_tip_diameter > self.cone_base_diameter:
            raise ValueError("cone_tip_diameter must not exceed cone_base_diameter")
        if self.cone_base_diameter > self.base_diameter:
            raise ValueError("cone_base_diameter must not exceed base_diameter (the cone sits on the base)")
        return self


class Wiring(GeometryModel):
    thickness: Length = Field(gt=0)
    trace_width: Length = Field(gt=0)
    land_diameter: Length = Field(gt=0)
    route: Literal["fan_out", "fan_in", "offset"] = "fan_in"
    route_length: Length = Field(0.0, ge=0, description="fan_in/fan_out: bump to land distance")
    offset: tuple[Length, Length] = Field((0.0, 0.0), description="route = offset: land minus bump")

    @model_validator(mode="after")
    def _routed(self):
        if self.route in ("fan_in", "fan_out") and self.route_length <= 0:
            raise ValueError(f"route_length: a {self.route} route needs a length > 0 (the trace from the bump "
                             "to its land); for a land on the bump use route = 'offset'")
        return self


class Arrangement(GeometryModel):
    resin_thickness: Length = Field(gt=0)
    bump: SproutBump
    wiring: Wiring


class Resist(GeometryModel):
    thickness: Length = Field(gt=0, description="above the wiring top")
    opening_diameter: Length = Field(gt=0)


class SolderBall(GeometryModel):
    diameter: Length = Field(gt=0)


class ChipSizePackage(GeometryModel):
    type: Literal["csp"]
    dimension: Literal[2, 3] = 3
    state: Literal["on_wafer", "diced"] = "on_wafer"
    chips: tuple[int, int] = (1, 1)
    chip_size: tuple[Length, Length]
    scribe_width: Length = Field(0.0, ge=0)
    kerf: Length = Field(0.0, ge=0, description="saw kerf (diced)")
    die_thickness: Length = Field(gt=0)
    pads: Pads
    arrangements: list[Arrangement] = Field(min_length=1, max_length=6)
    resist: Resist | None = None
    solder_ball: SolderBall | None = None
    symmetry: Literal["none", "half", "quarter"] = "none"
    element_size: Length = Field(gt=0, description="largest element size (die, resin)")
    element_sizes: dict[RegionName, Length] = Field(
        default_factory=dict, description="per-region element size; thin layers default to 2.5x their thickness"
    )

    # Curved bumps and balls, but quadratic cells on these thin-layered 3D meshes came
    # out inverted (GAMG set-up failed): affine cells by default, order 2 on request.
    curved: ClassVar[bool] = False

    @field_validator("chips")
    @classmethod
    def _chips(cls, v):
        if min(v) < 1 or max(v) > 20:
            raise ValueError("chips must be between 1 and 20 in each direction")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        if self.state == "diced" and tuple(self.chips) != (1, 1):
            raise ValueError("a diced model is one package: chips must be [1, 1]")
        if self.dimension == 2 and self.symmetry != "none":
            raise ValueError("the axisymmetric model (dimension = 2) takes symmetry = 'none'")
        if self.solder_ball is not None and self.resist is None:
            raise ValueError("solder_ball needs a resist layer (the ball sits in its opening)")
        if self.symmetry != "none" and any(a.wiring.route == "offset" for a in self.arrangements):
            raise ValueError("symmetry needs a symmetric routing: route = 'offset' is not (use fan_in or fan_out)")
        return self

    # -- names ---------------------------------------------------------------------------
    def _layer_names(self, base: str, k: int) -> str:
        return base if k == 0 else f"{base}_{k + 1}"

    def region_names(self) -> list[str]:
        names = ["die", "pad"]
        for k in range(len(self.arrangements)):
            names += [self._layer_names(n, k) for n in ("bump", "resin", "wiring")]
        if self.resist is not None:
            names.append("resist")
        if self.solder_ball is not None:
            names.append("solder")
        return names

    def boundary_names(self) -> list[str]:
        names = ["bottom", "top", "side"]
        if self.dimension == 2:
            names = ["bottom", "top", "side", "axis"]
        names += {"none": [], "half": ["sym_x"], "quarter": ["sym_x", "sym_y"]}[self.symmetry]
        return names  # interfaces are added by what touches what

    # -- layout (micrometres) --------------------------------------------------------------
    def _cell(self) -> tuple[float, float]:
        um = UM_PER_M
        return ((self.chip_size[0] + self.scribe_width) * um, (self.chip_size[1] + self.scribe_width) * um)

    def extent(self) -> tuple[float, float]:
        """Modelled area (x, y) in micrometres (before symmetry cuts)."""
        um = UM_PER_M
        if self.dimension == 2:
            return self.pads.pitch * um / 2, 0.0
        if self.state == "diced":
            margin = (self.scribe_width - self.kerf) * um
            return self.chip_size[0] * um + margin, self.chip_size[1] * um + margin
        cx, cy = self._cell()
        return self.chips[0] * cx, self.chips[1] * cy

    def chip_centres(self) -> list[tuple[float, float]]:
        if self.state == "diced":
            ex, ey = self.extent()
            return [(ex / 2, ey / 2)]
        cx, cy = self._cell()
        return [((i + 0.5) * cx, (j + 0.5) * cy) for i in range(self.chips[0]) for j in range(self.chips[1])]

    def pad_offsets(self) -> np.ndarray:
        """Pad centres relative to their chip centre (micrometres)."""
        um = UM_PER_M
        p = self.pads
        if p.layout == "area_array":
            nx, ny = p.count
            xs = (np.arange(nx) - (nx - 1) / 2) * p.pitch * um
            ys = (np.arange(ny) - (ny - 1) / 2) * p.pitch * um
            return np.array([(x, y) for x in xs for y in ys])
        inset = (p.inset if p.inset is not None else 2 * p.size) * um
        hx, hy = self.chip_size[0] * um / 2 - inset, self.chip_size[1] * um / 2 - inset
        along = (np.arange(p.per_side) - (p.per_side - 1) / 2) * p.pitch * um
        pts = []
        for t in along:
            pts += [(t, -hy), (t, hy), (-hx, t), (hx, t)]
        return np.unique(np.round(np.array(pts), 9), axis=0)

    def bump_sites(self) -> list[np.ndarray]:
        """Bump centres (x, y) for each arrangement; arrangement k+1 bonds on the lands of k.
        The axisymmetric model has one site, on the axis."""
        if self.dimension == 2:
            return [np.zeros((1, 2)) for _ in range(len(self.arrangements) + 1)]
        sites = [np.array([(cx + dx, cy + dy) for cx, cy in self.chip_centres() for dx, dy in self.pad_offsets()])]
        for k in range(len(self.arrangements)):
            sites.append(self.land_sites(k, sites[k]))
        return sites

    def land_sites(self, k: int, bumps: np.ndarray) -> np.ndarray:
        w = self.arrangements[k].wiring
        um = UM_PER_M
        if self.dimension == 2:
            return bumps.copy()
        if w.route == "offset":
            return bumps + np.array(w.offset) * um
        centres = np.array(self.chip_centres())
        out = []
        for b in bumps:
            c = centres[np.argmin(np.linalg.norm(centres - b, axis=1))]
            d = b - c
            n = np.linalg.norm(d)
            u = d / n if n > 1e-9 else np.array([1.0, 0.0])
            sign = 1.0 if w.route == "fan_out" else -1.0
            out.append(b + sign * w.route_length * um * u)
        return np.array(out)

    def levels(self) -> list[dict[str, float]]:
        """z levels (micrometres) of every arrangement: bump foot, resin bottom/top,
        wiring top."""
        um = UM_PER_M
        out = []
        resin_bottom = self.die_thickness * um
        foot = resin_bottom + self.pads.thickness * um
        for a in self.arrangements:
            resin_top = resin_bottom + a.resin_thickness * um
            out.append({
                "foot": foot, "resin_bottom": resin_bottom, "resin_top": resin_top,
                "tip": foot + a.bump.height * um, "wiring_top": resin_top + a.wiring.thickness * um,
            })
            resin_bottom = resin_top
            foot = resin_top + a.wiring.thickness * um
        return out

    def bump_diameter_at(self, k: int, z: float) -> float:
        """Diameter (micrometres) of arrangement k's bump stack at height z."""
        b = self.arrangements[k].bump
        um = UM_PER_M
        z0 = self.levels()[k]["foot"]
        for _ in range(b.stack):
            if z0 <= z <= z0 + b.base_height * um:
                return b.base_diameter * um
            z0 += b.base_height * um
            if z0 <= z <= z0 + b.cone_height * um:
                t = (z - z0) / (b.cone_height * um)
                return (b.cone_base_diameter + t * (b.cone_tip_diameter - b.cone_base_diameter)) * um
            z0 += b.cone_height * um
        return 0.0

    # -- checks ----------------------------------------------------------------------------
    def facts(self) -> dict[str, float]:
        """What the process engineer checks in this geometry (micrometres): per arrangement
        (suffix _2, _3 from the second on) the resin thickness and how far the bump tips
        project above it into the wiring."""
        um = UM_PER_M
        out = {}
        for k, (a, lv) in enumerate(zip(self.arrangements, self.levels())):
            sfx = "" if k == 0 else f"_{k + 1}"
            out[f"resin_thickness_um{sfx}"] = a.resin_thickness * um
            out[f"tip_projection_um{sfx}"] = lv["tip"] - lv["resin_top"]
            out[f"wiring_thickness_um{sfx}"] = a.wiring.thickness * um
        return out

    def check(self) -> None:
        um = UM_PER_M
        p = self.pads
        if p.thickness >= self.arrangements[0].resin_thickness:
            raise GeometryError("geometry.arrangements[0].resin_thickness",
                                f"{self.arrangements[0].resin_thickness * um:.4g} um leaves the resin top at or "
                                f"below the pad top ({p.thickness * um:.4g} um pads)")
        levels = self.levels()
        for k, (a, lv) in enumerate(zip(self.arrangements, levels)):
            f = f"geometry.arrangements[{k}]"
            projection = lv["tip"] - lv["resin_top"]
            if projection <= 0:
                tip = lv["tip"] - lv["resin_bottom"]
                raise GeometryError(f"{f}.resin_thickness",
                                    f"{a.resin_thickness * um:.4g} um buries the bump tips ({tip:.4g} um above the "
                                    "resin bottom): the tips must project (thinner resin or taller bumps)")
            if projection > a.wiring.thickness * um + 1e-9:
                raise GeometryError(f"{f}.wiring.thickness",
                                    f"{a.wiring.thickness * um:.4g} um does not embed the bump tips projecting "
                                    f"{projection:.4g} um above the resin (needs >= {projection:.4g} um)")
            crossing = self.bump_diameter_at(k, lv["resin_top"])
            if a.wiring.trace_width * um < crossing - 1e-9:
                raise GeometryError(f"{f}.wiring.trace_width",
                                    f"{a.wiring.trace_width * um:.4g} um is narrower than the bump where it leaves "
                                    f"the resin ({crossing:.4g} um): the tip would not be embedded")
            if a.wiring.land_diameter < a.wiring.trace_width:
                raise GeometryError(f"{f}.wiring.land_diameter", "must be at least the trace width")
        sites = self.bump_sites()
        for k, a in enumerate(self.arrangements):
            f = f"geometry.arrangements[{k}]"
            _min_spacing(sites[k], a.bump.base_diameter * um, f"{f}.bump.base_diameter",
                         "bumps overlap: the pad pitch is smaller than the bump base")
            if k > 0:
                below = self.arrangements[k - 1].wiring.land_diameter
                if a.bump.base_diameter > below + 1e-12:
                    raise GeometryError(f"{f}.bump.base_diameter",
                                        f"{a.bump.base_diameter * um:.4g} um overhangs the land below "
                                        f"({below * um:.4g} um)")
            if self.dimension == 3:
                _min_spacing(sites[k + 1], a.wiring.land_diameter * um, f"{f}.wiring.land_diameter",
                             "lands overlap: route them further apart or make them smaller")
                self._inside_chips(sites[k + 1], a.wiring.land_diameter * um / 2, f"{f}.wiring")
        if self.dimension == 3:
            self._inside_chips(sites[0], p.size * um / 2, "geometry.pads")
        else:
            cell = self.pads.pitch * um / 2
            for k, a in enumerate(self.arrangements):
                if a.bump.base_diameter * um / 2 > cell or a.wiring.land_diameter * um / 2 > cell:
                    raise GeometryError(f"geometry.arrangements[{k}]",
                                        "bump base or land wider than the axisymmetric cell (pads.pitch)")
        if self.resist is not None:
            top = self.arrangements[-1].wiring
            if self.resist.opening_diameter > top.land_diameter:
                raise GeometryError("geometry.resist.opening_diameter",
                                    f"{self.resist.opening_diameter * um:.4g} um is wider than the land "
                                    f"({top.land_diameter * um:.4g} um)")
        if self.solder_ball is not None:
            if self.solder_ball.diameter <= self.resist.opening_diameter:
                raise GeometryError("geometry.solder_ball.diameter", "must exceed the resist opening diameter")
            if self.dimension == 3:
                _min_spacing(sites[-1], self.solder_ball.diameter * um, "geometry.solder_ball.diameter",
                             "solder balls overlap: the lands are closer than a ball diameter")

    def _inside_chips(self, pts: np.ndarray, radius: float, field: str) -> None:
        um = UM_PER_M
        hx, hy = self.chip_size[0] * um / 2, self.chip_size[1] * um / 2
        centres = np.array(self.chip_centres())
        for pt in pts:
            c = centres[np.argmin(np.linalg.norm(centres - pt, axis=1))]
            d = np.abs(pt - c)
            if d[0] + radius > hx + 1e-6 or d[1] + radius > hy + 1e-6:
                raise GeometryError(field, f"a feature at ({pt[0]:.1f}, {pt[1]:.1f}) um reaches outside its chip area")

    # -- build -----------------------------------------------------------------------------
    def build(self, model_name: str = "csp") -> None:
        gmsh.model.add(model_name)
        dim = self.dimension
        um = UM_PER_M
        asm = Assembly(dim, self.region_names())
        ex, ey = self.extent()
        levels = self.levels()
        top_z = levels[-1]["wiring_top"] + (self.resist.thickness * um if self.resist else 0.0)
        if self.solder_ball is not None:
            top_z += self.solder_ball.diameter * um
        if self.symmetry != "none":
            lo = [ex / 2, 0.0, -1.0]
            lo[1] = ey / 2 if self.symmetry == "quarter" else -1.0
            asm.clip_to(lo, [ex + 1.0, ey + 1.0, top_z + 1.0])

        def box(z0, z1):
            return slab((0.0, 0.0, z0), (ex, ey, z1), dim) if dim == 3 else slab((0.0, z0), (ex, z1), 2)

        asm.add(box(0.0, self.die_thickness * um), "die", PRIORITY["die"])
        sites = self.bump_sites()
        half_pad = self.pads.size * um / 2
        z_die = self.die_thickness * um
        z_pad = z_die + self.pads.thickness * um
        for x, y in sites[0]:
            if dim == 3:
                part = slab((x - half_pad, y - half_pad, z_die), (x + half_pad, y + half_pad, z_pad), 3)
            else:
                part = slab((0.0, z_die), (half_pad, z_pad), 2)
            asm.add(part, "pad", PRIORITY["pad"])
        for k, (a, lv) in enumerate(zip(self.arrangements, levels)):
            bump_name = self._layer_names("bump", k)
            for x, y in sites[k]:
                z = lv["foot"]
                b = a.bump
                for _ in range(b.stack):
                    asm.add(cylinder(x, y, z, z + b.base_height * um, b.base_diameter * um / 2, dim),
                            bump_name, PRIORITY["bump"])
                    z += b.base_height * um
                    asm.add(frustum(x, y, z, z + b.cone_height * um, b.cone_base_diameter * um / 2,
                                    b.cone_tip_diameter * um / 2, dim), bump_name, PRIORITY["bump"])
                    z += b.cone_height * um
            asm.add(box(lv["resin_bottom"], lv["resin_top"]), self._layer_names("resin", k), PRIORITY["resin"])
            wiring_name = self._layer_names("wiring", k)
            r_land = a.wiring.land_diameter * um / 2
            for (x, y), (lx, ly) in zip(sites[k], sites[k + 1]):
                asm.add(cylinder(lx, ly, lv["resin_top"], lv["wiring_top"], r_land, dim), wiring_name,
                        PRIORITY["wiring"])
                if dim == 3 and math.hypot(lx - x, ly - y) > 1e-6:
                    # A round trace end around the bump: the whole projecting tip is embedded.
                    asm.add(cylinder(x, y, lv["resin_top"], lv["wiring_top"], a.wiring.trace_width * um / 2, 3),
                            wiring_name, PRIORITY["wiring"])
                    asm.add(bar(x, y, lx, ly, a.wiring.trace_width * um, lv["resin_top"], lv["wiring_top"]),
                            wiring_name, PRIORITY["wiring"])
        if self.resist is not None:
            z0 = levels[-1]["resin_top"]
            z_land = levels[-1]["wiring_top"]
            z1 = z_land + self.resist.thickness * um
            asm.add(box(z0, z1), "resist", PRIORITY["resist"])
            r_open = self.resist.opening_diameter * um / 2
            for lx, ly in sites[-1]:
                fill = "solder" if self.solder_ball else VOID
                asm.add(cylinder(lx, ly, z_land, z1, r_open, dim), fill,
                        PRIORITY["solder"] if self.solder_ball else 100)
                if self.solder_ball is not None:
                    asm.add(self._ball_cap(lx, ly, z1, r_open, dim), "solder", PRIORITY["solder"])
        asm.fragment()

        scale = max(ex, ey, top_z)

        def exterior(bb, region):
            zk = dim - 1
            if isclose(bb[zk], bb[zk + 3], scale) and isclose(bb[zk], 0.0, scale):
                return "bottom"
            return lateral_face(bb, dim, (ex, ey), self.symmetry, scale) or "top"

        faces = asm.boundaries(exterior)
        asm.add_physical_groups(faces)
        asm.set_sizes(self._sizes(), self.element_size * um)

    def sections(self) -> list[dict]:
        """Panels for the mesh picture: the whole width through a bump row, a close-up of
        a bump, and one of a bump of every upper arrangement (they sit on lands)."""
        sites = self.bump_sites()
        levels = self.levels()
        ex, ey = self.extent()
        lo_x = ex / 2 if self.symmetry != "none" else 0.0
        lo_y = ey / 2 if self.symmetry == "quarter" else -np.inf
        top = levels[-1]["wiring_top"] + (self.resist.thickness * UM_PER_M if self.resist else 0)
        top += self.solder_ball.diameter * UM_PER_M if self.solder_ball else 0
        panels = []
        for k, pts in enumerate(sites[:-1]):
            inside = pts[(pts[:, 0] >= lo_x) & (pts[:, 1] >= lo_y)]
            if len(inside) == 0:
                continue
            x, y = inside[np.lexsort((inside[:, 0], inside[:, 1]))][0]
            if k == 0:
                panels.append({"axis": 1, "at": float(y), "window": None, "label": "bump row"})
            z0 = levels[k]["resin_bottom"] - 40.0
            panels.append({"axis": 1, "at": float(y), "label": f"arrangement {k + 1} bump",
                           "window": (x - 160.0, x + 160.0, z0, min(top, z0 + 260.0))})
        return panels

    def _ball_cap(self, x, y, z_base, r_open, dim):
        """The ball above the resist: a sphere of the ball's diameter resting on the rim of
        the opening, cut at the resist top (a major spherical segment)."""
        occ = gmsh.model.occ
        R = self.solder_ball.diameter * UM_PER_M / 2
        zc = z_base + math.sqrt(R * R - r_open * r_open)
        # The cutting box is wider than the sphere: faces tangent to it make OCC's boolean
        # return nothing, silently (seen for 2 of 12 balls).
        if dim == 2:
            disk = occ.addDisk(0.0, zc, 0, R, R)
            cut = occ.addRectangle(0.0, z_base, 0, 2 * R, 3 * R + zc - z_base)
        else:
            disk = occ.addSphere(x, y, zc, R)
            cut = occ.addBox(x - 2 * R, y - 2 * R, z_base, 4 * R, 4 * R, 3 * R + zc - z_base)
        out, _ = occ.intersect([(dim, disk)], [(dim, cut)])
        return [e for e in out if e[0] == dim]

    def least_cells(self) -> float:
        """A lower bound of the cell count from the spec alone: the die, meshed at the
        coarsest size any region asks for (meshes.budget)."""
        from .budget import cells_in

        coarsest = max([self.element_size] + [v / UM_PER_M for v in self._sizes().values()])
        if self.dimension == 2:  # the r-z section under one bump: half a pitch wide
            return cells_in(self.pads.pitch / 2 * self.die_thickness, coarsest, 2)
        chips = self.chips[0] * self.chips[1]
        share = {"none": 1, "half": 2, "quarter": 4}[self.symmetry]
        die = chips * self.chip_size[0] * self.chip_size[1] * self.die_thickness / share
        return cells_in(die, coarsest, 3)

    def _sizes(self) -> dict[str, float]:
        """Per-region target sizes (micrometres): thin layers 2.5x their thickness (a few
        elements through them at a tolerable aspect ratio), bumps a third of the tip."""
        um = UM_PER_M
        h = self.element_size * um
        sizes = {"pad": min(h, 2.5 * self.pads.thickness * um)}
        for k, a in enumerate(self.arrangements):
            sizes[self._layer_names("bump", k)] = min(h, a.bump.cone_tip_diameter * um / 2)
            sizes[self._layer_names("wiring", k)] = min(h, 2.5 * a.wiring.thickness * um)
        if self.resist is not None:
            sizes["resist"] = min(h, 2.5 * self.resist.thickness * um)
        if self.solder_ball is not None:
            sizes["solder"] = min(h, self.solder_ball.diameter * um / 6)
        for name, value in self.element_sizes.items():
            sizes[name] = value * um
        return sizes


def _min_spacing(pts: np.ndarray, diameter: float, field: str, message: str) -> None:
    if len(pts) < 2:
        return
    d = np.linalg.norm(pts[:, None, :] - pts[None, :, :], axis=-1)
    np.fill_diagonal(d, np.inf)
    closest = float(d.min())
    if closest < diameter - 1e-6:
        raise GeometryError(field, f"{message} (centres {closest:.4g} um apart, diameter {diameter:.4g} um)")
