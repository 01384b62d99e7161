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

    def getVar(self, name):
        """A Variable by its dotted name in ``getVarTable`` ("0.W", "block.fc1.b")."""
        mod, pname = self._varOwner(name)
        if mod is None:
            raise self._error("no variable %r (has %s)" % (name, _someNames(self)))
        return mod.vars[pname]

    def setVar(self, name, var):
        """Replace the Variable at a dotted name of ``getVarTable`` in the module that holds it
        (same shape and dtype); a name without a dot is this module's own, as for any module."""
        mod, pname = self._varOwner(name)
        if mod is None and "." in name:
            raise self._error("setVar(%r): no variable at that name (has %s)" % (name, _someNames(self)))
        if mod is None or mod is self:
            return super().setVar(name, var)
        return mod.setVar(pname, var)

    def _varOwner(self, name):
        """(module, its own name for the variable) for a dotted name, or (None, None)."""
        if name in self.vars:
            return self, name
        for key, mod in self.modules.items():
            if not name.startswith(key + "."):
                continue
            rest = name[len(key) + 1:]
            if isinstance(mod, _Composite):
                found = mod._varOwner(rest)
                if found[0] is not None:
                    return found
            elif rest in mod.vars:
                return mod, rest
        return None, None

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


def _someNames(mod, most=8):
    names = [name for names in mod.getVarTable().values() for name in names]
    shown = ", ".join(repr(name) for name in names[:most])
    return "[%s%s]" % (shown, ", ... %d more" % (len(names) - most) if len(names) > most else "")
