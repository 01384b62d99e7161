"""The formula parser: what it accepts (checked against numpy), what it refuses (with the column),
hostile input, and the one-line error of the command."""
import builtins
import subprocess
import sys

import numpy as np
import pytest

from PuzzleLib.Workbench.formula import FUNCTIONS, MAX_DEPTH, MAX_LENGTH, FormulaError, evaluate, parse, toText
from PuzzleLib.Cli.main import main

X = np.linspace(-3, 3, 101)

VALID = [
    ("2*sin(x)+5", lambda x: 2 * np.sin(x) + 5),
    ("x", lambda x: x),
    ("5", lambda x: np.full_like(x, 5.0)),
    ("-x**2", lambda x: -(x ** 2)),
    ("2**-x", lambda x: 2.0 ** -x),
    ("2**3**0.5", lambda x: np.full_like(x, 2 ** (3 ** 0.5))),
    ("x/2/4", lambda x: x / 8),
    ("10-3-2", lambda x: np.full_like(x, 5.0)),
    ("(x+1)*(x-1)", lambda x: x * x - 1),
    ("--x", lambda x: x),
    ("+x", lambda x: x),
    ("-(x)", lambda x: -x),
    ("pi*e", lambda x: np.full_like(x, np.pi * np.e)),
    (".5*x + 3. - 1e-3*x + 2E+1", lambda x: 0.5 * x + 3.0 - 1e-3 * x + 20.0),
    ("exp(-x*x/2)", lambda x: np.exp(-x * x / 2)),
    ("sqrt(abs(x))", lambda x: np.sqrt(np.abs(x))),
    ("  sin( x )\t*  cos(x) ", lambda x: np.sin(x) * np.cos(x)),
    ("arctan(x)+tanh(x)-sinh(x/3)+cosh(x/3)", lambda x: np.arctan(x) + np.tanh(x) - np.sinh(x / 3) + np.cosh(x / 3)),
    ("arcsin(x/3)*arccos(x/4)", lambda x: np.arcsin(x / 3) * np.arccos(x / 4)),
    ("log(1+x*x)", lambda x: np.log(1 + x * x)),
    ("tan(x/2)", lambda x: np.tan(x / 2)),
]


