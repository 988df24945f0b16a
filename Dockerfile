# sprout on the official dolfinx 0.11 image (dolfinx, PETSc, MPI and gmsh come with it;
# the PyPI wheel extra is not used here).
FROM dolfinx/dolfinx:v0.11.0

WORKDIR /opt/sprout
COPY pyproject.toml README.md ./
COPY solver ./solver
COPY meshes ./meshes
RUN pip install --no-cache-dir . \
 && useradd --create-home --shell /bin/bash sprout

COPY cases /opt/sprout/cases
USER sprout
WORKDIR /home/sprout
ENTRYPOINT ["sprout"]
CMD ["--help"]
