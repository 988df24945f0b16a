"""The ``geometry`` kind and ``sprout mesh``: gmsh structures, their meshes and exports."""
