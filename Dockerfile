# sprout (the distribution sprout-wlp) on the official dolfinx 0.11 image. dolfinx, PETSc,
# MPI, numpy and mpi4py come with the image (built against each other); everything else is
# installed at the versions the tests ran with (requirements.lock), h5py included (meshio's
# XDMF and MED files).
#
#   docker build -t sprout .
#
# A run on the current folder as yourself, so that what it writes is owned by you, not root:
#
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD":/work -w /work sprout \
#       run cases/demo_wafer_cooldown.toml -o results/demo
#
# and on 2 ranks:
#
#   docker run --rm --user "$(id -u):$(id -g)" -v "$PWD":/work -w /work --entrypoint mpirun sprout \
#       -n 2 sprout run cases/validation/lame_cylinder.toml -o results/lame
FROM dolfinx/dolfinx:v0.11.0

WORKDIR /opt/sprout
COPY pyproject.toml README.md LICENSE requirements.lock ./
COPY solver ./solver
COPY meshes ./meshes
# The pins, less the image's own numpy and mpi4py (another version would replace the builds
# dolfinx and PETSc were compiled against) and the PyPI wheel's stack (not used here).
# PIP_BREAK_SYSTEM_PACKAGES: nothing in the image's virtual environment; needed where pip is
# the system Python's (PEP 668).
RUN grep -vE '^(numpy|mpi4py|mpich|dolfinx-solver-real|fenics-[a-z]+)==' requirements.lock > /tmp/pins.txt \
 && PIP_BREAK_SYSTEM_PACKAGES=1 pip install --no-cache-dir -c /tmp/pins.txt . \
 && rm /tmp/pins.txt \
 && python -c "import h5py, meshio, solver; print('sprout', solver.__version__, 'h5py', h5py.__version__)" \
 && useradd --create-home --shell /bin/bash sprout \
 && mkdir -m 1777 /var/cache/sprout

COPY cases /opt/sprout/cases
# A user given by `docker run --user UID:GID` has no home in the image: the form compiler's
# cache (dolfinx JIT) and matplotlib's config go where any user can write.
ENV XDG_CACHE_HOME=/var/cache/sprout \
    MPLCONFIGDIR=/var/cache/sprout/matplotlib
USER sprout
WORKDIR /home/sprout
ENTRYPOINT ["sprout"]
CMD ["--help"]
