"""Where per-cycle results are averaged: a layer of given thickness inside a region along
its planar interface with a neighbour (a bump on its pad, a ball on its land, a die
attach under the die), and the quadrature point nearest to a probe point.

The average over a fixed layer converges under mesh refinement where the peak at the
bi-material edge does not (it is singular): fatigue laws read averages, never peaks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from mpi4py import MPI

import dolfinx.mesh

from solver.core.case import CaseError


@dataclass
class Layer:
    name: str
    region: str
    interface: str
    thickness: float
    axis: int  # the interface is normal to this coordinate axis
    coordinate: float
    lateral_lo: np.ndarray
    lateral_hi: np.ndarray
    mask: np.ndarray  # (npoints,) over the region's quadrature points on this rank
    volume: float  # of the layer (r dr dz for axisymmetric models)
    crack_length: float  # Darveaux: given, or the joint's diameter at the interface
    centre: np.ndarray  # of the interface patch
    distance_from_centre: float  # from the package centre


def interface_points(domain, region: str, other: str) -> np.ndarray:
    """Vertices of the facets between two regions (all ranks)."""
    msh = domain.mesh
    tdim = domain.tdim
    msh.topology.create_connectivity(tdim, tdim - 1)
    c2f = msh.topology.connectivity(tdim, tdim - 1)

    def facets(name):
        cells = domain.cells(name)
        if len(cells) == 0:
            return np.zeros(0, dtype=np.int32)
        return np.unique(np.concatenate([c2f.links(c) for c in cells]))

    shared = np.intersect1d(facets(region), facets(other)).astype(np.int32)
    if len(shared):
        nodes = dolfinx.mesh.entities_to_geometry(msh, tdim - 1, shared)
        pts = msh.geometry.x[nodes.ravel(), : domain.gdim]
    else:
        pts = np.zeros((0, domain.gdim))
    return np.concatenate(domain.comm.allgather(pts))


def patches(pts: np.ndarray, lateral: list[int]) -> list[np.ndarray]:
    """The interface's vertices split into separate patches (one per joint): points closer
    than twice the largest gap between neighbours of one patch belong together."""
    from scipy.sparse.csgraph import connected_components
    from scipy.spatial import cKDTree

    P = np.unique(np.round(pts[:, lateral], 12), axis=0)
    if len(P) < 2:
        return [P]
    tree = cKDTree(P)
    d, _ = tree.query(P, k=2)
    reach = 2.0 * float(np.max(d[:, 1]))  # the largest facet edge, with room
    pairs = tree.query_pairs(reach, output_type="ndarray")
    from scipy.sparse import coo_matrix

    graph = coo_matrix((np.ones(len(pairs)), (pairs[:, 0], pairs[:, 1])), shape=(len(P), len(P)))
    n, labels = connected_components(graph, directed=False)
    return [P[labels == k] for k in range(n)]


def averaging_layers(domain, problem, spec, where: str, package_centre: np.ndarray,
                     axisymmetric: bool = False) -> list[Layer]:
    """The layer ``spec`` (an AveragingVolume) over the problem's quadrature points: one,
    or one per joint (``per_joint``), ordered from the package centre outward."""
    pts = interface_points(domain, spec.region, spec.interface)
    if len(pts) == 0:
        raise CaseError(f"{where}: regions {spec.region!r} and {spec.interface!r} do not touch")
    spread = pts.max(axis=0) - pts.min(axis=0)
    lo, hi = domain.extent()
    size = float(np.max(hi - lo))
    axis = int(np.argmin(spread))
    if spread[axis] > 1e-6 * size:
        raise CaseError(f"{where}: the interface between {spec.region!r} and {spec.interface!r} is not a plane "
                        "normal to a coordinate axis; an averaging layer needs one")
    coordinate = float(pts[:, axis].mean())
    lateral = [k for k in range(domain.gdim) if k != axis]
    groups = patches(pts, lateral) if spec.per_joint else [pts[:, lateral]]
    X = problem.point_coordinates(spec.region)
    w = problem.points[spec.region]["volume"].ravel()
    tol = 1e-9 * size
    in_layer = np.abs(X[:, axis] - coordinate) <= spec.thickness + tol
    if spec.centre is not None:
        if len(spec.centre) != domain.gdim:
            raise CaseError(f"{where}.centre: give {domain.gdim} coordinates")
        in_layer &= np.linalg.norm(X - np.asarray(spec.centre), axis=1) <= spec.radius + tol
    layers = []
    for g in groups:
        lat_lo, lat_hi = g.min(axis=0), g.max(axis=0)
        mask = in_layer & np.all((X[:, lateral] >= lat_lo - tol) & (X[:, lateral] <= lat_hi + tol), axis=1)
        volume = domain.comm.allreduce(float((w * mask).sum()), op=MPI.SUM)
        if volume <= 0.0:
            patch = (f" within {1e6 * spec.radius:g} um of ({', '.join(f'{1e6 * c:g}' for c in spec.centre)}) um"
                     if spec.centre is not None else "")
            raise CaseError(f"{where}: no quadrature point of {spec.region!r} lies in the layer{patch} (a "
                            f"thickness of {1e6 * spec.thickness:g} um below the element size, or a patch off "
                            "the interface?)")
        centre = 0.5 * (lat_lo + lat_hi)
        diameter = float(np.max(lat_hi - lat_lo))
        if axisymmetric and lateral == [0] and lat_lo[0] <= tol:  # a disk on the axis, not a strip
            centre, diameter = np.zeros(1), 2.0 * float(lat_hi[0])
        layers.append(Layer(spec.name, spec.region, spec.interface, spec.thickness, axis, coordinate, lat_lo,
                            lat_hi, mask.astype(float), volume,
                            spec.crack_length if spec.crack_length is not None else diameter, centre,
                            float(np.linalg.norm(centre - package_centre[lateral]))))
    if spec.per_joint:
        layers.sort(key=lambda layer: (round(layer.distance_from_centre, 12), *layer.centre))
        for k, layer in enumerate(layers):
            layer.name = f"{spec.name}_{k + 1}"
    return layers


@dataclass
class Probe:
    region: str
    rank: int  # owner of the nearest point
    index: int  # its index among the owner's points of the region
    position: np.ndarray
    distance: float


def nearest_point(domain, problem, region: str, point) -> Probe:
    X = problem.point_coordinates(region)
    target = np.asarray(point, dtype=float)
    if len(X):
        d = np.linalg.norm(X - target, axis=1)
        k = int(np.argmin(d))
        best = (float(d[k]), domain.comm.rank)
    else:
        k, best = -1, (np.inf, domain.comm.rank)
    dist, owner = domain.comm.allreduce(best, op=MPI.MINLOC)
    pos = domain.comm.bcast(X[k] if domain.comm.rank == owner else None, root=owner)
    return Probe(region, owner, k if domain.comm.rank == owner else -1, np.asarray(pos), dist)
