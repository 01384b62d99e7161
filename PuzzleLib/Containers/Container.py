"""Container: the base of modules made of modules (Sequential, Parallel, Graph)."""
from PuzzleLib.Errors import ContainerError, PuzzleLibError
from PuzzleLib.Modules.Module import Module
from PuzzleLib.Modules._composite import _Composite


class Container(_Composite):
    """A module that holds named child modules and passes modes, dtypes and files down to them.

    Children are kept in ``self.modules`` (name -> module) in insertion order. ``backward``
    defaults to ``momentum=1.0``: parameter gradients accumulate across calls until the
    optimizer's ``zeroGradParams()``.

    Example::

        >>> from PuzzleLib.Containers import Sequential
        >>> from PuzzleLib.Modules import Linear, Activation
        >>> block = Sequential(name="block").append(Linear(2, 3, name="fc1")).append(Activation("relu"))
        >>> net = Sequential().append(block).append(Linear(3, 1, name="fc2"))
        >>> net.getByName("fc1")   # found inside the inner container
        Linear(name='fc1', 2 -> 3)
        >>> [mod.name for mod in net.getAllByType(Linear)]
        ['fc1', 'fc2']
        >>> net.evalMode()   # modes pass down
        >>> net.getByName("fc1").train
        False
    """

    # ---- children ----
    def _addModule(self, mod, index):
        if isinstance(mod, type) and issubclass(mod, Module):
            raise ContainerError("%s: got the class %s itself; pass a module made from it, e.g. %s(...)" % (
                self._label(), mod.__name__, mod.__name__))
        if not isinstance(mod, Module):
            raise ContainerError("%s: can only hold modules, got %s" % (self._label(), type(mod).__name__))
        if any(inner is self for _, inner, _ in mod._walk("")):
            raise ContainerError("%s: cannot hold %s, which is or contains this container" % (self._label(), mod._label()))
        if mod.name is None:
            # named by position; after a pop that name may be taken, so take the next free number
            while isinstance(index, int) and str(index) in self.modules:
                index += 1
            mod.name = str(index)
        if mod.name in self.modules:
            raise ContainerError("%s: a module named %r is already inside" % (self._label(), mod.name))
        self.modules[mod.name] = mod
        mod._setReuse(self._reuse)
        return mod

    def getByName(self, name):
        """The module named ``name``, searched in this container and the containers inside it."""
        if name in self.modules:
            return self.modules[name]
        for mod in self.modules.values():
            if isinstance(mod, Container):
                found = mod._findByName(name)
                if found is not None:
                    return found
        raise ContainerError("%s: no module named %r" % (self._label(), name))

    def _findByName(self, name):
        try:
            return self.getByName(name)
        except ContainerError:
            return None

    def getAllByType(self, typ):
        """Every module of class ``typ`` (or a subclass) inside, depth first."""
        found = []
        for mod in self.modules.values():
            if isinstance(mod, typ):
                found.append(mod)
            if isinstance(mod, Container):
                found.extend(mod.getAllByType(typ))
        return found

    def _wrapError(self, exc, index, mod, phase):
        if isinstance(exc, PuzzleLibError):
            message = str(exc)
        else:
            message = "%s: %s" % (type(exc).__name__, exc)
        return ContainerError("%s: %s failed in module %s (%s): %s" % (
            self._label(), phase, index, type(mod).__name__, message))

    def _walk(self, path):
        yield path, self, True
        for mname, mod in self.modules.items():
            yield from mod._walk(path + "." + mname)

    def __len__(self):
        return len(self.modules)

    def __iter__(self):
        return iter(self.modules.values())

    def _extraRepr(self):
        return ""

    def __str__(self):
        head = super().__str__()
        lines = [head + " ["]
        for mname, mod in self.modules.items():
            inner = str(mod).replace("\n", "\n  ")
            lines.append("  %s: %s" % (mname, inner))
        lines.append("]")
        return "\n".join(lines)

    __repr__ = __str__


def _shapes(value):
    """The shape of an array, or the nested list of shapes of a list output (Split, Parallel)."""
    if isinstance(value, (list, tuple)):
        return [_shapes(v) for v in value]
    return tuple(getattr(value, "shape", ()))
