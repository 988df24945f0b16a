"""The analysis pictures: a tornado chart of the Sobol indices per response, and each
response against each parameter with its fitted surface (OUT/tornado.png, surfaces.png)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from solver.workflow.analyze import Parameter
    from solver.workflow.surface import Surface

def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> None:
    plt = _pyplot()
    tmp = path.with_name(f"{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)


def tornado_plot(path: Path, result: dict) -> None:
    """Per response, the Sobol total (light) and first-order (dark) indices as horizontal
    bars, the largest on top."""
    plt = _pyplot()
    fitted = [(k, r) for k, r in result["responses"].items() if "sensitivity" in r]
    if not fitted:
        return
    p = len(result["parameters"])
    fig, axes = plt.subplots(len(fitted), 1, figsize=(7, 0.6 + (0.45 * p + 0.8) * len(fitted)), squeeze=False)
    for ax, (name, r) in zip(axes[:, 0], fitted):
        order = r["ranking"][::-1]
        total = [r["sensitivity"][k]["sobol_total"] for k in order]
        first = [r["sensitivity"][k]["sobol_first"] for k in order]
        ax.barh(order, total, color="#9ecae1", label="total")
        ax.barh(order, first, height=0.4, color="#08519c", label="first order")
        ax.set_xlim(0, 1.05)
        ax.set_title(f"{name} (R^2 {r['r2']:.4f})" if r["r2"] is not None else name, fontsize=9)
        ax.tick_params(labelsize=8)
    axes[0, 0].legend(fontsize=7, loc="lower right")
    axes[-1, 0].set_xlabel("Sobol index of the response surface")
    fig.tight_layout()
    _save(fig, path)


def surface_plots(path: Path, result: dict, surfaces: dict[str, Surface], params: list[Parameter],
                  results: list[dict]) -> None:
    """Each response against each parameter: the cases as points, the surface as a line
    through the box centre of the other parameters."""
    plt = _pyplot()
    if not surfaces:
        return
    fig, axes = plt.subplots(len(surfaces), len(params), figsize=(3.6 * len(params), 2.8 * len(surfaces)),
                             squeeze=False)
    for i, (name, surface) in enumerate(surfaces.items()):
        for j, p in enumerate(params):
            ax = axes[i, j]
            rows = [k for k, res in enumerate(results) if _finite(res.get(name))]
            ax.plot(p.in_user_units(p.values[rows]), [results[k][name] for k in rows], "o", ms=4)
            xs = np.linspace(-1, 1, 81)
            grid = np.zeros((len(xs), len(params)))
            grid[:, j] = xs
            ax.plot(p.in_user_units(p.si(xs)), surface(grid), "-", lw=1.2)
            ax.set_xlabel(f"{p.name} [{p.unit}]" if p.unit else p.name, fontsize=8)
            ax.set_ylabel(name, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
    fig.suptitle(f"{result['sweep']}: response surfaces (others at the box centre)", fontsize=9)
    fig.tight_layout()
    _save(fig, path)


def _finite(v) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)
