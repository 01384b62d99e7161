"""The part Sequential and Parallel share: modules kept in order in ``graph``."""
from PuzzleLib.Containers.Container import Container
from PuzzleLib.Errors import ContainerError
from PuzzleLib.Modules.Module import Module


class _OrderedContainer(Container):
    """A container whose modules have an order (``graph``): append, extend, lookup, blueprint.

    ``_unit`` names the modules in messages ("modules", "branches"); ``_indexKinds`` says which
    kinds of index ``container[...]`` takes.
    """

    _unit = "modules"
    _indexKinds = "an int, a name or a slice"

    def __init__(self, name=None):
        super().__init__(name)
        self.graph = []

    def append(self, mod):
        """Add ``mod`` at the end (an unnamed module is named by its position); returns the container."""
        self._addModule(mod, len(self.graph))
        self.graph.append(mod)
        return self

    def extend(self, mods):
        """Append each module of ``mods`` in order; returns the container. A refused module adds none."""
        try:
            mods = list(mods)
        except TypeError:
            raise ContainerError("%s: extend takes an iterable of modules, got %s" % (
                self._label(), type(mods).__name__)) from None
        count = len(self.graph)
        named = [mod for mod in mods if isinstance(mod, Module) and mod.name is None]
        try:
            for mod in mods:
                self.append(mod)
        except ContainerError:
            for mod in self.graph[count:]:
                del self.modules[mod.name]
            del self.graph[count:]
            for mod in named:
                mod.name = None
            raise
        return self

    def __getitem__(self, item):
        if isinstance(item, slice):
            # a container of the same kind over those modules (shared, not copied)
            part = type(self)()
            part.graph = self.graph[item]
            part.modules = {mod.name: mod for mod in part.graph}
            return part
        if isinstance(item, str):
            try:
                return self.modules[item]
            except KeyError:
                raise ContainerError("%s: no module named %r" % (self._label(), item)) from None
        try:
            return self.graph[item]
        except IndexError:
            raise ContainerError("%s: index %d out of range for %d %s" % (
                self._label(), item, len(self.graph), self._unit)) from None
        except TypeError:
            raise ContainerError("%s: index must be %s, got %r" % (self._label(), self._indexKinds, item)) from None

    def getBlueprint(self):
        bp = super().getBlueprint()
        bp["modules"] = {mod.name: mod.getBlueprint() for mod in self.graph}
        bp["graph"] = [mod.name for mod in self.graph]
        return bp
