"""Reading measurements (x, y columns) and x lists from small CSV files, with line-numbered errors."""
import math
import os

MAX_BYTES = 64 * 1024 * 1024
MAX_REPORTED = 8


class DataError(ValueError):
    """A data file that cannot be used; ``lines`` holds one message per problem found."""

    def __init__(self, path, lines):
        super().__init__("\n".join(lines))
        self.path = path
        self.lines = lines


def _number(field):
    try:
        value = float(field)
    except ValueError:
        return None
    return value


def _split(line):
    if "," in line:
        return [f.strip() for f in line.split(",")]
    if ";" in line:
        return [f.strip() for f in line.split(";")]
    return line.split()


def _read(path):
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise DataError(path, ["%s: file is too large (%d bytes; at most %d)" % (path, size, MAX_BYTES)])
        with open(path, "r", encoding="utf-8-sig", newline="") as f:
            return f.read()
    except OSError as e:
        raise DataError(path, ["%s: cannot read: %s" % (path, e.strerror or e)]) from None
    except UnicodeDecodeError:
        raise DataError(path, ["%s: not a text file (it is not UTF-8)" % path]) from None


def readTable(path, columns=None, what=None):
    """(header, rows) of a CSV file: ``header`` the first line's names when it is not numeric
    (else None), ``rows`` a list of tuples of floats; or raise :class:`DataError`.

    Fields are separated by commas (or semicolons, or whitespace); blank lines and lines starting
    with ``#`` are skipped. Every row must have ``columns`` fields (or, when None, as many as the
    header or the first row has; with ``columns == 1`` a second field is allowed and ignored).
    Bad rows are reported with one line per kind of problem (wrong count of fields, a field that
    is not a number, a value that is not finite), each naming the first few line numbers.
    """
    text = _read(path)
    rows, header = [], None
    kinds = {}  # kind -> [(lineno, detail)]
    expected = columns
    sawFirst = False
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = _split(line)
        first = not sawFirst
        sawFirst = True
        values = [_number(f) for f in fields]
        if first and all(v is None for v in values):
            if expected is None or len(fields) in _allowed(expected):
                header = fields
                expected = len(fields) if expected is None else expected
                continue
        if expected is None:
            expected = len(fields)
        if len(fields) not in _allowed(expected):
            kinds.setdefault("fields", []).append((lineno, "%d" % len(fields), line))
            continue
        bad = [f for f, v in zip(fields, values) if v is None]
        if bad:
            kinds.setdefault("number", []).append((lineno, repr(_clip(bad[0], 20)), line))
            continue
        if not all(math.isfinite(v) for v in values[:expected]):
            kinds.setdefault("finite", []).append((lineno, None, line))
            continue
        rows.append(tuple(values[:expected]))

    if kinds:
        what = what or "%d column%s" % (expected, "" if expected == 1 else "s")
        lines = []
        for kind in ("fields", "number", "finite"):
            found = kinds.get(kind)
            if not found:
                continue
            shown = found[:MAX_REPORTED]
            more = " and %d more" % (len(found) - len(shown)) if len(found) > len(shown) else ""
            if kind == "fields":
                where = ", ".join("%d (%s fields)" % (n, d) for n, d, _ in shown)
                head = "expected %s per row; %s: line%s %s%s" % (
                    what, "%d row has another count" % len(found) if len(found) == 1 else
                    "%d rows have another count" % len(found), "" if len(found) == 1 else "s", where, more)
            elif kind == "number":
                where = ", ".join("%d (%s)" % (n, d) for n, d, _ in shown)
                head = "%s not a number: line%s %s%s" % (
                    "a field is" if len(found) == 1 else "%d rows have a field that is" % len(found),
                    "" if len(found) == 1 else "s", where, more)
            else:
                where = ", ".join("%d" % n for n, _, _ in shown)
                head = "values must be finite (no nan or inf): line%s %s%s" % ("" if len(found) == 1 else "s", where, more)
            if len(found) == 1:
                head += ": " + _clip(found[0][2])
            lines.append("%s:%d: %s" % (path, found[0][0], head))
        raise DataError(path, lines)
    if not rows:
        raise DataError(path, ["%s: no data rows (expected %s per line)" % (
            path, what or ("%d columns" % expected if expected else "numbers"))])
    return header, rows


def _allowed(columns):
    return (columns, columns + 1) if columns == 1 else (columns,)


def readColumns(path, columns, what):
    """Rows of ``columns`` floats from ``path`` (a list of tuples), or raise :class:`DataError`
    (see :func:`readTable`)."""
    return readTable(path, columns, what)[1]


def _clip(text, width=40):
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= width else text[:width - 3] + "..."


def readXY(path, inputs=None, target=None):
    """Inputs (float64 (N, d)), target (float64 (N,)) and their names from a CSV of measurements.

    A file of two columns is x,y. With more, ``inputs`` (a list) and ``target`` name the columns,
    by header name or by column number counting from 1; either may be left out when the other
    leaves exactly what it needs. One input: the rows are sorted by it.
    """
    import numpy as np

    header, rows = readTable(path)
    if inputs is None and target is None and len(rows[0]) != 2:
        k = len(rows[0])
        shown = ", ".join(header) if header is not None else "no header"
        raise DataError(path, ["%s: has %d columns (%s), not x,y; say which are the inputs and which is the "
                               "target: --inputs NAME,NAME --target NAME (header names, or column numbers from 1)"
                               % (path, k, shown)])
    if len(rows) < 2:
        raise DataError(path, ["%s: need at least 2 data rows, got %d" % (path, len(rows))])
    data = np.array(rows, dtype=np.float64)
    k = data.shape[1]
    names = list(header) if header is not None else ["column %d" % (i + 1) for i in range(k)]

    def column(ref, option):
        ref = str(ref).strip()
        if header is not None and ref in header:
            return header.index(ref)
        if ref.isdigit() and 1 <= int(ref) <= k:
            return int(ref) - 1
        raise DataError(path, ["%s: %s %r is not a column; the columns are %s (or 1..%d)" % (
            path, option, ref, ", ".join(names), k)])

    if inputs is None and target is None:
        chosen, goal = [0], 1
    elif inputs is None:
        goal = column(target, "--target")
        chosen = [i for i in range(k) if i != goal]
    else:
        chosen = [column(ref, "--inputs") for ref in inputs]
        if target is None:
            rest = [i for i in range(k) if i not in chosen]
            if len(rest) != 1:
                raise DataError(path, ["%s: has %d columns (%s); say which is the target: --target NAME" % (
                    path, k, ", ".join(names))])
            goal = rest[0]
        else:
            goal = column(target, "--target")
    if len(set(chosen)) != len(chosen) or goal in chosen or not chosen:
        raise DataError(path, ["%s: the inputs (%s) and the target (%s) must be different columns" % (
            path, ", ".join(names[i] for i in chosen), names[goal])])
    x, y = data[:, chosen], data[:, goal]
    if len(chosen) == 1:
        order = np.argsort(x[:, 0], kind="stable")
        x, y = x[order], y[order]
    return x, y, [names[i] for i in chosen], names[goal]


def readX(path, columns=1):
    """Input rows (float64 (N, columns)) from a file of one row of inputs per line (with one input,
    a second column is ignored)."""
    import numpy as np

    rows = readColumns(path, columns, "1 column (x)" if columns == 1 else "%d columns (one per input)" % columns)
    return np.array(rows, dtype=np.float64).reshape(len(rows), columns)