@pytest.mark.parametrize("text,expected", VALID, ids=[v[0] for v in VALID])
def test_valid_forms_match_numpy(text, expected):
    values = evaluate(parse(text), X)
    assert values.shape == X.shape and values.dtype == np.float64
    np.testing.assert_allclose(values, expected(X), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name", FUNCTIONS)
def test_every_function(name):
    x = np.linspace(-0.9, 0.9, 7) if name in ("arcsin", "arccos") else np.linspace(0.1, 2.0, 7)
    np.testing.assert_allclose(evaluate(parse("%s(x)" % name), x), getattr(np, name)(x))


def test_precedence_written_back():
    assert toText(parse("-x**2+3*x")) == "((-(x ** 2.0)) + (3.0 * x))"
    assert toText(parse("2**-x**2")) == "(2.0 ** (-(x ** 2.0)))"


def test_values_outside_the_domain_come_out_nan_not_an_error():
    values = evaluate(parse("log(x)"), np.array([-1.0, 0.0, 1.0]))
    assert np.isnan(values[0]) and np.isneginf(values[1]) and values[2] == 0.0


REJECTED = [
    # (text, words in the message, 1-based column)
    ("foo", "unknown name 'foo'", 1),
    ("2*sin(x)+z", "unknown name 'z'; the names are x, y, pi, e", 10),
    ("X", "unknown name 'X'", 1),
    ("foo(x)", "unknown function 'foo'", 1),
    ("print(x)", "unknown function 'print'", 1),
    ("x(2)", "x is not a function", 2),
    ("pi(2)", "pi is not a function", 3),
    ("sin", "needs an argument", 4),
    ("sin x", "needs an argument", 5),
    ("sin()", "needs an argument", 5),
    ("sin(x, 2)", "exactly one argument", 6),
    ("x.real", "attribute access", 2),
    ("sin.__call__(x)", "attribute access", 4),
    ("'x'", "strings are not allowed", 1),
    ('"x"', "strings are not allowed", 1),
    ("x^2", "write ** for powers", 2),
    ("2x", "expected an operator", 2),
    ("2e", "expected an operator", 2),
    ("x y", "expected an operator", 3),
    ("2*", "unexpected end of formula", 3),
    ("*x", "unexpected '*'", 1),
    ("(x", "never closed", 3),
    ("x)", "unmatched ')'", 2),
    ("()", "empty parentheses", 2),
    ("", "formula is empty", 1),
    ("   ", "formula is empty", 1),
    ("[x]", "brackets", 1),
    ("{x}", "brackets", 1),
    ("x==1", "comparisons and assignments", 2),
    ("x=1", "comparisons and assignments", 2),
    ("x % 2", "unexpected character '%'", 3),
    ("x // 2", "unexpected '/'", 4),
    ("x\ny", "unexpected character '\\n'", 2),
    ("x\u00b2", "unexpected character", 2),
    ("1e999", "too large", 1),
    ("1j", "expected an operator", 2),
    ("lambda: 1", "keyword 'lambda'", 1),
    ("not x", "keyword 'not'", 1),
    ("1 if x else 2", "expected an operator", 3),
]


@pytest.mark.parametrize("text,words,column", REJECTED, ids=[repr(r[0]) for r in REJECTED])
def test_rejected_forms_name_the_place(text, words, column):
    with pytest.raises(FormulaError) as info:
        parse(text)
    assert words in info.value.message
    assert info.value.column + 1 == column
    line = info.value.oneLine()
    assert "\n" not in line and line.endswith("at column %d" % column)
    shown, caret = info.value.pointer()
    assert caret.strip() == "^" and caret.index("^") == column - 1  # under the place, on its own line
    assert shown == "".join(c if c.isprintable() and c.isascii() else ascii(c)[1:-1] for c in text)[:len(shown)] or \
        len(text) > 60 or not text.isascii()


HOSTILE = [
    "__import__('os')",
    "__import__('os').system('echo hacked')",
    "().__class__",
    "().__class__.__bases__[0].__subclasses__()",
    "x.__class__",
    "lambda: 0",
    "(lambda: 0)()",
    "eval('1')",
    "exec('import os')",
    "compile('1', 'f', 'eval')",
    "open('/etc/passwd').read()",
    "globals()",
    "__builtins__",
    "[c for c in ()]",
    "sin(x); import os",
    "x if x else x",
    "getattr(x, 'real')",
    "np.sin(x)",
    "sin(x).__class__",
    "\x00",
    "%s" % ("x+" * 5000 + "x"),
]


@pytest.mark.parametrize("text", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_input_is_refused_without_running_anything(text, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the parser must never call eval/exec/compile")

    for name in ("eval", "exec", "compile", "__import__"):
        monkeypatch.setattr(builtins, name, forbidden)
    with pytest.raises(FormulaError):
        parse(text)


def test_valid_formula_never_uses_eval(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("the parser must never call eval/exec/compile")

    for name in ("eval", "exec", "compile"):
        monkeypatch.setattr(builtins, name, forbidden)
    np.testing.assert_allclose(evaluate(parse("2*sin(x)+5"), X), 2 * np.sin(X) + 5)


def test_length_and_depth_limits():
    longest = "x" + "+x" * ((MAX_LENGTH - 1) // 2)
    assert len(longest) <= MAX_LENGTH
    parse(longest)
    with pytest.raises(FormulaError) as info:
        parse(longest + "+x+x")
    assert "too long" in info.value.message and info.value.column == MAX_LENGTH
    shown, caret = info.value.pointer()
    assert len(shown) < 80 and shown.startswith("...")  # long input is shown as a window around the place
    assert caret.index("^") <= len(shown)

    parse("(" * (MAX_DEPTH - 1) + "x" + ")" * (MAX_DEPTH - 1))
    with pytest.raises(FormulaError) as info:
        parse("(" * 100 + "x" + ")" * 100)
    assert "nested too deeply" in info.value.message
    with pytest.raises(FormulaError):
        parse("-" * 200 + "x")
    with pytest.raises(FormulaError):
        parse("sin(" * 60 + "x" + ")" * 60)


@pytest.mark.parametrize("text", ["__import__('os')", "().__class__", "lambda: 1", "x.real", "x\ny",
                                  "x+" * 300 + "x", "2*sin(x)+foo"])
def test_command_refuses_with_one_line_and_status_2(text, tmp_path, capsys):
    status = main(["restore", text, "--out", str(tmp_path / "out"), "-q"])
    captured = capsys.readouterr()
    assert status == 2
    lines = captured.err.strip("\n").split("\n")
    assert len(lines) == 3, captured.err  # the message, then the formula with a caret on its own line
    assert lines[0].startswith("puzzlelib restore: error: bad formula:") and "^" not in lines[0]
    assert lines[2].strip() == "^" and lines[1].startswith("    ") and lines[2].startswith("    ")
    assert "Traceback" not in captured.err and captured.out == ""
    assert not (tmp_path / "out").exists()


def test_python_dash_m_exits_2_with_one_line(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "PuzzleLib", "restore", "__import__('os').system('echo hi')",
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert proc.stdout == ""
    assert proc.stderr.count("\n") == 3 and "unknown function '__import__'" in proc.stderr.splitlines()[0]
    assert "Traceback" not in proc.stderr


def test_formulas_in_x_and_y():
    from PuzzleLib.Workbench.formula import toText, variables
    tree = parse("sin(x)*cos(y)")
    assert variables(tree) == ["x", "y"] and toText(tree) == "(sin(x) * cos(y))"
    values = evaluate(tree, {"x": np.array([0.0, np.pi / 2]), "y": np.array([0.0, 0.0])})
    np.testing.assert_allclose(values, [0.0, 1.0])
    assert variables(parse("2*x")) == ["x"]
