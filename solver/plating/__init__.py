"""Electroplating: the ``plating``, ``seed_layer`` and ``fill`` kinds (schema, current
distributions, seed film, deposit growth, runs)."""
