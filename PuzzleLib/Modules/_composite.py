"""A base for modules made of other modules (the containers, Glue)."""
from PuzzleLib.Modules.Module import Module


class _Composite(Module):
    """A module that holds inner modules in ``self.modules`` (name -> module).

    Modes, buffer reuse and ``calcMode`` pass down to the inner modules; their parameters join
    this module's var table under dotted names ("<key>.W"); dtype checks are left to them.
    """

    def __init__(self, name=None):
        super().__init__(name)
        self.modules = {}

    def trainMode(self):
        super().trainMode()
        for mod in self.modules.values():
            mod.trainMode()

    def evalMode(self):
        super().evalMode()
        for mod in self.modules.values():
            mod.evalMode()

    def reset(self):
        super().reset()
        for mod in self.modules.values():
            mod.reset()

    def _setReuse(self, reuse):
        super()._setReuse(reuse)
        for mod in self.modules.values():
            mod._setReuse(reuse)

    def calcMode(self, dtype):
        for mod in self.modules.values():
            mod.calcMode(dtype)
        super().calcMode(dtype)

    def getVarTable(self, vartable=None, name=None, root=True):
        vartable = super().getVarTable(vartable, name, root)
        prefix = "" if root or not name else name + "."
        for key, mod in self.modules.items():
            mod.getVarTable(vartable, prefix + key, root=False)
        return vartable

    def checkDataType(self, dtype):
        pass

    def checkGradType(self, dtype):
        pass
