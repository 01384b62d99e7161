"""The part Sequential and Parallel share: modules kept in order in ``graph``."""
from PuzzleLib.Containers.Container import Container
from PuzzleLib.Errors import ContainerError


class _OrderedContainer(Container):
    """A container whose modules have an order (``graph``): append, extend, lookup, blueprint.

    ``_unit`` names the modules in messages ("modules", "branches"); ``_indexKinds`` says which
    kinds of index ``container[...]`` takes.
    """

    _unit = "modules"
    _indexKinds = "an int or a name"

    def __init__(self, name=None):
        super().__init__(name)
        self.graph = []

    def append(self, mod):
        self._addModule(mod, len(self.graph))
        self.graph.append(mod)
        return self

    def extend(self, mods):
        for mod in mods:
            self.append(mod)
        return self

    def __getitem__(self, item):
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
