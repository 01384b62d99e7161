"""How PuzzleLib's docstrings are read: napoleon's numpy style plus the library's own sections.

Shared by the site (``docs/conf.py`` loads it as an extension) and by the suite
(``tests/test_docstrings_render.py`` renders every public docstring the same way), so a docstring
that would break the site's build fails a test first.
"""
import re

# generic sections napoleon shows as a heading with the text under it
CUSTOM_SECTIONS = ["Shape", "Target", "Returns from a call"]

_CALL_RETURNS = re.compile(r"^(\s*)Returns \((?:from )?(.+)\)\s*$")


def callReturns(lines):
    """Loaders document what their ``load(...)`` returns under ``Returns (from ``load(...)``)``;
    napoleon knows only fixed section names, so such a header becomes the generic section
    "Returns from a call", the call named on its first line. Changes ``lines`` in place."""
    for i in range(len(lines) - 1):
        match = _CALL_RETURNS.match(lines[i])
        if match and lines[i + 1].strip() and set(lines[i + 1].strip()) == {"-"}:
            indent, call = match.groups()
            lines[i] = indent + CUSTOM_SECTIONS[-1]
            lines[i + 1] = indent + "-" * len(CUSTOM_SECTIONS[-1])
            lines.insert(i + 2, indent + "%s returns:" % call)
            lines.insert(i + 3, "")


_documenting = {"module": None}


def _processDocstring(app, what, name, obj, options, lines):
    if what == "module":
        _documenting["module"] = name  # autodoc reads a module's docstring before it filters its members
    callReturns(lines)


def _skipMember(app, what, name, obj, skip, options):
    """A package that lists a class in ``__all__`` imported from a submodule of the same name
    (``PuzzleLib.Grid.ChildNode``, the class, from ``PuzzleLib.Grid.ChildNode``, the module) would
    describe it under the submodule's own name: a duplicate object. The submodule's page has it."""
    module = _documenting["module"]
    if what == "module" and module and getattr(obj, "__module__", None) == "%s.%s" % (module, name):
        return True
    return None


def setup(app):
    app.connect("autodoc-process-docstring", _processDocstring, priority=100)  # before napoleon (500)
    app.connect("autodoc-skip-member", _skipMember)
    return {"parallel_read_safe": True}
