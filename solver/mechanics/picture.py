"""Pictures of a stress solution: deformed shape and warpage (2D), sections and the warpage
map (3D). Data are gathered to rank 0, which draws."""

from __future__ import annotations

from pathlib import Path

import numpy as np

import dolfinx.fem as fem

import matplotlib.tri as mtri

from solver.core.plots import gather_p1, plt, save


def thermoelastic_picture(path: Path, u: fem.Function, von_mises_cell: np.ndarray, surface,
                          title: str, formulation: str, panels: list[dict] | None = None) -> bool:
    """2D: deformed shape coloured by von Mises over the bottom-surface profile.
    3D: the bottom-surface out-of-plane displacement map. Without a bottom surface, 2D
    draws the deformed shape alone and 3D draws nothing (returns False)."""
    msh = u.function_space.mesh
    gdim = msh.geometry.dim
    if gdim == 3 and panels:
        return section_picture(path, u, von_mises_cell, surface, title, panels)
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
            return save(fig, path)
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
        warpage_map(fig, ax1, surface)
        ax1.set_title(f"{title}: warpage {1e6 * surface.warpage:.4g} um, "
                      f"curvature {surface.curvature:.4g} 1/m")
    return save(fig, path)


def warpage_map(fig, ax, surface) -> None:
    """The bottom surface's deflection w over the plan (mm, um)."""
    p = surface.points
    tc = ax.tricontourf(1e3 * p[:, 0], 1e3 * p[:, 1], 1e6 * surface.w, levels=20, cmap="coolwarm")
    fig.colorbar(tc, ax=ax, label="bottom-surface w [um]")
    ax.set_aspect("equal")
    ax.set_xlabel("x [mm]")
    ax.set_ylabel("y [mm]")


def section_picture(path: Path, u: fem.Function, vm_cell: np.ndarray, surface, title: str,
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
        warpage_map(fig, ax, surface)
        ax.set_title(f"warpage {1e6 * surface.warpage:.3g} um, curvature {surface.curvature:.3g} 1/m")
    return save(fig, path)
