"""Small-strain linear thermoelasticity: 3D, plane stress, plane strain, axisymmetric.

Every formulation works with 3x3 strain and stress tensors so that von Mises, principal
stresses and tractions are computed one way for all of them:

* plane stress (x-y plane, sigma_zz = 0): the 2D block uses the reduced Lame constant
  lambda* = 2 mu lambda / (lambda + 2 mu); the zz strain is left out of the work.
* plane strain (eps_zz = 0): sigma_zz = lambda tr(eps) - (3 lambda + 2 mu) alpha dT.
* axisymmetric (x = r, y = z): eps_tt = u_r / r, and every integral carries the weight r.

Thermal strain is alpha (T - T_sf) I with a stress-free temperature per material.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import ufl
from mpi4py import MPI

import dolfinx.fem as fem

FORMULATIONS = ("3d", "plane_stress", "plane_strain", "axisymmetric")


# -- pure constitutive functions ----------------------------------------------------------
def lame(E, nu):
    """(lambda, mu) from Young's modulus and Poisson's ratio."""
    return E * nu / ((1 + nu) * (1 - 2 * nu)), E / (2 * (1 + nu))


def strain(u, formulation: str, x=None):
    """The 3x3 small-strain tensor of a displacement ``u``."""
    if formulation == "3d":
        return ufl.sym(ufl.grad(u))
    g = ufl.sym(ufl.grad(u))
    ezz = 0
    if formulation == "axisymmetric":
        # u_r / r -> du_r/dr on the axis (u_r = 0 there); quadrature never reaches r = 0
        # but stress evaluation at vertices does.
        ezz = ufl.conditional(ufl.gt(x[0], 0.0), u[0] / x[0], u[0].dx(0))
    return ufl.as_matrix([[g[0, 0], g[0, 1], 0], [g[1, 0], g[1, 1], 0], [0, 0, ezz]])


def stress(eps, E, nu, thermal_strain, formulation: str):
    """The 3x3 stress for a 3x3 strain ``eps`` and an isotropic thermal strain (scalar)."""
    lmbda, mu = lame(E, nu)
    if formulation == "plane_stress":
        lmbda_ps = 2 * mu * lmbda / (lmbda + 2 * mu)
        e2 = ufl.as_matrix([[eps[0, 0] - thermal_strain, eps[0, 1]], [eps[1, 0], eps[1, 1] - thermal_strain]])
        s2 = lmbda_ps * ufl.tr(e2) * ufl.Identity(2) + 2 * mu * e2
        return ufl.as_matrix([[s2[0, 0], s2[0, 1], 0], [s2[1, 0], s2[1, 1], 0], [0, 0, 0]])
    elastic = eps - thermal_strain * ufl.Identity(3)
    return lmbda * ufl.tr(elastic) * ufl.Identity(3) + 2 * mu * elastic


def volume_weight(formulation: str, x):
    """Integration weight: r for axisymmetric models (2 pi omitted: it cancels in every
    average and ratio reported), 1 otherwise."""
    return x[0] if formulation == "axisymmetric" else 1


def von_mises(s: np.ndarray) -> np.ndarray:
    """Von Mises stress of stacked 3x3 tensors ``s`` (..., 3, 3)."""
    dev = s - np.trace(s, axis1=-2, axis2=-1)[..., None, None] * np.eye(3) / 3.0
    return np.sqrt(1.5 * np.einsum("...ij,...ij->...", dev, dev))


def principal(s: np.ndarray) -> np.ndarray:
    """Principal stresses of stacked symmetric 3x3 tensors, ascending (..., 3)."""
    return np.linalg.eigvalsh(0.5 * (s + np.swapaxes(s, -1, -2)))


# -- material fields ---------------------------------------------------------------------
@dataclass
class MaterialFields:
    """Cellwise (DG0) material state at one temperature: E(T), nu and the free thermal
    strain eps_th = integral of the CTE from the material's stress-free temperature."""

    E: fem.Function
    nu: fem.Function
    eps_th: fem.Function

    def set(self, domain, properties: dict[str, tuple[float, float, float]]) -> None:
        """``properties``: region -> (E, nu, eps_th). Every cell must belong to a region."""
        Q = self.E.function_space
        assigned = np.zeros(len(self.E.x.array), dtype=bool)
        for region, values in properties.items():
            dofs = Q.dofmap.list[domain.cells(region)].ravel()
            for f, v in zip((self.E, self.nu, self.eps_th), values):
                f.x.array[dofs] = v
            assigned[dofs] = True
        n_missing = domain.comm.allreduce(int((~assigned).sum()), op=MPI.SUM)
        if n_missing:
            raise ValueError(f"{n_missing} cells belong to no region with a material")
        for f in (self.E, self.nu, self.eps_th):
            f.x.scatter_forward()


