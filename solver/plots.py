"""Pictures (matplotlib, headless). Data are gathered to rank 0, which draws."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import matplotlib.tri as mtri  # noqa: E402
import numpy as np  # noqa: E402

import dolfinx.fem as fem  # noqa: E402


def gather_p1(u: fem.Function, cell_values: np.ndarray | None = None):
    """Vertex coordinates, vertex values of ``u`` and cell connectivity, on rank 0, in
    global numbering. ``cell_values``: one value per local cell, gathered alongside."""
    msh = u.function_space.mesh
    gdim = msh.geometry.dim
    shape = u.function_space.value_shape
    V1 = fem.functionspace(msh, ("Lagrange", 1, shape))
    u1 = fem.Function(V1)
    u1.interpolate(u)
    imap = V1.dofmap.index_map
    n_owned = imap.size_local
    bs = V1.dofmap.index_map_bs
    x = V1.tabulate_dof_coordinates()[:n_owned, :gdim]
    vals = u1.x.array.reshape(-1, bs)[:n_owned]
    gidx = imap.local_to_global(np.arange(imap.size_local + imap.num_ghosts, dtype=np.int32))
    n_cells = msh.topology.index_map(msh.topology.dim).size_local
    cells = gidx[V1.dofmap.list[:n_cells]]
    comm = msh.comm
    parts = comm.gather((gidx[:n_owned], x, vals, cells, None if cell_values is None else cell_values[:n_cells]))
    if comm.rank != 0:
        return None
    n = imap.size_global
    X = np.zeros((n, gdim))
    U = np.zeros((n, bs))
    for g, xx, vv, _, _ in parts:
        X[g], U[g] = xx, vv
    C = np.concatenate([p[3] for p in parts])
    CV = None if cell_values is None else np.concatenate([p[4] for p in parts])
    return X, U, C, CV


def thermoelastic_picture(path: Path, u: fem.Function, von_mises_cell: np.ndarray, surface,
                          title: str, formulation: str, panels: list[dict] | None = None) -> bool:
    """2D: deformed shape coloured by von Mises over the bottom-surface profile.
    3D: the bottom-surface out-of-plane displacement map. Without a bottom surface, 2D
    draws the deformed shape alone and 3D draws nothing (returns False)."""
    msh = u.function_space.mesh
    gdim = msh.geometry.dim
    if gdim == 3 and panels:
        return _section_picture(path, u, von_mises_cell, surface, title, panels)
    if gdim == 3 and surface is None:
        return False
    if gdim == 2:
        data = gather_p1(u, von_mises_cell)
    else:
        data = None
    if msh.comm.rank != 0:
        return True
    xlabel = "r [mm]" if formulation == "axisymmetric" else "x [mm]"
    if gdim == 2:
        X, U, C, vm = data
        extent = np.ptp(X, axis=0).max()
        umax = np.abs(U).max()
        scale = 0.1 * extent / umax if umax > 0 else 1.0
        if surface is not None:
            fig, (ax0, ax1) = plt.subplots(2, 1, figsize=(8, 7), height_ratios=[3, 2])
        else:
            fig, ax0 = plt.subplots(figsize=(8, 6))
        tri = mtri.Triangulation(1e3 * (X[:, 0] + scale * U[:, 0]), 1e3 * (X[:, 1] + scale * U[:, 1]), C)
        pc = ax0.tripcolor(tri, facecolors=vm / 1e6, cmap="viridis", shading="flat")
        fig.colorbar(pc, ax=ax0, label="von Mises stress [MPa]")
        ax0.set_aspect("equal" if np.ptp(X[:, 1]) > 0.05 * np.ptp(X[:, 0]) else "auto")
        ax0.set_title(f"{title}: deformed shape (displacement x {scale:.3g})")
        ax0.set_xlabel(xlabel)
        ax0.set_ylabel("y [mm]" if formulation != "axisymmetric" else "z [mm]")
        if surface is None:
            return _save(fig, path)
        order = np.argsort(surface.points[:, 0])
        ax1.plot(1e3 * surface.points[order, 0], 1e6 * surface.w[order], "-", lw=1.5)
        ax1.set_xlabel(xlabel)
        ax1.set_ylabel("bottom-surface w [um]")
        ax1.set_title(
            f"warpage {1e6 * surface.warpage:.4g} um, curvature {surface.curvature:.4g} 1/m"
        )
        ax1.grid(True, alpha=0.3)
    else:
        fig, ax1 = plt.subplots(figsize=(7, 6))
        _warpage_map(fig, ax1, surface)
        ax1.set_title(f"{title}: warpage {1e6 * surface.warpage:.4g} um, "
                      f"curvature {surface.curvature:.4g} 1/m")
    return _save(fig, path)


def _warpage_map(fig, ax, surface) -> None:
    """The bottom surface's deflection w over the plan (mm, um)."""
    p = surface.points
    tc = ax.tricontourf(1e3 * p[:, 0], 1e3 * p[:, 1], 1e6 * surface.w, levels=20, cmap="coolwarm")
    fig.colorbar(tc, ax=ax, label="bottom-surface w [um]")
    ax.set_aspect("equal")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")


def _save(fig, path: Path) -> bool:
    fig.tight_layout()
    tmp = Path(path).with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return True


