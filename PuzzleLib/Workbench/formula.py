"""A small, safe parser for formulas in x (and y), evaluated on numpy arrays.

The grammar is written out by hand (recursive descent); the text is never given to ``eval``,
``exec`` or ``compile``, and only the names listed below exist. Anything else is refused with a
:class:`FormulaError` that carries the column of the offending character.

Grammar (usual precedence; ``**`` binds tighter than unary minus and is right-associative, so
``-x**2`` is ``-(x**2)`` and ``2**-x`` is allowed)::

    expr   := term (("+" | "-") term)*
    term   := unary (("*" | "/") unary)*
    unary  := ("-" | "+") unary | power
    power  := atom ("**" unary)?
    atom   := NUMBER | "x" | "y" | "pi" | "e" | FUNCTION "(" expr ")" | "(" expr ")"

Example::

    >>> f = parse("2*sin(x)+5")
    >>> evaluate(f, np.array([0.0, np.pi / 2]))
    array([5., 7.])
"""
import re

MAX_LENGTH = 256
MAX_DEPTH = 40

VARIABLE = "x"
VARIABLES = ("x", "y")
CONSTANTS = ("pi", "e")
FUNCTIONS = ("sin", "cos", "tan", "exp", "log", "sqrt", "abs", "tanh", "sinh", "cosh",
             "arcsin", "arccos", "arctan")

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_KEYWORDS = frozenset((
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
    "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with",
    "yield",
))
_SPACE = " \t"
_DIGITS = "0123456789"


