"""Sphinx configuration of PuzzleLib's documentation site (`make docs` builds it into docs/_build/html).

Choices: Sphinx with napoleon (the library's docstrings are numpy-style with a ``Shape`` section of
their own, which napoleon takes as a custom section), autosummary for the API reference (one page
per public object, generated from the docstrings), sphinx-gallery to run ``examples/`` at build
time and show the figures they write, myst-parser so RESULTS.md and COMPATIBILITY.md are included
as they are instead of copied, and pydata-sphinx-theme (the theme of numpy, pandas and
scikit-learn's neighbours).
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GENERATED = os.path.join(HERE, "_generated")
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(HERE, "_ext"))
os.environ.setdefault("PUZZLELIB_BACKEND", "cpu")
os.environ.setdefault("MPLBACKEND", "Agg")

import PuzzleLib  # noqa: E402
import puzzledoc  # noqa: E402

project = "PuzzleLib"
author = "the PuzzleLib maintainers"
copyright = "2026, " + author
release = PuzzleLib.__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.napoleon",
    "sphinx.ext.mathjax",
    "sphinx_gallery.gen_gallery",
    "myst_parser",
    "puzzledoc",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
exclude_patterns = ["_build", "_generated/**/*.md", "**/README.md", "auto_examples/*.ipynb"]
templates_path = ["_templates"]
nitpicky = False

# autosummary cuts a summary at 50 characters, which can split an inline literal (``a * x + b``)
# and break the markup; the library's first sentences are short enough to show whole.
import sphinx.ext.autosummary  # noqa: E402

sphinx.ext.autosummary.max_item_chars = 200
autosummary_generate = True
autosummary_context = {"isModule": lambda name: name in sys.modules}
autosummary_imported_members = False
autodoc_default_options = {"members": True, "show-inheritance": True, "member-order": "bysource"}
autodoc_typehints = "none"
autodoc_mock_imports = ["cupy", "cupyx"]

napoleon_numpy_docstring = True
napoleon_google_docstring = False
napoleon_custom_sections = puzzledoc.CUSTOM_SECTIONS
napoleon_use_rtype = False

myst_heading_anchors = 3
suppress_warnings = ["myst.header", "myst.xref_missing", "config.cache"]

html_theme = "pydata_sphinx_theme"
html_title = "PuzzleLib %s" % release
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "navbar_align": "left",
    "header_links_before_dropdown": 8,
}
html_show_sourcelink = False
# The guides are top-level pages: their "Section Navigation" sidebar is empty and only narrows the
# text and the code (whose lines then scroll); the gallery and the reference keep theirs.
html_sidebars = {page: [] for page in ("index", "install", "guide/*", "speed", "compatibility")}


# ---- the API reference: every public package and module of PuzzleLib, found, not listed ------

_API_INTRO = """API reference
=============

Generated from the docstrings: one page per module, each public class and function with its
parameters, shapes and a runnable example (the examples run as tests, see
``tests/test_docstrings.py``). The command line (``puzzlelib``) is described in :doc:`../guide/restore`.

.. autosummary::
   :toctree: generated
   :recursive:

"""


def _writeApiIndex():
    import pkgutil

    names = sorted(info.name for info in pkgutil.iter_modules(PuzzleLib.__path__, "PuzzleLib.")
                   if not info.name.split(".")[-1].startswith("_") and info.name != "PuzzleLib.Cli")
    text = _API_INTRO + "".join("   %s\n" % name for name in names)
    path = os.path.join(HERE, "api", "index.rst")
    os.makedirs(os.path.dirname(path), exist_ok=True)  # the folder holds only generated files: absent from a clone
    if not os.path.exists(path) or open(path, encoding="utf-8").read() != text:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)


_writeApiIndex()


# ---- figures made at build time -------------------------------------------------------------

def _restoreFigures():
    """Run the workbench on the tutorial's formula so the guide shows today's figures."""
    out = os.path.join(GENERATED, "restore")
    if os.path.exists(os.path.join(out, "restore.png")):
        return
    os.makedirs(out, exist_ok=True)
    subprocess.run([sys.executable, "-m", "PuzzleLib", "restore", "2*sin(x)+5", "--out", out, "--quiet"],
                   check=True, cwd=ROOT)


# ---- the gallery: examples/ run at build time, their figures shown ---------------------------

def _exampleOut(srcFile):
    return os.path.join(GENERATED, "examples", os.path.splitext(os.path.basename(srcFile))[0])


_SEEN = {}


def _resetArgv(galleryConf, scriptVars):
    """Each example gets ``--out`` pointing at a folder of its own, like a user's run."""
    out = _exampleOut(scriptVars["src_file"])
    _SEEN[out] = set()
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out, exist_ok=True)
    return ["--out", out]


_PICTURES = (".png", ".svg")
_SMALLEST_SHOWN = 320   # pixels: filter grids come out a few dozen pixels wide


def _enlarge(path):
    """A picture drawn pixel for pixel (filters, 3x3 each) is scaled up by a whole factor, nearest
    neighbour, so the page shows its pixels instead of a speck."""
    from PIL import Image

    with Image.open(path) as image:
        side = max(image.size)
        if side >= _SMALLEST_SHOWN // 2:
            return
        factor = -(-_SMALLEST_SHOWN // side)
        image.resize((image.width * factor, image.height * factor), Image.NEAREST).save(path)


def _writtenFigures(block, blockVars, galleryConf):
    """Image scraper: the PNGs and SVGs an example wrote into its --out folder during this block,
    each shown on its own at full width (side by side they shrink to thumbnails)."""
    from sphinx_gallery.scrapers import figure_rst

    out = _exampleOut(blockVars["src_file"])
    seen = _SEEN.setdefault(out, set())
    rst = ""
    if os.path.isdir(out):
        for name in sorted(os.listdir(out)):
            if name.endswith(_PICTURES) and name not in seen:
                seen.add(name)
                target = os.path.splitext(next(blockVars["image_path_iterator"]))[0] + os.path.splitext(name)[1]
                shutil.copyfile(os.path.join(out, name), target)
                if target.endswith(".png"):
                    _enlarge(target)
                rst += figure_rst([target], galleryConf["src_dir"])
    return rst


sphinx_gallery_conf = {
    "examples_dirs": os.path.join(ROOT, "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r".*\.py$",
    "ignore_pattern": r"(__init__|_common)\.py$",
    "reset_argv": _resetArgv,
    "image_scrapers": ("matplotlib", _writtenFigures),
    "download_all_examples": False,
    "abort_on_example_error": True,
    "min_reported_time": 1e9,
    "write_computation_times": False,
    "line_numbers": False,
    "remove_config_comments": True,
}


def setup(app):
    _restoreFigures()