def material_fields(domain, properties: dict[str, tuple[float, float, float]]) -> MaterialFields:
    """DG0 fields of (E, nu, eps_th) per region."""
    Q = fem.functionspace(domain.mesh, ("DG", 0))
    mats = MaterialFields(*(fem.Function(Q, name=n) for n in ("E", "nu", "eps_th")))
    mats.set(domain, properties)
    return mats


# -- the linear problem -----------------------------------------------------------------------
@dataclass
class ThermoelasticForms:
    V: fem.FunctionSpace
    a: fem.Form | None
    L: fem.Form | None
    sigma: Callable  # u -> 3x3 UFL (Cauchy) stress
    eps: Callable  # u -> 3x3 UFL strain
    weight: object
    residual: object = None  # nonlinear: the UFL residual in ``u_state``
    u_state: fem.Function | None = None
    extra: dict = field(default_factory=dict)


def thermoelastic_forms(
    domain,
    mats: MaterialFields,
    formulation: str,
    degree: int,
    body_force: Callable | None = None,
) -> ThermoelasticForms:
    """Bilinear and linear forms of small-strain thermoelasticity for the thermal strain
    held in ``mats`` (update the fields and reassemble for another load step).

    ``body_force(x)`` (UFL vector of the mesh's dimension) serves manufactured-solution
    tests and gravity."""
    if formulation not in FORMULATIONS:
        raise ValueError(f"unknown formulation {formulation!r}")
    msh = domain.mesh
    gdim = msh.geometry.dim
    V = fem.functionspace(msh, ("Lagrange", degree, (gdim,)))
    x = ufl.SpatialCoordinate(msh)
    thermal = mats.eps_th

    def eps(w):
        return strain(w, formulation, x)

    def sigma(w):
        return stress(eps(w), mats.E, mats.nu, thermal, formulation)

    def sigma_mech(w):  # the part of the stress that is linear in w
        return stress(eps(w), mats.E, mats.nu, 0, formulation)

    u, v = ufl.TrialFunction(V), ufl.TestFunction(V)
    w = volume_weight(formulation, x)
    a = ufl.inner(sigma_mech(u), eps(v)) * w * ufl.dx
    # Thermal load: the stress of zero displacement, moved to the right-hand side.
    rhs = -ufl.inner(stress(0 * ufl.Identity(3), mats.E, mats.nu, thermal, formulation), eps(v))
    L = rhs * w * ufl.dx
    if body_force is not None:
        L = L + ufl.inner(body_force(x), v) * w * ufl.dx
    return ThermoelasticForms(V, fem.form(a), fem.form(L), sigma, eps, w)


# -- large deflection ---------------------------------------------------------------------------
def displacement_gradient(u, formulation: str, x):
    """The 3x3 gradient of a displacement; axisymmetric: the hoop entry u_r / r (its limit
    du_r/dr on the axis); plane strain: zero out-of-plane entries."""
    if formulation == "3d":
        return ufl.grad(u)
    g = ufl.grad(u)
    gtt = 0
    if formulation == "axisymmetric":
        gtt = ufl.conditional(ufl.gt(x[0], 0.0), u[0] / x[0], u[0].dx(0))
    return ufl.as_matrix([[g[0, 0], g[0, 1], 0], [g[1, 0], g[1, 1], 0], [0, 0, gtt]])


def deformation_gradient(u, formulation: str, x):
    """3x3 F = I + grad u."""
    return ufl.Identity(3) + displacement_gradient(u, formulation, x)


def nonlinear_forms(domain, mats: MaterialFields, formulation: str, degree: int) -> ThermoelasticForms:
    """Total Lagrangian St Venant-Kirchhoff thermoelasticity: S = C : (E - eps_th I), E the
    Green-Lagrange strain. Small strain, large rotation: the wafer bows by more than its
    thickness. Reduces to the linear problem as the displacement gradient goes to zero."""
    if formulation == "plane_stress":
        raise ValueError("large deflection is not available in plane stress")
    msh = domain.mesh
    gdim = msh.geometry.dim
    V = fem.functionspace(msh, ("Lagrange", degree, (gdim,)))
    x = ufl.SpatialCoordinate(msh)
    u = fem.Function(V, name="displacement_m")
    v = ufl.TestFunction(V)

    def green(w):
        F = deformation_gradient(w, formulation, x)
        return 0.5 * (F.T * F - ufl.Identity(3))

    def pk2(w):
        return stress(green(w), mats.E, mats.nu, mats.eps_th, "3d")

    def cauchy(w):
        F = deformation_gradient(w, formulation, x)
        return F * pk2(w) * F.T / ufl.det(F)

    wgt = volume_weight(formulation, x)
    F = deformation_gradient(u, formulation, x)
    dF = displacement_gradient(v, formulation, x)
    dE = 0.5 * (F.T * dF + dF.T * F)
    residual = ufl.inner(pk2(u), dE) * wgt * ufl.dx
    return ThermoelasticForms(V, None, None, cauchy, green, wgt, residual=residual, u_state=u)
