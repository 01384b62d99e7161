"""Parameter arenas: parameters built one after another lie next to each other in memory.

Modules take their parameter arrays (and Variables their gradient buffers) from an arena: large
chunks handed out in order. So a net's parameters form a few contiguous spans without being moved,
and an optimizer can update a span in one call while every Variable keeps its own array (the
"local state" of ``setupOn``). Large arrays get memory of their own; they gain nothing from
sharing, and the unused tail of a chunk stays bounded.
"""
import math

CHUNK = 1 << 20          # elements per chunk
OWN_MEMORY_ABOVE = 1 << 18


class ParamArena:
    def __init__(self, backend):
        self.backend = backend
        self._chunks = {}

    def empty(self, shape, dtype):
        """A device array of ``shape`` from the arena (uninitialised)."""
        backend = self.backend
        dtype = backend.xp.dtype(dtype)
        n = int(math.prod(shape))
        if n > OWN_MEMORY_ABOVE or n == 0:
            return backend.empty(shape, dtype)
        chunk, offset = self._chunks.get(dtype, (None, 0))
        if chunk is None or offset + n > chunk.size:
            chunk = backend.plain(backend.empty((CHUNK,), dtype))
            offset = 0
        self._chunks[dtype] = (chunk, offset + n)
        return backend.asDevice(chunk[offset:offset + n].reshape(shape))

    def zeros(self, shape, dtype):
        ary = self.empty(shape, dtype)
        ary.fill(0)
        return ary

    def to_gpu(self, host):
        ary = self.empty(host.shape, host.dtype)
        ary.set(host)
        return ary
