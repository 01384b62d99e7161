"""The base of the modules' choice enums (ActivationType, PadMode, GroupMode, InitScheme, ...)."""
import enum


class _Choice(str, enum.Enum):
    """A string-valued choice: each member equals, hashes and prints as its value, so
    ``ActivationType.relu == "relu"`` and ``"%s" % relu == "relu"``, and modules that take the
    string take the member too."""

    def __str__(self):
        return self.value

    def __format__(self, spec):
        return format(self.value, spec)
