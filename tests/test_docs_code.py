"""Every ``.. code-block:: python`` of the documentation's pages runs, page by page.

The blocks of one page run in order in one namespace (a guide builds on its earlier blocks), in a
fresh temporary folder, with numpy seeded. The site itself is built by ``make docs``; this keeps
the code it shows runnable in the ordinary suite.
"""
import glob
import os
import textwrap

import numpy as np
import pytest

DOCS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "docs")


def _pages():
    pages = sorted(glob.glob(os.path.join(DOCS, "**", "*.rst"), recursive=True))
    return [p for p in pages if "_build" not in p and "_generated" not in p and "auto_examples" not in p
            and os.sep + "generated" + os.sep not in p]


def _pythonBlocks(path):
    lines = open(path, encoding="utf-8").read().splitlines()
    blocks, i = [], 0
    while i < len(lines):
        if lines[i].strip() == ".. code-block:: python":
            i += 1
            body = []
            while i < len(lines) and (not lines[i].strip() or lines[i].startswith("   ")):
                body.append(lines[i])
                i += 1
            blocks.append((i, textwrap.dedent("\n".join(body))))
        else:
            i += 1
    return blocks


_WITH_CODE = [p for p in _pages() if _pythonBlocks(p)]


def test_pagesWithCodeAreFound():
    names = {os.path.relpath(p, DOCS) for p in _WITH_CODE}
    assert {os.path.join("guide", "restore.rst"), os.path.join("guide", "custom-module.rst")} <= names


@pytest.mark.parametrize("page", _WITH_CODE, ids=lambda p: os.path.relpath(p, DOCS))
def test_pageCodeRuns(page, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    np.random.seed(1234)
    namespace = {"__name__": "__docs__"}
    for line, code in _pythonBlocks(page):
        try:
            exec(compile(code, "%s:%d" % (page, line), "exec"), namespace)
        except Exception as e:
            raise AssertionError("the code block ending at %s line %d fails: %r" % (page, line, e)) from e
