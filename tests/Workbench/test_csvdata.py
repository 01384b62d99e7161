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
    x, y, names, target = readXY(path)
    np.testing.assert_array_equal(x[:, 0], [-1, 0, 1, 2])  # sorted by x
    np.testing.assert_array_equal(y, [1, 0, 1, 4])


def test_no_header(tmp_path):
    x, y, names, target = readXY(write(tmp_path, "0,1\n1,2\n"))
    np.testing.assert_array_equal(y, [1, 2])


def test_bad_rows_are_reported_with_their_line_numbers(tmp_path):
    path = write(tmp_path, "x,y\n0,0\n1,2,3\n2,abc\n\n3,nan\n4\n5,5\n")
    with pytest.raises(DataError) as info:
        readXY(path)
    lines = info.value.lines
    assert lines == [  # one line per kind of problem, naming its lines
        path + ":3: expected 2 columns per row; 2 rows have another count: lines 3 (3 fields), 7 (1 fields)",
        path + ":4: a field is not a number: line 4 ('abc'): 2,abc",
        path + ":6: values must be finite (no nan or inf): line 6: 3,nan",
    ]


def test_a_header_is_only_allowed_on_the_first_line(tmp_path):
    with pytest.raises(DataError) as info:
        readXY(write(tmp_path, "0,0\nx,y\n1,1\n"))
    assert info.value.lines[0].startswith(str(tmp_path / "data.csv") + ":2:")


def test_many_bad_rows_are_summarised(tmp_path):
    path = write(tmp_path, "".join("a%d,b\n" % i for i in range(1, 30)))
    with pytest.raises(DataError) as info:
        readXY(path)
    # line 1 is taken as a header; lines 2..29 are bad: one line says so
    assert len(info.value.lines) == 1
    assert "28 rows have a field that is not a number: lines 2 ('a2'), 3 ('a3')" in info.value.lines[0]
    assert info.value.lines[0].endswith("and %d more" % (28 - MAX_REPORTED))


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
    np.testing.assert_array_equal(readX(write(tmp_path, "x\n1\n2,20\n-3\n"))[:, 0], [1, 2, -3])


def test_command_reports_bad_rows_and_exits_2(tmp_path, capsys):
    path = write(tmp_path, "x,y\n0,0\n1,one\n2,2,2\n")
    status = main(["restore", "--data", path, "--out", str(tmp_path / "out"), "-q"])
    err = capsys.readouterr().err
    assert status == 2
    assert err.splitlines() == [
        "puzzlelib restore: error: %s:4: expected 2 columns per row; 1 row has another count: line 4 (3 fields): "
        "2,2,2" % path,
        "puzzlelib restore: error: %s:3: a field is not a number: line 3 ('one'): 1,one" % path,
    ]


def test_three_columns_without_inputs_is_one_line(tmp_path, capsys):
    # it gave nine error lines, one per row
    path = write(tmp_path, "a,b,c\n" + "".join("%d,%d,%d\n" % (i, i, i) for i in range(9)))
    status = main(["restore", "--data", path, "--out", str(tmp_path / "out"), "-q"])
    assert status == 2 and capsys.readouterr().err.splitlines() == [
        "puzzlelib restore: error: %s: has 3 columns (a, b, c), not x,y; say which are the inputs and which is the "
        "target: --inputs NAME,NAME --target NAME (header names, or column numbers from 1)" % path]


def test_inputs_and_target_by_name_or_number(tmp_path):
    path = write(tmp_path, "a,b,c\n1,2,3\n4,5,6\n7,8,9\n")
    x, y, names, target = readXY(path, ["c", "a"], "b")
    np.testing.assert_array_equal(x, [[3, 1], [6, 4], [9, 7]])
    assert names == ["c", "a"] and target == "b" and y.tolist() == [2, 5, 8]
    x, y, names, target = readXY(path, ["1", "2"])
    assert names == ["a", "b"] and target == "c"
    x, y, names, target = readXY(path, None, "a")
    assert names == ["b", "c"] and y.tolist() == [1, 4, 7]
    for inputs, target, words in [(["a", "d"], "c", "--inputs 'd' is not a column; the columns are a, b, c (or 1..3)"),
                                  (["a"], None, "say which is the target"),
                                  (["a", "b"], "a", "must be different columns")]:
        with pytest.raises(DataError) as info:
            readXY(path, inputs, target)
        assert len(info.value.lines) == 1 and words in info.value.lines[0], info.value.lines


def test_command_needs_exactly_one_of_formula_and_data(tmp_path, capsys):
    path = write(tmp_path, "0,0\n1,1\n")
    assert main(["restore", "x", "--data", path, "--out", str(tmp_path / "o"), "-q"]) == 2
    assert main(["restore", "--out", str(tmp_path / "o"), "-q"]) == 2
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 2 and all("exactly one" in line for line in err)
