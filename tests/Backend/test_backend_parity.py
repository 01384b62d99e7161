"""The CUDA backend mirrors the CPU backend name for name.

Both files are read with ``ast`` rather than imported, so this runs where CuPy is not installed.
Whoever adds a kernel to ``_cpu.py`` must add its CuPy twin to ``_cuda.py`` (same name, same
parameters), or this fails and says which.
"""
import ast
import os
import subprocess
import sys

import PuzzleLib.Backend

_DIR = os.path.dirname(PuzzleLib.Backend.__file__)

# device handling that only a real device needs
_CUDA_ONLY = {"initDevice"}


def _tree(fname):
    with open(os.path.join(_DIR, fname), encoding="utf-8") as f:
        return ast.parse(f.read(), fname)


def _publicDefs(tree):
    """Top-level public names -> the ast node that defines them (functions, classes, assignments)."""
    defs = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            defs[node.name] = node
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    defs[target.id] = node
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            defs[node.target.id] = node
    return {k: v for k, v in defs.items() if not k.startswith("_")}


def _argNames(fn):
    args = fn.args
    return [a.arg for a in args.posonlyargs + args.args + args.kwonlyargs]


def _dictKeys(assign):
    if not isinstance(assign.value, ast.Dict):
        return None
    return [ast.literal_eval(k) for k in assign.value.keys]


def test_same_public_names():
    cpu = set(_publicDefs(_tree("_cpu.py")))
    cuda = set(_publicDefs(_tree("_cuda.py")))
    missing = sorted(cpu - cuda)
    extra = sorted(cuda - cpu - _CUDA_ONLY)
    assert not missing, ("_cuda.py lacks these names of _cpu.py: %s (add a CuPy twin at the end of _cuda.py: "
                         "a fused kernel via _elementwise(...) or composed cupy calls; then a reference in "
                         "test_cuda_kernels_host.py and a gpu test in test_cuda.py)" % missing)
    assert not extra, "_cuda.py defines names _cpu.py does not: %s" % extra
    assert "GPUArray" in cpu and "activationKernels" in cpu  # the walk found the real definitions


def test_same_function_parameters():
    cpu = _publicDefs(_tree("_cpu.py"))
    cuda = _publicDefs(_tree("_cuda.py"))
    checked = 0
    for fname, node in cpu.items():
        twin = cuda.get(fname)
        if isinstance(node, ast.FunctionDef) and isinstance(twin, ast.FunctionDef):
            assert _argNames(node) == _argNames(twin), "%s: _cpu takes %s, _cuda takes %s" % (
                fname, _argNames(node), _argNames(twin))
            checked += 1
    assert checked >= 10


def test_same_activation_kernels():
    cpu = _dictKeys(_publicDefs(_tree("_cpu.py"))["activationKernels"])
    cuda = _dictKeys(_publicDefs(_tree("_cuda.py"))["activationKernels"])
    assert cpu and sorted(cpu) == sorted(cuda)


def _run(code, backend):
    env = dict(os.environ, PUZZLELIB_BACKEND=backend)
    root = os.path.dirname(os.path.dirname(_DIR))
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=root, capture_output=True, text=True,
                          timeout=60)


def test_cpu_backend_never_imports_cupy():
    res = _run("import sys, PuzzleLib.Backend.gpuarray as g; print(g.backendName, 'cupy' in sys.modules)", "cpu")
    assert res.returncode == 0, res.stderr
    assert res.stdout.split() == ["cpu", "False"]


def test_auto_choice_is_logged_once_at_info():
    res = _run("from PuzzleLib import Config; Config.getLogger().setLevel('INFO'); "
               "import PuzzleLib.Backend.gpuarray as g; import PuzzleLib.Variable; print(g.backendName)", "auto")
    assert res.returncode == 0, res.stderr
    chosen = res.stdout.strip()
    lines = [ln for ln in res.stderr.splitlines() if "backend:" in ln]
    assert len(lines) == 1 and lines[0].startswith("[PuzzleLib] backend: %s (auto: " % chosen), res.stderr


def test_a_plain_program_prints_nothing_about_the_backend():
    # a library logs; it does not print on import (it printed "[PuzzleLib] backend: cpu ..." every run)
    res = _run("import PuzzleLib.Backend.gpuarray as g; from PuzzleLib.Modules import Linear; Linear(2, 2)", "auto")
    assert res.returncode == 0 and res.stderr == "" and res.stdout == "", res.stderr


def test_hip_says_it_runs_on_the_cpu():
    res = _run("import PuzzleLib.Backend.gpuarray as g; print(g.backendName)", "hip")
    assert res.returncode == 0 and res.stdout.strip() == "cpu"
    assert res.stderr.strip() == "[PuzzleLib] backend hip: this library has no ROCm backend; it runs on the CPU (numpy)"


def test_cuda_without_cupy_is_a_clear_error():
    code = ("import sys; sys.modules['cupy'] = None\n"
            "from PuzzleLib.Errors import BackendError\n"
            "try:\n    import PuzzleLib.Backend.gpuarray\nexcept BackendError as e:\n    print('BackendError:', e)\n")
    res = _run(code, "cuda")
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("BackendError: Config.backend is cuda, but CuPy could not be imported")
    assert "puzzlelib[cuda12]" in res.stdout and "PUZZLELIB_BACKEND=cpu" in res.stdout
