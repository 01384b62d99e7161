"""Every public docstring renders as the documentation site renders it: no markup warnings.

Each docstring of a public module, class, function and method goes through napoleon (numpy style,
with the library's own sections from ``docs/_ext/puzzledoc.py``) and docutils, and any warning
(an unclosed ``literal``, a paragraph napoleon took for a parameter, a bad indent) fails here
instead of breaking ``make docs`` (which builds with warnings as errors). Sphinx's own roles
(``:class:`` ...) are stood in for; whether their targets exist is the site build's check.
"""
import importlib
import inspect
import io
import os
import pkgutil
import re
import sys

import pytest

pytest.importorskip("sphinx", reason="sphinx comes with the test extra: pip install -e '.[test]'")

from docutils import nodes  # noqa: E402
from docutils.core import publish_doctree  # noqa: E402
from docutils.parsers.rst import Directive, directives, roles  # noqa: E402
from sphinx.ext.napoleon import Config  # noqa: E402
from sphinx.ext.napoleon.docstring import NumpyDocstring  # noqa: E402

import PuzzleLib  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs", "_ext"))
import puzzledoc  # noqa: E402

_CONFIG = Config(napoleon_custom_sections=puzzledoc.CUSTOM_SECTIONS, napoleon_use_rtype=False,
                 napoleon_google_docstring=False)
_SPHINX_ROLES = ("class", "func", "meth", "mod", "attr", "data", "exc", "obj", "doc", "ref", "py:class",
                 "py:func", "py:meth", "py:mod", "py:attr", "py:data", "py:exc", "py:obj")


def _literalRole(name, rawtext, text, lineno, inliner, options=None, content=None):
    return [nodes.literal(rawtext, text)], []


for _role in _SPHINX_ROLES:
    roles.register_local_role(_role, _literalRole)


class _SphinxDirective(Directive):
    """Stands in for a Sphinx directive (attribute, seealso, versionadded ...): parses its body."""
    optional_arguments = 1
    final_argument_whitespace = True
    has_content = True
    option_spec = {"type": directives.unchanged, "value": directives.unchanged, "noindex": directives.flag}

    def run(self):
        node = nodes.container()
        self.state.nested_parse(self.content, self.content_offset, node)
        return [node]


for _directive in ("attribute", "method", "function", "data", "seealso", "versionadded", "versionchanged",
                   "deprecated"):
    directives.register_directive(_directive, _SphinxDirective)


def _private(moduleName):
    return any(part.startswith("_") for part in (moduleName or "").split("."))


def _withMembers(qualname, obj):
    found = [(qualname, obj)]
    if inspect.isclass(obj):
        for mname, member in vars(obj).items():
            if not mname.startswith("_") and (inspect.isfunction(member) or isinstance(member, property)):
                found.append(("%s.%s" % (qualname, mname), member))
    return found


def _public():
    found = []
    for info in pkgutil.walk_packages(PuzzleLib.__path__, "PuzzleLib."):
        if _private(info.name):
            continue
        module = importlib.import_module(info.name)
        found.append((info.name, module))
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if inspect.isfunction(obj) or inspect.isclass(obj):
                found.extend(_withMembers("%s.%s" % (info.name, name), obj))
        # what a public package exports from a private module (PuzzleLib.Grid's runGrid, from _launch)
        # is on the site under the package's name: its page renders these docstrings too
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name, None)
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and _private(getattr(obj, "__module__", None)):
                found.extend(_withMembers("%s.%s" % (info.name, name), obj))
    return [(name, obj) for name, obj in found if inspect.getdoc(obj) and obj.__doc__]


_PARAM = re.compile(r"^:param (.*?):")
_NAME = re.compile(r"^\*{0,2}[A-Za-z_][A-Za-z0-9_]*$")


def renderWarnings(docstring, what="class"):
    """The docutils warnings (level >= 2) of a docstring rendered the site's way, and the
    parameters whose names are not names (text after a Parameters section that napoleon took for
    more parameters: it renders without a warning, as a list of nonsense)."""
    lines = inspect.cleandoc(docstring).splitlines()
    puzzledoc.callReturns(lines)
    rst = str(NumpyDocstring(lines, _CONFIG, what=what))
    problems = []
    for line in rst.splitlines():
        match = _PARAM.match(line)
        if match and not all(_NAME.match(part.strip()) for part in match.group(1).split(",")):
            problems.append("not a parameter name: %r (text after Parameters needs a section of its own, "
                            "e.g. Notes)" % match.group(1))
    stream = io.StringIO()
    publish_doctree(rst, settings_overrides={"warning_stream": stream, "report_level": 2, "halt_level": 5})
    return problems + [line for line in stream.getvalue().splitlines() if line.strip()]


_OBJECTS = _public()


def test_theCheckSeesBrokenMarkup():
    assert renderWarnings("Summary with ``an unclosed literal.\n") != []
    assert renderWarnings("Summary.\n\nParameters\n----------\nx : int\n    A value.\n\nA stray paragraph: "
                          "napoleon takes it for a parameter\nthat goes on, unindented.\n") != []
    assert renderWarnings("Summary.\n\nParameters\n----------\nx : int\n    A value.\n\nShape\n-----\n"
                          "(N, 3) -> (N, 4).\n\nExample::\n\n    >>> 1 + 1\n    2\n") == []


@pytest.mark.parametrize("name,obj", _OBJECTS, ids=[name for name, _ in _OBJECTS])
def test_docstringRenders(name, obj):
    warnings = renderWarnings(obj.__doc__, what="module" if inspect.ismodule(obj) else "class")
    assert not warnings, "%s's docstring does not render cleanly:\n%s" % (name, "\n".join(warnings))


def _undocumented():
    missing = []
    for info in pkgutil.walk_packages(PuzzleLib.__path__, "PuzzleLib."):
        if any(part.startswith("_") for part in info.name.split(".")) or info.name.startswith("PuzzleLib.Cli"):
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or getattr(obj, "__module__", None) != module.__name__:
                continue
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and not obj.__doc__:
                missing.append("%s.%s" % (info.name, name))
    return missing


def test_publicClassesAndFunctionsHaveDocstrings():
    # the API reference shows what autodoc finds, and autodoc skips what has no docstring
    assert _undocumented() == []
