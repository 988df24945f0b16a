"""Shared machinery without physics: PETSc solves, the mesh as a domain, materials, result
files, logging, plot helpers, and what every case kind has in common."""
