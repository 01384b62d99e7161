"""Array backends. ``gpuarray`` is the public face; ``_cpu`` (numpy) and ``_cuda`` (CuPy) implement it."""
