"""Inelastic materials at quadrature points: small pure functions, each returning the
stress, its consistent tangent and the new state for a batch of points."""
