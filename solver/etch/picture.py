"""The etch picture: concavity walls over time against the isotropic wall, and sections."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from solver.core.plots import plt, save


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
    return save(fig, path)


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
