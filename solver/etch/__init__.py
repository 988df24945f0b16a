"""Isotropic etch fronts: the ``etch`` kind (schema, transport, cut-mesh model, run)."""
