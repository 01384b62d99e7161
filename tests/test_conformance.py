"""PuzzleLib 1.0's own unit tests against this library: the files that do not pass are exactly the
ones COMPATIBILITY.md lists.

The suite lives outside the project, in ``shared/conformance/upstream-unittests/`` beside the
checkout (``../shared`` from the repository root; a worktree one level further down finds it too).
Without it the test is skipped. Files that COMPATIBILITY.md lists as slow (they train nets
for minutes on a CPU) are not run here; every other file is, with this interpreter.
"""
import json
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPATIBILITY = os.path.join(ROOT, "COMPATIBILITY.md")
BEGIN, END = "<!-- conformance-not-passing: begin -->", "<!-- conformance-not-passing: end -->"
SLOW_BEGIN, SLOW_END = "<!-- conformance-slow: begin -->", "<!-- conformance-slow: end -->"
ENTRY = re.compile(r"^- (\w+__\w+): (.*)$")


def _findSuite():
    here = ROOT
    for _ in range(3):
        here = os.path.dirname(here)
        run = os.path.join(here, "shared", "conformance", "upstream-unittests", "run.py")
        if os.path.isfile(run):
            return run
    return None


def listedFailures(path=COMPATIBILITY, begin=BEGIN, end=END):
    """{file name: reason} from a marked list of COMPATIBILITY.md (the files that do not pass, or
    with ``SLOW_BEGIN, SLOW_END`` the slow ones that pass on an idle machine)."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if text.count(begin) != 1 or text.count(end) != 1:
        raise AssertionError("COMPATIBILITY.md must hold the markers %s and %s once each" % (begin, end))
    body = text.split(begin, 1)[1].split(end, 1)[0]
    entries = {}
    for line in body.splitlines():
        match = ENTRY.match(line)
        if match:
            if match.group(1) in entries:
                raise AssertionError("COMPATIBILITY.md lists %s twice" % match.group(1))
            entries[match.group(1)] = match.group(2)
    return entries


def test_the_list_in_COMPATIBILITY_md_is_well_formed():
    entries = listedFailures()
    assert all(reason.strip() for reason in entries.values())
    assert all(name.split("__")[0] in ("Containers", "Cost", "Handlers", "Modules", "Optimizers") for name in entries)


def test_files_that_do_not_pass_are_exactly_those_listed():
    run = _findSuite()
    if run is None:
        pytest.skip("PuzzleLib 1.0's unit tests are not here (no shared/conformance/upstream-unittests beside the "
                    "checkout); COMPATIBILITY.md cannot be checked against them")
    listed = listedFailures()
    slow = set(listedFailures(begin=SLOW_BEGIN, end=SLOW_END))
    assert not slow & set(listed), "COMPATIBILITY.md lists %s as both failing and slow" % sorted(slow & set(listed))
    files = sorted(f[:-3] for f in os.listdir(os.path.join(os.path.dirname(run), "tests")) if f.endswith(".py"))
    assert set(listed) <= set(files), "COMPATIBILITY.md lists files the suite lacks: %s" % sorted(set(listed) - set(files))
    chosen = [name for name in files if name not in slow]

    summary = os.path.join(os.environ.get("TMPDIR", "/tmp"), "puzzlelib-conformance-%d.json" % os.getpid())
    args = [sys.executable, run, sys.executable, "--timeout", "120", "--json", summary]
    for name in chosen:
        args += ["--only", name + ".py"]
    try:
        proc = subprocess.run(args, capture_output=True, text=True, timeout=900)
        assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
        with open(summary) as f:
            results = json.load(f)["results"]
    finally:
        if os.path.exists(summary):
            os.remove(summary)

    assert sorted(r["test"][:-3] for r in results) == chosen
    newFailures, newPasses = disagreement(listed, results)
    assert not newFailures and not newPasses, (
        "the suite and COMPATIBILITY.md disagree.\nfail but are not listed: %s\npass but are listed: %s" % (
            json.dumps(newFailures, indent=1), newPasses))


def disagreement(listed, results):
    """({file: why} of files that do not pass and are not listed, [listed files that pass]), for
    run.py's per-file results; listed files not among the results (the slow ones) are left out."""
    ran = {r["test"][:-3] for r in results}
    failing = {r["test"][:-3]: "%s %s: %s" % (r["status"], r.get("exc_type", ""), r.get("message", ""))
               for r in results if r["status"] not in ("PASS", "SKIP")}
    newFailures = {name: why for name, why in failing.items() if name not in listed}
    newPasses = sorted(name for name in listed if name in ran and name not in failing)
    return newFailures, newPasses


def test_disagreement_names_both_kinds_of_drift():
    listed = {"Cost__A": "kept", "Cost__B": "TIMEOUT ..."}
    results = [{"test": "Cost__A.py", "status": "PASS"}, {"test": "Cost__C.py", "status": "FAIL",
                                                          "exc_type": "AssertionError", "message": ""},
               {"test": "Cost__D.py", "status": "PASS"}]
    newFailures, newPasses = disagreement(listed, results)
    assert list(newFailures) == ["Cost__C"] and newPasses == ["Cost__A"]
    assert disagreement({"Cost__C": "x"}, results[1:]) == ({}, [])