class FormulaError(ValueError):
    """A formula that cannot be parsed; ``column`` is the 0-based index of the offending place."""

    def __init__(self, message, column, text):
        super().__init__(message)
        self.message = message
        self.column = column
        self.text = text

    def oneLine(self):
        """``message at column N``, on a single line (:meth:`pointer` shows the place)."""
        col = max(0, min(self.column, len(self.text)))
        return "%s at column %d" % (self.message, col + 1)

    def pointer(self, width=60):
        """Two lines: the formula (a window of about ``width`` characters around the column, for a
        long one) and a caret under the offending place, on its own line."""
        col = max(0, min(self.column, len(self.text)))
        start = max(0, col - width // 2)
        stop = min(len(self.text), start + width)

        def clean(text):
            return "".join(c if c.isprintable() and c.isascii() else ascii(c)[1:-1] for c in text)

        before = ("..." if start > 0 else "") + clean(self.text[start:col])
        shown = before + clean(self.text[col:stop]) + ("..." if stop < len(self.text) else "")
        return [shown, " " * len(before) + "^"]


def _describe(ch):
    if ch in "'\"":
        return "strings are not allowed"
    if ch == ".":
        return "attribute access ('.') is not allowed"
    if ch == "^":
        return "'^' is not an operator here; write ** for powers"
    if ch in "[]{}":
        return "brackets %r are not allowed; use ( )" % ch
    if ch == ",":
        return "unexpected ','; every function takes exactly one argument"
    if ch in "=<>!":
        return "comparisons and assignments are not allowed (%r)" % ch
    return "unexpected character %r" % ch


class _Token:
    __slots__ = ("kind", "text", "pos", "value")

    def __init__(self, kind, text, pos, value=None):
        self.kind = kind
        self.text = text
        self.pos = pos
        self.value = value


def _tokenize(text):
    tokens = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SPACE:
            i += 1
            continue
        if ch in _DIGITS or (ch == "." and i + 1 < n and text[i + 1] in _DIGITS):
            m = _NUMBER.match(text, i)
            value = float(m.group(0))
            if value == float("inf"):
                raise FormulaError("number %s is too large" % m.group(0), i, text)
            tokens.append(_Token("num", m.group(0), i, value))
            i = m.end()
            continue
        if ch.isascii() and (ch.isalpha() or ch == "_"):
            m = _NAME.match(text, i)
            tokens.append(_Token("name", m.group(0), i))
            i = m.end()
            continue
        if text.startswith("**", i):
            tokens.append(_Token("op", "**", i))
            i += 2
            continue
        if ch in "+-*/()":
            tokens.append(_Token("op", ch, i))
            i += 1
            continue
        # kept as a token, so that errors come in reading order (``__import__('os')`` is refused
        # for its name, not for its quote)
        tokens.append(_Token("bad", ch, i, _describe(ch)))
        return tokens
    tokens.append(_Token("end", "", n))
    return tokens


class _Parser:
    def __init__(self, text):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0

    def peek(self):
        return self.tokens[self.i]

    def take(self):
        tok = self.tokens[self.i]
        if tok.kind == "bad":
            self.fail(tok.value, tok.pos)
        self.i += 1
        return tok

    def fail(self, message, pos):
        raise FormulaError(message, pos, self.text)

    def enter(self, pos):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            self.fail("formula is nested too deeply (more than %d levels)" % MAX_DEPTH, pos)

    def parse(self):
        node = self.expr()
        tok = self.peek()
        if tok.kind == "bad":
            self.fail(tok.value, tok.pos)
        if tok.kind != "end":
            if tok.text == ")":
                self.fail("unmatched ')'", tok.pos)
            self.fail("expected an operator (+ - * / **) before %r" % tok.text, tok.pos)
        return node

    def expr(self):
        node = self.term()
        while self.peek().text in ("+", "-") and self.peek().kind == "op":
            op = self.take()
            node = ("bin", op.text, node, self.term(), op.pos)
        return node

    def term(self):
        node = self.unary()
        while self.peek().text in ("*", "/") and self.peek().kind == "op":
            op = self.take()
            node = ("bin", op.text, node, self.unary(), op.pos)
        return node

    def unary(self):
        tok = self.peek()
        if tok.kind == "op" and tok.text in ("+", "-"):
            self.take()
            self.enter(tok.pos)
            operand = self.unary()
            self.depth -= 1
            return ("neg", operand) if tok.text == "-" else operand
        return self.power()

    def power(self):
        base = self.atom()
        tok = self.peek()
        if tok.kind == "op" and tok.text == "**":
            self.take()
            self.enter(tok.pos)
            exponent = self.unary()
            self.depth -= 1
            return ("bin", "**", base, exponent, tok.pos)
        return base

    def atom(self):
        tok = self.take()
        if tok.kind == "num":
            return ("num", tok.value)
        if tok.kind == "name":
            return self.named(tok)
        if tok.kind == "op" and tok.text == "(":
            self.enter(tok.pos)
            if self.peek().text == ")" and self.peek().kind == "op":
                self.fail("empty parentheses", self.peek().pos)
            node = self.expr()
            self.closing(tok)
            self.depth -= 1
            return node
        if tok.kind == "end":
            self.fail("unexpected end of formula; expected a number, x, pi, e, a function or '('", tok.pos)
        if tok.text == ")":
            self.fail("unexpected ')'; expected a number, x, pi, e, a function or '('", tok.pos)
        self.fail("unexpected %r; expected a number, x, pi, e, a function or '('" % tok.text, tok.pos)

    def closing(self, opening):
        tok = self.peek()
        if tok.kind == "op" and tok.text == ")":
            self.take()
            return
        if tok.kind == "bad":
            self.fail(tok.value, tok.pos)
        if tok.kind == "end":
            self.fail("'(' at column %d is never closed" % (opening.pos + 1), tok.pos)
        self.fail("expected ')' or an operator, got %r" % tok.text, tok.pos)

    def named(self, tok):
        name = tok.text
        following = self.peek()
        call = following.kind == "op" and following.text == "("
        if name in FUNCTIONS:
            if following.kind == "bad":
                self.fail(following.value, following.pos)
            if not call:
                self.fail("function %s needs an argument in parentheses, e.g. %s(x)" % (name, name), following.pos)
            opening = self.take()
            self.enter(opening.pos)
            if self.peek().text == ")" and self.peek().kind == "op":
                self.fail("%s() needs an argument" % name, self.peek().pos)
            arg = self.expr()
            self.closing(opening)
            self.depth -= 1
            return ("call", name, arg)
        if name in VARIABLES or name in CONSTANTS:
            if call:
                self.fail("%s is not a function" % name, following.pos)
            return ("var", name) if name in VARIABLES else ("const", name)
        if name in _KEYWORDS:
            self.fail("Python keyword %r is not allowed" % name, tok.pos)
        if call:
            self.fail("unknown function %r; the functions are %s" % (name, " ".join(FUNCTIONS)), tok.pos)
        self.fail("unknown name %r; the names are x, y, pi, e" % name, tok.pos)


def parse(text):
    """Parse ``text`` into a small tree of tuples, or raise :class:`FormulaError`."""
    if not isinstance(text, str):
        raise FormulaError("a formula must be text, got %s" % type(text).__name__, 0, "")
    if len(text) > MAX_LENGTH:
        raise FormulaError("formula is too long (%d characters; at most %d)" % (len(text), MAX_LENGTH),
                           MAX_LENGTH, text)
    if not text.strip(_SPACE):
        raise FormulaError("formula is empty", 0, text)
    return _Parser(text).parse()


def _functions(np):
    return {
        "sin": np.sin, "cos": np.cos, "tan": np.tan, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
        "abs": np.abs, "tanh": np.tanh, "sinh": np.sinh, "cosh": np.cosh, "arcsin": np.arcsin,
        "arccos": np.arccos, "arctan": np.arctan,
    }


def variables(tree):
    """The variables a formula uses, in the order of ``VARIABLES``.

    >>> variables(parse("sin(x)*cos(y)")), variables(parse("2"))
    (['x', 'y'], [])
    """
    found = set()

    def walk(node):
        if node[0] == "var":
            found.add(node[1] if len(node) > 1 else "x")
        for child in node[1:]:
            if isinstance(child, tuple):
                walk(child)
    walk(tree)
    return [v for v in VARIABLES if v in found]


def evaluate(tree, x):
    """The formula's values at ``x`` (a numpy array, or a dict of arrays by variable name), as
    float64 of x's shape.

    Floating-point warnings are silenced: values outside a function's domain come out as nan or
    inf, for the caller to find with ``np.isfinite``.
    """
    import numpy as np

    if isinstance(x, dict):
        values = {k: np.asarray(v, dtype=np.float64) for k, v in x.items()}
        x = next(iter(values.values()))
    else:
        x = np.asarray(x, dtype=np.float64)
        values = {"x": x}
    funcs = _functions(np)
    constants = {"pi": np.pi, "e": np.e}

    def walk(node):
        kind = node[0]
        if kind == "num":
            return np.float64(node[1])
        if kind == "var":
            return values[node[1] if len(node) > 1 else "x"]
        if kind == "const":
            return np.float64(constants[node[1]])
        if kind == "neg":
            return np.negative(walk(node[1]))
        if kind == "call":
            return funcs[node[1]](walk(node[2]))
        if kind == "bin":
            a, b = walk(node[2]), walk(node[3])
            op = node[1]
            if op == "+":
                return np.add(a, b)
            if op == "-":
                return np.subtract(a, b)
            if op == "*":
                return np.multiply(a, b)
            if op == "/":
                return np.divide(a, b)
            return np.power(a, b)
        raise ValueError("not a formula tree node: %r" % (kind,))

    with np.errstate(all="ignore"):
        values = walk(tree)
    return np.broadcast_to(np.asarray(values, dtype=np.float64), x.shape).copy()


def toText(tree):
    """The formula written back with full parentheses (for messages and metrics)."""
    kind = tree[0]
    if kind == "num":
        return repr(tree[1])
    if kind == "var":
        return tree[1] if len(tree) > 1 else "x"
    if kind == "const":
        return tree[1]
    if kind == "neg":
        return "(-%s)" % toText(tree[1])
    if kind == "call":
        return "%s(%s)" % (tree[1], toText(tree[2]))
    return "(%s %s %s)" % (toText(tree[2]), tree[1], toText(tree[3]))
