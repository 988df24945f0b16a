"""Pictures of the mesh now in gmsh: 2D models as they are, 3D models as a vertical
cross-section (the tetrahedra cut by a plane), regions coloured and labelled.

Coordinates are in metres when called after ``build_mesh``; pictures are in micrometres."""

from __future__ import annotations

from pathlib import Path

import gmsh
import numpy as np

PALETTE = {
    "die": "#9e9e9e", "pad": "#5d4037", "bump": "#ffb300", "resin": "#81c784", "wiring": "#e65100",
    "resist": "#4dd0e1", "solder": "#78909c", "base": "#a1887f", "film": "#ba68c8", "barrier": "#546e7a",
    "cap": "#37474f", "insulator": "#aed581", "electrolyte": "#90caf9", "core": "#ffb300", "shell": "#81c784",
}


def _colour(name: str, k: int):
    """Region colour; upper arrangements (``resin_2``) darker shades of their base."""
    import matplotlib.colors as mcolors
    import matplotlib.pyplot as plt

    base, _, level = name.rpartition("_")
    if not (base and level.isdigit()):
        base, level = name, "1"
    colour = PALETTE.get(base)
    if colour is None:
        return plt.get_cmap("tab20")(k % 20)
    rgb = mcolors.to_rgb(colour)
    shade = 0.75 ** (int(level) - 1)
    return tuple(c * shade for c in rgb)


def region_cells(dim: int, regions: dict[str, int]):
    """(coordinates in um, {region: corner-node index array (n, dim+1)})."""
    tags, coords, _ = gmsh.model.mesh.getNodes()
    index = np.full(int(tags.max()) + 1, -1, dtype=np.int64)
    index[tags.astype(np.int64)] = np.arange(len(tags))
    x = coords.reshape(-1, 3) * 1e6
    out = {}
    for name, tag in regions.items():
        blocks = []
        for ent in gmsh.model.getEntitiesForPhysicalGroup(dim, tag):
            types, _, nodes = gmsh.model.mesh.getElements(dim, int(ent))
            for t, n in zip(types, nodes):
                props = gmsh.model.mesh.getElementProperties(t)
                conn = np.asarray(n, dtype=np.int64).reshape(-1, props[3])[:, : props[5]]
                blocks.append(index[conn])
        if blocks:
            out[name] = np.concatenate(blocks)
    return x, out


def slice_tets(x: np.ndarray, tets: np.ndarray, axis: int, value: float, return_index: bool = False):
    """Polygons (in the plane's two other coordinates) where tetrahedra cross a plane.
    The plane is nudged by 1 nm: a plane through mesh nodes (a bump axis) would otherwise
    miss every tetrahedron that only touches it."""
    s = x[tets, axis] - (value + 1e-3)  # (n, 4)
    cut = (s.min(axis=1) < 0) & (s.max(axis=1) > 0)
    which = np.flatnonzero(cut)
    tets, s = tets[cut], s[cut]
    keep = [k for k in range(3) if k != axis]
    polys = []
    edges = [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]
    pts = []
    for a, b in edges:
        sa, sb = s[:, a], s[:, b]
        crosses = (sa * sb) < 0
        t = np.where(crosses, sa / np.where(crosses, sa - sb, 1.0), np.nan)
        xa, xb = x[tets[:, a]][:, keep], x[tets[:, b]][:, keep]
        pts.append(xa + t[:, None] * (xb - xa))
    P = np.stack(pts, axis=1)  # (n, 6, 2) with nan rows for edges that do not cross
    kept = []
    for k, poly in enumerate(P):
        q = poly[~np.isnan(poly[:, 0])]
        if len(q) >= 3:
            c = q.mean(axis=0)
            q = q[np.argsort(np.arctan2(q[:, 1] - c[1], q[:, 0] - c[0]))]
            polys.append(q)
            kept.append(which[k])
    return (polys, np.asarray(kept, dtype=np.int64)) if return_index else polys


def picture(path: Path, dim: int, regions: dict[str, int], title: str,
            panels: list[dict] | None = None, xlabel: str = "x [um]", ylabel: str = "z [um]") -> None:
    """Write a PNG of the mesh by region. 2D: one panel. 3D: one panel per entry of
    ``panels``: {"axis": normal axis, "at": plane coordinate (um), "window": (x0, x1, z0,
    z1) in um or None for everything, "label": str}."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.collections import PolyCollection

    x, cells = region_cells(dim, regions)
    panels = panels if dim == 3 else [{"axis": None, "at": None, "window": None, "label": ""}]
    fig, axes = plt.subplots(len(panels), 1, figsize=(10, 4.2 * len(panels)), squeeze=False)
    handles = {}
    for ax, panel in zip(axes[:, 0], panels):
        for k, (name, conn) in enumerate(cells.items()):
            polys = slice_tets(x, conn, panel["axis"], panel["at"]) if dim == 3 else [x[c][:, :2] for c in conn]
            if not polys:
                continue
            colour = _colour(name, k)
            ax.add_collection(PolyCollection(polys, facecolors=colour, edgecolors="k",
                                             linewidths=0.08 if panel["window"] is None else 0.2))
            handles[name] = plt.Rectangle((0, 0), 1, 1, color=colour, label=name)
            if dim == 2:
                centre = np.concatenate(polys).mean(axis=0)
                ax.text(centre[0], centre[1], name, fontsize=8, ha="center", va="center", weight="bold")
        ax.autoscale_view()
        if panel["window"] is not None:
            x0, x1, z0, z1 = panel["window"]
            ax.set_xlim(x0, x1)
            ax.set_ylim(z0, z1)
        where = f" (section {'xyz'[panel['axis']]} = {panel['at']:.1f} um)" if dim == 3 else ""
        ax.set_title(f"{title}: {panel['label'] or 'mesh by region'}{where}")
        ax.set_aspect("equal")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel)
    axes[0, 0].legend(handles=[handles[n] for n in cells if n in handles], loc="upper left",
                      bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)
