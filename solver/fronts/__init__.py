"""Moving-front geometry that plating and etch share: polylines of an axisymmetric wall,
signed distances to a front, and cells cut by it."""
