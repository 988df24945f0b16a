"""Running cases: the registry of case kinds, the run driver, process flows, sweeps and
their executors."""
