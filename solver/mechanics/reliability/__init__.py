"""Package reliability: thermal cycles, reflow and cure with inelastic materials, the
inelastic strain and energy per cycle in named averaging volumes, and fatigue life."""
