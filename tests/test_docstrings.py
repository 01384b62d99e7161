"""Every ``>>>`` example in PuzzleLib's docstrings runs and shows what it says.

Each module under PuzzleLib/ is imported (``PuzzleLib.Backend._cuda`` is left out: it needs CuPy)
and its docstrings are run with the standard library's doctest, one test case per docstring, with
NORMALIZE_WHITESPACE and ELLIPSIS. An example sees ``np``, ``to_gpu``, ``gpuarray`` and the names its
own module defines; anything else it imports itself, as a user would. numpy's global generator is
seeded before each docstring, and each runs in a fresh temporary folder (examples that save files
write there; the few that read a folder find it made ready, see ``_READY``).

A failure prints doctest's report: the example, what it showed and what the docstring expected.
Fix the docstring when the example is wrong, the code when the code is.
"""
import doctest
import importlib
import importlib.util
import inspect
import os
import pkgutil

import numpy as np
import pytest

import PuzzleLib
from PuzzleLib.Backend import gpuarray
from PuzzleLib.Backend.gpuarray import to_gpu

_SKIPPED = {"PuzzleLib.Backend._cuda"}  # imports CuPy
_FLAGS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS
_SEED = 1234

# the packages whose public classes must each carry an example
_DOCUMENTED = ("Modules", "Cost", "Optimizers", "Containers", "Handlers")


def _moduleNames():
    names = []
    for info in pkgutil.walk_packages(PuzzleLib.__path__, "PuzzleLib."):
        if info.name not in _SKIPPED:
            names.append(info.name)
    return sorted(names)


def _importModule(name):
    # importlib, not attribute access: PuzzleLib.Modules.Linear is the class once the package has
    # imported it, while sys.modules holds the file's module
    return importlib.import_module(name)


def _docTests():
    finder = doctest.DocTestFinder(exclude_empty=True)
    tests = []
    for name in _moduleNames():
        for test in finder.find(_importModule(name), name):
            if test.examples:
                tests.append(test)
    return sorted(tests, key=lambda t: t.name)


def _ownNames(mod):
    """The public names ``mod`` defines itself: its classes and functions, and plain constants."""
    names = {}
    for key, value in vars(mod).items():
        if key.startswith("_") or inspect.ismodule(value):
            continue
        if inspect.isclass(value) or inspect.isroutine(value):
            if getattr(value, "__module__", None) != mod.__name__:
                continue
        elif callable(value):
            continue
        names[key] = value
    return names


def _namespace(moduleName):
    globs = {"np": np, "to_gpu": to_gpu, "gpuarray": gpuarray}
    globs.update(_ownNames(_importModule(moduleName)))
    return globs


def _photos(folder):
    """photos/cats (two images) and photos/dogs (one), small JPEGs of different sizes."""
    from PIL import Image
    for cls, sizes in (("cats", ((40, 30), (32, 32))), ("dogs", ((20, 50),))):
        os.makedirs(os.path.join(folder, "photos", cls))
        for i, size in enumerate(sizes):
            Image.new("RGB", size, (40 * i, 100, 200)).save(os.path.join(folder, "photos", cls, "%d.jpg" % i))


def _datasetFolder(writer, name):
    def make(folder):
        from tests.Datasets import _formats
        getattr(_formats, writer)(os.path.join(folder, name))
    return make


# docstrings whose example reads something a user would already have, made in the working folder
_READY = {
    "PuzzleLib.Datasets.ImageFolderLoader.ImageFolderLoader": _photos,
    "PuzzleLib.Datasets.MnistLoader.MnistLoader": _datasetFolder("writeMnist", "mnist"),
    "PuzzleLib.Datasets.Cifar10Loader.Cifar10Loader": _datasetFolder("writeCifar", "cifar10"),
    "PuzzleLib.Datasets.IMDBLoader.IMDBLoader": _datasetFolder("writeImdb", "imdb"),
    "PuzzleLib.Datasets.SmallNorbLoader.SmallNorbLoader": _datasetFolder("writeNorb", "smallnorb"),
}

# docstrings whose examples need the onnx extra (make test installs it)
_NEEDS_ONNX = ("PuzzleLib.Converter.",)

_TESTS = _docTests()


def _moduleOf(test):
    name = test.name
    while name not in _MODULES:
        name = name.rpartition(".")[0]
    return name


_MODULES = set(_moduleNames())


@pytest.mark.parametrize("test", _TESTS, ids=[t.name for t in _TESTS])
def test_docstringExamples(test, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    if test.name.startswith(_NEEDS_ONNX) and importlib.util.find_spec("onnx") is None:
        pytest.skip("the onnx extra is not installed (pip install 'puzzlelib[onnx]')")
    if test.name in _READY:
        _READY[test.name](str(tmp_path))

    test.globs = _namespace(_moduleOf(test))
    np.random.seed(_SEED)
    report = []
    runner = doctest.DocTestRunner(optionflags=_FLAGS)
    try:
        result = runner.run(test, out=report.append, clear_globs=True)
    finally:
        test.globs = {}
    assert result.attempted == len(test.examples)
    assert result.failed == 0, "".join(report)


def test_examplesAreFound():
    # the collection above must not quietly shrink (a renamed folder, a broken import)
    count = sum(len(t.examples) for t in _TESTS)
    assert len(_TESTS) >= 100
    assert count >= 350
    assert any(t.name == "PuzzleLib.Modules.Linear.Linear" for t in _TESTS)


def _publicClasses():
    for package in _DOCUMENTED:
        for name in _moduleNames():
            if not name.startswith("PuzzleLib.%s." % package) or name.rpartition(".")[2].startswith("_"):
                continue
            mod = _importModule(name)
            for key, value in _ownNames(mod).items():
                if inspect.isclass(value):
                    yield "%s.%s" % (name, key), value


def test_everyPublicClassHasAnExample():
    missing = [qualname for qualname, cls in _publicClasses() if ">>>" not in (cls.__doc__ or "")]
    assert missing == []
