"""Thermo-mechanical stress: the ``thermoelastic`` kind (schema, forms, supports, results,
benchmarks, run)."""
