"""The seed farm tests: one package, so their Dask cluster (package scope) closes after them."""