def _section_picture(path: Path, u: fem.Function, vm_cell: np.ndarray, surface, title: str,
                     panels: list[dict]) -> bool:
    """3D packages: von Mises stress on vertical sections (whole width and close-ups of
    bumps), and the bottom-surface warpage map. Colours are cell means."""
    from matplotlib.collections import PolyCollection

    from meshes.section import slice_tets

    data = gather_p1(u, vm_cell)
    if u.function_space.mesh.comm.rank != 0:
        return True
    X, _, C, VM = data
    X_um = X * 1e6
    n = len(panels) + (1 if surface is not None else 0)
    fig, axes = plt.subplots(n, 1, figsize=(10, 3.8 * n), squeeze=False)
    vmax = np.percentile(VM, 99.5) / 1e6  # the colour scale is not set by a singular corner
    for ax, panel in zip(axes[:, 0], panels):
        polys, idx = slice_tets(X_um, C, panel["axis"], panel["at"], return_index=True)
        # Edges in the face colour: without them the seams between cells show as a mesh.
        coll = PolyCollection(polys, array=VM[idx] / 1e6, cmap="inferno", edgecolors="face", linewidths=0.3)
        coll.set_clim(0, vmax)
        ax.add_collection(coll)
        ax.autoscale_view()
        if panel["window"] is not None:
            x0, x1, z0, z1 = panel["window"]
            ax.set_xlim(x0, x1)
            ax.set_ylim(z0, z1)
        ax.set_aspect("equal")
        ax.set_xlabel("x [um]")
        ax.set_ylabel("z [um]")
        ax.set_title(f"{title}: von Mises stress, {panel['label']} (section {'xyz'[panel['axis']]} = "
                     f"{panel['at']:.0f} um)")
        fig.colorbar(coll, ax=ax, label="von Mises [MPa]", shrink=0.8)
    if surface is not None:
        ax = axes[-1, 0]
        _warpage_map(fig, ax, surface)
        ax.set_title(f"warpage {1e6 * surface.warpage:.3g} um, curvature {surface.curvature:.3g} 1/m")
    return _save(fig, path)


def etch_picture(path: Path, case, history: list[dict], profiles: list[np.ndarray],
                 sections: list[np.ndarray] | None = None) -> bool:
    """The concavity wall at each etch time (solid) against an isotropic wall (dashed: z = -d
    under the opening, a quarter circle of radius d about the mask edge beyond it): for a
    reaction-limited etch the exact front at that time, for a mixed one the isotropic wall
    of the same depth (the difference is the transport's shadowing of the undercut)."""
    geo = case.geometry
    R = geo.film.hole_radius * 1e6
    rows = 2 if sections else 1
    fig, axes = plt.subplots(rows, 1, figsize=(8, 4.5 * rows), squeeze=False)
    ax = axes[0, 0]
    colours = plt.cm.viridis(np.linspace(0, 0.9, len(history)))
    for h, prof, c in zip(history, profiles, colours):
        # reaction-limited: the exact front; mixed: the isotropic wall of the same depth
        d = h["etch_distance_um"] if "etch_distance_um" in h else h["depth_um"]
        ax.plot(prof[:, 0] * 1e6, prof[:, 1] * 1e6, color=c, lw=1.8,
                label=f"{h['time_min']:.3g} min: depth {h['depth_um']:.3g}, undercut {h['undercut_um']:.3g} um")
        phi = np.linspace(0, np.pi / 2, 60)
        ax.plot(np.r_[0, R + d * np.cos(phi[::-1])], np.r_[-d, -d * np.sin(phi[::-1])], "--", color="k", lw=0.8)
    top = geo.film.thickness * 1e6
    reach = 1.6 * max(R + h["radius_at_film_um"] - R for h in history)
    ax.fill([R, R + top * np.tan(geo.film.taper), reach, reach], [0, top, top, 0], color="0.8", label="film (mask)")
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_aspect("equal")
    ax.set_xlabel("r from the hole axis [um]")
    ax.set_ylabel("z from the film/base interface [um]")
    what = "exact reaction-limited" if case.etch.model == "reaction_limited" else "isotropic, same depth"
    ax.set_title(f"{case.name}: etch profiles (dashed: {what}, lone hole)")
    ax.legend(fontsize=7, loc="lower right")
    if sections:
        _etch_section(axes[1, 0], case, history, sections, colours)
    return _save(fig, path)


def _etch_section(ax, case, history, sections, colours) -> None:
    """3D: the front where it crosses the vertical plane through a hole row, with the exact
    reaction-limited front there (the set within v t of any opening; for a mixed etch the
    one of the same depth), so merging shows."""
    geo = case.geometry
    centres = geo.hole_centres()
    y = centres[:, 1].max()
    row = centres[np.isclose(centres[:, 1], y), 0]
    R = geo.film.hole_radius * 1e6
    x = np.linspace(min(p[:, 0].min() for p in sections if len(p)) * 1e6,
                    max(p[:, 0].max() for p in sections if len(p)) * 1e6 + 5, 600)
    for h, pts, c in zip(history, sections, colours):
        d = h["etch_distance_um"] if "etch_distance_um" in h else h["depth_um"]
        ax.plot(pts[:, 0] * 1e6, pts[:, 1] * 1e6, ".", ms=1.5, color=c, label=f"{h['time_min']:.3g} min")
        gap = np.min(np.abs(x[:, None] - row[None, :]), axis=1) - R  # along the row, from the nearest opening
        z = -np.sqrt(np.maximum(d * d - np.maximum(gap, 0.0) ** 2, 0.0))
        z[gap > d] = np.nan
        ax.plot(x, z, "--", color="k", lw=0.7)
    ax.axhline(0, color="0.5", lw=0.5)
    ax.set_aspect("equal")
    ax.set_xlabel("x [um]")
    ax.set_ylabel("z from the film/base interface [um]")
    what = "exact" if case.etch.model == "reaction_limited" else "isotropic, same depth"
    ax.set_title(f"front on the section y = {y:.0f} um through the hole row (dashed: {what})")
    ax.legend(fontsize=7, loc="lower right", markerscale=6)
