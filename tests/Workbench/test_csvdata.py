"""Reading x,y measurements: header, comments, separators, and bad rows reported by line number."""
import numpy as np
import pytest

from PuzzleLib.Workbench.csvdata import MAX_REPORTED, DataError, readX, readXY
from PuzzleLib.Cli.main import main


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_header_comments_blank_lines_and_separators(tmp_path):
    path = write(tmp_path, "x,y\n# a comment\n\n2, 4\n0,0\n1;1\n  -1   1  \n")
    x, y = readXY(path)
    np.testing.assert_array_equal(x, [-1, 0, 1, 2])  # sorted by x
    np.testing.assert_array_equal(y, [1, 0, 1, 4])


def test_no_header(tmp_path):
    x, y = readXY(write(tmp_path, "0,1\n1,2\n"))
    np.testing.assert_array_equal(y, [1, 2])


def test_bad_rows_are_reported_with_their_line_numbers(tmp_path):
    path = write(tmp_path, "x,y\n0,0\n1,2,3\n2,abc\n\n3,nan\n4\n5,5\n")
    with pytest.raises(DataError) as info:
        readXY(path)
    lines = info.value.lines
    assert len(lines) == 4
    assert lines[0].startswith(path + ":3:") and "expected 2 columns" in lines[0]
    assert lines[1].startswith(path + ":4:") and "'abc' is not a number" in lines[1]
    assert lines[2].startswith(path + ":6:") and "finite" in lines[2]
    assert lines[3].startswith(path + ":7:") and "got 1 field" in lines[3]


def test_a_header_is_only_allowed_on_the_first_line(tmp_path):
    with pytest.raises(DataError) as info:
        readXY(write(tmp_path, "0,0\nx,y\n1,1\n"))
    assert info.value.lines[0].startswith(str(tmp_path / "data.csv") + ":2:")


def test_many_bad_rows_are_summarised(tmp_path):
    path = write(tmp_path, "".join("a%d,b\n" % i for i in range(1, 30)))
    with pytest.raises(DataError) as info:
        readXY(path)
    # line 1 is taken as a header; lines 2..29 are bad
    assert len(info.value.lines) == MAX_REPORTED + 1
    assert "and %d more bad rows" % (28 - MAX_REPORTED) in info.value.lines[-1]


@pytest.mark.parametrize("text,words", [("", "no data rows"), ("x,y\n", "no data rows"),
                                        ("1,1\n", "at least 2 data rows")])
def test_too_little_data(tmp_path, text, words):
    with pytest.raises(DataError) as info:
        readXY(write(tmp_path, text))
    assert words in info.value.lines[0]


def test_missing_and_binary_files(tmp_path):
    with pytest.raises(DataError) as info:
        readXY(str(tmp_path / "nope.csv"))
    assert "cannot read" in info.value.lines[0]
    path = tmp_path / "bin.csv"
    path.write_bytes(b"\xff\xfe\x00\x81")
    with pytest.raises(DataError) as info:
        readXY(str(path))
    assert "not a text file" in info.value.lines[0]


def test_read_x_takes_the_first_column(tmp_path):
    np.testing.assert_array_equal(readX(write(tmp_path, "x\n1\n2,20\n-3\n")), [1, 2, -3])


def test_command_reports_bad_rows_and_exits_2(tmp_path, capsys):
    path = write(tmp_path, "x,y\n0,0\n1,one\n2,2,2\n")
    status = main(["restore", "--data", path, "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.splitlines() == [
        "puzzlelib restore: error: %s:3: 'one' is not a number: 1,one" % path,
        "puzzlelib restore: error: %s:4: expected 2 columns (x,y), got 3 fields: 2,2,2" % path,
    ]


def test_command_needs_exactly_one_of_formula_and_data(tmp_path, capsys):
    path = write(tmp_path, "0,0\n1,1\n")
    assert main(["restore", "x", "--data", path, "--out", str(tmp_path / "o"), "-q"]) == 2
    assert main(["restore", "--out", str(tmp_path / "o"), "-q"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("exactly one" in line for line in err)
