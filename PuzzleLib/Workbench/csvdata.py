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


def readColumns(path, columns, what):
    """Rows of ``columns`` floats from ``path`` (a list of tuples), or raise :class:`DataError`.

    Fields are separated by commas (or semicolons, or whitespace); blank lines and lines starting
    with ``#`` are skipped; the first other line may be a header (any non-numeric text). With
    ``columns == 1`` a second column is allowed and ignored. Every malformed row is reported with
    its line number (the first ``MAX_REPORTED`` of them).
    """
    try:
        size = os.path.getsize(path)
        if size > MAX_BYTES:
            raise DataError(path, ["%s: file is too large (%d bytes; at most %d)" % (path, size, MAX_BYTES)])
        with open(path, "r", encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except OSError as e:
        raise DataError(path, ["%s: cannot read: %s" % (path, e.strerror or e)]) from None
    except UnicodeDecodeError:
        raise DataError(path, ["%s: not a text file (it is not UTF-8)" % path]) from None

    rows, problems = [], []
    sawFirst = False
    allowed = (columns, columns + 1) if columns == 1 else (columns,)
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        fields = _split(line)
        first = not sawFirst
        sawFirst = True
        values = [_number(f) for f in fields]
        if first and all(v is None for v in values) and len(fields) in allowed:
            continue  # a header
        if len(fields) not in allowed:
            problems.append("%s:%d: expected %s, got %d field%s: %s" % (
                path, lineno, what, len(fields), "" if len(fields) == 1 else "s", _clip(line)))
            continue
        bad = [f for f, v in zip(fields, values) if v is None]
        if bad:
            problems.append("%s:%d: %r is not a number: %s" % (path, lineno, _clip(bad[0], 20), _clip(line)))
            continue
        if not all(math.isfinite(v) for v in values[:columns]):
            problems.append("%s:%d: values must be finite: %s" % (path, lineno, _clip(line)))
            continue
        rows.append(tuple(values[:columns]))

    if problems:
        more = len(problems) - MAX_REPORTED
        lines = problems[:MAX_REPORTED]
        if more > 0:
            lines.append("%s: ... and %d more bad row%s" % (path, more, "" if more == 1 else "s"))
        raise DataError(path, lines)
    if not rows:
        raise DataError(path, ["%s: no data rows (expected %s per line)" % (path, what)])
    return rows


def _clip(text, width=40):
    text = text.encode("ascii", "backslashreplace").decode("ascii")
    return text if len(text) <= width else text[:width - 3] + "..."


def readXY(path):
    """x and y float64 arrays (sorted by x) from a CSV of measurements."""
    import numpy as np

    rows = readColumns(path, 2, "2 columns (x,y)")
    if len(rows) < 2:
        raise DataError(path, ["%s: need at least 2 data rows, got %d" % (path, len(rows))])
    data = np.array(rows, dtype=np.float64)
    order = np.argsort(data[:, 0], kind="stable")
    return data[order, 0], data[order, 1]


def readX(path):
    """x values (first column) from a file of one x per line (a second column is ignored)."""
    import numpy as np

    rows = readColumns(path, 1, "1 column (x)")
    return np.array([r[0] for r in rows], dtype=np.float64)
